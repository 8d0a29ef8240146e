"""The shell: start page per role, navigation per role, API schema, error pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cases.services import person_create
from gvi.demo import PERSONA_NAMES
from tests.conftest import max_queries

# The start page runs a fixed number of queries whatever the data size (session, user, device, panels).
HOME_QUERY_LIMIT = 16


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_start_page_query_count_does_not_grow_with_data(
    persona: str, verified_client: Any, world: dict[str, Any]
) -> None:
    client = verified_client(persona)
    client.get("/")  # warm the permission-id cache
    with max_queries(HOME_QUERY_LIMIT) as few:
        assert client.get("/").status_code == 200
    for i in range(30):
        person_create(actor=world["petra"], given_name=f"Extra{i}", family_name="Person", birth_year=2000)
    with max_queries(HOME_QUERY_LIMIT) as many:
        assert client.get("/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_each_role_has_a_start_page_with_real_content(verified_client: Any, world: dict[str, Any]) -> None:
    sara = verified_client("sara").get("/")
    assert world["malmo_social_person"].full_name in sara.content.decode()
    lena = verified_client("lena").get("/")
    assert b'data-testid="person-count"' in lena.content
    assert world["malmo_social_person"].full_name not in lena.content.decode()
    olof = verified_client("olof").get("/")
    assert reverse("audit:event-list").encode() in olof.content


def test_navigation_follows_the_role(verified_client: Any) -> None:
    persons, audit = reverse("cases:person-list").encode(), reverse("audit:event-list").encode()
    sara = verified_client("sara").get("/").content
    assert persons in sara
    assert audit not in sara
    olof = verified_client("olof").get("/").content
    assert audit in olof
    assert b'action="' + persons not in olof  # no person search box for the auditor
    ada = verified_client("ada").get("/").content
    assert reverse("admin:index").encode() in ada


def test_not_found_page_leaks_nothing(verified_client: Any, world: dict[str, Any]) -> None:
    police_person = world["malmo_police_person"]
    response = verified_client("sara").get(reverse("cases:person-detail", args=[police_person.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert police_person.family_name not in body
    assert "Traceback" not in body


def test_api_schema_builds_without_warnings(verified_client: Any) -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/persons/" in schema["paths"]
    assert not GENERATOR_STATS._warn_cache, GENERATOR_STATS._warn_cache
    assert not GENERATOR_STATS._error_cache, GENERATOR_STATS._error_cache
    assert verified_client("petra").get(reverse("api:schema")).status_code == 200


def test_api_docs_work_offline(verified_client: Any) -> None:
    page = verified_client("petra").get(reverse("api:docs")).content.decode()
    assert "cdn." not in page
    assert "/static/drf_spectacular_sidecar/" in page


def test_api_errors_are_json_with_field_messages(verified_client: Any) -> None:
    response = verified_client("petra").post("/api/persons/", data={"given_name": ""}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert "given_name" in body
    assert "family_name" in body


@pytest.mark.django_db
def test_health_check_answers_without_login() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
