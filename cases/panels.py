"""Start-page panels of person case files."""

from __future__ import annotations

from typing import Any

from cases.models import ConcernReport, Person, Share
from cases.selectors import concern_reports_received, person_recent, shares_received
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


def _inbox(user: Staff) -> dict[str, Any] | None:
    """What other agencies sent the user's team or agency: active shares, reports of concern not yet received.
    Counts only; the lists behind them are audited pages."""
    sees_shares = access.role_allows(user, "view", Share)
    sees_concerns = access.role_allows(user, "view", ConcernReport)
    if not sees_shares and not sees_concerns:
        return None
    return {
        "shares": shares_received(user).count() if sees_shares else None,
        "concerns": concern_reports_received(user).filter(received_at__isnull=True).count() if sees_concerns else None,
    }


def register() -> None:
    register_panel(Panel(key="recent-persons", template="cases/panel_recent.html", order=10, build=_recent_persons))
    register_panel(Panel(key="person-count", template="cases/panel_count.html", order=20, build=_person_count))
    register_panel(Panel(key="case-inbox", template="cases/panel_inbox.html", order=15, build=_inbox))
