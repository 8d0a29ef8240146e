"""Subject access exports (registerutdrag): create the draft, review it for secrecy, release it.

Every step is audited with the legal basis; the released PDF and JSON are kept through the storage API.
Only the agency that owns the record answers for it: creating needs the role's "add" on exports and
"change" on the person; reviewing and releasing need "change" on the export (its person's grants).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Person
from cases.models.disclosure import SubjectAccessExport
from cases.subject_access import (
    LEGAL_BASIS,
    WithholdingReason,
    draft_items,
    released_items,
    render_json,
    render_pdf,
)
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import update_versioned
from gvi.dates import in_range, out_of_range_message

PURPOSE = "subject access request"


def _require_draft(export: SubjectAccessExport) -> None:
    if export.status != SubjectAccessExport.Status.DRAFT:
        raise ValidationError({"redactions": _("This export is released: it can no longer be changed.")})


@transaction.atomic
def subject_access_create(*, actor: Staff, person: Person, requested_on: date) -> SubjectAccessExport:
    """A draft export of the agency's own record of the person."""
    access.require(actor, "add", SubjectAccessExport)
    access.require(actor, "change", person)
    if not in_range(requested_on):
        raise ValidationError({"requested_on": out_of_range_message()})
    if requested_on > timezone.localdate():
        raise ValidationError({"requested_on": _("The request cannot be dated in the future.")})
    export = SubjectAccessExport.objects.create(person=person, requested_on=requested_on, created_by=actor)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=export,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        detail={"person": person.pk},
    )
    return export


@transaction.atomic
def subject_access_redact(
    *,
    actor: Staff,
    export: SubjectAccessExport,
    version: int,
    redactions: Mapping[str, str],
    reviewed: Iterable[str] | None = None,
) -> SubjectAccessExport:
    """Set what the secrecy review withholds: {item key: reason}, replacing the earlier choice, and record
    which items the reviewer went through (`reviewed`: the items shown; None: the whole current draft).
    Raises StaleVersion when someone saved the review in between."""
    access.require(actor, "change", export)
    _require_draft(export)
    keys = {item.key for item in draft_items(actor, export.person)}
    unknown = sorted(set(redactions) - keys)
    if unknown:
        raise ValidationError({"redactions": _("These items are not in the draft: %(keys)s") % {"keys": unknown}})
    bad = sorted(key for key, reason in redactions.items() if reason not in WithholdingReason.values)
    if bad:
        raise ValidationError({"redactions": _("Choose a reason for withholding each marked item.")})
    seen = keys if reviewed is None else keys & set(reviewed)
    reviewed_keys = sorted(set(export.reviewed_keys) | seen)
    fresh = update_versioned(
        export, expected_version=version, changes={"redactions": dict(redactions), "reviewed_keys": reviewed_keys}
    )
    # The keys and reasons only: the audit trail must not become a copy of the withheld content.
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        detail={"person": export.person_id, "redactions": dict(redactions)},
    )
    return fresh


@transaction.atomic
def subject_access_release(*, actor: Staff, export: SubjectAccessExport) -> SubjectAccessExport:
    """Render the PDF and the JSON of the draft as reviewed, store both, and close the review."""
    access.require(actor, "change", export)
    # Locked while rendering: two releases of one export cannot both store files.
    export = SubjectAccessExport.objects.select_for_update().select_related("person__owner_agency").get(pk=export.pk)
    _require_draft(export)
    person = export.person
    export.released_at = timezone.now()
    export.released_by = actor
    export.status = SubjectAccessExport.Status.RELEASED
    draft = draft_items(actor, person)
    unreviewed = {item.key for item in draft} - set(export.reviewed_keys)
    if unreviewed:
        raise ValidationError(
            _(
                "%(count)d items of the draft have not been through the secrecy review (added since it was saved, "
                "or on a page not yet saved). Review and save them first."
            )
            % {"count": len(unreviewed)}
        )
    items = released_items(draft, export.redactions)
    agency = person.owner_agency.name
    name = f"registerutdrag-{export.pk}"
    # Both rendered before either is stored, so a failed rendering leaves no file behind.
    pdf = render_pdf(export, items, agency=agency, person=person)
    data = render_json(export, items, agency=agency)
    export.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
    export.data.save(f"{name}.json", ContentFile(data), save=False)
    export.version += 1
    export.updated_at = export.released_at
    export.save(update_fields=["status", "released_at", "released_by", "pdf", "data", "version", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=export,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        detail={
            "person": person.pk,
            "step": "release",
            "items": len(items),
            "withheld": sum(1 for item in items if item.withheld),
        },
    )
    return export
