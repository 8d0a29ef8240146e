"""Call-ins over the API: the same policy, selectors, services and audit as the pages.

The police read and plan their call-ins in full: time, place, target groups, notes, the agenda's speakers,
invitations, attendance and its counts. The program's other agencies read the schedule only
(access.PARTIAL_FIELDS for `view_schedule`: never the groups, the notes or who is invited) — a different
serializer, not fields hidden ad hoc. Changes need If-Match with the ETag of a read: 428 without it, 412
when someone saved in between.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.base import require_role
from cases.models import Person
from cases.selectors import supervision_of
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import IF_MATCH, BoundedDateTimeField, PreconditionFailed, etag, staff_of
from gvi.concurrency import StaleVersion
from gvi.mapping.models import Group
from interventions import selectors, services
from interventions.api.base import (
    PURPOSE,
    IdListField,
    InterventionViewSet,
    check_if_match,
    full_or_partial,
    id_field,
    staff_of_program,
)
from interventions.api.invitations import InvitationSerializer
from interventions.models import CallIn, CallInInvitation, Segment, Speaker

CHOOSE_GROUPS = _("Choose groups of your own group map.")
CHOOSE_PERSONS = _("Invite active members of the call-in's target groups.")
NO_ATTENDANCE = _("Record attendance for at least one invitation.")
TOO_MANY = _("Record at most %(limit)s invitations at once.")
ATTENDANCE_LIMIT = 500


class CallInSerializer(serializers.ModelSerializer[CallIn]):
    """A call-in in full: what the police see."""

    owner_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)
    groups = IdListField(read_only=True, help_text="The target groups.")

    class Meta:
        model = CallIn
        fields = [
            "id",
            "starts_at",
            "place",
            "status",
            "groups",
            "notes",
            "owner_agency",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CallInScheduleSerializer(serializers.Serializer[CallIn]):
    """What the program's other agencies see: when and where, and the status (`view_schedule`)."""

    id = serializers.IntegerField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    place = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=CallIn.Status.choices, read_only=True)

    def to_representation(self, instance: CallIn) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Exactly the declared fields of the partial view, whatever this class grows.
        return {name: data[name] for name in access.partial_fields(CallIn, "view_schedule")}


class CallInWriteSerializer(serializers.Serializer[Any]):
    starts_at = BoundedDateTimeField()
    place = serializers.CharField(max_length=200)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    groups = IdListField(help_text="Target groups of your own group map (at least one).")


class CallInUpdateSerializer(serializers.Serializer[Any]):
    starts_at = BoundedDateTimeField(required=False)
    place = serializers.CharField(max_length=200, required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    groups = IdListField(required=False, help_text="Replaces the target groups.")


class CallInFilterSerializer(serializers.Serializer[Any]):
    when = serializers.ChoiceField(
        choices=["upcoming", "past", "all"], required=False, default="all", help_text="Upcoming, past or all."
    )
    status = serializers.ChoiceField(choices=CallIn.Status.choices, required=False)
    sort = serializers.ChoiceField(choices=list(selectors.CALL_IN_SORTS), required=False, default="-date")


class CallInStatusSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[CallIn.Status.HELD, CallIn.Status.CANCELLED])


class SpeakerSerializer(serializers.ModelSerializer[Speaker]):
    call_in = serializers.IntegerField(source="call_in_id", read_only=True)
    staff = serializers.IntegerField(source="staff_id", read_only=True, allow_null=True)
    staff_name = serializers.SerializerMethodField()

    class Meta:
        model = Speaker
        fields = ["id", "call_in", "segment", "order", "staff", "staff_name", "name", "organisation"]
        read_only_fields = fields

    def get_staff_name(self, obj: Speaker) -> str:
        if obj.staff is None:
            return ""
        return obj.staff.get_full_name() or obj.staff.get_username()


class SpeakerCreateSerializer(serializers.Serializer[Any]):
    segment = serializers.ChoiceField(choices=Segment.choices)
    staff = id_field(required=False, allow_null=True, help_text="A staff member of the program (or a name).")
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="A community speaker's name."
    )
    organisation = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    order = serializers.IntegerField(min_value=1, max_value=99, required=False, default=1)


class CallInInviteSerializer(serializers.Serializer[Any]):
    persons = IdListField(max_length=200, help_text="Active members of the target groups (the police's records).")


