"""Schemathesis against the API's own OpenAPI schema, in process, as an MFA-verified persona.

Every operation the schema documents (199) is called with Hypothesis' 10 generated examples each (valid and
invalid ones, derandomized so a run is reproducible) plus Schemathesis' deterministic coverage cases: about
18,300 requests, 0 excluded. Every response must not be a server error and must conform to the schema: a
documented status code, the documented content type and a body that matches the response schema. The schema
gets the error responses every operation shares (400 and 404, and 412 / 428 where If-Match is taken) added
here, since drf-spectacular documents only successes; 401 and 403 are not added, the caller holds a valid
token. Object-level authorization is not this test's job (the permission matrix and leak probes prove it).
About 100 s on one core (SQLite), 115 s on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gvi.accounts.services import api_token_issue

# Who calls: the program lead reaches the most operations (program-wide reads, reports, retention, reviews).
PERSONA = "lena"
EXAMPLES_PER_OPERATION = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _served_document() -> dict[str, Any]:
    """The document /api/schema/ serves, built by the same generator: the endpoint itself needs a verified
    login, which needs the test database, which collection does not have (test_fuzzed_schema_is_the_served_one)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def _openapi_document() -> dict[str, Any]:
    """The served document plus the error responses every operation shares."""
    document = _served_document()
    for path_item in document["paths"].values():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                _document_error_responses(method, operation)
    return document


HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
# The error contract every endpoint shares (gvi/drf.py, gvi/access.py): JSON with "detail" or field errors.
ERROR_BODY = {"type": "object", "additionalProperties": True}
# 401 and 403 are left out on purpose: the fuzzing caller holds a valid token, so either would be a finding.
ERROR_STATUSES = {
    "400": "Invalid input: field errors or a detail message.",
    "404": "Missing, or outside the caller's scope (both look the same).",
}
CONCURRENCY_STATUSES = {
    "412": "The If-Match version is stale.",
    "428": "If-Match is required.",
}


def _document_error_responses(method: str, operation: dict[str, Any]) -> None:
    """Add the shared error responses drf-spectacular leaves out, each with the shared error body: 412 and
    428 only where the operation takes If-Match (gvi/api.py)."""
    statuses = dict(ERROR_STATUSES)
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in operation.get("parameters", [])):
        statuses.update(CONCURRENCY_STATUSES)
    for status, description in statuses.items():
        operation["responses"].setdefault(
            status, {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}
        )


SCHEMA = schemathesis.openapi.from_dict(_openapi_document())
SCHEMA.app = WSGIHandler()
# Random ids almost never name a record: fold well-formed ones onto the demo's first ids, so that detail and
# action operations also reach records the persona can see (malformed ids are left alone).
DEMO_IDS = 8


@SCHEMA.hook
def map_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return path_parameters
    return {name: _demo_id(value) for name, value in path_parameters.items()}


def _demo_id(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return str(int(value) % DEMO_IDS + 1)
    return value


@pytest.fixture
def bearer(world: dict[str, Any]) -> dict[str, str]:
    _token, raw = api_token_issue(actor=world[PERSONA], name="schemathesis", session_verified=True)
    return {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}


@pytest.fixture
def _keep_test_transaction() -> Iterator[None]:
    """Django's own test client does this: a request must not close the connection holding the test's
    transaction (the WSGI handler would, at request start and end)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_test_transaction")
@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_operation_conforms_to_schema(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)


def test_fuzzed_schema_is_the_served_one(as_api_user: Callable[[str], Client]) -> None:
    response = as_api_user(PERSONA).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content) == _served_document()


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_an_api_address_no_route_matches_answers_404_as_json(as_api_user: Callable[[str], Client], method: str) -> None:
    """A malformed id (or any unknown address under /api/) gets the API's JSON error, whatever the method."""
    client = as_api_user(PERSONA)
    client.handler.enforce_csrf_checks = True  # as a token client: no CSRF token
    response = getattr(client, method)("/api/persons/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
