"""Permission-matrix rows for the caseload dashboard and reassigning a case.

The caseload is for the roles that hold exit cases (social workers, the exit coordinator); every other role
gets 404. A social worker's dashboard lists only the open cases she is responsible for (Sara: not Erik's
case, which she sees through her team, nor the field team's); the exit coordinator's also lists the whole
municipality's open cases; Nils sees only Örebro's. Only the exit coordinator reassigns, and only cases of
his municipality.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tests.matrix import OK, Row, filtered, only, register

CASES = ("malmo_exit_case", "malmo_erik_case", "malmo_field_case", "orebro_exit_case")
SUBJECTS: tuple[str, ...] = (*CASES, "malin")


def _reassign_data(world: dict[str, Any], subject: str) -> dict[str, Any]:
    """A real move: to another worker than the one holding the case."""
    to = "sara" if subject == "malmo_field_case" else "malin"
    return {"responsible": world[to].pk, "version": world[subject].version}


register(
    Row(
        "outreach:caseload",
        "GET",
        None,
        only(
            {
                "sara": filtered("malmo_exit_case"),
                "erik": filtered("malmo_exit_case", "malmo_erik_case", "malmo_field_case"),
                "nils": filtered("orebro_exit_case"),
            }
        ),
        list_subjects=CASES,
    ),
)
for subject in ("malmo_exit_case", "malmo_field_case", "orebro_exit_case"):
    coordinator = only({"erik": OK}) if subject != "orebro_exit_case" else only({})
    register(
        Row("outreach:case-reassign", "GET", subject, coordinator),
        Row(
            "outreach:case-reassign",
            "POST",
            subject,
            coordinator,
            data=partial(_reassign_data, subject=subject),
        ),
    )
