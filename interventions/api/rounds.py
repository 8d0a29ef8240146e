"""Enforcement rounds and their actions over the API: the same policy, selectors, services and audit as the
pages.

The police read and run their rounds in full: the group, the reason, the incidents behind it, the summary for
partners, the dates and the evaluation. An agency asked to act (Kriminalvården) reads the round's summary only
(access.PARTIAL_FIELDS for `view_summary`: never the group, the reason, the incidents or the evaluation) — a
different serializer, not fields hidden ad hoc — and its own actions, whose result it records. Social services
never see a round. Changes need If-Match with the ETag of a read: 428 without it, 412 when someone saved in
between.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.base import program_agency, require_role
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import IF_MATCH, BoundedDateField, etag, staff_of
from gvi.mapping.models import Group, Incident
from interventions import selectors
from interventions.api.base import (
    IdListField,
    InterventionViewSet,
    check_if_match,
    full_or_partial,
    id_field,
    saved_or_412,
)
from interventions.models import EnforcementAction, EnforcementRound
from interventions.services import rounds as round_services

PURPOSE = "enforcement rounds (API)"

CHOOSE_GROUP = _("Choose a group of your own group map.")
CHOOSE_INCIDENTS = _("Choose incidents of your own group map.")
CHOOSE_ROUND = _("Choose an active round of your own agency.")

SUMMARY_FIELDS = access.partial_fields(EnforcementRound, "view_summary")


# --------------------------------------------------------------------------------------------------
# Rounds


class EnforcementRoundSerializer(serializers.ModelSerializer[EnforcementRound]):
    """A round in full: what the police see."""

    group = serializers.IntegerField(source="group_id", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True)
    incidents = IdListField(read_only=True, help_text="The incidents that triggered it.")
    owner_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)
    action_count = serializers.SerializerMethodField(help_text="How many actions the round has.")

    class Meta:
        model = EnforcementRound
        fields = [
            "id",
            "group",
            "group_name",
            "reason",
            "incidents",
            "summary",
            "started_on",
            "status",
            "ended_on",
            "evaluation",
            "action_count",
            "owner_agency",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_action_count(self, obj: EnforcementRound) -> int:
        count = getattr(obj, "action_count", None)
        return obj.actions.count() if count is None else int(count)


class EnforcementRoundSummarySerializer(serializers.Serializer[EnforcementRound]):
    """What an agency asked to act sees (`view_summary`): when, the status and the summary for partners."""

    id = serializers.IntegerField(read_only=True)
    started_on = serializers.DateField(read_only=True)
    status = serializers.ChoiceField(choices=EnforcementRound.Status.choices, read_only=True)
    ended_on = serializers.DateField(read_only=True, allow_null=True)
    summary = serializers.CharField(read_only=True)

    def to_representation(self, instance: EnforcementRound) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Exactly the declared fields of the partial view, whatever this class grows.
        return {name: data[name] for name in SUMMARY_FIELDS}


class RoundStartSerializer(serializers.Serializer[Any]):
    group = id_field(help_text="A group of your own group map.")
    reason = serializers.CharField(max_length=5000, allow_blank=True, help_text="Why the round is started.")
    incidents = IdListField(required=False, default=list, help_text="Incidents of your own map behind it.")
    summary = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the agencies asked to act are told. Name no persons and no intelligence.",
    )
    started_on = BoundedDateField(required=False, help_text="Today if not given; today or earlier.")


class RoundUpdateSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    started_on = BoundedDateField(required=False)
    incidents = IdListField(required=False, help_text="Replaces the incidents.")


class RoundEndSerializer(serializers.Serializer[Any]):
    ended_on = BoundedDateField(help_text="On or after the start, today or earlier.")
    evaluation = serializers.CharField(max_length=5000, allow_blank=True, help_text="What the round achieved.")


class RoundFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=EnforcementRound.Status.choices, required=False)
    sort = serializers.ChoiceField(
        choices=list(selectors.ROUND_SORTS),
        required=False,
        default="-started",
        help_text="The police's list only; summaries are newest first.",
    )


def own_group(user: Staff, pk: int) -> Group:
    """A group of the user's own map, or a field error that reads the same for a hidden and a missing one."""
    group = access.visible(user, Group, pk=pk).first()
    if group is None:
        raise serializers.ValidationError({"group": [CHOOSE_GROUP]})
    return group


def own_incidents(user: Staff, pks: list[int]) -> list[Incident]:
    wanted = set(pks)
    incidents = list(access.visible(user, Incident).filter(pk__in=wanted)) if wanted else []
    if len(incidents) != len(wanted):
        raise serializers.ValidationError({"incidents": [CHOOSE_INCIDENTS]})
    return incidents


