"""The calendar page: Petra, Sara and Karin each see their month, week and 30-day list with what the policy
lets them see (call-ins, planned custom notifications, deadlines of tasks after the shooting, planned
enforcement actions, follow-ups of exit cases), today marked and overdue tasks flagged. A bad ?view or ?date
shows this month; the page runs a fixed number of queries and writes one list event with what it showed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Person
from gvi.audit.models import AuditAction, AuditEvent
from interventions.models import ResponseTask
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# The design's budget for every page. Measured warm: 11 for Petra, Sara and Karin in every view (session, user,
# device, one query per kind of event the role may see, the list's audit event, the session save).
PAGE_QUERIES = 15


def _page(client: Client, view: str, day: date | None = None) -> Any:
    query = {"view": view} if day is None else {"view": view, "date": day.isoformat()}
    response = client.get(reverse("interventions:calendar"), query)
    assert response.status_code == 200
    return response


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _uids(response: Any) -> set[str]:
    return {event.uid for event in response.context["found"]}


def _information_task(world: dict[str, Any]) -> ResponseTask:
    """Malmö stad's other open task (information to residents and schools)."""
    task = (
        ResponseTask.objects.filter(
            response=world["malmo_response"], status=ResponseTask.Status.OPEN, owner_agency_id=world["sara"].agency_id
        )
        .exclude(pk=world["malmo_task_exit"].pk)
        .get()
    )
    return task


# --- Month ----------------------------------------------------------------------------------------


