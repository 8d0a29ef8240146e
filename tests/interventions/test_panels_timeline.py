"""Call-ins and custom notifications on the start page, on the police's record of a person and on the person's
timeline (interventions/panels.py, interventions/timeline.py): the police see the invitations and the
notifications; those who deliver one see its date only; a probation officer the invitations to confirm;
nobody sees more than their role allows, and every panel and provider runs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cases import services as case_services
from interventions import panels, services
from interventions.models import CallInInvitation, CustomNotification
from interventions.timeline import CALL_IN, NOTIFICATION, intervention_items
from tests.conftest import max_queries

Clients = Callable[[str], Client]


def _keys(items: Any) -> set[str]:
    return {item.key for item in items}


def _key(obj: Any) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


# --------------------------------------------------------------------------------------------------
# Timeline


def test_petras_timeline_shows_the_invitations_with_their_status(world: dict[str, Any]) -> None:
    invitation = world["malmo_invitation"]
    items = intervention_items(world["petra"], [invitation.person_id])
    item = next(i for i in items if i.key == _key(invitation))
    assert item.category == CALL_IN
    assert item.when == world["malmo_callin"].starts_at
    assert invitation.get_status_display() in item.title
    assert item.url == reverse("interventions:invitation-detail", args=[invitation.pk])


def test_petras_timeline_shows_the_notifications_with_status_and_outcome(world: dict[str, Any]) -> None:
    done = world["malmo_notification_done"]
    with translation.override("en"):  # not the language an earlier request in this process left active
        items = intervention_items(world["petra"], [done.person_id])
    item = next(i for i in items if i.key == _key(done))
    assert item.category == NOTIFICATION
    assert "Followed up" in item.title
    assert "Delivered" in item.title
    assert done.reason not in item.title + item.detail
    assert item.url == reverse("interventions:notification-detail", args=[done.pk])


def test_the_analyst_sees_them_too(world: dict[str, Any]) -> None:
    planned = world["malmo_notification"]
    assert _key(planned) in _keys(intervention_items(world["anders"], [planned.person_id]))


@pytest.mark.parametrize("persona", ["sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja"])
def test_others_get_nothing_and_run_no_query(world: dict[str, Any], persona: str) -> None:
    person_ids = [
        world[name].person_id
        for name in ("malmo_notification", "malmo_notification_done", "malmo_notification_new", "malmo_invitation")
    ]
    with max_queries(0):
        assert intervention_items(world[persona], person_ids) == []


def test_the_provider_runs_a_fixed_number_of_queries(world: dict[str, Any]) -> None:
    petra = world["petra"]
    person_id = world["malmo_notification"].person_id
    intervention_items(petra, [person_id])  # warm up: the policy looks permission ids up once per process
    with CaptureQueriesContext(connection) as before:
        few = intervention_items(petra, [person_id])
    for _number in range(5):
        services.notification_request(actor=petra, person=world["malmo_notification"].person, reason="Again.")
    with CaptureQueriesContext(connection) as after:
        many = intervention_items(petra, [person_id])
    assert len(many) == len(few) + 5
    assert len(before.captured_queries) == len(after.captured_queries) <= 4


def test_petras_timeline_page_shows_the_items(world: dict[str, Any], as_user: Clients) -> None:
    invitation = world["malmo_invitation"]
    response = as_user("petra").get(reverse("cases:person-timeline", args=[invitation.person_id]))
    assert response.status_code == 200
    assert reverse("interventions:invitation-detail", args=[invitation.pk]) in response.content.decode()


# --------------------------------------------------------------------------------------------------
# The start page


def test_petras_start_panel(world: dict[str, Any]) -> None:
    data = panels._start(world["petra"])
    assert data is not None
    assert world["malmo_callin"] in data["call_ins"]
    assert world["malmo_callin_past"] not in data["call_ins"]
    assert data["awaiting"] == {"requested": 1, "assessed": 0, "planned": 1, "outcome": 0}
    assert data["to_confirm"] is None
    assert data["to_deliver"] is None


def test_saras_start_panel_shows_the_schedule_and_what_she_delivers(world: dict[str, Any]) -> None:
    data = panels._start(world["sara"])
    assert data is not None
    assert [c.pk for c in data["call_ins"]] == [world["malmo_callin"].pk]
    assert data["awaiting"] is None
    assert [n.pk for n in data["to_deliver"]] == [world["malmo_notification"].pk]


def test_karins_start_panel_shows_the_invitations_to_confirm(world: dict[str, Any]) -> None:
    data = panels._start(world["karin"])
    assert data is not None
    assert world["malmo_invitation"].status == CallInInvitation.Status.INVITED
    assert data["to_confirm"] == 1
    # The one she delivered is followed up: nothing planned with her.
    assert data["to_deliver"] == []


@pytest.mark.parametrize("persona", ["lena", "olof", "ada", "maja"])
def test_no_start_panel_for_roles_without_call_ins(world: dict[str, Any], persona: str) -> None:
    assert panels._start(world[persona]) is None


def test_nils_sees_no_malmo_call_in(world: dict[str, Any]) -> None:
    data = panels._start(world["nils"])
    assert data is not None
    assert data["call_ins"] == []
    assert data["to_deliver"] == []


@pytest.mark.parametrize(
    ("persona", "texts"),
    [
        ("petra", ("Upcoming call-ins", "1 to assess", "1 to deliver", "Polishuset, Davidshallstorg")),
        ("sara", ("Upcoming call-ins", "Custom notifications you deliver")),
        ("karin", ("1 invitation to confirm",)),
    ],
)
def test_the_start_page_shows_the_panel(
    world: dict[str, Any], as_user: Clients, persona: str, texts: tuple[str, ...]
) -> None:
    body = as_user(persona).get(reverse("home")).content.decode()
    for text in texts:
        assert text in body
    # Counts and dates only: no names, no reasons.
    assert world["malmo_notification"].person_name not in body
    assert world["malmo_notification"].reason not in body


@pytest.mark.parametrize("persona", ["petra", "sara", "karin"])
def test_the_start_panel_runs_a_fixed_number_of_queries(world: dict[str, Any], persona: str) -> None:
    user = world[persona]
    with CaptureQueriesContext(connection) as before:
        panels._start(user)
    petra = world["petra"]
    for number in range(5):
        person = case_services.person_create(
            actor=petra, given_name=f"Many{number}", family_name="Test", birth_year=2001
        )
        notification = services.notification_request(actor=petra, person=person, reason="Many.")
        notification = services.notification_assess(
            actor=petra, notification=notification, version=1, risk_outcome="proceed", risk_reasoning="Fine."
        )
        services.notification_plan(
            actor=petra,
            notification=notification,
            version=notification.version,
            deliverers=[petra, world["sara"], world["karin"]],
            place="street",
            message_points="Points.",
        )
    with max_queries(len(before.captured_queries)):
        panels._start(user)


# --------------------------------------------------------------------------------------------------
# The person's page


def test_petras_record_shows_the_invitations_and_the_request_button(world: dict[str, Any], as_user: Clients) -> None:
    invitation = world["malmo_invitation"]
    response = as_user("petra").get(reverse("cases:person-detail", args=[invitation.person_id]))
    body = response.content.decode()
    assert 'data-testid="interventions"' in body
    assert reverse("interventions:invitation-detail", args=[invitation.pk]) in body
    assert reverse("interventions:notification-create", args=[invitation.person_id]) in body


def test_petras_record_shows_the_notifications(world: dict[str, Any], as_user: Clients) -> None:
    planned = world["malmo_notification"]
    data = panels._person(world["petra"], planned.person)
    assert data is not None
    assert [n.pk for n in data["notifications"]] == [planned.pk]
    body = as_user("petra").get(reverse("cases:person-detail", args=[planned.person_id])).content.decode()
    assert reverse("interventions:notification-detail", args=[planned.pk]) in body


def test_no_person_panel_outside_the_police(world: dict[str, Any]) -> None:
    for persona, person in (
        ("sara", "malmo_social_person"),
        ("karin", "malmo_probation_person"),
        ("nils", "orebro_person"),
    ):
        assert panels._person(world[persona], world[person]) is None


def test_the_person_panel_runs_a_fixed_number_of_queries(world: dict[str, Any]) -> None:
    planned = world["malmo_notification"]
    petra, person = world["petra"], planned.person
    with CaptureQueriesContext(connection) as before:
        panels._person(petra, person)
    for _number in range(5):
        services.notification_request(actor=petra, person=person, reason="Again.")
    with CaptureQueriesContext(connection) as after:
        data = panels._person(petra, person)
    assert data is not None
    assert len(data["notifications"]) == 6
    assert len(before.captured_queries) == len(after.captured_queries)
    assert CustomNotification.objects.filter(person=planned.person).count() == 6
