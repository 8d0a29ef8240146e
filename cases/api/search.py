"""Person search over the API: POST, so that names and identity numbers stay out of URLs and server logs.

The same matching, policy and audit as the search on the persons page: only records the caller may see,
one SEARCH audit event with the ids shown, an identity number kept only as a keyed HMAC.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from cases import selectors
from cases.api.base import PURPOSE, contact_shown_annotation
from cases.api.persons import PersonSerializer, _with_aliases
from cases.models import Person
from gvi import access
from gvi.api import staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record

TERM_MAX_LENGTH = 100


class StrictCharField(serializers.CharField):
    """Text only: a number or a list is a 400 (DRF's CharField would turn a number into text)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PersonSearchSerializer(serializers.Serializer[Any]):
    term = StrictCharField(
        max_length=TERM_MAX_LENGTH,
        help_text="A name or alias (partial; case and accents do not matter), a personnummer or "
        "samordningsnummer in any common form (10 or 12 digits, with or without the dash), a birth date "
        "(YYYYMMDD) or a birth year. Several words narrow each other.",
    )
    sort = serializers.ChoiceField(choices=sorted(selectors.PERSON_SORTS), required=False, default="name")


class PersonSearchPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="POST the same body here for the next page.")
    previous = serializers.URLField(allow_null=True)
    results = PersonSerializer(many=True)


class PersonSearchView(GenericAPIView[Person]):
    """Search the persons you may see. Paginated like the lists: ask for a page with ?page= (and
    ?page_size=) and send the same body again."""

    serializer_class = PersonSerializer

    def get_queryset(self) -> Any:
        # Only the schema generator asks: the search itself starts from the access policy.
        return Person._default_manager.none()

    @extend_schema(
        tags=["persons"],
        summary="Search persons",
        request=PersonSearchSerializer,
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("page_size", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False),
        ],
        responses=PersonSearchPageSerializer,
    )
    def post(self, request: Request) -> Response:
        user = staff_of(request)
        access.require(user, "view", Person)
        body = PersonSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        term: str = body.validated_data["term"]
        persons = selectors.person_list(user=user, sort=body.validated_data["sort"], term=term)
        persons = _with_aliases(user, persons).annotate(contact_shown=contact_shown_annotation(user))
        page = self.paginate_queryset(persons)
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.SEARCH,
            object_type=Person._meta.label_lower,
            object_ids=[person.pk for person in page],
            purpose=PURPOSE,
            detail=selectors.search_audit_detail(term),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


__all__ = ["PersonSearchView"]
