"""Reports of concern (orosanmälan, SoL 14 kap. 1 §): any agency's staff report a child at risk to the
municipality's social services. The sender's team sees that the report was received, not what follows."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ConcernReport, Person
from gvi import access
from gvi.accounts.models import Agency, AgencyKind, Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import update_versioned

LEGAL_BASIS = "SoL 14 kap. 1 § (report of concern)"
PURPOSE = "report of concern"


def receiving_social_services(program_id: int) -> list[Agency]:
    """The municipalities of a program: where reports of concern go. Program structure, not case data."""
    return list(Agency.objects.filter(programs__id=program_id, kind=AgencyKind.MUNICIPALITY).order_by("name"))


@transaction.atomic
def concern_file(
    *,
    actor: Staff,
    person: Person,
    receiving_agency: Agency,
    concern: str,
    reporter_phone: str,
    urgent: bool = False,
) -> ConcernReport:
    access.require(actor, "add", ConcernReport)
    access.require(actor, "view", person)
    _program_id, agency_id = actor.workplace
    errors: dict[str, list[str]] = {}
    if not person.may_be_minor():
        errors["__all__"] = [_("A report of concern is about a child: this person is 18 or older.")]
    if receiving_agency.pk not in {a.pk for a in receiving_social_services(person.program_id)}:
        errors["receiving_agency"] = [_("Choose the social services of a municipality in this program.")]
    if not concern.strip():
        errors["concern"] = [_("Describe what you are concerned about.")]
    if not reporter_phone.strip():
        errors["reporter_phone"] = [_("Give a phone number where social services can reach you.")]
    if errors:
        raise ValidationError(errors)
    report = ConcernReport(
        program_id=person.program_id,
        owner_agency_id=agency_id,
        person=person,
        receiving_agency=receiving_agency,
        child_given_name=person.given_name,
        child_family_name=person.family_name,
        child_identity_number=person.identity_number or "",
        child_birth_year=person.birth_year,
        concern=concern.strip(),
        urgent=urgent,
        reporter_phone=reporter_phone.strip(),
        created_by=actor,
    )
    report.full_clean()
    report.save()
    audit_record(
        actor=actor,
        action=AuditAction.SHARE,
        obj=report,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        detail={"person": person.pk, "to_agency": receiving_agency.pk, "urgent": urgent},
    )
    # The sender and their team may follow whether it was received; social services handle it.
    access.grant(report, to=actor, actions=("view_status",), basis=LEGAL_BASIS, actor=actor)
    if actor.team is not None:
        access.grant(report, to=actor.team, actions=("view_status",), basis=LEGAL_BASIS, actor=actor)
    access.grant(report, to=receiving_agency, actions=("view", "change"), basis=LEGAL_BASIS, actor=actor)
    return report


@transaction.atomic
def concern_receive(*, actor: Staff, report: ConcernReport) -> ConcernReport:
    """Social services confirm receipt: the one thing the sender sees. Idempotent."""
    access.require(actor, "change", report)
    if report.received_at is None:
        report.received_at = timezone.now()
        report.received_by = actor
        report.save(update_fields=["received_at", "received_by"])
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=report, purpose=PURPOSE, detail={"received": True})
    return report


@transaction.atomic
def concern_assess(
    *, actor: Staff, report: ConcernReport, version: int, outcome: str, assessment: str
) -> ConcernReport:
    """Record social services' assessment and outcome (never shown to the sender)."""
    access.require(actor, "change", report)
    if outcome not in ConcernReport.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    changes: dict[str, object] = {"outcome": outcome, "assessment": assessment.strip()}
    if report.received_at is None:
        changes |= {"received_at": timezone.now(), "received_by": actor}
    fresh = update_versioned(report, expected_version=version, changes=changes)
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": ["outcome", "assessment"]}
    )
    return fresh
