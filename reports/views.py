"""Report pages: the archive of built reports and ordering one, a report's page (progress while it is built, the
error and a retry when the build failed, the numbers, charts and indicators when it is done), its downloads (PDF,
CSV, XLSX), the indicators the program lead enters and the report plan.

The program lead orders, retries, builds again and enters; the police and exit coordinators read and download;
everyone else gets 404 (gvi/access.py). Every page reads a built report's stored cells only (Report.results), so
the page, the PDF and the exports show the same numbers. Thin: the services write, the policy decides."""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gvi import access, uploads
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.pages import add_service_errors, audit_list, chosen_sort, paginate, staff_of, versioned_edit
from reports import charts, exports, pdf, selectors, services
from reports.definitions import LEGEND
from reports.forms import IndicatorFilterForm, IndicatorForm, OrderForm, PlanForm, ReportFilterForm
from reports.models import INDICATOR_GOALS, Goal, Indicator, IndicatorKind, Report, ReportKind, ReportPlan

PURPOSE: Final = "program follow-up"
# How often the report's page asks whether a build has finished.
POLL_SECONDS: Final = 2
INDICATOR_CONFLICT_MESSAGE = gettext_lazy(
    "Someone else saved this value while you were working on it. Compare, then try again."
)
PLAN_CONFLICT_MESSAGE = gettext_lazy(
    "Someone else saved the report plan while you were working on it. Compare, then try again."
)


def _list_crumb() -> tuple[str, str]:
    return (reverse("reports:list"), _("Reports"))


def _report_crumb(report: Report) -> tuple[str, str]:
    return (reverse("reports:detail", args=[report.pk]), str(report))


def _indicators_crumb() -> tuple[str, str]:
    return (reverse("reports:indicator-list"), _("Indicators"))


def _to_report(report: Report) -> HttpResponse:
    return redirect("reports:detail", pk=report.pk)


def _require_role(user: Staff, action: str, model: type[Report] | type[Indicator] | type[ReportPlan]) -> None:
    if not access.role_allows(user, action, model):
        raise Http404


# --- The archive and ordering ---------------------------------------------------------------------------


def _order_form(user: Staff, data: Any = None) -> OrderForm:
    """The order form with the last finished quarter and the plan's baseline year filled in."""
    assert user.program is not None
    quarter = services.last_finished_quarter(timezone.localdate())
    initial = {
        "kind": ReportKind.QUARTERLY,
        "year": quarter.first.year,
        "quarter": quarter.quarter_number,
        "baseline_year": services.plan_for(user.program).baseline_year,
    }
    return OrderForm(data, initial=initial, auto_id="order_%s")


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """Every report of the user's program, newest period first; the program lead orders from here."""
    user = staff_of(request)
    _require_role(user, "view", Report)
    filter_form = ReportFilterForm(request.GET)
    filters = filter_form.values()
    sort = chosen_sort(request, selectors.REPORT_SORTS, "-period")
    page = paginate(request, selectors.reports(user, filters, sort))
    audit_list(request, Report, page, purpose=PURPOSE, detail={k: str(v) for k, v in filters.items()} or None)
    can_order = access.role_allows(user, "add", Report)
    context = {
        "page": page,
        "sort": sort,
        "filters": filter_form if filter_form.is_valid() else ReportFilterForm(),
        "filtered": bool(filters),
        "can_order": can_order,
        "form": _order_form(user) if can_order else None,
        "can_enter": access.role_allows(user, "view", Indicator),
        "can_plan": access.role_allows(user, "change", ReportPlan),
        "crumbs": [(None, _("Reports"))],
    }
    return render(request, "reports/list.html", context)


@require_http_methods(["GET", "POST"])
def report_order(request: HttpRequest) -> HttpResponse:
    """Order a report (the program lead): built in the background; its page shows the progress."""
    user = staff_of(request)
    _require_role(user, "add", Report)
    if request.method == "POST":
        form = _order_form(user, request.POST)
        if form.is_valid():
            try:
                report = services.order_report(user, **form.service_values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The report is ordered. It is being built; this page shows when it is done.")
                )
                return _to_report(report)
    else:
        form = _order_form(user)
    context = {"form": form, "crumbs": [_list_crumb(), (None, _("Order a report"))]}
    return render(request, "reports/order.html", context)


# --- A report's page --------------------------------------------------------------------------------------


