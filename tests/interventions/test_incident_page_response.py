"""The incident page leads to the response after the incident: the coordinator may open one, the analyst may
not; once it is open, both follow the link to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse

from gvi.mapping.services import incident_create
from interventions.models import IncidentResponse


def test_the_coordinator_may_open_a_response_from_the_incident_page(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    from django.utils import timezone

    incident = incident_create(
        actor=world["petra"],
        kind="shooting",
        occurred_at=timezone.now(),
        place="Amiralsgatan 3",
        district="Sofielund",
        purpose="test",
    )
    open_url = reverse("interventions:response-open", args=[incident.pk])
    page = reverse("mapping:incident-detail", args=[incident.pk])
    assert open_url in as_user("petra").get(page).content.decode()
    assert open_url not in as_user("anders").get(page).content.decode()


def test_an_open_response_is_linked_from_the_incident_page(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    response = IncidentResponse.objects.get(pk=world["malmo_response"].pk)
    page = reverse("mapping:incident-detail", args=[response.incident_id])
    link = reverse("interventions:response-detail", args=[response.pk])
    for username in ("petra", "anders"):
        body = as_user(username).get(page).content.decode()
        assert link in body
        assert reverse("interventions:response-open", args=[response.incident_id]) not in body
