"""Permission-matrix rows for the enforcement-round pages (interventions/views/rounds.py).

The police hold their rounds in full: Petra (coordinator) starts, changes and ends them and logs, changes and
removes actions; Anders (analyst) reads. Kriminalvården, asked to act in malmo_round (tightened supervision),
holds that round's summary and its own action: Karin opens the summary page and records the action's result,
nothing of the ended round. The police record the results of their own and of outside authorities' actions,
not Kriminalvården's. Social services, the program lead, the auditor, the administrator and Örebro: 404 on
every route. POST rows carry data that passes and data that is refused (the form's or the service's message:
200, or a redirect to the round with the reason when it no longer changes); the role and the grants decide
the 404s.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.utils import timezone

from tests.matrix import OK, Row, filtered, only, register

ROUND_SUBJECTS: tuple[str, ...] = ("malmo_round", "malmo_round_ended")
SUBJECTS: tuple[str, ...] = (
    *ROUND_SUBJECTS,
    "malmo_action_arrest",
    "malmo_action_kronofogden",
    "malmo_action_supervision",
    "malmo_other_group",
    "malmo_incident",
)

POLICE = ("petra", "anders")
PETRA = only({"petra": OK})
KARIN = only({"karin": OK})


def _today() -> str:
    return timezone.localdate().isoformat()


def _version(world: dict[str, Any], subject: str, **values: Any) -> dict[str, Any]:
    return {**values, "version": world[subject].version}


# --- The list and the round's page ------------------------------------------------------------------

register(
    Row(
        "interventions:round-list",
        "GET",
        None,
        only(
            {
                "petra": filtered(*ROUND_SUBJECTS),
                "anders": filtered(*ROUND_SUBJECTS),
                "karin": filtered("malmo_round"),
            }
        ),
        list_subjects=ROUND_SUBJECTS,
    ),
    Row("interventions:round-detail", "GET", "malmo_round", only(dict.fromkeys((*POLICE, "karin"), OK))),
    Row("interventions:round-detail", "GET", "malmo_round_ended", only(dict.fromkeys(POLICE, OK))),
)


# --- Starting a round ---------------------------------------------------------------------------------


def _round(world: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "group": world["malmo_other_group"].pk,
        "reason": reason,
        "summary": "Matrix summary.",
        "started_on": _today(),
        "incidents": [world["malmo_incident"].pk],
    }


register(
    Row("interventions:round-create", "GET", None, PETRA),
    Row("interventions:round-create", "POST", None, PETRA, data=partial(_round, reason="Matrix reason.")),
    # refused: no reason (a form error)
    Row("interventions:round-create", "POST", None, PETRA, data=partial(_round, reason="")),
)


# --- Changing and ending a round (active only: the ended one sends back to its page) -----------------


def _round_edit(world: dict[str, Any], days_ago: int) -> dict[str, Any]:
    return {
        "reason": "Matrix reason.",
        "summary": "Matrix summary.",
        "started_on": (timezone.localdate() - timedelta(days=days_ago)).isoformat(),
        "incidents": [world["malmo_incident"].pk],
        "version": world["malmo_round"].version,
    }


def _round_end(world: dict[str, Any], subject: str, evaluation: str) -> dict[str, Any]:
    return {"ended_on": _today(), "evaluation": evaluation, "version": world[subject].version}


register(
    Row("interventions:round-edit", "GET", "malmo_round", PETRA),
    Row("interventions:round-edit", "GET", "malmo_round_ended", PETRA),
    Row("interventions:round-edit", "POST", "malmo_round", PETRA, data=partial(_round_edit, days_ago=20)),
    # refused: a start date ahead (a form error)
    Row("interventions:round-edit", "POST", "malmo_round", PETRA, data=partial(_round_edit, days_ago=-30)),
    Row("interventions:round-end", "GET", "malmo_round", PETRA),
    Row("interventions:round-end", "GET", "malmo_round_ended", PETRA),
    Row(
        "interventions:round-end",
        "POST",
        "malmo_round",
        PETRA,
        data=partial(_round_end, subject="malmo_round", evaluation="Matrix evaluation."),
    ),
    # refused: no evaluation (a form error); already ended (back to the round with the reason)
    Row(
        "interventions:round-end",
        "POST",
        "malmo_round",
        PETRA,
        data=partial(_round_end, subject="malmo_round", evaluation=""),
    ),
    Row(
        "interventions:round-end",
        "POST",
        "malmo_round_ended",
        PETRA,
        data=partial(_round_end, subject="malmo_round_ended", evaluation="Matrix evaluation."),
    ),
)


# --- Actions ------------------------------------------------------------------------------------------


def _action(world: dict[str, Any], agency_of: str, external: str = "") -> dict[str, Any]:
    return {
        "kind": "supervision" if agency_of == "karin" else "search",
        "acted_on": _today(),
        "acting_agency": world[agency_of].agency_id if agency_of else "",
        "external_agency": external,
        "description": "Matrix action.",
    }


register(
    Row("interventions:action-add", "GET", "malmo_round", PETRA),
    Row("interventions:action-add", "GET", "malmo_round_ended", PETRA),
    Row("interventions:action-add", "POST", "malmo_round", PETRA, data=partial(_action, agency_of="petra")),
    Row("interventions:action-add", "POST", "malmo_round", PETRA, data=partial(_action, agency_of="karin")),
    # refused: an agency and an outside authority both (the service's message)
    Row(
        "interventions:action-add",
        "POST",
        "malmo_round",
        PETRA,
        data=partial(_action, agency_of="petra", external="Skatteverket"),
    ),
)


def _action_edit(world: dict[str, Any], subject: str, acted_on: str) -> dict[str, Any]:
    return {"kind": "kronofogden", "acted_on": acted_on, "description": "Matrix.", "version": world[subject].version}


register(
    # The police change and remove every planned action of their rounds, Kriminalvården's too.
    Row("interventions:action-edit", "GET", "malmo_action_kronofogden", PETRA),
    Row("interventions:action-edit", "GET", "malmo_action_supervision", PETRA),
    # done: back to the round with the reason
    Row("interventions:action-edit", "GET", "malmo_action_arrest", PETRA),
    Row(
        "interventions:action-edit",
        "POST",
        "malmo_action_kronofogden",
        PETRA,
        data=partial(_action_edit, subject="malmo_action_kronofogden", acted_on=_today()),
    ),
    # refused: before the round started (the service's message)
    Row(
        "interventions:action-edit",
        "POST",
        "malmo_action_kronofogden",
        PETRA,
        data=partial(_action_edit, subject="malmo_action_kronofogden", acted_on="2001-01-01"),
    ),
    Row("interventions:action-remove", "GET", "malmo_action_kronofogden", PETRA),
    Row("interventions:action-remove", "GET", "malmo_action_supervision", PETRA),
    Row("interventions:action-remove", "POST", "malmo_action_supervision", PETRA),
    # refused: done (back to the round with the reason)
    Row("interventions:action-remove", "POST", "malmo_action_arrest", PETRA),
)


def _result(world: dict[str, Any], subject: str, status: str, result: str) -> dict[str, Any]:
    return {"status": status, "result": result, "acted_on": _today(), "version": world[subject].version}


register(
    # The police record their own and the outside authority's results; Kriminalvården its own.
    Row("interventions:action-result", "GET", "malmo_action_kronofogden", PETRA),
    Row("interventions:action-result", "GET", "malmo_action_supervision", KARIN),
    # recorded already: back to the round
    Row("interventions:action-result", "GET", "malmo_action_arrest", PETRA),
    Row(
        "interventions:action-result",
        "POST",
        "malmo_action_kronofogden",
        PETRA,
        data=partial(_result, subject="malmo_action_kronofogden", status="not_done", result="Matrix."),
    ),
    Row(
        "interventions:action-result",
        "POST",
        "malmo_action_supervision",
        KARIN,
        data=partial(_result, subject="malmo_action_supervision", status="done", result="Matrix."),
    ),
    # refused: no result (a form error)
    Row(
        "interventions:action-result",
        "POST",
        "malmo_action_supervision",
        KARIN,
        data=partial(_result, subject="malmo_action_supervision", status="done", result=""),
    ),
    Row(
        "interventions:action-result",
        "POST",
        "malmo_action_arrest",
        PETRA,
        data=partial(_result, subject="malmo_action_arrest", status="done", result="Matrix."),
    ),
)
