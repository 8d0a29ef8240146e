"""Emergency access over the API (gvi/accounts/emergency.py): the caller's own accesses, and opening one.

Like the rest of the API, what the caller may not use reads as 404: a program without emergency access or a
role that may open no kind of record (as a role without an action, e.g. merging), and a record that is
missing or may not be opened (one answer for both, so existence does not leak). A missing reason is a 400.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from gvi import access
from gvi.accounts import emergency
from gvi.accounts.emergency_forms import MAX_RECORD_NUMBER
from gvi.accounts.models import EmergencyAccess
from gvi.api import ScopedViewSetMixin, staff_of


class EmergencyAccessSerializer(serializers.ModelSerializer[EmergencyAccess]):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = EmergencyAccess
        fields = ["id", "object_type", "object_id", "reason", "opened_at", "expires_at", "active"]
        read_only_fields = fields


class EmergencyOpenSerializer(serializers.Serializer[Any]):
    object_type = serializers.ChoiceField(
        choices=sorted(access.EMERGENCY_MODELS), help_text="The kind of record, by its model label."
    )
    object_id = serializers.IntegerField(min_value=1, max_value=MAX_RECORD_NUMBER, help_text="The record's id.")
    reason = serializers.CharField(
        min_length=emergency.REASON_MIN_LENGTH,
        max_length=emergency.REASON_MAX_LENGTH,
        help_text="Why you need this record now. The auditor reads it.",
    )


class EmergencyOpenedSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(help_text="The record's page.")
    emergency_access = EmergencyAccessSerializer(
        allow_null=True, help_text="The access opened; null when you could see the record already."
    )


@extend_schema(tags=["emergency access"])
class EmergencyAccessViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your own emergency accesses, the newest first; POST opens one record in an emergency."""

    model = EmergencyAccess
    serializer_class = EmergencyAccessSerializer
    filter_backends = ()

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-opened_at", "-id")

    @extend_schema(
        request=EmergencyOpenSerializer,
        responses={
            201: EmergencyOpenedSerializer,
            200: OpenApiResponse(EmergencyOpenedSerializer, description="You could see the record already."),
            400: OpenApiResponse(description="Field errors: no reason, or a kind of record you may not open."),
            404: OpenApiResponse(
                description="No record you may open in an emergency has that id, or you cannot use emergency access."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        user = staff_of(request)
        body = EmergencyOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            opening = emergency.emergency_access_open(actor=user, **body.validated_data)
        except emergency.EmergencyAccessUnavailable:
            raise NotFound from None
        except ValidationError as exc:
            if "object_id" in getattr(exc, "error_dict", {}):
                raise NotFound(str(emergency.NO_SUCH_RECORD)) from None
            raise
        data = {
            "url": opening.url,
            "emergency_access": EmergencyAccessSerializer(opening.access).data if opening.access else None,
        }
        return Response(data, status=status.HTTP_201_CREATED if opening.access else status.HTTP_200_OK)
