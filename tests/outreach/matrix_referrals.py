"""Permission-matrix rows for the referral pages (outreach/views/referrals.py).

A referral is handled in full by the receiving municipality (Sara through the exit team it was sent to,
Erik across the municipality); the referrer and their team follow only its status (Petra and Anders the
police's referrals, Karin hers, Sara and her team the self-referral she recorded). The received list is for
the municipality's roles (Örebro's social worker sees an empty list); the status list for every casework
role. A referral is made from the user's own agency's record of the person only. Everyone else: 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from tests.matrix import OK, Row, filtered, only, register

REFERRAL_SUBJECTS: tuple[str, ...] = (
    "malmo_referral",
    "malmo_probation_referral",
    "malmo_assessed_referral",
    "malmo_declined_referral",
    "malmo_self_referral",
)
PERSON_SUBJECTS: tuple[str, ...] = (
    "malmo_police_person",
    "malmo_social_person",
    "malmo_probation_person",
    "orebro_person",
)
SUBJECTS: tuple[str, ...] = (*REFERRAL_SUBJECTS, *PERSON_SUBJECTS)

RECEIVERS = ("sara", "erik")
POLICE = ("petra", "anders")
# referral subject -> who sees only its status (the referrer's side)
STATUS_VIEWERS: dict[str, tuple[str, ...]] = {
    "malmo_referral": POLICE,
    "malmo_probation_referral": ("karin",),
    "malmo_assessed_referral": POLICE,
    "malmo_declined_referral": POLICE,
    "malmo_self_referral": (),  # Sara recorded it herself: she and Erik see it in full
}
# person subject -> who may refer from it (their own agency's record)
REFERRERS: dict[str, tuple[str, ...]] = {
    "malmo_police_person": POLICE,
    "malmo_social_person": RECEIVERS,
    "malmo_probation_person": ("karin",),
    "orebro_person": ("nils",),
}

register(
    Row(
        "outreach:referral-list",
        "GET",
        None,
        only({"sara": filtered(*REFERRAL_SUBJECTS), "erik": filtered(*REFERRAL_SUBJECTS), "nils": filtered()}),
        list_subjects=REFERRAL_SUBJECTS,
    ),
    Row(
        "outreach:referral-sent",
        "GET",
        None,
        only(
            {
                "petra": filtered("malmo_referral", "malmo_assessed_referral", "malmo_declined_referral"),
                "anders": filtered("malmo_referral", "malmo_assessed_referral", "malmo_declined_referral"),
                "karin": filtered("malmo_probation_referral"),
                "sara": filtered("malmo_self_referral"),
                "erik": filtered("malmo_self_referral"),
                "nils": filtered(),
            }
        ),
        list_subjects=REFERRAL_SUBJECTS,
    ),
)

for subject, status_viewers in STATUS_VIEWERS.items():
    register(Row("outreach:referral-detail", "GET", subject, only(dict.fromkeys((*RECEIVERS, *status_viewers), OK))))


# --- The referral form ----------------------------------------------------------------------------


def _person_kwargs(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"person_pk": world[subject].pk}


def _across(world: dict[str, Any], legal_basis: str = "osl_10_2") -> dict[str, Any]:
    """A referral from the police or Kriminalvården to Malmö's exit team."""
    return {
        "receiving_agency": world["sara"].agency_id,
        "receiving_team": world["sara"].team_id,
        "reason": "Matrix referral.",
        "urgency": "normal",
        "legal_basis": legal_basis,
        "consent": "",
    }


def _own(world: dict[str, Any], worker: str) -> dict[str, Any]:
    """A municipality records a self-referral to its own exit program."""
    return {
        "receiving_agency": world[worker].agency_id,
        "receiving_team": world[worker].team_id,
        "reason": "Matrix self-referral.",
        "urgency": "normal",
        "source": "self",
        "referrer_name": "",
        "received_on": "",
    }


_CREATE_DATA: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "malmo_police_person": _across,
    "malmo_social_person": partial(_own, worker="sara"),
    "malmo_probation_person": _across,
    "orebro_person": partial(_own, worker="nils"),
}

for subject, referrers in REFERRERS.items():
    kwargs = partial(_person_kwargs, subject=subject)
    allowed = only(dict.fromkeys(referrers, OK))
    register(
        Row("outreach:referral-create", "GET", subject, allowed, url_kwargs=kwargs),
        Row("outreach:referral-create", "POST", subject, allowed, url_kwargs=kwargs, data=_CREATE_DATA[subject]),
    )

# The consent gate refuses (200 with the gate message on the form) a cross-agency referral without a basis.
register(
    Row(
        "outreach:referral-create",
        "POST",
        "malmo_police_person",
        only(dict.fromkeys(POLICE, OK)),
        url_kwargs=partial(_person_kwargs, subject="malmo_police_person"),
        data=partial(_across, legal_basis=""),
    )
)


# --- The next steps: only the receiving side; passing and refused data alike -----------------------


def _version(world: dict[str, Any], subject: str, **values: Any) -> dict[str, Any]:
    return {**values, "version": world[subject].version}


def _open_case(world: dict[str, Any], subject: str) -> dict[str, Any]:
    return {"responsible": world["sara"].pk, "version": world[subject].version}


RECEIVING = only(dict.fromkeys(RECEIVERS, OK))
register(
    # received → assessed
    Row(
        "outreach:referral-assess",
        "POST",
        "malmo_probation_referral",
        RECEIVING,
        data=partial(_version, subject="malmo_probation_referral", assessment="Matrix assessment."),
    ),
    # refused: a declined referral is not assessed again (the service's message on the page)
    Row(
        "outreach:referral-assess",
        "POST",
        "malmo_declined_referral",
        RECEIVING,
        data=partial(_version, subject="malmo_declined_referral", assessment="Matrix assessment."),
    ),
    # assessed → accepted
    Row(
        "outreach:referral-decide",
        "POST",
        "malmo_assessed_referral",
        RECEIVING,
        data=partial(_version, subject="malmo_assessed_referral", decision="accept"),
    ),
    # refused: a decline without a reason is a form error
    Row(
        "outreach:referral-decide",
        "POST",
        "malmo_probation_referral",
        RECEIVING,
        data=partial(_version, subject="malmo_probation_referral", decision="decline", decline_reason=""),
    ),
    # accepted → exit case opened
    Row(
        "outreach:referral-open-case",
        "POST",
        "malmo_self_referral",
        RECEIVING,
        data=partial(_open_case, subject="malmo_self_referral"),
    ),
    # refused: not accepted yet
    Row(
        "outreach:referral-open-case",
        "POST",
        "malmo_assessed_referral",
        RECEIVING,
        data=partial(_open_case, subject="malmo_assessed_referral"),
    ),
)
