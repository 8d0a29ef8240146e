"""The group map over the API: the same policy, selectors, services and audit as the pages.

Every list starts from a selector (or `access.visible`), writes one LIST audit event with the ids it
shows, and answers 400 with the parameter's name for a bad filter. Referenced groups and persons are
looked up within what the caller may see, so a hidden record and a missing one give the same error.
Updates need If-Match with the ETag of a read: 428 without it, 412 when someone saved in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar, cast

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import MAX_ID, BoundedDateField, BoundedDateTimeField, RecordViewSet, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.mapping import selectors, services
from gvi.mapping.models import (
    Confidence,
    Gmi,
    Group,
    GroupMembership,
    GroupRelation,
    GroupStatus,
    Incident,
    IncidentInvolvement,
    IncidentKind,
    MemberRole,
    MembershipQuerySet,
    RelationKind,
)

PURPOSE = "group mapping (API)"

# The same messages as the services', for a reference the caller may not use (or that does not exist).
CHOOSE_GROUPS = _("Choose groups from your agency's map.")
CHOOSE_PERSONS = _("Choose persons from your agency's own records.")
DATES_ORDERED = _("The end date must be on or after the start date.")
SMALLINT_MAX = 32767  # killed and injured are small integers in every database
SET_WHEN_CREATED = "Set when the record is created; updates leave it unchanged."


def _visible_group(user: Staff, pk: int, *, field: str) -> Group:
    """A group the user may change, or a field error that reads the same for a hidden and a missing one."""
    group = access.visible(user, Group, "change", pk=pk).first()
    if group is None:
        raise serializers.ValidationError({field: [CHOOSE_GROUPS]})
    return group


def _visible_groups(user: Staff, pks: Iterable[int], *, field: str) -> list[Group]:
    wanted = set(pks)
    groups = list(access.visible(user, Group).filter(pk__in=wanted)) if wanted else []
    if len(groups) != len(wanted):
        raise serializers.ValidationError({field: [CHOOSE_GROUPS]})
    return groups


def _visible_person(user: Staff, pk: int, *, field: str) -> Person:
    person = access.visible(user, Person, pk=pk).first()
    if person is None:
        raise serializers.ValidationError({field: [CHOOSE_PERSONS]})
    return person


def _dates_ordered(start: date | None, end: date | None, *, field: str) -> None:
    if start and end and end < start:
        raise serializers.ValidationError({field: [DATES_ORDERED]})


class MappingViewSet(RecordViewSet):
    audit_purpose = PURPOSE


def _create_only(serializer: serializers.Serializer[Any], fields: dict[str, Any], names: tuple[str, ...]) -> None:
    """Fields that name the record's place (its group, its person) are fixed once it exists."""
    if serializer.instance is not None:
        for name in names:
            fields[name].read_only = True
            fields[name].required = False


# --------------------------------------------------------------------------------------------------
# Groups


