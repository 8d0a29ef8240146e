"""Reports over the API: the same policy, services and audit as the report pages (reports/urls.py).

- `/api/reports/`: the program's reports (the archive), and ordering one. A report's detail carries its published
  cells (`results`, exactly as stored when it was built: suppressed already, never anything else) and links to
  its PDF, CSV and XLSX, each download audited. A built report is immutable: no PUT, PATCH or DELETE (405);
  `retry` queues a failed build again, `rebuild` makes a new edition of a finished one.
- `/api/report-indicators/`: the values the system cannot count itself (goals 2–4), entered per quarter or year.
- `/api/report-plan/`: the program's one report plan (baseline year, what the schedule builds).

The program lead does everything; the police and exit coordinators read reports (list, detail, downloads); every
other role gets 404, the same answer as for a report that does not exist. Changes of an indicator or the plan
need If-Match with the ETag of a read: 428 without it, 412 when someone saved in between.
"""

from __future__ import annotations

from typing import Any, Final

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from cases.api.base import CaseViewSet, check_if_match, require_role
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import IF_MATCH, BoundedDateField, PreconditionFailed, PreconditionRequired, etag, staff_of
from interventions.api.base import saved_or_412
from outreach.api.base import StrictIntegerField
from reports import selectors, services
from reports.models import EARLIEST_YEAR, LATEST_YEAR, Indicator, IndicatorKind, Report, ReportKind, ReportPlan
from reports.results import CELL_COLUMNS

PURPOSE = "reports (API)"

DOWNLOADS: Final = ("pdf", "csv", "xlsx")

# The stored form of a built report (reports/results.py), for the schema: a cell is a number or a mark string.
_CELL: Final = {
    "oneOf": [{"type": "number"}, {"type": "string"}],
    "description": 'A number, or a mark: "<5" (1 to 4 persons), "x" (withheld), ".." (missing).',
}
_PERIOD: Final = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "first": {"type": "string", "format": "date"},
        "last": {"type": "string", "format": "date"},
    },
}
RESULTS_SCHEMA: Final = {
    "type": "object",
    "nullable": True,
    "description": "The published cells, exactly as stored when the report was built (suppressed already); "
    "null until the report is done.",
    "properties": {
        "format": {"type": "integer"},
        "kind": {"type": "string"},
        "period": _PERIOD,
        "previous": _PERIOD,
        "baseline": _PERIOD,
        "baseline_year": {"type": "integer"},
        "metrics": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "kind": {"type": "string"},
                    **dict.fromkeys(CELL_COLUMNS, _CELL),
                },
            },
        },
        "indicators": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "goal": {"type": "integer"},
                    "persons": {"type": "boolean"},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "label": {"type": "string"},
                                "value": _CELL,
                                "source": {"type": "string"},
                                # Empty when no value was entered for the period (reports/results.py).
                                "source_date": {
                                    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}]
                                },
                            },
                        },
                    },
                },
            },
        },
        "incidents_by_quarter": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "shootings": {"type": "integer"},
                    "explosions": {"type": "integer"},
                    "other": {"type": "integer"},
                },
            },
        },
        "data_as_of": {"type": "string", "format": "date-time"},
    },
}


def _name(staff: Staff | None) -> str | None:
    return None if staff is None else (staff.get_full_name() or staff.get_username())


# --------------------------------------------------------------------------------------------------
# Reports


# A download address relative to the site (not an absolute URI), null until the report is done.
DOWNLOAD_URL = serializers.CharField(allow_null=True, read_only=True)


