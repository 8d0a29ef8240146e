"""The person case file's timeline items: the record itself, aliases, guardians, sections, journal notes,
consents, shares and reports of concern, as the viewer may see them.

Every read starts from the access policy; a summary share shows the section's summary fields and never its
journal. A fixed number of queries whatever the history: one per kind of row, and per kind of section only
where the viewer's role may see that kind at all (the journal only where a section is visible in full).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Model, Q, Value
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import ConcernReport, Consent, Guardian, Person, PersonAlias, Share, ShareSubject
from cases.models.sections import SECTION_KINDS, Section
from gvi import access
from gvi.accounts.models import Staff
from gvi.timeline import TimelineItem, register_timeline_provider, start_of_day

RECORD, SECTION, JOURNAL, CONSENT, SHARE, CONCERN = "record", "section", "journal", "consent", "share", "concern"
CATEGORIES = {
    RECORD: gettext_lazy("Record"),
    SECTION: gettext_lazy("Sections"),
    JOURNAL: gettext_lazy("Journal notes"),
    CONSENT: gettext_lazy("Consent"),
    SHARE: gettext_lazy("Shares"),
    CONCERN: gettext_lazy("Reports of concern"),
}


def _key(obj: Any, event: str = "") -> str:
    key = f"{obj._meta.label_lower}:{obj.pk}"
    return f"{key}:{event}" if event else key


def person_items(user: Staff, person_ids: Sequence[int]) -> list[TimelineItem]:
    """Everything of the person case files on these records that the user may see."""
    persons = {p.pk: p for p in access.visible(user, Person).filter(pk__in=person_ids).select_related("owner_agency")}
    items = [*_records(persons), *_sections_and_journals(user, person_ids)]
    if persons:
        # Aliases, guardians and consents follow their person: only records the user sees in full have any.
        items += [*_aliases(user, persons), *_guardians(user, persons), *_consents(user, persons)]
    items += [*_shares(user, person_ids), *_concerns(user, person_ids)]
    return items


def _records(persons: dict[int, Person]) -> Iterator[TimelineItem]:
    for person in persons.values():
        yield TimelineItem(
            key=_key(person, "registered"),
            when=person.created_at,
            category=RECORD,
            title=_("Record registered by %(agency)s") % {"agency": person.owner_agency.name},
            detail=_("%(name)s, born %(year)s") % {"name": person.full_name, "year": person.birth_year},
            url=reverse("cases:person-detail", args=[person.pk]),
            owner_agency_id=person.owner_agency_id,
            person_id=person.pk,
        )


def _aliases(user: Staff, persons: dict[int, Person]) -> Iterator[TimelineItem]:
    for alias in access.visible(user, PersonAlias).filter(person_id__in=list(persons)):
        yield TimelineItem(
            key=_key(alias),
            when=alias.created_at,
            category=RECORD,
            title=_("%(kind)s added: %(name)s") % {"kind": alias.get_kind_display(), "name": alias.name},
            url=reverse("cases:person-detail", args=[alias.person_id]),
            owner_agency_id=persons[alias.person_id].owner_agency_id,
            person_id=alias.person_id,
        )


def _guardians(user: Staff, persons: dict[int, Person]) -> Iterator[TimelineItem]:
    # The name and relation only: a guardian's contact details are protected like the person's.
    for guardian in (
        access.visible(user, Guardian)
        .filter(person_id__in=list(persons))
        .only("id", "person_id", "name", "relation", "created_at")
    ):
        yield TimelineItem(
            key=_key(guardian),
            when=guardian.created_at,
            category=RECORD,
            title=_("Guardian recorded: %(name)s (%(relation)s)")
            % {"name": guardian.name, "relation": guardian.get_relation_display()},
            url=reverse("cases:person-detail", args=[guardian.person_id]),
            owner_agency_id=persons[guardian.person_id].owner_agency_id,
            person_id=guardian.person_id,
        )


def _consents(user: Staff, persons: dict[int, Person]) -> Iterator[TimelineItem]:
    consents = access.visible(user, Consent).filter(person_id__in=list(persons)).prefetch_related("recipients")
    for consent in consents:
        url = reverse("cases:consent-detail", args=[consent.pk])
        agency_id = persons[consent.person_id].owner_agency_id
        recipients = ", ".join(sorted(agency.name for agency in consent.recipients.all()))
        yield TimelineItem(
            key=_key(consent, "given"),
            when=start_of_day(consent.given_on),
            date_only=True,
            category=CONSENT,
            title=_("Consent given"),
            detail=_("What may be shared: %(subjects)s. To: %(recipients)s.")
            % {"subjects": ", ".join(consent.subject_labels), "recipients": recipients or "–"},
            url=url,
            owner_agency_id=agency_id,
            person_id=consent.person_id,
        )
        if consent.revoked_at is not None:
            revoked_on = consent.revoked_on or consent.revoked_at.date()
            yield TimelineItem(
                key=_key(consent, "revoked"),
                when=consent.revoked_at,
                category=CONSENT,
                title=_("Consent revoked"),
                detail=_("Revoked on %(day)s; the shares made on it ended.")
                % {"day": date_format(revoked_on, "Y-m-d")},
                url=url,
                owner_agency_id=agency_id,
                person_id=consent.person_id,
            )


def _sections_and_journals(user: Staff, person_ids: Sequence[int]) -> Iterator[TimelineItem]:
    """Sections in full or as a summary, as the user's grants give them; journals of the full ones only."""
    for kind, (model, note_model) in SECTION_KINDS.items():
        full: dict[int, Section] = {}
        for section, in_full in _sections_of_kind(user, model, person_ids):
            if in_full:
                full[section.pk] = section
            yield _section_item(user, kind, section, in_full)
        if not full:
            continue
        notes = (
            access.visible(user, note_model)
            .filter(**{"section_id__in": list(full)})
            .select_related("author")
            .order_by("-created_at", "-id")
        )
        journal = _name(note_model)
        for note in notes:
            section = full[note.section_id]  # type: ignore[attr-defined]
            author = {"journal": journal, "author": note.author}
            yield TimelineItem(
                key=_key(note),
                when=note.created_at,
                category=JOURNAL,
                title=(
                    _("%(journal)s: correction by %(author)s") % author
                    if note.corrects_id  # type: ignore[attr-defined]
                    else _("%(journal)s by %(author)s") % author
                ),
                detail=note.text,
                url=reverse("cases:section-detail", kwargs={"kind": kind, "pk": section.pk}),
                owner_agency_id=section.owner_agency_id,
                person_id=section.person_id,
            )


