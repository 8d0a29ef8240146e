"""Invitations to call-ins over the API: the same policy, selectors, services and audit as the pages.

The police read and change their invitations in full, each with the supervision status of the invitee
where they may see the probation section (own or shared). The probation officer reads the invitations of
her own clients only (access.PARTIAL_FIELDS for `view_client`) — a different serializer, not fields
hidden ad hoc — and confirms that her client will attend. A referral to the exit program goes through the
outreach referral service and its consent gate: 400 on `legal_basis` or `consent`, nothing saved.
Changes need If-Match with the ETag of a read: 428 without it, 412 when someone saved in between.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from cases.models import LegalBasis, ProbationSection
from cases.selectors import supervision_of
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import IF_MATCH, PreconditionFailed, etag, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion
from interventions import selectors, services
from interventions.api.base import PURPOSE, InterventionViewSet, check_if_match, full_or_partial, id_field
from interventions.letters import render_letters
from interventions.models import CallInInvitation
from outreach.api.referrals import referral_target


class InvitationSupervisionSerializer(serializers.Serializer[ProbationSection]):
    """The summary of the invitee's probation section (own or shared with the viewer)."""

    supervision_type = serializers.ChoiceField(choices=ProbationSection.Supervision.choices, read_only=True)
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)


class InvitationSerializer(serializers.ModelSerializer[CallInInvitation]):
    """An invitation in full: what the police see. `supervision` comes from the context (one look-up per
    page, never per row)."""

    call_in = serializers.IntegerField(source="call_in_id", read_only=True)
    person = serializers.IntegerField(source="person_id", read_only=True, help_text="The police's own record.")
    person_name = serializers.SerializerMethodField()
    referral = serializers.IntegerField(source="referral_id", read_only=True, allow_null=True)
    supervision = serializers.SerializerMethodField(
        help_text="The invitee's supervision, when you may see the probation section."
    )

    class Meta:
        model = CallInInvitation
        fields = [
            "id",
            "call_in",
            "person",
            "person_name",
            "status",
            "confirmed_at",
            "supervision",
            "asked_for_help",
            "help_note",
            "referral",
            "letter_printed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_person_name(self, obj: CallInInvitation) -> str:
        return obj.person.full_name

    @extend_schema_field(InvitationSupervisionSerializer(allow_null=True))
    def get_supervision(self, obj: CallInInvitation) -> dict[str, Any] | None:
        section = self.context.get("supervision", {}).get(obj.person_id)
        return None if section is None else dict(InvitationSupervisionSerializer(section).data)


class InvitationClientSerializer(serializers.Serializer[CallInInvitation]):
    """What the probation officer sees of her own client's invitation (`view_client`)."""

    id = serializers.IntegerField(read_only=True)
    call_in = serializers.IntegerField(source="call_in_id", read_only=True, help_text="Its schedule: call-ins/{id}/.")
    status = serializers.ChoiceField(choices=CallInInvitation.Status.choices, read_only=True)
    probation_person = serializers.IntegerField(
        source="probation_person_id", read_only=True, allow_null=True, help_text="Your own record of the client."
    )
    confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, instance: CallInInvitation) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Exactly the declared fields of the partial view, whatever this class grows.
        return {name: data[name] for name in access.partial_fields(CallInInvitation, "view_client")}


class InvitationFilterSerializer(serializers.Serializer[Any]):
    call_in = id_field(required=False, help_text="Only the invitations of this call-in.")
    status = serializers.ChoiceField(choices=CallInInvitation.Status.choices, required=False)


class InvitationStatusSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=CallInInvitation.Status.choices,
        help_text="Confirmed before the call-in; attended, left early or absent once it is held.",
    )


class InvitationHelpSerializer(serializers.Serializer[Any]):
    asked_for_help = serializers.BooleanField()
    help_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InvitationReferSerializer(serializers.Serializer[Any]):
    receiving_agency = id_field(help_text="The municipality (its social services) the referral goes to.")
    receiving_team = id_field(required=False, allow_null=True, help_text="A team of it, usually the exit team.")
    reason = serializers.CharField(max_length=5000)
    legal_basis = serializers.ChoiceField(
        choices=LegalBasis.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The basis for sharing the person's identity with the municipality (the consent gate).",
    )
    consent = id_field(required=False, allow_null=True, help_text="The person's consent, when the basis is consent.")


