"""Pages of the response after an incident: Petra opens the routine after a shooting (the tasks and their
deadlines counted from the incident time), Sara and Erik see the Malmö stad tasks with the incident's date and
district — never its place, case number, notes, groups or casualties — and assign and resolve them; Karin her
own task; the coordinator's notes, added tasks and closing; the incident review with each response's status;
the routine kept by the program lead and read by the police. Refusals change nothing and say why; every list
and page runs a fixed number of queries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping import services as mapping_services
from gvi.mapping.models import Group, Incident
from gvi.notifications.models import Notification
from interventions.models import IncidentResponse, ResponseTask, ResponseTemplateItem
from interventions.services import responses as services
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
Status = ResponseTask.Status

# Measured warm, the same for few and many rows: session, user, device, the count, the rows (with their
# annotations), the list audit event, the session save (in a savepoint under the test's transaction); the
# incident review also prefetches the groups (+1).
LIST_QUERIES = 9
# The response and its view event, the tasks (with agency, assignee, resolver), the changeable tasks, the
# staff to assign from (once: all of them are the user's agency's), the tasks-shown event, the change check
# of the response (the police), the session save.
DETAIL_QUERIES = 13

# The police details of the test's shooting: none of them may reach another agency's page.
PLACE = "Lönngatan 7, uppgång B"
CASE_NUMBER = "5000-K999-99"
NOTES = "Vittne såg en vit Golf lämna platsen mot Amiralsgatan."


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _detail(response: IncidentResponse) -> str:
    return reverse("interventions:response-detail", args=[response.pk])


def _task_block(html: str, task: ResponseTask) -> str:
    """The task's card on the response page (from its id to the next task or the end of the list)."""
    start = html.index(f'id="task-{task.pk}"')
    end = html.find('<li class="card mb-3" id="task-', start)
    return html[start : end if end != -1 else html.index("</ol>", start)]


def _shooting(world: dict[str, Any], occurred_at: Any) -> Incident:
    groups = list(Group.objects.filter(owner_agency_id=world["petra"].agency_id, name__in=["Grupp Falken"]))
    return mapping_services.incident_create(
        actor=world["petra"],
        kind="shooting",
        occurred_at=occurred_at,
        place=PLACE,
        district="Sofielund",
        killed=1,
        injured=2,
        gmi="confirmed",
        police_case_number=CASE_NUMBER,
        notes=NOTES,
        groups=groups,
    )


def _open(world: dict[str, Any], incident: Incident) -> IncidentResponse:
    return services.response_open(actor=world["petra"], incident=incident)


def _fresh(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)


# --- The issue: opened from a shooting; what Sara sees -----------------------------------------------


