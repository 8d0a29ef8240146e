"""Consents, shares and reports of concern over the API: the same policy, selectors, services and audit
as the pages.

A share is seen by the agency that made it and by its recipient; only the recipient sees which of its
own records it linked the share to. The sender of a report of concern sees that it was received
(access.PARTIAL_FIELDS for `view_status`), never what social services decided.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cases import selectors, services
from cases.api.base import (
    PURPOSE,
    CaseViewSet,
    PersonFilterSerializer,
    agency_team,
    check_if_match,
    id_field,
    program_agencies,
    program_agency,
    require_role,
    visible_person,
)
from cases.models import ConcernReport, Consent, Guardian, LegalBasis, Share, ShareSubject
from cases.services.concern import receiving_social_services
from gvi import access
from gvi.api import IF_MATCH, BoundedDateField, PreconditionFailed, etag, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion
from gvi.uploads import download

CHOOSE_GUARDIANS = _("Choose guardians of this person.")
CHOOSE_CONSENT = _("Choose a consent of this person.")
CHOOSE_SOCIAL_SERVICES = _("Choose the social services of a municipality in this program.")


@extend_schema_field(
    {"type": "array", "items": {"type": "string"}, "description": "One or more of: " + ", ".join(ShareSubject.values)}
)
class SubjectListField(serializers.ListField):
    """What a consent covers. Plain strings in the schema: the choices are described once, on the share."""

    child = serializers.ChoiceField(choices=ShareSubject.choices)


class IdListField(serializers.ListField):
    """Ids of related records: read from a many-to-many, written as a list of ids."""

    child = id_field()

    def to_representation(self, data: Any) -> list[int]:
        return [obj.pk for obj in data.all()]


# --------------------------------------------------------------------------------------------------
# Consents


class ConsentSerializer(serializers.ModelSerializer[Consent]):
    person = id_field(source="person_id", help_text="Your agency's record of the person.")
    given_on = BoundedDateField()
    recipients = IdListField(min_length=1, help_text="Agencies of the program that may receive.")
    subjects = SubjectListField(min_length=1, help_text="What may be shared.")
    guardians = IdListField(
        required=False, help_text="Guardians who consented: required when the person may be under 18."
    )
    document = serializers.FileField(
        write_only=True, required=False, help_text="The signed consent (PDF, JPEG or PNG, at most 10 MB); multipart."
    )
    document_url = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "person",
            "given_on",
            "recipients",
            "subjects",
            "guardians",
            "note",
            "document",
            "document_url",
            "active",
            "revoked_on",
            "revoked_at",
            "created_at",
            "created_by",
        ]
        read_only_fields = ["id", "revoked_on", "revoked_at", "created_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_document_url(self, obj: Consent) -> str | None:
        return reverse("api:consent-document", kwargs={"pk": obj.pk}) if obj.document else None


class ConsentRevokeSerializer(serializers.Serializer[Any]):
    revoked_on = BoundedDateField(required=False, help_text="The day the person withdrew consent; today if not given.")


@extend_schema(tags=["case files"])
class ConsentViewSet(CaseViewSet):
    """Consents (samtycke) recorded on your agency's person records. Revoking one ends its shares at once."""

    model = Consent
    serializer_class = ConsentSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(parameters=[PersonFilterSerializer])
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        access.require(user, "view", Consent)
        filters = self.filters(request, PersonFilterSerializer)
        consents = self.get_queryset()
        if "person" in filters:
            consents = consents.filter(person_id=filters["person"])
        consents = consents.prefetch_related("recipients", "guardians").order_by("-given_on", "-id")
        return self.audited_page(user, consents, ConsentSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        consent = access.get_visible_or_404(staff_of(request), Consent, pk, purpose=PURPOSE)
        return Response(ConsentSerializer(consent, context=self.get_serializer_context()).data)

    @extend_schema(
        request={"application/json": ConsentSerializer, "multipart/form-data": ConsentSerializer},
        responses={201: ConsentSerializer},
    )
    def create(self, request: Request) -> Response:
        user = staff_of(request)
        require_role(user, "add", Consent)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = visible_person(user, data.pop("person_id"), action="change")
        recipients = program_agencies(user, data.pop("recipients"), field="recipients")
        wanted = set(data.pop("guardians", []))
        guardians = list(access.visible(user, Guardian).filter(person=person, pk__in=wanted)) if wanted else []
        if len(guardians) != len(wanted):
            raise serializers.ValidationError({"guardians": [CHOOSE_GUARDIANS]})
        consent = services.consent_record(actor=user, person=person, recipients=recipients, guardians=guardians, **data)
        return Response(self.get_serializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConsentRevokeSerializer, responses=ConsentSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        consent = access.get_visible_or_404(user, Consent, pk, action="change", purpose=PURPOSE, audit=False)
        body = ConsentRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent = services.consent_revoke(actor=user, consent=consent, revoked_on=body.validated_data.get("revoked_on"))
        return Response(self.get_serializer(consent).data)

    @extend_schema(
        summary="Download the signed consent",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such consent, or no document."),
        },
    )
    @action(detail=True, methods=["get"])
    def document(self, request: Request, pk: str) -> HttpResponseBase:
        user = staff_of(request)
        consent = access.get_visible_or_404(user, Consent, pk, purpose=PURPOSE, audit=False)
        if not consent.document:
            raise NotFound
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            obj=consent,
            purpose=PURPOSE,
            detail={"access": "view", "file": "document", "person": consent.person_id},
        )
        return download(consent.document, filename=f"consent-{consent.pk}")


