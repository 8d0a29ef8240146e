"""Every route is in the permission matrix or declared public or covered elsewhere; and no route gives
anything to an anonymous or unverified session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import tests.cases.matrix
import tests.cases.matrix_api
import tests.cases.matrix_merge
import tests.cases.matrix_parts
import tests.cases.matrix_search
import tests.cases.matrix_sections
import tests.cases.matrix_subject_access
import tests.cases.matrix_timeline
import tests.gvi.mapping.matrix
import tests.gvi.matrix
import tests.gvi.matrix_audit
import tests.gvi.matrix_emergency
import tests.gvi.matrix_notifications
import tests.gvi.matrix_retention
import tests.interventions.matrix_api
import tests.interventions.matrix_calendar
import tests.interventions.matrix_callins
import tests.interventions.matrix_enforcement_api
import tests.interventions.matrix_invitations
import tests.interventions.matrix_notifications
import tests.interventions.matrix_responses
import tests.interventions.matrix_rounds
import tests.outreach.matrix_api
import tests.outreach.matrix_caseload
import tests.outreach.matrix_cases
import tests.outreach.matrix_referrals
import tests.reports.matrix_api
import tests.reports.matrix_pages  # noqa: F401
from tests.matrix import COVERED_ELSEWHERE, COVERED_PREFIXES, PUBLIC_ROUTES, ROWS


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, ns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern)


ALL_ROUTES = sorted(set(_walk(get_resolver().url_patterns)))


def _is_covered_elsewhere(name: str) -> bool:
    return name in COVERED_ELSEWHERE or any(name.startswith(prefix) for prefix in COVERED_PREFIXES)


def test_every_route_has_matrix_rows_or_is_declared() -> None:
    in_matrix = {row.route for row in ROWS}
    missing = sorted(
        name
        for name, _path in ALL_ROUTES
        if name not in in_matrix and name not in PUBLIC_ROUTES and not _is_covered_elsewhere(name)
    )
    assert not missing, f"routes without permission-matrix rows: {missing}"


def test_matrix_names_only_real_routes() -> None:
    names = {name for name, _path in ALL_ROUTES}
    assert {row.route for row in ROWS} <= names


def _concrete(path: str) -> str:
    """A URL for the pattern with placeholder values: anonymous users must get nothing for any id."""
    path = re.sub(r"\\\.\(\?P<format>[^)]*\)", ".json", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    path = re.sub(r"<int:\w+>", "1", path)
    path = re.sub(r"<(?:str|slug):\w+>", "x", path)
    path = re.sub(r"<(?:\w+:)?\w+>", "1", path)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + path.lstrip("/")


PROTECTED = [(name, path) for name, path in ALL_ROUTES if name not in PUBLIC_ROUTES]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), PROTECTED, ids=[n for n, _p in PROTECTED])
def test_anonymous_gets_nothing(name: str, path: str) -> None:
    client = Client()
    for method in ("get", "post"):
        response = getattr(client, method)(_concrete(path))
        if path.startswith("api/"):
            assert response.status_code in (401, 403), (method, response.status_code)
        else:
            assert response.status_code in (302, 404, 405), (method, response.status_code)
            if response.status_code == 302:
                assert "/accounts/login" in response["Location"] or name.startswith("admin:")


@pytest.mark.parametrize(("name", "path"), PROTECTED, ids=[n for n, _p in PROTECTED])
def test_unverified_session_gets_nothing(name: str, path: str, world: dict[str, Any]) -> None:
    """Password right, one-time code not given: the session reaches only the login."""
    client = Client()
    client.force_login(world["petra"])
    for method in ("get", "post"):
        response = getattr(client, method)(_concrete(path))
        if path.startswith("api/"):
            assert response.status_code in (401, 403), (method, response.status_code)
        else:
            assert response.status_code in (302, 405), (method, response.status_code)
            if response.status_code == 302:
                assert "/accounts/login" in response["Location"]
