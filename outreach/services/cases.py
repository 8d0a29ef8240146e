"""Exit cases and what hangs off them: contacts, threat assessments, support measures, relatives.

An exit case is granted to its responsible social worker, her team and her agency (the role decides which
of those count: the social worker's own and team's cases, the exit coordinator's whole municipality), and
the protected contact details of its relatives to the responsible worker only. Reassigning moves those
grants, audited.

Edits name the version they read (optimistic concurrency): a stale edit raises StaleVersion and changes
nothing, so the caller can show both versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Person
from gvi import access
from gvi.accounts.models import Agency, AgencyKind, Role, Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import update_versioned
from outreach.models import (
    CaseEntry,
    Contact,
    ExitCase,
    Referral,
    Relative,
    SupportMeasure,
    ThreatAssessment,
    ThreatLevel,
)

PURPOSE = "exit program"
CASEWORKER_ROLES = (Role.SOCIAL_WORKER, Role.EXIT_COORDINATOR)
CASE_ACTIONS = ("view", "change")


def _clean_existing(candidate: CaseEntry) -> None:
    """Model validation of an edit of an existing row: the unsaved candidate stands for the stored row, so
    its own id is not a duplicate (a fresh instance counts as new and would clash with itself)."""
    candidate._state.adding = False
    candidate.full_clean(exclude=["exit_case"])


# --------------------------------------------------------------------------------------------------
# Exit cases


def _check_responsible(actor: Staff, responsible: Staff) -> None:
    if (
        responsible.agency_id != actor.agency_id
        or responsible.role not in CASEWORKER_ROLES
        or not responsible.is_active
        or responsible.team_id is None
    ):
        raise ValidationError({"responsible": [_("Choose a social worker of your own municipality who is in a team.")]})


def _grant_responsible(case: ExitCase, responsible: Staff, *, actor: Staff, basis: str) -> None:
    access.grant(case, to=responsible, actions=(*CASE_ACTIONS, "view_contact"), basis=basis, actor=actor)
    access.grant(case, to=responsible.team, actions=CASE_ACTIONS, basis=basis, actor=actor)  # type: ignore[arg-type]


@transaction.atomic
def exit_case_open(
    *,
    actor: Staff,
    person: Person,
    responsible: Staff,
    referral: Referral | None = None,
    opened_on: date | None = None,
) -> ExitCase:
    """Open an exit case on the municipality's own record of the person, held by `responsible` and her team."""
    access.require(actor, "add", ExitCase)
    access.require(actor, "change", person)
    if (
        actor.agency is None
        or actor.agency.kind != AgencyKind.MUNICIPALITY
        or person.owner_agency_id != actor.agency_id
    ):
        raise ValidationError(_("An exit case is opened by a municipality on its own record of the person."))
    _check_responsible(actor, responsible)
    opened_on = opened_on or timezone.localdate()
    if opened_on > timezone.localdate():
        raise ValidationError({"opened_on": [_("An exit case cannot be opened in the future.")]})
    message = _("This person already has an open exit case.")
    if ExitCase.objects.filter(person=person, closed_on__isnull=True).exists():
        raise ValidationError(message)
    case = ExitCase(
        program_id=person.program_id,
        owner_agency_id=person.owner_agency_id,
        person=person,
        referral=referral,
        responsible=responsible,
        team=responsible.team,
        opened_on=opened_on,
        created_by=actor,
    )
    case.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            case.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(message) from None
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=case,
        purpose=PURPOSE,
        detail={"person": person.pk, "responsible": responsible.pk, "referral": referral.pk if referral else None},
    )
    _grant_responsible(case, responsible, actor=actor, basis="owner")
    access.grant(case, to=actor.agency, actions=CASE_ACTIONS, basis="owner", actor=actor)
    return case


def _require_open(case: ExitCase) -> None:
    if not case.is_open:
        raise ValidationError(_("The exit case is closed."))


