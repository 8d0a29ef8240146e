"""Permission-matrix rows for the pages of the response after an incident (interventions/views/responses.py).

The police (Petra, Anders) hold the response in full and the incident review, their own tasks in full and the
other agencies' tasks by their status only (test_response_pages.py asserts what the page shows of them); Petra,
the coordinator, opens, edits and closes responses, adds tasks and resolves the police's own tasks. An agency
with tasks holds the response's summary and its own tasks: Sara and Erik (Malmö stad) the municipality's, Karin
(Kriminalvården) hers; they assign and resolve those. Örebro's Nils may hold summaries but has none (an empty
list). The routine: Lena and Ada keep Malmö's, Maja Örebro's; the police read it. Everyone else: 404. POST rows
carry data that passes and data that is refused (the page shows the service's message or the form's errors,
or redirects with the message); the role or the record decide the 404s.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.utils import timezone

from gvi.mapping.models import Incident
from tests.matrix import OK, Row, filtered, only, register

SUBJECTS: tuple[str, ...] = (
    "malmo_incident",
    "malmo_response",
    "malmo_task_crisis",
    "malmo_task_exit",
    "malmo_task_police",
    "malmo_task_probation",
    "malmo_routine_item",
)

POLICE = ("petra", "anders")
MALMO_STAD = ("sara", "erik")
RESPONDERS = (*MALMO_STAD, "karin")
PETRA = only({"petra": OK})
ROUTINE_KEEPERS = ("lena", "ada")


def _incident(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"incident_pk": world[subject].pk}


def _incident_without_response(world: dict[str, Any]) -> dict[str, Any]:
    """A recent incident of the police's map that has no response yet."""
    incident = (
        Incident.objects.filter(owner_agency_id=world["petra"].agency_id, response__isnull=True)
        .order_by("-occurred_at", "-id")
        .first()
    )
    assert incident is not None
    return {"incident_pk": incident.pk}


def _version(world: dict[str, Any], subject: str, offset: int = 0, **values: Any) -> dict[str, Any]:
    return {**values, "version": world[subject].version + offset}


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _task(world: dict[str, Any], title: str) -> dict[str, Any]:
    return {
        "title": title,
        "agency": world["sara"].agency_id,
        "deadline": _local(world["malmo_response"].occurred_at + timedelta(days=5)),
        "description": "Matrix.",
    }


def _assign(world: dict[str, Any], subject: str, assignee: str) -> dict[str, Any]:
    return {"assignee": world[assignee].pk, "version": world[subject].version}


def _routine_item(world: dict[str, Any], title: str) -> dict[str, Any]:
    return {"title": title, "agency": world["sara"].agency_id, "deadline_hours": 48, "order": "", "active": "on"}


# --- The incident review, opening a response ---------------------------------------------------------

register(
    Row(
        "interventions:incident-review",
        "GET",
        None,
        only({"petra": filtered("malmo_incident"), "anders": filtered("malmo_incident")}),
        list_subjects=("malmo_incident",),
    ),
    # the confirmation: for an incident with a response (it says so) and one without (the tasks to come)
    Row(
        "interventions:response-open",
        "GET",
        "malmo_incident",
        PETRA,
        url_kwargs=partial(_incident, subject="malmo_incident"),
    ),
    Row("interventions:response-open", "GET", None, PETRA, url_kwargs=_incident_without_response),
    # opened
    Row("interventions:response-open", "POST", None, PETRA, url_kwargs=_incident_without_response),
    # refused: a response is open already (the service's message)
    Row(
        "interventions:response-open",
        "POST",
        "malmo_incident",
        PETRA,
        url_kwargs=partial(_incident, subject="malmo_incident"),
    ),
)

# --- The list and the page ------------------------------------------------------------------------

register(
    Row(
        "interventions:response-list",
        "GET",
        None,
        only(
            {
                **dict.fromkeys((*POLICE, *RESPONDERS), filtered("malmo_response")),
                "nils": filtered(),
            }
        ),
        list_subjects=("malmo_response",),
    ),
    Row("interventions:response-detail", "GET", "malmo_response", only(dict.fromkeys((*POLICE, *RESPONDERS), OK))),
)

# --- The coordinator's changes --------------------------------------------------------------------

