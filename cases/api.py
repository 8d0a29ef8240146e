"""Persons over the API: the same policy, services and audit as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from cases import selectors, services
from cases.identity import parse_identity_number
from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import ScopedViewSetMixin, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion

PURPOSE = "casework (API)"


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send If-Match with the ETag you read."
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The person was changed by someone else. Read it again and retry."
    default_code = "stale"


class PersonSerializer(serializers.ModelSerializer[Person]):
    identity_number = serializers.CharField(max_length=13, required=False, allow_null=True, allow_blank=True)
    birth_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)

    class Meta:
        model = Person
        fields = [
            "id",
            "given_name",
            "family_name",
            "identity_number",
            "birth_year",
            "protected_identity",
            "interpreter_language",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]

    def validate_identity_number(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return parse_identity_number(value).canonical
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


def _etag(person: Person) -> str:
    return f'"{person.pk}-{person.version}"'


@extend_schema(tags=["persons"])
class PersonViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Persons your agency holds and your role lets you see. Updates need If-Match (the ETag of a read)."""

    model = Person
    serializer_class = PersonSerializer
    ordering_fields = ["family_name", "birth_year", "created_at"]
    ordering = ["family_name", "given_name", "id"]

    def scoped_queryset(self, user: Staff) -> QuerySet[Person]:
        return selectors.person_list(user=user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        access.require(request.user, "view", Person)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        audit_record(
            actor=request.user,
            action=AuditAction.LIST,
            object_type="cases.person",
            object_ids=[p.pk for p in page],
            purpose=PURPOSE,
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = access.get_visible_or_404(request.user, Person, kwargs["pk"], purpose=PURPOSE)
        return Response(self.get_serializer(person).data, headers={"ETag": _etag(person)})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not access.can(request.user, "add", Person):
            raise NotFound
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        person = services.person_create(actor=staff_of(request), purpose=PURPOSE, **serializer.validated_data)
        return Response(
            self.get_serializer(person).data, status=status.HTTP_201_CREATED, headers={"ETag": _etag(person)}
        )

    @extend_schema(parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)])
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = access.get_visible_or_404(
            request.user, Person, kwargs["pk"], action="change", purpose=PURPOSE, audit=False
        )
        if_match = request.headers.get("If-Match")
        if not if_match:
            raise PreconditionRequired
        if if_match != _etag(person):
            raise PreconditionFailed
        serializer = self.get_serializer(person, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        try:
            person = services.person_update(
                actor=staff_of(request),
                person=person,
                version=person.version,
                purpose=PURPOSE,
                **serializer.validated_data,
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return Response(self.get_serializer(person).data, headers={"ETag": _etag(person)})
