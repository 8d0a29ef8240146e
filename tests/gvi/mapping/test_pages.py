"""The group-mapping pages: who sees them, how many queries they run, and that edits never overwrite.

Query counts are measured with a warmed-up process (permission ids cached) at two data sizes and must be
identical: the pages run a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.services import person_create
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping import services
from gvi.mapping.models import Group, GroupMembership, Incident
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured on SQLite, the same for 5 and for 50 rows (10, 12, 12 and 9 queries):
#   group list:   session, user, OTP device, districts, count, page rows, list audit, session save (3)
#   group detail: session, user, OTP device, group, view audit, members, relations, incidents,
#                 may-change check, session save (3)
#   incident list: session, user, OTP device, the group filter's check, count, page rows, groups of the
#                  rows, list audit, group filter choices, session save (3)
#   network page: session, user, OTP device, nodes, edges, list audit, session save (3)
PAGE_QUERY_BUDGET = 15
OUTSIDERS = ("sara", "karin", "lena", "nils")


def _pages(world: dict[str, Any]) -> list[str]:
    group, incident = world["malmo_group"], world["malmo_incident"]
    return [
        "/mapping/groups/",
        "/mapping/groups/new/",
        f"/mapping/groups/{group.pk}/",
        f"/mapping/groups/{group.pk}/edit/",
        f"/mapping/groups/{group.pk}/members/new/",
        f"/mapping/groups/{group.pk}/relations/new/",
        f"/mapping/memberships/{world['malmo_membership'].pk}/edit/",
        f"/mapping/memberships/{world['malmo_membership'].pk}/reconfirm/",
        f"/mapping/relations/{world['malmo_relation'].pk}/edit/",
        "/mapping/reviews/",
        "/mapping/incidents/",
        "/mapping/incidents/new/",
        f"/mapping/incidents/{incident.pk}/",
        f"/mapping/incidents/{incident.pk}/edit/",
        f"/mapping/incidents/{incident.pk}/involvements/new/",
        f"/mapping/involvements/{world['malmo_involvement'].pk}/delete/",
        "/mapping/network/",
    ]


# --- Who sees the pages ----------------------------------------------------------------------------


def test_every_page_opens_for_the_police_coordinator(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'aria-label="Breadcrumb"' in html, url


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_every_page_is_not_found_for_everyone_else(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    client = as_user(persona)
    for url in _pages(world):
        assert client.get(url).status_code == 404, (persona, url)


def test_another_agencys_group_is_not_found_for_the_police(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    orebro = world["orebro_group"]
    for url in (f"/mapping/groups/{orebro.pk}/", f"/mapping/groups/{orebro.pk}/edit/", "/mapping/groups/99999999/"):
        assert client.get(url).status_code == 404, url
    listed = client.get("/mapping/groups/").context["page"].object_list
    assert orebro.pk not in [g.pk for g in listed]


def test_navigation_shows_the_mapping_pages_to_the_police_only(as_user: ClientFor) -> None:
    html = as_user("petra").get("/").content.decode()
    for url in ("/mapping/groups/", "/mapping/incidents/", "/mapping/network/"):
        assert f'href="{url}"' in html
    assert "Memberships due for review" in html
    html = as_user("sara").get("/").content.decode()
    assert "/mapping/" not in html


# --- Query counts ------------------------------------------------------------------------------


def _grow(world: dict[str, Any], start: int, count: int) -> None:
    """Add `count` members, related groups and incidents to Malmö's group (numbered from `start`)."""
    petra: Staff = world["petra"]
    group: Group = world["malmo_group"]
    today = timezone.localdate()
    kinds = ("conflict", "alliance", "rivalry")
    for n in range(start, start + count):
        person = person_create(actor=petra, given_name=f"Test{n}", family_name="Mätning", birth_year=2000)
        services.membership_add(
            actor=petra,
            group=group,
            person=person,
            confidence="probable",
            source="test",
            valid_from=today - timedelta(days=100),
            last_confirmed=today - timedelta(days=10 + n % 400),
        )
        other = services.group_create(actor=petra, name=f"Mätgrupp {n}", district=f"Område {n % 7}")
        services.relation_add(
            actor=petra,
            group=group,
            other_group=other,
            kind=kinds[n % 3],
            intensity=1 + n % 3,
            valid_from=today - timedelta(days=50),
        )
        services.incident_create(
            actor=petra,
            groups=[group, other],
            kind="shooting",
            occurred_at=timezone.now() - timedelta(days=n + 1),
            place=f"Mätgatan {n}",
            district="Rosengård",
        )


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