class AttendanceCountsSerializer(serializers.Serializer[Any]):
    invited = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    attended = serializers.IntegerField()
    left_early = serializers.IntegerField()
    absent = serializers.IntegerField()
    came = serializers.IntegerField(help_text="Attended or left early.")


class AttendanceResultSerializer(AttendanceCountsSerializer):
    changed = serializers.IntegerField(help_text="How many invitations changed status.")


ATTENDANCE_BODY = {
    "application/json": {
        "type": "object",
        "description": "{invitation id: status} for invitations of this call-in.",
        "additionalProperties": {"type": "string", "enum": sorted(CallInInvitation.AFTER)},
    }
}


def attendance_body(data: Any) -> dict[int, str]:
    """{invitation id: status}: ids in ASCII digits within 64 bits, statuses after the call-in; each bad
    entry is a field error named by its key."""
    if not isinstance(data, dict) or not data:
        raise serializers.ValidationError({"non_field_errors": [NO_ATTENDANCE]})
    if len(data) > ATTENDANCE_LIMIT:
        raise serializers.ValidationError({"non_field_errors": [TOO_MANY % {"limit": ATTENDANCE_LIMIT}]})
    choice = serializers.ChoiceField(choices=sorted(CallInInvitation.AFTER))
    statuses: dict[int, str] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        label = str(key)[:30]
        try:
            pk = id_field().run_validation(key)
            statuses[pk] = choice.run_validation(value)
        except serializers.ValidationError as error:
            detail = error.detail
            errors[label] = [str(message) for message in (detail if isinstance(detail, list) else [detail])]
    if errors:
        raise serializers.ValidationError(errors)
    return statuses


def target_groups(user: Staff, pks: list[int]) -> list[Group]:
    """Groups of the user's own map, or a field error that reads the same for a hidden and a missing one."""
    wanted = set(pks)
    groups = list(access.visible(user, Group).filter(pk__in=wanted)) if wanted else []
    if len(groups) != len(wanted):
        raise serializers.ValidationError({"groups": [CHOOSE_GROUPS]})
    return groups


