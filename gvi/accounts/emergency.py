"""Emergency access (nödåtkomst): opening one record outside one's scope, with a stated reason, for a short time.

Where the program allows it (Program.emergency_access_allowed), a staff member may open one record of a kind
listed in gvi/access.py EMERGENCY_MODELS that their own agency owns and that their role may view at some
scope, e.g. a social worker of the exit team opens the field team's record of a person. The opening is one
EmergencyAccess row, one audit event (AuditAction.EMERGENCY, purpose = the reason) and a notification to every
active auditor of the program; the log review lists the event until the auditor has reviewed it. For
settings.EMERGENCY_ACCESS_MINUTES the access policy then shows the record for "view" (the page and its child
rows, each look audited as usual); after that it is a 404 again.

Decisions:
- A record the user can already see (in scope, or opened in an emergency and not yet expired) is not opened
  again: the user just goes there. So there is never a second concurrent access to the same record, and an
  access is never extended: when it has expired, a new one needs a new reason and is audited anew.
- A missing record and one the user may not open give the same error (existence must not leak); the refusal
  is audited as a denial with the reason given.
- Never across agencies: a record another agency owns stays at the scope its shares give, whatever the
  emergency (a social worker never sees police intelligence, the police never read social-services notes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from gvi import access
from gvi.accounts.models import EmergencyAccess, Role, Staff
from gvi.audit.models import AuditAction, LogCheck
from gvi.audit.services import audit_record
from gvi.notifications.services import notify

REASON_MIN_LENGTH: Final = 10
REASON_MAX_LENGTH: Final = 200
NO_SUCH_RECORD: Final = gettext_lazy("No record you may open in an emergency has that number.")

# The page of each kind of record in EMERGENCY_MODELS (by URL name, so the platform imports no domain app).
RECORD_PAGES: Final[Mapping[str, tuple[str, Mapping[str, str]]]] = {
    "cases.person": ("cases:person-detail", {}),
    "cases.socialsection": ("cases:section-detail", {"kind": "social"}),
    "cases.policesection": ("cases:section-detail", {"kind": "police"}),
    "cases.probationsection": ("cases:section-detail", {"kind": "probation"}),
    "outreach.exitcase": ("outreach:case-detail", {}),
}


class EmergencyAccessUnavailable(Exception):
    """The user's program does not allow emergency access, or their role may open no kind of record."""


@dataclass(frozen=True)
class EmergencyOpening:
    """Where to go, and the access opened (None: the user could see the record already)."""

    url: str
    access: EmergencyAccess | None


def program_allows(user: Staff) -> bool:
    program = user.program
    return program is not None and program.emergency_access_allowed


def emergency_kinds(user: Staff) -> list[str]:
    """The kinds of record (model labels) the user may open in an emergency: none unless the program allows it;
    then those their role may view at some scope (none without an agency: see access.scope_for)."""
    if not program_allows(user):
        return []
    return [label for label in RECORD_PAGES if access.role_allows(user, "view", apps.get_model(label))]


def kind_name(label: str) -> str | Promise:
    """The name of a kind of record, e.g. "social-services section"."""
    return apps.get_model(label)._meta.verbose_name or label


def record_url(label: str, object_id: int) -> str:
    url_name, kwargs = RECORD_PAGES[label]
    return reverse(url_name, kwargs={**kwargs, "pk": object_id})


def emergency_access_open(*, actor: Staff, object_type: str, object_id: int, reason: str) -> EmergencyOpening:
    """Open one record for the user in an emergency (see the module's docstring). Raises
    EmergencyAccessUnavailable when the user cannot use emergency access at all, ValidationError (by field)
    for a missing reason, a kind the user may not open, or a record they may not open or that is missing."""
    kinds = emergency_kinds(actor)
    if not kinds:
        raise EmergencyAccessUnavailable
    reason = reason.strip()
    errors: dict[str, str] = {}
    if object_type not in kinds:
        errors["object_type"] = gettext("Choose a kind of record you may open.")
    if len(reason) < REASON_MIN_LENGTH:
        errors["reason"] = gettext("State why you need this record now, in at least %(count)d characters.") % {
            "count": REASON_MIN_LENGTH
        }
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = gettext("Keep the reason to %(count)d characters.") % {"count": REASON_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    model = apps.get_model(object_type)
    url = record_url(object_type, object_id)
    if access.visible(actor, model, pk=object_id).exists():
        return EmergencyOpening(url=url, access=None)
    if not _own_agency_record(actor, model, object_id):
        access.audit_denied(actor, model, object_id, action="emergency", purpose=reason)
        raise ValidationError({"object_id": str(NO_SUCH_RECORD)})
    return EmergencyOpening(url=url, access=_record_opening(actor, object_type, object_id, reason))


def _own_agency_record(actor: Staff, model: type[models.Model], object_id: int) -> bool:
    """The record exists in the actor's program and their own agency owns it (every EMERGENCY_MODELS kind is
    an AgencyRecord). The access policy checks the same again at every read."""
    program_id, agency_id = actor.workplace
    return model._default_manager.filter(pk=object_id, program_id=program_id, owner_agency_id=agency_id).exists()


@transaction.atomic
def _record_opening(actor: Staff, object_type: str, object_id: int, reason: str) -> EmergencyAccess:
    """The access, its one audit event and the auditors' notifications, together."""
    program_id, _agency_id = actor.workplace
    opened_at = timezone.now()
    opened = EmergencyAccess.objects.create(
        user=actor,
        program_id=program_id,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        opened_at=opened_at,
        expires_at=opened_at + timedelta(minutes=settings.EMERGENCY_ACCESS_MINUTES),
    )
    audit_record(
        actor=actor,
        action=AuditAction.EMERGENCY,
        object_type=object_type,
        object_id=object_id,
        purpose=reason,
        detail={"emergency_access": opened.pk, "expires_at": opened.expires_at.isoformat()},
    )
    _notify_auditors(opened)
    return opened


def _notify_auditors(opened: EmergencyAccess) -> None:
    """Every active auditor of the program. The title and link name no one: they go by e-mail too."""
    url = reverse("audit:log-review-check", kwargs={"kind": LogCheck.EMERGENCY.value})
    auditors = Staff.objects.filter(program_id=opened.program_id, role=Role.AUDITOR, is_active=True)
    # The recipient's language is not stored: the title is in the system's default language.
    with translation.override(settings.LANGUAGE_CODE):
        title = gettext("Emergency access used")
    for auditor in auditors:
        notify(recipient=auditor, key=f"emergency-access:{opened.pk}", title=title, url=url)


# --------------------------------------------------------------------------------------------------
# Reading


def emergency_accesses_of(*, user: Staff) -> models.QuerySet[EmergencyAccess]:
    """The user's own emergency accesses, the newest first (PERSONAL_MODELS in gvi/access.py)."""
    return access.visible(user, EmergencyAccess).order_by("-opened_at", "-id")
