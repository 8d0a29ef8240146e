"""Permission-matrix rows for the API of enforcement rounds, responses after incidents, the routine and the
calendar. The same expectations as the pages.

- Rounds: the police (Petra, Anders) read both rounds in full; Karin the summary of the active round, where
  Kriminalvården was asked to act (`filtered` here; tests/interventions/test_api_enforcement.py asserts the
  fields). Only the coordinator (Petra) starts, changes or ends one. Social services never see a round.
- Actions: the police see every action of their rounds, Karin Kriminalvården's own (the supervision) and
  records its result; Petra records the results of the police's and the outside authority's actions, never
  Kriminalvården's. Only Petra logs, changes or removes an action.
- Responses: the police read the response in full; the agencies with tasks (Sara, Erik, Karin) its summary;
  Nils's role reads summaries, so his list answers and shows none of Malmö's. Only Petra opens, edits or
  closes one. Tasks: the police see all four, their own in full and the other agencies' three by their status
  only (`ok` / `filtered` here; test_api_enforcement.py asserts the fields: never the note or the assignee);
  Malmö stad (Sara, Erik) its two, Kriminalvården (Karin) its own; each agency assigns and resolves only its
  own.
- The routine: the police read it; the program lead and the administrator keep it (Lena and Ada Malmö's,
  Maja Örebro's: Malmö's item is not hers to see).
- Calendar: every persona has a role in the policy, so every one gets an answer (of what they may see).
- Lena (counts only), Olof, Ada and Maja: 404 for rounds, responses and tasks.

A change without If-Match (428) or with a stale one (412) has no result kind in tests/matrix.py:
test_api_enforcement.py runs every change without If-Match for every persona (404 for the refused, 428 for
the allowed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from gvi.accounts.models import Agency, AgencyKind, Program
from gvi.mapping.models import Incident
from interventions.models import EnforcementAction, ResponseTask
from interventions.services import responses as response_services
from interventions.services import rounds
from tests.matrix import OK, Expected, Row, filtered, only, register

JSON = "application/json"

ROUNDS = ("malmo_round", "malmo_round_ended")
ACTIONS = ("malmo_action_arrest", "malmo_action_kronofogden", "malmo_action_supervision")
TASKS = ("malmo_task_crisis", "malmo_task_exit", "malmo_task_police", "malmo_task_probation")
CITY_TASKS = ("malmo_task_crisis", "malmo_task_exit")

SUBJECTS: tuple[str, ...] = (
    *ROUNDS,
    *ACTIONS,
    "malmo_response",
    *TASKS,
    "malmo_routine_item",
)

POLICE = ("petra", "anders")
CITY = ("sara", "erik")


def _ok(*names: str) -> dict[str, Expected]:
    return only(dict.fromkeys(names, OK))


def _fresh(record: Any) -> Any:
    return type(record)._default_manager.get(pk=record.pk)


def _if_match_of(subject: str) -> Callable[[dict[str, Any]], dict[str, str]]:
    def headers(world: dict[str, Any]) -> dict[str, str]:
        record = _fresh(world[subject])
        return {"If-Match": f'"{record.pk}-{record.version}"'}

    return headers


def _edit(subject: str) -> dict[str, Any]:
    return {"headers": _if_match_of(subject), "content_type": JSON}


def _constant(data: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda _world: dict(data)


def _today() -> str:
    return timezone.localdate().isoformat()


def _incident_without_response(world: dict[str, Any]) -> dict[str, Any]:
    incident = (
        Incident.objects.filter(owner_agency_id=world["petra"].agency_id, response__isnull=True)
        .order_by("-occurred_at", "-id")
        .first()
    )
    assert incident is not None
    return {"incident": incident.pk}


def _tasks_resolved(world: dict[str, Any]) -> dict[str, Any]:
    """Resolve the response's open tasks, each as a staff member of its agency, so that it may be closed."""
    by_agency = {world[name].agency_id: world[name] for name in ("petra", "sara", "karin")}
    for task in ResponseTask.objects.filter(response=world["malmo_response"], status=ResponseTask.Status.OPEN):
        response_services.task_resolve(
            actor=by_agency[task.owner_agency_id], task=task, version=task.version, status="done", note="Matris."
        )
    return {}


