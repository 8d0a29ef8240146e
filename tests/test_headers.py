"""Issue 14, point 5: every page and API answer carries the security headers, and none may be cached.

The crawl walks every GET route of the permission matrix (tests/matrix.py: every route the system has, with a
persona who may open it) over HTTPS, as that persona, and asserts on each answer: a Content-Security-Policy with
frame-ancestors 'none', X-Frame-Options DENY, HSTS, Referrer-Policy, nosniff, and Cache-Control no-store.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.matrix import NOT_FOUND, ROWS, Row
from tests.test_permission_matrix import _request

HSTS_SECONDS = 31536000


def _pages() -> list[tuple[Row, str]]:
    """Each GET route once, with the first persona who may open it."""
    seen: set[str] = set()
    pages = []
    for row in ROWS:
        if row.method != "GET" or row.route in seen:
            continue
        persona = next((name for name, result in row.expected.items() if result != NOT_FOUND), None)
        if persona is not None:
            seen.add(row.route)
            pages.append((row, persona))
    return pages


def _check(response: Any, where: str) -> None:
    headers = {name.lower(): value for name, value in response.items()}
    problems = []
    if "frame-ancestors 'none'" not in headers.get("content-security-policy", ""):
        problems.append("CSP without frame-ancestors 'none'")
    if headers.get("x-frame-options") != "DENY":
        problems.append("X-Frame-Options")
    if not headers.get("strict-transport-security", "").startswith(f"max-age={HSTS_SECONDS}"):
        problems.append("HSTS")
    if headers.get("referrer-policy") != "same-origin":
        problems.append("Referrer-Policy")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("nosniff")
    if "no-store" not in headers.get("cache-control", ""):
        problems.append("Cache-Control no-store")
    assert not problems, f"{where}: {', '.join(problems)}"


def test_the_crawl_covers_the_routes() -> None:
    assert len(_pages()) >= 150  # every GET route of the matrix: pages, API, downloads, exports


def test_every_page_carries_the_security_headers_and_is_not_cached(
    scope: dict[str, Any], verified_client: Any, settings: Any
) -> None:
    settings.SECURE_HSTS_SECONDS = HSTS_SECONDS
    clients: dict[str, Client] = {}
    for row, persona in _pages():
        client = clients.setdefault(persona, verified_client(persona))
        client.defaults["HTTP_X_FORWARDED_PROTO"] = "https"  # behind the TLS proxy (SECURE_PROXY_SSL_HEADER)
        response = _request(client, row, scope)
        assert response.status_code < 500, row.id
        _check(response, f"{row.id} as {persona} ({response.status_code})")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accounts:login", "healthz"])
def test_public_pages_carry_them_too(name: str, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = HSTS_SECONDS
    _check(Client().get(reverse(name), secure=True), name)
