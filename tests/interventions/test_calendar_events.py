"""The calendar feed's secret (interventions/services/feeds.py) and the calendar's events
(interventions.calendar.events) at a frozen moment: which events each persona gets, what drops out (a
cancelled call-in, a resolved task, a closed case's follow-ups), titles that name no person, and a bounded
number of queries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from interventions.calendar import Event, events
from interventions.models import CalendarFeed, CallIn, ResponseTask
from interventions.services import callins, feeds, responses
from outreach.services import cases as exit_cases
from tests.conftest import max_queries

EVENT_QUERIES = 8
PERSONAS = ("petra", "anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja", "malin", "olle")


@pytest.fixture
def frozen() -> Iterator[datetime]:
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def month(user: Staff) -> list[Event]:
    """The user's events from 30 days back to 30 days ahead."""
    today = timezone.localdate()
    return events(user, today - timedelta(days=30), today + timedelta(days=30))


def uids(found: list[Event]) -> set[str]:
    return {e.uid for e in found}


def kinds(found: list[Event]) -> set[str]:
    return {e.kind for e in found}


def feed_rows(user: Staff) -> Any:
    return CalendarFeed.objects.filter(user=user)


# --------------------------------------------------------------------------------------------------
# The feed's secret


def test_a_feed_stores_the_hash_of_its_token_never_the_token(world: dict[str, Any]) -> None:
    petra = world["petra"]
    feed, token = feeds.feed_create(actor=petra)
    assert len(token) >= 40
    stored = CalendarFeed.objects.get(pk=feed.pk)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(getattr(stored, f.attname)) for f in CalendarFeed._meta.concrete_fields}
    assert (stored.user_id, stored.revoked_at, stored.last_used_at) == (petra.pk, None, None)
    assert feeds.live_feed(petra) == stored
    created = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="interventions.calendarfeed", object_id=str(feed.pk)
    )
    assert token not in str(created.detail)
    assert feeds.feed_owner(token) == petra
    assert CalendarFeed.objects.get(pk=feed.pk).last_used_at is not None


def test_a_new_feed_revokes_the_old_one(world: dict[str, Any]) -> None:
    sara = world["sara"]
    first, old = feeds.feed_create(actor=sara)
    second, new = feeds.feed_create(actor=sara)
    assert old != new
    assert CalendarFeed.objects.get(pk=first.pk).revoked_at is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.REVOKE, object_type="interventions.calendarfeed", object_id=str(first.pk)
    ).exists()
    assert feeds.feed_owner(old) is None
    assert feeds.feed_owner(new) == sara
    assert feeds.live_feed(sara) == second
    assert feed_rows(sara).filter(revoked_at=None).count() == 1


def test_a_revoked_feed_answers_no_one(world: dict[str, Any]) -> None:
    karin, petra = world["karin"], world["petra"]
    assert feeds.feed_revoke(actor=karin) is False
    _feed, token = feeds.feed_create(actor=karin)
    _other, petras = feeds.feed_create(actor=petra)
    assert feeds.feed_revoke(actor=karin) is True
    assert feeds.feed_owner(token) is None
    assert feeds.live_feed(karin) is None
    assert feeds.feed_revoke(actor=karin) is False
    # Karin's revoke touches only her own feed.
    assert feeds.feed_owner(petras) == petra


@pytest.mark.parametrize("token", ["", "x", "not-a-token-anyone-was-given", "a" * 129, "ä" * 43])
def test_an_unknown_token_answers_no_one(world: dict[str, Any], token: str) -> None:
    feeds.feed_create(actor=world["petra"])
    assert feeds.feed_owner(token) is None


def test_an_overlong_token_is_refused_before_it_is_looked_up(world: dict[str, Any]) -> None:
    _feed, token = feeds.feed_create(actor=world["petra"])
    assert feeds.feed_owner(token + "x" * 200) is None
    with max_queries(0):
        assert feeds.feed_owner("y" * 129) is None


def test_a_deactivated_owners_feed_answers_no_one(world: dict[str, Any]) -> None:
    erik = world["erik"]
    _feed, token = feeds.feed_create(actor=erik)
    Staff.objects.filter(pk=erik.pk).update(is_active=False)
    assert feeds.feed_owner(token) is None
    Staff.objects.filter(pk=erik.pk).update(is_active=True)
    assert feeds.feed_owner(token) == erik


