"""Issue 14, point 3: every route that returns personal data writes an audit event.

The walk takes every GET route of the permission matrix (tests/matrix.py), as a persona who may open it, and
looks for an audit event written by that very request (by its X-Request-ID). A route that writes none must be
declared below with the reason it shows no personal data, and the walk checks the declaration: its page names
none of the persons in the database. A new route that shows personal data without auditing fails here.
"""

from __future__ import annotations

from typing import Any

from cases.models import Person
from gvi.audit.models import AuditEvent
from tests.test_headers import _pages
from tests.test_permission_matrix import _request

_EMPTY_FORM = "an empty form for a new record: no record is shown (person pickers are audited as lists)"
# route -> why it shows no personal data
NO_PERSONAL_DATA: dict[str, str] = {
    "cases:person-create": _EMPTY_FORM,
    "mapping:group-create": _EMPTY_FORM,
    "mapping:incident-create": _EMPTY_FORM,
    "mapping:import-incidents": "the upload form of an import",
    "mapping:import-memberships": "the upload form of an import",
    "interventions:callin-create": _EMPTY_FORM,
    "interventions:round-create": _EMPTY_FORM,
    "reports:order": "the order form of an aggregate report",
    "reports:indicator-create": "the form of a program-wide indicator value",
    "api:schema": "the OpenAPI schema",
    "api:docs": "the API documentation page",
    "accounts:api-tokens": "the user's own API tokens",
    "accounts:emergency-open": "the emergency-access form (opening one is audited as EMERGENCY)",
    "accounts:emergency-list": "the user's own emergency accesses, each audited when opened",
    "api:emergencyaccess-list": "the user's own emergency accesses, each audited when opened",
    "audit:log-review": "counts of unreviewed findings per check",
    "api:log-review": "counts of unreviewed findings per check",
    "notifications:list": "the user's own inbox: titles name no one by design",
    "notifications:unread": "the number of the user's unread notifications",
    "retention:overview": "retention rules and counts of what the next run culls",
    "retention:rule-edit": "a retention rule",
    "interventions:calendar-feed": "the user's own calendar-feed address",
    "interventions:routine": "the program's response routine (tasks and hours, no persons)",
    "interventions:routine-add": "the program's response routine (tasks and hours, no persons)",
    "interventions:routine-edit": "the program's response routine (tasks and hours, no persons)",
    "interventions:routine-remove": "the program's response routine (tasks and hours, no persons)",
}


def test_every_route_that_shows_personal_data_writes_an_audit_event(
    scope: dict[str, Any], verified_client: Any
) -> None:
    names = [
        variant
        for given, family in Person.objects.values_list("given_name", "family_name")
        for variant in (f"{given} {family}", f"{family}, {given}")
    ]
    assert len(names) > 40  # the demo's persons: what a page could leak
    clients: dict[str, Any] = {}
    unaudited, wrongly_declared, walked = [], [], set()
    for row, persona in _pages():
        walked.add(row.route)
        response = _request(clients.setdefault(persona, verified_client(persona)), row, scope)
        assert response.status_code < 400, (row.id, persona, response.status_code)
        if AuditEvent.objects.filter(request_id=response["X-Request-ID"]).exists():
            continue
        if row.route not in NO_PERSONAL_DATA:
            unaudited.append(row.route)
            continue
        text = b"".join(response.streaming_content) if response.streaming else response.content
        shown = [name for name in names if name in text.decode(errors="replace")]
        if shown:
            wrongly_declared.append(f"{row.route}: {shown[:3]}")
    assert not unaudited, f"routes that wrote no audit event: {unaudited}"
    assert not wrongly_declared, f"declared without personal data, but show persons: {wrongly_declared}"
    assert set(NO_PERSONAL_DATA) <= walked, f"stale declarations: {set(NO_PERSONAL_DATA) - walked}"