register(
    Row("interventions:response-edit", "GET", "malmo_response", PETRA),
    Row(
        "interventions:response-edit",
        "POST",
        "malmo_response",
        PETRA,
        data=partial(_version, subject="malmo_response", notes="Matrix notes."),
    ),
    # refused: a stale version (the conflict, both versions shown)
    Row(
        "interventions:response-edit",
        "POST",
        "malmo_response",
        PETRA,
        data=partial(_version, subject="malmo_response", offset=-1, notes="Matrix notes."),
    ),
    Row("interventions:response-close", "GET", "malmo_response", PETRA),
    # refused: tasks are still to do (the service's message)
    Row(
        "interventions:response-close",
        "POST",
        "malmo_response",
        PETRA,
        data=partial(_version, subject="malmo_response"),
    ),
    Row("interventions:task-add", "GET", "malmo_response", PETRA),
    Row("interventions:task-add", "POST", "malmo_response", PETRA, data=partial(_task, title="Matrix task")),
    # refused: no title (a form error)
    Row("interventions:task-add", "POST", "malmo_response", PETRA, data=partial(_task, title="")),
)

# --- Assigning and resolving: the owning agency's staff only --------------------------------------

OWNERS = {
    "malmo_task_exit": MALMO_STAD,
    "malmo_task_crisis": MALMO_STAD,  # done: refused with the service's message
    "malmo_task_probation": ("karin",),
    "malmo_task_police": ("petra",),  # done: refused with the service's message
}
ASSIGNEE = {
    "malmo_task_exit": "erik",
    "malmo_task_crisis": "sara",
    "malmo_task_probation": "karin",
    "malmo_task_police": "petra",
}
for task, owners in OWNERS.items():
    allowed = only(dict.fromkeys(owners, OK))
    register(
        Row(
            "interventions:task-assign",
            "POST",
            task,
            allowed,
            data=partial(_assign, subject=task, assignee=ASSIGNEE[task]),
        ),
        Row(
            "interventions:task-resolve",
            "POST",
            task,
            allowed,
            data=partial(_version, subject=task, status="done", note="Matrix."),
        ),
    )
register(
    # refused: staff of another agency (a form error)
    Row(
        "interventions:task-assign",
        "POST",
        "malmo_task_exit",
        only(dict.fromkeys(MALMO_STAD, OK)),
        data=partial(_assign, subject="malmo_task_exit", assignee="karin"),
    ),
    # refused: not needed without saying why (a form error from the service)
    Row(
        "interventions:task-resolve",
        "POST",
        "malmo_task_exit",
        only(dict.fromkeys(MALMO_STAD, OK)),
        data=partial(_version, subject="malmo_task_exit", status="not_needed", note=""),
    ),
)

# --- The routine ----------------------------------------------------------------------------------

KEEPERS = only(dict.fromkeys(ROUTINE_KEEPERS, OK))
register(
    Row("interventions:routine", "GET", None, only(dict.fromkeys((*POLICE, *ROUTINE_KEEPERS, "maja"), OK))),
    # refused: each program has a routine already (the service's message)
    Row("interventions:routine-standard", "POST", None, only(dict.fromkeys((*ROUTINE_KEEPERS, "maja"), OK))),
    Row("interventions:routine-add", "GET", None, only(dict.fromkeys((*ROUTINE_KEEPERS, "maja"), OK))),
    # added for Malmö; refused for Maja (Malmö stad is no agency of Örebro's program: a form error)
    Row(
        "interventions:routine-add",
        "POST",
        None,
        only(dict.fromkeys((*ROUTINE_KEEPERS, "maja"), OK)),
        data=partial(_routine_item, title="Matrix routine task"),
    ),
    # refused: no title (a form error)
    Row(
        "interventions:routine-add",
        "POST",
        None,
        only(dict.fromkeys((*ROUTINE_KEEPERS, "maja"), OK)),
        data=partial(_routine_item, title=""),
    ),
    Row("interventions:routine-edit", "GET", "malmo_routine_item", KEEPERS),
    Row(
        "interventions:routine-edit",
        "POST",
        "malmo_routine_item",
        KEEPERS,
        data=partial(_routine_item, title="Matrix routine task"),
    ),
    Row("interventions:routine-remove", "GET", "malmo_routine_item", KEEPERS),
    Row("interventions:routine-remove", "POST", "malmo_routine_item", KEEPERS),
)