def _changeable(request: HttpRequest, user: Staff, pk: int) -> Report:
    """The report for a change (retry, build again): 404 unless the user may; the service audits the change."""
    return access.get_visible_or_404(user, Report, pk, action="change", purpose=PURPOSE, audit=False)


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    report = access.get_visible_or_404(user, Report, pk, purpose=PURPOSE)
    editions = list(
        access.visible(user, Report)
        .filter(kind=report.kind, period_first=report.period_first)
        .exclude(pk=report.pk)
        .only("id", "kind", "label", "edition", "status", "finished_at")
        .order_by("-edition")
    )
    done = report.status == Report.Status.DONE and bool(report.results)
    title = pdf.report_title(report)
    context: dict[str, Any] = {
        "report": report,
        "title": title,
        "period": charts.period_text(report.label),
        "ordered_by": report.ordered_by.get_full_name() if report.ordered_by is not None else None,
        "editions": editions,
        "done": done,
        "poll_seconds": POLL_SECONDS,
        "can_change": access.role_allows(user, "change", Report),
        "crumbs": [_list_crumb(), (None, title)],
    }
    if done:
        # The PDF's own blocks (reports/pdf.py): the page shows the same cells, in the reader's language.
        results: dict[str, Any] = report.results or {}
        context.update(
            {
                "results": results,
                "previous": charts.period_text(results["previous"]["label"]),
                "baseline": charts.period_text(results["baseline"]["label"]),
                "goal_one": pdf.goal_heading(Goal.VIOLENCE),
                "incidents_chart": charts.incidents_chart(results.get("incidents_by_quarter", [])),
                "sections": pdf.section_blocks(results),
                "goals": pdf.goal_blocks(results),
                "legend": list(LEGEND.items()),
                "definitions": pdf.definition_groups(),
            }
        )
    return render(request, "reports/detail.html", context)


@require_GET
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The build's progress: a fragment the report's page polls with htmx (every POLL_SECONDS, until the build
    has finished: then the browser reloads the page), or a small page of its own without JavaScript."""
    user = staff_of(request)
    report = access.get_visible_or_404(user, Report, pk, purpose=PURPOSE)
    crumbs = [_list_crumb(), _report_crumb(report), (None, _("Build status"))]
    context = {"report": report, "poll_seconds": POLL_SECONDS, "crumbs": crumbs}
    if request.headers.get("HX-Request") != "true":
        return render(request, "reports/status.html", context)
    response = render(request, "reports/_status.html", context)
    if report.finished or report.stalled:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def report_retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    report = _changeable(request, user, pk)
    try:
        report = services.retry_report(user, report)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The report is queued to be built again."))
    return _to_report(report)


@require_POST
def report_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    """Build a finished report again from today's data: a new edition; the old one stays as it was."""
    user = staff_of(request)
    report = _changeable(request, user, pk)
    try:
        report = services.rebuild_report(user, report)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Edition %(edition)s is ordered and being built.") % {"edition": report.edition})
    return _to_report(report)


# --- Downloads ----------------------------------------------------------------------------------------


