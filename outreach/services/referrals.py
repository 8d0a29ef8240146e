"""Referrals to the exit program, with the consent gate.

A referral goes to a municipality's social services (optionally one team, usually the exit team). From
another agency it discloses the person's identity, so it must rest on a recorded consent that covers the
receiving agency, or on another legal basis: the service writes an identity share (cases.services.
share_create) in the same transaction, and without a basis the save is refused with a clear message.

The loop is closed: received → assessed → accepted / declined (with a reason) → exit case opened; the
referrer and their team follow the status (`view_status`), never the reason, the assessment or the case.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Consent, LegalBasis, Person, Share, ShareSubject
from cases.services import person_create, share_create, share_link
from cases.services.concern import receiving_social_services
from gvi import access
from gvi.accounts.models import Agency, AgencyKind, Staff, Team
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import update_versioned
from outreach.models import ExitCase, Referral, Urgency
from outreach.services.cases import exit_case_open

PURPOSE = "exit program"
SHARE_PURPOSE = "Referral to the exit program (avhopparverksamhet)"
SHARE_NOTE = (
    "The identity of a person referred to the exit program. The reason for the referral is in the referral; "
    "nothing else of the referring agency's record is shared."
)
# How long the referral's identity share lasts: the longest a share may run (a year).
SHARE_VALIDITY = timedelta(days=365)

# The source of a referral from another agency follows from the kind of agency.
_SOURCE_OF_AGENCY = {
    AgencyKind.POLICE: Referral.Source.POLICE,
    AgencyKind.PRISON_SERVICE: Referral.Source.PROBATION,
    AgencyKind.MUNICIPALITY: Referral.Source.SOCIAL_SERVICES,
}
# What a municipality records itself: a referral from its own social services, a school, the person.
OWN_SOURCES = (
    Referral.Source.SOCIAL_SERVICES,
    Referral.Source.SCHOOL,
    Referral.Source.SELF,
    Referral.Source.OTHER,
)


def gate_message() -> str:
    return _(
        "A referral to another agency shares the person's identity. Record the person's consent to share the "
        "identity with that agency first, or choose another legal basis (OSL 10 kap.)."
    )


def referral_receivers(program_id: int) -> list[Agency]:
    """The municipalities of a program: where referrals go (program structure, not case data)."""
    return receiving_social_services(program_id)


def _validate(
    *,
    actor: Staff,
    source_person: Person,
    receiving_agency: Agency,
    receiving_team: Team | None,
    reason: str,
    urgency: str,
    source: str,
    received_on: date,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if source_person.owner_agency_id != actor.agency_id:
        errors["source_person"] = [_("Refer from your own agency's record of the person.")]
    if receiving_agency.pk not in {a.pk for a in referral_receivers(source_person.program_id)}:
        errors["receiving_agency"] = [_("Choose the social services of a municipality in this program.")]
    elif receiving_team is not None and receiving_team.agency_id != receiving_agency.pk:
        errors["receiving_team"] = [_("The team must belong to the receiving municipality.")]
    if not reason.strip():
        errors["reason"] = [_("Say why you refer the person: what they want and what you know of the risk.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose the urgency.")]
    if source not in Referral.Source.values:
        errors["source"] = [_("Choose who referred the person.")]
    if received_on > timezone.localdate():
        errors["received_on"] = [_("The referral cannot be received in the future.")]
    return errors


@transaction.atomic
def referral_create(
    *,
    actor: Staff,
    source_person: Person,
    receiving_agency: Agency,
    reason: str,
    receiving_team: Team | None = None,
    urgency: str = Urgency.NORMAL,
    source: str = "",
    referrer_name: str = "",
    received_on: date | None = None,
    legal_basis: str = "",
    consent: Consent | None = None,
) -> Referral:
    """Refer a person (the actor's own agency's record) to the exit program of a municipality.

    From another agency: the source follows from the actor's agency and the identity is shared on
    `legal_basis` (with `consent` when the basis is consent) — the consent gate. Within the receiving
    municipality (its own social services, a school, a self-referral): no identity leaves the agency.
    """
    access.require(actor, "add", Referral)
    access.require(actor, "view", source_person)
    cross = actor.agency_id != receiving_agency.pk
    if cross:
        kind = AgencyKind(actor.agency.kind) if actor.agency is not None else None
        source = _SOURCE_OF_AGENCY.get(kind, Referral.Source.OTHER) if kind else Referral.Source.OTHER
    else:
        source = source or Referral.Source.SOCIAL_SERVICES
    received_on = received_on or timezone.localdate()
    errors = _validate(
        actor=actor,
        source_person=source_person,
        receiving_agency=receiving_agency,
        receiving_team=receiving_team,
        reason=reason,
        urgency=urgency,
        source=source,
        received_on=received_on,
    )
    if not cross and source not in OWN_SOURCES:
        errors["source"] = [_("Choose who referred the person.")]
    if cross and not errors:
        # The consent gate: nothing is saved without a basis for sharing the identity.
        if legal_basis not in LegalBasis.values:
            errors["legal_basis"] = [gate_message()]
        elif legal_basis == LegalBasis.CONSENT and consent is None:
            errors["consent"] = [gate_message()]
    if not errors and _open_referral_exists(source_person, receiving_agency):
        errors["__all__"] = [_("This person already has an open referral to this municipality.")]
    if errors:
        raise ValidationError(errors)
    share = None
    if cross:
        share = share_create(
            actor=actor,
            person=source_person,
            subject=ShareSubject.IDENTITY,
            receiving_agency=receiving_agency,
            receiving_team=receiving_team,
            legal_basis=legal_basis,
            consent=consent,
            purpose=SHARE_PURPOSE,
            note_to_recipient=SHARE_NOTE,
            valid_until=timezone.localdate() + SHARE_VALIDITY,
        )
    referral = Referral(
        program_id=source_person.program_id,
        owner_agency_id=receiving_agency.pk,
        source=source,
        source_person=source_person,
        # The receiving agency's own record: the same one within the agency; across agencies the record the
        # share was linked to (only the receiving side ever sees it), else none until the case is opened.
        person=share.recipient_person if share is not None else source_person,
        referring_agency_id=actor.agency_id,
        referred_by=actor,
        referrer_name=referrer_name.strip(),
        receiving_team=receiving_team,
        given_name=source_person.given_name,
        family_name=source_person.family_name,
        identity_number=source_person.identity_number or "",
        birth_year=source_person.birth_year,
        reason=reason.strip(),
        urgency=urgency,
        received_on=received_on,
        share=share,
        created_by=actor,
    )
    referral.full_clean()
    referral.save()
    audit_record(
        actor=actor,
        action=AuditAction.SHARE if cross else AuditAction.CREATE,
        obj=referral,
        purpose=PURPOSE,
        legal_basis=legal_basis if cross else "",
        detail={
            "person": source_person.pk,
            "to_agency": receiving_agency.pk,
            "to_team": receiving_team.pk if receiving_team else None,
            "share": share.pk if share else None,
            "urgency": urgency,
        },
    )
    basis = legal_basis or "referral within the agency"
    # The referrer and their team follow the status; the receiving team and agency handle the referral.
    access.grant(referral, to=actor, actions=("view_status",), basis=basis, actor=actor)
    if actor.team is not None:
        access.grant(referral, to=actor.team, actions=("view_status",), basis=basis, actor=actor)
    receivers: list[Team | Agency] = (
        [receiving_agency] if receiving_team is None else [receiving_team, receiving_agency]
    )
    for to in receivers:
        access.grant(referral, to=to, actions=("view", "change"), basis=basis, actor=actor)
    return referral


def _open_referral_exists(source_person: Person, receiving_agency: Agency) -> bool:
    # A system-side check on the referrer's own record; the answer names nothing of the receiving side.
    return Referral.objects.filter(
        source_person=source_person,
        owner_agency=receiving_agency,
        status__in=(Referral.Status.RECEIVED, Referral.Status.ASSESSED, Referral.Status.ACCEPTED),
    ).exists()


def _move(
    referral: Referral, *, actor: Staff, version: int, allowed_from: tuple[str, ...], to: str, **changes: object
) -> Referral:
    access.require(actor, "change", referral)
    if referral.status not in allowed_from:
        raise ValidationError(
            _("The referral is %(status)s: it cannot be moved to %(target)s.")
            % {"status": referral.get_status_display(), "target": Referral.Status(to).label}
        )
    fresh = update_versioned(
        referral, expected_version=version, changes={**changes, "status": to, "status_changed_at": timezone.now()}
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"status": [referral.status, to], "fields": sorted(changes)},
    )
    return fresh


@transaction.atomic
def referral_assess(*, actor: Staff, referral: Referral, version: int, assessment: str) -> Referral:
    """Record the receiving team's assessment (never shown to the referrer)."""
    if not assessment.strip():
        raise ValidationError({"assessment": [_("Write the assessment.")]})
    return _move(
        referral,
        actor=actor,
        version=version,
        allowed_from=(Referral.Status.RECEIVED, Referral.Status.ASSESSED),
        to=Referral.Status.ASSESSED,
        assessment=assessment.strip(),
    )


