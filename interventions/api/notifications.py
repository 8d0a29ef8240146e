"""Custom notifications over the API: the same policy, selectors, services and audit as the pages.

request → legal-risk assessment (police only) → plan → outcome → follow-up, or cancelled. The police read
them in full; those who deliver one with the police read the plan and the outcome only
(access.PARTIAL_FIELDS for `view_plan`: never the risk assessment, the reason or the police's record of
the person) — a different serializer, not fields hidden ad hoc. Every transition needs If-Match with the
ETag of a read: 428 without it, 412 when someone saved in between (a double submit); an illegal transition
is a 400 with the reason, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.base import require_role, visible_person
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import IF_MATCH, BoundedDateTimeField, PreconditionFailed, etag, staff_of
from gvi.concurrency import StaleVersion
from interventions import selectors, services
from interventions.api.base import (
    PURPOSE,
    IdListField,
    InterventionViewSet,
    StaffNameSerializer,
    check_if_match,
    full_or_partial,
    id_field,
    staff_of_program,
)
from interventions.models import CustomNotification

# Transitions that those who deliver a notification (holding `view_plan`) may make.
DELIVERER_TRANSITIONS = ("record_outcome", "follow_up")


def _with_deliverers(items: QuerySet[CustomNotification]) -> QuerySet[CustomNotification]:
    """The deliverers of a page in one query, in name order."""
    return items.prefetch_related(
        Prefetch("deliverers", queryset=Staff.objects.order_by("last_name", "first_name", "id"))
    )


class CustomNotificationSerializer(serializers.ModelSerializer[CustomNotification]):
    """A custom notification in full: what the police see."""

    person = serializers.IntegerField(source="person_id", read_only=True, help_text="The police's own record.")
    assessed_by = serializers.IntegerField(source="assessed_by_id", read_only=True, allow_null=True)
    deliverers = StaffNameSerializer(many=True, read_only=True)
    hours_to_contact = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Hours from the request to the first contact."
    )
    referral = serializers.IntegerField(source="referral_id", read_only=True, allow_null=True)

    class Meta:
        model = CustomNotification
        fields = [
            "id",
            "person",
            "person_name",
            "reason",
            "requested_at",
            "status",
            "risk_outcome",
            "risk_reasoning",
            "assessed_at",
            "assessed_by",
            "deliverers",
            "place",
            "planned_for",
            "message_points",
            "outcome",
            "outcome_at",
            "outcome_note",
            "first_contact_at",
            "hours_to_contact",
            "help_offered",
            "help_accepted",
            "follow_up_note",
            "referral",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomNotificationPlanSerializer(serializers.Serializer[CustomNotification]):
    """What those who deliver it see: the plan and the outcome (`view_plan`), never the risk assessment."""

    id = serializers.IntegerField(read_only=True)
    person_name = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=CustomNotification.Status.choices, read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    place = serializers.ChoiceField(choices=CustomNotification.Place.choices, read_only=True)
    planned_for = serializers.DateTimeField(read_only=True, allow_null=True)
    message_points = serializers.CharField(read_only=True)
    deliverers = StaffNameSerializer(many=True, read_only=True)
    outcome = serializers.ChoiceField(choices=CustomNotification.Outcome.choices, read_only=True)
    outcome_at = serializers.DateTimeField(read_only=True, allow_null=True)
    outcome_note = serializers.CharField(read_only=True)
    first_contact_at = serializers.DateTimeField(read_only=True, allow_null=True)
    help_offered = serializers.BooleanField(read_only=True)
    help_accepted = serializers.BooleanField(read_only=True)
    follow_up_note = serializers.CharField(read_only=True)

    def to_representation(self, instance: CustomNotification) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Exactly the declared fields of the partial view, whatever this class grows.
        return {name: data[name] for name in access.partial_fields(CustomNotification, "view_plan")}


class NotificationFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=CustomNotification.Status.choices, required=False)
    sort = serializers.ChoiceField(choices=list(selectors.NOTIFICATION_SORTS), required=False, default="-requested")


class NotificationRequestSerializer(serializers.Serializer[Any]):
    person = id_field(help_text="The police's own record of the person.")
    reason = serializers.CharField(max_length=5000)


class RiskAssessmentSerializer(serializers.Serializer[Any]):
    risk_outcome = serializers.ChoiceField(choices=CustomNotification.Risk.choices)
    risk_reasoning = serializers.CharField(max_length=5000)


class DeliveryPlanSerializer(serializers.Serializer[Any]):
    deliverers = IdListField(max_length=10, help_text="Police and a social worker, optionally a probation officer.")
    place = serializers.ChoiceField(choices=CustomNotification.Place.choices)
    planned_for = BoundedDateTimeField(required=False, allow_null=True)
    message_points = serializers.CharField(max_length=5000)


class NotificationOutcomeSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=CustomNotification.Outcome.choices)
    outcome_at = BoundedDateTimeField(required=False, allow_null=True, help_text="Now if not given.")
    outcome_note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class NotificationFollowUpSerializer(serializers.Serializer[Any]):
    help_offered = serializers.BooleanField()
    help_accepted = serializers.BooleanField(required=False, default=False)
    follow_up_note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


@extend_schema(tags=["custom notifications"])
class CustomNotificationViewSet(InterventionViewSet):
    """Custom notifications: the police's in full; those who deliver one read its plan and outcome."""

    model = CustomNotification
    serializer_class = CustomNotificationSerializer

    @extend_schema(
        parameters=[NotificationFilterSerializer],
        description="The police's custom notifications in full; for those who deliver one only "
        + ", ".join(access.partial_fields(CustomNotification, "view_plan"))
        + ".",
    )
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        full = full_or_partial(user, CustomNotification, "view_plan")
        filters = self.filters(request, NotificationFilterSerializer)
        if full:
            items = selectors.custom_notifications(user, status=filters.get("status", ""), sort=filters["sort"])
            return self.audited_page(user, _with_deliverers(items))
        items = selectors.notifications_to_deliver(user)
        if "status" in filters:
            items = items.filter(status=filters["status"])
        items = _with_deliverers(items.order_by(*selectors.NOTIFICATION_SORTS[filters["sort"]]))
        return self.audited_page(user, items, CustomNotificationPlanSerializer, detail={"access": "view_plan"})

    def _answer(self, user: Staff, notification: CustomNotification, full: bool | None = None) -> Response:
        if full is None:
            full = access.role_allows(user, "view", CustomNotification)
        serializer = CustomNotificationSerializer if full else CustomNotificationPlanSerializer
        return Response(serializer(notification).data, headers={"ETag": etag(notification)})

    @extend_schema(
        description="The notification in full for the police; for those who deliver it only the plan fields.",
        responses=CustomNotificationSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        notification, full = selectors.custom_notification_for(user, pk, purpose=PURPOSE)
        return self._answer(user, notification, full)

    @extend_schema(request=NotificationRequestSerializer, responses={201: CustomNotificationSerializer})
    def create(self, request: Request) -> Response:
        """Request a custom notification for a person at acute risk (your agency's own record)."""
        user = staff_of(request)
        require_role(user, "add", CustomNotification)
        body = NotificationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        person = visible_person(user, body.validated_data["person"])
        notification = services.notification_request(actor=user, person=person, reason=body.validated_data["reason"])
        response = self._answer(user, notification, True)
        response.status_code = status.HTTP_201_CREATED
        return response

    def _for_transition(self, request: Request, pk: str, transition: str) -> CustomNotification:
        """The record for a transition the user's role allows: held in full, or (for the outcome and the
        follow-up) its plan; then If-Match. 404 otherwise, audited."""
        user = staff_of(request)
        if not access.role_allows(user, transition, CustomNotification):
            access.audit_denied(user, CustomNotification, pk, action=transition, purpose=PURPOSE)
            raise NotFound
        deliverer = transition in DELIVERER_TRANSITIONS and access.role_allows(user, "view_plan", CustomNotification)
        if access.role_allows(user, "change", CustomNotification):
            notification = access.get_visible_or_404(
                user, CustomNotification, pk, action="change", purpose=PURPOSE, audit=False, audit_denial=not deliverer
            )
        else:
            if not deliverer:
                access.audit_denied(user, CustomNotification, pk, action=transition, purpose=PURPOSE)
                raise NotFound
            notification = access.get_visible_or_404(
                user, CustomNotification, pk, action="view_plan", purpose=PURPOSE, audit=False
            )
        check_if_match(request, notification)
        return notification

    def _transition(self, request: Request, pk: str, transition: str, body: serializers.Serializer[Any] | None) -> Any:
        notification = self._for_transition(request, pk, transition)
        data: dict[str, Any] = {}
        if body is not None:
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
        return notification, data

    def _done(self, request: Request, change: Any) -> Response:
        try:
            notification = change()
        except StaleVersion:
            raise PreconditionFailed from None
        return self._answer(staff_of(request), notification)

    @extend_schema(parameters=[IF_MATCH], request=RiskAssessmentSerializer, responses=CustomNotificationSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str) -> Response:
        """The legal-risk assessment (police only): deliver, with precautions, or not (which ends it)."""
        notification, data = self._transition(request, pk, "assess", RiskAssessmentSerializer(data=request.data))
        return self._done(
            request,
            lambda: services.notification_assess(
                actor=staff_of(request), notification=notification, version=notification.version, **data
            ),
        )

    @extend_schema(parameters=[IF_MATCH], request=DeliveryPlanSerializer, responses=CustomNotificationSerializer)
    @action(detail=True, methods=["post"])
    def plan(self, request: Request, pk: str) -> Response:
        """Plan the delivery: who (police and a social worker, optionally a probation officer), where, when,
        and the message points. Those who deliver it get the plan."""
        user = staff_of(request)
        notification, data = self._transition(request, pk, "plan", DeliveryPlanSerializer(data=request.data))
        deliverers = staff_of_program(user, data.pop("deliverers"), field="deliverers")
        return self._done(
            request,
            lambda: services.notification_plan(
                actor=user, notification=notification, version=notification.version, deliverers=deliverers, **data
            ),
        )

    @extend_schema(
        parameters=[IF_MATCH], request=NotificationOutcomeSerializer, responses=CustomNotificationPlanSerializer
    )
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str) -> Response:
        """Delivered, not found or refused (delivered or refused is the first contact)."""
        notification, data = self._transition(
            request, pk, "record_outcome", NotificationOutcomeSerializer(data=request.data)
        )
        return self._done(
            request,
            lambda: services.notification_record_outcome(
                actor=staff_of(request), notification=notification, version=notification.version, **data
            ),
        )

    @extend_schema(
        parameters=[IF_MATCH], request=NotificationFollowUpSerializer, responses=CustomNotificationPlanSerializer
    )
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request: Request, pk: str) -> Response:
        """The follow-up: was help offered, and accepted."""
        notification, data = self._transition(
            request, pk, "follow_up", NotificationFollowUpSerializer(data=request.data)
        )
        return self._done(
            request,
            lambda: services.notification_follow_up(
                actor=staff_of(request), notification=notification, version=notification.version, **data
            ),
        )

    @extend_schema(parameters=[IF_MATCH], request=None, responses=CustomNotificationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel a notification that has not been delivered."""
        notification, _data = self._transition(request, pk, "cancel", None)
        return self._done(
            request,
            lambda: services.notification_cancel(
                actor=staff_of(request), notification=notification, version=notification.version
            ),
        )


__all__ = ["CustomNotificationPlanSerializer", "CustomNotificationSerializer", "CustomNotificationViewSet"]