class ReportSerializer(serializers.ModelSerializer[Report]):
    """A report as the archive lists it: what, which period, who ordered it, how far its build has come."""

    ordered_by = serializers.IntegerField(
        source="ordered_by_id", read_only=True, allow_null=True, help_text="Null: made by the schedule."
    )
    ordered_by_name = serializers.SerializerMethodField()
    scheduled = serializers.BooleanField(read_only=True, help_text="Made by the schedule, not ordered by a person.")
    pdf_url = serializers.SerializerMethodField(help_text="Null until the report is done.")
    csv_url = serializers.SerializerMethodField(help_text="Null until the report is done.")
    xlsx_url = serializers.SerializerMethodField(help_text="Null until the report is done.")

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "label",
            "period_first",
            "period_last",
            "baseline_year",
            "edition",
            "status",
            "error",
            "attempts",
            "scheduled",
            "ordered_by",
            "ordered_by_name",
            "ordered_at",
            "started_at",
            "finished_at",
            "data_as_of",
            "pdf_url",
            "csv_url",
            "xlsx_url",
        ]
        read_only_fields = fields

    def get_ordered_by_name(self, obj: Report) -> str | None:
        return _name(obj.ordered_by)

    def _download(self, obj: Report, file_format: str) -> str | None:
        if obj.status != Report.Status.DONE:
            return None
        return reverse(f"api:report-{file_format}", kwargs={"pk": obj.pk})

    @extend_schema_field(DOWNLOAD_URL)
    def get_pdf_url(self, obj: Report) -> str | None:
        return self._download(obj, "pdf") if obj.pdf else None

    @extend_schema_field(DOWNLOAD_URL)
    def get_csv_url(self, obj: Report) -> str | None:
        return self._download(obj, "csv")

    @extend_schema_field(DOWNLOAD_URL)
    def get_xlsx_url(self, obj: Report) -> str | None:
        return self._download(obj, "xlsx")


class ReportDetailSerializer(ReportSerializer):
    """A report with its published cells once it is done."""

    results = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "results"]
        read_only_fields = fields

    @extend_schema_field(RESULTS_SCHEMA)
    def get_results(self, obj: Report) -> Any:
        return obj.results if obj.status == Report.Status.DONE else None


class ReportOrderSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    year = StrictIntegerField(
        min_value=EARLIEST_YEAR, max_value=LATEST_YEAR, help_text="The year of a quarter or a year that has ended."
    )
    quarter = StrictIntegerField(
        min_value=1,
        max_value=4,
        required=False,
        allow_null=True,
        help_text="1–4 for a quarterly report (a quarter that has ended); left out for a yearly one.",
    )
    baseline_year = StrictIntegerField(
        min_value=EARLIEST_YEAR,
        max_value=LATEST_YEAR,
        required=False,
        allow_null=True,
        help_text="The year the period is compared with, before the report's; the plan's if left out.",
    )


class ReportFilterSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReportKind.choices, required=False)
    status = serializers.ChoiceField(choices=Report.Status.choices, required=False)
    year = StrictIntegerField(
        min_value=EARLIEST_YEAR, max_value=LATEST_YEAR, required=False, help_text="Reports of this year's periods."
    )
    sort = serializers.ChoiceField(choices=list(selectors.REPORT_SORTS), required=False, default="-period")


@extend_schema(tags=["reports"])
class ReportViewSet(CaseViewSet):
    """The program's reports: the program lead orders, retries and rebuilds them; the police and exit
    coordinators read them."""

    model = Report
    serializer_class = ReportSerializer
    audit_purpose = PURPOSE

    @extend_schema(parameters=[ReportFilterSerializer])
    def list(self, request: Request) -> Response:
        """The archive: the program's reports, newest period first (without their cells: see the detail)."""
        user = staff_of(request)
        require_role(user, "view", Report)
        filters = self.filters(request, ReportFilterSerializer)
        return self.audited_page(user, selectors.reports(user, filters, filters["sort"]))

    def _answer(self, report: Report, code: int = status.HTTP_200_OK) -> Response:
        return Response(ReportDetailSerializer(report, context=self.get_serializer_context()).data, status=code)

    @extend_schema(responses=ReportDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """A report; once it is done, with its published cells and its downloads."""
        return self._answer(access.get_visible_or_404(staff_of(request), Report, pk, purpose=PURPOSE))

    @extend_schema(request=ReportOrderSerializer, responses={201: ReportDetailSerializer})
    def create(self, request: Request) -> Response:
        """Order a report of a quarter or a year that has ended; it is queued and built in the background."""
        user = staff_of(request)
        require_role(user, "add", Report)
        body = ReportOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.order_report(user, **body.validated_data)
        return self._answer(report, status.HTTP_201_CREATED)

    def _for_change(self, request: Request, pk: str) -> Report:
        return access.get_visible_or_404(staff_of(request), Report, pk, action="change", purpose=PURPOSE, audit=False)

    @extend_schema(request=None, responses=ReportDetailSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Queue a failed build again (400 for a report whose build has not failed)."""
        report = services.retry_report(staff_of(request), self._for_change(request, pk))
        return self._answer(report)

    @extend_schema(request=None, responses={201: ReportDetailSerializer})
    @action(detail=True, methods=["post"])
    def rebuild(self, request: Request, pk: str) -> Response:
        """Build a finished report again from today's data: a new edition; the old one stays as it was."""
        report = services.rebuild_report(staff_of(request), self._for_change(request, pk))
        return self._answer(report, status.HTTP_201_CREATED)

    def _done(self, request: Request, pk: str, file_format: str) -> Report:
        """A finished report the user may read, its download audited; 404 until it is done."""
        user = staff_of(request)
        report = access.get_visible_or_404(user, Report, pk, purpose=PURPOSE, audit=False)
        if report.status != Report.Status.DONE or (file_format == "pdf" and not report.pdf):
            raise NotFound
        services.audit_download(user, report, file_format)
        return report

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report (PDF)."),
            404: OpenApiResponse(description="No such report, or not done."),
        }
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> FileResponse:
        """The report as built (PDF); every download is audited."""
        from reports.exports import filename

        report = self._done(request, pk, "pdf")
        response = FileResponse(
            report.pdf.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=filename(report, "pdf"),
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def _spreadsheet(self, request: Request, pk: str, file_format: str) -> HttpResponse:
        from reports import exports

        report = self._done(request, pk, file_format)
        if file_format == "csv":
            response = HttpResponse(exports.csv_bytes(report), content_type=exports.CSV_CONTENT_TYPE)
        else:
            response = HttpResponse(exports.xlsx_bytes(report), content_type=exports.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(report, file_format)}"'
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The metric and indicator tables (UTF-8, ';' between cells)."
            ),
            404: OpenApiResponse(description="No such report, or not done."),
        }
    )
    @action(detail=True, methods=["get"])
    def csv(self, request: Request, pk: str) -> HttpResponse:
        """The report's tables as CSV; every download is audited."""
        return self._spreadsheet(request, pk, "csv")

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The metric and indicator tables, one sheet each."
            ),
            404: OpenApiResponse(description="No such report, or not done."),
        }
    )
    @action(detail=True, methods=["get"])
    def xlsx(self, request: Request, pk: str) -> HttpResponse:
        """The report's tables as XLSX; every download is audited."""
        return self._spreadsheet(request, pk, "xlsx")