def _shared_agency(world: dict[str, Any]) -> Agency:
    """A regional authority that takes part in both programs: a routine task in either may be its."""
    agency, _created = Agency.objects.get_or_create(
        slug="lansstyrelsen-matris", defaults={"name": "Länsstyrelsen (matris)", "kind": AgencyKind.MUNICIPALITY}
    )
    agency.programs.set(Program.objects.filter(pk__in=[world["lena"].program_id, world["maja"].program_id]))
    return agency


def _round_end(world: dict[str, Any]) -> dict[str, Any]:
    """The round ends today once none of its actions is planned after today: the demo's are moved to today."""
    for action in EnforcementAction.objects.filter(round=world["malmo_round"], status="planned"):
        rounds.action_update(actor=world["petra"], action=action, version=action.version, acted_on=timezone.localdate())
    return {"ended_on": _today(), "evaluation": "Matrisen."}


def _routine_item(world: dict[str, Any]) -> dict[str, Any]:
    return {"title": "Matrisuppgift", "agency": _shared_agency(world).pk, "deadline_hours": 12}


# --------------------------------------------------------------------------------------------------
# Rounds and actions

register(
    Row(
        "api:enforcementround-list",
        "GET",
        None,
        only({**{name: filtered(*ROUNDS) for name in POLICE}, "karin": filtered("malmo_round")}),
        list_subjects=ROUNDS,
    ),
    Row(
        "api:enforcementround-list",
        "POST",
        None,
        _ok("petra"),
        data=lambda w: {"group": w["malmo_group"].pk, "reason": "Matrisen.", "incidents": [w["malmo_incident"].pk]},
        content_type=JSON,
    ),
    Row("api:enforcementround-detail", "GET", "malmo_round", _ok(*POLICE, "karin")),
    Row("api:enforcementround-detail", "GET", "malmo_round_ended", _ok(*POLICE)),
    Row(
        "api:enforcementround-detail",
        "PATCH",
        "malmo_round",
        _ok("petra"),
        data=_constant({"summary": "Ökat fokus (matris)."}),
        **_edit("malmo_round"),
    ),
    Row(
        "api:enforcementround-end",
        "POST",
        "malmo_round",
        _ok("petra"),
        data=_round_end,
        **_edit("malmo_round"),
    ),
    Row(
        "api:enforcementaction-list",
        "GET",
        None,
        only({**{name: filtered(*ACTIONS) for name in POLICE}, "karin": filtered("malmo_action_supervision")}),
        list_subjects=ACTIONS,
    ),
    Row(
        "api:enforcementaction-list",
        "POST",
        None,
        _ok("petra"),
        data=lambda w: {
            "round": w["malmo_round"].pk,
            "kind": "search",
            "acted_on": _today(),
            "acting_agency": w["petra"].agency_id,
        },
        content_type=JSON,
    ),
    Row("api:enforcementaction-detail", "GET", "malmo_action_arrest", _ok(*POLICE)),
    Row("api:enforcementaction-detail", "GET", "malmo_action_kronofogden", _ok(*POLICE)),
    Row("api:enforcementaction-detail", "GET", "malmo_action_supervision", _ok(*POLICE, "karin")),
    Row(
        "api:enforcementaction-detail",
        "PATCH",
        "malmo_action_kronofogden",
        _ok("petra"),
        data=_constant({"description": "Utmätning (matris)."}),
        **_edit("malmo_action_kronofogden"),
    ),
    Row(
        "api:enforcementaction-detail",
        "PATCH",
        "malmo_action_supervision",
        _ok("petra"),
        data=_constant({"description": "Tätare besök (matris)."}),
        **_edit("malmo_action_supervision"),
    ),
    Row(
        "api:enforcementaction-detail",
        "DELETE",
        "malmo_action_kronofogden",
        _ok("petra"),
        **_edit("malmo_action_kronofogden"),
    ),
    Row(
        "api:enforcementaction-result",
        "POST",
        "malmo_action_kronofogden",
        _ok("petra"),
        data=_constant({"status": "not_done", "result": "Inget att utmäta."}),
        **_edit("malmo_action_kronofogden"),
    ),
    Row(
        "api:enforcementaction-result",
        "POST",
        "malmo_action_supervision",
        _ok("karin"),
        data=lambda _w: {"status": "done", "result": "Två extra besök.", "acted_on": _today()},
        **_edit("malmo_action_supervision"),
    ),
)