@pytest.mark.parametrize("name", ["lena", "olof", "ada", "nils"])
def test_every_persona_keeps_a_feed_of_their_own(world: dict[str, Any], name: str) -> None:
    feed, token = feeds.feed_create(actor=world[name])
    assert feeds.feed_owner(token) == world[name]
    assert feeds.live_feed(world[name]) == feed
    # Nobody else's feed is theirs to see or revoke.
    _petras, petras_token = feeds.feed_create(actor=world["petra"])
    assert feeds.live_feed(world[name]) == feed
    assert feeds.feed_revoke(actor=world[name]) is True
    assert feeds.feed_owner(petras_token) == world["petra"]


def test_a_deactivated_user_makes_no_feed(world: dict[str, Any]) -> None:
    erik = world["erik"]
    erik.is_active = False
    with pytest.raises(Http404):
        feeds.feed_create(actor=erik)
    assert not feed_rows(erik).exists()


# --------------------------------------------------------------------------------------------------
# The events


def test_petra_gets_the_police_calendar(world: dict[str, Any], frozen: datetime) -> None:
    found = month(world["petra"])
    assert kinds(found) == {"callin", "notification", "task", "action"}
    assert {
        f"callin-{world['malmo_callin'].pk}",
        f"callin-{world['malmo_callin_past'].pk}",
        f"notification-{world['malmo_notification'].pk}",
        f"task-{world['malmo_task_exit'].pk}",
        f"task-{world['malmo_task_probation'].pk}",
        f"action-{world['malmo_action_supervision'].pk}",
        f"action-{world['malmo_action_kronofogden'].pk}",
    } <= uids(found)
    # Done, resolved or delivered: not on the calendar.
    for key, prefix in (
        ("malmo_task_police", "task"),
        ("malmo_task_crisis", "task"),
        ("malmo_action_arrest", "action"),
        ("malmo_notification_done", "notification"),
    ):
        assert f"{prefix}-{world[key].pk}" not in uids(found), key
    assert found == sorted(found)
    call_in = next(e for e in found if e.uid == f"callin-{world['malmo_callin'].pk}")
    assert (call_in.start, call_in.place) == (world["malmo_callin"].starts_at, world["malmo_callin"].place)
    task = next(e for e in found if e.uid == f"task-{world['malmo_task_exit'].pk}")
    assert (task.start, task.overdue, task.detail) == (
        world["malmo_task_exit"].deadline,
        True,
        world["malmo_task_exit"].title,
    )
    # The other agencies' deadlines reach the police calendar through the status view (its title is in it):
    # the police do not read those tasks in full.
    others = [world["malmo_task_exit"].pk, world["malmo_task_probation"].pk]
    for police in ("petra", "anders"):
        assert not access.visible(world[police], ResponseTask).filter(pk__in=others).exists()
        assert access.visible(world[police], ResponseTask, "view_status").filter(pk__in=others).count() == 2
        assert {f"task-{pk}" for pk in others} <= uids(month(world[police]))
    action = next(e for e in found if e.uid == f"action-{world['malmo_action_supervision'].pk}")
    assert (action.all_day, action.day) == (True, world["malmo_action_supervision"].acted_on)
    assert action.url.endswith(f"/{world['malmo_round'].pk}/")


def test_sara_gets_her_agencys_tasks_and_her_cases_never_an_enforcement_action(
    world: dict[str, Any], frozen: datetime
) -> None:
    found = month(world["sara"])
    assert kinds(found) == {"callin", "notification", "task", "follow_up", "threat_review"}
    case = world["malmo_exit_case"]
    assert {
        f"callin-{world['malmo_callin'].pk}",
        f"notification-{world['malmo_notification'].pk}",
        f"task-{world['malmo_task_exit'].pk}",
        f"follow-up-{case.pk}",
        f"threat-review-{case.pk}",
    } <= uids(found)
    tasks = {e.uid for e in found if e.kind == "task"}
    open_stad = ResponseTask.objects.filter(owner_agency_id=world["sara"].agency_id, status=ResponseTask.Status.OPEN)
    assert tasks == {f"task-{t.pk}" for t in open_stad}
    assert f"task-{world['malmo_task_probation'].pk}" not in tasks
    review = next(e for e in found if e.uid == f"threat-review-{case.pk}")
    assert (review.day, review.overdue, review.all_day) == (case.threat_review_on, True, True)


def test_karin_gets_her_task_and_her_action(world: dict[str, Any], frozen: datetime) -> None:
    found = month(world["karin"])
    assert kinds(found) == {"callin", "task", "action"}
    assert {e.uid for e in found if e.kind == "task"} == {f"task-{world['malmo_task_probation'].pk}"}
    assert {e.uid for e in found if e.kind == "action"} == {f"action-{world['malmo_action_supervision'].pk}"}
    # The call-ins' schedule only: the time and place.
    assert {e.uid for e in found if e.kind == "callin"} == {
        f"callin-{world['malmo_callin'].pk}",
        f"callin-{world['malmo_callin_past'].pk}",
    }