def test_a_response_opened_from_a_shooting_creates_the_routines_tasks_with_deadlines_from_the_incident_time(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    occurred_at = timezone.now().replace(microsecond=0) - timedelta(hours=5, minutes=17)
    incident = _shooting(world, occurred_at)
    routine = list(ResponseTemplateItem.objects.filter(program_id=world["petra"].program_id, active=True))
    assert len(routine) == 6
    # Opened a day and a half later: the deadlines still count from the incident, not from the opening.
    with time_machine.travel(occurred_at + timedelta(hours=36), tick=False):
        petra = as_user("petra")
        url = reverse("interventions:response-open", args=[incident.pk])
        page = petra.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        for item in routine:
            assert item.title in html
            assert _local(occurred_at + timedelta(hours=item.deadline_hours)).replace("T", " ") in html
        answer = petra.post(url)
    response = IncidentResponse.objects.get(incident=incident)
    assert answer.status_code == 302
    assert answer["Location"] == _detail(response)
    tasks = list(response.tasks.all())
    assert sorted((t.title, t.owner_agency_id, t.deadline) for t in tasks) == sorted(
        (item.title, item.agency_id, occurred_at + timedelta(hours=item.deadline_hours)) for item in routine
    )
    assert {t.status for t in tasks} == {Status.OPEN}
    assert (response.occurred_at, response.district, response.kind) == (occurred_at, "Sofielund", "shooting")


def test_sara_sees_her_agencys_tasks_and_the_date_and_district_not_the_police_details(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    incident = _shooting(world, timezone.now() - timedelta(hours=3))
    response = _open(world, incident)
    services.response_update(actor=world["petra"], response=response, version=response.version, notes="Polisens PM.")
    sara = world["sara"]
    page = as_user("sara").get(_detail(response))
    assert page.status_code == 200
    assert page.context["full"] is False
    html = page.content.decode()
    # The incident's date and district and kind.
    assert timezone.localtime(incident.occurred_at).strftime("%Y-%m-%d %H:%M") in html
    assert "Sofielund" in html
    assert "Shooting" in html
    # Her agency's tasks, each at its anchor; nobody else's.
    own = response.tasks.filter(owner_agency_id=sara.agency_id)
    others = response.tasks.exclude(owner_agency_id=sara.agency_id)
    assert own.count() == 3
    assert others.count() == 3
    for task in own:
        assert f'id="task-{task.pk}"' in html
        assert task.title in html
    for task in others:
        assert f'id="task-{task.pk}"' not in html
        assert task.title not in html
    # Never the police details of the incident or of the response.
    for secret in (PLACE, CASE_NUMBER, NOTES, "Polisens PM.", "Grupp Falken", "Killed", "Injured", "Notes"):
        assert secret not in html, secret
    assert reverse("mapping:incident-detail", args=[incident.pk]) not in html
    # The police see them (the incident link and the notes).
    police = as_user("petra").get(_detail(response)).content.decode()
    assert "Polisens PM." in police
    assert reverse("mapping:incident-detail", args=[incident.pk]) in police
    assert all(f'id="task-{task.pk}"' in police for task in response.tasks.all())


def test_karin_sees_the_summary_and_her_own_task_only(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    page = as_user("karin").get(_detail(response))
    assert page.status_code == 200
    assert [row.task.pk for row in page.context["rows"]] == [world["malmo_task_probation"].pk]
    html = page.content.decode()
    assert world["malmo_task_exit"].title not in html
    assert "Ystadvägen" not in html
    assert "5000-K100-01" not in html


# --- Opening: refusals ----------------------------------------------------------------------------


def test_opening_twice_is_refused_with_the_message(world: dict[str, Any], as_user: ClientFor) -> None:
    incident = world["malmo_incident"]
    before = ResponseTask.objects.count()
    page = as_user("petra").post(reverse("interventions:response-open", args=[incident.pk]))
    assert page.status_code == 200
    assert "A response to this incident is open already." in page.content.decode()
    assert ResponseTask.objects.count() == before
    confirm = as_user("petra").get(reverse("interventions:response-open", args=[incident.pk])).content.decode()
    assert 'data-testid="response-exists"' in confirm
    assert _detail(world["malmo_response"]) in confirm


def test_opening_without_a_routine_is_refused_with_the_message(world: dict[str, Any], as_user: ClientFor) -> None:
    ResponseTemplateItem.objects.filter(program_id=world["petra"].program_id).update(active=False)
    incident = _shooting(world, timezone.now() - timedelta(hours=1))
    petra = as_user("petra")
    url = reverse("interventions:response-open", args=[incident.pk])
    assert 'data-testid="no-routine"' in petra.get(url).content.decode()
    page = petra.post(url)
    assert page.status_code == 200
    assert "The program has no response routine yet" in page.content.decode()
    assert not IncidentResponse.objects.filter(incident=incident).exists()


def test_the_analyst_reads_but_never_opens(world: dict[str, Any], as_user: ClientFor) -> None:
    incident = _shooting(world, timezone.now() - timedelta(hours=1))
    anders = as_user("anders")
    assert anders.post(reverse("interventions:response-open", args=[incident.pk])).status_code == 404
    assert not IncidentResponse.objects.filter(incident=incident).exists()
    review = anders.get(reverse("interventions:incident-review")).content.decode()
    assert reverse("interventions:response-open", args=[incident.pk]) not in review
    page = anders.get(_detail(world["malmo_response"]))
    assert page.status_code == 200
    assert page.context["may_change"] is False
    assert all(row.assign_form is None and row.resolve_form is None for row in page.context["rows"])


# --- Assigning and resolving ------------------------------------------------------------------------


def test_sara_gives_the_task_to_erik_who_resolves_it(world: dict[str, Any], as_user: ClientFor) -> None:
    task = world["malmo_task_exit"]
    sara = as_user("sara")
    answer = sara.post(
        reverse("interventions:task-assign", args=[task.pk]), {"assignee": world["erik"].pk, "version": task.version}
    )
    assert answer.status_code == 302
    assert answer["Location"] == _detail(world["malmo_response"]) + f"#task-{task.pk}"
    task = _fresh(task)
    assert task.assignee_id == world["erik"].pk
    assert Notification.objects.filter(recipient=world["erik"], url__endswith=f"#task-{task.pk}").exists()

    erik = as_user("erik")
    answer = erik.post(
        reverse("interventions:task-resolve", args=[task.pk]),
        {"status": "done", "note": "Erbjudande lämnat.", "version": task.version},
    )
    assert answer.status_code == 302
    task = _fresh(task)
    assert (task.status, task.resolved_by_id, task.note) == (Status.DONE, world["erik"].pk, "Erbjudande lämnat.")
    block = _task_block(sara.get(_detail(world["malmo_response"])).content.decode(), task)
    assert "Erik Holm" in block
    assert timezone.localtime(task.resolved_at).strftime("%Y-%m-%d %H:%M") in block
    assert "Erbjudande lämnat." in block
    assert "task-resolve" not in block
    assert "/resolve/" not in block


def test_not_needed_without_a_note_shows_the_error_at_the_task(world: dict[str, Any], as_user: ClientFor) -> None:
    task = world["malmo_task_exit"]
    page = as_user("sara").post(
        reverse("interventions:task-resolve", args=[task.pk]),
        {"status": "not_needed", "note": "", "version": task.version},
    )
    assert page.status_code == 200
    block = _task_block(page.content.decode(), task)
    assert "Say why the task is not needed." in block
    assert re.search(r'value="not_needed"[^>]*checked', block)
    assert _fresh(task).status == Status.OPEN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "maybe"}, "Select a valid choice."),
        ({"status": ""}, "This field is required."),
    ],
)
def test_a_bad_outcome_is_a_form_error(
    world: dict[str, Any], as_user: ClientFor, data: dict[str, str], message: str
) -> None:
    task = world["malmo_task_exit"]
    page = as_user("sara").post(
        reverse("interventions:task-resolve", args=[task.pk]), {**data, "note": "", "version": task.version}
    )
    assert page.status_code == 200
    assert message in _task_block(page.content.decode(), task)
    assert _fresh(task).status == Status.OPEN