def _require_case_open(case_id: int) -> None:
    """For an edit of a row of the case: the stored case, not a copy read before it was closed."""
    if ExitCase.objects.filter(pk=case_id, closed_on__isnull=False).exists():
        raise ValidationError(_("The exit case is closed."))


@transaction.atomic
def exit_case_update(*, actor: Staff, case: ExitCase, version: int, phase: str) -> ExitCase:
    """Move the case to another phase."""
    access.require(actor, "change", case)
    _require_open(case)
    if phase not in ExitCase.Phase.values:
        raise ValidationError({"phase": [_("Choose a phase.")]})
    fresh = update_versioned(case, expected_version=version, changes={"phase": phase})
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"phase": [case.phase, phase]}
    )
    return fresh


@transaction.atomic
def exit_case_close(
    *, actor: Staff, case: ExitCase, version: int, outcome: str, closed_on: date | None = None, closing_note: str = ""
) -> ExitCase:
    """Close the case with its outcome."""
    access.require(actor, "change", case)
    _require_open(case)
    closed_on = closed_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if outcome not in ExitCase.Outcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    if closed_on > timezone.localdate() or closed_on < case.opened_on:
        errors["closed_on"] = [_("The case closes between the day it opened and today.")]
    if errors:
        raise ValidationError(errors)
    fresh = update_versioned(
        case,
        expected_version=version,
        changes={"outcome": outcome, "closed_on": closed_on, "closing_note": closing_note.strip()},
    )
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"closed": outcome})
    return fresh


@transaction.atomic
def exit_case_reassign(*, actor: Staff, case: ExitCase, version: int, responsible: Staff) -> ExitCase:
    """Give the case to another social worker (and her team): the former worker and team lose it. Audited."""
    access.require(actor, "change", case)
    if not access.role_allows(actor, "reassign", ExitCase):
        raise Http404
    _check_responsible(actor, responsible)
    if responsible.pk == case.responsible_id:
        return case
    former = Staff.objects.get(pk=case.responsible_id)
    fresh = update_versioned(
        case, expected_version=version, changes={"responsible_id": responsible.pk, "team_id": responsible.team_id}
    )
    basis = "exit case reassigned"
    access.revoke(case, to=former, actions=(*CASE_ACTIONS, "view_contact"), basis=basis, actor=actor)
    if former.team_id is not None and former.team_id != responsible.team_id:
        access.revoke(case, to=former.team, actions=CASE_ACTIONS, basis=basis, actor=actor)  # type: ignore[arg-type]
    if case.team_id != responsible.team_id:
        access.revoke(case, to=case.team, actions=CASE_ACTIONS, basis=basis, actor=actor)
    _grant_responsible(fresh, responsible, actor=actor, basis=basis)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose="reassign",
        detail={"responsible": [former.pk, responsible.pk], "team": [case.team_id, responsible.team_id]},
    )
    return fresh


# --------------------------------------------------------------------------------------------------
# Contacts


def _refresh_contact_dates(case: ExitCase) -> None:
    """The case's last contact and next follow-up: those of its latest contact."""
    latest = Contact.objects.filter(exit_case=case).order_by("-contact_on", "-id").first()
    ExitCase.objects.filter(pk=case.pk).update(
        last_contact_on=latest.contact_on if latest else None,
        next_follow_up_on=latest.follow_up_on if latest else None,
        updated_at=timezone.now(),
    )


