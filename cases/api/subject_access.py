"""Subject access exports (registerutdrag) over the API: the same policy, services and audit as the pages.

Create a draft of your agency's own record of a person, read it (the draft items with their redaction
state), mark what secrecy withholds (`redact`, with If-Match), `release` it, and `download` the PDF or JSON.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases import services
from cases.api.base import CaseViewSet, PersonFilterSerializer, check_if_match, id_field, require_role, visible_person
from cases.models.disclosure import SubjectAccessExport
from cases.subject_access import LEGAL_BASIS, DraftItem, WithholdingReason, draft_items
from cases.views.subject_access import AUDIT_OBJECT_TYPE, FORMATS, PURPOSE, released_file
from gvi import access
from gvi.api import IF_MATCH, BoundedDateField, PreconditionFailed, etag, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion


class SubjectAccessExportSerializer(serializers.ModelSerializer[SubjectAccessExport]):
    person = id_field(source="person_id", help_text="Your agency's record of the person.")
    requested_on = BoundedDateField(help_text="The day the person asked for a copy of what is held about them.")
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    released_by = serializers.IntegerField(source="released_by_id", read_only=True, allow_null=True)
    pdf_url = serializers.SerializerMethodField()
    json_url = serializers.SerializerMethodField()

    class Meta:
        model = SubjectAccessExport
        fields = [
            "id",
            "person",
            "requested_on",
            "status",
            "redactions",
            "created_at",
            "created_by",
            "released_at",
            "released_by",
            "pdf_url",
            "json_url",
            "version",
        ]
        read_only_fields = ["id", "status", "redactions", "created_at", "released_at", "version"]

    def _download(self, obj: SubjectAccessExport, fmt: str) -> str | None:
        if obj.status != SubjectAccessExport.Status.RELEASED:
            return None
        return f"{reverse('api:subjectaccessexport-download', kwargs={'pk': obj.pk})}?fmt={fmt}"

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf_url(self, obj: SubjectAccessExport) -> str | None:
        return self._download(obj, "pdf")

    @extend_schema_field(OpenApiTypes.URI)
    def get_json_url(self, obj: SubjectAccessExport) -> str | None:
        return self._download(obj, "json")


class DraftItemSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="Stable: a redaction names it.")
    category = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    when = serializers.DateTimeField(allow_null=True)
    withheld = serializers.ChoiceField(
        choices=WithholdingReason.choices, allow_null=True, help_text="The reason it is withheld; null if released."
    )


class SubjectAccessDetailSerializer(SubjectAccessExportSerializer):
    items = serializers.SerializerMethodField()

    class Meta(SubjectAccessExportSerializer.Meta):
        fields = [*SubjectAccessExportSerializer.Meta.fields, "items"]

    @extend_schema_field(DraftItemSerializer(many=True))
    def get_items(self, obj: SubjectAccessExport) -> list[dict[str, Any]]:
        items: list[DraftItem] = self.context["items"]
        rows = [{**item.__dict__, "withheld": obj.redactions.get(item.key)} for item in items]
        return list(DraftItemSerializer(rows, many=True).data)


class RedactSerializer(serializers.Serializer[Any]):
    redactions = serializers.DictField(
        child=serializers.ChoiceField(choices=WithholdingReason.choices),
        help_text="Item key -> reason, for every item to withhold (replaces the earlier marks).",
    )


class DownloadSerializer(serializers.Serializer[Any]):
    fmt = serializers.ChoiceField(choices=sorted(FORMATS), default="pdf", help_text="pdf (the default) or json")


@extend_schema(tags=["case files"])
class SubjectAccessViewSet(CaseViewSet):
    """Subject access exports (registerutdrag) of your agency's person records: draft, secrecy review,
    release. Every step is audited with the legal basis."""

    model = SubjectAccessExport
    serializer_class = SubjectAccessExportSerializer

    @extend_schema(parameters=[PersonFilterSerializer])
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        require_role(user, "view", SubjectAccessExport)
        filters = self.filters(request, PersonFilterSerializer)
        exports = self.get_queryset()
        if "person" in filters:
            exports = exports.filter(person_id=filters["person"])
        return self.audited_page(user, exports.order_by("-created_at", "-id"))

    def _detail(self, request: Request, export: SubjectAccessExport, *, code: int = status.HTTP_200_OK) -> Response:
        """The export with its draft items (one LIST event for the items shown) and its ETag."""
        user = staff_of(request)
        items = draft_items(user, export.person)
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=AUDIT_OBJECT_TYPE,
            object_ids=[item.key for item in items],
            purpose=PURPOSE,
            legal_basis=LEGAL_BASIS,
            detail={"shown_on": f"{export._meta.label_lower}:{export.pk}"},
        )
        context = {**self.get_serializer_context(), "items": items}
        data = SubjectAccessDetailSerializer(export, context=context).data
        return Response(data, status=code, headers={"ETag": etag(export)})

    @extend_schema(responses=SubjectAccessDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        export = access.get_visible_or_404(staff_of(request), SubjectAccessExport, pk, purpose=PURPOSE)
        return self._detail(request, export)

    @extend_schema(responses={201: SubjectAccessDetailSerializer})
    def create(self, request: Request) -> Response:
        user = staff_of(request)
        require_role(user, "add", SubjectAccessExport)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = visible_person(user, data["person_id"], action="change")
        export = services.subject_access_create(actor=user, person=person, requested_on=data["requested_on"])
        return self._detail(request, export, code=status.HTTP_201_CREATED)

    @extend_schema(request=RedactSerializer, responses=SubjectAccessDetailSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def redact(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        export = access.get_visible_or_404(user, SubjectAccessExport, pk, action="change", purpose=PURPOSE)
        check_if_match(request, export)
        body = RedactSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            export = services.subject_access_redact(
                actor=user, export=export, version=export.version, redactions=body.validated_data["redactions"]
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return self._detail(request, export)

    @extend_schema(request=None, responses=SubjectAccessExportSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        export = access.get_visible_or_404(user, SubjectAccessExport, pk, action="change", purpose=PURPOSE)
        export = services.subject_access_release(actor=user, export=export)
        return Response(self.get_serializer(export).data, headers={"ETag": etag(export)})

    @extend_schema(
        summary="Download the released PDF or JSON",
        parameters=[DownloadSerializer],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such export, or not released."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> HttpResponseBase:
        user = staff_of(request)
        export = access.get_visible_or_404(user, SubjectAccessExport, pk, purpose=PURPOSE)
        query = self.filters(request, DownloadSerializer)
        return released_file(user, export, query["fmt"])