def _name(model: type[Model]) -> str:
    return capfirst(str(model._meta.verbose_name))


def _sections_of_kind(user: Staff, model: type[Section], person_ids: Sequence[int]) -> list[tuple[Section, bool]]:
    """The sections of one kind on these records: (section, seen in full). One query for the kind, none
    when the role may see it neither in full nor as a summary. Only the summary's fields are read: the
    item shows no more, whichever way the section is seen."""
    may_view = access.role_allows(user, "view", model)
    if not may_view and not access.role_allows(user, "view_summary", model):
        return []
    in_full = access.visible(user, model, "view")
    full = ExpressionWrapper(Q(pk__in=in_full.values("pk")), output_field=BooleanField()) if may_view else Value(False)
    sections = (
        (in_full | access.visible(user, model, "view_summary"))
        .filter(person_id__in=person_ids)
        .select_related("owner_agency")
        .only(*access.partial_fields(model, "view_summary"), "person_id", "owner_agency_id", "owner_agency__name")
        .annotate(full=full)
    )
    return [(section, section.full) for section in sections]


def _section_item(user: Staff, kind: str, section: Section, full: bool) -> TimelineItem:
    title = _("%(section)s opened") % {"section": _name(type(section))}
    if section.owner_agency_id != user.agency_id:
        title = _("%(section)s opened by %(agency)s, shared with you") % {
            "section": _name(type(section)),
            "agency": section.owner_agency.name,
        }
    # The summary fields only, for both kinds of view: free-text notes stay on the section's page.
    shown = []
    for name in type(section).summary_fields:
        field = section._meta.get_field(name)
        value = getattr(section, f"get_{name}_display")() if getattr(field, "choices", None) else getattr(section, name)
        if value not in (None, ""):
            label = capfirst(str(getattr(field, "verbose_name", name)))
            shown.append(_("%(field)s: %(value)s") % {"field": label, "value": value})
    if not full:
        shown.append(_("Summary only"))
    return TimelineItem(
        key=_key(section, "opened"),
        when=section.created_at,
        category=SECTION,
        title=title,
        detail=" · ".join(str(part) for part in shown),
        url=reverse("cases:section-detail", kwargs={"kind": kind, "pk": section.pk}),
        owner_agency_id=section.owner_agency_id,
        person_id=section.person_id,
    )