@extend_schema(tags=["call-ins"])
class CallInViewSet(InterventionViewSet):
    """Call-ins: the police plan them in full; the program's other agencies read the schedule."""

    model = CallIn
    serializer_class = CallInSerializer

    @extend_schema(
        parameters=[CallInFilterSerializer],
        description="The police's call-ins in full; for the other agencies only the schedule fields: "
        + ", ".join(access.partial_fields(CallIn, "view_schedule"))
        + ".",
    )
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        full = full_or_partial(user, CallIn, "view_schedule")
        filters = self.filters(request, CallInFilterSerializer)
        when = "" if filters["when"] == "all" else filters["when"]
        options = {"when": when, "status": filters.get("status", ""), "sort": filters["sort"]}
        if full:
            return self.audited_page(user, selectors.call_ins(user, **options))
        return self.audited_page(
            user, selectors.call_in_schedule(user, **options), CallInScheduleSerializer, detail={"access": "schedule"}
        )

    @extend_schema(
        description="The call-in in full for the police; for the other agencies only the schedule fields.",
        responses=CallInSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        call_in, full = selectors.call_in_for(staff_of(request), pk, purpose=PURPOSE)
        if not full:
            return Response(CallInScheduleSerializer(call_in).data)
        return Response(self.get_serializer(call_in).data, headers={"ETag": etag(call_in)})

    @extend_schema(request=CallInWriteSerializer, responses={201: CallInSerializer})
    def create(self, request: Request) -> Response:
        """Schedule a call-in for target groups; the other agencies of the program see when and where."""
        user = staff_of(request)
        require_role(user, "add", CallIn)
        body = CallInWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        groups = target_groups(user, data.pop("groups"))
        call_in = services.call_in_create(actor=user, groups=groups, **data)
        return Response(
            self.get_serializer(call_in).data, status=status.HTTP_201_CREATED, headers={"ETag": etag(call_in)}
        )

    def _for_change(self, request: Request, pk: str) -> CallIn:
        call_in = access.get_visible_or_404(
            staff_of(request), CallIn, pk, action="change", purpose=PURPOSE, audit=False
        )
        check_if_match(request, call_in)
        return call_in

    def _answer(self, call_in: CallIn) -> Response:
        return Response(self.get_serializer(call_in).data, headers={"ETag": etag(call_in)})

    @extend_schema(parameters=[IF_MATCH], request=CallInUpdateSerializer, responses=CallInSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the time, place, notes or target groups of a planned call-in."""
        user = staff_of(request)
        call_in = self._for_change(request, pk)
        body = CallInUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        groups = target_groups(user, data.pop("groups")) if "groups" in data else None
        try:
            call_in = services.call_in_update(
                actor=user, call_in=call_in, version=call_in.version, groups=groups, **data
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(call_in)

    @extend_schema(parameters=[IF_MATCH], request=CallInStatusSerializer, responses=CallInSerializer)
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request: Request, pk: str) -> Response:
        """Mark a planned call-in held (on or after its date) or cancelled."""
        call_in = self._for_change(request, pk)
        body = CallInStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            call_in = services.call_in_set_status(
                actor=staff_of(request), call_in=call_in, version=call_in.version, status=body.validated_data["status"]
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(call_in)

    @extend_schema(methods=["GET"], responses=SpeakerSerializer(many=True))
    @extend_schema(methods=["POST"], request=SpeakerCreateSerializer, responses={201: SpeakerSerializer})
    @action(detail=True, methods=["get", "post"])
    def speakers(self, request: Request, pk: str) -> Response:
        """The agenda: speakers by segment (GET); add a staff member or a named community speaker (POST)."""
        user = staff_of(request)
        if request.method == "GET":
            call_in = access.get_visible_or_404(user, CallIn, pk, purpose=PURPOSE, audit=False)
            items = selectors.call_in_speakers(user, call_in).order_by("segment", "order", "id")
            return self.audited_page(user, items, SpeakerSerializer, detail={"call_in": call_in.pk})
        call_in = access.get_visible_or_404(user, CallIn, pk, action="change", purpose=PURPOSE, audit=False)
        require_role(user, "add", Speaker)
        body = SpeakerCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        staff_id = data.pop("staff", None)
        staff = staff_of_program(user, [staff_id], field="staff")[0] if staff_id is not None else None
        speaker = services.speaker_add(actor=user, call_in=call_in, staff=staff, **data)
        return Response(SpeakerSerializer(speaker).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CallInInviteSerializer, responses={201: InvitationSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str) -> Response:
        """Invite active members of the target groups (those invited already are left as they are)."""
        user = staff_of(request)
        call_in = access.get_visible_or_404(user, CallIn, pk, action="change", purpose=PURPOSE, audit=False)
        require_role(user, "add", CallInInvitation)
        body = CallInInviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = set(body.validated_data["persons"])
        persons = list(access.visible(user, Person).filter(pk__in=wanted)) if wanted else []
        if len(persons) != len(wanted):
            raise serializers.ValidationError({"persons": [CHOOSE_PERSONS]})
        created = services.invitations_create(actor=user, call_in=call_in, persons=persons)
        supervision = supervision_of(user, [i.person_id for i in created])
        data = InvitationSerializer(created, many=True, context={"supervision": supervision}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH], request=ATTENDANCE_BODY, responses=AttendanceResultSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        """Record who attended, left early or was absent at a held call-in: all or nothing."""
        user = staff_of(request)
        call_in = self._for_change(request, pk)
        statuses = attendance_body(request.data)
        changed = services.attendance_record(actor=user, call_in=call_in, statuses=statuses)
        counts = selectors.call_in_attendance(user, call_in)
        return Response(
            {**AttendanceCountsSerializer(counts).data, "changed": changed}, headers={"ETag": etag(call_in)}
        )

    @extend_schema(responses=AttendanceCountsSerializer)
    @action(detail=True, methods=["get"])
    def counts(self, request: Request, pk: str) -> Response:
        """How many were invited, confirmed, attended, left early and absent."""
        user = staff_of(request)
        call_in = access.get_visible_or_404(user, CallIn, pk, purpose=PURPOSE)
        return Response(AttendanceCountsSerializer(selectors.call_in_attendance(user, call_in)).data)


@extend_schema(tags=["call-ins"])
class SpeakerViewSet(InterventionViewSet):
    """A speaker of a call-in's agenda (listed and added under `call-ins/{id}/speakers/`)."""

    model = Speaker
    serializer_class = SpeakerSerializer

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Take the speaker off the agenda."""
        user = staff_of(request)
        speaker = access.get_visible_or_404(user, Speaker, pk, action="change", purpose=PURPOSE, audit=False)
        services.speaker_remove(actor=user, speaker=speaker)
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = ["CallInScheduleSerializer", "CallInSerializer", "CallInViewSet", "SpeakerViewSet"]