def test_staff_of_another_agency_cannot_be_given_the_task(world: dict[str, Any], as_user: ClientFor) -> None:
    task = world["malmo_task_exit"]
    for assignee in (world["karin"].pk, world["petra"].pk, "not-a-number", 10**30):
        page = as_user("sara").post(
            reverse("interventions:task-assign", args=[task.pk]), {"assignee": assignee, "version": task.version}
        )
        assert page.status_code == 200, assignee
        assert "Select a valid choice." in _task_block(page.content.decode(), task)
    assert _fresh(task).assignee_id == world["sara"].pk


def test_a_stale_assignment_says_so_and_changes_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    task = world["malmo_task_exit"]
    erik = as_user("erik")
    answer = erik.post(
        reverse("interventions:task-assign", args=[task.pk]),
        {"assignee": world["erik"].pk, "version": task.version - 1},
    )
    assert answer.status_code == 302
    assert _fresh(task).assignee_id == world["sara"].pk
    page = erik.get(answer["Location"])
    assert "Someone else changed this task meanwhile." in page.content.decode()


def test_a_resolved_task_is_not_resolved_again(world: dict[str, Any], as_user: ClientFor) -> None:
    task = world["malmo_task_crisis"]
    page = as_user("sara").post(
        reverse("interventions:task-resolve", args=[task.pk]),
        {"status": "not_needed", "note": "Again.", "version": task.version},
    )
    assert page.status_code == 200
    assert "The task is resolved already." in page.content.decode()
    assert _fresh(task).note == "Stödsamtal med två vittnen."