# --------------------------------------------------------------------------------------------------
# Responses, tasks and the routine

register(
    Row(
        "api:incidentresponse-list",
        "GET",
        None,
        only({**{name: filtered("malmo_response") for name in (*POLICE, *CITY, "karin")}, "nils": filtered()}),
        list_subjects=("malmo_response",),
    ),
    Row(
        "api:incidentresponse-list",
        "POST",
        None,
        _ok("petra"),
        data=_incident_without_response,
        content_type=JSON,
    ),
    Row("api:incidentresponse-detail", "GET", "malmo_response", _ok(*POLICE, *CITY, "karin")),
    Row(
        "api:incidentresponse-detail",
        "PATCH",
        "malmo_response",
        _ok("petra"),
        data=_constant({"notes": "Samordning (matris)."}),
        **_edit("malmo_response"),
    ),
    Row(
        "api:incidentresponse-close",
        "POST",
        "malmo_response",
        _ok("petra"),
        data=_tasks_resolved,
        **_edit("malmo_response"),
    ),
    Row(
        "api:responsetask-list",
        "GET",
        None,
        only(
            {
                **{name: filtered(*TASKS) for name in POLICE},
                **{name: filtered(*CITY_TASKS) for name in CITY},
                "karin": filtered("malmo_task_probation"),
                "nils": filtered(),
            }
        ),
        list_subjects=TASKS,
    ),
    Row(
        "api:responsetask-list",
        "POST",
        None,
        _ok("petra"),
        data=lambda w: {
            "response": w["malmo_response"].pk,
            "title": "Extra uppgift (matris)",
            "agency": w["sara"].agency_id,
            "deadline": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        content_type=JSON,
    ),
    # The police: the other agencies' tasks by their status only (the partial payload), their own in full.
    Row("api:responsetask-detail", "GET", "malmo_task_crisis", _ok(*POLICE, *CITY)),
    Row("api:responsetask-detail", "GET", "malmo_task_exit", _ok(*POLICE, *CITY)),
    Row("api:responsetask-detail", "GET", "malmo_task_police", _ok(*POLICE)),
    Row("api:responsetask-detail", "GET", "malmo_task_probation", _ok(*POLICE, "karin")),
    Row(
        "api:responsetask-assign",
        "POST",
        "malmo_task_exit",
        _ok(*CITY),
        data=lambda w: {"assignee": w["erik"].pk},
        **_edit("malmo_task_exit"),
    ),
    Row(
        "api:responsetask-assign",
        "POST",
        "malmo_task_probation",
        _ok("karin"),
        data=lambda w: {"assignee": w["karin"].pk},
        **_edit("malmo_task_probation"),
    ),
    Row(
        "api:responsetask-resolve",
        "POST",
        "malmo_task_exit",
        _ok(*CITY),
        data=_constant({"status": "done", "note": "Erbjudande lämnat."}),
        **_edit("malmo_task_exit"),
    ),
    Row(
        "api:responsetask-resolve",
        "POST",
        "malmo_task_probation",
        _ok("karin"),
        data=_constant({"status": "not_needed", "note": "Inga klienter i grupperna."}),
        **_edit("malmo_task_probation"),
    ),
    Row(
        "api:responsetemplateitem-list",
        "GET",
        None,
        only({**{name: filtered("malmo_routine_item") for name in (*POLICE, "lena", "ada")}, "maja": filtered()}),
        list_subjects=("malmo_routine_item",),
    ),
    Row(
        "api:responsetemplateitem-list",
        "POST",
        None,
        _ok("lena", "ada", "maja"),
        data=_routine_item,
        content_type=JSON,
    ),
    Row("api:responsetemplateitem-detail", "GET", "malmo_routine_item", _ok(*POLICE, "lena", "ada")),
    Row(
        "api:responsetemplateitem-detail",
        "PATCH",
        "malmo_routine_item",
        _ok("lena", "ada"),
        data=_constant({"deadline_hours": 36}),
        content_type=JSON,
    ),
    Row("api:responsetemplateitem-detail", "DELETE", "malmo_routine_item", _ok("lena", "ada"), content_type=JSON),
)


# --------------------------------------------------------------------------------------------------
# The calendar

register(Row("api:calendarevent-list", "GET", None, only({}, OK)))
