"""Exit-case pages: the list (who sees which cases, filters, sorting, audit), the case page, phase changes
and closing, and their query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gvi.audit.models import AuditAction, AuditEvent
from outreach.models import ExitCase
from outreach.services import cases as services

pytestmark = pytest.mark.django_db


def _listed(world: dict[str, Any], persona: str) -> set[int]:
    event = AuditEvent.objects.filter(actor_id=world[persona].pk, action=AuditAction.LIST).order_by("-id").first()
    assert event is not None
    assert event.object_type == "outreach.exitcase"
    return {int(pk) for pk in event.object_ids}


def test_sara_sees_her_own_and_her_teams_cases_not_the_field_teams(world: dict[str, Any], as_user: Any) -> None:
    response = as_user("sara").get(reverse("outreach:case-list"))
    assert response.status_code == 200
    assert _listed(world, "sara") == {world["malmo_exit_case"].pk, world["malmo_erik_case"].pk}
    assert world["malmo_field_case"].person.full_name not in response.content.decode()


def test_erik_sees_the_whole_municipality(world: dict[str, Any], as_user: Any) -> None:
    assert as_user("erik").get(reverse("outreach:case-list")).status_code == 200
    assert _listed(world, "erik") == {
        world["malmo_exit_case"].pk,
        world["malmo_erik_case"].pk,
        world["malmo_field_case"].pk,
    }


@pytest.mark.parametrize("persona", ["petra", "anders", "karin", "lena", "olof", "ada"])
def test_roles_outside_the_exit_program_get_404(persona: str, world: dict[str, Any], as_user: Any) -> None:
    client = as_user(persona)
    assert client.get(reverse("outreach:case-list")).status_code == 404
    assert client.get(reverse("outreach:case-detail", args=[world["malmo_exit_case"].pk])).status_code == 404


def test_filters_mine_team_overdue_and_name(world: dict[str, Any], as_user: Any) -> None:
    client = as_user("erik")
    url = reverse("outreach:case-list")
    client.get(url, {"whose": "mine"})
    assert _listed(world, "erik") == {world["malmo_erik_case"].pk}
    client.get(url, {"whose": "team"})
    assert world["malmo_field_case"].pk not in _listed(world, "erik")
    client.get(url, {"overdue": "on"})
    assert world["malmo_exit_case"].pk in _listed(world, "erik")
    assert all(ExitCase.objects.get(pk=pk).follow_up_overdue() for pk in _listed(world, "erik"))
    adam = world["malmo_exit_case"].person
    client.get(url, {"term": adam.given_name})
    assert _listed(world, "erik") == {world["malmo_exit_case"].pk}
    response = client.get(url, {"term": "nobody-has-this-name"})
    assert _listed(world, "erik") == set()
    assert "No exit case matches these filters." in response.content.decode()
    client.get(url, {"state": "closed"})
    assert _listed(world, "erik") == set()


def test_bad_filter_and_sort_values_fall_back(as_user: Any) -> None:
    response = as_user("sara").get(reverse("outreach:case-list"), {"sort": "evil", "phase": "x", "page": "999"})
    assert response.status_code == 200


def test_the_list_shows_overdue_follow_ups_and_sort_links(world: dict[str, Any], as_user: Any) -> None:
    content = as_user("sara").get(reverse("outreach:case-list"), {"sort": "-name"}).content.decode()
    assert "Overdue" in content
    assert 'data-sort="descending"' in content
    assert reverse("outreach:case-detail", args=[world["malmo_exit_case"].pk]) in content


def test_case_page(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    content = as_user("sara").get(reverse("outreach:case-detail", args=[case.pk])).content.decode()
    assert reverse("cases:person-detail", args=[case.person_id]) in content
    assert reverse("outreach:case-close", args=[case.pk]) in content
    assert reverse("outreach:contact-create", args=[case.pk]) in content
    # Reassigning is the coordinator's.
    assert reverse("outreach:case-reassign", args=[case.pk]) not in content
    erik = as_user("erik").get(reverse("outreach:case-detail", args=[case.pk])).content.decode()
    assert reverse("outreach:case-reassign", args=[case.pk]) in erik
    assert AuditEvent.objects.filter(
        actor_id=world["sara"].pk, action=AuditAction.VIEW, object_type="outreach.exitcase", object_id=str(case.pk)
    ).exists()


def test_sara_gets_404_on_the_field_teams_case(world: dict[str, Any], as_user: Any) -> None:
    url = reverse("outreach:case-detail", args=[world["malmo_field_case"].pk])
    assert as_user("sara").get(url).status_code == 404
    assert as_user("erik").get(url).status_code == 200
    assert as_user("nils").get(url).status_code == 404


def test_phase_change_and_a_stale_one(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:case-phase", args=[case.pk])
    response = client.post(url, {"phase": "establish", "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.phase == "establish"
    response = client.post(url, {"phase": "follow_up", "version": case.version - 1}, follow=True)
    case.refresh_from_db()
    assert case.phase == "establish"
    assert "Someone else changed this case meanwhile" in response.content.decode()


def test_closing_asks_first_and_closes(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:case-close", args=[case.pk])
    assert "data-confirm" in client.get(url).content.decode()
    response = client.post(url, {"outcome": "", "closed_on": "", "version": case.version})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(url, {"outcome": "completed", "closed_on": future, "version": case.version})
    assert "The case closes between the day it opened and today." in response.content.decode()
    today = timezone.localdate().isoformat()
    response = client.post(
        url, {"outcome": "completed", "closed_on": today, "closing_note": "Klar.", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_on == timezone.localdate()
    assert case.outcome == "completed"
    # A closed case takes no more contacts: the form is gone.
    content = client.get(reverse("outreach:case-detail", args=[case.pk])).content.decode()
    assert 'id="contact-form"' not in content
    assert "Completed" in content


def test_closing_a_stale_case_shows_the_conflict(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    services.exit_case_update(actor=world["erik"], case=case, version=case.version, phase="establish")
    response = as_user("sara").post(
        reverse("outreach:case-close", args=[case.pk]),
        {"outcome": "dropped_out", "closed_on": timezone.localdate().isoformat(), "version": case.version},
    )
    assert response.status_code == 200
    assert "Changed by someone else meanwhile" in response.content.decode()
    case.refresh_from_db()
    assert case.closed_on is None


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _add_contacts(world: dict[str, Any], case: ExitCase, n: int) -> None:
    day = timezone.localdate()
    for i in range(n):
        services.contact_log(
            actor=world["sara"],
            case=case,
            contact_on=day - timedelta(days=i % 30),
            note=f"Kontakt {i}",
            staff=[world["erik"]],
            agencies=[world["karin"].agency],
        )


def test_case_page_query_count_does_not_grow_with_contacts(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:case-detail", args=[case.pk])
    _count(client, url)  # warm the caches (permission ids, content types)
    few = _count(client, url)
    _add_contacts(world, case, 45)
    many = _count(client, url)
    assert few == many, (few, many)
    assert many <= 40


def test_case_list_query_count_is_fixed(world: dict[str, Any], as_user: Any) -> None:
    client = as_user("erik")
    url = reverse("outreach:case-list")
    _count(client, url)
    few = _count(client, url)
    _add_contacts(world, world["malmo_exit_case"], 45)
    many = _count(client, url)
    assert few == many, (few, many)
    assert many <= 20
