"""Custom notifications (individuella samtal): request → legal-risk assessment → plan → outcome → follow-up.

Each transition is a service with its allowed roles (the policy's role actions "assess", "plan", "cancel",
"record_outcome", "follow_up") and the statuses it may start from. An illegal transition, or the same submit
twice (the status has moved on, or the version is stale), is refused with a clear message and changes
nothing. The police own the record; those who deliver it are granted `view_plan` (the plan and the outcome,
never the risk assessment), which is also what lets them record the outcome and the follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Person
from gvi import access
from gvi.accounts.models import AgencyKind, Role, Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import update_versioned
from gvi.dates import in_range, out_of_range_message
from interventions.models import CustomNotification

PURPOSE = "custom notification"
Status = CustomNotification.Status
# transition -> the statuses it starts from
FROM: dict[str, tuple[str, ...]] = {
    "assess": (Status.REQUESTED,),
    "plan": (Status.ASSESSED,),
    "record_outcome": (Status.PLANNED,),
    "follow_up": (Status.OUTCOME,),
    "cancel": (Status.REQUESTED, Status.ASSESSED, Status.PLANNED),
}
# Those who deliver with the police: a social worker, optionally a probation officer.
DELIVERER_ROLES = (
    Role.POLICE_COORDINATOR,
    Role.POLICE_ANALYST,
    Role.SOCIAL_WORKER,
    Role.EXIT_COORDINATOR,
    Role.PROBATION_OFFICER,
)


def may(user: Staff, transition: str, notification: CustomNotification) -> bool:
    """May the user make this transition now? The role allows it, the user holds the record (or, for one who
    delivers it, its plan), and the status allows it."""
    if not access.role_allows(user, transition, CustomNotification):
        return False
    if notification.status not in FROM[transition]:
        return False
    return access.can(user, "change", notification) or (
        transition in ("record_outcome", "follow_up") and access.can(user, "view_plan", notification)
    )


def _transition(
    notification: CustomNotification, *, actor: Staff, transition: str, version: int, to: str, **changes: Any
) -> CustomNotification:
    if not access.role_allows(actor, transition, CustomNotification) or not (
        access.can(actor, "change", notification)
        or (transition in ("record_outcome", "follow_up") and access.can(actor, "view_plan", notification))
    ):
        raise Http404
    if notification.status not in FROM[transition]:
        raise ValidationError(
            _("The notification is %(status)s: this step is not possible now (was it already saved?).")
            % {"status": notification.get_status_display()}
        )
    fresh = update_versioned(notification, expected_version=version, changes={**changes, "status": to})
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"transition": transition, "status": [notification.status, to]},
    )
    return fresh


@transaction.atomic
def notification_request(*, actor: Staff, person: Person, reason: str) -> CustomNotification:
    """Request a custom notification for a person at acute risk (the police's own record)."""
    access.require(actor, "add", CustomNotification)
    access.require(actor, "view", person)
    if person.owner_agency_id != actor.agency_id:
        raise ValidationError({"person": [_("Choose your own agency's record of the person.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the person needs a custom notification.")]})
    notification = CustomNotification(
        program_id=person.program_id,
        owner_agency_id=person.owner_agency_id,
        person=person,
        person_name=person.full_name,
        reason=reason.strip(),
        requested_at=timezone.now(),
        created_by=actor,
    )
    notification.full_clean()
    notification.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=notification, purpose=PURPOSE, detail={"person": person.pk}
    )
    access.grant_to_owner(notification, actor=actor, basis="owner")
    return notification


@transaction.atomic
def notification_assess(
    *, actor: Staff, notification: CustomNotification, version: int, risk_outcome: str, risk_reasoning: str
) -> CustomNotification:
    """The legal-risk assessment (police only): deliver, deliver with precautions, or do not deliver (which
    ends it)."""
    errors: dict[str, list[str]] = {}
    if risk_outcome not in CustomNotification.Risk.values:
        errors["risk_outcome"] = [_("Choose the outcome of the assessment.")]
    if not risk_reasoning.strip():
        errors["risk_reasoning"] = [_("Give the reasoning.")]
    if errors:
        raise ValidationError(errors)
    to = Status.CANCELLED if risk_outcome == CustomNotification.Risk.DO_NOT else Status.ASSESSED
    return _transition(
        notification,
        actor=actor,
        transition="assess",
        version=version,
        to=to,
        risk_outcome=risk_outcome,
        risk_reasoning=risk_reasoning.strip(),
        assessed_at=timezone.now(),
        assessed_by_id=actor.pk,
    )