def test_the_month_is_a_grid_of_whole_weeks_monday_first_with_today_marked(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    response = _page(as_user("petra"), "month")
    today = timezone.localdate()
    weeks = response.context["weeks"]
    assert all(len(week) == 7 for week in weeks)
    assert all(week[0].day.weekday() == 0 for week in weeks)
    assert weeks[0][0].day <= today.replace(day=1) <= weeks[0][6].day
    assert [day.day for week in weeks for day in week if day.today] == [today]
    html = response.content.decode()
    assert html.count('aria-current="date"') == 1
    assert "<caption>" in html
    assert 'scope="col"' in html
    assert 'scope="row"' in html


def test_petra_sees_the_call_in_with_its_venue_in_its_month(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    response = _page(as_user("petra"), "month", _day(call_in.starts_at))
    assert f"callin-{call_in.pk}" in _uids(response)
    html = response.content.decode()
    assert reverse("interventions:callin-detail", args=[call_in.pk]) in html
    assert call_in.place in html
    assert timezone.localtime(call_in.starts_at).strftime("%H:%M") in html


def test_petra_sees_the_tasks_after_the_shooting_with_their_names_and_the_overdue_ones_flagged(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    task = world["malmo_task_exit"]
    response = _page(as_user("petra"), "month", _day(task.deadline))
    event = next(e for e in response.context["found"] if e.uid == f"task-{task.pk}")
    assert event.overdue
    html = response.content.decode()
    assert task.title in html  # the page shows the task's name after the title
    assert "calendar-overdue" in html
    assert "Overdue" in html
    assert f"task-{world['malmo_task_probation'].pk}" in _uids(response)


# --- Week -----------------------------------------------------------------------------------------


def test_the_week_is_seven_days_from_monday(world: dict[str, Any], as_user: ClientFor) -> None:
    response = _page(as_user("sara"), "week", date(2026, 1, 15))  # a Thursday
    span = response.context["span"]
    assert (span.first, span.last) == (date(2026, 1, 12), date(2026, 1, 18))
    assert (span.previous, span.next) == (date(2026, 1, 5), date(2026, 1, 19))
    assert [day.day for day in response.context["days"]] == [date(2026, 1, 12) + timedelta(days=n) for n in range(7)]


def test_sara_sees_her_agencys_tasks_in_their_week_but_not_kriminalvardens(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    task = world["malmo_task_exit"]
    response = _page(as_user("sara"), "week", _day(task.deadline))
    uids = _uids(response)
    assert {f"task-{task.pk}", f"task-{_information_task(world).pk}"} <= uids
    assert f"task-{world['malmo_task_probation'].pk}" not in uids
    html = response.content.decode()
    assert task.title in html
    assert world["malmo_task_probation"].title not in html
    assert "Enforcement action" not in html  # social workers never see rounds


def test_karin_sees_the_supervision_action_in_its_week_but_not_the_polices_actions(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    supervision = world["malmo_action_supervision"]
    response = _page(as_user("karin"), "week", supervision.acted_on)
    uids = _uids(response)
    assert f"action-{supervision.pk}" in uids
    assert f"action-{world['malmo_action_kronofogden'].pk}" not in uids
    html = response.content.decode()
    assert "Enforcement action: Tightened supervision" in html
    assert "Kronofogden" not in html
    assert reverse("interventions:round-detail", args=[supervision.round_id]) in html


# --- List -----------------------------------------------------------------------------------------


def test_the_list_shows_the_next_30_days_by_default_grouped_by_day(world: dict[str, Any], as_user: ClientFor) -> None:
    response = _page(as_user("karin"), "list")
    today = timezone.localdate()
    span = response.context["span"]
    assert (span.first, span.last) == (today, today + timedelta(days=29))
    busy = response.context["busy_days"]
    assert busy
    assert all(day.events for day in busy)
    assert [day.day for day in busy] == sorted({event.day for event in response.context["found"]})


def test_karin_lists_her_task_the_supervision_and_the_call_in_schedule(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    task = world["malmo_task_probation"]
    start = _day(task.deadline)
    call_in = world["malmo_callin"]
    assert _day(call_in.starts_at) <= start + timedelta(days=29)
    response = _page(as_user("karin"), "list", start)
    assert _uids(response) == {
        f"task-{task.pk}",
        f"action-{world['malmo_action_supervision'].pk}",
        f"callin-{call_in.pk}",
    }
    html = response.content.decode()
    assert task.title in html
    assert world["malmo_task_exit"].title not in html


def test_sara_lists_the_notification_she_delivers_and_her_cases_follow_ups(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    notification, case = world["malmo_notification"], world["malmo_erik_case"]
    start = min(_day(notification.planned_for), case.next_follow_up_on)
    response = _page(as_user("sara"), "list", start)
    uids = _uids(response)
    assert {f"notification-{notification.pk}", f"follow-up-{case.pk}"} <= uids
    assert not any(uid.startswith("action-") for uid in uids)
    html = response.content.decode()
    assert reverse("interventions:notification-detail", args=[notification.pk]) in html
    assert reverse("outreach:case-detail", args=[case.pk]) in html


def test_no_page_names_a_subject_person(world: dict[str, Any], as_user: ClientFor) -> None:
    """The titles name no one; only a task's name is added on the page."""
    names = {name for pair in Person.objects.values_list("given_name", "family_name") for name in pair}
    start = timezone.localdate() - timedelta(days=30)
    for persona in ("petra", "sara", "karin"):
        client = as_user(persona)
        for view, day in (("list", start), ("list", start + timedelta(days=30)), ("month", None)):
            main = _page(client, view, day).content.decode().split('<main id="main"', 1)[1]
            assert not [name for name in names if re.search(rf"\b{re.escape(name)}\b", main)], persona


# --- Who gets it, and bad input -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["olof", "ada", "maja"])
def test_those_without_events_see_an_empty_calendar_with_a_next_step(
    world: dict[str, Any], as_user: ClientFor, persona: str
) -> None:
    for view in ("month", "week", "list"):
        response = _page(as_user(persona), view)
        assert response.context["found"] == []
        html = response.content.decode()
        assert 'data-testid="calendar-empty"' in html
        assert "Nothing in your calendar for these days." in html


@pytest.mark.parametrize(
    "query",
    [
        {"view": "year"},
        {"view": "month", "date": "yesterday"},
        {"date": "2026-02-30"},
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
        {"view": "", "date": ""},
        {"view": ["week", "list"], "date": "1999-12-31"},
        {"date": "2026-01-01T10:00"},
    ],
)
def test_a_bad_view_or_date_shows_this_month(world: dict[str, Any], as_user: ClientFor, query: dict[str, Any]) -> None:
    response = as_user("sara").get(reverse("interventions:calendar"), query)
    assert response.status_code == 200
    span = response.context["span"]
    expected_view = "list" if query.get("view") == ["week", "list"] else "month"
    assert span.view == expected_view
    today = timezone.localdate()
    assert span.first <= today <= span.last


@pytest.mark.parametrize("day", ["2000-01-01", "2099-12-31"])
@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_the_first_and_last_dates_accepted_work_in_every_view(
    world: dict[str, Any], as_user: ClientFor, view: str, day: str
) -> None:
    response = as_user("petra").get(reverse("interventions:calendar"), {"view": view, "date": day})
    assert response.status_code == 200
    assert response.context["span"].first <= date.fromisoformat(day) <= response.context["span"].last


def test_the_month_links_to_the_previous_and_next_months(world: dict[str, Any], as_user: ClientFor) -> None:
    response = _page(as_user("karin"), "month", date(2026, 1, 15))
    span = response.context["span"]
    assert (span.first, span.last) == (date(2025, 12, 29), date(2026, 2, 1))
    assert (span.previous, span.next) == (date(2025, 12, 1), date(2026, 2, 1))
    html = response.content.decode()
    assert "?view=month&amp;date=2025-12-01" in html
    assert "?view=month&amp;date=2026-02-01" in html
    assert "?view=week&amp;date=2026-01-15" in html  # the view switcher keeps the day chosen


def test_the_page_writes_one_list_event_with_what_it_showed(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("karin")
    before = AuditEvent.objects.count()
    response = _page(client, "list")
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None
    assert (event.action, event.actor_id, event.purpose) == (AuditAction.LIST, world["karin"].pk, "calendar")
    assert set(event.object_ids) == _uids(response)
    assert event.object_ids


def test_anonymous_visitors_are_sent_to_the_login(world: dict[str, Any]) -> None:
    for route in ("interventions:calendar", "interventions:calendar-feed"):
        response = Client().get(reverse(route))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", ["petra", "sara", "karin"])
@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_the_page_runs_a_fixed_number_of_queries(
    world: dict[str, Any], as_user: ClientFor, persona: str, view: str
) -> None:
    client = as_user(persona)
    _page(client, view)  # warm: the permission ids are cached per process
    with max_queries(PAGE_QUERIES):
        _page(client, view)
