"""Emergency access over the API: the same rules as the page, with the API's answers (404 for what the caller
may not use or open, 400 for a missing reason). Personas: Sara (exit team), Erik (exit coordinator), Petra
(police coordinator), Lena (program lead), Nils (Örebro, no emergency access)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse

from gvi.accounts.models import EmergencyAccess
from gvi.audit.models import AuditAction, AuditEvent
from tests.conftest import max_queries

URL = reverse("api:emergencyaccess-list")
REASON = "Akut hot mot personen, behöver uppgifterna nu"


def post(client: Client, label: str, pk: int, reason: str = REASON) -> Any:
    return client.post(URL, {"object_type": label, "object_id": pk, "reason": reason}, content_type="application/json")


def test_social_worker_opens_another_teams_record(world: dict[str, Any], as_api_user: Callable[[str], Client]) -> None:
    sara, person = as_api_user("sara"), world["malmo_field_team_person"]
    person_api = reverse("api:person-detail", kwargs={"pk": person.pk})
    assert sara.get(person_api).status_code == 404
    response = post(sara, "cases.person", person.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == reverse("cases:person-detail", kwargs={"pk": person.pk})
    assert body["emergency_access"]["object_id"] == person.pk
    assert body["emergency_access"]["active"] is True
    assert sara.get(person_api).status_code == 200
    # Again while open: no second access.
    again = post(sara, "cases.person", person.pk)
    assert (again.status_code, again.json()["emergency_access"]) == (200, None)
    assert EmergencyAccess.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.EMERGENCY).count() == 1
    (listed,) = sara.get(URL).json()["results"]
    assert listed["reason"] == REASON


def test_without_a_reason_is_a_400(world: dict[str, Any], as_api_user: Callable[[str], Client]) -> None:
    response = post(as_api_user("sara"), "cases.person", world["malmo_field_team_person"].pk, reason="kort")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert not EmergencyAccess.objects.exists()


def test_another_agencys_record_reads_as_missing(world: dict[str, Any], as_api_user: Callable[[str], Client]) -> None:
    sara, petra = as_api_user("sara"), as_api_user("petra")
    refused = post(sara, "cases.policesection", world["malmo_police_section"].pk)
    missing = post(sara, "cases.policesection", 987654321)
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    assert post(petra, "cases.socialsection", world["malmo_social_section"].pk).status_code == 404
    assert not EmergencyAccess.objects.exists()


def test_who_cannot_use_emergency_access_gets_404(world: dict[str, Any], as_api_user: Callable[[str], Client]) -> None:
    for persona in ("lena", "olof", "ada", "nils", "maja"):
        assert post(as_api_user(persona), "cases.person", world["malmo_social_person"].pk).status_code == 404
        assert as_api_user(persona).get(URL).json()["results"] == []
    assert not EmergencyAccess.objects.exists()


def test_a_record_in_scope_is_answered_with_its_page(
    world: dict[str, Any], as_api_user: Callable[[str], Client]
) -> None:
    response = post(as_api_user("erik"), "cases.person", world["malmo_field_team_person"].pk)
    assert (response.status_code, response.json()["emergency_access"]) == (200, None)


def test_the_list_runs_a_constant_number_of_queries(
    world: dict[str, Any], as_api_user: Callable[[str], Client]
) -> None:
    sara = as_api_user("sara")
    post(sara, "cases.person", world["malmo_field_team_person"].pk)
    sara.get(URL)
    with max_queries(8) as one:
        assert len(sara.get(URL).json()["results"]) == 1
    post(sara, "cases.socialsection", world["malmo_field_team_section"].pk)
    with max_queries(8) as two:
        assert len(sara.get(URL).json()["results"]) == 2
    assert len(one.captured_queries) == len(two.captured_queries)
