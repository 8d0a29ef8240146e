"""The permission-matrix registry: persona × route → expected result.

Each app's `tests/<app>/matrix.py` adds rows with `register(...)`. A row names a route, a method, the
scope object it acts on (or None), and the result for every persona:

- OK: the page or endpoint answers (2xx, or a redirect that is not to the login);
- NOT_FOUND: 404, the same for missing and forbidden;
- filtered([...]): a list that shows exactly these scope objects among all scope objects of its model
  (read from the list's audit event, which records the ids shown).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gvi.demo import PERSONA_NAMES

OK = "ok"
NOT_FOUND = "404"


@dataclass(frozen=True)
class Filtered:
    subjects: tuple[str, ...]


def filtered(*subjects: str) -> Filtered:
    return Filtered(tuple(subjects))


Expected = str | Filtered


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    subject: str | None
    expected: Mapping[str, Expected]
    # Scope objects of the listed model, for `filtered` results.
    list_subjects: tuple[str, ...] = ()
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    headers: Callable[[dict[str, Any]], dict[str, str]] | None = None
    content_type: str | None = None
    url_kwargs: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None)

    @property
    def id(self) -> str:
        return f"{self.method} {self.route} {self.subject or ''}".strip()


ROWS: list[Row] = []

# Routes open without a login, each with the reason.
PUBLIC_ROUTES = {
    "accounts:login": "the login itself",
    "accounts:logout": "ends a session; harmless without one",
    "set_language": "chooses the UI language, reads no data",
    "healthz": "load balancer health check; answers only 'ok'",
    "interventions:calendar-ics": (
        "the iCal feed: its secret, revocable address is the credential (tests/interventions/test_calendar_feed.py)"
    ),
}
# Routes proven by their own tests instead of matrix rows, each with the test that does it.
COVERED_ELSEWHERE = {
    "accounts:enrol": "tests/gvi/accounts/test_login.py (only a user without a device reaches it)",
}
# Route-name prefixes covered elsewhere.
COVERED_PREFIXES = {
    "admin:": "tests/gvi/accounts/test_login.py::test_admin_site_is_for_the_admin_role_only",
}


def register(*rows: Row) -> None:
    for row in rows:
        missing = set(PERSONA_NAMES) - set(row.expected)
        assert not missing, f"{row.id}: no expectation for {sorted(missing)}"
        ROWS.append(row)


def everyone(result: Expected) -> dict[str, Expected]:
    return dict.fromkeys(PERSONA_NAMES, result)


def only(allowed: Mapping[str, Expected], otherwise: Expected = NOT_FOUND) -> dict[str, Expected]:
    """`allowed` personas get their result, all others `otherwise`."""
    return {name: allowed.get(name, otherwise) for name in PERSONA_NAMES}
