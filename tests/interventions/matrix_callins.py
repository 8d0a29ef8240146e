"""Permission-matrix rows for the call-in pages (interventions/views/callins.py).

A call-in is the police's: Petra (coordinator) plans it, invites, marks it held and records attendance;
Anders (analyst) reads it in full but changes nothing. The program's other agencies (Sara, Erik, Karin) see
its schedule (date, place, status) on the list and the call-in page and nothing else; every write, the
invite page and the attendance page answer them 404. The program lead, the auditor and the admin get 404
everywhere (Lena counts through the reports only); Örebro's social worker holds the schedule role but no
Malmö call-in (an empty list, 404 on each call-in), Örebro's program lead nothing.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.utils import timezone

from interventions.models import CallInInvitation, Speaker
from interventions.services import invitation_candidates
from tests.matrix import OK, Row, filtered, only, register

CALLIN_SUBJECTS: tuple[str, ...] = ("malmo_callin", "malmo_callin_past")
SUBJECTS: tuple[str, ...] = CALLIN_SUBJECTS

POLICE = ("petra", "anders")
SCHEDULE = ("sara", "erik", "karin")
READERS = only(dict.fromkeys((*POLICE, *SCHEDULE), OK))
COORDINATOR = only({"petra": OK})


def _version(world: dict[str, Any], subject: str, **values: Any) -> dict[str, Any]:
    return {**values, "version": world[subject].version}


def _callin_form(world: dict[str, Any], subject: str | None = None) -> dict[str, Any]:
    data = {
        "starts_at": (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Matrix-salen",
        "groups": [group.pk for group in world["malmo_callin"].groups.all()],
        "notes": "Matrix.",
    }
    return {**data, "version": world[subject].version} if subject else data


def _speaker_kwargs(world: dict[str, Any]) -> dict[str, Any]:
    return {"pk": Speaker.objects.filter(call_in=world["malmo_callin"], name="Leila Haddad").get().pk}


def _invite(world: dict[str, Any]) -> dict[str, Any]:
    """One active member of the target groups who is not invited yet."""
    call_in = world["malmo_callin"]
    invited = set(CallInInvitation.objects.filter(call_in=call_in).values_list("person_id", flat=True))
    person = next(p for p in invitation_candidates(world["petra"], call_in) if p.pk not in invited)
    return {"persons": [person.pk]}


def _attendance(world: dict[str, Any]) -> dict[str, Any]:
    invitations = CallInInvitation.objects.filter(call_in=world["malmo_callin_past"]).order_by("id")
    return {f"status_{invitation.pk}": "attended" for invitation in invitations}


register(
    Row(
        "interventions:callin-list",
        "GET",
        None,
        only(
            {
                **{name: filtered(*CALLIN_SUBJECTS) for name in (*POLICE, *SCHEDULE)},
                "nils": filtered(),
            }
        ),
        list_subjects=CALLIN_SUBJECTS,
    ),
    Row("interventions:callin-create", "GET", None, COORDINATOR),
    Row("interventions:callin-create", "POST", None, COORDINATOR, data=_callin_form),
    # A form error (no place): the page again, saved nothing.
    Row(
        "interventions:callin-create",
        "POST",
        None,
        COORDINATOR,
        data=lambda world: {**_callin_form(world), "place": ""},
    ),
)

for subject in CALLIN_SUBJECTS:
    register(Row("interventions:callin-detail", "GET", subject, READERS))

register(
    Row("interventions:callin-edit", "GET", "malmo_callin", COORDINATOR),
    Row(
        "interventions:callin-edit",
        "POST",
        "malmo_callin",
        COORDINATOR,
        data=partial(_callin_form, subject="malmo_callin"),
    ),
    # Cancelled: planned → cancelled.
    Row(
        "interventions:callin-status",
        "POST",
        "malmo_callin",
        COORDINATOR,
        data=partial(_version, subject="malmo_callin", status="cancelled"),
    ),
    # Refused (held already): the service's message, nothing changed.
    Row(
        "interventions:callin-status",
        "POST",
        "malmo_callin_past",
        COORDINATOR,
        data=partial(_version, subject="malmo_callin_past", status="held"),
    ),
    Row(
        "interventions:speaker-add",
        "POST",
        "malmo_callin",
        COORDINATOR,
        data=lambda world: {"segment": "community", "staff": "", "name": "Matrix Röst", "organisation": "", "order": 2},
    ),
    Row(
        "interventions:speaker-remove",
        "POST",
        "malmo_callin",
        COORDINATOR,
        url_kwargs=_speaker_kwargs,
    ),
    Row("interventions:callin-invite", "GET", "malmo_callin", COORDINATOR),
    Row("interventions:callin-invite", "POST", "malmo_callin", COORDINATOR, data=_invite),
    Row("interventions:callin-attendance", "GET", "malmo_callin_past", COORDINATOR),
    Row("interventions:callin-attendance", "POST", "malmo_callin_past", COORDINATOR, data=_attendance),
    # Not held yet: the page says so; a post is refused with the service's message.
    Row("interventions:callin-attendance", "GET", "malmo_callin", COORDINATOR),
)