PAGE_URLS = {
    "group list": lambda w: "/mapping/groups/?sort=-members",
    "group detail": lambda w: f"/mapping/groups/{w['malmo_group'].pk}/",
    "incident list": lambda w: f"/mapping/incidents/?group={w['malmo_group'].pk}&kind=shooting",
    "network page": lambda w: "/mapping/network/",
}


def test_page_queries_do_not_grow_with_rows(world: dict[str, Any], as_user: ClientFor) -> None:
    """Group list, group detail, incident list and network page: the same queries for 5 rows and for 50."""
    client = as_user("petra")
    urls = {page: url(world) for page, url in PAGE_URLS.items()}
    _grow(world, 0, 5)
    for url in urls.values():
        client.get(url)  # warm up: permission ids are cached per process
    small = {page: _count_queries(client, url) for page, url in urls.items()}
    _grow(world, 5, 45)
    large = {}
    for page, url in urls.items():
        with max_queries(PAGE_QUERY_BUDGET) as captured:
            response = client.get(url)
        large[page] = len(captured.captured_queries)
        if page == "group detail":
            assert len(response.context["members"]) >= 50
            assert len(response.context["relations"]) >= 50
        elif page == "network page":
            assert len(response.context["nodes"]) >= 56
        else:
            assert len(response.context["page"].object_list) == 50, page
    assert small == large, f"queries with 5 rows: {small}; with 50 rows: {large}"


# --- Lists: filters, sorting, bad input --------------------------------------------------------