def test_the_police_resolve_their_own_tasks_never_the_municipalitys(world: dict[str, Any], as_user: ClientFor) -> None:
    task = world["malmo_task_exit"]
    petra = as_user("petra")
    data = {"status": "done", "note": "", "version": task.version}
    assert petra.post(reverse("interventions:task-resolve", args=[task.pk]), data).status_code == 404
    assert petra.post(reverse("interventions:task-assign", args=[task.pk]), data).status_code == 404
    assert _fresh(task).status == Status.OPEN
    assert as_user("karin").post(reverse("interventions:task-resolve", args=[task.pk]), data).status_code == 404
    denied = AuditEvent.objects.filter(actor_id=world["karin"].pk, action=AuditAction.DENY).latest("id")
    assert denied.object_id == str(task.pk)
    # Petra's page shows the Malmö stad task without a form, and forms for her own open tasks only.
    response = world["malmo_response"]
    extra = services.response_task_add(
        actor=world["petra"],
        response=response,
        title="Förstärkt närvaro vid skolan",
        agency=world["petra"].agency,
        deadline=response.occurred_at + timedelta(days=6),
    )
    rows = {row.pk: row for row in petra.get(_detail(response)).context["rows"]}
    assert rows[task.pk].resolve_form is None
    assert rows[extra.pk].resolve_form is not None


# --- What the police see of the other agencies' tasks: the status, never the note or the assignee ---------

SOCIAL_NOTE = "Krisstöd till modern och två syskon till den skadade."
PROBATION_NOTE = "Skärpt tillsyn av klient Oskar Nyberg: besök två gånger i veckan."
STATUS_SHOWN = {"id", "response", "title", "owner_agency", "deadline", "status", "resolved_at", "order", "status_label"}


