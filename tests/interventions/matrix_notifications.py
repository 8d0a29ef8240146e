"""Permission-matrix rows for the custom-notification pages (interventions/views/notifications.py).

The police (Petra, Anders) hold every notification of their agency in full; Petra takes the steps, Anders
only reads and requests. Those who deliver one outside the police see its plan (`view_plan`): Sara the two
she delivers, Karin the one she delivered (malmo_notification_done), and they record the outcome (Sara also
the follow-up). The list is for the police and for the roles that deliver (Erik and Örebro's Nils see an
empty one). A request is made from the police's own record of a person. Everyone else: 404. POST rows
carry data that passes and data that is refused (the page shows the service's message or the form's errors:
200); the role or the record decide the 404s.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tests.matrix import OK, Row, filtered, only, register

NOTIFICATION_SUBJECTS: tuple[str, ...] = (
    "malmo_notification",
    "malmo_notification_done",
    "malmo_notification_new",
)
SUBJECTS: tuple[str, ...] = (*NOTIFICATION_SUBJECTS, "malmo_police_person", "malmo_social_person")

POLICE = ("petra", "anders")
# notification -> who sees it (in full: the police; in part: those who deliver it outside the police)
VIEWERS: dict[str, tuple[str, ...]] = {
    "malmo_notification": (*POLICE, "sara"),
    "malmo_notification_done": (*POLICE, "sara", "karin"),
    "malmo_notification_new": POLICE,
}

register(
    Row(
        "interventions:notification-list",
        "GET",
        None,
        only(
            {
                "petra": filtered(*NOTIFICATION_SUBJECTS),
                "anders": filtered(*NOTIFICATION_SUBJECTS),
                "sara": filtered("malmo_notification", "malmo_notification_done"),
                "karin": filtered("malmo_notification_done"),
                "erik": filtered(),
                "nils": filtered(),
            }
        ),
        list_subjects=NOTIFICATION_SUBJECTS,
    )
)
for subject, viewers in VIEWERS.items():
    register(Row("interventions:notification-detail", "GET", subject, only(dict.fromkeys(viewers, OK))))


# --- The request: from the police's own record of a person -----------------------------------------


def _person_kwargs(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"person_pk": world[subject].pk}


def _reason(world: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"reason": reason}


for person, requesters in (("malmo_police_person", POLICE), ("malmo_social_person", ())):
    kwargs = partial(_person_kwargs, subject=person)
    allowed = only(dict.fromkeys(requesters, OK))
    register(
        Row("interventions:notification-create", "GET", person, allowed, url_kwargs=kwargs),
        Row(
            "interventions:notification-create",
            "POST",
            person,
            allowed,
            url_kwargs=kwargs,
            data=partial(_reason, reason="Matrix request."),
        ),
        # refused: no reason (a form error)
        Row(
            "interventions:notification-create",
            "POST",
            person,
            allowed,
            url_kwargs=kwargs,
            data=partial(_reason, reason=""),
        ),
    )


# --- The steps: passing and refused data alike -----------------------------------------------------


def _version(world: dict[str, Any], subject: str, **values: Any) -> dict[str, Any]:
    return {**values, "version": world[subject].version}


def _plan(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {
        "deliverers": [world["petra"].pk, world["sara"].pk],
        "place": "home",
        "planned_for": "",
        "message_points": "Matrix points.",
        "version": world[subject].version,
    }


PETRA = only({"petra": OK})
OUTCOME: dict[str, Any] = {"outcome": "not_found", "outcome_at": "", "outcome_note": "Matrix."}
FOLLOW_UP: dict[str, Any] = {"help_offered": "on", "follow_up_note": "Matrix."}
register(
    # requested → assessed
    Row(
        "interventions:notification-assess",
        "POST",
        "malmo_notification_new",
        PETRA,
        data=partial(_version, subject="malmo_notification_new", risk_outcome="proceed", risk_reasoning="Matrix."),
    ),
    # refused: already planned (the service's message)
    Row(
        "interventions:notification-assess",
        "POST",
        "malmo_notification",
        PETRA,
        data=partial(_version, subject="malmo_notification", risk_outcome="proceed", risk_reasoning="Matrix."),
    ),
    # refused: not assessed yet (the service's message)
    Row(
        "interventions:notification-plan",
        "POST",
        "malmo_notification_new",
        PETRA,
        data=partial(_plan, subject="malmo_notification_new"),
    ),
    # refused: no deliverers, no place (form errors)
    Row(
        "interventions:notification-plan",
        "POST",
        "malmo_notification",
        PETRA,
        data=partial(_version, subject="malmo_notification", message_points="Matrix."),
    ),
    # planned → outcome: the police and Sara, who delivers it
    Row(
        "interventions:notification-outcome",
        "POST",
        "malmo_notification",
        only(dict.fromkeys(("petra", "sara"), OK)),
        data=partial(_version, subject="malmo_notification", **OUTCOME),
    ),
    # refused: already followed up (Karin delivered it too)
    Row(
        "interventions:notification-outcome",
        "POST",
        "malmo_notification_done",
        only(dict.fromkeys(("petra", "sara", "karin"), OK)),
        data=partial(_version, subject="malmo_notification_done", **OUTCOME),
    ),
    # refused: not delivered yet / already followed up; a probation officer follows nothing up
    Row(
        "interventions:notification-follow-up",
        "POST",
        "malmo_notification",
        only(dict.fromkeys(("petra", "sara"), OK)),
        data=partial(_version, subject="malmo_notification", **FOLLOW_UP),
    ),
    Row(
        "interventions:notification-follow-up",
        "POST",
        "malmo_notification_done",
        only(dict.fromkeys(("petra", "sara"), OK)),
        data=partial(_version, subject="malmo_notification_done", **FOLLOW_UP),
    ),
    # requested → cancelled
    Row(
        "interventions:notification-cancel",
        "POST",
        "malmo_notification_new",
        PETRA,
        data=partial(_version, subject="malmo_notification_new"),
    ),
    # refused: already followed up
    Row(
        "interventions:notification-cancel",
        "POST",
        "malmo_notification_done",
        PETRA,
        data=partial(_version, subject="malmo_notification_done"),
    ),
)
