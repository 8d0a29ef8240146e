"""Call-ins: scheduling, the agenda's speakers, invitations, attendance, letters and the follow-up.

A call-in and its invitations are the police's (granted to the creator, the team and the police agency).
The other agencies of the program get the schedule (`view_schedule`). An invitation of a person whose
probation section Kriminalvården shared with the police (and linked to the police's record) names the
client's record there and the probation officer, who is granted `view_client` and `confirm_attendance`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Consent, Person
from cases.selectors import supervision_of
from gvi import access
from gvi.accounts.models import Agency, Staff, Team
from gvi.accounts.selectors import other_agencies
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import update_versioned
from gvi.dates import in_range, out_of_range_message
from gvi.mapping.models import Group, GroupMembership
from interventions.models import CallIn, CallInInvitation, Segment, Speaker
from outreach.services import referral_create

PURPOSE = "call-in"
CALL_IN_FIELDS = ("starts_at", "place", "notes")


def _call_in_errors(values: dict[str, Any], groups: list[Group] | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    starts_at = values.get("starts_at")
    if not isinstance(starts_at, datetime) or not in_range(starts_at):
        errors["starts_at"] = [out_of_range_message()]
    if not str(values.get("place", "")).strip():
        errors["place"] = [_("Say where the call-in is held.")]
    if groups is not None and not groups:
        errors["groups"] = [_("Choose at least one target group.")]
    return errors


def _check_groups(actor: Staff, groups: list[Group]) -> None:
    visible = set(access.visible(actor, Group).filter(pk__in=[g.pk for g in groups]).values_list("pk", flat=True))
    if any(group.pk not in visible for group in groups):
        raise ValidationError({"groups": [_("Choose groups of your own group map.")]})


@transaction.atomic
def call_in_create(
    *, actor: Staff, starts_at: datetime, place: str, groups: Iterable[Group], notes: str = ""
) -> CallIn:
    """Schedule a call-in for target groups. The other agencies of the program see when and where."""
    access.require(actor, "add", CallIn)
    groups = list(groups)
    values = {"starts_at": starts_at, "place": place.strip(), "notes": notes.strip()}
    errors = _call_in_errors(values, groups)
    if errors:
        raise ValidationError(errors)
    _check_groups(actor, groups)
    program_id, agency_id = actor.workplace
    call_in = CallIn(program_id=program_id, owner_agency_id=agency_id, created_by=actor, **values)
    call_in.full_clean()
    call_in.save()
    call_in.groups.set(groups)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=call_in, purpose=PURPOSE, detail={"groups": [g.pk for g in groups]}
    )
    access.grant_to_owner(call_in, actor=actor, basis="owner")
    for agency in other_agencies(program_id=program_id, excluding_agency_id=agency_id):
        access.grant(call_in, to=agency, actions=("view_schedule",), basis="call-in schedule", actor=actor)
    return call_in


@transaction.atomic
def call_in_update(
    *, actor: Staff, call_in: CallIn, version: int, groups: Iterable[Group] | None = None, **changes: Any
) -> CallIn:
    """Change the time, place, notes or target groups of a planned call-in."""
    access.require(actor, "change", call_in)
    unknown = set(changes) - set(CALL_IN_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if call_in.status != CallIn.Status.PLANNED:
        raise ValidationError(_("Only a planned call-in can be changed."))
    merged = {field: changes.get(field, getattr(call_in, field)) for field in CALL_IN_FIELDS}
    merged["place"], merged["notes"] = str(merged["place"]).strip(), str(merged["notes"]).strip()
    group_list = list(groups) if groups is not None else None
    errors = _call_in_errors(merged, group_list)
    if errors:
        raise ValidationError(errors)
    if group_list is not None:
        _check_groups(actor, group_list)
    fresh = update_versioned(call_in, expected_version=version, changes=merged)
    if group_list is not None:
        fresh.groups.set(group_list)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"fields": sorted(f for f in CALL_IN_FIELDS if merged[f] != getattr(call_in, f))},
    )
    return fresh


@transaction.atomic
def call_in_set_status(*, actor: Staff, call_in: CallIn, version: int, status: str) -> CallIn:
    """Mark a planned call-in held or cancelled (once: a second submit is refused)."""
    access.require(actor, "change", call_in)
    if status not in (CallIn.Status.HELD, CallIn.Status.CANCELLED):
        raise ValidationError({"status": [_("Choose held or cancelled.")]})
    if call_in.status != CallIn.Status.PLANNED:
        raise ValidationError(_("The call-in is already %(status)s.") % {"status": call_in.get_status_display()})
    if status == CallIn.Status.HELD and call_in.starts_at > timezone.now():
        raise ValidationError({"status": [_("A call-in is held on or after its date.")]})
    fresh = update_versioned(call_in, expected_version=version, changes={"status": status})
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"status": status})
    return fresh


# --------------------------------------------------------------------------------------------------
# Speakers


def _require_planned(call_in: CallIn) -> None:
    """The agenda of a held or cancelled call-in is a record of what happened: it no longer changes."""
    if call_in.status != CallIn.Status.PLANNED:
        raise ValidationError(_("The agenda of a held or cancelled call-in cannot be changed."))


@transaction.atomic
def speaker_add(
    *,
    actor: Staff,
    call_in: CallIn,
    segment: str,
    staff: Staff | None = None,
    name: str = "",
    organisation: str = "",
    order: int = 1,
) -> Speaker:
    """Add a speaker to a segment: a staff member of the program, or a named community speaker (no account,
    no access to personal data)."""
    access.require(actor, "add", Speaker)
    access.require(actor, "change", call_in)
    _require_planned(call_in)
    errors: dict[str, list[str]] = {}
    if segment not in Segment.values:
        errors["segment"] = [_("Choose the segment.")]
    name = name.strip()
    if (staff is None) == (not name):
        errors["name"] = [_("Choose a staff member or write the community speaker's name (one of them).")]
    if staff is not None and staff.program_id != call_in.program_id:
        errors["staff"] = [_("Choose staff of this program.")]
    if errors:
        raise ValidationError(errors)
    speaker = Speaker(
        call_in=call_in, segment=segment, staff=staff, name=name, organisation=organisation.strip(), order=order
    )
    speaker.full_clean()
    speaker.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=speaker, purpose=PURPOSE, detail={"call_in": call_in.pk})
    return speaker


@transaction.atomic
def speaker_remove(*, actor: Staff, speaker: Speaker) -> None:
    access.require(actor, "change", speaker)
    _require_planned(speaker.call_in)
    audit_record(
        actor=actor, action=AuditAction.DELETE, obj=speaker, purpose=PURPOSE, detail={"call_in": speaker.call_in_id}
    )
    speaker.delete()


# --------------------------------------------------------------------------------------------------
# Invitations


def invitation_candidates(actor: Staff, call_in: CallIn) -> list[Person]:
    """The active members (on the call-in's day) of its target groups, as far as the actor sees the group
    map: whom the coordinator may invite."""
    day = timezone.localtime(call_in.starts_at).date()
    memberships = (
        access.visible(actor, GroupMembership)
        .active_on(day)  # type: ignore[attr-defined]
        .filter(group__in=call_in.groups.all())
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "person_id")
    )
    seen: dict[int, Person] = {}
    for membership in memberships:
        seen.setdefault(membership.person_id, membership.person)
    return list(seen.values())


@transaction.atomic
def invitations_create(*, actor: Staff, call_in: CallIn, persons: Iterable[Person]) -> list[CallInInvitation]:
    """Invite active members of the target groups. An invitee whose probation section Kriminalvården shared
    with the police (linked to this record) brings the probation officer in: she sees and confirms it."""
    access.require(actor, "add", CallInInvitation)
    access.require(actor, "change", call_in)
    if call_in.status != CallIn.Status.PLANNED:
        raise ValidationError(_("Invitations are sent for a planned call-in only."))
    persons = list(persons)
    if not persons:
        raise ValidationError({"persons": [_("Choose whom to invite.")]})
    allowed = {p.pk for p in invitation_candidates(actor, call_in)}
    if any(p.pk not in allowed for p in persons):
        raise ValidationError({"persons": [_("Invite active members of the call-in's target groups.")]})
    already = set(
        CallInInvitation.objects.filter(call_in=call_in, person__in=persons).values_list("person_id", flat=True)
    )
    supervision = supervision_of(actor, [p.pk for p in persons])
    created = []
    for person in persons:
        if person.pk in already:
            continue
        section = supervision.get(person.pk)
        officer = section.probation_officer if section is not None else None
        invitation = CallInInvitation(
            program_id=call_in.program_id,
            owner_agency_id=call_in.owner_agency_id,
            call_in=call_in,
            person=person,
            probation_person_id=section.person_id if section is not None and officer is not None else None,
            probation_officer=officer,
            created_by=actor,
        )
        invitation.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=invitation,
            purpose=PURPOSE,
            detail={"call_in": call_in.pk, "person": person.pk, "probation_officer": officer.pk if officer else None},
        )
        access.grant_to_owner(invitation, actor=actor, basis="owner")
        if officer is not None:
            access.grant(
                invitation,
                to=officer,
                actions=("view_client", "confirm_attendance"),
                basis="probation client invited (shared probation section)",
                actor=actor,
            )
        created.append(invitation)
    return created


@transaction.atomic
def invitation_confirm(*, actor: Staff, invitation: CallInInvitation) -> CallInInvitation:
    """The probation officer confirms that her client will attend (attendance can be a condition)."""
    access.require(actor, "confirm_attendance", invitation)
    call_in_status = CallIn.objects.filter(pk=invitation.call_in_id).values_list("status", flat=True).first()
    if call_in_status != CallIn.Status.PLANNED:
        raise ValidationError(_("Attendance is confirmed for a planned call-in only."))
    # The status is checked in the UPDATE itself: of two confirmations at once, only one writes.
    confirmed = CallInInvitation.objects.filter(pk=invitation.pk, status=CallInInvitation.Status.INVITED).update(
        status=CallInInvitation.Status.CONFIRMED, confirmed_at=timezone.now(), version=F("version") + 1
    )
    invitation.refresh_from_db()
    if not confirmed:
        raise ValidationError(_("The invitation is already %(status)s.") % {"status": invitation.get_status_display()})
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=invitation, purpose=PURPOSE, detail={"confirmed": True})
    return invitation


@transaction.atomic
def invitation_set_status(*, actor: Staff, invitation: CallInInvitation, version: int, status: str) -> CallInInvitation:
    """The police set an invitation's status: confirmed before the call-in; attended, left early or absent
    once it was held."""
    access.require(actor, "change", invitation)
    call_in = CallIn.objects.get(pk=invitation.call_in_id)
    if call_in.status == CallIn.Status.CANCELLED:
        raise ValidationError(_("The call-in is cancelled: its invitations no longer change."))
    if status not in CallInInvitation.Status.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    held = call_in.status == CallIn.Status.HELD
    if held != (status in CallInInvitation.AFTER):
        message = (
            _("After the call-in, record attended, left early or absent.")
            if held
            else _("Attendance is recorded once the call-in is marked held.")
        )
        raise ValidationError({"status": [message]})
    fresh = update_versioned(invitation, expected_version=version, changes={"status": status})
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"status": status})
    return fresh


@transaction.atomic
def attendance_record(*, actor: Staff, call_in: CallIn, statuses: dict[int, str]) -> int:
    """Record attendance for many invitations of a held call-in at once ({invitation id: status}). All or
    nothing: one bad row refuses the whole."""
    access.require(actor, "change", call_in)
    if call_in.status != CallIn.Status.HELD:
        raise ValidationError(_("Attendance is recorded once the call-in is marked held."))
    invitations = {
        inv.pk: inv
        for inv in access.visible(actor, CallInInvitation, "change").filter(call_in=call_in, pk__in=statuses)
    }
    if set(statuses) - set(invitations):
        raise ValidationError(_("Choose invitations of this call-in."))
    if any(status not in CallInInvitation.AFTER for status in statuses.values()):
        raise ValidationError(_("Record attended, left early or absent."))
    changed = 0
    for pk, status in statuses.items():
        invitation = invitations[pk]
        if invitation.status == status:
            continue
        update_versioned(invitation, expected_version=invitation.version, changes={"status": status})
        changed += 1
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=call_in,
        purpose=PURPOSE,
        detail={"attendance": {str(pk): status for pk, status in statuses.items()}},
    )
    return changed


@transaction.atomic
def invitation_help(
    *, actor: Staff, invitation: CallInInvitation, version: int, asked_for_help: bool, help_note: str = ""
) -> CallInInvitation:
    """After the call-in: did the person ask for help, and for what."""
    access.require(actor, "change", invitation)
    fresh = update_versioned(
        invitation,
        expected_version=version,
        changes={"asked_for_help": asked_for_help, "help_note": help_note.strip() if asked_for_help else ""},
    )
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"asked_for_help": asked_for_help}
    )
    return fresh


@transaction.atomic
def invitation_refer(
    *,
    actor: Staff,
    invitation: CallInInvitation,
    receiving_agency: Agency,
    reason: str,
    receiving_team: Team | None = None,
    legal_basis: str = "",
    consent: Consent | None = None,
) -> CallInInvitation:
    """One click from the call-in to the exit program: a referral of the invitee who asked for help, through
    the outreach referral service and its consent gate."""
    access.require(actor, "change", invitation)
    if invitation.referral_id is not None:
        raise ValidationError(_("This invitee has been referred already."))
    if not invitation.asked_for_help:
        raise ValidationError(_("Record that the person asked for help first."))
    referral = referral_create(
        actor=actor,
        source_person=invitation.person,
        receiving_agency=receiving_agency,
        receiving_team=receiving_team,
        reason=reason,
        legal_basis=legal_basis,
        consent=consent,
    )
    CallInInvitation.objects.filter(pk=invitation.pk).update(referral=referral, version=invitation.version + 1)
    invitation.refresh_from_db()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=invitation, purpose=PURPOSE, detail={"referral": referral.pk}
    )
    return invitation


def letters_printed(*, actor: Staff, invitations: list[CallInInvitation]) -> None:
    """Audit the printing of invitation letters (a PRINT event per letter: each names a person) and mark them
    printed. The PDF itself is built by interventions.letters."""
    if not access.role_allows(actor, "print", CallInInvitation):
        raise Http404
    now = timezone.now()
    visible = set(
        access.visible(actor, CallInInvitation).filter(pk__in=[i.pk for i in invitations]).values_list("pk", flat=True)
    )
    if any(invitation.pk not in visible for invitation in invitations):
        raise Http404
    cancelled = CallIn.objects.filter(
        pk__in={i.call_in_id for i in invitations}, status=CallIn.Status.CANCELLED
    ).exists()
    if cancelled:
        raise ValidationError(_("The call-in is cancelled: no letters are printed."))
    with transaction.atomic():
        for invitation in invitations:
            audit_record(
                actor=actor,
                action=AuditAction.PRINT,
                obj=invitation,
                purpose="invitation letter",
                detail={"call_in": invitation.call_in_id, "person": invitation.person_id},
            )
        CallInInvitation.objects.filter(pk__in=[i.pk for i in invitations]).update(letter_printed_at=now)
