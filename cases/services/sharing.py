"""Consents and shares: the only way a section or an identity reaches another agency.

A share grants, until the end of its last valid day: the identity of the person (`view_identity` on the
sender's record), the section it names (`view`, or `view_summary` for a summary share) and the share
record itself (`view`), to the receiving team or, with no team named, the receiving agency. Grants only
ever extend on creation; when a share ends (revoked, its consent revoked, or tidied after expiry) the
grants that the remaining active shares justify are recomputed for that recipient.

Share grants are the only grants to another agency's groups on these objects, so the recomputation owns
them: owner grants go to the owning agency's own staff, team and agency, never to a recipient.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Consent, Guardian, LegalBasis, Person, Section, Share, ShareSubject
from cases.models.sections import SECTION_KINDS
from cases.models.sharing import end_of_day
from gvi import access
from gvi.accounts.models import Agency, Program, Staff, Team
from gvi.accounts.selectors import other_agencies
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.uploads import MB, named, sniff

PURPOSE = "casework"
DOCUMENT_MAX_BYTES = 10 * MB
# A share is reviewed at least yearly: its last valid day is at most this far ahead.
MAX_VALIDITY = timedelta(days=366)
# OSL 10 kap. 18 a § covers only persons under this age.
OSL_10_18A_AGE_LIMIT = 21
TIDY_BATCH = 500


# --------------------------------------------------------------------------------------------------
# Consent


@transaction.atomic
def consent_record(
    *,
    actor: Staff,
    person: Person,
    given_on: date,
    recipients: Iterable[Agency],
    subjects: Iterable[str],
    guardians: Iterable[Guardian] = (),
    note: str = "",
    document: UploadedFile | None = None,
) -> Consent:
    """Record the person's consent: which agencies may receive which parts. For a person who may be under
    18, at least one guardian's consent is recorded with it."""
    access.require(actor, "add", Consent)
    access.require(actor, "change", person)
    recipients, subjects, guardians = list(recipients), sorted(set(subjects)), list(guardians)
    errors: dict[str, list[str]] = {}
    if given_on > timezone.localdate():
        errors["given_on"] = [_("The consent cannot be given in the future.")]
    allowed_ids = set(
        other_agencies(program_id=person.program_id, excluding_agency_id=person.owner_agency_id).values_list(
            "pk", flat=True
        )
    )
    if not recipients:
        errors["recipients"] = [_("Choose at least one agency that may receive.")]
    elif any(agency.pk not in allowed_ids for agency in recipients):
        errors["recipients"] = [_("Choose other agencies of this program.")]
    if not subjects:
        errors["subjects"] = [_("Choose what may be shared.")]
    elif set(subjects) - set(ShareSubject.values):
        errors["subjects"] = [_("Unknown choice of what may be shared.")]
    if any(guardian.person_id != person.pk for guardian in guardians):
        errors["guardians"] = [_("Choose guardians of this person.")]
    elif person.may_be_minor() and not guardians:
        errors["guardians"] = [
            _("The person may be under 18: record which guardian (vårdnadshavare) consented as well.")
        ]
    kind = None
    if document is not None:
        try:
            kind = sniff(document, ("pdf", "jpeg", "png"), max_bytes=DOCUMENT_MAX_BYTES)
        except ValidationError as exc:
            errors["document"] = exc.messages
    if errors:
        raise ValidationError(errors)
    consent = Consent(person=person, given_on=given_on, subjects=subjects, note=note.strip(), created_by=actor)
    if document is not None and kind is not None:
        consent.document.save(named(document, kind).name or "document", document, save=False)
    consent.save()
    consent.recipients.set(recipients)
    consent.guardians.set(guardians)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=consent,
        purpose=PURPOSE,
        detail={"person": person.pk, "recipients": [a.pk for a in recipients], "subjects": subjects},
    )
    return consent


@transaction.atomic
def consent_revoke(*, actor: Staff, consent: Consent, revoked_on: date | None = None) -> Consent:
    """The person withdraws consent: every share made on it ends at once."""
    access.require(actor, "change", consent)
    if consent.revoked_at is not None:
        return consent
    revoked_on = revoked_on or timezone.localdate()
    if revoked_on > timezone.localdate() or revoked_on < consent.given_on:
        raise ValidationError({"revoked_on": _("The date must be between the consent and today.")})
    consent.revoked_on = revoked_on
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.save(update_fields=["revoked_on", "revoked_at", "revoked_by"])
    audit_record(actor=actor, action=AuditAction.REVOKE, obj=consent, purpose=PURPOSE, legal_basis="consent")
    for share in Share.objects.filter(consent=consent, ended_at__isnull=True).select_related(
        "receiving_agency", "receiving_team", "person"
    ):
        _end(share, actor=actor, reason=Share.Ended.CONSENT_REVOKED)
    return consent


# --------------------------------------------------------------------------------------------------
# Shares


