"""Issue 11 in a real browser: the response after a shooting, the enforcement round, the calendar and its feed.

1. petra (police coordinator) finds a fresh shooting without a response in the incident review, opens the
   incident, then the response routine from it (the confirmation lists the tasks and their deadlines), and
   sees the tasks with their deadlines on the new response's page.
2. sara (social worker, Malmö stad) sees the demo's overdue exit task on her start page, follows it to the
   response (the district; never the incident's place or police case number) and resolves it with the keyboard.
3. petra starts an enforcement round from the round list and logs an action for Kriminalvården; karin
   (probation officer) opens the round's summary from her list (never the group or the reason) and records
   the result of that action.
4. karin opens the calendar (month, week, list), makes an iCal feed address (shown once) and the feed, read
   with the page's request context, is text/calendar and names no person of the world.

Assertions use URLs, ids, data-testid attributes and the data the test wrote or the demo holds, not UI text
(the language may be Swedish or English). Every page on the way is checked with axe-core, and the `browsing`
fixture fails the test on CSP console messages, script errors, static files that do not load and server errors,
and saves a full-page screenshot of every checked page under pytest-playwright's output folder (test-results/).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Person
from gvi.accounts.models import Staff
from gvi.mapping import services as mapping_services
from gvi.mapping.models import Group, Incident
from interventions import selectors
from interventions.models import EnforcementAction, EnforcementRound, IncidentResponse, ResponseTask
from tests.browser.conftest import Browsing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRESH_PLACE = "Webbtest: Lorensborgsgatan 7"
FRESH_DISTRICT = "Fosie"
FRESH_CASE_NUMBER = "5000-WEBBTEST-11"  # no demo incident has this form
DEMO_PLACE = "Ystadvägen 12"  # the demo incident's place (gvi.demo.build_map)
ROUND_GROUP = "Grupp Falken"  # its earlier round has ended
ROUND_REASON = "Webbtest: skjutningen i Fosie, gruppen fortsatte efter samtalet."
ROUND_SUMMARY = "Webbtest: ökat fokus mot en gruppering i Fosie under tre veckor."
ACTION_DESCRIPTION = "Webbtest: oanmälda hembesök hos klienterna i grupperingen."
ACTION_RESULT = "Webbtest: tre hembesök gjorda, ett drogtest positivt."
TASK_NOTE = "Webbtest: erbjudandet lämnat vid hembesök."


def _url(live_server: Any, path: str) -> str:
    return live_server.url + path


def _minute(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _follow(page: Page, selector: str) -> None:
    """Click the one link the selector finds and wait for the page it leads to."""
    link = page.locator(selector)
    expect(link).to_have_count(1)
    with page.expect_navigation():
        link.click()


# --- 1 and 2: the response after a shooting -------------------------------------------------------


def test_response_opened_after_a_shooting_and_a_task_resolved_by_the_agency(
    browsing: Browsing, world: dict[str, Any], live_server: Any
) -> None:
    petra_staff: Staff = world["petra"]
    exit_task: ResponseTask = world["malmo_task_exit"]
    demo_response: IncidentResponse = world["malmo_response"]
    incident = mapping_services.incident_create(
        actor=petra_staff,
        kind="shooting",
        occurred_at=timezone.now() - timedelta(hours=2),
        place=FRESH_PLACE,
        district=FRESH_DISTRICT,
        injured=1,
        gmi="suspected",
        police_case_number=FRESH_CASE_NUMBER,
        groups=[world["malmo_group"]],
        purpose="browser test",
    )
    routine = list(selectors.routine(petra_staff).filter(active=True))
    assert routine, "the demo installs the standard routine"
    review_path = reverse("interventions:incident-review")
    incident_path = reverse("mapping:incident-detail", args=[incident.pk])
    open_path = reverse("interventions:response-open", args=[incident.pk])

    # --- petra: the incident review from the navigation; the fresh shooting has no response yet ---
    petra = browsing.as_persona("petra")
    _follow(petra, f"nav a.nav-link[href='{review_path}']")
    expect(petra).to_have_url(_url(live_server, review_path))
    row = petra.locator(f"#incident-{incident.pk}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(FRESH_DISTRICT)
    expect(row.locator(f"[data-testid=response-status] a[href='{open_path}']")).to_have_count(1)
    # The demo's incident has its response in progress, with the overdue tasks counted.
    demo_row = petra.locator(f"#incident-{demo_response.incident_id}")
    demo_link = reverse("interventions:response-detail", args=[demo_response.pk])
    expect(demo_row.locator(f"[data-testid=response-status] a[href='{demo_link}']")).to_have_count(1)
    expect(demo_row.locator("[data-testid=response-status] .badge")).to_have_count(1)
    browsing.assert_accessible(petra, "incident review (petra)")

    # --- the incident, then the response routine from it: the confirmation lists the tasks ---
    _follow(petra, f"#incident-{incident.pk} a[href='{incident_path}']")
    expect(petra).to_have_url(_url(live_server, incident_path))
    _follow(petra, "[data-testid=incident-response-open]")
    expect(petra).to_have_url(_url(live_server, open_path))
    expect(petra.get_by_test_id("response-exists")).to_have_count(0)
    planned = petra.get_by_test_id("planned-tasks").locator("tbody tr")
    expect(planned).to_have_count(len(routine))
    for n, item in enumerate(routine):
        expect(planned.nth(n)).to_contain_text(item.title)
        expect(planned.nth(n)).to_contain_text(item.agency.name)
        expect(planned.nth(n)).to_contain_text(_minute(incident.occurred_at + timedelta(hours=item.deadline_hours)))
    assert not IncidentResponse.objects.filter(incident=incident).exists(), "a GET opens nothing"
    browsing.assert_accessible(petra, "response confirmation (petra)")

    with petra.expect_navigation():
        petra.locator("main form[method=post] button[type=submit]").click()
    match = re.fullmatch(re.escape(live_server.url) + r"/interventions/responses/(\d+)/", petra.url)
    assert match, f"the response was not opened (now on {petra.url})"
    response = IncidentResponse.objects.get(pk=int(match.group(1)))
    assert response.incident_id == incident.pk
    assert response.district == FRESH_DISTRICT
    tasks = list(response.tasks.select_related("owner_agency").order_by("order", "id"))
    expected = sorted(
        (item.title, item.agency_id, incident.occurred_at + timedelta(hours=item.deadline_hours)) for item in routine
    )
    assert sorted((t.title, t.owner_agency_id, t.deadline) for t in tasks) == expected, "the routine's tasks"
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    expect(petra.get_by_test_id("response-full")).to_contain_text(FRESH_DISTRICT)
    expect(petra.get_by_test_id("tasks").get_by_test_id("task")).to_have_count(len(tasks))
    for task in tasks:
        card = petra.locator(f"#task-{task.pk}")
        expect(card).to_contain_text(task.title)
        expect(card).to_contain_text(_minute(task.deadline))
        expect(card).to_contain_text(task.owner_agency.name)
    browsing.assert_accessible(petra, "the new response (petra)")

    # The review now leads to the response instead of opening another.
    petra.goto(review_path)
    response_path = reverse("interventions:response-detail", args=[response.pk])
    expect(
        petra.locator(f"#incident-{incident.pk} [data-testid=response-status] a[href='{response_path}']")
    ).to_have_count(1)
    expect(petra.locator(f"#incident-{incident.pk} a[href='{open_path}']")).to_have_count(0)

    # --- sara: the overdue exit task on her start page ---
    assert exit_task.status == ResponseTask.Status.OPEN
    assert exit_task.assignee_id == world["sara"].pk
    assert exit_task.deadline < timezone.now(), "the demo's exit task is overdue once the demo is built"
    sara = browsing.as_persona("sara")
    expect(sara).to_have_url(_url(live_server, reverse("home")))
    exit_path = reverse("interventions:response-detail", args=[exit_task.response_id])
    panel = sara.get_by_test_id("panel-response-tasks")
    entry = panel.get_by_test_id("panel-task").filter(has=sara.locator(f"a[href='{exit_path}#task-{exit_task.pk}']"))
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("panel-overdue")).to_be_visible()
    # Her agency's tasks only: nothing of the police's or Kriminalvården's.
    for other in (world["malmo_task_police"], world["malmo_task_probation"]):
        expect(panel.locator(f"a[href$='#task-{other.pk}']")).to_have_count(0)
    browsing.assert_accessible(sara, "start page with the overdue task (sara)")

    with sara.expect_navigation():
        entry.locator("a").click()
    expect(sara).to_have_url(_url(live_server, f"{exit_path}#task-{exit_task.pk}"))
    summary = sara.get_by_test_id("response-summary")
    expect(summary).to_contain_text(demo_response.district)
    expect(sara.get_by_test_id("response-full")).to_have_count(0)
    html = sara.content()
    demo_incident: Incident = world["malmo_incident"]
    assert demo_incident.place == DEMO_PLACE
    assert DEMO_PLACE not in html, "sara must not see the incident's place"
    assert demo_incident.police_case_number not in html, "sara must not see the police case number"
    assert reverse("mapping:incident-detail", args=[demo_incident.pk]) not in html
    # Her agency's tasks only (the crisis support, done; the exit offer, open and overdue).
    cards = sara.get_by_test_id("tasks").get_by_test_id("task")
    visible = set(ResponseTask.objects.filter(response=demo_response, owner_agency_id=world["sara"].agency_id))
    expect(cards).to_have_count(len(visible))
    for other in (world["malmo_task_police"], world["malmo_task_probation"]):
        expect(sara.locator(f"#task-{other.pk}")).to_have_count(0)
    card = sara.locator(f"#task-{exit_task.pk}")
    expect(card.get_by_test_id("overdue")).to_be_visible()
    browsing.assert_accessible(sara, "response summary with her tasks (sara)")

    # --- the task resolved with the keyboard only: Tab into the outcome, Space, Tab, type, Tab, Enter ---
    card.locator(f"form[action^='{reverse('interventions:task-assign', args=[exit_task.pk])}'] button").focus()
    sara.keyboard.press("Tab")
    done = sara.locator(f"#task{exit_task.pk}_resolve_status_0")
    expect(done).to_be_focused()
    sara.keyboard.press("Space")
    expect(done).to_be_checked()
    sara.keyboard.press("Tab")
    expect(sara.locator(f"#task{exit_task.pk}_resolve_note")).to_be_focused()
    sara.keyboard.type(TASK_NOTE)
    sara.keyboard.press("Tab")
    expect(
        card.locator(f"form[action^='{reverse('interventions:task-resolve', args=[exit_task.pk])}'] button")
    ).to_be_focused()
    with sara.expect_navigation():
        sara.keyboard.press("Enter")
    expect(sara).to_have_url(_url(live_server, f"{exit_path}#task-{exit_task.pk}"))
    expect(sara.locator(".messages [class*='alert-success']")).to_have_count(1)
    card = sara.locator(f"#task-{exit_task.pk}")
    expect(card.get_by_test_id("resolved")).to_be_visible()
    expect(card).to_contain_text(TASK_NOTE)
    expect(card.get_by_test_id("overdue")).to_have_count(0)
    expect(card.locator("form")).to_have_count(0)
    exit_task.refresh_from_db()
    assert exit_task.status == ResponseTask.Status.DONE
    assert exit_task.note == TASK_NOTE
    assert exit_task.resolved_by_id == world["sara"].pk
    browsing.assert_accessible(sara, "response summary after the task is resolved (sara)")

    # The start page no longer lists it.
    sara.goto(reverse("home"))
    expect(sara.locator(f"a[href='{exit_path}#task-{exit_task.pk}']")).to_have_count(0)


# --- 3 and 4: the enforcement round, the calendar and the feed ----------------------------------


def _unfolded(ics: str) -> str:
    """iCalendar folds lines at 75 octets (CRLF and a space): join them before searching."""
    return re.sub(r"\r?\n[ \t]", "", ics)


def _names_in(text: str) -> list[str]:
    """The persons of the world (every record, every agency) and the staff whose name the text contains."""
    found = []
    for given, family in Person.objects.values_list("given_name", "family_name"):
        if re.search(rf"\b{re.escape(family)}\b", text):
            found.append(f"{given} {family}")
    for first, last in Staff.objects.exclude(last_name="").values_list("first_name", "last_name"):
        if re.search(rf"\b{re.escape(first)} {re.escape(last)}\b", text):
            found.append(f"{first} {last} (staff)")
    return found


def test_enforcement_round_with_kriminalvarden_and_the_calendar_feed(
    browsing: Browsing, world: dict[str, Any], live_server: Any
) -> None:
    karin_staff: Staff = world["karin"]
    supervision: EnforcementAction = world["malmo_action_supervision"]
    demo_round: EnforcementRound = world["malmo_round"]
    list_path = reverse("interventions:round-list")
    create_path = reverse("interventions:round-create")
    today = timezone.localdate()
    group: Group = world["malmo_group"]
    assert group.name == ROUND_GROUP

    # --- petra: the round list from the navigation, then a new round ---
    petra = browsing.as_persona("petra")
    _follow(petra, f"nav a.nav-link[href='{list_path}']")
    expect(petra).to_have_url(_url(live_server, list_path))
    expect(petra.get_by_test_id("round-list").locator("tbody tr")).to_have_count(
        EnforcementRound.objects.filter(owner_agency_id=world["petra"].agency_id).count()
    )
    browsing.assert_accessible(petra, "round list (petra)")
    _follow(petra, f"main p a[href='{create_path}']")
    expect(petra).to_have_url(_url(live_server, create_path))
    browsing.assert_accessible(petra, "start a round (petra)")
    form = petra.locator("main form[method=post]")
    form.locator("select[name=group]").select_option(value=str(group.pk))
    form.locator("textarea[name=reason]").fill(ROUND_REASON)
    form.locator("textarea[name=summary]").fill(ROUND_SUMMARY)
    expect(form.locator("input[name=started_on]")).to_have_value(today.isoformat())
    with petra.expect_navigation():
        form.locator("button[type=submit]").click()
    match = re.fullmatch(re.escape(live_server.url) + r"/interventions/rounds/(\d+)/", petra.url)
    assert match, f"the round was not started (still on {petra.url})"
    round_ = EnforcementRound.objects.get(pk=int(match.group(1)))
    assert round_.group_id == group.pk
    assert round_.status == EnforcementRound.Status.ACTIVE
    assert (round_.reason, round_.summary, round_.started_on) == (ROUND_REASON, ROUND_SUMMARY, today)
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    expect(petra.get_by_test_id("round-full")).to_contain_text(ROUND_REASON)
    expect(petra.get_by_test_id("round-actions")).to_have_count(0)  # no action yet
    browsing.assert_accessible(petra, "the new round (petra)")

    # --- an action for Kriminalvården, today ---
    _follow(petra, f"main [role=group] a[href='{reverse('interventions:action-add', args=[round_.pk])}']")
    browsing.assert_accessible(petra, "log an action (petra)")
    form = petra.locator("main form[method=post]")
    form.locator("select[name=kind]").select_option(value=EnforcementAction.Kind.SUPERVISION)
    form.locator("select[name=acting_agency]").select_option(value=str(karin_staff.agency_id))
    form.locator("textarea[name=description]").fill(ACTION_DESCRIPTION)
    expect(form.locator("input[name=acted_on]")).to_have_value(today.isoformat())
    with petra.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(petra).to_have_url(_url(live_server, reverse("interventions:round-detail", args=[round_.pk])))
    action = EnforcementAction.objects.get(round=round_)
    assert action.acting_agency_id == karin_staff.agency_id
    assert action.status == EnforcementAction.Status.PLANNED
    assert action.acted_on == today
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    expect(petra.locator(".messages [class*='alert-info']")).to_have_count(1)  # the agency now sees the summary
    expect(petra.get_by_test_id("round-actions").locator("tbody tr")).to_have_count(1)
    expect(petra.locator(f"#action-{action.pk}")).to_contain_text(ACTION_DESCRIPTION)
    browsing.assert_accessible(petra, "the round with its action (petra)")

    # --- karin: the rounds she acts in, the action to record; the summary, never the group or reason ---
    karin = browsing.as_persona("karin")
    _follow(karin, f"nav a.nav-link[href='{list_path}']")
    expect(karin).to_have_url(_url(live_server, list_path))
    to_record = karin.get_by_test_id("actions-to-record")
    expect(to_record.locator(f"a[href='{reverse('interventions:action-result', args=[action.pk])}']")).to_have_count(1)
    expect(
        to_record.locator(f"a[href='{reverse('interventions:action-result', args=[supervision.pk])}']")
    ).to_have_count(1)
    rounds_table = karin.get_by_test_id("round-list")
    expect(rounds_table.locator("tbody tr")).to_have_count(2)  # the demo's active round and the new one
    expect(rounds_table).to_contain_text(ROUND_SUMMARY)
    html = karin.content()
    for secret in (ROUND_GROUP, "Grupp Vargen", ROUND_REASON, demo_round.reason):
        assert secret not in html, f"karin must not see {secret!r} on the round list"
    browsing.assert_accessible(karin, "round list (karin)")

    round_path = reverse("interventions:round-detail", args=[round_.pk])
    _follow(karin, f"[data-testid=round-list] a[href='{round_path}']")
    expect(karin).to_have_url(_url(live_server, round_path))
    expect(karin.get_by_test_id("round-summary")).to_contain_text(ROUND_SUMMARY)
    expect(karin.get_by_test_id("round-full")).to_have_count(0)
    html = karin.content()
    for secret in (ROUND_GROUP, ROUND_REASON, reverse("mapping:group-detail", args=[group.pk])):
        assert secret not in html, f"karin must not see {secret!r} on the round's summary"
    article = karin.locator(f"#action-{action.pk}")
    expect(article).to_contain_text(ACTION_DESCRIPTION)
    browsing.assert_accessible(karin, "round summary with her action (karin)")

    # --- the result of her action ---
    article.locator(f"#result{action.pk}_status").select_option(value=EnforcementAction.Status.DONE)
    article.locator(f"#result{action.pk}_result").fill(ACTION_RESULT)
    expect(article.locator(f"#result{action.pk}_acted_on")).to_have_value(today.isoformat())
    with karin.expect_navigation():
        article.locator("button[type=submit]").click()
    expect(karin).to_have_url(_url(live_server, round_path))
    expect(karin.locator(".messages [class*='alert-success']")).to_have_count(1)
    article = karin.locator(f"#action-{action.pk}")
    expect(article).to_contain_text(ACTION_RESULT)
    expect(article.locator("form")).to_have_count(0)
    action.refresh_from_db()
    assert action.status == EnforcementAction.Status.DONE
    assert action.result == ACTION_RESULT
    assert action.result_recorded_at is not None
    browsing.assert_accessible(karin, "round summary after the result (karin)")

    # petra sees the result on her page (stored session).
    petra.goto(round_path)
    expect(petra.locator(f"#action-{action.pk}")).to_contain_text(ACTION_RESULT)

    # --- karin: the calendar, month, week and list ---
    calendar_path = reverse("interventions:calendar")
    _follow(karin, f"nav a.nav-link[href='{calendar_path}']")
    expect(karin).to_have_url(_url(live_server, calendar_path))
    month = karin.get_by_test_id("calendar-month")
    expect(month).to_have_count(1)
    expect(month.locator("td[aria-current=date]")).to_have_count(1)
    if supervision.acted_on.month == today.month:  # in two days: this month's grid, unless the month turns
        expect(month.locator(f"[data-uid='action-{supervision.pk}']")).to_have_count(1)
    browsing.assert_accessible(karin, "calendar, month (karin)")

    _follow(karin, f"main a.nav-link[href^='{calendar_path}?view=week']")
    expect(karin).to_have_url(re.compile(re.escape(_url(live_server, calendar_path)) + r"\?view=week&date="))
    expect(karin.locator("[data-testid=calendar-week], [data-testid=calendar-empty]").first).to_be_visible()
    expect(karin.get_by_test_id("calendar-month")).to_have_count(0)
    browsing.assert_accessible(karin, "calendar, week (karin)")

    _follow(karin, f"main a.nav-link[href^='{calendar_path}?view=list']")
    expect(karin).to_have_url(re.compile(re.escape(_url(live_server, calendar_path)) + r"\?view=list&date="))
    listing = karin.get_by_test_id("calendar-list")
    # The planned supervision (in two days) is on; her own action, now done, is not.
    expect(listing.locator(f"[data-uid='action-{supervision.pk}']")).to_have_count(1)
    demo_round_path = reverse("interventions:round-detail", args=[demo_round.pk])
    expect(listing.locator(f"[data-uid='action-{supervision.pk}'] a[href='{demo_round_path}']")).to_have_count(1)
    expect(listing.locator(f"[data-uid='action-{action.pk}']")).to_have_count(0)
    browsing.assert_accessible(karin, "calendar, list (karin)")

    # --- the feed: made, its address shown once, then read as a calendar program would ---
    feed_path = reverse("interventions:calendar-feed")
    _follow(karin, f"main a[href='{feed_path}']")
    expect(karin).to_have_url(_url(live_server, feed_path))
    expect(karin.get_by_test_id("no-feed")).to_be_visible()
    browsing.assert_accessible(karin, "calendar feed, none yet (karin)")
    with karin.expect_navigation():
        karin.locator("main form[method=post] button[type=submit]").click()
    shown = karin.get_by_test_id("feed-address")
    expect(shown).to_be_visible()
    address = karin.locator("#feed-address").input_value()
    ics_path = urlsplit(address).path
    assert re.fullmatch(r"/interventions/calendar/[^/]+\.ics", ics_path), address
    expect(karin.get_by_test_id("live-feed")).to_be_visible()
    browsing.assert_accessible(karin, "calendar feed with the new address (karin)")

    karin.goto(feed_path)
    expect(karin.get_by_test_id("feed-address")).to_have_count(0)
    expect(karin.get_by_test_id("live-feed")).to_be_visible()
    assert ics_path not in karin.content(), "the address is shown once, in the answer that made it"
    browsing.assert_accessible(karin, "calendar feed afterwards (karin)")

    feed = karin.request.get(_url(live_server, ics_path))
    assert feed.status == 200, feed.status
    assert feed.headers["content-type"].startswith("text/calendar"), feed.headers["content-type"]
    body = _unfolded(feed.text())
    assert body.startswith("BEGIN:VCALENDAR"), body[:200]
    assert re.search(rf"^UID:action-{supervision.pk}@", body, re.MULTILINE), "the planned supervision is in the feed"
    assert f"action-{action.pk}@" not in body, "a done action is not"
    assert body.count("BEGIN:VEVENT") >= 1
    assert _names_in(body) == [], f"the feed names persons: {_names_in(body)}"
    for secret in (ROUND_GROUP, "Grupp Vargen", ROUND_REASON, ACTION_DESCRIPTION, DEMO_PLACE):
        assert secret not in body, f"the feed must not show {secret!r}"