def _shares(user: Staff, person_ids: Sequence[int]) -> Iterator[TimelineItem]:
    """To the sender: made and ended. To the recipient: received (only while it works: an ended share's
    grant is gone). The sender never sees which record of theirs the recipient linked it to."""
    shares = (
        access.visible(user, Share)
        .filter(Q(person_id__in=person_ids) | Q(recipient_person_id__in=person_ids))
        .select_related("owner_agency", "receiving_agency", "receiving_team")
    )
    subjects = dict(ShareSubject.choices)
    for share in shares:
        url = reverse("cases:share-detail", args=[share.pk])
        what = {"subject": subjects.get(share.subject, share.subject)}
        terms = _("Legal basis: %(basis)s. Scope: %(scope)s. Valid until %(day)s.") % {
            "basis": share.get_legal_basis_display(),
            "scope": share.get_scope_display(),
            "day": date_format(share.valid_until, "Y-m-d"),
        }
        if share.owner_agency_id == user.agency_id:
            to = share.receiving_agency.name
            if share.receiving_team is not None:
                to = f"{to} ({share.receiving_team.name})"
            yield TimelineItem(
                key=_key(share, "made"),
                when=share.created_at,
                category=SHARE,
                title=_("%(subject)s shared with %(to)s") % {**what, "to": to},
                detail=terms,
                url=url,
                owner_agency_id=share.owner_agency_id,
                person_id=share.person_id,
            )
            if share.ended_at is not None:
                yield TimelineItem(
                    key=_key(share, "ended"),
                    when=share.ended_at,
                    category=SHARE,
                    title=_("Share ended: %(reason)s") % {"reason": share.get_ended_reason_display()},
                    detail=_("%(subject)s to %(to)s") % {**what, "to": to},
                    url=url,
                    owner_agency_id=share.owner_agency_id,
                    person_id=share.person_id,
                )
        elif share.receiving_agency_id == user.agency_id:
            # The receipt is the receiving agency's own knowledge, filed under its record when linked.
            yield TimelineItem(
                key=_key(share, "received"),
                when=share.created_at,
                category=SHARE,
                title=_("%(subject)s received from %(agency)s") % {**what, "agency": share.owner_agency.name},
                detail=terms,
                url=url,
                owner_agency_id=share.receiving_agency_id,
                person_id=share.recipient_person_id or share.person_id,
            )


# The sender's partial view of a report, and what the item needs to name it.
STATUS_FIELDS = (
    *access.partial_fields(ConcernReport, "view_status"),
    "person_id",
    "owner_agency_id",
    "receiving_agency__name",
)


def _concerns(user: Staff, person_ids: Sequence[int]) -> Iterator[TimelineItem]:
    """Reports of concern the user's team sent about these records: sent and received, nothing more."""
    if not access.role_allows(user, "view_status", ConcernReport):
        return
    reports = (
        access.visible(user, ConcernReport, "view_status")
        .filter(person_id__in=person_ids)
        .select_related("receiving_agency")
        .only(*STATUS_FIELDS)
    )
    for report in reports:
        url = reverse("cases:concern-detail", args=[report.pk])
        yield TimelineItem(
            key=_key(report, "sent"),
            when=report.created_at,
            category=CONCERN,
            title=_("Report of concern sent to %(agency)s") % {"agency": report.receiving_agency.name},
            url=url,
            owner_agency_id=report.owner_agency_id,
            person_id=report.person_id,
        )
        if report.received_at is not None:
            yield TimelineItem(
                key=_key(report, "received"),
                when=report.received_at,
                category=CONCERN,
                title=_("Report of concern received by %(agency)s") % {"agency": report.receiving_agency.name},
                url=url,
                owner_agency_id=report.owner_agency_id,
                person_id=report.person_id,
            )


def register() -> None:
    register_timeline_provider("cases", person_items, categories=CATEGORIES)
