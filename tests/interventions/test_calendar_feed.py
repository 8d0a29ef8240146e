"""The iCal feed: a secret, revocable address per staff member, read by calendar programs without a session.

Petra's feed holds the call-ins, the planned custom notification, the open tasks of the response and the
round's planned actions; Sara's the call-in schedule, the notification she delivers, Malmö stad's open tasks
and the follow-ups of her team's exit cases; Karin's her task, the supervision action and the call-in schedule.
No feed names a subject person or a group, or gives a task's text. A revoked address, an address replaced by a
new one, a deactivated owner's address and an unknown one all answer the same 404.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cases.models import Person
from gvi.accounts.services import staff_deactivate
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import PERSONA_NAMES
from gvi.mapping.models import Group
from interventions.models import CalendarFeed, ResponseTask
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured for Sara: the feed with its owner, marking it used, the owner again, one query per kind of event she
# may see (four), the audit event. No session, no device.
FEED_QUERIES = 8
HOST = urlsplit(settings.SITE_URL).hostname


def _make_feed(client: Client) -> str:
    """A new feed address, as the page shows it once."""
    response = client.post(reverse("interventions:calendar-feed"), {"action": "create"})
    assert response.status_code == 200
    address = response.context["address"]
    assert address.startswith(settings.SITE_URL.rstrip("/") + "/interventions/calendar/")
    assert address.endswith(".ics")
    assert address in response.content.decode()
    return str(address)


def _fetch(address: str) -> Any:
    """What a calendar program gets: no session, no cookies, just the address."""
    return Client().get(urlsplit(address).path)


def _events(response: Any) -> list[icalendar.Event]:
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.content).events


def _uids(response: Any) -> set[str]:
    uids = {str(event["UID"]) for event in _events(response)}
    assert all(uid.endswith(f"@{HOST}") for uid in uids)
    return {uid.removesuffix(f"@{HOST}") for uid in uids}


def _unfolded(response: Any) -> str:
    """The feed's text with folded lines joined and escapes undone, as a person reading it would see it."""
    text = response.content.decode().replace("\r\n ", "").replace("\r\n\t", "")
    return text.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n").replace("\\\\", "\\")


def _information_task(world: dict[str, Any]) -> ResponseTask:
    return (
        ResponseTask.objects.filter(
            response=world["malmo_response"], status=ResponseTask.Status.OPEN, owner_agency_id=world["sara"].agency_id
        )
        .exclude(pk=world["malmo_task_exit"].pk)
        .get()
    )


def _call_ins(world: dict[str, Any]) -> set[str]:
    return {f"callin-{world['malmo_callin'].pk}", f"callin-{world['malmo_callin_past'].pk}"}


def _expected(world: dict[str, Any], persona: str) -> set[str]:
    exit_task, information = world["malmo_task_exit"], _information_task(world)
    probation, notification = world["malmo_task_probation"], world["malmo_notification"]
    supervision, kronofogden = world["malmo_action_supervision"], world["malmo_action_kronofogden"]
    if persona == "petra":
        return {
            *_call_ins(world),
            f"notification-{notification.pk}",
            f"task-{exit_task.pk}",
            f"task-{information.pk}",
            f"task-{probation.pk}",
            f"action-{supervision.pk}",
            f"action-{kronofogden.pk}",
        }
    if persona == "sara":
        own_case, team_case = world["malmo_exit_case"], world["malmo_erik_case"]
        return {
            *_call_ins(world),
            f"notification-{notification.pk}",
            f"task-{exit_task.pk}",
            f"task-{information.pk}",
            f"follow-up-{own_case.pk}",
            f"threat-review-{own_case.pk}",
            f"follow-up-{team_case.pk}",
        }
    assert persona == "karin"
    return {*_call_ins(world), f"task-{probation.pk}", f"action-{supervision.pk}"}