@transaction.atomic
def referral_decide(
    *, actor: Staff, referral: Referral, version: int, accept: bool, decline_reason: str = ""
) -> Referral:
    """Accept the referral, or decline it with a reason (the referrer sees only that it was declined)."""
    if not accept and not decline_reason.strip():
        raise ValidationError({"decline_reason": [_("Say why the referral is declined.")]})
    return _move(
        referral,
        actor=actor,
        version=version,
        allowed_from=(Referral.Status.RECEIVED, Referral.Status.ASSESSED),
        to=Referral.Status.ACCEPTED if accept else Referral.Status.DECLINED,
        decline_reason="" if accept else decline_reason.strip(),
    )


def _own_record(actor: Staff, referral: Referral, responsible: Staff) -> Person:
    """The receiving agency's own record of the referred person: the referral's, the one with the same
    identity number that the actor may change, or a new one made from the identity the referral gave.

    A referral from another team of the municipality names that team's record: the teams that take the case
    over are granted it (it is the same agency's record, handed over with the referral)."""
    if referral.person_id is not None:
        person = Person.objects.get(pk=referral.person_id)
        if person.owner_agency_id == actor.agency_id:
            for team in {t for t in (actor.team, responsible.team) if t is not None}:
                if not access.granted_to(Person, to=team, action="change").filter(pk=person.pk).exists():
                    access.grant(
                        person, to=team, actions=("view", "change"), basis="referral within the agency", actor=actor
                    )
            return person
    if referral.identity_number:
        same = (
            access.visible(actor, Person, "change")
            .filter(owner_agency_id=actor.agency_id, identity_number=referral.identity_number)
            .first()
        )
        if same is not None:
            return same
    return person_create(
        actor=actor,
        given_name=referral.given_name,
        family_name=referral.family_name,
        identity_number=referral.identity_number or None,
        birth_year=None if referral.identity_number else referral.birth_year,
        purpose=PURPOSE,
    )


@transaction.atomic
def referral_open_case(
    *, actor: Staff, referral: Referral, version: int, responsible: Staff, opened_on: date | None = None
) -> ExitCase:
    """Open the exit case of an accepted referral, on the receiving agency's own record of the person
    (found or made), and link the referral's share to that record."""
    access.require(actor, "change", referral)
    if referral.status != Referral.Status.ACCEPTED:
        raise ValidationError(_("Accept the referral before you open an exit case."))
    person = _own_record(actor, referral, responsible)
    case = exit_case_open(actor=actor, person=person, responsible=responsible, referral=referral, opened_on=opened_on)
    _move(
        referral,
        actor=actor,
        version=version,
        allowed_from=(Referral.Status.ACCEPTED,),
        to=Referral.Status.OPENED,
        person_id=person.pk,
    )
    if referral.share_id is not None:
        share = Share.objects.select_related("receiving_agency", "receiving_team").get(pk=referral.share_id)
        if share.recipient_person_id != person.pk and access.can(actor, "view", share):
            share_link(actor=actor, share=share, person=person)
    return case
