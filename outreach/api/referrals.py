"""Referrals to the exit program over the API: the same policy, selectors, services and audit as the pages.

The receiving municipality lists and handles its referrals in full. The referrer and their team follow
only the status of their own (access.PARTIAL_FIELDS for `view_status`: never the reason, the assessment
or why it was declined) — a different serializer, not fields hidden ad hoc. A referral from another
agency shares the person's identity, so it needs a legal basis (and a consent when the basis is consent):
the consent gate answers 400 on `legal_basis` or `consent` and saves nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.base import require_role, visible_person
from cases.models import Consent, LegalBasis, Person
from gvi import access
from gvi.accounts import selectors as accounts_selectors
from gvi.accounts.models import Staff
from gvi.api import IF_MATCH, BoundedDateField, PreconditionFailed, etag, staff_of
from gvi.concurrency import StaleVersion
from outreach import selectors, services
from outreach.api.base import PURPOSE, ExitProgramViewSet, caseworker, check_if_match, id_field
from outreach.api.cases import ExitCaseSerializer
from outreach.models import ExitCase, Referral, Urgency

CHOOSE_RECEIVER = _("Choose the social services of a municipality in this program.")
CHOOSE_TEAM = _("Choose a team of the receiving municipality.")
CHOOSE_CONSENT = _("Choose a consent of this person.")


def referral_target(user: Staff, person: Person, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve (and pop) a referral's receiving municipality, team and consent ids from validated request
    data into the objects the referral service takes; a field error, the same for hidden and missing ones."""
    wanted = data.pop("receiving_agency")
    agency = next((a for a in services.referral_receivers(user.program_id or 0) if a.pk == wanted), None)
    if agency is None:
        raise serializers.ValidationError({"receiving_agency": [CHOOSE_RECEIVER]})
    team_id = data.pop("receiving_team", None)
    team = None
    if team_id is not None:
        team = accounts_selectors.agency_team(agency=agency, pk=team_id)
        if team is None:
            raise serializers.ValidationError({"receiving_team": [CHOOSE_TEAM]})
    consent_id = data.pop("consent", None)
    consent = None
    if consent_id is not None:
        consent = access.visible(user, Consent).filter(person=person, pk=consent_id).first()
        if consent is None:
            raise serializers.ValidationError({"consent": [CHOOSE_CONSENT]})
    return {**data, "receiving_agency": agency, "receiving_team": team, "consent": consent}


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    """A referral in full: what the receiving municipality sees."""

    receiving_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)
    receiving_team = serializers.IntegerField(source="receiving_team_id", read_only=True, allow_null=True)
    referring_agency = serializers.IntegerField(source="referring_agency_id", read_only=True, allow_null=True)
    referred_by = serializers.IntegerField(source="referred_by_id", read_only=True, allow_null=True)
    person = serializers.IntegerField(
        source="person_id", read_only=True, allow_null=True, help_text="The receiving agency's own record."
    )
    cross_agency = serializers.BooleanField(source="is_cross_agency", read_only=True)
    exit_case = serializers.SerializerMethodField(help_text="The exit case opened on the referral.")

    class Meta:
        model = Referral
        fields = [
            "id",
            "status",
            "status_changed_at",
            "source",
            "receiving_agency",
            "receiving_team",
            "referring_agency",
            "referred_by",
            "referrer_name",
            "person",
            "given_name",
            "family_name",
            "identity_number",
            "birth_year",
            "reason",
            "urgency",
            "received_on",
            "assessment",
            "decline_reason",
            "cross_agency",
            "exit_case",
            "version",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_exit_case(self, obj: Referral) -> int | None:
        try:
            return obj.exit_case.pk
        except ExitCase.DoesNotExist:
            return None


class ReferralStatusSerializer(serializers.Serializer[Referral]):
    """What the referrer and their team see: the status and dates (access.PARTIAL_FIELDS, `view_status`)."""

    id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    source = serializers.ChoiceField(choices=Referral.Source.choices, read_only=True)  # type: ignore[assignment]
    source_person = serializers.IntegerField(
        source="source_person_id", read_only=True, help_text="The referrer's own record of the person."
    )
    receiving_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)
    received_on = serializers.DateField(read_only=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True)
    status = serializers.ChoiceField(choices=Referral.Status.choices, read_only=True)
    status_changed_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Referral) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Exactly the declared fields of the partial view, whatever this class grows.
        return {name: data[name] for name in access.partial_fields(Referral, "view_status")}


class ReferralCreateSerializer(serializers.Serializer[Any]):
    source_person = id_field(help_text="Your agency's own record of the person.")
    receiving_agency = id_field(help_text="The municipality (its social services) the referral goes to.")
    receiving_team = id_field(required=False, allow_null=True, help_text="A team of it, usually the exit team.")
    reason = serializers.CharField(max_length=5000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=Referral.Source.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Within the municipality only (a school, a self-referral ...); from another agency it follows "
        "from the agency.",
    )
    referrer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    received_on = BoundedDateField(required=False, allow_null=True)
    legal_basis = serializers.ChoiceField(
        choices=LegalBasis.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required from another agency: the basis for sharing the person's identity (the consent gate).",
    )
    consent = id_field(required=False, allow_null=True, help_text="The person's consent, when the basis is consent.")


class ReferralFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Referral.Status.choices, required=False)
    open = serializers.BooleanField(required=False, default=False, help_text="Only received, assessed or accepted.")


class AssessSerializer(serializers.Serializer[Any]):
    assessment = serializers.CharField(max_length=5000)


class DecideSerializer(serializers.Serializer[Any]):
    accept = serializers.BooleanField()
    decline_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OpenCaseSerializer(serializers.Serializer[Any]):
    responsible = id_field(help_text="The social worker who holds the case (of your municipality, in a team).")
    opened_on = BoundedDateField(required=False, allow_null=True)


@extend_schema(tags=["exit program"])
class ReferralViewSet(ExitProgramViewSet):
    """Referrals to the exit program. The receiving municipality handles them in full; the referrer follows
    the status of their own (`sent/`, and the status fields on a read)."""

    model = Referral
    serializer_class = ReferralSerializer

    @extend_schema(parameters=[ReferralFilterSerializer])
    def list(self, request: Request) -> Response:
        """The referrals your team or municipality received."""
        user = staff_of(request)
        access.require(user, "view", Referral)
        filters = self.filters(request, ReferralFilterSerializer)
        items = selectors.referrals_received(user, status=filters.get("status", ""), open_only=filters["open"])
        return self.audited_page(user, items)

    @extend_schema(responses=ReferralStatusSerializer(many=True))
    @action(detail=False, methods=["get"])
    def sent(self, request: Request) -> Response:
        """The status of the referrals you or your team sent."""
        user = staff_of(request)
        access.require(user, "view_status", Referral)
        items = selectors.referrals_sent(user).order_by("-received_on", "-id")
        return self.audited_page(user, items, ReferralStatusSerializer, detail={"access": "view_status"})

    @extend_schema(
        description="The referral in full for the receiving side; for the referrer only the status fields: "
        + ", ".join(access.partial_fields(Referral, "view_status"))
        + ".",
        responses=ReferralSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        referral, full = selectors.referral_for(staff_of(request), pk, purpose=PURPOSE)
        if not full:
            return Response(ReferralStatusSerializer(referral).data)
        return Response(self.get_serializer(referral).data, headers={"ETag": etag(referral)})

    @extend_schema(request=ReferralCreateSerializer, responses={201: ReferralSerializer})
    def create(self, request: Request) -> Response:
        """Refer a person. From another agency the identity is shared on `legal_basis` (the consent gate)."""
        user = staff_of(request)
        require_role(user, "add", Referral)
        body = ReferralCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        person = visible_person(user, data.pop("source_person"), field="source_person")
        referral = services.referral_create(actor=user, source_person=person, **referral_target(user, person, data))
        if access.can(user, "view", referral):
            return Response(self.get_serializer(referral).data, status=status.HTTP_201_CREATED)
        # From another agency the referrer follows the status only.
        return Response(ReferralStatusSerializer(referral).data, status=status.HTTP_201_CREATED)

    def _for_change(self, request: Request, pk: str) -> Referral:
        referral = access.get_visible_or_404(
            staff_of(request), Referral, pk, action="change", purpose=PURPOSE, audit=False
        )
        check_if_match(request, referral)
        return referral

    @extend_schema(parameters=[IF_MATCH], request=AssessSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str) -> Response:
        """Record the assessment (never shown to the referrer)."""
        referral = self._for_change(request, pk)
        body = AssessSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            referral = services.referral_assess(
                actor=staff_of(request), referral=referral, version=referral.version, **body.validated_data
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return Response(self.get_serializer(referral).data, headers={"ETag": etag(referral)})

    @extend_schema(parameters=[IF_MATCH], request=DecideSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        """Accept, or decline with a reason (the referrer sees only that it was declined)."""
        referral = self._for_change(request, pk)
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            referral = services.referral_decide(
                actor=staff_of(request), referral=referral, version=referral.version, **body.validated_data
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return Response(self.get_serializer(referral).data, headers={"ETag": etag(referral)})

    @extend_schema(parameters=[IF_MATCH], request=OpenCaseSerializer, responses={201: ExitCaseSerializer})
    @action(detail=True, methods=["post"], url_path="open-case")
    def open_case(self, request: Request, pk: str) -> Response:
        """Open the exit case of an accepted referral; answers with the case."""
        user = staff_of(request)
        referral = self._for_change(request, pk)
        body = OpenCaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        responsible = caseworker(user, body.validated_data["responsible"])
        try:
            case = services.referral_open_case(
                actor=user,
                referral=referral,
                version=referral.version,
                responsible=responsible,
                opened_on=body.validated_data.get("opened_on"),
            )
        except StaleVersion:
            raise PreconditionFailed from None
        case = ExitCase.objects.select_related("person", "responsible", "team").get(pk=case.pk)
        return Response(
            ExitCaseSerializer(case, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(case)},
        )


__all__ = ["ReferralSerializer", "ReferralStatusSerializer", "ReferralViewSet"]
