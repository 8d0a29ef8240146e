"""What the exit program's endpoints share: the purpose they log, strict ids, references looked up within
what the caller may see, and If-Match on every action that changes a record.

A reference the caller may not use (a case of another team, a worker of another municipality) and a
missing one give the same 400 with the field's name: the answer never tells which.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.base import CaseViewSet, check_if_match
from gvi import access
from gvi.accounts import selectors as accounts_selectors
from gvi.accounts.models import Agency, Staff
from gvi.api import MAX_ID, RecordViewSet
from outreach.models import ExitCase

PURPOSE = "exit program (API)"

CHOOSE_CASE = _("Choose an open exit case you work on.")
CHOOSE_WORKER = _("Choose a social worker of your own municipality who is in a team.")
CHOOSE_STAFF = _("Choose staff of this program.")
CHOOSE_AGENCY = _("Choose agencies of this program.")

_ASCII_DIGITS = re.compile(r"[0-9]+")


class StrictIntegerField(serializers.IntegerField):
    """An integer written with ASCII digits only: "١٢" (Arabic-Indic digits, which int() accepts) and "²" are
    a 400, never a different record's id or a 500."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and not _ASCII_DIGITS.fullmatch(data.strip().lstrip("-")):
            self.fail("invalid")
        return super().to_internal_value(data)


def id_field(**kwargs: Any) -> StrictIntegerField:
    """A record id: a positive 64-bit integer in ASCII digits (a larger number is a 400, not an overflow)."""
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class IdListField(serializers.ListField):
    """Ids of related records: read from a many-to-many, written as a list of ids."""

    child = id_field()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_representation(self, data: Any) -> list[int]:
        return [obj.pk for obj in data.all()]


def workable_case(user: Staff, pk: int, *, field: str = "exit_case") -> ExitCase:
    """An exit case the user may change, or a field error that reads the same for a hidden and a missing one."""
    case = access.visible(user, ExitCase, "change", pk=pk).first()
    if case is None:
        raise serializers.ValidationError({field: [CHOOSE_CASE]})
    return case


def caseworker(user: Staff, pk: int, *, field: str = "responsible") -> Staff:
    # Who may hold a case of the user's municipality: program structure, not case data.
    worker = accounts_selectors.caseworkers(agency_id=user.agency_id).filter(pk=pk).first()
    if worker is None:
        raise serializers.ValidationError({field: [CHOOSE_WORKER]})
    return worker


def program_staff(user: Staff, pks: list[int], *, field: str = "staff") -> list[Staff]:
    wanted = set(pks)
    staff = list(accounts_selectors.program_staff(program_id=user.program_id).filter(pk__in=wanted)) if wanted else []
    if len(staff) != len(wanted):
        raise serializers.ValidationError({field: [CHOOSE_STAFF]})
    return staff


def program_agencies(user: Staff, pks: list[int], *, field: str = "agencies") -> list[Agency]:
    wanted = set(pks)
    agencies: list[Agency] = []
    for pk in wanted:
        agency = accounts_selectors.program_agency(program_id=user.program_id, pk=pk)
        if agency is None:
            raise serializers.ValidationError({field: [CHOOSE_AGENCY]})
        agencies.append(agency)
    return agencies


class ExitProgramViewSet(CaseViewSet):
    """An exit-program endpoint with its own actions: querysets from the policy; a list writes one LIST
    audit event with the ids it shows (also when it shows none)."""

    audit_purpose: ClassVar[str] = PURPOSE


class EntryViewSet(RecordViewSet):
    """A row of an exit case (contact, threat assessment, relative, measure): list (optionally of one case),
    create on a case the user works on, retrieve (audited), update with If-Match."""

    audit_purpose: ClassVar[str] = PURPOSE

    def page_queryset(self, items: QuerySet[Any]) -> QuerySet[Any]:
        """What the list's rows need beyond themselves (a fixed number of queries per page)."""
        return items

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[Any]:
        items = self.get_queryset()
        if "exit_case" in filters:
            items = items.filter(exit_case_id=filters["exit_case"])
        return self.page_queryset(items)


class CaseFilterSerializer(serializers.Serializer[Any]):
    exit_case = id_field(required=False, help_text="Only the rows of this exit case.")


__all__ = [
    "PURPOSE",
    "CaseFilterSerializer",
    "EntryViewSet",
    "ExitProgramViewSet",
    "check_if_match",
    "id_field",
]
