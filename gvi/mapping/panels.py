"""Start-page panels of the group map."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.services import audit_shown
from gvi.mapping import selectors
from gvi.mapping.models import GroupMembership
from gvi.mapping.views.groups import MemberRow, member_state
from gvi.panels import Panel, register_panel

PANEL_ROWS = 5


def _reviews_due(user: Staff) -> dict[str, Any] | None:
    if not access.role_allows(user, "view", GroupMembership):
        return None
    today = timezone.localdate()
    due = selectors.reviews_due(user=user)
    memberships = list(due[:PANEL_ROWS])
    count = due.count() if len(memberships) == PANEL_ROWS else len(memberships)
    rows = [MemberRow(m, member_state(m, today), due_soon=True) for m in memberships]
    audit_shown(actor=user, object_type="cases.person", ids=[m.person_id for m in memberships], purpose="start page")
    return {"rows": rows, "count": count}


def register() -> None:
    register_panel(
        Panel(key="mapping-reviews-due", template="mapping/panel_reviews_due.html", order=30, build=_reviews_due)
    )
