"""The start-page panel "Tasks after incidents" (interventions/panels.py): the open tasks the user's agency owns,
overdue first with a badge, then the next due, with the district and the deadline and a link to the task on the
response page; the counts only beyond five. With frozen time: the demo's overdue Malmö stad tasks show on
Sara's and Erik's start pages and Karin's task on hers; never on Petra's (the police see those tasks but do
not own them) nor on Lena's. A fixed number of queries, within the start page's budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from interventions import panels
from interventions.models import ResponseTask
from interventions.services import responses as services
from tests.conftest import max_queries
from tests.gvi.test_shell import HOME_QUERY_LIMIT

ClientFor = Callable[[str], Client]


@pytest.fixture
def frozen(world: dict[str, Any]) -> Iterator[Any]:
    """Four days after the demo's shooting: the 72-hour tasks are a day overdue."""
    moment = world["malmo_response"].occurred_at + timedelta(hours=96)
    with time_machine.travel(moment, tick=False):
        yield moment


def _task_url(task: ResponseTask) -> str:
    return reverse("interventions:response-detail", args=[task.response_id]) + f"#task-{task.pk}"


def _panel(html: str) -> str:
    match = re.search(r'data-testid="panel-response-tasks".*?</div></div>', html, re.S)
    return match.group(0) if match else ""


def _items(panel: str) -> dict[str, str]:
    """Each listed task's link to the task, with its entry in the panel."""
    items = re.findall(r'<li class="mb-1" data-testid="panel-task">(.*?)</li>', panel, re.S)
    return {re.search(r'href="([^"]+)"', item).group(1): item for item in items}  # type: ignore[union-attr]


def _home_panel(as_user: ClientFor, persona: str) -> str:
    response = as_user(persona).get("/")
    assert response.status_code == 200
    return _panel(response.content.decode())


def _add_task(world: dict[str, Any], title: str, agency: str, deadline: Any) -> ResponseTask:
    return services.response_task_add(
        actor=world["petra"],
        response=world["malmo_response"],
        title=title,
        agency=world[agency].agency,
        deadline=deadline,
    )


def test_the_overdue_municipality_tasks_show_on_saras_and_eriks_start_pages(
    world: dict[str, Any], as_user: ClientFor, frozen: Any
) -> None:
    exit_offer = world["malmo_task_exit"]
    for persona in ("sara", "erik"):
        items = _items(_home_panel(as_user, persona))
        assert _task_url(exit_offer) in items, persona
        entry = items[_task_url(exit_offer)]
        assert 'data-testid="panel-overdue"' in entry
        assert "Rosengård" in entry
        assert frozen.strftime("%Y") in entry  # the deadline
        # Hers and Karin's done or foreign tasks never show.
        assert _task_url(world["malmo_task_crisis"]) not in items
        assert _task_url(world["malmo_task_probation"]) not in items
        assert _task_url(world["malmo_task_police"]) not in items


def test_karins_task_shows_on_her_start_page_only_hers(world: dict[str, Any], as_user: ClientFor, frozen: Any) -> None:
    items = _items(_home_panel(as_user, "karin"))
    assert list(items) == [_task_url(world["malmo_task_probation"])]
    assert 'data-testid="panel-overdue"' in items[_task_url(world["malmo_task_probation"])]


@pytest.mark.parametrize("persona", ["petra", "anders", "lena", "olof", "ada", "nils", "maja"])
def test_nobody_else_gets_the_panel(world: dict[str, Any], as_user: ClientFor, frozen: Any, persona: str) -> None:
    html = as_user(persona).get("/").content.decode()
    assert 'data-testid="panel-response-tasks"' not in html
    assert _task_url(world["malmo_task_exit"]) not in html


def test_petra_gets_her_own_polices_open_task_never_a_malmo_stad_one(
    world: dict[str, Any], as_user: ClientFor, frozen: Any
) -> None:
    police = _add_task(world, "Extra patrull vid skolan", "petra", frozen + timedelta(hours=10))
    items = _items(_home_panel(as_user, "petra"))
    assert list(items) == [_task_url(police)]
    assert 'data-testid="panel-overdue"' not in items[_task_url(police)]


def test_a_task_not_yet_due_shows_after_the_overdue_ones_without_the_badge(
    world: dict[str, Any], as_user: ClientFor, frozen: Any
) -> None:
    upcoming = _add_task(world, "Uppföljande samtal med skolan", "sara", frozen + timedelta(days=2))
    items = _items(_home_panel(as_user, "sara"))
    urls = list(items)
    assert urls[-1] == _task_url(upcoming)
    assert urls.index(_task_url(world["malmo_task_exit"])) < urls.index(_task_url(upcoming))
    assert 'data-testid="panel-overdue"' not in items[_task_url(upcoming)]
    assert "Uppföljande samtal med skolan" in items[_task_url(upcoming)]


def test_resolving_the_task_takes_it_off_the_start_page(world: dict[str, Any], as_user: ClientFor, frozen: Any) -> None:
    task = world["malmo_task_exit"]
    services.task_resolve(actor=world["sara"], task=task, version=task.version, status="done", note="Klart.")
    assert _task_url(task) not in _items(_home_panel(as_user, "erik"))


def test_the_counts_show_only_beyond_five(world: dict[str, Any], as_user: ClientFor, frozen: Any) -> None:
    # Two open Malmö stad tasks (both overdue) and three more due later: five, no counts.
    for day in range(3):
        _add_task(world, f"Uppgift {day}", "sara", frozen + timedelta(days=day + 1))
    panel = _home_panel(as_user, "sara")
    assert len(_items(panel)) == 5
    assert 'data-testid="panel-task-counts"' not in panel
    # A sixth: five listed, and the counts (all open, the overdue) shown.
    _add_task(world, "Uppgift 6", "sara", frozen + timedelta(days=6))
    panel = _home_panel(as_user, "sara")
    assert len(_items(panel)) == 5
    assert "6 open tasks in all" in panel
    assert "2 overdue" in panel


def test_the_panel_runs_one_query_whatever_the_number(world: dict[str, Any], frozen: Any) -> None:
    sara = world["sara"]
    with max_queries(1):
        few = panels._tasks_after_incidents(sara)
    for day in range(12):
        _add_task(world, f"Uppgift {day}", "sara", frozen + timedelta(days=day + 1))
    with max_queries(1):
        many = panels._tasks_after_incidents(sara)
    assert few is not None
    assert many is not None
    assert (few["total"], many["total"]) == (2, 14)
    assert (few["overdue"], many["overdue"]) == (2, 2)
    assert len(many["tasks"]) == 5
    with max_queries(0):
        assert panels._tasks_after_incidents(world["lena"]) is None


@pytest.mark.parametrize("persona", ["sara", "karin", "petra"])
def test_the_start_page_stays_within_its_query_budget(
    world: dict[str, Any], as_user: ClientFor, frozen: Any, persona: str
) -> None:
    for day in range(8):
        _add_task(world, f"Uppgift {day}", "sara", frozen + timedelta(days=day + 1))
        _add_task(world, f"Polisuppgift {day}", "petra", frozen + timedelta(days=day + 1))
    client = as_user(persona)
    client.get("/")  # warm the permission-id cache
    with max_queries(HOME_QUERY_LIMIT):
        response = client.get("/")
    assert 'data-testid="panel-response-tasks"' in response.content.decode()