@pytest.mark.parametrize("name", ["lena", "olof", "ada", "maja", "olle"])
def test_roles_without_case_work_get_an_empty_calendar(world: dict[str, Any], name: str, frozen: datetime) -> None:
    assert month(world[name]) == []


def test_the_other_program_sees_none_of_malmos_events(world: dict[str, Any], frozen: datetime) -> None:
    found = month(world["nils"])
    assert kinds(found) <= {"follow_up", "threat_review"}
    assert {e.uid for e in found} == {f"follow-up-{world['orebro_exit_case'].pk}"}


def test_a_day_holds_only_that_days_events(world: dict[str, Any], frozen: datetime) -> None:
    supervision = world["malmo_action_supervision"]
    found = events(world["petra"], supervision.acted_on, supervision.acted_on)
    assert f"action-{supervision.pk}" in uids(found)
    assert f"action-{world['malmo_action_kronofogden'].pk}" not in uids(found)
    assert all(e.day == supervision.acted_on for e in found)


def test_a_cancelled_call_in_drops_out(world: dict[str, Any], frozen: datetime) -> None:
    call_in = world["malmo_callin"]
    uid = f"callin-{call_in.pk}"
    assert uid in uids(month(world["sara"]))
    callins.call_in_set_status(
        actor=world["petra"], call_in=call_in, version=call_in.version, status=CallIn.Status.CANCELLED
    )
    for name in ("petra", "sara", "karin"):
        assert uid not in uids(month(world[name])), name


def test_a_resolved_task_drops_out(world: dict[str, Any], frozen: datetime) -> None:
    task = world["malmo_task_exit"]
    uid = f"task-{task.pk}"
    assert uid in uids(month(world["petra"]))
    responses.task_resolve(actor=world["sara"], task=task, version=task.version, status=ResponseTask.Status.DONE)
    for name in ("petra", "sara", "erik"):
        assert uid not in uids(month(world[name])), name
    assert f"task-{world['malmo_task_probation'].pk}" in uids(month(world["petra"]))


def test_a_closed_cases_follow_ups_drop_out(world: dict[str, Any], frozen: datetime) -> None:
    case = world["malmo_exit_case"]
    case_uids = {f"follow-up-{case.pk}", f"threat-review-{case.pk}"}
    assert case_uids <= uids(month(world["sara"]))
    exit_cases.exit_case_close(actor=world["sara"], case=case, version=case.version, outcome="completed")
    for name in ("sara", "erik"):
        assert not case_uids & uids(month(world[name])), name


def test_overdue_is_counted_at_the_frozen_moment(world: dict[str, Any], frozen: datetime) -> None:
    task = world["malmo_task_exit"]
    uid = f"task-{task.pk}"
    with time_machine.travel(task.deadline - timedelta(hours=1), tick=False):
        early = next(e for e in month(world["sara"]) if e.uid == uid)
    assert not early.overdue
    late = next(e for e in month(world["sara"]) if e.uid == uid)
    assert late.overdue


def test_no_event_title_names_a_person(world: dict[str, Any], frozen: datetime) -> None:
    names = {
        part
        for given, family in Person.objects.values_list("given_name", "family_name")
        for part in (*given.split(), *family.split())
        if len(part) > 1
    }
    names |= {"Leila", "Haddad", "Mina"}  # a speaker and a relative named in the demo
    assert {"Adam", "Karlsson", "Hamza", "Bilal"} <= names
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b", re.IGNORECASE)
    today = timezone.localdate()
    seen = 0
    for name in PERSONAS:
        for event in events(world[name], today - timedelta(days=400), today + timedelta(days=400)):
            seen += 1
            assert not pattern.search(event.title), (name, event.title)
    assert seen > 20


@pytest.mark.parametrize("name", ["petra", "sara", "erik", "karin", "lena"])
def test_the_events_take_a_bounded_number_of_queries(world: dict[str, Any], name: str, frozen: datetime) -> None:
    user = Staff.objects.get(pk=world[name].pk)  # no team or agency cached
    first, last = date.today() - timedelta(days=400), date.today() + timedelta(days=400)
    with max_queries(EVENT_QUERIES):
        found = events(user, first, last)
    if name != "lena":
        assert found
