"""The API's base viewsets: querysets always come from the access policy; every list and look is audited."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion
from gvi.dates import in_range, out_of_range_message


class ScopedViewSetMixin:
    """Querysets come from the access policy, never from Model.objects: nothing leaks by default."""

    model: ClassVar[type[models.Model]]
    access_action: ClassVar[str] = "view"
    lookup_value_regex = r"[0-9]+"
    request: Any

    def get_queryset(self) -> models.QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            # The schema generator asks without a user: it learns the model and nothing else.
            return self.model._default_manager.none()
        return self.scoped_queryset(staff_of(self.request))

    def scoped_queryset(self, user: Staff) -> models.QuerySet[Any]:
        return access.visible(user, self.model, self.access_action)


def staff_of(request: Any) -> Staff:
    """The authenticated staff member of an API request (IsVerifiedStaff has let only those through)."""
    user = request.user
    assert isinstance(user, Staff)
    return user


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send If-Match with the ETag you read."
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record was changed by someone else. Read it again and retry."
    default_code = "stale"


def etag(obj: Any) -> str:
    return f'"{obj.pk}-{obj.version}"'


# Ids are 64-bit: a larger number cannot name a record (and overflows SQLite's integers).
MAX_ID = 2**63 - 1


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time within the system's span (gvi.dates): a 400, never an overflow, for year 1."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            moment = super().to_internal_value(value)
        except OverflowError:
            raise serializers.ValidationError(out_of_range_message()) from None
        if not in_range(moment):
            raise serializers.ValidationError(out_of_range_message())
        return moment


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if not in_range(day):
            raise serializers.ValidationError(out_of_range_message())
        return day


IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)


class RecordViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The shape of every record endpoint: list (validated filters, one LIST audit event with the ids
    shown), retrieve (through the policy, audited), create (through a service), update (If-Match with the
    ETag of a read: 428 without it, 412 when someone saved in between)."""

    audit_purpose: ClassVar[str]
    # Filters are the query serializer's, validated; no generic filter or ordering backends.
    filter_backends = ()
    filter_serializer_class: ClassVar[type[serializers.Serializer[Any]]]

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> models.QuerySet[Any]:
        raise NotImplementedError

    def create_record(self, user: Staff, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update_record(self, user: Staff, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def for_response(self, user: Staff, obj: Any) -> Any:
        """What the serializer needs beyond the row (e.g. an annotation the list carries)."""
        return obj

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = staff_of(request)
        access.require(user, "view", self.model)
        filters = self.filter_serializer_class(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(self.filtered_queryset(user, dict(filters.validated_data)))
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=self.model._meta.label_lower,
            object_ids=[obj.pk for obj in page],
            purpose=self.audit_purpose,
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = staff_of(request)
        obj = access.get_visible_or_404(user, self.model, kwargs["pk"], purpose=self.audit_purpose)
        obj = self.for_response(user, obj)
        return Response(self.get_serializer(obj).data, headers={"ETag": etag(obj)})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = staff_of(request)
        if not access.can(user, "add", self.model):
            raise NotFound
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.for_response(user, self.create_record(user, dict(serializer.validated_data)))
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED, headers={"ETag": etag(obj)})

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = staff_of(request)
        obj = access.get_visible_or_404(
            user, self.model, kwargs["pk"], action="change", purpose=self.audit_purpose, audit=False
        )
        if_match = request.headers.get("If-Match")
        if not if_match:
            raise PreconditionRequired
        if if_match != etag(obj):
            raise PreconditionFailed
        serializer = self.get_serializer(obj, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        try:
            obj = self.update_record(user, obj, dict(serializer.validated_data))
        except StaleVersion:
            raise PreconditionFailed from None
        obj = self.for_response(user, obj)
        return Response(self.get_serializer(obj).data, headers={"ETag": etag(obj)})

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().partial_update(request, *args, **kwargs)


# --- JSON 404 for API addresses that match no route (issue 14, schemathesis) ---
@csrf_exempt  # Like every API view: a token client sends no CSRF token, and this one changes nothing.
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """An address under /api/ that no route matches (say a non-numeric id) answers in the API's error
    format, whatever the method, not with the HTML error page. It says nothing about what exists."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)


# --- end JSON 404 ---
