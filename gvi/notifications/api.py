"""The inbox over the API: only the caller's own notifications (gvi/access.py, PERSONAL_MODELS).

A notification names no one (a title and a link), so reading the inbox is not a read of personal data;
the list is still audited like every list, with the ids it shows.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from gvi import access
from gvi.api import ScopedViewSetMixin, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.notifications import selectors, services
from gvi.notifications.models import Notification

PURPOSE = "notifications (API)"


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "title", "url", "created_at", "read", "read_at"]
        read_only_fields = fields


class NotificationFilterSerializer(serializers.Serializer[Any]):
    unread = serializers.BooleanField(required=False, default=False, help_text="Only those not yet read.")


ReadAllSerializer = inline_serializer("NotificationsReadAll", {"marked_read": serializers.IntegerField()})


@extend_schema(tags=["notifications"])
class NotificationViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Your notifications (reminders of due follow-ups and the like), the newest first. The unread count is
    in the list's `unread` field."""

    model = Notification
    serializer_class = NotificationSerializer
    filter_backends = ()

    @extend_schema(
        parameters=[NotificationFilterSerializer],
        responses=inline_serializer(
            "NotificationPage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "unread": serializers.IntegerField(),
                "results": NotificationSerializer(many=True),
            },
        ),
    )
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        query = NotificationFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = selectors.notifications_for(user, unread_only=query.validated_data["unread"]).order_by(
            "-created_at", "-id"
        )
        page = self.paginate_queryset(items)
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=Notification._meta.label_lower,
            object_ids=[n.pk for n in page],
            purpose=PURPOSE,
        )
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["unread"] = selectors.unread_count(user)
        return response

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark one as read."""
        user = staff_of(request)
        notification = access.get_visible_or_404(user, Notification, pk, action="change", purpose=PURPOSE, audit=False)
        return Response(self.get_serializer(services.notification_read(actor=user, notification=notification)).data)

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all of yours as read."""
        return Response({"marked_read": services.notifications_read_all(actor=staff_of(request))})


__all__ = ["NotificationViewSet"]