def _participants(case: ExitCase, staff: Iterable[Staff], agencies: Iterable[Agency]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if any(member.program_id != case.program_id for member in staff):
        errors["staff"] = [_("Choose staff of this program.")]
    if any(not agency.programs.filter(pk=case.program_id).exists() for agency in agencies):
        errors["agencies"] = [_("Choose agencies of this program.")]
    return errors


def _contact_errors(case: ExitCase, values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    contact_on, follow_up_on = values["contact_on"], values.get("follow_up_on")
    if contact_on > today:
        errors["contact_on"] = [_("A contact cannot be logged in the future.")]
    elif contact_on < case.opened_on:
        errors["contact_on"] = [_("The contact cannot be before the case was opened.")]
    if follow_up_on is not None and follow_up_on < contact_on:
        errors["follow_up_on"] = [_("The follow-up cannot be before the contact.")]
    if values["channel"] not in Contact.Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    if not str(values["note"]).strip():
        errors["note"] = [_("Write a short note.")]
    return errors


CONTACT_FIELDS = ("contact_on", "channel", "duration_minutes", "note", "next_step", "follow_up_on")


@transaction.atomic
def contact_log(
    *,
    actor: Staff,
    case: ExitCase,
    note: str,
    contact_on: date | None = None,
    channel: str = Contact.Channel.MEETING,
    duration_minutes: int = 30,
    next_step: str = "",
    follow_up_on: date | None = None,
    staff: Iterable[Staff] = (),
    agencies: Iterable[Agency] = (),
) -> Contact:
    """Log a contact on the case; the case's last contact and next follow-up move with it."""
    access.require(actor, "add", Contact)
    access.require(actor, "change", case)
    _require_open(case)
    staff, agencies = list(staff), list(agencies)
    values = {
        "contact_on": contact_on or timezone.localdate(),
        "channel": channel,
        "duration_minutes": duration_minutes,
        "note": note.strip(),
        "next_step": next_step.strip(),
        "follow_up_on": follow_up_on,
    }
    errors = {**_contact_errors(case, values), **_participants(case, staff, agencies)}
    if errors:
        raise ValidationError(errors)
    contact = Contact(exit_case=case, created_by=actor, **values)
    contact.full_clean()
    contact.save()
    contact.staff.set(staff)
    contact.agencies.set(agencies)
    _refresh_contact_dates(case)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=contact, purpose=PURPOSE, detail={"exit_case": case.pk})
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: Staff,
    contact: Contact,
    version: int,
    staff: Iterable[Staff] | None = None,
    agencies: Iterable[Agency] | None = None,
    **changes: Any,
) -> Contact:
    """Correct a contact. Raises StaleVersion (nothing changed) when someone saved it in between."""
    access.require(actor, "change", contact)
    _require_case_open(contact.exit_case_id)
    case = contact.exit_case
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    merged = {field: changes.get(field, getattr(contact, field)) for field in CONTACT_FIELDS}
    merged["note"] = str(merged["note"]).strip()
    merged["next_step"] = str(merged["next_step"]).strip()
    errors = _contact_errors(case, merged)
    if staff is not None or agencies is not None:
        errors |= _participants(case, list(staff or ()), list(agencies or ()))
    if errors:
        raise ValidationError(errors)
    _clean_existing(Contact(pk=contact.pk, exit_case=case, **merged))
    fresh = update_versioned(contact, expected_version=version, changes=merged)
    if staff is not None:
        fresh.staff.set(list(staff))
    if agencies is not None:
        fresh.agencies.set(list(agencies))
    _refresh_contact_dates(case)
    changed = sorted(f for f in CONTACT_FIELDS if merged[f] != getattr(contact, f))
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    return fresh


# --------------------------------------------------------------------------------------------------
# Threat assessments


@transaction.atomic
def threat_assess(
    *,
    actor: Staff,
    case: ExitCase,
    level: str,
    summary: str,
    review_on: date,
    assessed_on: date | None = None,
) -> ThreatAssessment:
    """Record a threat assessment (hotbildsbedömning); the case shows the latest level and review date."""
    access.require(actor, "add", ThreatAssessment)
    access.require(actor, "change", case)
    _require_open(case)
    assessed_on = assessed_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if level not in ThreatLevel.values:
        errors["level"] = [_("Choose the threat level.")]
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = [_("An assessment cannot be made in the future.")]
    if review_on < assessed_on:
        errors["review_on"] = [_("The review cannot be before the assessment.")]
    if not summary.strip():
        errors["summary"] = [_("Summarise the assessment.")]
    if errors:
        raise ValidationError(errors)
    assessment = ThreatAssessment(
        exit_case=case,
        assessed_on=assessed_on,
        level=level,
        summary=summary.strip(),
        review_on=review_on,
        created_by=actor,
    )
    assessment.full_clean()
    assessment.save()
    latest = ThreatAssessment.objects.filter(exit_case=case).order_by("-assessed_on", "-id").first()
    assert latest is not None
    ExitCase.objects.filter(pk=case.pk).update(threat_level=latest.level, threat_review_on=latest.review_on)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=assessment, purpose=PURPOSE, detail={"exit_case": case.pk})
    return assessment