@transaction.atomic
def notification_plan(
    *,
    actor: Staff,
    notification: CustomNotification,
    version: int,
    deliverers: Iterable[Staff],
    place: str,
    message_points: str,
    planned_for: datetime | None = None,
) -> CustomNotification:
    """Plan the delivery: who delivers (police and a social worker, optionally a probation officer), where,
    when and the message points. Those who deliver are granted the plan (`view_plan`)."""
    deliverers = list(dict.fromkeys(deliverers))
    errors: dict[str, list[str]] = {}
    kinds = {d.agency.kind for d in deliverers if d.agency is not None}
    if any(d.program_id != notification.program_id or d.role not in DELIVERER_ROLES for d in deliverers):
        errors["deliverers"] = [_("Choose police, social workers or probation officers of this program.")]
    elif AgencyKind.POLICE not in kinds or AgencyKind.MUNICIPALITY not in kinds:
        errors["deliverers"] = [_("A custom notification is delivered by the police together with a social worker.")]
    if place not in CustomNotification.Place.values:
        errors["place"] = [_("Choose where it is delivered.")]
    if not message_points.strip():
        errors["message_points"] = [_("Write the message points.")]
    if planned_for is not None and not in_range(planned_for):
        errors["planned_for"] = [out_of_range_message()]
    if errors:
        raise ValidationError(errors)
    fresh = _transition(
        notification,
        actor=actor,
        transition="plan",
        version=version,
        to=Status.PLANNED,
        place=place,
        message_points=message_points.strip(),
        planned_for=planned_for,
    )
    fresh.deliverers.set(deliverers)
    for deliverer in deliverers:
        if deliverer.agency_id != notification.owner_agency_id:
            access.grant(fresh, to=deliverer, actions=("view_plan",), basis="delivers the notification", actor=actor)
    return fresh


@transaction.atomic
def notification_record_outcome(
    *,
    actor: Staff,
    notification: CustomNotification,
    version: int,
    outcome: str,
    outcome_at: datetime | None = None,
    outcome_note: str = "",
) -> CustomNotification:
    """Delivered, not found or refused; delivered or refused means the person was reached: the first contact,
    from which the time since the request is counted."""
    outcome_at = outcome_at or timezone.now()
    errors: dict[str, list[str]] = {}
    if outcome not in CustomNotification.Outcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    if not in_range(outcome_at) or outcome_at > timezone.now() or outcome_at < notification.requested_at:
        errors["outcome_at"] = [_("The time lies between the request and now.")]
    if errors:
        raise ValidationError(errors)
    reached = outcome in (CustomNotification.Outcome.DELIVERED, CustomNotification.Outcome.REFUSED)
    return _transition(
        notification,
        actor=actor,
        transition="record_outcome",
        version=version,
        to=Status.OUTCOME,
        outcome=outcome,
        outcome_at=outcome_at,
        outcome_note=outcome_note.strip(),
        first_contact_at=outcome_at if reached else None,
    )


@transaction.atomic
def notification_follow_up(
    *,
    actor: Staff,
    notification: CustomNotification,
    version: int,
    help_offered: bool,
    help_accepted: bool = False,
    follow_up_note: str = "",
) -> CustomNotification:
    """The follow-up offer of help (a referral to the exit program goes through outreach's referral pages)."""
    if help_accepted and not help_offered:
        raise ValidationError({"help_accepted": [_("Help can be accepted only when it was offered.")]})
    return _transition(
        notification,
        actor=actor,
        transition="follow_up",
        version=version,
        to=Status.CLOSED,
        help_offered=help_offered,
        help_accepted=help_accepted,
        follow_up_note=follow_up_note.strip(),
    )


@transaction.atomic
def notification_cancel(*, actor: Staff, notification: CustomNotification, version: int) -> CustomNotification:
    return _transition(notification, actor=actor, transition="cancel", version=version, to=Status.CANCELLED)