class GroupSerializer(serializers.ModelSerializer[Group]):
    active_members = serializers.IntegerField(
        read_only=True, help_text="Memberships in force today (begun, not ended, reviewed in time)."
    )

    class Meta:
        model = Group
        fields = [
            "id",
            "name",
            "aliases",
            "district",
            "status",
            "notes",
            "active_members",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        validators: ClassVar[list[Any]] = []  # uniqueness is the service's check, within the agency


class GroupFilterSerializer(serializers.Serializer[Any]):
    search = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Name or alias.")
    status = serializers.ChoiceField(choices=GroupStatus.choices, required=False)
    district = serializers.CharField(required=False, allow_blank=True, max_length=120)
    sort = serializers.ChoiceField(choices=list(selectors.GROUP_SORTS), required=False, default="name")


@extend_schema(tags=["group mapping"])
class GroupViewSet(MappingViewSet):
    """Groups on your agency's map. Updates need If-Match (the ETag of a read)."""

    model = Group
    serializer_class = GroupSerializer
    filter_serializer_class = GroupFilterSerializer

    @extend_schema(parameters=[GroupFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[Group]:
        return selectors.group_list(
            user=user,
            term=filters.get("search", ""),
            status=filters.get("status", ""),
            district=filters.get("district", ""),
            sort=filters["sort"],
        )

    def for_response(self, user: Staff, obj: Group) -> Group:
        """The group as the list shows it: with its count of members in force today."""
        return selectors.group_list(user=user).get(pk=obj.pk)

    def create_record(self, user: Staff, data: dict[str, Any]) -> Group:
        return services.group_create(actor=user, **data)

    def update_record(self, user: Staff, obj: Group, data: dict[str, Any]) -> Group:
        return services.group_update(actor=user, group=obj, version=obj.version, **data)


# --------------------------------------------------------------------------------------------------
# Memberships


class MembershipSerializer(serializers.ModelSerializer[GroupMembership]):
    group = serializers.IntegerField(source="group_id", min_value=1, max_value=MAX_ID, help_text=SET_WHEN_CREATED)
    person = serializers.IntegerField(
        source="person_id",
        min_value=1,
        max_value=MAX_ID,
        help_text=f"Your agency's record of the person. {SET_WHEN_CREATED}",
    )
    active = serializers.SerializerMethodField(help_text="In force today: begun, not ended, reviewed in time.")

    class Meta:
        model = GroupMembership
        fields = [
            "id",
            "group",
            "person",
            "role",
            "confidence",
            "source",
            "valid_from",
            "valid_to",
            "last_confirmed",
            "review_due",
            "active",
            "version",
            "created_at",
        ]
        read_only_fields = ["id", "version", "created_at"]
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "last_confirmed": {"required": False, "help_text": "Defaults to today."},
            "review_due": {"required": False, "help_text": "Defaults to twelve months after the last confirmation."},
        }

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        _create_only(self, fields, ("group", "person"))
        return fields

    def get_active(self, obj: GroupMembership) -> bool:
        return obj.is_active_on(timezone.localdate())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        end = attrs.get("valid_to", getattr(self.instance, "valid_to", None))
        _dates_ordered(start, end, field="valid_to")
        return attrs


class MembershipFilterSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    person = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    as_of = BoundedDateField(required=False, help_text="Only memberships in force on this day (YYYY-MM-DD).")
    confidence = serializers.ChoiceField(choices=Confidence.choices, required=False)
    role = serializers.ChoiceField(choices=MemberRole.choices, required=False)


@extend_schema(tags=["group mapping"])
class MembershipViewSet(MappingViewSet):
    """Memberships of groups on your agency's map. A membership not reviewed by its date is inactive."""

    model = GroupMembership
    serializer_class = MembershipSerializer
    filter_serializer_class = MembershipFilterSerializer

    @extend_schema(parameters=[MembershipFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[GroupMembership]:
        memberships = cast(MembershipQuerySet, access.visible(user, GroupMembership))
        if "as_of" in filters:
            memberships = memberships.active_on(filters["as_of"])
        for name in ("group", "person"):
            if name in filters:
                memberships = memberships.filter(**{f"{name}_id": filters[name]})
        for name in ("confidence", "role"):
            if name in filters:
                memberships = memberships.filter(**{name: filters[name]})
        return memberships.order_by("group__name", "-valid_from", "id")

    def create_record(self, user: Staff, data: dict[str, Any]) -> GroupMembership:
        group = _visible_group(user, data.pop("group_id"), field="group")
        person = _visible_person(user, data.pop("person_id"), field="person")
        return services.membership_add(actor=user, group=group, person=person, purpose=PURPOSE, **data)

    def update_record(self, user: Staff, obj: GroupMembership, data: dict[str, Any]) -> GroupMembership:
        return services.membership_update(actor=user, membership=obj, version=obj.version, **data)


# --------------------------------------------------------------------------------------------------
# Relations


class RelationSerializer(serializers.ModelSerializer[GroupRelation]):
    group = serializers.IntegerField(
        source="group_id",
        min_value=1,
        max_value=MAX_ID,
        help_text=f"The group the relation is recorded on. {SET_WHEN_CREATED}",
    )
    other_group = serializers.IntegerField(
        source="other_group_id", min_value=1, max_value=MAX_ID, help_text=SET_WHEN_CREATED
    )

    class Meta:
        model = GroupRelation
        fields = ["id", "group", "other_group", "kind", "intensity", "valid_from", "valid_to", "notes", "version"]
        read_only_fields = ["id", "version"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        _create_only(self, fields, ("group", "other_group"))
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        end = attrs.get("valid_to", getattr(self.instance, "valid_to", None))
        _dates_ordered(start, end, field="valid_to")
        return attrs


class RelationFilterSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Relations naming this group."
    )
    kind = serializers.ChoiceField(choices=RelationKind.choices, required=False)
    as_of = BoundedDateField(required=False, help_text="Only relations in force on this day (YYYY-MM-DD).")


@extend_schema(tags=["group mapping"])
class RelationViewSet(MappingViewSet):
    """Alliances, conflicts and rivalries between groups on your agency's map."""

    model = GroupRelation
    serializer_class = RelationSerializer
    filter_serializer_class = RelationFilterSerializer

    @extend_schema(parameters=[RelationFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[GroupRelation]:
        relations = access.visible(user, GroupRelation)
        if "group" in filters:
            relations = relations.filter(Q(group_id=filters["group"]) | Q(other_group_id=filters["group"]))
        if "kind" in filters:
            relations = relations.filter(kind=filters["kind"])
        if "as_of" in filters:
            day = filters["as_of"]
            relations = relations.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)
        return relations.order_by("-valid_from", "id")

    def create_record(self, user: Staff, data: dict[str, Any]) -> GroupRelation:
        group = _visible_group(user, data.pop("group_id"), field="group")
        other_group = _visible_groups(user, [data.pop("other_group_id")], field="other_group")[0]
        return services.relation_add(actor=user, group=group, other_group=other_group, **data)

    def update_record(self, user: Staff, obj: GroupRelation, data: dict[str, Any]) -> GroupRelation:
        return services.relation_update(actor=user, relation=obj, version=obj.version, **data)


# --------------------------------------------------------------------------------------------------
# Incidents


class GroupIdsField(serializers.ListField):
    """The ids of the groups involved: read from the many-to-many, written as a list of ids."""

    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_representation(self, data: Any) -> list[int]:
        return [group.pk for group in data.all()]


class InvolvementSerializer(serializers.ModelSerializer[IncidentInvolvement]):
    class Meta:
        model = IncidentInvolvement
        fields = ["id", "person", "role"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    groups = GroupIdsField(required=False, help_text="Groups involved, from your agency's map.")
    involvements = InvolvementSerializer(many=True, read_only=True)
    occurred_at = BoundedDateTimeField()
    latitude = serializers.DecimalField(
        max_digits=8,
        decimal_places=5,
        min_value=-90,
        max_value=90,
        required=False,
        allow_null=True,
        coerce_to_string=False,
    )
    longitude = serializers.DecimalField(
        max_digits=8,
        decimal_places=5,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
        coerce_to_string=False,
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "kind",
            "occurred_at",
            "place",
            "district",
            "latitude",
            "longitude",
            "killed",
            "injured",
            "gmi",
            "police_case_number",
            "notes",
            "groups",
            "involvements",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "killed": {"max_value": SMALLINT_MAX},
            "injured": {"max_value": SMALLINT_MAX},
        }
        validators: ClassVar[list[Any]] = []  # the case number is unique per agency: the service's check


class IncidentFilterSerializer(serializers.Serializer[Any]):
    date_from = BoundedDateField(required=False)
    date_to = BoundedDateField(required=False)
    kind = serializers.ListField(
        child=serializers.ChoiceField(choices=IncidentKind.choices), required=False, help_text="One or more kinds."
    )
    district = serializers.CharField(required=False, allow_blank=True, max_length=120)
    gmi = serializers.ChoiceField(choices=Gmi.choices, required=False)
    group = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    sort = serializers.ChoiceField(choices=list(selectors.INCIDENT_SORTS), required=False, default="-date")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _dates_ordered(attrs.get("date_from"), attrs.get("date_to"), field="date_to")
        return attrs


@extend_schema(tags=["group mapping"])
class IncidentViewSet(MappingViewSet):
    """Shootings, explosions and other grave violence your agency has registered."""

    model = Incident
    serializer_class = IncidentSerializer
    filter_serializer_class = IncidentFilterSerializer

    @extend_schema(parameters=[IncidentFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[Incident]:
        incident_filters = selectors.IncidentFilters(
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            kinds=filters.get("kind", []),
            district=filters.get("district", ""),
            gmi=filters.get("gmi", ""),
            group_id=filters.get("group"),
        )
        return selectors.incident_list(user=user, filters=incident_filters, sort=filters["sort"]).prefetch_related(
            "groups", "involvements"
        )

    def create_record(self, user: Staff, data: dict[str, Any]) -> Incident:
        groups = _visible_groups(user, data.pop("groups", []), field="groups")
        return services.incident_create(actor=user, groups=groups, purpose=PURPOSE, **data)

    def update_record(self, user: Staff, obj: Incident, data: dict[str, Any]) -> Incident:
        groups = _visible_groups(user, data.pop("groups"), field="groups") if "groups" in data else None
        return services.incident_update(actor=user, incident=obj, version=obj.version, groups=groups, **data)


# --------------------------------------------------------------------------------------------------
# The network: groups as nodes, relations in force as edges, as of a day


class NetworkQuerySerializer(serializers.Serializer[Any]):
    as_of = BoundedDateField(required=False, help_text="The day the map shows (YYYY-MM-DD); today when not given.")


class NetworkNodeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    district = serializers.CharField()
    status = serializers.ChoiceField(choices=GroupStatus.choices)
    members = serializers.IntegerField(help_text="Memberships in force on the day.")


class NetworkEdgeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    # DRF takes declared fields off the class; only mypy sees this name clash with Field.source.
    source = serializers.IntegerField(help_text="The group the relation is recorded on.")  # type: ignore[assignment]
    target = serializers.IntegerField(help_text="The other group.")
    # Plain text here: the relation kinds are described once, on the relation.
    kind = serializers.CharField(help_text="alliance, conflict or rivalry")
    intensity = serializers.IntegerField(help_text="1 (low) to 3 (high)")


class NetworkSerializer(serializers.Serializer[Any]):
    as_of = BoundedDateField()
    nodes = NetworkNodeSerializer(many=True)
    edges = NetworkEdgeSerializer(many=True)


class NetworkView(APIView):
    """The network map's data: groups sized by members in force, relations in force as edges."""

    @extend_schema(tags=["group mapping"], parameters=[NetworkQuerySerializer], responses=NetworkSerializer)
    def get(self, request: Request) -> Response:
        user = staff_of(request)
        access.require(user, "view", Group)
        query = NetworkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of: date = query.validated_data.get("as_of") or timezone.localdate()
        network = selectors.network(user=user, as_of=as_of)
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=Group._meta.label_lower,
            object_ids=[node["id"] for node in network["nodes"]],
            purpose=PURPOSE,
            detail={"as_of": as_of.isoformat()},
        )
        return Response({"as_of": as_of.isoformat(), **network})


__all__ = [
    "GroupViewSet",
    "IncidentViewSet",
    "MembershipViewSet",
    "NetworkView",
    "RelationViewSet",
]
