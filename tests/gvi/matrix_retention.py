"""Permission-matrix rows for retention (gvi/retention): pages and API.

- The rules: the program lead and the administrator read and change their program's (Lena, Ada; Maja in Örebro);
  the auditor (Olof) reads them. The overview is also for those who keep records that are culled (it shows them
  what of theirs is due): every persona has it.
- What is due, per category: those whose role keeps that kind of record (the role action "hold"): social
  sections and exit cases for Sara, Erik and Nils; police sections and memberships for Petra and Anders;
  probation sections for Karin.
- Legal holds: the auditor sees all of her program's; a record keeper sees the holds on records she sees and
  places or lifts them on records she may change. Sara (team scope) cannot hold the field team's section; Erik
  (the whole municipality) can. Lena, Ada and Maja see no holds: 404.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tests.matrix import OK, Expected, Row, filtered, only, register

JSON = "application/json"
HOLDS = ("malmo_hold", "malmo_police_hold", "orebro_hold")
SUBJECTS: tuple[str, ...] = (*HOLDS, "malmo_rule", "orebro_due_section")

EVERYONE_WITH_RETENTION = ("petra", "anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja")
RULE_KEEPERS = ("lena", "ada", "maja")
RULE_READERS = (*RULE_KEEPERS, "olof")


def _ok(*names: str) -> dict[str, Expected]:
    return only(dict.fromkeys(names, OK))


def _category(key: str, _world: dict[str, Any]) -> dict[str, Any]:
    return {"category": key}


def _record(key: str, record: str, world: dict[str, Any]) -> dict[str, Any]:
    return {"category": key, "pk": world[record].pk}


def _reason(_world: dict[str, Any]) -> dict[str, Any]:
    return {"reason": "Tillsynsärende hos IVO pågår (dnr 1.2-3/26)."}


def _hold_on_field_team(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": "social_sections",
        "object_id": world["malmo_field_team_section"].pk,
        "reason": "Förundersökning pågår (K-654321-26).",
    }


# --- Pages ------------------------------------------------------------------------------------------------------

register(
    Row("retention:overview", "GET", None, _ok(*EVERYONE_WITH_RETENTION)),
    Row("retention:rule-edit", "GET", None, _ok(*RULE_KEEPERS), url_kwargs=partial(_category, "police_sections")),
    Row(
        "retention:rule-edit",
        "POST",
        None,
        _ok(*RULE_KEEPERS),
        url_kwargs=partial(_category, "police_sections"),
        data=lambda _world: {"months": 30, "version": ""},
    ),
    # A kept category has no rule to change, and an unknown one does not exist: 404 for everyone.
    Row("retention:rule-edit", "GET", None, only({}), url_kwargs=partial(_category, "audit_events")),
    Row("retention:due", "GET", None, _ok("sara", "erik", "nils"), url_kwargs=partial(_category, "social_sections")),
    Row("retention:due", "GET", None, _ok("sara", "erik", "nils"), url_kwargs=partial(_category, "exit_cases")),
    Row("retention:due", "GET", None, _ok("petra", "anders"), url_kwargs=partial(_category, "police_sections")),
    Row("retention:due", "GET", None, _ok("petra", "anders"), url_kwargs=partial(_category, "lapsed_memberships")),
    Row("retention:due", "GET", None, _ok("karin"), url_kwargs=partial(_category, "probation_sections")),
    Row("retention:due", "GET", None, _ok("petra", "anders"), url_kwargs=partial(_category, "incident_involvements")),
    Row("retention:due", "GET", None, only({}), url_kwargs=partial(_category, "audit_events")),
    Row(
        "retention:hold-list",
        "GET",
        None,
        only(
            {
                "sara": filtered("malmo_hold"),
                "erik": filtered("malmo_hold"),
                "petra": filtered("malmo_police_hold"),
                "anders": filtered("malmo_police_hold"),
                "karin": filtered(),
                "olof": filtered("malmo_hold", "malmo_police_hold"),
                "nils": filtered("orebro_hold"),
            }
        ),
        list_subjects=HOLDS,
    ),
    Row(
        "retention:hold-place",
        "GET",
        None,
        _ok("sara", "erik"),
        url_kwargs=partial(_record, "social_sections", "malmo_social_section"),
    ),
    Row(
        "retention:hold-place",
        "POST",
        None,
        _ok("erik"),
        url_kwargs=partial(_record, "social_sections", "malmo_field_team_section"),
        data=_reason,
    ),
    Row(
        "retention:hold-place",
        "GET",
        None,
        _ok("petra", "anders"),
        url_kwargs=partial(_record, "police_sections", "malmo_police_section"),
    ),
    Row("retention:hold-lift", "GET", "malmo_hold", _ok("sara", "erik")),
    Row("retention:hold-lift", "POST", "malmo_police_hold", _ok("petra", "anders"), data=_reason),
    Row("retention:hold-lift", "GET", "orebro_hold", _ok("nils")),
)

# --- API --------------------------------------------------------------------------------------------------------

register(
    Row("api:retention-rules", "GET", None, _ok(*RULE_READERS)),
    Row(
        "api:retention-rule",
        "PATCH",
        None,
        _ok(*RULE_KEEPERS),
        url_kwargs=partial(_category, "exit_cases"),
        data=lambda _world: {"months": 72},
        content_type=JSON,
    ),
    Row(
        "api:retention-due", "GET", None, _ok("sara", "erik", "nils"), url_kwargs=partial(_category, "social_sections")
    ),
    Row("api:retention-due", "GET", None, _ok("petra", "anders"), url_kwargs=partial(_category, "police_sections")),
    Row(
        "api:legalhold-list",
        "GET",
        None,
        only(
            {
                "sara": filtered("malmo_hold"),
                "erik": filtered("malmo_hold"),
                "petra": filtered("malmo_police_hold"),
                "anders": filtered("malmo_police_hold"),
                "karin": filtered(),
                "olof": filtered("malmo_hold", "malmo_police_hold"),
                "nils": filtered("orebro_hold"),
            }
        ),
        list_subjects=HOLDS,
    ),
    Row("api:legalhold-detail", "GET", "malmo_hold", _ok("sara", "erik", "olof")),
    Row("api:legalhold-detail", "GET", "malmo_police_hold", _ok("petra", "anders", "olof")),
    Row("api:legalhold-list", "POST", None, _ok("erik"), data=_hold_on_field_team, content_type=JSON),
    Row("api:legalhold-lift", "POST", "malmo_hold", _ok("sara", "erik"), data=_reason, content_type=JSON),
)
