"""Permission-matrix rows for the invitation pages (interventions/views/invitations.py).

The police hold invitations in full (Petra changes, refers and prints; Anders reads: his role has no
"change" and no "print"); Karin holds the partial view `view_client` of her own clients' invitations
(Adam's) and confirms their attendance; her list of them is for probation officers only. The call-in's
schedule, which the other agencies see, gives nothing of its invitations. Everyone else: 404.
"""

from __future__ import annotations

from typing import Any

from interventions.models import CallInInvitation
from tests.matrix import OK, Row, filtered, only, register

SUBJECTS: tuple[str, ...] = ("malmo_invitation", "malmo_callin", "malmo_callin_past")

POLICE = {"petra": OK, "anders": OK}


def _helped(world: dict[str, Any]) -> dict[str, Any]:
    """The past call-in's invitee who asked for help (the follow-up's referral)."""
    return {"pk": CallInInvitation.objects.get(call_in=world["malmo_callin_past"], asked_for_help=True).pk}


def _status(world: dict[str, Any]) -> dict[str, Any]:
    return {"status": "confirmed", "version": world["malmo_invitation"].version}


def _help(world: dict[str, Any]) -> dict[str, Any]:
    return {"asked_for_help": "on", "help_note": "Matrix.", "version": world["malmo_invitation"].version}


def _refer(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "receiving_agency": world["sara"].agency_id,
        "receiving_team": world["sara"].team_id,
        "reason": "Matrix referral.",
        "legal_basis": "osl_10_2",
        "consent": "",
    }


register(
    Row("interventions:invitation-detail", "GET", "malmo_invitation", only({**POLICE, "karin": OK})),
    Row("interventions:invitation-detail", "GET", "malmo_callin_past", only(POLICE), url_kwargs=_helped),
    Row("interventions:invitation-status", "POST", "malmo_invitation", only({"petra": OK}), data=_status),
    Row("interventions:invitation-help", "POST", "malmo_invitation", only({"petra": OK}), data=_help),
    Row("interventions:invitation-confirm", "POST", "malmo_invitation", only({"karin": OK})),
    Row("interventions:invitation-refer", "GET", "malmo_callin_past", only({"petra": OK}), url_kwargs=_helped),
    Row(
        "interventions:invitation-refer",
        "POST",
        "malmo_callin_past",
        only({"petra": OK}),
        url_kwargs=_helped,
        data=_refer,
    ),
    Row("interventions:invitation-letter", "GET", "malmo_invitation", only({"petra": OK})),
    Row("interventions:callin-letters", "GET", "malmo_callin", only({"petra": OK})),
    Row("interventions:callin-letters", "GET", "malmo_callin_past", only({"petra": OK})),
    Row(
        "interventions:client-invitations",
        "GET",
        None,
        only({"karin": filtered("malmo_invitation")}),
        list_subjects=("malmo_invitation",),
    ),
)