def _done_report(user: Staff, pk: int, file_format: str) -> Report:
    """A built report to download, the download audited; 404 if it is not visible or not done."""
    report = access.get_visible_or_404(user, Report, pk, purpose=PURPOSE, audit=False)
    if report.status != Report.Status.DONE or report.results is None:
        raise Http404
    if file_format == "pdf" and not report.pdf:
        raise Http404
    services.audit_download(user, report, file_format)
    return report


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    report = _done_report(staff_of(request), pk, "pdf")
    response = uploads.download(report.pdf, filename=exports.filename(report, "pdf").removesuffix(".pdf"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    report = _done_report(staff_of(request), pk, "csv")
    return _attachment(exports.csv_bytes(report), exports.CSV_CONTENT_TYPE, exports.filename(report, "csv"))


@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    report = _done_report(staff_of(request), pk, "xlsx")
    return _attachment(exports.xlsx_bytes(report), exports.XLSX_CONTENT_TYPE, exports.filename(report, "xlsx"))


# --- Indicators ---------------------------------------------------------------------------------------

# The indicators in the order of their goals (2, 3, 4), then by kind and newest period first.
GOAL_ORDER: Final = Case(
    *(When(kind=kind.value, then=Value(int(goal))) for kind, goal in INDICATOR_GOALS.items()),
    output_field=IntegerField(),
)


@require_GET
def indicator_list(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    _require_role(user, "view", Indicator)
    filter_form = IndicatorFilterForm(request.GET)
    kind = filter_form.kind_value()
    items = access.visible(user, Indicator).select_related("entered_by").annotate(goal_order=GOAL_ORDER)
    if kind:
        items = items.filter(kind=kind)
    page = paginate(request, items.order_by("goal_order", "kind", "-period_first", "period_last", "id"))
    audit_list(request, Indicator, page, purpose=PURPOSE, detail={"kind": kind} if kind else None)
    context = {
        "page": page,
        "filters": filter_form if filter_form.is_valid() else IndicatorFilterForm(),
        "filtered": bool(kind),
        "can_add": access.role_allows(user, "add", Indicator),
        "can_change": access.role_allows(user, "change", Indicator),
        "can_delete": access.role_allows(user, "delete", Indicator),
        "crumbs": [_list_crumb(), (None, _("Indicators"))],
    }
    return render(request, "reports/indicator_list.html", context)


@require_http_methods(["GET", "POST"])
def indicator_create(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    _require_role(user, "add", Indicator)
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        if form.is_valid():
            try:
                indicator = services.add_indicator(user, form.service_values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The value of %(indicator)s is saved.") % {"indicator": indicator})
                return redirect("reports:indicator-list")
    else:
        kind = request.GET.get("kind", "")
        form = IndicatorForm(initial={"kind": kind if kind in IndicatorKind.values else ""})
    context = {
        "form": form,
        "indicator": None,
        "title": _("Enter an indicator value"),
        "crumbs": [_list_crumb(), _indicators_crumb(), (None, _("Enter a value"))],
    }
    return render(request, "reports/indicator_form.html", context)


def _indicator_conflict_rows(conflict: Indicator) -> list[tuple[str, Any]]:
    return [
        (_("Indicator"), conflict.get_kind_display()),
        (_("Period"), conflict.label),
        (_("Value"), f"{conflict.value} {conflict.unit}"),
        (_("Source"), conflict.source),
        (_("Date of the source"), conflict.source_date.isoformat()),
        (_("Note"), conflict.note or "–"),
    ]


@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    indicator = access.get_visible_or_404(
        user, Indicator, pk, action="change", purpose=PURPOSE, audit=request.method == "GET"
    )
    conflict = None
    if request.method == "POST":

        def save(form: forms.Form, version: int) -> Indicator:
            assert isinstance(form, IndicatorForm)
            return services.change_indicator(user, indicator, expected_version=version, data=form.service_values())

        edit = versioned_edit(
            request,
            lambda data: IndicatorForm(data, editing=True),
            save,
            conflict_message=str(INDICATOR_CONFLICT_MESSAGE),
        )
        if edit.saved is not None:
            messages.success(request, _("The value of %(indicator)s is saved.") % {"indicator": edit.saved})
            return redirect("reports:indicator-list")
        form, conflict = edit.form, edit.conflict
    else:
        form = IndicatorForm(initial=IndicatorForm.initial_for(indicator), editing=True)
    context = {
        "form": form,
        "indicator": indicator,
        "conflict_rows": _indicator_conflict_rows(conflict) if isinstance(conflict, Indicator) else None,
        "title": _("Change the value of %(indicator)s") % {"indicator": indicator},
        "crumbs": [_list_crumb(), _indicators_crumb(), (None, str(indicator))],
    }
    return render(request, "reports/indicator_form.html", context)


@require_http_methods(["GET", "POST"])
def indicator_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a value entered by mistake, after a confirmation page. Reports built already keep it."""
    user = staff_of(request)
    indicator = access.get_visible_or_404(
        user, Indicator, pk, action="delete", purpose=PURPOSE, audit=request.method == "GET"
    )
    if request.method == "POST":
        name = str(indicator)
        services.delete_indicator(user, indicator)
        messages.success(request, _("The value of %(indicator)s is deleted.") % {"indicator": name})
        return redirect("reports:indicator-list")
    context = {
        "indicator": indicator,
        "title": _("Delete the value"),
        "crumbs": [_list_crumb(), _indicators_crumb(), (None, _("Delete the value"))],
    }
    return render(request, "reports/indicator_delete.html", context)


# --- The plan -------------------------------------------------------------------------------------------


def _plan_conflict_rows(conflict: ReportPlan) -> list[tuple[str, Any]]:
    yes, no = _("Yes"), _("No")
    return [
        (_("Baseline year"), conflict.baseline_year),
        (_("Quarterly reports on schedule"), yes if conflict.quarterly else no),
        (_("Yearly reports on schedule"), yes if conflict.yearly else no),
    ]


@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest) -> HttpResponse:
    """The baseline year every new report compares against, and which reports the schedule builds."""
    user = staff_of(request)
    _require_role(user, "change", ReportPlan)
    assert user.program is not None
    plan = services.plan_for(user.program)
    conflict = None
    if request.method == "POST":

        def save(form: forms.Form, version: int) -> ReportPlan:
            changes = {key: form.cleaned_data[key] for key in ("baseline_year", "quarterly", "yearly")}
            return services.change_plan(user, plan, expected_version=version, changes=changes)

        edit = versioned_edit(request, PlanForm, save, conflict_message=str(PLAN_CONFLICT_MESSAGE))
        if edit.saved is not None:
            messages.success(request, _("The report plan is saved."))
            return redirect("reports:list")
        form, conflict = edit.form, edit.conflict
    else:
        audit_record(actor=user, action=AuditAction.VIEW, obj=plan, purpose=PURPOSE)
        initial = {
            "baseline_year": plan.baseline_year,
            "quarterly": plan.quarterly,
            "yearly": plan.yearly,
            "version": plan.version,
        }
        form = PlanForm(initial=initial)
    context = {
        "form": form,
        "plan": plan,
        "conflict_rows": _plan_conflict_rows(conflict) if isinstance(conflict, ReportPlan) else None,
        "title": _("Report plan"),
        "crumbs": [_list_crumb(), (None, _("Report plan"))],
    }
    return render(request, "reports/plan.html", context)