def test_group_list_filters_and_survives_bad_input(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    falken = world["malmo_group"]
    response = client.get("/mapping/groups/", {"term": "falk", "status": "active"})
    assert [g.pk for g in response.context["page"].object_list] == [falken.pk]
    response = client.get("/mapping/groups/", {"district": falken.district})
    assert falken.pk in [g.pk for g in response.context["page"].object_list]
    for query in ({"status": "nonsense"}, {"page": "abc", "sort": "'; drop"}, {"page": "99999"}):
        assert client.get("/mapping/groups/", query).status_code == 200, query
    response = client.get("/mapping/groups/", {"status": "nonsense"})
    assert response.context["filters"].errors
    event = AuditEvent.objects.filter(actor_id=world["petra"].pk, action=AuditAction.LIST).latest("id")
    assert event.object_type == "mapping.group"


def test_incident_list_rejects_a_reversed_date_range(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    response = client.get("/mapping/incidents/", {"date_from": "2025-06-01", "date_to": "2025-01-01"})
    assert response.status_code == 200
    assert "date_to" in response.context["filters"].errors
    assert list(response.context["page"].object_list) == []
    for query in ({"date_from": "not-a-date"}, {"kind": "nope"}, {"group": "abc"}, {"group": "999999"}, {"page": "-1"}):
        assert client.get("/mapping/incidents/", query).status_code == 200, query


def test_incident_list_filters_and_carries_them_to_the_export(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    incident: Incident = world["malmo_incident"]
    day = timezone.localtime(incident.occurred_at).date().isoformat()
    query = {"date_from": day, "date_to": day, "kind": incident.kind, "gmi": incident.gmi}
    response = client.get("/mapping/incidents/", query)
    shown = [i.pk for i in response.context["page"].object_list]
    assert incident.pk in shown
    assert all(i.kind == incident.kind for i in response.context["page"].object_list)
    html = response.content.decode()
    assert f"/mapping/export/incidents.csv?date_from={day}" in html
    assert "/mapping/export/incidents.xlsx?" in html


def test_network_page_shows_the_same_data_as_a_table(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    response = client.get("/mapping/network/", {"as_of": "bad"})
    assert response.status_code == 200
    assert response.context["as_of"] == timezone.localdate()
    html = response.content.decode()
    assert 'data-url="/api/mapping/network/?as_of=' in html
    assert "js/network.js" in html
    assert "vendor/cytoscape.min.js" in html
    assert world["malmo_group"].name in html
    assert world["orebro_group"].name not in html
    event = AuditEvent.objects.filter(actor_id=world["petra"].pk, action=AuditAction.LIST).latest("id")
    assert str(world["malmo_group"].pk) in event.object_ids
    assert "<style" not in html
    assert " style=" not in html


# --- Writes through the pages ---------------------------------------------------------------------


def test_group_edit_refuses_a_stale_version_and_shows_both(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    group: Group = world["malmo_group"]
    read = client.get(f"/mapping/groups/{group.pk}/edit/").context["form"].initial["version"]
    services.group_update(actor=world["anders"], group=group, version=read, notes="Anders was here first")
    data = {"name": group.name, "aliases": "", "district": group.district, "status": "dormant", "notes": "Petra's"}
    response = client.post(f"/mapping/groups/{group.pk}/edit/", {**data, "version": read})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this group" in html
    assert "Anders was here first" in html  # their version
    assert "Petra&#x27;s" in html  # ours, still in the form
    fresh = Group.objects.get(pk=group.pk)
    assert fresh.notes == "Anders was here first"
    assert fresh.status == "active"
    # Saving again with the version shown now succeeds.
    response = client.post(f"/mapping/groups/{group.pk}/edit/", response.context["form"].data)
    assert response.status_code == 302
    assert Group.objects.get(pk=group.pk).notes == "Petra's"


def test_membership_create_defaults_the_review_and_reconfirm_renews_it(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("petra")
    group: Group = world["malmo_group"]
    person = person_create(actor=world["petra"], given_name="Ny", family_name="Medlem", birth_year=2001)
    today = timezone.localdate()
    data = {
        "person": person.pk,
        "role": "member",
        "confidence": "possible",
        "source": "tips",
        "valid_from": (today - timedelta(days=400)).isoformat(),
        "last_confirmed": (today - timedelta(days=370)).isoformat(),
    }
    response = client.post(f"/mapping/groups/{group.pk}/members/new/", data)
    assert response.status_code == 302
    membership = GroupMembership.objects.get(group=group, person=person)
    assert membership.review_due < today  # twelve months after the last confirmation: lapsed
    html = client.get(f"/mapping/groups/{group.pk}/").content.decode()
    assert "Lapsed" in html
    reviews = client.get("/mapping/reviews/")
    assert membership.pk in [m.pk for m in reviews.context["page"].object_list]
    response = client.post(f"/mapping/memberships/{membership.pk}/reconfirm/", {"next": "/mapping/reviews/"})
    assert response.status_code == 302
    assert response["Location"] == "/mapping/reviews/"
    membership.refresh_from_db()
    assert membership.last_confirmed == today
    assert membership.is_active_on(today)


def test_membership_create_rejects_someone_elses_person(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    group: Group = world["malmo_group"]
    outsider = person_create(actor=world["sara"], given_name="Annan", family_name="Myndighet", birth_year=1999)
    today = timezone.localdate().isoformat()
    data = {"person": outsider.pk, "role": "member", "confidence": "possible", "source": "x", "valid_from": today}
    data["last_confirmed"] = today
    response = client.post(f"/mapping/groups/{group.pk}/members/new/", data)
    assert response.status_code == 200
    assert "person" in response.context["form"].errors
    assert not GroupMembership.objects.filter(person=outsider).exists()


def test_relation_create_offers_only_other_visible_groups(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    group: Group = world["malmo_group"]
    choices = client.get(f"/mapping/groups/{group.pk}/relations/new/").context["form"].fields["other_group"].queryset
    assert group.pk not in {g.pk for g in choices}
    assert world["orebro_group"].pk not in {g.pk for g in choices}
    data = {"other_group": group.pk, "kind": "conflict", "intensity": 2, "valid_from": "2024-01-01"}
    response = client.post(f"/mapping/groups/{group.pk}/relations/new/", data)
    assert response.status_code == 200
    assert "other_group" in response.context["form"].errors


def test_incident_create_and_involvements(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    group: Group = world["malmo_group"]
    when = timezone.localtime() - timedelta(days=1)
    data = {
        "kind": "explosion",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "place": "Testgatan 1",
        "district": "Centrum",
        "latitude": "55.60500",
        "longitude": "13.00000",
        "killed": 0,
        "injured": 2,
        "gmi": "suspected",
        "police_case_number": "5000-K777-77",
        "groups": [group.pk],
    }
    response = client.post("/mapping/incidents/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    incident = Incident.objects.get(police_case_number="5000-K777-77")
    assert list(incident.groups.values_list("pk", flat=True)) == [group.pk]
    # The same case number again is refused on the form, not with a 500.
    response = client.post("/mapping/incidents/new/", data)
    assert response.status_code == 200
    assert "police_case_number" in response.context["form"].errors
    future = {**data, "police_case_number": "", "occurred_at": (when + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")}
    response = client.post("/mapping/incidents/new/", future)
    assert response.status_code == 200
    assert "occurred_at" in response.context["form"].errors

    person = person_create(actor=world["petra"], given_name="Vittne", family_name="Ett", birth_year=1990)
    response = client.post(
        f"/mapping/incidents/{incident.pk}/involvements/new/", {"person": person.pk, "role": "victim"}
    )
    assert response.status_code == 302
    assert not GroupMembership.objects.filter(person=person).exists()  # a victim is never made a member
    involvement = incident.involvements.get()
    assert client.get(f"/mapping/involvements/{involvement.pk}/delete/").status_code == 200
    assert client.post(f"/mapping/involvements/{involvement.pk}/delete/").status_code == 302
    assert not incident.involvements.exists()