def test_petra_follows_saras_task_by_its_status_never_its_assignee_or_note(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    sara, response = world["sara"], world["malmo_response"]
    task = world["malmo_task_exit"]  # Malmö stad's, given to Sara, still to do and overdue
    crisis = world["malmo_task_crisis"]  # Malmö stad's, resolved by Sara with a note
    assert _fresh(task).assignee_id == sara.pk
    assert crisis.note
    sara_name = sara.get_full_name()
    own = world["malmo_task_police"]  # the police's own, resolved by Petra with the note "Utfört."
    for persona in ("petra", "anders"):
        page = as_user(persona).get(_detail(response))
        assert page.status_code == 200
        rows = {row.pk: row for row in page.context["rows"]}
        assert set(rows) == set(response.tasks.values_list("pk", flat=True)), persona
        # Another agency's task: the declared partial view, and no task object to read anything else from.
        for other in (task, crisis, world["malmo_task_probation"]):
            assert rows[other.pk].task is None, persona
            assert set(rows[other.pk].shown) == STATUS_SHOWN, persona
            assert rows[other.pk].assign_form is None
            assert rows[other.pk].resolve_form is None
        assert rows[own.pk].task is not None
        html = page.content.decode()
        block = _task_block(html, task)
        # What the police follow: the title, the agency, the deadline, the status, overdue.
        assert task.title in block
        assert "Malmö stad" in block
        assert timezone.localtime(task.deadline).strftime("%Y-%m-%d %H:%M") in block
        assert "To do" in block
        assert 'data-testid="overdue"' in block
        assert 'data-testid="status-only"' in block
        # Never who has it.
        assert sara_name not in block
        assert "Assignee" not in block
        assert "Nobody yet" not in block
        # The resolved one: when, never who or the note.
        resolved = _task_block(html, crisis)
        assert timezone.localtime(_fresh(crisis).resolved_at).strftime("%Y-%m-%d %H:%M") in resolved
        assert 'data-testid="resolved"' in resolved
        assert sara_name not in resolved
        assert crisis.note not in html, persona
        assert sara_name not in html, persona
        # Their own task in full: who resolved it and the note.
        mine = _task_block(html, own)
        assert "Utfört." in mine
        assert "Assignee" in mine
        assert 'data-testid="status-only"' not in mine
    # Sara reads her agency's tasks in full.
    html = as_user("sara").get(_detail(response)).content.decode()
    assert crisis.note in html
    assert sara_name in _task_block(html, task)


def test_the_police_never_read_a_social_services_or_probation_note(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    exit_offer, probation = world["malmo_task_exit"], world["malmo_task_probation"]
    services.task_resolve(
        actor=world["sara"], task=exit_offer, version=exit_offer.version, status=Status.DONE, note=SOCIAL_NOTE
    )
    services.task_resolve(
        actor=world["karin"],
        task=probation,
        version=probation.version,
        status=Status.NOT_NEEDED,
        note=PROBATION_NOTE,
    )
    for persona in ("petra", "anders"):
        html = as_user(persona).get(_detail(response)).content.decode()
        for note in (SOCIAL_NOTE, PROBATION_NOTE, "Oskar Nyberg"):
            assert note not in html, (persona, note)
        assert "Not needed" in _task_block(html, probation)
        assert world["karin"].get_full_name() not in html
    assert SOCIAL_NOTE in as_user("sara").get(_detail(response)).content.decode()
    karin = as_user("karin").get(_detail(response)).content.decode()
    assert PROBATION_NOTE in karin
    assert SOCIAL_NOTE not in karin
    # Nor do the police reach the note by the task's own address: its changes are the owning agency's.
    for view in ("task-assign", "task-resolve"):
        assert as_user("petra").post(reverse(f"interventions:{view}", args=[probation.pk])).status_code == 404


# --- The coordinator: notes, tasks, closing --------------------------------------------------------


def test_petra_keeps_notes_that_only_the_police_see(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    url = reverse("interventions:response-edit", args=[response.pk])
    petra = as_user("petra")
    assert petra.get(url).status_code == 200
    answer = petra.post(url, {"notes": "Samordning med skolan klar.", "version": response.version})
    assert answer.status_code == 302
    assert _fresh(response).notes == "Samordning med skolan klar."
    # Someone saved meanwhile: a stale version shows both, and keeps what was typed.
    page = petra.post(url, {"notes": "Min version.", "version": response.version})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Samordning med skolan klar." in html
    assert "Min version." in html
    assert _fresh(response).notes == "Samordning med skolan klar."
    assert "Samordning med skolan klar." not in as_user("sara").get(_detail(response)).content.decode()


def test_petra_adds_a_task_for_the_municipality_that_sara_then_sees(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    url = reverse("interventions:task-add", args=[response.pk])
    petra = as_user("petra")
    municipality = world["sara"].agency_id
    # A deadline before the incident is refused.
    page = petra.post(
        url,
        {
            "title": "Samtal med föräldrar",
            "agency": municipality,
            "deadline": _local(response.occurred_at - timedelta(days=1)),
        },
    )
    assert page.status_code == 200
    assert "A deadline falls after the incident." in page.content.decode()
    for bad in ({"agency": "999999999"}, {"deadline": "9999-01-01T00:00"}, {"title": ""}):
        data = {"title": "Samtal", "agency": municipality, "deadline": _local(response.occurred_at), **bad}
        assert petra.post(url, data).status_code == 200, bad
    assert not ResponseTask.objects.filter(response=response, title__startswith="Samtal").exists()
    deadline = response.occurred_at + timedelta(days=7)
    answer = petra.post(url, {"title": "Samtal med föräldrar", "agency": municipality, "deadline": _local(deadline)})
    task = ResponseTask.objects.get(response=response, title="Samtal med föräldrar")
    assert answer["Location"] == _detail(response) + f"#task-{task.pk}"
    assert task.owner_agency_id == municipality
    assert f'id="task-{task.pk}"' in as_user("sara").get(_detail(response)).content.decode()
    assert f'id="task-{task.pk}"' not in as_user("karin").get(_detail(response)).content.decode()


def test_closing_is_refused_while_tasks_are_open_then_closes(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    url = reverse("interventions:response-close", args=[response.pk])
    petra = as_user("petra")
    assert 'data-testid="tasks-open"' in petra.get(url).content.decode()
    answer = petra.post(url, {"version": response.version})
    assert answer.status_code == 302
    page = petra.get(answer["Location"]).content.decode()
    assert "tasks are still to do" in page
    assert _fresh(response).status == IncidentResponse.Status.OPEN
    for task in ResponseTask.objects.filter(response=response, status=Status.OPEN).select_related("owner_agency"):
        owner = {"municipality": world["sara"], "prison_service": world["karin"]}[task.owner_agency.kind]
        services.task_resolve(actor=owner, task=task, version=task.version, status="not_needed", note="Ej aktuellt.")
    assert "Close the response?" in petra.get(url).content.decode()
    answer = petra.post(url, {"version": _fresh(response).version})
    assert answer.status_code == 302
    assert _fresh(response).status == IncidentResponse.Status.CLOSED
    closed = petra.get(_detail(response))
    assert closed.context["summary"]["status"] == "closed"
    assert b'href="' + reverse("interventions:response-edit", args=[response.pk]).encode() not in closed.content
    # Closed: the tasks no longer change, and the edit page says so.
    assert (
        "The response is closed"
        in petra.get(reverse("interventions:response-edit", args=[response.pk])).content.decode()
    )


# --- The incident review and the list --------------------------------------------------------------


def test_the_incident_review_shows_each_responses_status(world: dict[str, Any], as_user: ClientFor) -> None:
    incident = world["malmo_incident"]
    fresh = _shooting(world, timezone.now() - timedelta(days=1))
    petra = as_user("petra")
    page = petra.get(reverse("interventions:incident-review"))
    assert page.status_code == 200
    rows = {row["incident"].pk: row for row in page.context["rows"]}
    assert rows[fresh.pk]["response"] is None
    assert rows[incident.pk]["response"].pk == world["malmo_response"].pk
    html = page.content.decode()
    assert reverse("interventions:response-open", args=[fresh.pk]) in html
    # The demo: 6 tasks, the 2 police tasks and Sara's crisis support done; the 72-hour tasks overdue by now.
    reviewed = rows[incident.pk]["incident"]
    assert (reviewed.task_total, reviewed.task_resolved) == (6, 3)
    assert "In progress: 3 of 6 tasks done" in html
    assert "Confirmed" in html
    assert "Sofielund" in html
    # The period, the kind, the GMI classification.
    assert len(petra.get(reverse("interventions:incident-review"), {"days": 30}).context["rows"]) <= len(rows)
    only = petra.get(reverse("interventions:incident-review"), {"gmi": "confirmed", "kind": "shooting"})
    assert {row["incident"].gmi for row in only.context["rows"]} == {"confirmed"}
    assert {row["incident"].kind for row in only.context["rows"]} == {"shooting"}
    assert fresh.pk in {row["incident"].pk for row in only.context["rows"]}
    explosions = petra.get(reverse("interventions:incident-review"), {"kind": "explosion"}).context["rows"]
    assert incident.pk not in {row["incident"].pk for row in explosions}
    for bad in ({"days": "abc"}, {"days": "100000"}, {"kind": "x"}, {"page": "99999"}):
        assert petra.get(reverse("interventions:incident-review"), bad).status_code == 200, bad
    # Older incidents leave the default 90 days but come back with a year.
    old = _shooting_with_number(world, timezone.now() - timedelta(days=200), "5000-K998-99")
    assert old.pk not in _review_ids(petra, {})
    assert old.pk in _review_ids(petra, {"days": 365})
    event = AuditEvent.objects.filter(actor_id=world["petra"].pk, action=AuditAction.LIST).latest("id")
    assert event.object_type == "mapping.incident"


def _shooting_with_number(world: dict[str, Any], occurred_at: Any, number: str) -> Incident:
    return mapping_services.incident_create(
        actor=world["petra"], kind="shooting", occurred_at=occurred_at, place="Gata 1", police_case_number=number
    )


def _review_ids(client: Client, query: dict[str, Any]) -> set[int]:
    return {row["incident"].pk for row in client.get(reverse("interventions:incident-review"), query).context["rows"]}


def test_the_list_shows_the_police_every_task_and_each_agency_its_own(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    response = world["malmo_response"]

    def row(persona: str) -> dict[str, Any]:
        page = as_user(persona).get(reverse("interventions:response-list"))
        assert page.status_code == 200
        return next(r for r in page.context["rows"] if r["id"] == response.pk)

    # The police count every task: their own two (done) and the four they follow by status, of which the three
    # still to do are overdue (72 hours after a shooting three days ago).
    for police in ("petra", "anders"):
        assert (row(police)["task_total"], row(police)["task_resolved"], row(police)["task_overdue"]) == (6, 3, 3)
    assert (row("sara")["task_total"], row("sara")["task_resolved"]) == (3, 1)
    assert (row("karin")["task_total"], row("karin")["task_resolved"]) == (1, 0)
    assert row("sara")["incident_id"] is None
    html = as_user("sara").get(reverse("interventions:response-list")).content.decode()
    assert "Ystadvägen" not in html
    assert "Rosengård" in html
    closed = as_user("petra").get(reverse("interventions:response-list"), {"status": "closed"})
    assert closed.context["rows"] == []
    assert "No responses match the filter." in closed.content.decode()
    assert as_user("petra").get(reverse("interventions:response-list"), {"status": "bogus"}).status_code == 200
    nils = as_user("nils").get(reverse("interventions:response-list"))
    assert nils.context["rows"] == []
    assert "Your agency has no tasks after an incident." in nils.content.decode()


def test_the_incident_page_links_to_its_response(world: dict[str, Any], as_user: ClientFor) -> None:
    incident = world["malmo_incident"]
    for persona in ("petra", "anders"):
        html = as_user(persona).get(reverse("mapping:incident-detail", args=[incident.pk])).content.decode()
        assert _detail(world["malmo_response"]) in html, persona
    fresh = _shooting(world, timezone.now() - timedelta(hours=2))
    html = as_user("anders").get(reverse("mapping:incident-detail", args=[fresh.pk])).content.decode()
    assert reverse("interventions:response-open", args=[fresh.pk]) not in html
    assert 'data-testid="incident-response"' not in html


# --- The routine ----------------------------------------------------------------------------------


def test_lena_sets_up_the_standard_routine_and_adjusts_it(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    program_id = world["lena"].program_id
    ResponseTemplateItem.objects.filter(program_id=program_id).delete()
    page = lena.get(reverse("interventions:routine"))
    assert 'data-testid="routine-empty"' in page.content.decode()
    assert lena.post(reverse("interventions:routine-standard")).status_code == 302
    items = ResponseTemplateItem.objects.filter(program_id=program_id)
    assert items.count() == 6
    # A second time is refused with the message.
    answer = lena.post(reverse("interventions:routine-standard"))
    assert "The program has a routine already" in lena.get(answer["Location"]).content.decode()
    assert items.count() == 6

    add = reverse("interventions:routine-add")
    agency = world["sara"].agency_id
    for bad in ({"deadline_hours": 0}, {"deadline_hours": 99999}, {"title": ""}, {"agency": world["nils"].agency_id}):
        data = {"title": "Skolinformation", "agency": agency, "deadline_hours": 12, "active": "on", **bad}
        page = lena.post(add, data)
        assert page.status_code == 200, bad
        assert page.context["form"].errors, bad
    assert (
        lena.post(add, {"title": "Skolinformation", "agency": agency, "deadline_hours": 12, "active": "on"}).status_code
        == 302
    )
    item = items.get(title="Skolinformation")
    assert (item.deadline_hours, item.order, item.active) == (12, 7, True)

    edit = reverse("interventions:routine-edit", args=[item.pk])
    assert lena.get(edit).status_code == 200
    answer = lena.post(edit, {"title": "Skolinformation", "agency": agency, "deadline_hours": 36, "order": ""})
    assert answer.status_code == 302
    item = _fresh(item)
    assert (item.deadline_hours, item.order, item.active) == (36, 7, False)

    remove = reverse("interventions:routine-remove", args=[item.pk])
    assert "Skolinformation" in lena.get(remove).content.decode()
    assert ResponseTemplateItem.objects.filter(pk=item.pk).exists()  # the GET only asks
    assert lena.post(remove).status_code == 302
    assert not ResponseTemplateItem.objects.filter(pk=item.pk).exists()


def test_the_police_read_the_routine_and_others_do_not_see_it(world: dict[str, Any], as_user: ClientFor) -> None:
    item = world["malmo_routine_item"]
    page = as_user("petra").get(reverse("interventions:routine"))
    assert page.status_code == 200
    html = page.content.decode()
    assert item.title in html
    assert reverse("interventions:routine-edit", args=[item.pk]) not in html
    assert reverse("interventions:routine-add") not in html
    assert (
        reverse("interventions:routine-edit", args=[item.pk])
        in as_user("lena").get(reverse("interventions:routine")).content.decode()
    )
    # Maja keeps Örebro's routine and never sees Malmö's.
    maja = as_user("maja").get(reverse("interventions:routine"))
    assert item.pk not in {i.pk for i in maja.context["page"].object_list}
    assert maja.context["page"].object_list
    assert as_user("sara").get(reverse("interventions:routine")).status_code == 404


# --- Query counts -----------------------------------------------------------------------------------


def _more_responses(world: dict[str, Any], count: int) -> None:
    for n in range(count):
        incident = _shooting_with_number(world, timezone.now() - timedelta(days=2, hours=n), f"5000-K8{n:02d}-99")
        _open(world, incident)


@pytest.mark.parametrize("persona", ["petra", "sara"])
def test_the_list_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    client = as_user(persona)
    url = reverse("interventions:response-list")
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert len(client.get(url).context["rows"]) == 1
    _more_responses(world, 12)
    with max_queries(LIST_QUERIES) as after:
        assert len(client.get(url).context["rows"]) == 13
    assert len(before.captured_queries) == len(after.captured_queries)


@pytest.mark.parametrize("persona", ["petra", "sara"])
def test_the_response_page_runs_a_fixed_number_of_queries(
    world: dict[str, Any], as_user: ClientFor, persona: str
) -> None:
    response = world["malmo_response"]
    client = as_user(persona)
    url = _detail(response)
    # One open task of each agency to begin with (each page then offers the forms, with the staff to choose).
    _more_tasks(world, response, 2)
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        few = len(client.get(url).context["rows"])
    _more_tasks(world, response, 10)
    with max_queries(DETAIL_QUERIES) as after:
        assert len(client.get(url).context["rows"]) > few
    assert len(before.captured_queries) == len(after.captured_queries)


def _more_tasks(world: dict[str, Any], response: IncidentResponse, count: int) -> None:
    for n in range(count):
        agency = world["sara"].agency if n % 2 else world["petra"].agency
        services.response_task_add(
            actor=world["petra"],
            response=response,
            title=f"Extra {n}",
            agency=agency,
            deadline=response.occurred_at + timedelta(days=n + 1),
        )


def test_the_incident_review_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    url = reverse("interventions:incident-review")
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        few = len(client.get(url).context["rows"])
    _more_responses(world, 12)
    with max_queries(LIST_QUERIES + 1) as after:
        assert len(client.get(url).context["rows"]) == few + 12
    assert len(before.captured_queries) == len(after.captured_queries)
