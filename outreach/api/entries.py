"""The rows of an exit case over the API: contacts, threat assessments, relatives and support measures.

They follow their case (gvi/access.py CHILD_MODELS): whoever cannot see the case gets 404, the police
among them. A relative's phone and address with a protected identity are shown only to the holder of the
case's `view_contact` (the responsible social worker): for everyone else they are null and
`contact_hidden` is true. Updates need If-Match: 428 without it, 412 when someone saved in between
(nothing is overwritten: the stored text stays the first editor's).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from gvi import access
from gvi.accounts.models import Staff
from gvi.api import BoundedDateField, etag, staff_of
from outreach import selectors, services
from outreach.api.base import (
    PURPOSE,
    CaseFilterSerializer,
    EntryViewSet,
    IdListField,
    StrictIntegerField,
    id_field,
    program_agencies,
    program_staff,
    workable_case,
)
from outreach.models import Contact, ExitCase, Relative, SupportMeasure, ThreatAssessment, ThreatLevel
from outreach.services.cases import MEASURE_FIELDS

SET_WHEN_CREATED = "Set when the record is created; updates leave it unchanged."
CHOOSE_RELATIVE = _("Choose a relative of this case.")


def _create_only(serializer: serializers.Serializer[Any], fields: dict[str, Any], names: tuple[str, ...]) -> None:
    """Fields that name the row's place (its case, its relative) are fixed once it exists."""
    if serializer.instance is not None:
        for name in names:
            fields[name].read_only = True
            fields[name].required = False


class EntrySerializer(serializers.ModelSerializer[Any]):
    exit_case = id_field(source="exit_case_id", help_text=f"An open exit case you work on. {SET_WHEN_CREATED}")
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    ENTRY_FIELDS: ClassVar[list[str]] = ["id", "exit_case", "version", "created_at", "created_by", "updated_at"]
    CREATE_ONLY: ClassVar[tuple[str, ...]] = ("exit_case",)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        _create_only(self, fields, self.CREATE_ONLY)
        return fields


# --------------------------------------------------------------------------------------------------
# Contacts


