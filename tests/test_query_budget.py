"""Issue 15, point 5: no page or API answer runs more than 15 queries (DESIGN.md, "Performance targets").

The crawl walks every GET route of the permission matrix (tests/matrix.py: every route the system has) as every
persona who may open it, once to warm the caches a real session has warm (session, permission ids, the user's
program), then counts the queries of a second request. Each app's own tests add rows and show that the count
does not grow with the data; this keeps every route under the ceiling, so a new page or a changed one cannot
pass it silently. `make bench` measures the same at national scale.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.matrix import NOT_FOUND, Row
from tests.test_permission_matrix import CASES  # every matrix row, loaded

BUDGET = 15

# Pages that gather what several apps hold about one person, each with its own ceiling. Their cost is fixed by
# the number of parts (every app registers its panels and timeline providers with cases, and each is one query
# over the records the user may see), never by how much data there is: tests/cases/test_persons.py,
# tests/cases/test_timeline.py and tests/cases/test_subject_access.py show that. README, "Deviations".
GATHERING = {
    "cases:person-detail": 21,
    "cases:person-timeline": 20,
    "api:person-timeline": 20,
    "cases:subject-access-review": 21,
    "cases:subject-access-release": 19,
    "api:subjectaccessexport-detail": 19,
}


def _visits() -> list[tuple[Row, str]]:
    """Each GET route once per persona who may open it (the first row of the route that she may open)."""
    seen: set[tuple[str, str]] = set()
    visits = []
    for row, persona in CASES:
        if row.method == "GET" and row.expected[persona] != NOT_FOUND and (row.route, persona) not in seen:
            seen.add((row.route, persona))
            visits.append((row, persona))
    return visits


def _get(row: Row, scope: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The row's address and headers, made before counting: some rows make the record they open."""
    kwargs = row.url_kwargs(scope) if row.url_kwargs else ({"pk": scope[row.subject].pk} if row.subject else {})
    return reverse(row.route, kwargs=kwargs), row.headers(scope) if row.headers else {}


def test_the_crawl_covers_the_routes() -> None:
    routes = {row.route for row, _ in _visits()}
    assert len(routes) >= 150
    assert set(GATHERING) <= routes


def test_every_route_stays_within_the_query_budget(scope: dict[str, Any], verified_client: Any) -> None:
    clients: dict[str, Client] = {}
    over = []
    for row, persona in _visits():
        client = clients.setdefault(persona, verified_client(persona))
        url, headers = _get(row, scope)
        client.get(url, headers=headers)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, headers=headers)
            if isinstance(response, StreamingHttpResponse):
                b"".join(response.streaming_content)  # a streamed export reads as it goes
        assert response.status_code < 500, row.id
        count = len(captured.captured_queries)
        if count > GATHERING.get(row.route, BUDGET):
            over.append(f"{row.route} as {persona}: {count} queries")
    assert not over, "\n".join(over)
