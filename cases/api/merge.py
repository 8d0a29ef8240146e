"""Merging two records of the same person over the API: POST to the record to keep.

The same policy and service as the page: only roles the access table allows may merge, both records
must be the caller's to change, and a missing or hidden record to remove reads as the same field error.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import selectors, services
from cases.api.base import PURPOSE, id_field, visible_person
from cases.api.persons import PersonSerializer
from cases.models import Person
from cases.services.merge import visible_moves
from gvi import access
from gvi.api import PreconditionFailed, etag, staff_of
from gvi.concurrency import StaleVersion


class PersonMergeRequestSerializer(serializers.Serializer[Any]):
    remove = id_field(help_text="The record to merge into this one and delete: one of your agency's own records.")
    keep_version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The version of the record to keep, as you read it."
    )


class PersonMergeResponseSerializer(serializers.Serializer[Any]):
    person = PersonSerializer()
    merge = serializers.IntegerField(help_text="The id of the recorded merge.")
    moved = serializers.DictField(child=serializers.IntegerField(), help_text="Rows moved, by model label.")


class PersonMergeView(APIView):
    """Merge another record of the same person into this one: every linked row moves here, the other
    record is deleted. 412 when this record changed since `keep_version`."""

    @extend_schema(
        tags=["persons"],
        request=PersonMergeRequestSerializer,
        responses={
            200: PersonMergeResponseSerializer,
            400: OpenApiResponse(description="Field errors, or records that cannot be merged."),
            404: OpenApiResponse(description="No such record, or you may not merge it."),
            412: OpenApiResponse(description="The record to keep changed since keep_version."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user = staff_of(request)
        if not access.role_allows(user, "merge", Person):
            raise NotFound
        keep = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE)
        body = PersonMergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        remove = visible_person(user, body.validated_data["remove"], action="change", field="remove")
        shown = visible_moves(user, remove)
        try:
            person, merge = services.person_merge(
                actor=user, keep=keep, remove=remove, keep_version=body.validated_data["keep_version"]
            )
        except StaleVersion:
            raise PreconditionFailed from None
        person.visible_aliases = list(selectors.person_aliases(user, person))  # type: ignore[attr-defined]
        data = {
            "person": PersonSerializer(person, context={"request": request}).data,
            "merge": merge.pk,
            # What the user may see of what moved (another agency's rows linked to the record are not theirs).
            "moved": shown,
        }
        return Response(data, headers={"ETag": etag(person)})
