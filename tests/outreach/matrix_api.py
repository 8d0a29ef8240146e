"""Permission-matrix rows for the exit program's API: referrals, exit cases, the caseload, contacts, threat
assessments, relatives, support measures and the notification inbox. The same expectations as the pages.

- Referrals: the receiving exit team (Sara, Erik) reads them in full; the referrer's side reads only the
  status of its own (`ok` here; tests/outreach/test_api.py asserts the fields): Petra and Anders their three,
  Karin only hers. Nils and Maja see nothing of Malmö's.
- Exit cases and their rows: Sara her own and her team's, Erik the municipality's, Nils Örebro's; the
  police (and everyone else) 404, on contacts, measures and relatives too.
- Creating a referral or a row of a case answers 400 (not 404) to a user whose role may create such
  records but who cannot see the person or the case (the reference reads the same hidden or missing): a
  result the matrix does not express, so creates are proven per persona in tests/outreach/test_api.py.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from gvi.notifications import services as notification_services
from tests.matrix import OK, Expected, Row, filtered, only, register

JSON = "application/json"

SUBJECTS: tuple[str, ...] = (
    "malmo_referral",
    "malmo_probation_referral",
    "malmo_assessed_referral",
    "malmo_declined_referral",
    "malmo_self_referral",
    "malmo_exit_case",
    "malmo_erik_case",
    "malmo_field_case",
    "orebro_exit_case",
    "malmo_contact",
    "malmo_threat",
    "malmo_relative",
    "malmo_measure",
)

REFERRALS = SUBJECTS[:5]
CASES = ("malmo_exit_case", "malmo_erik_case", "malmo_field_case", "orebro_exit_case")
POLICE_REFERRALS = ("malmo_referral", "malmo_assessed_referral", "malmo_declined_referral")


def _ok(*names: str) -> dict[str, Expected]:
    return only(dict.fromkeys(names, OK))


def _if_match(world: dict[str, Any], subject: str) -> dict[str, str]:
    record = world[subject]
    return {"If-Match": f'"{record.pk}-{record.version}"'}


def _constant(data: dict[str, Any]) -> Any:
    return lambda _world: dict(data)


def _edit(subject: str) -> dict[str, Any]:
    return {"headers": partial(_if_match, subject=subject), "content_type": JSON}


# --------------------------------------------------------------------------------------------------
# Referrals

register(
    Row(
        "api:referral-list",
        "GET",
        None,
        only({"sara": filtered(*REFERRALS), "erik": filtered(*REFERRALS), "nils": filtered()}),
        list_subjects=REFERRALS,
    ),
    # The status of one's own referrals: Karin only hers, Sara the self-referral she recorded.
    Row(
        "api:referral-sent",
        "GET",
        None,
        only(
            {
                "petra": filtered(*POLICE_REFERRALS),
                "anders": filtered(*POLICE_REFERRALS),
                "karin": filtered("malmo_probation_referral"),
                "sara": filtered("malmo_self_referral"),
                "erik": filtered("malmo_self_referral"),
                "nils": filtered(),
            }
        ),
        list_subjects=REFERRALS,
    ),
)
for subject in REFERRALS:
    # Sara and Erik in full; the referrer's side partial (the status fields only).
    referrers = (
        ("petra", "anders")
        if subject in POLICE_REFERRALS
        else ("karin",)
        if subject == "malmo_probation_referral"
        else ()
    )
    register(Row("api:referral-detail", "GET", subject, _ok("sara", "erik", *referrers)))

register(
    Row(
        "api:referral-assess",
        "POST",
        "malmo_probation_referral",
        _ok("sara", "erik"),
        data=_constant({"assessment": "API"}),
        **_edit("malmo_probation_referral"),
    ),
    Row(
        "api:referral-decide",
        "POST",
        "malmo_assessed_referral",
        _ok("sara", "erik"),
        data=_constant({"accept": False, "decline_reason": "API"}),
        **_edit("malmo_assessed_referral"),
    ),
    Row(
        "api:referral-open-case",
        "POST",
        "malmo_self_referral",
        _ok("sara", "erik"),
        data=lambda w: {"responsible": w["sara"].pk},
        **_edit("malmo_self_referral"),
    ),
)


# --------------------------------------------------------------------------------------------------
# Exit cases and the caseload

register(
    Row(
        "api:exitcase-list",
        "GET",
        None,
        only(
            {
                "sara": filtered("malmo_exit_case", "malmo_erik_case"),
                "erik": filtered("malmo_exit_case", "malmo_erik_case", "malmo_field_case"),
                "nils": filtered("orebro_exit_case"),
            }
        ),
        list_subjects=CASES,
    ),
    # One's own open cases; the coordinator also gets the team's load.
    Row(
        "api:caseload",
        "GET",
        None,
        only(
            {
                "sara": filtered("malmo_exit_case"),
                "erik": filtered("malmo_erik_case"),
                "nils": filtered("orebro_exit_case"),
            }
        ),
        list_subjects=CASES,
    ),
)
CASE_READERS = {
    "malmo_exit_case": ("sara", "erik"),
    "malmo_erik_case": ("sara", "erik"),
    "malmo_field_case": ("erik",),
    "orebro_exit_case": ("nils",),
}
for subject, readers in CASE_READERS.items():
    register(
        Row("api:exitcase-detail", "GET", subject, _ok(*readers)),
        Row(
            "api:exitcase-detail",
            "PATCH",
            subject,
            _ok(*readers),
            data=_constant({"phase": "stabilise"}),
            **_edit(subject),
        ),
        Row(
            "api:exitcase-close",
            "POST",
            subject,
            _ok(*readers),
            data=_constant({"outcome": "completed", "closing_note": "API"}),
            **_edit(subject),
        ),
    )
register(
    # Only the exit coordinator reassigns (Sara, who may change the case, gets 404).
    Row(
        "api:exitcase-reassign",
        "POST",
        "malmo_exit_case",
        _ok("erik"),
        data=lambda w: {"responsible": w["erik"].pk},
        **_edit("malmo_exit_case"),
    ),
    Row(
        "api:exitcase-reassign",
        "POST",
        "malmo_field_case",
        _ok("erik"),
        data=lambda w: {"responsible": w["sara"].pk},
        **_edit("malmo_field_case"),
    ),
)


# --------------------------------------------------------------------------------------------------
# The rows of Adam's case (Sara's): the police and everyone outside the exit team get 404

ENTRIES = {
    # subject: (route prefix, a PATCH body, a PUT body or None when rows are never changed)
    "malmo_contact": ("api:contact", {"note": "API"}, {"note": "API", "channel": "phone"}),
    "malmo_threat": ("api:threatassessment", None, None),
    "malmo_relative": ("api:relative", {"note": "API"}, {"name": "Mina Karlsson", "relation": "parent", "note": "API"}),
    "malmo_measure": (
        "api:supportmeasure",
        {"status": "ongoing"},
        {"kind": "relocation", "from_municipality": "Malmö", "to_municipality": "Växjö", "status": "ongoing"},
    ),
}
for subject, (route, patch, put) in ENTRIES.items():
    register(
        Row(
            f"{route}-list",
            "GET",
            None,
            only({"sara": filtered(subject), "erik": filtered(subject), "nils": filtered()}),
            list_subjects=(subject,),
        ),
        Row(f"{route}-detail", "GET", subject, _ok("sara", "erik")),
    )
    if patch is not None and put is not None:
        register(
            Row(f"{route}-detail", "PATCH", subject, _ok("sara", "erik"), data=_constant(patch), **_edit(subject)),
            Row(f"{route}-detail", "PUT", subject, _ok("sara", "erik"), data=_constant(put), **_edit(subject)),
        )


# --------------------------------------------------------------------------------------------------
# Notifications: everyone has an inbox of their own, and nobody else's


def _sara_notification(world: dict[str, Any]) -> Any:
    notification = notification_services.notify(
        recipient=world["sara"], key="matrix:api", title="A follow-up is due", url="/outreach/", email=False
    )
    world["sara_notification"] = notification
    return notification


def _name_sara_notification(world: dict[str, Any]) -> dict[str, Any]:
    _sara_notification(world)
    return {}


def _sara_notification_pk(world: dict[str, Any]) -> dict[str, int]:
    return {"pk": _sara_notification(world).pk}


register(
    Row(
        "api:notification-list",
        "GET",
        None,
        {**only({}, filtered()), "sara": filtered("sara_notification")},
        list_subjects=("sara_notification",),
        data=_name_sara_notification,
    ),
    Row("api:notification-read", "POST", None, _ok("sara"), url_kwargs=_sara_notification_pk, content_type=JSON),
    Row("api:notification-read-all", "POST", None, only({}, OK), content_type=JSON),
)

__all__ = ["SUBJECTS"]