# --------------------------------------------------------------------------------------------------
# Shares


class ShareListSerializer(serializers.ListSerializer[Any]):
    """Finds in one query which linked records of the listed shares the user may open."""

    def to_representation(self, data: Any) -> list[Any]:
        shares = list(data.all() if hasattr(data, "all") else data)
        user = staff_of(self.context["request"])
        self.child.context["visible_links"] = selectors.visible_person_ids(  # type: ignore[index,union-attr]
            user, [share.recipient_person_id for share in shares]
        )
        return super().to_representation(shares)


class ShareSerializer(serializers.ModelSerializer[Share]):
    person = id_field(source="person_id", help_text="The sending agency's record of the person.")
    receiving_agency = id_field(source="receiving_agency_id")
    receiving_team = id_field(
        source="receiving_team_id",
        required=False,
        allow_null=True,
        help_text="A team of the receiving agency; without one, only those whose scope is the whole agency see it.",
    )
    consent = id_field(
        source="consent_id", required=False, allow_null=True, help_text="Required when the legal basis is consent."
    )
    valid_until = BoundedDateField(help_text="The last day the share works (at most a year ahead).")
    direction = serializers.SerializerMethodField(help_text="sent (by your agency) or received")
    recipient_person = serializers.SerializerMethodField(
        help_text="The recipient's own record the share is linked to; shown to the recipient only."
    )
    status = serializers.CharField(read_only=True, help_text="active, revoked, consent_revoked or expired")
    owner_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)

    class Meta:
        model = Share
        list_serializer_class = ShareListSerializer
        fields = [
            "id",
            "direction",
            "owner_agency",
            "person",
            "subject",
            "scope",
            "receiving_agency",
            "receiving_team",
            "legal_basis",
            "consent",
            "purpose",
            "note_to_recipient",
            "valid_until",
            "recipient_person",
            "status",
            "ended_at",
            "ended_reason",
            "created_at",
        ]
        read_only_fields = ["id", "ended_at", "ended_reason", "created_at"]

    def _received(self, obj: Share) -> bool:
        return obj.owner_agency_id != staff_of(self.context["request"]).agency_id

    def get_direction(self, obj: Share) -> str:
        return "received" if self._received(obj) else "sent"

    @extend_schema_field(OpenApiTypes.INT)
    def get_recipient_person(self, obj: Share) -> int | None:
        # The sender never learns whether the recipient linked the share to a record of its own; a
        # recipient learns of the linked record only if they may open it.
        if not self._received(obj):
            return None
        visible = self.context.get("visible_links")
        if visible is None:
            visible = selectors.visible_person_ids(staff_of(self.context["request"]), [obj.recipient_person_id])
        return obj.recipient_person_id if obj.recipient_person_id in visible else None