# --------------------------------------------------------------------------------------------------
# Indicators


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    """A value of an indicator for one quarter or year, with its source."""

    goal = serializers.IntegerField(read_only=True, help_text="The goal (2–4) the indicator is reported under.")
    unit = serializers.CharField(read_only=True)
    entered_by = serializers.IntegerField(source="entered_by_id", read_only=True)
    entered_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "kind",
            "goal",
            "unit",
            "period_first",
            "period_last",
            "label",
            "value",
            "source",
            "source_date",
            "note",
            "entered_by",
            "entered_by_name",
            "entered_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_entered_by_name(self, obj: Indicator) -> str | None:
        return _name(obj.entered_by)


class IndicatorWriteSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    period_first = BoundedDateField(help_text="The first day of a calendar quarter or year.")
    period_last = BoundedDateField(help_text="The last day of the same quarter or year.")
    value = serializers.DecimalField(max_digits=12, decimal_places=1, min_value=0, max_value=10**10)
    source = serializers.CharField(max_length=300, help_text="Where the value comes from.")  # type: ignore[assignment]
    source_date = BoundedDateField(help_text="The date of the source: today or earlier.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class IndicatorFilterSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=IndicatorKind.choices, required=False)


@extend_schema(tags=["reports"])
class IndicatorViewSet(CaseViewSet):
    """The values the system cannot count itself, for goals 2–4: the program lead enters them per quarter or
    year, with the source and its date."""

    model = Indicator
    serializer_class = IndicatorSerializer
    audit_purpose = PURPOSE

    @extend_schema(parameters=[IndicatorFilterSerializer])
    def list(self, request: Request) -> Response:
        """The program's indicator values, by indicator, newest period first."""
        user = staff_of(request)
        require_role(user, "view", Indicator)
        filters = self.filters(request, IndicatorFilterSerializer)
        items = access.visible(user, Indicator).select_related("entered_by")
        if "kind" in filters:
            items = items.filter(kind=filters["kind"])
        return self.audited_page(user, items.order_by("kind", "-period_first", "period_last", "id"))

    def _answer(self, indicator: Indicator, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(indicator).data, status=code, headers={"ETag": etag(indicator)})

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(access.get_visible_or_404(staff_of(request), Indicator, pk, purpose=PURPOSE))

    @extend_schema(request=IndicatorWriteSerializer, responses={201: IndicatorSerializer})
    def create(self, request: Request) -> Response:
        """Enter a value for a quarter or a year (one per indicator and period)."""
        user = staff_of(request)
        require_role(user, "add", Indicator)
        body = IndicatorWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        indicator = services.add_indicator(user, dict(body.validated_data))
        return self._answer(indicator, status.HTTP_201_CREATED)

    def _for(self, request: Request, pk: str, verb: str) -> Indicator:
        indicator = access.get_visible_or_404(
            staff_of(request), Indicator, pk, action=verb, purpose=PURPOSE, audit=False
        )
        check_if_match(request, indicator)
        return indicator

    def _change(self, request: Request, pk: str, *, partial: bool) -> Response:
        user = staff_of(request)
        indicator = self._for(request, pk, "change")
        body = IndicatorWriteSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        fresh = saved_or_412(
            lambda: services.change_indicator(
                user, indicator, expected_version=indicator.version, data=dict(body.validated_data)
            )
        )
        return self._answer(fresh)

    @extend_schema(parameters=[IF_MATCH], request=IndicatorWriteSerializer, responses=IndicatorSerializer)
    def update(self, request: Request, pk: str) -> Response:
        """Replace a value (every field)."""
        return self._change(request, pk, partial=False)

    @extend_schema(parameters=[IF_MATCH], request=IndicatorWriteSerializer, responses=IndicatorSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Correct a value: the fields given."""
        return self._change(request, pk, partial=True)

    @extend_schema(parameters=[IF_MATCH], responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Remove a value entered by mistake (a report already built keeps what it published)."""
        indicator = self._for(request, pk, "delete")
        services.delete_indicator(staff_of(request), indicator)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------------------------------
# The report plan


class ReportPlanSerializer(serializers.ModelSerializer[ReportPlan]):
    class Meta:
        model = ReportPlan
        fields = ["baseline_year", "quarterly", "yearly", "updated_at", "version"]
        read_only_fields = fields


class ReportPlanChangeSerializer(serializers.Serializer[Any]):
    baseline_year = StrictIntegerField(
        required=False, help_text="A year that has ended: every report compares its period with the same of it."
    )
    quarterly = serializers.BooleanField(required=False, help_text="The schedule builds each quarter's report.")
    yearly = serializers.BooleanField(required=False, help_text="The schedule builds each year's report.")

    def validate_baseline_year(self, value: int) -> int:
        last = timezone.localdate().year - 1
        if not EARLIEST_YEAR <= value <= last:
            raise serializers.ValidationError(
                _("Choose a year from %(first)s to %(last)s.") % {"first": EARLIEST_YEAR, "last": last}
            )
        return value


def _matches(request: Request, plan: ReportPlan) -> None:
    """If-Match as for every change (428 without it, 412 when stale); the header may list several ETags
    (RFC 9110), as a client that keeps the plans of several programs' leads may send."""
    if_match = request.headers.get("If-Match")
    if not if_match:
        raise PreconditionRequired
    if etag(plan) not in {tag.strip() for tag in if_match.split(",")}:
        raise PreconditionFailed


@extend_schema(tags=["reports"])
class ReportPlanView(APIView):
    """Your program's report plan: one per program (the program lead reads and changes it)."""

    def _plan(self, user: Staff, verb: str) -> ReportPlan:
        if not access.role_allows(user, verb, ReportPlan):
            raise NotFound
        assert user.program is not None
        plan = services.plan_for(user.program)
        return access.get_visible_or_404(user, ReportPlan, plan.pk, action=verb, purpose=PURPOSE, audit=verb == "view")

    @staticmethod
    def _answer(plan: ReportPlan) -> Response:
        return Response(ReportPlanSerializer(plan).data, headers={"ETag": etag(plan)})

    @extend_schema(responses=ReportPlanSerializer)
    def get(self, request: Request) -> Response:
        return self._answer(self._plan(staff_of(request), "view"))

    @extend_schema(parameters=[IF_MATCH], request=ReportPlanChangeSerializer, responses=ReportPlanSerializer)
    def patch(self, request: Request) -> Response:
        """Change the baseline year or what the schedule builds (reports already ordered keep theirs)."""
        user = staff_of(request)
        plan = self._plan(user, "change")
        _matches(request, plan)
        body = ReportPlanChangeSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        fresh = saved_or_412(lambda: services.change_plan(user, plan, expected_version=plan.version, changes=changes))
        return self._answer(fresh)


__all__ = ["IndicatorViewSet", "ReportPlanView", "ReportViewSet"]
