"""The exit program on the start page (the user's caseload in numbers, new referrals) and on a person's page
(their exit cases and referrals, and the button to refer them)."""

from __future__ import annotations

from typing import Any

from cases.models import Person
from cases.person_panels import PersonPanel, register_person_panel
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.services import audit_shown
from gvi.panels import Panel, register_panel
from outreach import selectors
from outreach.models import ExitCase, Referral

PURPOSE = "exit program"


def _caseload(user: Staff) -> dict[str, Any] | None:
    """Counts only: the user's open cases, overdue follow-ups, new referrals to her team."""
    if not access.role_allows(user, "view", ExitCase):
        return None
    load = selectors.caseload(user)
    return {
        "open_cases": len(load.open_cases),
        "overdue": len(load.overdue),
        "contacts_this_month": load.contacts_this_month,
        "new_referrals": selectors.referrals_received(user, status=Referral.Status.RECEIVED).count(),
    }


def _person(user: Staff, person: Person) -> dict[str, Any] | None:
    """The person's exit cases and the referrals made from or to this record, as far as the user may see."""
    sees_cases = access.role_allows(user, "view", ExitCase)
    may_refer = access.role_allows(user, "add", Referral) and person.owner_agency_id == user.agency_id
    if not sees_cases and not may_refer:
        return None
    cases = list(selectors.person_exit_cases(user, person.pk)) if sees_cases else []
    sent = list(selectors.referrals_sent(user).filter(source_person=person))
    received = (
        list(selectors.referrals_received(user).filter(person=person).exclude(source_person=person))
        if sees_cases
        else []
    )
    if cases:
        audit_shown(actor=user, object_type="outreach.exitcase", ids=[c.pk for c in cases], purpose=PURPOSE)
    if sent or received:
        audit_shown(actor=user, object_type="outreach.referral", ids=[r.pk for r in sent + received], purpose=PURPOSE)
    return {
        "person": person,
        "cases": cases,
        "referrals": sent + received,
        "may_refer": may_refer,
    }


def register() -> None:
    register_panel(Panel(key="exit-caseload", template="outreach/panel_caseload.html", order=5, build=_caseload))
    register_person_panel(
        PersonPanel(key="exit-program", template="outreach/_person_panel.html", order=10, build=_person)
    )