class ShareFilterSerializer(serializers.Serializer[Any]):
    direction = serializers.ChoiceField(
        choices=["sent", "received", "both"],
        required=False,
        default="both",
        help_text="Shares your agency made or received.",
    )
    person = id_field(required=False, help_text="Shares of (sent) or linked to (received) this record.")


class ShareLinkSerializer(serializers.Serializer[Any]):
    person = id_field(allow_null=True, help_text="Your agency's own record of the person, or null to unlink.")


@extend_schema(tags=["case files"])
class ShareViewSet(CaseViewSet):
    """Shares your agency made or received. A share works until the end of its last valid day, until it is
    revoked, or until the consent it rests on is revoked."""

    model = Share
    serializer_class = ShareSerializer

    @extend_schema(parameters=[ShareFilterSerializer])
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        access.require(user, "view", Share)
        filters = self.filters(request, ShareFilterSerializer)
        shares = self.get_queryset()
        if filters["direction"] == "sent":
            shares = shares.filter(owner_agency_id=user.agency_id)
        elif filters["direction"] == "received":
            shares = shares.exclude(owner_agency_id=user.agency_id)
        if "person" in filters:
            shares = shares.filter(person_id=filters["person"]) | shares.filter(recipient_person_id=filters["person"])
        return self.audited_page(user, shares.order_by("-created_at", "-id"), ShareSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        share = access.get_visible_or_404(staff_of(request), Share, pk, purpose=PURPOSE)
        return Response(self.get_serializer(share).data)

    @extend_schema(responses={201: ShareSerializer})
    def create(self, request: Request) -> Response:
        user = staff_of(request)
        require_role(user, "add", Share)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = visible_person(user, data.pop("person_id"))
        agency = program_agency(user, data.pop("receiving_agency_id"), field="receiving_agency")
        team_id = data.pop("receiving_team_id", None)
        team = agency_team(agency, team_id, field="receiving_team") if team_id is not None else None
        consent_id = data.pop("consent_id", None)
        consent = None
        if consent_id is not None:
            consent = access.visible(user, Consent).filter(person=person, pk=consent_id).first()
            if consent is None:
                raise serializers.ValidationError({"consent": [CHOOSE_CONSENT]})
        share = services.share_create(
            actor=user, person=person, receiving_agency=agency, receiving_team=team, consent=consent, **data
        )
        return Response(self.get_serializer(share).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ShareSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        share = access.get_visible_or_404(user, Share, pk, action="change", purpose=PURPOSE, audit=False)
        return Response(self.get_serializer(services.share_revoke(actor=user, share=share)).data)

    @extend_schema(request=ShareLinkSerializer, responses=ShareSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: str) -> Response:
        """The receiving agency links a share to its own record of the person (null unlinks)."""
        user = staff_of(request)
        share = access.get_visible_or_404(user, Share, pk, purpose=PURPOSE, audit=False)
        if share.receiving_agency_id != user.agency_id:
            # Only a recipient links; to the sender the action does not exist.
            raise NotFound
        body = ShareLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pk_linked = body.validated_data["person"]
        person = None if pk_linked is None else visible_person(user, pk_linked, action="change")
        return Response(self.get_serializer(services.share_link(actor=user, share=share, person=person)).data)


# --------------------------------------------------------------------------------------------------
# Reports of concern


class ConcernSerializer(serializers.ModelSerializer[ConcernReport]):
    person = id_field(source="person_id", write_only=True, help_text="Your agency's record of the child.")
    receiving_agency = id_field(
        source="receiving_agency_id", help_text="The municipality whose social services receive it."
    )
    owner_agency = serializers.IntegerField(source="owner_agency_id", read_only=True, help_text="The sender's agency.")
    received_by = serializers.IntegerField(source="received_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ConcernReport
        fields = [
            "id",
            "person",
            "owner_agency",
            "receiving_agency",
            "child_given_name",
            "child_family_name",
            "child_identity_number",
            "child_birth_year",
            "concern",
            "urgent",
            "reporter_phone",
            "received_at",
            "received_by",
            "outcome",
            "assessment",
            "version",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "child_given_name",
            "child_family_name",
            "child_identity_number",
            "child_birth_year",
            "received_at",
            "outcome",
            "assessment",
            "version",
            "created_at",
        ]


class ConcernStatusSerializer(serializers.Serializer[ConcernReport]):
    """What the sender sees: that the report was received (access.PARTIAL_FIELDS, `view_status`)."""

    id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    receiving_agency = serializers.IntegerField(source="receiving_agency_id", read_only=True)
    received_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ConcernAssessSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=ConcernReport.Outcome.choices)
    assessment = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


def _status_only(report: ConcernReport) -> dict[str, Any]:
    data = ConcernStatusSerializer(report).data
    return {name: data[name] for name in access.partial_fields(ConcernReport, "view_status")}


@extend_schema(tags=["case files"])
class ConcernViewSet(CaseViewSet):
    """Reports of concern (orosanmälan). Social services list and handle those sent to them; the sender's
    team reads only whether theirs was received."""

    model = ConcernReport
    serializer_class = ConcernSerializer

    def list(self, request: Request) -> Response:
        user = staff_of(request)
        access.require(user, "view", ConcernReport)
        return self.audited_page(user, selectors.concern_reports_received(user), ConcernSerializer)

    @extend_schema(
        description="The report in full for the receiving social services; for the sender only id, created_at, "
        "receiving_agency and received_at.",
        responses=ConcernSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        report = access.visible(user, ConcernReport, pk=pk).first()
        if report is None:
            report = access.get_visible_or_404(user, ConcernReport, pk, action="view_status", purpose=PURPOSE)
            return Response(_status_only(report))
        audit_record(actor=user, action=AuditAction.VIEW, obj=report, purpose=PURPOSE, detail={"access": "view"})
        return Response(self.get_serializer(report).data, headers={"ETag": etag(report)})

    @extend_schema(responses={201: ConcernStatusSerializer})
    def create(self, request: Request) -> Response:
        user = staff_of(request)
        require_role(user, "add", ConcernReport)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = visible_person(user, data.pop("person_id"))
        wanted = data.pop("receiving_agency_id")
        agency = next((a for a in receiving_social_services(person.program_id) if a.pk == wanted), None)
        if agency is None:
            raise serializers.ValidationError({"receiving_agency": [CHOOSE_SOCIAL_SERVICES]})
        report = services.concern_file(actor=user, person=person, receiving_agency=agency, **data)
        # The sender follows only whether it was received.
        return Response(_status_only(report), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ConcernSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        report = access.get_visible_or_404(user, ConcernReport, pk, action="change", purpose=PURPOSE, audit=False)
        report = services.concern_receive(actor=user, report=report)
        return Response(self.get_serializer(report).data, headers={"ETag": etag(report)})

    @extend_schema(parameters=[IF_MATCH], request=ConcernAssessSerializer, responses=ConcernSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        report = access.get_visible_or_404(user, ConcernReport, pk, action="change", purpose=PURPOSE, audit=False)
        check_if_match(request, report)
        body = ConcernAssessSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            report = services.concern_assess(actor=user, report=report, version=report.version, **body.validated_data)
        except StaleVersion:
            raise PreconditionFailed from None
        return Response(self.get_serializer(report).data, headers={"ETag": etag(report)})


__all__ = ["ConcernViewSet", "ConsentViewSet", "LegalBasis", "ShareViewSet"]