class ContactSerializer(EntrySerializer):
    contact_on = BoundedDateField(required=False, help_text="Today if not given.")
    follow_up_on = BoundedDateField(required=False, allow_null=True)
    duration_minutes = StrictIntegerField(min_value=1, max_value=24 * 60, required=False, default=30)
    staff = IdListField(required=False, help_text="Staff of the program who took part.")
    agencies = IdListField(required=False, help_text="Agencies of the program that took part.")

    class Meta:
        model = Contact
        fields = [
            *EntrySerializer.ENTRY_FIELDS,
            "contact_on",
            "channel",
            "duration_minutes",
            "staff",
            "agencies",
            "note",
            "next_step",
            "follow_up_on",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["duration_minutes"].default = serializers.empty
        return fields


@extend_schema(tags=["exit program"])
class ContactViewSet(EntryViewSet):
    """The contact log of exit cases you work on."""

    model = Contact
    serializer_class = ContactSerializer
    filter_serializer_class = CaseFilterSerializer

    @extend_schema(parameters=[CaseFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def page_queryset(self, items: QuerySet[Any]) -> QuerySet[Any]:
        return items.prefetch_related("staff", "agencies").order_by("-contact_on", "-id")

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[Any]:
        """All the user's contacts are read through the ids of the few cases she works on (a caseworker's few
        dozen of the program's 20,000: PostgreSQL then reads just their contacts by index, /api/contacts/ at a
        million contacts 630 → 50 ms); one case's are read by its id already."""
        if "exit_case" in filters:
            return super().filtered_queryset(user, filters)
        return self.page_queryset(access.visible_through_parents(user, Contact, self.access_action))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user, pk = staff_of(request), kwargs["pk"]
        contact = selectors.child_for(user, Contact, pk, purpose=PURPOSE)
        return Response(self.get_serializer(contact).data, headers={"ETag": etag(contact)})

    def _participants(self, user: Staff, data: dict[str, Any]) -> dict[str, Any]:
        if "staff" in data:
            data["staff"] = program_staff(user, data["staff"])
        if "agencies" in data:
            data["agencies"] = program_agencies(user, data["agencies"])
        return data

    def create_record(self, user: Staff, data: dict[str, Any]) -> Contact:
        case = workable_case(user, data.pop("exit_case_id"))
        return services.contact_log(actor=user, case=case, **self._participants(user, data))

    def update_record(self, user: Staff, obj: Contact, data: dict[str, Any]) -> Contact:
        data.pop("exit_case_id", None)
        return services.contact_update(actor=user, contact=obj, version=obj.version, **self._participants(user, data))


# --------------------------------------------------------------------------------------------------
# Threat assessments


class ThreatAssessmentSerializer(EntrySerializer):
    assessed_on = BoundedDateField(required=False, help_text="Today if not given.")
    review_on = BoundedDateField()

    class Meta:
        model = ThreatAssessment
        fields = [*EntrySerializer.ENTRY_FIELDS, "assessed_on", "level", "summary", "review_on"]
        read_only_fields = ["id", "version", "created_at", "updated_at"]


@extend_schema(tags=["exit program"])
class ThreatAssessmentViewSet(EntryViewSet):
    """Threat assessments (hotbildsbedömningar): recorded, never changed; a new one replaces the last."""

    model = ThreatAssessment
    serializer_class = ThreatAssessmentSerializer
    filter_serializer_class = CaseFilterSerializer
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(parameters=[CaseFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def page_queryset(self, items: QuerySet[Any]) -> QuerySet[Any]:
        return items.order_by("-assessed_on", "-id")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user, pk = staff_of(request), kwargs["pk"]
        row = selectors.child_for(user, ThreatAssessment, pk, purpose=PURPOSE)
        return Response(self.get_serializer(row).data, headers={"ETag": etag(row)})

    def create_record(self, user: Staff, data: dict[str, Any]) -> ThreatAssessment:
        case = workable_case(user, data.pop("exit_case_id"))
        return services.threat_assess(actor=user, case=case, **data)


# --------------------------------------------------------------------------------------------------
# Relatives


class RelativeListSerializer(serializers.ListSerializer[Any]):
    """Finds in one query on which of the listed relatives' cases the user holds `view_contact`."""

    def to_representation(self, data: Any) -> list[Any]:
        relatives = list(data.all() if hasattr(data, "all") else data)
        user = staff_of(self.context["request"])
        case_ids = {r.exit_case_id for r in relatives if r.protected_identity}
        contact_cases = (
            set(access.visible(user, ExitCase, "view_contact").filter(pk__in=case_ids).values_list("pk", flat=True))
            if case_ids
            else set()
        )
        self.child.context["contact_cases"] = contact_cases  # type: ignore[index,union-attr]
        return super().to_representation(relatives)


class RelativeSerializer(EntrySerializer):
    contact_hidden = serializers.SerializerMethodField(
        help_text="True when the relative has a protected identity and you may not see the contact details "
        "(then phone and address are null)."
    )

    class Meta:
        model = Relative
        list_serializer_class = RelativeListSerializer
        fields = [
            *EntrySerializer.ENTRY_FIELDS,
            "name",
            "relation",
            "phone",
            "address",
            "protected_identity",
            "contact_hidden",
            "threat_level",
            "note",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"threat_level": {"required": False, "default": ThreatLevel.NONE}}

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["threat_level"].default = serializers.empty
        return fields

    def _hidden(self, obj: Relative) -> bool:
        if not obj.protected_identity:
            return False
        known = self.context.get("contact_cases")
        if known is not None:
            return obj.exit_case_id not in known
        return not services.relative_contact_visible(staff_of(self.context["request"]), obj, obj.exit_case)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_contact_hidden(self, obj: Relative) -> bool:
        return self._hidden(obj)

    def to_representation(self, instance: Relative) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data["contact_hidden"]:
            data["phone"] = None
            data["address"] = None
        return data


@extend_schema(tags=["exit program"])
class RelativeViewSet(EntryViewSet):
    """Relatives (anhöriga) who are threatened or need support. Protected contact details: the responsible
    social worker only."""

    model = Relative
    serializer_class = RelativeSerializer
    filter_serializer_class = CaseFilterSerializer

    @extend_schema(parameters=[CaseFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def page_queryset(self, items: QuerySet[Any]) -> QuerySet[Any]:
        return items.order_by("name", "id")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user, pk = staff_of(request), kwargs["pk"]
        row = selectors.child_for(user, Relative, pk, purpose=PURPOSE)
        return Response(self.get_serializer(row).data, headers={"ETag": etag(row)})

    def create_record(self, user: Staff, data: dict[str, Any]) -> Relative:
        case = workable_case(user, data.pop("exit_case_id"))
        return services.relative_add(actor=user, case=case, **data)

    def update_record(self, user: Staff, obj: Relative, data: dict[str, Any]) -> Relative:
        data.pop("exit_case_id", None)
        return services.relative_update(actor=user, relative=obj, version=obj.version, **data)


# --------------------------------------------------------------------------------------------------
# Support measures


class SupportMeasureSerializer(EntrySerializer):
    relative = id_field(
        source="relative_id",
        required=False,
        allow_null=True,
        help_text=f"A relative of the case, for a measure of theirs. {SET_WHEN_CREATED}",
    )
    starts_on = BoundedDateField(required=False, help_text="Today if not given.")
    ends_on = BoundedDateField(required=False, allow_null=True)
    moved_on = BoundedDateField(required=False, allow_null=True)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    place_hidden = serializers.SerializerMethodField(
        help_text="True for the relocation of a relative with protected identity when you are not the case's "
        "responsible worker: then from, to and the moving date are null."
    )

    CREATE_ONLY = ("exit_case", "relative")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_place_hidden(self, obj: SupportMeasure) -> bool:
        known = getattr(obj, "place_hidden", None)
        if known is not None:
            return bool(known)
        return not services.relocation_place_visible(staff_of(self.context["request"]), obj)

    def to_representation(self, instance: SupportMeasure) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data["place_hidden"]:
            data.update(from_municipality=None, to_municipality=None, moved_on=None)
        return data

    class Meta:
        model = SupportMeasure
        fields = [
            *EntrySerializer.ENTRY_FIELDS,
            "relative",
            *MEASURE_FIELDS,
            "place_hidden",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]


@extend_schema(tags=["exit program"])
class SupportMeasureViewSet(EntryViewSet):
    """Support measures (insatser) for the person or a relative; a relocation names from, to, date and cost."""

    model = SupportMeasure
    serializer_class = SupportMeasureSerializer
    filter_serializer_class = CaseFilterSerializer

    @extend_schema(parameters=[CaseFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def page_queryset(self, items: QuerySet[Any]) -> QuerySet[Any]:
        return selectors.with_place_hidden(staff_of(self.request), items).order_by("-starts_on", "-id")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user, pk = staff_of(request), kwargs["pk"]
        row = selectors.child_for(user, SupportMeasure, pk, purpose=PURPOSE)
        return Response(self.get_serializer(row).data, headers={"ETag": etag(row)})

    def create_record(self, user: Staff, data: dict[str, Any]) -> SupportMeasure:
        case = workable_case(user, data.pop("exit_case_id"))
        relative_id = data.pop("relative_id", None)
        relative = None
        if relative_id is not None:
            relative = access.visible(user, Relative, "change").filter(pk=relative_id, exit_case=case).first()
            if relative is None:
                raise serializers.ValidationError({"relative": [CHOOSE_RELATIVE]})
        return services.measure_add(actor=user, case=case, relative=relative, **data)

    def update_record(self, user: Staff, obj: SupportMeasure, data: dict[str, Any]) -> SupportMeasure:
        data.pop("exit_case_id", None)
        data.pop("relative_id", None)
        return services.measure_update(actor=user, measure=obj, version=obj.version, **data)


__all__ = [
    "ContactViewSet",
    "RelativeViewSet",
    "SupportMeasureViewSet",
    "ThreatAssessmentViewSet",
]
