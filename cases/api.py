"""Persons over the API: the same policy, services and audit as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from cases import selectors, services
from cases.identity import parse_identity_number
from cases.models import Person
from gvi.accounts.models import Staff
from gvi.api import RecordViewSet

PURPOSE = "casework (API)"


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


class PersonFilterSerializer(serializers.Serializer[Any]):
    """List parameters. No search term here: searches go by POST on the page, out of URLs and logs."""

    sort = serializers.ChoiceField(choices=sorted(selectors.PERSON_SORTS), required=False, default="name")


@extend_schema(tags=["persons"], parameters=[PersonFilterSerializer])
class PersonViewSet(RecordViewSet):
    """Persons your agency holds and your role lets you see. Updates need If-Match (the ETag of a read)."""

    model = Person
    serializer_class = PersonSerializer
    filter_serializer_class = PersonFilterSerializer
    audit_purpose = PURPOSE

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[Person]:
        return selectors.person_list(user=user, sort=filters["sort"])

    def create_record(self, user: Staff, data: dict[str, Any]) -> Person:
        return services.person_create(actor=user, purpose=PURPOSE, **data)

    def update_record(self, user: Staff, obj: Person, data: dict[str, Any]) -> Person:
        return services.person_update(actor=user, person=obj, version=obj.version, purpose=PURPOSE, **data)
