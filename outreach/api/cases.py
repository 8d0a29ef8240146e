"""Exit cases and caseloads over the API: the same policy, selectors, services and audit as the pages.

A social worker reaches her own and her team's cases, the exit coordinator the whole municipality's; only
the coordinator reassigns. Changes need If-Match with the ETag of a read: 428 without it, 412 when
someone saved in between.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gvi import access
from gvi.api import IF_MATCH, BoundedDateField, PreconditionFailed, etag, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion
from outreach import selectors, services
from outreach.api.base import PURPOSE, ExitProgramViewSet, caseworker, check_if_match, id_field
from outreach.models import ExitCase


class ExitCaseSerializer(serializers.ModelSerializer[ExitCase]):
    person = serializers.IntegerField(source="person_id", read_only=True, help_text="The municipality's own record.")
    person_name = serializers.SerializerMethodField()
    referral = serializers.IntegerField(source="referral_id", read_only=True, allow_null=True)
    responsible = serializers.IntegerField(source="responsible_id", read_only=True)
    responsible_name = serializers.SerializerMethodField()
    team = serializers.IntegerField(source="team_id", read_only=True)
    follow_up_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ExitCase
        fields = [
            "id",
            "person",
            "person_name",
            "referral",
            "responsible",
            "responsible_name",
            "team",
            "opened_on",
            "closed_on",
            "phase",
            "outcome",
            "closing_note",
            "next_follow_up_on",
            "follow_up_overdue",
            "last_contact_on",
            "threat_level",
            "threat_review_on",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [name for name in fields if name != "phase"]

    def get_person_name(self, obj: ExitCase) -> str:
        return f"{obj.person.given_name} {obj.person.family_name}"

    def get_responsible_name(self, obj: ExitCase) -> str:
        return obj.responsible.get_full_name() or obj.responsible.get_username()

    def get_follow_up_overdue(self, obj: ExitCase) -> bool:
        return obj.follow_up_overdue(timezone.localdate())


class PhaseSerializer(serializers.Serializer[Any]):
    phase = serializers.ChoiceField(choices=ExitCase.Phase.choices)


class CloseSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=ExitCase.Outcome.choices)
    closed_on = BoundedDateField(required=False, allow_null=True, help_text="Today if not given.")
    closing_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReassignSerializer(serializers.Serializer[Any]):
    responsible = id_field(help_text="A social worker of your municipality who is in a team.")


class ExitCaseFilterSerializer(serializers.Serializer[Any]):
    whose = serializers.ChoiceField(
        choices=["all", "mine", "team"], required=False, default="all", help_text="Yours, your team's, or all."
    )
    phase = serializers.ChoiceField(choices=ExitCase.Phase.choices, required=False)
    state = serializers.ChoiceField(choices=["open", "closed", "all"], required=False, default="open")
    overdue = serializers.BooleanField(required=False, default=False, help_text="Only overdue follow-ups.")
    search = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="The person's names.")
    sort = serializers.ChoiceField(choices=list(selectors.CASE_SORTS), required=False, default="follow-up")


@extend_schema(tags=["exit program"])
class ExitCaseViewSet(ExitProgramViewSet):
    """Exit cases: yours and your team's (social worker), the municipality's (exit coordinator). Exit cases
    are opened from an accepted referral (`referrals/{id}/open-case/`)."""

    model = ExitCase
    serializer_class = ExitCaseSerializer

    @extend_schema(parameters=[ExitCaseFilterSerializer])
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        access.require(user, "view", ExitCase)
        filters = self.filters(request, ExitCaseFilterSerializer)
        items = selectors.exit_cases(
            user,
            whose="" if filters["whose"] == "all" else filters["whose"],
            phase=filters.get("phase", ""),
            state="" if filters["state"] == "all" else filters["state"],
            overdue=filters["overdue"],
            term=filters.get("search", ""),
            sort=filters["sort"],
        )
        return self.audited_page(user, items)

    def retrieve(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        case = selectors.exit_case_for(user, pk, purpose=PURPOSE)
        return Response(self.get_serializer(case).data, headers={"ETag": etag(case)})

    def _for_change(self, request: Request, pk: str) -> ExitCase:
        case = access.get_visible_or_404(staff_of(request), ExitCase, pk, action="change", purpose=PURPOSE, audit=False)
        check_if_match(request, case)
        return case

    def _answer(self, case: ExitCase) -> Response:
        case = ExitCase.objects.select_related("person", "responsible", "team").get(pk=case.pk)
        return Response(self.get_serializer(case).data, headers={"ETag": etag(case)})

    @extend_schema(parameters=[IF_MATCH], request=PhaseSerializer, responses=ExitCaseSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Move the case to another phase (the only field changed here)."""
        case = self._for_change(request, pk)
        body = PhaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            case = services.exit_case_update(
                actor=staff_of(request), case=case, version=case.version, phase=body.validated_data["phase"]
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(case)

    @extend_schema(parameters=[IF_MATCH], request=CloseSerializer, responses=ExitCaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Close the case with its outcome."""
        case = self._for_change(request, pk)
        body = CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            case = services.exit_case_close(
                actor=staff_of(request), case=case, version=case.version, **body.validated_data
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(case)

    @extend_schema(parameters=[IF_MATCH], request=ReassignSerializer, responses=ExitCaseSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str) -> Response:
        """Give the case to another social worker (exit coordinator only; audited)."""
        user = staff_of(request)
        if not access.role_allows(user, "reassign", ExitCase):
            access.audit_denied(user, ExitCase, pk, action="reassign", purpose=PURPOSE)
            raise NotFound
        case = self._for_change(request, pk)
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        responsible = caseworker(user, body.validated_data["responsible"])
        try:
            case = services.exit_case_reassign(actor=user, case=case, version=case.version, responsible=responsible)
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(case)


# --------------------------------------------------------------------------------------------------
# Caseload


class WorkerLoadSerializer(serializers.Serializer[Any]):
    worker = serializers.IntegerField(source="worker.pk")
    name = serializers.SerializerMethodField()
    open_cases = serializers.IntegerField()
    overdue = serializers.IntegerField()
    contacts_this_month = serializers.IntegerField()

    def get_name(self, obj: selectors.WorkerLoad) -> str:
        return obj.worker.get_full_name() or obj.worker.get_username()


CaseloadSerializer = inline_serializer(
    "Caseload",
    {
        "open_cases": serializers.IntegerField(help_text="Your open cases."),
        "overdue": serializers.IntegerField(help_text="Of those, with an overdue follow-up."),
        "contacts_this_month": serializers.IntegerField(),
        "cases": ExitCaseSerializer(many=True, help_text="Your open cases, the next follow-up first (at most 50)."),
        "team": WorkerLoadSerializer(many=True, allow_null=True, help_text="The team's load: exit coordinator only."),
    },
)


@extend_schema(tags=["exit program"], responses=CaseloadSerializer)
class CaseloadView(APIView):
    """Your caseload: your open cases, the overdue follow-ups among them and your contacts this month; for
    the exit coordinator also each worker's load."""

    def get(self, request: Request) -> Response:
        user = staff_of(request)
        if not access.role_allows(user, "view", ExitCase):
            raise NotFound
        load = selectors.caseload(user)
        team = selectors.team_load(user) if access.role_allows(user, "reassign", ExitCase) else None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=ExitCase._meta.label_lower,
            object_ids=[case.pk for case in load.open_cases],
            purpose=PURPOSE,
            detail={"view": "caseload"},
        )
        context = {"request": request}
        return Response(
            {
                "open_cases": len(load.open_cases),
                "overdue": len(load.overdue),
                "contacts_this_month": load.contacts_this_month,
                "cases": ExitCaseSerializer(load.open_cases, many=True, context=context).data,
                "team": None if team is None else WorkerLoadSerializer(team, many=True, context=context).data,
            }
        )


__all__ = ["CaseloadView", "ExitCaseSerializer", "ExitCaseViewSet"]
