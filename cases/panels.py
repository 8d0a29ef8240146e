"""Start-page panels of person case files."""

from __future__ import annotations

from typing import Any

from cases.models import Person
from cases.selectors import person_recent
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.services import audit_shown
from gvi.panels import Panel, register_panel

START_PAGE = "start page"


def _recent_persons(user: Staff) -> dict[str, Any] | None:
    if not access.role_allows(user, "view", Person):
        return None
    persons = person_recent(user=user)
    audit_shown(actor=user, object_type="cases.person", ids=[p.pk for p in persons], purpose=START_PAGE)
    return {"persons": persons, "can_add": access.can(user, "add", Person)}


def _person_count(user: Staff) -> dict[str, Any] | None:
    if not access.role_allows(user, "count", Person):
        return None
    return {"count": access.countable(user, Person).count()}


def register() -> None:
    register_panel(Panel(key="recent-persons", template="cases/panel_recent.html", order=10, build=_recent_persons))
    register_panel(Panel(key="person-count", template="cases/panel_count.html", order=20, build=_person_count))
