"""Permission-matrix rows for the API of call-ins, invitations and custom notifications. The same
expectations as the pages.

- Call-ins: the police (Petra, Anders) read both in full; the program's other agencies (Sara, Erik, Karin)
  their schedule only (`ok` here; tests/interventions/test_api.py asserts the fields); Nils's role reads
  schedules, so his list answers and shows none of Malmö's. Only the coordinator (Petra) changes anything.
  Speakers, invitations, attendance and counts are the police's: 404 for the schedule holders.
- Invitations: the police's in full; Karin her client Adam's (`view_client`, partial) and she alone
  confirms; Petra alone prints letters.
- Custom notifications: the police's in full (Anders may request one, not assess it); Sara the plan of the
  two she delivers, Karin the plan of the one she delivered, Erik none (`view_plan`, partial). Sara records
  the outcome and the follow-up of the one she delivers; Karin may record outcomes but does not deliver it.
- Lena (counts only, in the reports), Olof, Ada, Nils and Maja: 404 everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from interventions import services
from interventions.models import CallInInvitation, CustomNotification
from tests.matrix import OK, Expected, Row, filtered, only, register

JSON = "application/json"

SUBJECTS: tuple[str, ...] = (
    "malmo_callin",
    "malmo_callin_past",
    "malmo_invitation",
    "malmo_notification",
    "malmo_notification_done",
    "malmo_notification_new",
)

CALL_INS = ("malmo_callin", "malmo_callin_past")
NOTIFICATIONS = ("malmo_notification", "malmo_notification_done", "malmo_notification_new")
POLICE = ("petra", "anders")
SCHEDULE = ("sara", "erik", "karin")


def _ok(*names: str) -> dict[str, Expected]:
    return only(dict.fromkeys(names, OK))


def _fresh(record: Any) -> Any:
    return type(record)._default_manager.get(pk=record.pk)


def _if_match_of(pick: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], dict[str, str]]:
    def headers(world: dict[str, Any]) -> dict[str, str]:
        record = _fresh(pick(world))
        return {"If-Match": f'"{record.pk}-{record.version}"'}

    return headers


def _edit(subject: str) -> dict[str, Any]:
    return {"headers": _if_match_of(lambda w: w[subject]), "content_type": JSON}


def _constant(data: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda _world: dict(data)


def _helped(world: dict[str, Any]) -> CallInInvitation:
    """The past call-in's invitee who asked for help (not referred yet)."""
    found = CallInInvitation.objects.filter(call_in=world["malmo_callin_past"], asked_for_help=True).first()
    assert found is not None
    return found


def _new_invitee(world: dict[str, Any]) -> dict[str, Any]:
    """An active member of the upcoming call-in's groups who is not invited yet."""
    call_in = world["malmo_callin"]
    invited = set(CallInInvitation.objects.filter(call_in=call_in).values_list("person_id", flat=True))
    person = next(p for p in services.invitation_candidates(world["petra"], call_in) if p.pk not in invited)
    return {"persons": [person.pk]}


def _attendance(world: dict[str, Any]) -> dict[str, Any]:
    invitation = CallInInvitation.objects.filter(call_in=world["malmo_callin_past"]).order_by("id").first()
    assert invitation is not None
    return {str(invitation.pk): "left_early"}


def _assessed_then_plan(world: dict[str, Any]) -> dict[str, Any]:
    """Assess the requested notification (as Petra) so that it can be planned; the body of the plan."""
    notification = _fresh(world["malmo_notification_new"])
    if notification.status == CustomNotification.Status.REQUESTED:
        services.notification_assess(
            actor=world["petra"],
            notification=notification,
            version=notification.version,
            risk_outcome="proceed",
            risk_reasoning="Matrix.",
        )
    return {
        "deliverers": [world["petra"].pk, world["sara"].pk],
        "place": "phone",
        "message_points": "Matrix.",
        "planned_for": (timezone.now() + timedelta(days=2)).isoformat(),
    }


def _outcome_then_follow_up(world: dict[str, Any]) -> dict[str, Any]:
    """Record the planned notification's outcome (as Petra) so that it can be followed up; the follow-up."""
    notification = _fresh(world["malmo_notification"])
    if notification.status == CustomNotification.Status.PLANNED:
        services.notification_record_outcome(
            actor=world["petra"], notification=notification, version=notification.version, outcome="not_found"
        )
    return {"help_offered": False}


# --------------------------------------------------------------------------------------------------
# Call-ins

register(
    Row(
        "api:callin-list",
        "GET",
        None,
        only(
            {
                **{name: filtered(*CALL_INS) for name in (*POLICE, *SCHEDULE)},
                "nils": filtered(),
            }
        ),
        list_subjects=CALL_INS,
    ),
    Row(
        "api:callin-list",
        "POST",
        None,
        _ok("petra"),
        data=lambda w: {
            "starts_at": (timezone.now() + timedelta(days=30)).isoformat(),
            "place": "Matrixgatan 1",
            "groups": [w["malmo_group"].pk],
        },
        content_type=JSON,
    ),
)
for subject in CALL_INS:
    register(Row("api:callin-detail", "GET", subject, _ok(*POLICE, *SCHEDULE)))

