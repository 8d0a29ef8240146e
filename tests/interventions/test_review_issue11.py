"""Adversarial review of issue 11 (enforcement rounds, the response after an incident, the calendar and its
feed): each test names a defect, says what is wrong and what is right, and asserts the right behaviour (it fails
until the defect is fixed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from gvi.accounts.services import staff_mfa_reset
from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping import services as mapping_services
from interventions import selectors
from interventions.models import EnforcementAction, EnforcementRound, IncidentResponse, ResponseTask
from interventions.services import responses as response_services
from interventions.services import rounds as round_services

ClientFor = Callable[[str], Client]

# A note only social services may read: who was given crisis support (the standard routine asks for it).
SOCIAL_NOTE = "Krisstöd till modern och två syskon till den skadade."


# --- Bad input ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_round_create_with_a_non_ascii_digit_group_is_not_a_500(world: dict[str, Any], as_api_user: ClientFor) -> None:
    """Defect: views/rounds.py round_create pre-selects `?group=` with `int(group) if group.isdigit()`;
    str.isdigit() is true for "²" (and other Unicode digits) that int() refuses, so a hand-edited link from the
    group page gives Petra a 500. Right: anything but an ASCII id is ignored (the form opens with no group)."""
    response = as_api_user("petra").get(reverse("interventions:round-create") + "?group=%C2%B2")
    assert response.status_code == 200


# --- The calendar feed ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mfa_reset_stops_the_calendar_feed_like_the_api_tokens(world: dict[str, Any], as_user: ClientFor) -> None:
    """Defect: gvi/accounts/services.py staff_mfa_reset (a lost or stolen phone) revokes the staff member's API
    tokens and ends their sessions, but sends no `staff_access_ended`, so the calendar feed address — a bearer
    credential that usually lives in the calendar app on that very phone — keeps answering with the owner's
    call-ins, tasks and follow-ups. Right: an MFA reset stops the feed (404), like deactivation and a change of
    role do."""
    made = as_user("sara").post(reverse("interventions:calendar-feed"), {"action": "create"})
    path = urlsplit(made.context["address"]).path
    assert Client().get(path).status_code == 200
    staff_mfa_reset(actor=world["ada"], staff=world["sara"])
    assert Client().get(path).status_code == 404


# --- What the police read of other agencies' tasks --------------------------------------------------------


@pytest.mark.django_db
def test_police_do_not_read_the_social_services_note_on_their_task(
    world: dict[str, Any], as_api_user: ClientFor
) -> None:
    """Defect (leak): services/responses.py _grant_task grants the police (the response's owner agency) full
    `view` on every other agency's task, and templates/interventions/responses/_tasks.html and
    api/responses.py ResponseTaskSerializer show them the task's `note`. The note of a social-services task is
    social-services information about individuals (who was given crisis support, who was offered exit), a
    Kriminalvården note names its clients under supervision, and DOMAIN.md says the police never see
    social-services file contents or notes (the help text "never name persons here" does not make it so).
    Right: the police follow another agency's task through a declared partial view (title, agency, deadline,
    status, when resolved), never its note; the owning agency alone reads the note."""
    task = world["malmo_task_exit"]
    response_services.task_resolve(
        actor=world["sara"], task=task, version=task.version, status=ResponseTask.Status.DONE, note=SOCIAL_NOTE
    )
    assert (
        SOCIAL_NOTE
        in as_api_user("sara").get(reverse("interventions:response-detail", args=[task.response_id])).content.decode()
    )
    for police in ("petra", "anders"):
        client = as_api_user(police)
        page = client.get(reverse("interventions:response-detail", args=[task.response_id]))
        assert page.status_code == 200
        assert SOCIAL_NOTE not in page.content.decode(), police
        for url in (f"/api/response-tasks/{task.pk}/", f"/api/response-tasks/?response={task.response_id}"):
            body = client.get(url).json()
            assert SOCIAL_NOTE not in json.dumps(body, ensure_ascii=False), (police, url)


# --- The response's copy of the incident ------------------------------------------------------------------


@pytest.mark.django_db
def test_correcting_the_incident_moves_the_response_summary_and_its_open_deadlines(world: dict[str, Any]) -> None:
    """Defect: services/responses.py response_open copies the incident's time, district and kind onto the
    response and counts every deadline from that time once; gvi/mapping/services.py incident_update (the
    police correcting a wrongly registered time or district) changes nothing on the response. The agencies
    then see a wrong date and district, and their open tasks keep deadlines counted from the wrong time.
    Right: a correction of the incident reaches its response — the summary shows the corrected date,
    district and kind, and open tasks' deadlines move with the incident time (resolved ones stay as they
    were). (mapping must not import interventions: e.g. a signal from incident_update that interventions
    handles.)"""
    incident = world["malmo_incident"]
    response = IncidentResponse.objects.get(incident=incident)
    open_task = world["malmo_task_exit"]
    hours_after = open_task.deadline - incident.occurred_at
    corrected = incident.occurred_at - timedelta(hours=20)
    mapping_services.incident_update(
        actor=world["petra"], incident=incident, version=incident.version, occurred_at=corrected, district="Lindängen"
    )
    response.refresh_from_db()
    assert (response.occurred_at, response.district) == (corrected, "Lindängen")
    assert ResponseTask.objects.get(pk=open_task.pk).deadline == corrected + hours_after


# --- Enforcement rounds -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_round_cannot_end_before_its_planned_actions(world: dict[str, Any]) -> None:
    """Defect: services/rounds.py round_end checks the end date against the start and today, not against the
    round's actions. Ending Grupp Vargen's round today leaves Kronofogden's action (+5 days) and Kriminalvården's
    tightened supervision (+2 days) planned after the round's end: they stay on the police's and Karin's
    calendars and feeds, in "Actions to record", and Kriminalvården is still asked to act in a round that is
    over. round_update refuses the mirror case (a start after an action). Right: ending on a day before a
    planned action is refused with a field error on `ended_on` (the actions are recorded as not carried out,
    or removed, first)."""
    round_ = EnforcementRound.objects.get(pk=world["malmo_round"].pk)
    planned = EnforcementAction.objects.filter(round=round_, status=EnforcementAction.Status.PLANNED)
    assert planned.filter(acted_on__gt=timezone.localdate()).exists()
    with pytest.raises(ValidationError) as refused:
        round_services.round_end(
            actor=world["petra"],
            round_=round_,
            version=round_.version,
            ended_on=timezone.localdate(),
            evaluation="Klart.",
        )
    assert "ended_on" in refused.value.message_dict
    assert EnforcementRound.objects.get(pk=round_.pk).status == EnforcementRound.Status.ACTIVE


@pytest.mark.django_db
def test_a_second_active_round_against_the_same_group_is_refused(world: dict[str, Any], as_user: ClientFor) -> None:
    """Defect: services/rounds.py round_start starts a round against a group that already has an active one
    (Grupp Vargen's, started 14 days ago); a double click on "Start" makes two. Two active rounds against one
    group split its actions and its evaluation, and both show on every list and calendar. (response_open
    refuses a second response to an incident.) Right: a field error on `group` ("an active round against this
    group is running already", with a link to it), and at most one active round per group (a conditional
    unique constraint closes the race)."""
    group = world["malmo_other_group"]
    assert EnforcementRound.objects.filter(group=group, status=EnforcementRound.Status.ACTIVE).count() == 1
    data = {
        "group": group.pk,
        "reason": "Gruppen sköt igen.",
        "summary": "",
        "started_on": timezone.localdate().isoformat(),
    }
    client = as_user("petra")
    for _ in range(2):  # the double submit
        client.post(reverse("interventions:round-create"), data)
    assert EnforcementRound.objects.filter(group=group, status=EnforcementRound.Status.ACTIVE).count() == 1


@pytest.mark.django_db
def test_the_round_page_audits_the_actions_it_shows(world: dict[str, Any], as_user: ClientFor) -> None:
    """Defect (missing audit): views/rounds.py round_detail shows the round's actions (root objects with grants
    of their own: Karin's supervision action with its description and result) but writes only the round's
    VIEW event; the response page writes a LIST event for the tasks it shows (audit_shown_on), the API writes
    one for actions, and the round list for its "Actions to record". Right: the round page (full and summary)
    writes one LIST event with the ids of the actions it shows, `shown_on` the round."""
    round_ = world["malmo_round"]
    action = world["malmo_action_supervision"]
    before = AuditEvent.objects.count()
    assert as_user("karin").get(reverse("interventions:round-detail", args=[round_.pk])).status_code == 200
    listed = AuditEvent.objects.order_by("id")[before:]
    assert any(
        event.action == AuditAction.LIST
        and event.object_type == "interventions.enforcementaction"
        and str(action.pk) in event.object_ids
        for event in listed
    ), [(e.action, e.object_type, e.object_ids) for e in listed]


# --- The routine ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_standard_routine_is_installed_in_the_programs_language(world: dict[str, Any], as_user: ClientFor) -> None:
    """Defect: services/responses.py routine_install_standard says "in the program's language" but translates
    the standard tasks with the requester's active language: Lena, with her browser in English, stores an
    English routine, and every response opened from it gives Sara and Karin English task titles in a Swedish
    program. Right: the stored titles and descriptions are in the program's language (settings.LANGUAGE_CODE,
    as the iCal feed uses), whoever installs it."""
    lena = world["lena"]
    for item in list(selectors.routine(lena)):
        response_services.routine_item_remove(actor=lena, item=item)
    response = as_user("lena").post(reverse("interventions:routine-standard"))
    assert response.status_code == 302
    titles = list(selectors.routine(lena).values_list("title", flat=True))
    with translation.override("sv"):
        expected = translation.gettext("Crisis support to victims, relatives and witnesses")
    assert expected != "Crisis support to victims, relatives and witnesses"
    assert expected in titles, titles