# --- What is in a feed ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["petra", "sara", "karin"])
def test_the_feed_holds_exactly_what_its_owner_may_see(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    assert _uids(_fetch(_make_feed(as_user(persona)))) == _expected(world, persona)


def test_the_police_round_is_not_in_the_social_workers_feed_and_other_agencies_tasks_are_not_in_karins(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """The hidden objects exist (Petra's feed has them) before we say that the others' feeds lack them."""
    petra = _uids(_fetch(_make_feed(as_user("petra"))))
    sara = _uids(_fetch(_make_feed(as_user("sara"))))
    karin = _uids(_fetch(_make_feed(as_user("karin"))))
    kronofogden = f"action-{world['malmo_action_kronofogden'].pk}"
    exit_task = f"task-{world['malmo_task_exit'].pk}"
    assert kronofogden in petra
    assert exit_task in petra
    assert not any(uid.startswith("action-") for uid in sara)
    assert kronofogden not in karin
    assert exit_task not in karin
    assert not any(uid.startswith(("follow-up-", "threat-review-", "notification-")) for uid in karin)


def test_an_event_gives_its_title_a_call_ins_venue_and_the_pages_address_only(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("petra")  # asks for English: the feed is in the site's language all the same
    response = _fetch(_make_feed(client))
    feed = icalendar.Calendar.from_ical(response.content)
    assert str(feed["X-WR-CALNAME"]) == "Sluta skjut"
    call_in, supervision, task = world["malmo_callin"], world["malmo_action_supervision"], world["malmo_task_exit"]
    with translation.override(settings.LANGUAGE_CODE):
        titles = {
            "callin": _("Call-in"),
            "action": _("Enforcement action: %(kind)s") % {"kind": supervision.get_kind_display()},
            "task": _("Task after an incident, %(district)s") % {"district": task.response.district},
        }
    site = settings.SITE_URL.rstrip("/")
    events = {str(event["UID"]).removesuffix(f"@{HOST}"): event for event in feed.events}
    for uid, event in events.items():
        assert str(event["URL"]).startswith(site + "/")
        assert "DTSTAMP" in event
        assert "DESCRIPTION" not in event
        assert ("LOCATION" in event) == uid.startswith("callin-"), uid
    meeting = events[f"callin-{call_in.pk}"]
    assert str(meeting["SUMMARY"]) == titles["callin"]
    assert str(meeting["LOCATION"]) == call_in.place
    assert str(meeting["URL"]) == site + reverse("interventions:callin-detail", args=[call_in.pk])
    assert meeting.start == call_in.starts_at.replace(microsecond=0)
    action = events[f"action-{supervision.pk}"]
    assert type(action.start) is date
    assert action.start == supervision.acted_on
    assert str(action["SUMMARY"]) == titles["action"]
    deadline = events[f"task-{task.pk}"]
    assert isinstance(deadline.start, datetime)
    assert deadline.start == task.deadline.replace(microsecond=0)
    assert str(deadline["SUMMARY"]) == titles["task"]  # the title only, never the task's name
    assert task.response.district
    assert task.response.district in titles["task"]


def test_no_feed_names_a_subject_person_a_group_or_a_tasks_text(world: dict[str, Any], as_user: ClientFor) -> None:
    names = {name for pair in Person.objects.values_list("given_name", "family_name") for name in pair if name}
    # The persons behind the events are among them: the check is not empty.
    for subject in ("malmo_exit_case", "malmo_erik_case"):
        assert world[subject].person.given_name in names
    groups = set(Group.objects.values_list("name", flat=True))
    task_texts = {text for pair in ResponseTask.objects.values_list("title", "note") for text in pair if text}
    assert groups
    assert task_texts
    for persona in PERSONA_NAMES:
        response = _fetch(_make_feed(as_user(persona)))
        text = _unfolded(response)
        assert not [name for name in names if re.search(rf"\b{re.escape(name)}\b", text)], persona
        assert not [group for group in groups if group in text], persona
        assert not [task for task in task_texts if task in text], persona


def test_the_feed_is_private_and_each_fetch_is_audited_under_its_owner(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    address = _make_feed(as_user("karin"))
    response = _fetch(address)
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "no-store, private"
    event = AuditEvent.objects.filter(actor_id=world["karin"].pk).order_by("-id").first()
    assert event is not None
    assert (event.action, event.purpose) == (AuditAction.LIST, "calendar feed")
    assert event.detail["count"] == len(_events(response)) == len(event.object_ids)
    feed = CalendarFeed.objects.get(user=world["karin"], revoked_at=None)
    assert feed.last_used_at is not None
    _fetch(address)
    assert AuditEvent.objects.filter(actor_id=world["karin"].pk, purpose="calendar feed", action="list").count() == 2


def test_the_feed_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    path = urlsplit(_make_feed(as_user("sara"))).path
    client = Client()
    client.get(path)
    with max_queries(FEED_QUERIES):
        assert client.get(path).status_code == 200


# --- Who can open it ------------------------------------------------------------------------------


def _not_found_page(response: Any) -> str:
    """The 404 page without what differs from one answer to the next: its CSRF token and its own address (the
    language form sends the visitor back to it)."""
    assert response.status_code == 404
    page = response.content.decode().replace(response.request["PATH_INFO"], "(address)")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_an_unknown_address_answers_404(world: dict[str, Any]) -> None:
    client = Client()
    unknown = client.get(reverse("interventions:calendar-ics", args=[secrets.token_urlsafe(32)]))
    too_long = client.get(reverse("interventions:calendar-ics", args=["x" * 200]))
    assert _not_found_page(unknown) == _not_found_page(too_long)


def test_a_revoked_address_answers_404(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    address = _make_feed(client)
    assert _fetch(address).status_code == 200
    response = client.post(reverse("interventions:calendar-feed"), {"action": "revoke"})
    assert response.status_code == 302
    stopped = _fetch(address)
    unknown = Client().get(reverse("interventions:calendar-ics", args=[secrets.token_urlsafe(32)]))
    assert _not_found_page(stopped) == _not_found_page(unknown)
    assert not CalendarFeed.objects.filter(user=world["sara"], revoked_at=None).exists()


def test_a_new_address_stops_the_old_one(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    old = _make_feed(client)
    new = _make_feed(client)
    assert old != new
    assert _fetch(old).status_code == 404
    assert _fetch(new).status_code == 200
    assert CalendarFeed.objects.filter(user=world["petra"], revoked_at=None).count() == 1


def test_a_deactivated_owners_address_answers_404(world: dict[str, Any], as_user: ClientFor) -> None:
    address = _make_feed(as_user("karin"))
    assert _fetch(address).status_code == 200
    staff_deactivate(actor=world["ada"], staff=world["karin"])
    assert _fetch(address).status_code == 404


def test_without_a_session_only_the_address_opens_the_calendar(world: dict[str, Any], as_user: ClientFor) -> None:
    address = _make_feed(as_user("sara"))
    anonymous = Client()
    for route in ("interventions:calendar", "interventions:calendar-feed"):
        response = anonymous.get(reverse(route))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert anonymous.get(urlsplit(address).path).status_code == 200
    assert "sessionid" not in anonymous.cookies or not anonymous.cookies["sessionid"].value


# --- The feed's page ------------------------------------------------------------------------------


def test_the_page_shows_the_address_once_and_then_only_when_it_was_made(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("erik")
    page = reverse("interventions:calendar-feed")
    first = client.get(page)
    assert first.context["feed"] is None
    assert 'data-testid="no-feed"' in first.content.decode()
    address = _make_feed(client)
    token = urlsplit(address).path.rsplit("/", 1)[1].removesuffix(".ics")
    later = client.get(page)
    html = later.content.decode()
    assert later.context["feed"] is not None
    assert 'data-testid="live-feed"' in html
    assert token not in html
    assert "no-store" in later["Cache-Control"]
    assert not CalendarFeed.objects.filter(token_hash__contains=token).exists()  # only its digest is stored


def test_the_page_warns_who_can_read_the_address_and_asks_before_stopping_it(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("karin")
    response = client.post(reverse("interventions:calendar-feed"), {"action": "create"})
    html = response.content.decode()
    assert "Anyone who has this address sees the dates" in html
    assert "no-store" in response["Cache-Control"]
    assert html.count("data-confirm=") == 2  # a new address and stopping it both ask first


def test_stopping_without_an_address_says_so(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("olof").post(reverse("interventions:calendar-feed"), {"action": "revoke"}, follow=True)
    assert response.status_code == 200
    assert "You have no feed address to stop." in response.content.decode()


@pytest.mark.parametrize("data", [{}, {"action": "delete"}, {"action": ["create", "revoke", "x"]}])
def test_an_unknown_action_is_refused_with_a_message(
    world: dict[str, Any], as_user: ClientFor, data: dict[str, Any]
) -> None:
    response = as_user("petra").post(reverse("interventions:calendar-feed"), data)
    assert response.status_code == 400
    assert "Choose to make a new feed address or to stop the one you have." in response.content.decode()
    assert not CalendarFeed.objects.filter(user=world["petra"]).exists()
