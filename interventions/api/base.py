"""What the call-in and custom-notification endpoints share: the purpose they log, the viewset shape
(querysets from the policy, audited pages), If-Match on every change, and staff named by id.

A reference the caller may not use (a group of another map, staff of another program) and a missing one
give the same 400 with the field's name: the answer never tells which.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from cases.api.base import CaseViewSet, check_if_match
from gvi import access
from gvi.accounts import selectors as accounts_selectors
from gvi.accounts.models import Staff
from gvi.api import PreconditionFailed
from gvi.concurrency import StaleVersion
from outreach.api.base import IdListField, id_field

PURPOSE = "call-ins and custom notifications (API)"

CHOOSE_STAFF = _("Choose staff of this program.")


class InterventionViewSet(CaseViewSet):
    """A call-in, invitation or custom-notification endpoint: querysets from the policy; a list writes one
    LIST audit event with the ids it shows (also when it shows none)."""

    audit_purpose: ClassVar[str] = PURPOSE


def full_or_partial(user: Staff, model: Any, partial: str) -> bool:
    """Does the user's role read this kind of record in full (True), or only its partial view (False)?
    404 when neither, the same answer as for a record that does not exist."""
    if access.role_allows(user, "view", model):
        return True
    if access.role_allows(user, partial, model):
        return False
    raise NotFound


def staff_of_program(user: Staff, pks: list[int], *, field: str) -> list[Staff]:
    """Staff of the user's program with a casework role (program structure, not case data)."""
    wanted = set(pks)
    staff = (
        list(
            accounts_selectors.program_staff(program_id=user.program_id)
            .filter(pk__in=wanted)
            .select_related("agency")
            .order_by("pk")
        )
        if wanted
        else []
    )
    if len(staff) != len(wanted):
        raise serializers.ValidationError({field: [CHOOSE_STAFF]})
    return staff


def saved_or_412[M](change: Callable[[], M]) -> M:
    """Run a versioned change: a stale version (someone saved in between) is a 412."""
    try:
        return change()
    except StaleVersion:
        raise PreconditionFailed from None


class StaffNameSerializer(serializers.Serializer[Staff]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, obj: Staff) -> str:
        return obj.get_full_name() or obj.get_username()


__all__ = [
    "PURPOSE",
    "IdListField",
    "InterventionViewSet",
    "StaffNameSerializer",
    "check_if_match",
    "full_or_partial",
    "id_field",
    "saved_or_412",
    "staff_of_program",
]