# --------------------------------------------------------------------------------------------------
# Relatives


RELATIVE_FIELDS = ("name", "relation", "phone", "address", "protected_identity", "threat_level", "note")


def _relative_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(values["name"]).strip():
        errors["name"] = [_("Write the relative's name.")]
    if values["relation"] not in Relative.Relation.values:
        errors["relation"] = [_("Choose the relation.")]
    if values["threat_level"] not in ThreatLevel.values:
        errors["threat_level"] = [_("Choose the threat level.")]
    return errors


def _clean_text(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.strip() if isinstance(value, str) else value for key, value in values.items()}


@transaction.atomic
def relative_add(
    *,
    actor: Staff,
    case: ExitCase,
    name: str,
    relation: str,
    threat_level: str = ThreatLevel.NONE,
    phone: str = "",
    address: str = "",
    protected_identity: bool = False,
    note: str = "",
) -> Relative:
    """Record a relative who is threatened or needs support."""
    access.require(actor, "add", Relative)
    access.require(actor, "change", case)
    _require_open(case)
    values = _clean_text(
        {
            "name": name,
            "relation": relation,
            "threat_level": threat_level,
            "phone": phone,
            "address": address,
            "protected_identity": protected_identity,
            "note": note,
        }
    )
    errors = _relative_errors(values)
    if errors:
        raise ValidationError(errors)
    relative = Relative(exit_case=case, created_by=actor, **values)
    relative.full_clean()
    relative.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=relative, purpose=PURPOSE, detail={"exit_case": case.pk})
    return relative


def relative_contact_visible(user: Staff, relative: Relative, case: ExitCase) -> bool:
    """A relative's contact details: shown unless the identity is protected; then only to the holder of the
    case's `view_contact` (the responsible social worker)."""
    return not relative.protected_identity or access.can(user, "view_contact", case)


