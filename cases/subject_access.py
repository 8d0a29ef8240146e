"""The content of a subject access export (registerutdrag): the draft items and the released files.

The draft is everything the agency holds about the person in its own record: the record's own fields
(identity, contact details, aliases, guardians, interpreter) and the timeline items (gvi.timeline) that
come from the agency's own records, journal notes with their full text. Each item has a stable key, which
is what a redaction names. The released PDF and JSON show every item that is not withheld; a withheld item
appears only as "[Withheld: <reason>]", with nothing of its content.

The draft is read as the reviewing user may see it, through the same policy as every page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import selectors
from cases.models import Person
from cases.services.persons import contact_visible
from gvi.timeline import category_label, timeline_items

if TYPE_CHECKING:
    from cases.models.disclosure import SubjectAccessExport
    from gvi.accounts.models import Staff

LEGAL_BASIS = "GDPR art. 15 (registerutdrag)"
PERSON_CATEGORY = gettext_lazy("Personal details")


class WithholdingReason(models.TextChoices):
    """Why the secrecy review withholds an item (OSL: what secrecy protects from the person themselves)."""

    OTHER_PERSON = "other_person", gettext_lazy("Information about another person")
    INFORMANT = "informant", gettext_lazy("Protects an informant")
    POLICE_INVESTIGATION = "police_investigation", gettext_lazy("Police investigation")
    OTHER_SECRECY = "other_secrecy", gettext_lazy("Other secrecy")


@dataclass(frozen=True)
class DraftItem:
    key: str
    category: str
    title: str
    detail: str = ""
    when: datetime | None = None
    # Known to the day only: shown without a time (see gvi.timeline.TimelineItem).
    date_only: bool = False


@dataclass(frozen=True)
class ReleasedItem:
    """An item as released: in full, or withheld (then only the reason is shown)."""

    item: DraftItem
    withheld: str = ""


def withheld_text(reason: str) -> str:
    label = WithholdingReason(reason).label if reason in WithholdingReason.values else reason
    return _("[Withheld: %(reason)s]") % {"reason": label}


def _person_key(person: Person, part: str) -> str:
    return f"{person._meta.label_lower}:{person.pk}:{part}"


def _lines(pairs: Sequence[tuple[Any, Any]]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in pairs if value not in (None, ""))


def _field_label(name: str) -> str:
    return str(Person._meta.get_field(name).verbose_name).capitalize()  # type: ignore[union-attr]


def _person_items(user: Staff, person: Person) -> list[DraftItem]:
    """The record's own fields: two queries (aliases, guardians) whatever their number."""
    category = str(PERSON_CATEGORY)
    identity = [
        (_field_label("given_name"), person.given_name),
        (_field_label("family_name"), person.family_name),
        (_field_label("identity_number"), person.identity_number),
        (_field_label("birth_year"), person.birth_year),
        (_field_label("protected_identity"), _("yes") if person.protected_identity else _("no")),
        (_field_label("interpreter_language"), person.interpreter_language or _("none")),
    ]
    items = [DraftItem(_person_key(person, "identity"), category, _("Identity"), _lines(identity))]
    # A protected identity's contact details are for the owning caseworker only: another reviewer cannot
    # include what they may not see.
    if contact_visible(user, person):
        contact = [(_field_label(name), getattr(person, name)) for name in ("address", "phone", "email")]
        if any(value for _label, value in contact):
            items.append(DraftItem(_person_key(person, "contact"), category, _("Contact details"), _lines(contact)))
    for alias in selectors.person_aliases(user, person):
        items.append(
            DraftItem(
                f"{alias._meta.label_lower}:{alias.pk}",
                category,
                _("%(kind)s: %(name)s") % {"kind": alias.get_kind_display(), "name": alias.name},
                when=alias.created_at,
            )
        )
    # A guardian's own contact details are the guardian's personal data, not the person's: name and relation.
    for guardian in selectors.person_guardians(user, person):
        items.append(
            DraftItem(
                f"{guardian._meta.label_lower}:{guardian.pk}",
                category,
                _("Guardian: %(name)s (%(relation)s)")
                % {"name": guardian.name, "relation": guardian.get_relation_display()},
                when=guardian.created_at,
            )
        )
    return items


def draft_items(user: Staff, person: Person) -> list[DraftItem]:
    """The person's fields, then the agency's own timeline items, oldest first. Keys are unique."""
    items = _person_items(user, person)
    seen = {item.key for item in items}
    timeline = [
        item
        for item in timeline_items(user, [person.pk])
        if item.owner_agency_id == person.owner_agency_id and item.key not in seen
    ]
    for item in reversed(timeline):
        seen.add(item.key)
        items.append(
            DraftItem(item.key, category_label(item.category), item.title, item.detail, item.when, item.date_only)
        )
    return items


def released_items(items: Sequence[DraftItem], redactions: Mapping[str, str]) -> list[ReleasedItem]:
    return [ReleasedItem(item, withheld_text(redactions[item.key]) if item.key in redactions else "") for item in items]


def _when(item: DraftItem) -> str:
    if item.when is None:
        return ""
    return date_format(timezone.localtime(item.when), "Y-m-d" if item.date_only else "Y-m-d H:i")


def render_json(export: SubjectAccessExport, items: Sequence[ReleasedItem], *, agency: str) -> bytes:
    """The released items as JSON; a withheld item carries only the withholding text."""
    rows: list[dict[str, str]] = []
    for released in items:
        if released.withheld:
            rows.append({"withheld": released.withheld})
            continue
        item = released.item
        rows.append({"category": item.category, "title": item.title, "detail": item.detail, "when": _when(item)})
    document = {
        "subject_access_export": {
            "agency": agency,
            "legal_basis": LEGAL_BASIS,
            "requested_on": export.requested_on.isoformat(),
            "released_at": export.released_at.isoformat() if export.released_at else None,
        },
        "items": rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def local_files_only() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL but file: (no network, no redirects)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("file",), allow_redirects=False)


def render_pdf(export: SubjectAccessExport, items: Sequence[ReleasedItem], *, agency: str, person: Person) -> bytes:
    """The released items as a PDF (WeasyPrint). Nothing is fetched over the network: only file: URLs."""
    from weasyprint import HTML

    html = render_to_string(
        "cases/subject_access/print.html",
        {
            "export": export,
            "person": person,
            "agency": agency,
            "legal_basis": LEGAL_BASIS,
            "rows": [(released, _when(released.item)) for released in items],
        },
    )
    pdf = HTML(string=html, url_fetcher=local_files_only()).write_pdf()
    assert pdf is not None
    return bytes(pdf)
