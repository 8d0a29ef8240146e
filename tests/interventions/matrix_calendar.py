"""Permission-matrix rows for the calendar pages (interventions/views/calendar.py).

The calendar and its feed page are personal: every staff member whose role is in the policy gets them, and
what is on them is the calendar selector's to decide (tests/interventions/test_calendar_pages.py and
test_calendar_feed.py prove who sees which event; the auditor and the admin see an empty calendar). Only a role
not in the policy would get 404, and every persona has a role in it, so every row is OK for everyone. The feed
page's POST makes a new secret address (answered 200 with the address, shown once) or stops it (a redirect
back to the page). The iCal feed itself has no session (its address is the credential): it is a public route
in tests/matrix.py, covered by test_calendar_feed.py.
"""

from __future__ import annotations

from typing import Any

from tests.matrix import OK, Row, everyone, register

# The rows act on nobody's record: there is no scope object to prove.
SUBJECTS: tuple[str, ...] = ()


def _action(action: str) -> Any:
    def data(world: dict[str, Any]) -> dict[str, Any]:
        return {"action": action}

    return data


register(
    Row("interventions:calendar", "GET", None, everyone(OK)),
    Row("interventions:calendar-feed", "GET", None, everyone(OK)),
    Row("interventions:calendar-feed", "POST", None, everyone(OK), data=_action("create")),
    Row("interventions:calendar-feed", "POST", None, everyone(OK), data=_action("revoke")),
)
