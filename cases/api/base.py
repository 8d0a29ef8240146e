"""What the case-file endpoints share: the purpose they log, one audited list, ids that cannot overflow,
references looked up within what the caller may see, and If-Match on the actions that change a record.

A reference the caller may not use (a hidden person, an agency outside the program) and a missing one
give the same 400 with the field's name: the answer never tells which.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from cases.models import Person
from gvi import access
from gvi.accounts import selectors as accounts_selectors
from gvi.accounts.models import Agency, Staff, Team
from gvi.api import MAX_ID, PreconditionFailed, PreconditionRequired, ScopedViewSetMixin, etag, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record

PURPOSE = "casework (API)"

CHOOSE_PERSON = _("Choose a person from your agency's own records.")
CHOOSE_AGENCY = _("Choose an agency of this program.")
CHOOSE_TEAM = _("Choose a team of the receiving agency.")


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """A record id: a positive 64-bit integer (a larger number is a 400, not an overflow)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class PersonFilterSerializer(serializers.Serializer[Any]):
    person = id_field(required=False, help_text="Only those of this person record.")


class CaseViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """A case-file endpoint: querysets from the access policy; a list writes one LIST audit event with the
    ids it shows (also when it shows none)."""

    filter_backends = ()
    audit_purpose: ClassVar[str] = PURPOSE

    def audited_page(
        self,
        user: Staff,
        items: QuerySet[Any],
        serializer_class: type[serializers.BaseSerializer[Any]] | None = None,
        *,
        detail: dict[str, Any] | None = None,
        on_page: Callable[[list[Any]], object] | None = None,
    ) -> Response:
        """One page of `items`, audited; `on_page` adds what is computed for the shown rows only."""
        page = self.paginate_queryset(items)
        assert page is not None
        if on_page is not None:
            on_page(page)
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=items.model._meta.label_lower,
            object_ids=[obj.pk for obj in page],
            purpose=self.audit_purpose,
            detail=detail,
        )
        if serializer_class is None:
            serializer = self.get_serializer(page, many=True)
        else:
            serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def filters(self, request: Request, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        query = serializer_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)


def require_role(user: Staff, action: str, model: type[models.Model]) -> None:
    """404 unless the user's role may do `action` on this kind of record at all."""
    if not access.can(user, action, model):
        raise NotFound


def visible_person(user: Staff, pk: int, *, action: str = "view", field: str = "person") -> Person:
    """One of the caller's own person records, or a field error that reads the same for a hidden and a
    missing one."""
    person = access.visible(user, Person, action, pk=pk).first()
    if person is None:
        raise serializers.ValidationError({field: [CHOOSE_PERSON]})
    return person


def program_agency(user: Staff, pk: int, *, field: str) -> Agency:
    # Agencies are the program's structure, not case data: the services check the rest.
    agency = accounts_selectors.program_agency(program_id=user.program_id, pk=pk)
    if agency is None:
        raise serializers.ValidationError({field: [CHOOSE_AGENCY]})
    return agency


def program_agencies(user: Staff, pks: list[int], *, field: str) -> list[Agency]:
    wanted = set(pks)
    agencies = [a for pk in wanted if (a := accounts_selectors.program_agency(program_id=user.program_id, pk=pk))]
    if len(agencies) != len(wanted):
        raise serializers.ValidationError({field: [CHOOSE_AGENCY]})
    return agencies


def agency_team(agency: Agency, pk: int, *, field: str) -> Team:
    # Teams are the program's structure, not case data.
    team = accounts_selectors.agency_team(agency=agency, pk=pk)
    if team is None:
        raise serializers.ValidationError({field: [CHOOSE_TEAM]})
    return team


def check_if_match(request: Request, obj: models.Model) -> None:
    """428 without If-Match, 412 when it is not the ETag of the record as stored."""
    if_match = request.headers.get("If-Match")
    if not if_match:
        raise PreconditionRequired
    if if_match != etag(obj):
        raise PreconditionFailed


def contact_shown_annotation(user: Staff, person_path: str = "") -> Case:
    """True where the user may see the contact details: not a protected identity, or one whose contact
    the user holds (the owning caseworker). One expression, so a list costs no query per row."""
    prefix = f"{person_path}__" if person_path else ""
    pk = f"{person_path}_id" if person_path else "pk"
    contact = access.visible(user, Person, "view_contact").values("pk")
    return Case(
        When(Q(**{f"{prefix}protected_identity": False}) | Q(**{f"{pk}__in": contact}), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


__all__ = ["PURPOSE", "staff_of"]