register(
    Row(
        "api:callin-detail",
        "PATCH",
        "malmo_callin",
        _ok("petra"),
        data=_constant({"place": "Matrixtorget"}),
        **_edit("malmo_callin"),
    ),
    Row(
        "api:callin-status",
        "POST",
        "malmo_callin",
        _ok("petra"),
        data=_constant({"status": "cancelled"}),
        **_edit("malmo_callin"),
    ),
    Row("api:callin-speakers", "GET", "malmo_callin", _ok(*POLICE)),
    Row(
        "api:callin-speakers",
        "POST",
        "malmo_callin",
        _ok("petra"),
        data=_constant({"segment": "community", "name": "Åsa Öberg", "organisation": "Föreningen Matrix"}),
        content_type=JSON,
    ),
    Row("api:callin-invite", "POST", "malmo_callin", _ok("petra"), data=_new_invitee, content_type=JSON),
    Row(
        "api:callin-attendance",
        "POST",
        "malmo_callin_past",
        _ok("petra"),
        data=_attendance,
        **_edit("malmo_callin_past"),
    ),
    Row("api:callin-counts", "GET", "malmo_callin_past", _ok(*POLICE)),
    Row(
        "api:speaker-detail",
        "DELETE",
        "malmo_callin",
        _ok("petra"),
        url_kwargs=lambda w: {"pk": w["malmo_callin"].speakers.order_by("id").first().pk},
        content_type=JSON,
    ),
)


# --------------------------------------------------------------------------------------------------
# Invitations

register(
    Row(
        "api:callininvitation-list",
        "GET",
        None,
        only(
            {
                "petra": filtered("malmo_invitation"),
                "anders": filtered("malmo_invitation"),
                "karin": filtered("malmo_invitation"),
            }
        ),
        list_subjects=("malmo_invitation",),
    ),
    Row("api:callininvitation-detail", "GET", "malmo_invitation", _ok(*POLICE, "karin")),
    Row(
        "api:callininvitation-detail",
        "PATCH",
        "malmo_invitation",
        _ok("petra"),
        data=_constant({"status": "confirmed"}),
        **_edit("malmo_invitation"),
    ),
    Row("api:callininvitation-confirm", "POST", "malmo_invitation", _ok("karin"), **_edit("malmo_invitation")),
    Row(
        "api:callininvitation-help",
        "POST",
        "malmo_invitation",
        _ok("petra"),
        data=_constant({"asked_for_help": True, "help_note": "Vill ha hjälp med boende."}),
        **_edit("malmo_invitation"),
    ),
    Row(
        "api:callininvitation-refer",
        "POST",
        "malmo_callin_past",
        _ok("petra"),
        url_kwargs=lambda w: {"pk": _helped(w).pk},
        data=lambda w: {
            "receiving_agency": w["sara"].agency_id,
            "receiving_team": w["sara"].team_id,
            "reason": "Bad om hjälp efter samtalet.",
            "legal_basis": "osl_10_2",
        },
        headers=_if_match_of(_helped),
        content_type=JSON,
    ),
    Row("api:callininvitation-letter", "GET", "malmo_invitation", _ok("petra")),
)


# --------------------------------------------------------------------------------------------------
# Custom notifications

PLANS = {
    "sara": filtered("malmo_notification", "malmo_notification_done"),
    "karin": filtered("malmo_notification_done"),
}
register(
    Row(
        "api:customnotification-list",
        "GET",
        None,
        only(
            {
                **{name: filtered(*NOTIFICATIONS) for name in POLICE},
                **PLANS,
                "erik": filtered(),
                "nils": filtered(),
            }
        ),
        list_subjects=NOTIFICATIONS,
    ),
    Row(
        "api:customnotification-list",
        "POST",
        None,
        _ok(*POLICE),
        data=lambda w: {"person": w["malmo_police_person"].pk, "reason": "Hot i matrisen."},
        content_type=JSON,
    ),
    Row("api:customnotification-detail", "GET", "malmo_notification", _ok(*POLICE, "sara")),
    Row("api:customnotification-detail", "GET", "malmo_notification_done", _ok(*POLICE, "sara", "karin")),
    Row("api:customnotification-detail", "GET", "malmo_notification_new", _ok(*POLICE)),
    Row(
        "api:customnotification-assess",
        "POST",
        "malmo_notification_new",
        _ok("petra"),
        data=_constant({"risk_outcome": "with_care", "risk_reasoning": "Matrix."}),
        **_edit("malmo_notification_new"),
    ),
    Row(
        "api:customnotification-plan",
        "POST",
        "malmo_notification_new",
        _ok("petra"),
        data=_assessed_then_plan,
        **_edit("malmo_notification_new"),
    ),
    Row(
        "api:customnotification-outcome",
        "POST",
        "malmo_notification",
        _ok("petra", "sara"),
        data=_constant({"outcome": "delivered", "outcome_note": "Matrix."}),
        **_edit("malmo_notification"),
    ),
    Row(
        "api:customnotification-follow-up",
        "POST",
        "malmo_notification",
        _ok("petra", "sara"),
        data=_outcome_then_follow_up,
        **_edit("malmo_notification"),
    ),
    Row(
        "api:customnotification-cancel",
        "POST",
        "malmo_notification_new",
        _ok("petra"),
        **_edit("malmo_notification_new"),
    ),
)