@extend_schema(tags=["call-ins"])
class InvitationViewSet(InterventionViewSet):
    """Invitations to call-ins: the police's in full; the probation officer's own clients' (`view_client`)."""

    model = CallInInvitation
    serializer_class = InvitationSerializer

    @extend_schema(
        parameters=[InvitationFilterSerializer],
        description="The police's invitations in full; for the probation officer her own clients' with only "
        + ", ".join(access.partial_fields(CallInInvitation, "view_client"))
        + ".",
    )
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        full = full_or_partial(user, CallInInvitation, "view_client")
        filters = self.filters(request, InvitationFilterSerializer)
        if full:
            items = (
                access.visible(user, CallInInvitation)
                .select_related("person")
                .order_by("-call_in__starts_at", "call_in_id", "person__family_name", "person__given_name", "id")
            )
        else:
            items = selectors.client_invitations(user)
        if "call_in" in filters:
            items = items.filter(call_in_id=filters["call_in"])
        if "status" in filters:
            items = items.filter(status=filters["status"])
        page = self.paginate_queryset(items)
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=CallInInvitation._meta.label_lower,
            object_ids=[obj.pk for obj in page],
            purpose=PURPOSE,
            detail={"access": "view" if full else "view_client", **filters},
        )
        serializer_class: type[serializers.BaseSerializer[Any]] = (
            InvitationSerializer if full else InvitationClientSerializer
        )
        context = {"supervision": supervision_of(user, [i.person_id for i in page])} if full else {}
        data = serializer_class(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def _answer(self, user: Staff, invitation: CallInInvitation, full: bool) -> Response:
        if not full:
            return Response(InvitationClientSerializer(invitation).data, headers={"ETag": etag(invitation)})
        supervision = supervision_of(user, [invitation.person_id])
        data = InvitationSerializer(invitation, context={"supervision": supervision}).data
        return Response(data, headers={"ETag": etag(invitation)})

    @extend_schema(
        description="The invitation in full for the police; for the probation officer of the invitee only "
        "the client fields.",
        responses=InvitationSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        invitation, full = selectors.invitation_for(user, pk, purpose=PURPOSE)
        return self._answer(user, invitation, full)

    def _for_change(self, request: Request, pk: str, action: str = "change") -> CallInInvitation:
        invitation = access.get_visible_or_404(
            staff_of(request), CallInInvitation, pk, action=action, purpose=PURPOSE, audit=False
        )
        check_if_match(request, invitation)
        return invitation

    @extend_schema(parameters=[IF_MATCH], request=InvitationStatusSerializer, responses=InvitationSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Set the status: confirmed before the call-in; attended, left early or absent once it is held."""
        user = staff_of(request)
        invitation = self._for_change(request, pk)
        body = InvitationStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invitation = services.invitation_set_status(
                actor=user, invitation=invitation, version=invitation.version, status=body.validated_data["status"]
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(user, invitation, True)

    @extend_schema(parameters=[IF_MATCH], request=None, responses=InvitationClientSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """The probation officer confirms that her client will attend."""
        user = staff_of(request)
        invitation = self._for_change(request, pk, action="confirm_attendance")
        invitation = services.invitation_confirm(actor=user, invitation=invitation)
        return self._answer(user, invitation, access.role_allows(user, "view", CallInInvitation))

    @extend_schema(parameters=[IF_MATCH], request=InvitationHelpSerializer, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def help(self, request: Request, pk: str) -> Response:
        """After the call-in: did the person ask for help, and for what."""
        user = staff_of(request)
        invitation = self._for_change(request, pk)
        body = InvitationHelpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invitation = services.invitation_help(
                actor=user, invitation=invitation, version=invitation.version, **body.validated_data
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(user, invitation, True)

    @extend_schema(parameters=[IF_MATCH], request=InvitationReferSerializer, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def refer(self, request: Request, pk: str) -> Response:
        """Refer the invitee who asked for help to the exit program. The person's identity is shared with the
        municipality on `legal_basis` (the consent gate: 400 on `legal_basis` or `consent`, nothing saved)."""
        user = staff_of(request)
        invitation = self._for_change(request, pk)
        body = InvitationReferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        invitation = services.invitation_refer(
            actor=user, invitation=invitation, **referral_target(user, invitation.person, data)
        )
        return self._answer(user, invitation, True)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The letter (PDF).")}
    )
    @action(detail=True, methods=["get"])
    def letter(self, request: Request, pk: str) -> HttpResponse:
        """The invitation letter as PDF (Swedish, for the invitee); every print is audited."""
        user = staff_of(request)
        if not access.role_allows(user, "print", CallInInvitation):
            access.audit_denied(user, CallInInvitation, pk, action="print", purpose=PURPOSE)
            raise NotFound
        invitation = access.get_visible_or_404(user, CallInInvitation, pk, purpose=PURPOSE, audit=False)
        invitation = (
            access.visible(user, CallInInvitation)
            .select_related("person", "call_in", "owner_agency")
            .get(pk=invitation.pk)
        )
        pdf = render_letters([invitation])
        services.letters_printed(actor=user, invitations=[invitation])
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="kallelse-{invitation.pk}.pdf"'
        # A letter names the invitee: no cache keeps a copy.
        response["Cache-Control"] = "private, no-store"
        return response


__all__ = ["InvitationClientSerializer", "InvitationSerializer", "InvitationViewSet"]
