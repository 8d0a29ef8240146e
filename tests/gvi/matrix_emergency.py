"""Permission-matrix rows for emergency access (gvi/accounts/emergency.py).

The subject is the field team's record of a person (Malin's): outside Sara's team, inside her agency. Sara
opens it in an emergency (Malmö allows emergency access); Erik sees it already and is sent there. The program
lead, the auditor and the admin have no role that views a person; Örebro allows no emergency access: for
them posting is a 404 (page and API). For the police and Kriminalvården the record is another agency's: the
API answers 404 as for a missing record; the page answers its form again with the error that a missing number
gets (200), so there the row cannot tell them apart: tests/gvi/accounts/test_emergency.py proves nothing opens.
"""

from __future__ import annotations

from typing import Any

from tests.matrix import NOT_FOUND, OK, Row, everyone, only, register

SUBJECTS: tuple[str, ...] = ("malmo_field_team_person",)
REASON = "Akut hot mot personen, behöver uppgifterna nu"


def _open_person(world: dict[str, Any]) -> dict[str, Any]:
    return {"object_type": "cases.person", "object_id": world["malmo_field_team_person"].pk, "reason": REASON}


def _no_kwargs(world: dict[str, Any]) -> dict[str, Any]:
    return {}


register(
    Row("accounts:emergency-open", "GET", None, everyone(OK)),
    Row("accounts:emergency-list", "GET", None, everyone(OK)),
    Row(
        "accounts:emergency-open",
        "POST",
        "malmo_field_team_person",
        only({"sara": OK, "erik": OK, "petra": OK, "anders": OK, "karin": OK}),
        data=_open_person,
        url_kwargs=_no_kwargs,
    ),
    Row("api:emergencyaccess-list", "GET", None, everyone(OK)),
    Row(
        "api:emergencyaccess-list",
        "POST",
        "malmo_field_team_person",
        only({"sara": OK, "erik": OK}, otherwise=NOT_FOUND),
        data=_open_person,
        url_kwargs=_no_kwargs,
        content_type="application/json",
    ),
)