def _section_of(person: Person, subject: str) -> Section | None:
    if subject == ShareSubject.IDENTITY:
        return None
    model, _note = SECTION_KINDS[subject]
    return model._default_manager.filter(person=person).first()


def _validate_share(
    *,
    person: Person,
    subject: str,
    receiving_agency: Agency,
    receiving_team: Team | None,
    legal_basis: str,
    consent: Consent | None,
    valid_until: date,
    purpose: str,
    note_to_recipient: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    allowed_ids = set(
        other_agencies(program_id=person.program_id, excluding_agency_id=person.owner_agency_id).values_list(
            "pk", flat=True
        )
    )
    if receiving_agency.pk not in allowed_ids:
        errors["receiving_agency"] = [_("Choose another agency of this program.")]
    if receiving_team is not None and receiving_team.agency_id != receiving_agency.pk:
        errors["receiving_team"] = [_("The team must belong to the receiving agency.")]
    if valid_until < today:
        errors["valid_until"] = [_("The last valid day cannot be in the past.")]
    elif valid_until > today + MAX_VALIDITY:
        errors["valid_until"] = [_("A share is valid for at most a year; renew it when it runs out.")]
    if not purpose.strip():
        errors["purpose"] = [_("State the purpose of the share.")]
    if not note_to_recipient.strip():
        errors["note_to_recipient"] = [_("Tell the recipient how to read what you share.")]
    if legal_basis not in LegalBasis.values:
        errors["legal_basis"] = [_("Choose a legal basis.")]
    elif legal_basis == LegalBasis.CONSENT:
        if consent is None:
            errors["consent"] = [_("Choose the consent this share rests on.")]
        elif consent.person_id != person.pk or not consent.covers(receiving_agency.pk, subject):
            errors["consent"] = [_("The consent does not cover this part for this agency, or it was revoked.")]
    elif consent is not None:
        errors["consent"] = [_("A consent is named only when the legal basis is consent.")]
    if legal_basis == LegalBasis.OSL_10_18A and not person.surely_under(OSL_10_18A_AGE_LIMIT):
        errors["legal_basis"] = [
            _(
                "OSL 10 kap. 18 a § covers only persons under 21, and this person is 21 or older "
                "(or may be: only the birth year is known). Choose another legal basis."
            )
        ]
    return errors


@transaction.atomic
def share_create(
    *,
    actor: Staff,
    person: Person,
    subject: str,
    receiving_agency: Agency,
    legal_basis: str,
    purpose: str,
    note_to_recipient: str,
    valid_until: date,
    scope: str = Share.Scope.SUMMARY,
    receiving_team: Team | None = None,
    consent: Consent | None = None,
) -> Share:
    """Share the person's identity, or one of the agency's sections of the person, with another agency."""
    access.require(actor, "add", Share)
    access.require(actor, "view", person)
    if subject not in ShareSubject.values:
        raise ValidationError({"subject": _("Choose what to share.")})
    if scope not in Share.Scope.values:
        raise ValidationError({"scope": _("Choose the scope.")})
    errors = _validate_share(
        person=person,
        subject=subject,
        receiving_agency=receiving_agency,
        receiving_team=receiving_team,
        legal_basis=legal_basis,
        consent=consent,
        valid_until=valid_until,
        purpose=purpose,
        note_to_recipient=note_to_recipient,
    )
    section = _section_of(person, subject)
    if subject != ShareSubject.IDENTITY and (section is None or not access.can(actor, "view", section)):
        errors.setdefault("subject", []).append(_("This person has no such section that you can see."))
    if errors:
        raise ValidationError(errors)
    share = Share(
        program_id=person.program_id,
        owner_agency_id=person.owner_agency_id,
        person=person,
        subject=subject,
        scope=Share.Scope.SUMMARY if subject == ShareSubject.IDENTITY else scope,
        receiving_agency=receiving_agency,
        receiving_team=receiving_team,
        legal_basis=legal_basis,
        consent=consent,
        purpose=purpose.strip(),
        note_to_recipient=note_to_recipient.strip(),
        valid_until=valid_until,
        recipient_person=_same_person_at(receiving_team or receiving_agency, person),
        created_by=actor,
    )
    share.full_clean()
    share.save()
    audit_record(
        actor=actor,
        action=AuditAction.SHARE,
        obj=share,
        purpose=share.purpose,
        legal_basis=legal_basis,
        detail={
            "person": person.pk,
            "subject": subject,
            "scope": share.scope,
            "section": section.pk if section else None,
            "to_agency": receiving_agency.pk,
            "to_team": receiving_team.pk if receiving_team else None,
            "valid_until": valid_until.isoformat(),
        },
    )
    access.grant_to_owner(share, actor=actor, basis="owner")
    _grant_share(share, section, actor=actor)
    return share


def _same_person_at(recipient: Team | Agency, person: Person) -> Person | None:
    """The receiving agency's own record with the same identity number, if it reaches the recipient (the
    receiving team, or the whole agency). Only the recipient ever sees this link; the sender does not learn
    whether it exists, and a record of another team of the receiving agency is never linked."""
    if not person.identity_number:
        return None
    agency_id = recipient.agency_id if isinstance(recipient, Team) else recipient.pk
    # A system-side lookup for the recipient, never shown to the actor (see the docstring).
    return (
        access.granted_to(Person, to=recipient)
        .filter(program_id=person.program_id, owner_agency_id=agency_id, identity_number=person.identity_number)
        .first()
    )


def _grant_share(share: Share, section: Section | None, *, actor: Staff) -> None:
    basis = share.legal_basis
    until = share.expires_at
    to = share.recipient
    access.grant(share, to=to, actions=("view",), basis=basis, actor=actor, until=until)
    access.grant(share.person, to=to, actions=("view_identity",), basis=basis, actor=actor, until=until)
    if section is not None:
        action = "view" if share.scope == Share.Scope.FULL else "view_summary"
        access.grant(section, to=to, actions=(action,), basis=basis, actor=actor, until=until)


def _resync(person: Person, to: Team | Agency, *, actor: Staff) -> None:
    """Recompute the share grants of one recipient on one person's record and sections from the shares
    that are still active (the longest of them wins)."""
    now = timezone.now()
    mine = Q(receiving_team=to) if isinstance(to, Team) else Q(receiving_agency=to, receiving_team__isnull=True)
    active = [s for s in Share.objects.filter(mine, person=person, ended_at__isnull=True) if s.is_active(now)]
    basis = "share ended: remaining shares recomputed"

    def longest(shares: list[Share]) -> datetime | None:
        return max((s.expires_at for s in shares), default=None)

    access.revoke(person, to=to, actions=("view_identity",), basis=basis, actor=actor)
    until = longest(active)
    if until is not None:
        access.grant(person, to=to, actions=("view_identity",), basis=basis, actor=actor, until=until)
    for kind in SECTION_KINDS:
        section = _section_of(person, kind)
        if section is None:
            continue
        access.revoke(section, to=to, actions=("view", "view_summary"), basis=basis, actor=actor)
        of_kind = [s for s in active if s.subject == kind]
        for scope, action in ((Share.Scope.FULL, "view"), (Share.Scope.SUMMARY, "view_summary")):
            until = longest([s for s in of_kind if s.scope == scope])
            if until is not None:
                access.grant(section, to=to, actions=(action,), basis=basis, actor=actor, until=until)


def _end(share: Share, *, actor: Staff, reason: str) -> None:
    share.ended_at = timezone.now()
    share.ended_reason = reason
    share.ended_by = actor
    share.save(update_fields=["ended_at", "ended_reason", "ended_by"])
    to = share.recipient
    access.revoke(share, to=to, actions=("view",), basis=reason, actor=actor)
    audit_record(
        actor=actor,
        action=AuditAction.REVOKE,
        obj=share,
        purpose=share.purpose,
        legal_basis=share.legal_basis,
        detail={"reason": reason, "person": share.person_id, "subject": share.subject},
    )
    _resync(share.person, to, actor=actor)


@transaction.atomic
def share_revoke(*, actor: Staff, share: Share) -> Share:
    """The sender ends a share now. The recipient loses what it gave at once."""
    access.require(actor, "change", share)
    if share.ended_at is None:
        _end(share, actor=actor, reason=Share.Ended.REVOKED)
    return share


@transaction.atomic
def share_link(*, actor: Staff, share: Share, person: Person | None) -> Share:
    """The recipient links a share to their own record of the person (or unlinks it with None)."""
    access.require(actor, "view", share)
    if share.receiving_agency_id != actor.agency_id:
        raise ValidationError(_("Only the receiving agency links a share to its own record."))
    if person is not None:
        access.require(actor, "change", person)
    share.recipient_person = person
    share.save(update_fields=["recipient_person"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=share,
        purpose=PURPOSE,
        detail={"recipient_person": person.pk if person else None},
    )
    return share


def shares_tidy(*, program: Program, today: date | None = None) -> int:
    """Mark shares past their last valid day as ended and drop their grants. Expired shares already
    stopped working at read time; this only tidies. Idempotent; acts as the program's system actor."""
    today = today or timezone.localdate()
    actor = access.system_actor(program)
    count = 0
    expired = Share.objects.filter(program=program, ended_at__isnull=True, valid_until__lt=today).select_related(
        "receiving_agency", "receiving_team", "person"
    )
    while batch := list(expired.order_by("id")[:TIDY_BATCH]):
        for share in batch:
            with transaction.atomic():
                _end(share, actor=actor, reason=Share.Ended.EXPIRED)
        count += len(batch)
    return count


__all__ = ["end_of_day"]