@extend_schema(tags=["enforcement rounds"])
class EnforcementRoundViewSet(InterventionViewSet):
    """Enforcement rounds: the police run them in full; an agency asked to act reads the summary."""

    model = EnforcementRound
    serializer_class = EnforcementRoundSerializer
    audit_purpose = PURPOSE

    @extend_schema(
        parameters=[RoundFilterSerializer],
        description="The police's rounds in full; for an agency asked to act only the summary fields: "
        + ", ".join(SUMMARY_FIELDS)
        + ".",
    )
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        full = full_or_partial(user, EnforcementRound, "view_summary")
        filters = self.filters(request, RoundFilterSerializer)
        status_filter = filters.get("status", "")
        if full:
            items = selectors.enforcement_rounds(user, status=status_filter, sort=filters["sort"])
            return self.audited_page(user, items.prefetch_related("incidents"))
        return self.audited_page(
            user,
            selectors.round_summaries(user, status=status_filter),
            EnforcementRoundSummarySerializer,
            detail={"access": "view_summary"},
        )

    def _answer(self, round_: EnforcementRound, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(round_).data, status=code, headers={"ETag": etag(round_)})

    @extend_schema(
        description="The round in full for the police; for an agency asked to act only the summary fields.",
        responses=EnforcementRoundSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        round_, full = selectors.round_for(staff_of(request), pk, purpose=PURPOSE)
        if not full:
            return Response(EnforcementRoundSummarySerializer(round_).data)
        return self._answer(round_)

    @extend_schema(request=RoundStartSerializer, responses={201: EnforcementRoundSerializer})
    def create(self, request: Request) -> Response:
        """Start a round against a group of your own map that kept shooting after it was warned."""
        user = staff_of(request)
        require_role(user, "add", EnforcementRound)
        body = RoundStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        group = own_group(user, data.pop("group"))
        incidents = own_incidents(user, data.pop("incidents"))
        round_ = round_services.round_start(actor=user, group=group, incidents=incidents, **data)
        return self._answer(round_, status.HTTP_201_CREATED)

    def _for_change(self, request: Request, pk: str) -> EnforcementRound:
        round_ = access.get_visible_or_404(
            staff_of(request), EnforcementRound, pk, action="change", purpose=PURPOSE, audit=False
        )
        check_if_match(request, round_)
        return round_

    @extend_schema(parameters=[IF_MATCH], request=RoundUpdateSerializer, responses=EnforcementRoundSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the reason, the summary for partners, the start or the incidents of an active round."""
        user = staff_of(request)
        round_ = self._for_change(request, pk)
        body = RoundUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        incidents = own_incidents(user, data.pop("incidents")) if "incidents" in data else None
        fresh = saved_or_412(
            lambda: round_services.round_update(
                actor=user, round_=round_, version=round_.version, incidents=incidents, **data
            )
        )
        return self._answer(fresh)

    @extend_schema(parameters=[IF_MATCH], request=RoundEndSerializer, responses=EnforcementRoundSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """End an active round with its evaluation (once)."""
        user = staff_of(request)
        round_ = self._for_change(request, pk)
        body = RoundEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fresh = saved_or_412(
            lambda: round_services.round_end(actor=user, round_=round_, version=round_.version, **body.validated_data)
        )
        return self._answer(fresh)


# --------------------------------------------------------------------------------------------------
# Actions


class EnforcementActionSerializer(serializers.ModelSerializer[EnforcementAction]):
    """An action of a round: the police see every one of their rounds; an acting agency its own."""

    round = serializers.IntegerField(source="round_id", read_only=True)
    acting_agency = serializers.IntegerField(source="acting_agency_id", read_only=True, allow_null=True)
    actor_name = serializers.CharField(read_only=True, help_text="The acting agency or the outside authority.")

    class Meta:
        model = EnforcementAction
        fields = [
            "id",
            "round",
            "kind",
            "acted_on",
            "acting_agency",
            "external_agency",
            "actor_name",
            "description",
            "status",
            "result",
            "result_recorded_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ActionCreateSerializer(serializers.Serializer[Any]):
    round = id_field(help_text="An active round of your own agency.")
    kind = serializers.ChoiceField(choices=EnforcementAction.Kind.choices)
    acted_on = BoundedDateField(help_text="On or after the start of the round.")
    acting_agency = id_field(
        required=False, allow_null=True, help_text="The police or Kriminalvården of this program (or an outside one)."
    )
    external_agency = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="An outside authority (Kronofogden, Skatteverket); named from the kind when left out.",
    )
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ActionUpdateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=EnforcementAction.Kind.choices, required=False)
    acted_on = BoundedDateField(required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ActionResultSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[EnforcementAction.Status.DONE, EnforcementAction.Status.NOT_DONE])
    result = serializers.CharField(max_length=5000, allow_blank=True)
    acted_on = BoundedDateField(required=False, allow_null=True, help_text="The day it was done, if not as planned.")


class ActionFilterSerializer(serializers.Serializer[Any]):
    round = id_field(required=False, help_text="Only the actions of this round.")
    status = serializers.ChoiceField(choices=EnforcementAction.Status.choices, required=False)


def changeable_round(user: Staff, pk: int) -> EnforcementRound:
    found = access.visible(user, EnforcementRound, "change", pk=pk).first()
    if found is None:
        raise serializers.ValidationError({"round": [CHOOSE_ROUND]})
    return found


@extend_schema(tags=["enforcement rounds"])
class EnforcementActionViewSet(InterventionViewSet):
    """Actions of enforcement rounds: the police log them; the acting agency records the result."""

    model = EnforcementAction
    serializer_class = EnforcementActionSerializer
    audit_purpose = PURPOSE

    def _items(self, user: Staff) -> QuerySet[EnforcementAction]:
        return access.visible(user, EnforcementAction).select_related("acting_agency")

    @extend_schema(parameters=[ActionFilterSerializer])
    def list(self, request: Request) -> Response:
        """The actions you see, by date: every action of the police's rounds; an acting agency's own."""
        user = staff_of(request)
        require_role(user, "view", EnforcementAction)
        filters = self.filters(request, ActionFilterSerializer)
        items = self._items(user)
        if "round" in filters:
            items = items.filter(round_id=filters["round"])
        if "status" in filters:
            items = items.filter(status=filters["status"])
        return self.audited_page(user, items.order_by("acted_on", "id"))

    def _answer(self, item: EnforcementAction, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(item).data, status=code, headers={"ETag": etag(item)})

    def retrieve(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        item = access.get_visible_or_404(user, EnforcementAction, pk, purpose=PURPOSE)
        return self._answer(item)

    @extend_schema(request=ActionCreateSerializer, responses={201: EnforcementActionSerializer})
    def create(self, request: Request) -> Response:
        """Log an action of an active round: by an agency of the program (the police or Kriminalvården, never
        social services) or by an outside authority."""
        user = staff_of(request)
        require_role(user, "add", EnforcementAction)
        body = ActionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        round_ = changeable_round(user, data.pop("round"))
        agency_id = data.pop("acting_agency", None)
        agency = program_agency(user, agency_id, field="acting_agency") if agency_id is not None else None
        item = round_services.action_add(actor=user, round_=round_, acting_agency=agency, **data)
        return self._answer(item, status.HTTP_201_CREATED)

    def _for(self, request: Request, pk: str, verb: str) -> EnforcementAction:
        item = access.get_visible_or_404(
            staff_of(request), EnforcementAction, pk, action=verb, purpose=PURPOSE, audit=False
        )
        check_if_match(request, item)
        return item

    @extend_schema(parameters=[IF_MATCH], request=ActionUpdateSerializer, responses=EnforcementActionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the kind, date or description of a planned action (the acting agency stays)."""
        user = staff_of(request)
        item = self._for(request, pk, "change")
        body = ActionUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fresh = saved_or_412(
            lambda: round_services.action_update(actor=user, action=item, version=item.version, **body.validated_data)
        )
        return self._answer(fresh)

    @extend_schema(parameters=[IF_MATCH], responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Remove a planned action logged by mistake."""
        item = self._for(request, pk, "change")
        round_services.action_remove(actor=staff_of(request), action=item)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[IF_MATCH], request=ActionResultSerializer, responses=EnforcementActionSerializer)
    @action(detail=True, methods=["post"])
    def result(self, request: Request, pk: str) -> Response:
        """Done or not carried out, with the result (once): by the acting agency, or by the police for an
        outside authority."""
        user = staff_of(request)
        item = self._for(request, pk, "record_result")
        body = ActionResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fresh = saved_or_412(
            lambda: round_services.action_record_result(
                actor=user, action=item, version=item.version, **body.validated_data
            )
        )
        return self._answer(fresh)


__all__ = [
    "EnforcementActionSerializer",
    "EnforcementActionViewSet",
    "EnforcementRoundSerializer",
    "EnforcementRoundSummarySerializer",
    "EnforcementRoundViewSet",
]