@transaction.atomic
def relative_update(*, actor: Staff, relative: Relative, version: int, **changes: Any) -> Relative:
    """Change a relative. Contact details of a protected relative are changed only by one who may see them."""
    access.require(actor, "change", relative)
    _require_case_open(relative.exit_case_id)
    case = relative.exit_case
    unknown = set(changes) - set(RELATIVE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    # Refused whatever the values: comparing them with the stored ones would confirm a guess.
    contact_fields = {"phone", "address", "protected_identity"}
    if not relative_contact_visible(actor, relative, case) and contact_fields & set(changes):
        raise ValidationError(_("Only the responsible social worker changes a protected relative's contact details."))
    merged = _clean_text({field: changes.get(field, getattr(relative, field)) for field in RELATIVE_FIELDS})
    errors = _relative_errors(merged)
    if errors:
        raise ValidationError(errors)
    _clean_existing(Relative(pk=relative.pk, exit_case=case, **merged))
    fresh = update_versioned(relative, expected_version=version, changes=merged)
    changed = sorted(f for f in RELATIVE_FIELDS if merged[f] != getattr(relative, f))
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    return fresh


# --------------------------------------------------------------------------------------------------
# Support measures


MEASURE_FIELDS = (
    "kind",
    "provider",
    "starts_on",
    "ends_on",
    "status",
    "note",
    "from_municipality",
    "to_municipality",
    "moved_on",
    "cost",
)
RELOCATION_FIELDS = ("from_municipality", "to_municipality", "moved_on", "cost")


def _measure_errors(values: dict[str, Any], relative: Relative | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kind = values["kind"]
    if kind not in SupportMeasure.Kind.values:
        errors["kind"] = [_("Choose the kind of measure.")]
    elif kind in SupportMeasure.RELATIVE_ONLY and relative is None:
        errors["kind"] = [_("Safe housing and crisis support are measures for relatives.")]
    if values["status"] not in SupportMeasure.Status.values:
        errors["status"] = [_("Choose the status.")]
    if values["ends_on"] is not None and values["ends_on"] < values["starts_on"]:
        errors["ends_on"] = [_("The end cannot be before the start.")]
    if kind == SupportMeasure.Kind.RELOCATION:
        for field in ("from_municipality", "to_municipality"):
            if not str(values[field]).strip():
                errors[field] = [_("A relocation names where from and where to.")]
    elif any(values[field] not in ("", None) for field in RELOCATION_FIELDS):
        errors["kind"] = [_("Where from, where to, the moving date and the cost are for a relocation only.")]
    cost = values["cost"]
    if cost is not None and Decimal(cost) < 0:
        errors["cost"] = [_("The cost cannot be negative.")]
    return errors


@transaction.atomic
def measure_add(
    *, actor: Staff, case: ExitCase, kind: str, relative: Relative | None = None, **values: Any
) -> SupportMeasure:
    """Record a support measure for the person or (with `relative`) for one of their relatives."""
    access.require(actor, "add", SupportMeasure)
    access.require(actor, "change", case)
    _require_open(case)
    unknown = set(values) - set(MEASURE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if relative is not None and relative.exit_case_id != case.pk:
        raise ValidationError({"relative": [_("Choose a relative of this case.")]})
    defaults: dict[str, Any] = {
        "provider": "",
        "starts_on": timezone.localdate(),
        "ends_on": None,
        "status": SupportMeasure.Status.PLANNED,
        "note": "",
        "from_municipality": "",
        "to_municipality": "",
        "moved_on": None,
        "cost": None,
    }
    merged = _clean_text({**defaults, **values, "kind": kind})
    errors = _measure_errors(merged, relative)
    if errors:
        raise ValidationError(errors)
    measure = SupportMeasure(exit_case=case, relative=relative, created_by=actor, **merged)
    measure.full_clean()
    measure.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=measure,
        purpose=PURPOSE,
        detail={"exit_case": case.pk, "kind": kind, "relative": relative.pk if relative else None},
    )
    return measure


def relocation_place_visible(user: Staff, measure: SupportMeasure) -> bool:
    """Where a relative with protected identity moved to is address data: only the holder of the case's
    `view_contact` (the responsible social worker) sees it (outreach.selectors.with_place_hidden for lists)."""
    relative = measure.relative
    if not measure.is_relocation or relative is None or not relative.protected_identity:
        return True
    return access.can(user, "view_contact", measure.exit_case)


@transaction.atomic
def measure_update(*, actor: Staff, measure: SupportMeasure, version: int, **changes: Any) -> SupportMeasure:
    """Change a measure (its status as it goes, its end, a relocation's details). A protected relative's
    relocation is changed only by one who may see where they moved."""
    access.require(actor, "change", measure)
    if not relocation_place_visible(actor, measure):
        raise ValidationError(_("Only the responsible social worker changes a protected relative's relocation."))
    _require_case_open(measure.exit_case_id)
    unknown = set(changes) - set(MEASURE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    merged = _clean_text({field: changes.get(field, getattr(measure, field)) for field in MEASURE_FIELDS})
    errors = _measure_errors(merged, measure.relative)
    if errors:
        raise ValidationError(errors)
    _clean_existing(SupportMeasure(pk=measure.pk, exit_case_id=measure.exit_case_id, **merged))
    fresh = update_versioned(measure, expected_version=version, changes=merged)
    changed = sorted(f for f in MEASURE_FIELDS if merged[f] != getattr(measure, f))
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": changed})
    return fresh


def exit_case_cull(*, actor: Staff, record: ExitCase) -> None:
    """Remove an exit case whose retention period has ended, with its contacts, measures, relatives, threat
    assessments and grants (gvi.retention culls and audits; nothing of the case is kept)."""
    access.require(actor, "cull", record)
    record.delete()
