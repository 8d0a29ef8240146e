"""Custom-notification pages: the whole flow over the pages (Petra requests, assesses and plans it with Sara;
Sara records the outcome and the follow-up; the time from request to first contact is shown), refused
steps (illegal, double submit, stale) that change nothing, and the partial view of those who deliver it,
which never shows the reason, the risk assessment or the police's record of the person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Person
from gvi.audit.models import AuditAction, AuditEvent
from interventions import services
from interventions.models import CustomNotification
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
Status = CustomNotification.Status

# Upper bounds (a warmed-up process); the count is the same for few and for 50 more notifications: session,
# user, device, the count, the page rows, the list audit event, session save (+ the partial view's grants).
LIST_QUERIES = 10
# The record and its audit event, the deliverers, the person link check, the policy checks of the steps
# the page offers, the staff to choose from in the plan form.
DETAIL_QUERIES = 16

# What those who deliver a notification outside the police must never see (the demo's reasons and risk
# assessments).
POLICE_ONLY_TEXTS = (
    "Bror till offret i skjutningen",
    "Inga pågående förundersökningar",
    "Släppt från anstalt",
    "Ingen risk.",
    "Deliver with precautions",
    "Why a custom notification",
    "Legal-risk assessment",
)


def _detail(notification: CustomNotification) -> str:
    return reverse("interventions:notification-detail", args=[notification.pk])


def _step_url(step: str, notification: CustomNotification) -> str:
    return reverse(f"interventions:notification-{step}", args=[notification.pk])


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _fresh(notification: CustomNotification) -> CustomNotification:
    return CustomNotification.objects.get(pk=notification.pk)


def _new_police_person(world: dict[str, Any], given: str = "Ture", family: str = "Test") -> Person:
    return case_services.person_create(actor=world["petra"], given_name=given, family_name=family, birth_year=2001)


def _shown_ids(user: Any) -> set[str]:
    event = AuditEvent.objects.filter(actor_id=user.pk, action=AuditAction.LIST).order_by("-id").first()
    assert event is not None
    return set(event.object_ids)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- The whole flow over the pages ----------------------------------------------------------------


def test_the_whole_flow_over_the_pages(world: dict[str, Any], as_user: ClientFor) -> None:
    petra, sara = as_user("petra"), as_user("sara")
    person = _new_police_person(world)

    # Petra requests it from the police's record of the person.
    create_url = reverse("interventions:notification-create", args=[person.pk])
    assert petra.get(create_url).status_code == 200
    response = petra.post(create_url, {"reason": "Shot at last night; his brother wants revenge."})
    notification = CustomNotification.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == _detail(notification)
    assert notification.status == Status.REQUESTED
    # The request is ten hours old (a clean minute, so the hours shown are exact).
    requested_at = (timezone.now() - timedelta(hours=10)).replace(second=0, microsecond=0)
    CustomNotification.objects.filter(pk=notification.pk).update(requested_at=requested_at)

    page = petra.get(_detail(notification))
    assert page.context["assess_form"] is not None
    assert page.context["cancel_form"] is not None
    assert page.context["plan_form"] is None
    assert page.context["outcome_form"] is None

    # The legal-risk assessment.
    response = petra.post(
        _step_url("assess", notification),
        {"risk_outcome": "with_care", "risk_reasoning": "No ongoing investigation is affected.", "version": 1},
    )
    assert response.status_code == 302
    notification = _fresh(notification)
    assert notification.status == Status.ASSESSED

    # The plan with Petra and Sara.
    page = petra.get(_detail(notification))
    assert page.context["plan_form"] is not None
    planned_for = timezone.now() + timedelta(days=1)
    response = petra.post(
        _step_url("plan", notification),
        {
            "deliverers": [world["petra"].pk, world["sara"].pk],
            "place": "home",
            "planned_for": _local(planned_for),
            "message_points": "We know what happened. The violence must stop. Help is there.",
            "version": notification.version,
        },
    )
    assert response.status_code == 302, response.context["plan_form"].errors
    notification = _fresh(notification)
    assert notification.status == Status.PLANNED
    assert set(notification.deliverers.values_list("pk", flat=True)) == {world["petra"].pk, world["sara"].pk}

    # Sara sees the plan (the partial view) with the outcome form, and records it.
    page = sara.get(_detail(notification))
    assert page.status_code == 200
    assert page.context["full"] is False
    assert page.context["outcome_form"] is not None
    assert page.context["follow_up_form"] is None
    body = page.content.decode()
    assert "The violence must stop." in body
    assert "Shot at last night" not in body
    assert "No ongoing investigation" not in body
    outcome_at = requested_at + timedelta(hours=6, minutes=30)
    response = sara.post(
        _step_url("outcome", notification),
        {
            "outcome": "delivered",
            "outcome_at": _local(outcome_at),
            "outcome_note": "He listened.",
            "version": notification.version,
        },
    )
    assert response.status_code == 302
    notification = _fresh(notification)
    assert notification.status == Status.OUTCOME
    assert notification.hours_to_contact == 6.5

    # The time from request to first contact is shown to both.
    for client in (petra, sara):
        page = client.get(_detail(notification))
        assert "6.5 hours" in page.content.decode()

    # Sara records the follow-up: help offered and accepted.
    response = sara.post(
        _step_url("follow-up", notification),
        {
            "help_offered": "on",
            "help_accepted": "on",
            "follow_up_note": "Wants to meet the exit team.",
            "version": notification.version,
        },
    )
    assert response.status_code == 302
    notification = _fresh(notification)
    assert notification.status == Status.CLOSED
    assert notification.help_accepted

    # Petra's page offers the referral from the police's record of the person, and no further step.
    page = petra.get(_detail(notification))
    assert reverse("outreach:referral-create", args=[person.pk]) in page.content.decode()
    assert not page.context["has_step"]
    # Petra's list shows the hours to contact.
    listing = petra.get(reverse("interventions:notification-list"))
    row = next(n for n in listing.context["rows"] if n.pk == notification.pk)
    assert row.hours_to_contact == 6.5
    assert "6.5" in listing.content.decode()


def test_the_request_is_from_the_polices_own_record_only(world: dict[str, Any], as_user: ClientFor) -> None:
    url = reverse("interventions:notification-create", args=[world["malmo_social_person"].pk])
    assert as_user("petra").get(url).status_code == 404
    assert as_user("sara").get(url).status_code == 404
    own = reverse("interventions:notification-create", args=[world["malmo_police_person"].pk])
    assert as_user("sara").get(own).status_code == 404
    response = as_user("petra").post(own, {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not CustomNotification.objects.filter(person=world["malmo_police_person"]).exists()


# --- Refused steps change nothing -----------------------------------------------------------------


def test_an_illegal_transition_is_refused_with_a_message(world: dict[str, Any], as_user: ClientFor) -> None:
    planned = world["malmo_notification"]
    before = _fresh(planned)
    response = as_user("petra").post(
        _step_url("assess", planned),
        {"risk_outcome": "proceed", "risk_reasoning": "Again.", "version": before.version},
    )
    assert response.status_code == 200
    assert "this step is not possible now" in response.content.decode()
    after = _fresh(planned)
    assert (after.status, after.version, after.risk_outcome) == (before.status, before.version, before.risk_outcome)


def test_a_double_submit_is_refused_and_changes_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    new = _fresh(world["malmo_notification_new"])
    data = {"version": new.version}
    assert client.post(_step_url("cancel", new), data).status_code == 302
    cancelled = _fresh(new)
    assert cancelled.status == Status.CANCELLED
    events = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="interventions.customnotification")
    count = events.count()

    response = client.post(_step_url("cancel", new), data)
    assert response.status_code == 200
    assert "this step is not possible now (was it already saved?)" in response.content.decode()
    again = _fresh(new)
    assert (again.status, again.version) == (cancelled.status, cancelled.version)
    assert events.count() == count


def test_a_stale_version_shows_the_conflict_and_changes_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    new = _fresh(world["malmo_notification_new"])
    response = as_user("petra").post(
        _step_url("assess", new),
        {"risk_outcome": "proceed", "risk_reasoning": "Fine.", "version": new.version - 1},
    )
    assert response.status_code == 200
    assert response.context["conflict"] is not None
    assert any("Someone else changed this notification" in m for m in _messages(response))
    assert response.context["assess_form"]["version"].value() == str(new.version)
    assert _fresh(new).version == new.version
    assert _fresh(new).status == Status.REQUESTED


def test_form_errors_keep_the_step_and_change_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    new = _fresh(world["malmo_notification_new"])
    client = as_user("petra")
    response = client.post(_step_url("assess", new), {"risk_outcome": "maybe", "version": new.version})
    assert response.status_code == 200
    assert set(response.context["assess_form"].errors) == {"risk_outcome", "risk_reasoning"}
    assert _fresh(new).version == new.version


def test_the_plan_form_refuses_a_huge_id_and_a_far_date(world: dict[str, Any], as_user: ClientFor) -> None:
    new = _fresh(world["malmo_notification_new"])
    client = as_user("petra")
    client.post(_step_url("assess", new), {"risk_outcome": "proceed", "risk_reasoning": "Fine.", "version": 1})
    assessed = _fresh(new)
    response = client.post(
        _step_url("plan", assessed),
        {
            "deliverers": [str(2**70)],
            "place": "home",
            "planned_for": "9999-01-01T10:00",
            "message_points": "Points.",
            "version": assessed.version,
        },
    )
    assert response.status_code == 200
    assert set(response.context["plan_form"].errors) == {"deliverers", "planned_for"}
    # The police without a social worker: the service's rule lands on the field.
    response = client.post(
        _step_url("plan", assessed),
        {"deliverers": [world["petra"].pk], "place": "home", "message_points": "P.", "version": assessed.version},
    )
    assert response.status_code == 200
    assert "together with a social worker" in str(response.context["plan_form"].errors["deliverers"])
    assert _fresh(new).status == Status.ASSESSED


def test_those_outside_the_police_take_only_the_delivery_steps(world: dict[str, Any], as_user: ClientFor) -> None:
    planned = _fresh(world["malmo_notification"])
    sara = as_user("sara")
    for step in ("assess", "plan", "cancel"):
        assert sara.post(_step_url(step, planned), {"version": planned.version}).status_code == 404
    # The analyst reads but takes no step.
    anders = as_user("anders")
    page = anders.get(_detail(planned))
    assert page.status_code == 200
    assert not page.context["has_step"]
    assert anders.post(_step_url("cancel", planned), {"version": planned.version}).status_code == 404
    # Karin records outcomes but follows nothing up.
    done = world["malmo_notification_done"]
    assert as_user("karin").post(_step_url("follow-up", done), {"version": done.version}).status_code == 404
    assert _fresh(planned).version == planned.version


# --- What each role sees --------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["malmo_notification", "malmo_notification_done"])
def test_saras_page_never_shows_the_reason_the_assessment_or_the_person(
    world: dict[str, Any], as_user: ClientFor, subject: str
) -> None:
    notification = world[subject]
    response = as_user("sara").get(_detail(notification))
    assert response.status_code == 200
    body = response.content.decode()
    for text in POLICE_ONLY_TEXTS:
        assert text not in body, text
    assert reverse("cases:person-detail", args=[notification.person_id]) not in body
    assert "/cases/" not in body.split("<main", 1)[-1]
    assert notification.person_name in body
    assert "Petra" in body  # the deliverers' names are part of the plan


def test_petra_sees_it_in_full(world: dict[str, Any], as_user: ClientFor) -> None:
    notification = world["malmo_notification"]
    body = as_user("petra").get(_detail(notification)).content.decode()
    assert "Bror till offret i skjutningen" in body
    assert "Inga pågående förundersökningar" in body
    assert reverse("cases:person-detail", args=[notification.person_id]) in body


def test_karin_sees_only_the_one_she_delivers(world: dict[str, Any], as_user: ClientFor) -> None:
    karin = as_user("karin")
    response = karin.get(reverse("interventions:notification-list"))
    assert response.status_code == 200
    assert _shown_ids(world["karin"]) == {str(world["malmo_notification_done"].pk)}
    assert karin.get(_detail(world["malmo_notification_done"])).status_code == 200
    assert karin.get(_detail(world["malmo_notification"])).status_code == 404
    assert karin.get(_detail(world["malmo_notification_new"])).status_code == 404


@pytest.mark.parametrize("persona", ["erik", "nils"])
def test_erik_and_nils_get_404(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    client = as_user(persona)
    for subject in ("malmo_notification", "malmo_notification_done", "malmo_notification_new"):
        assert client.get(_detail(world[subject])).status_code == 404
    # They deliver none: an empty list.
    response = client.get(reverse("interventions:notification-list"))
    assert response.status_code == 200
    assert not response.context["page"].object_list


@pytest.mark.parametrize("persona", ["lena", "olof", "ada", "maja"])
def test_the_list_is_404_for_roles_that_see_no_notifications(
    world: dict[str, Any], as_user: ClientFor, persona: str
) -> None:
    assert as_user(persona).get(reverse("interventions:notification-list")).status_code == 404


def test_the_police_list_is_filtered_sorted_and_audited(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    url = reverse("interventions:notification-list")
    response = client.get(url)
    ids = {str(world[n].pk) for n in ("malmo_notification", "malmo_notification_done", "malmo_notification_new")}
    assert _shown_ids(world["petra"]) == ids
    response = client.get(url, {"status": "planned"})
    assert [n.pk for n in response.context["page"].object_list] == [world["malmo_notification"].pk]
    assert _shown_ids(world["petra"]) == {str(world["malmo_notification"].pk)}
    response = client.get(url, {"sort": "name"})
    names = [n.person_name for n in response.context["page"].object_list]
    assert names == sorted(names)
    # A bad filter or sort is ignored, never an error.
    assert client.get(url, {"status": "nonsense", "sort": "nonsense", "page": "999"}).status_code == 200


def test_saras_list_shows_the_plan_fields_only(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("sara").get(reverse("interventions:notification-list"))
    assert _shown_ids(world["sara"]) == {
        str(world["malmo_notification"].pk),
        str(world["malmo_notification_done"].pk),
    }
    body = response.content.decode()
    for text in POLICE_ONLY_TEXTS:
        assert text not in body
    for row in response.context["rows"]:
        assert set(row) <= {
            "id",
            "person_name",
            "status",
            "requested_at",
            "place",
            "planned_for",
            "message_points",
            "outcome",
            "outcome_at",
            "outcome_note",
            "first_contact_at",
            "help_offered",
            "help_accepted",
            "follow_up_note",
            "status_label",
            "place_label",
            "outcome_label",
        }


def test_the_detail_writes_one_view_event(world: dict[str, Any], as_user: ClientFor) -> None:
    notification = world["malmo_notification"]
    for persona in ("petra", "sara"):
        before = AuditEvent.objects.filter(action=AuditAction.VIEW, actor_id=world[persona].pk).count()
        as_user(persona).get(_detail(notification))
        after = AuditEvent.objects.filter(action=AuditAction.VIEW, actor_id=world[persona].pk).count()
        assert after == before + 1


# --- Query counts ---------------------------------------------------------------------------------


def _request_many(world: dict[str, Any], count: int) -> None:
    """More notifications, each planned with Petra and Sara."""
    petra = world["petra"]
    for number in range(count):
        person = _new_police_person(world, given=f"Many{number}", family="Test")
        notification = services.notification_request(actor=petra, person=person, reason="Many.")
        notification = services.notification_assess(
            actor=petra, notification=notification, version=1, risk_outcome="proceed", risk_reasoning="Fine."
        )
        services.notification_plan(
            actor=petra,
            notification=notification,
            version=notification.version,
            deliverers=[petra, world["sara"]],
            place="street",
            message_points="Points.",
        )


@pytest.mark.parametrize(("persona", "few"), [("petra", 3), ("sara", 2)])
def test_the_list_runs_a_fixed_number_of_queries(
    world: dict[str, Any], as_user: ClientFor, persona: str, few: int
) -> None:
    client = as_user(persona)
    url = reverse("interventions:notification-list")
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert len(client.get(url).context["page"].object_list) == few
    _request_many(world, 50)
    with max_queries(LIST_QUERIES) as after:
        assert len(client.get(url).context["page"].object_list) == 50
    assert len(before.captured_queries) == len(after.captured_queries)


@pytest.mark.parametrize(("persona", "subject"), [("petra", "malmo_notification"), ("sara", "malmo_notification")])
def test_the_detail_runs_a_fixed_number_of_queries(
    world: dict[str, Any], as_user: ClientFor, persona: str, subject: str
) -> None:
    client = as_user(persona)
    url = _detail(world[subject])
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    _request_many(world, 5)
    with max_queries(DETAIL_QUERIES) as after:
        assert client.get(url).status_code == 200
    assert len(before.captured_queries) == len(after.captured_queries)
