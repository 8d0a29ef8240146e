"""Start-page panels of person case files."""

from __future__ import annotations

from typing import Any

from cases.models import Person
from cases.selectors import person_recent
from gvi import access
from gvi.accounts.models import Staff
from gvi.panels import Panel, register_panel


def _recent_persons(user: Staff) -> dict[str, Any] | None:
    if not access.role_allows(user, "view", Person):
        return None
    return {"persons": person_recent(user=user), "can_add": access.can(user, "add", Person)}


def _person_count(user: Staff) -> dict[str, Any] | None:
    if not access.role_allows(user, "count", Person):
        return None
    return {"count": access.countable(user, Person).count()}


def register() -> None:
    register_panel(Panel(key="recent-persons", template="cases/panel_recent.html", order=10, build=_recent_persons))
    register_panel(Panel(key="person-count", template="cases/panel_count.html", order=20, build=_person_count))
