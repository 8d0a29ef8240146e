"""Every read of person records starts from the access policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.identity import looks_like_identity_number, parse_identity_number
from cases.models import (
    ConcernReport,
    Consent,
    Guardian,
    JournalNote,
    Person,
    PersonAlias,
    ProbationSection,
    Section,
    Share,
    ShareSubject,
)
from cases.models.sections import SECTION_KINDS
from cases.names import fold
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record, identity_term_digest

PERSON_SORTS = {
    "name": ("family_name", "given_name", "id"),
    "-name": ("-family_name", "-given_name", "-id"),
    "born": ("birth_year", "id"),
    "-born": ("-birth_year", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


# A search looks at no more words than this (each one narrows it).
SEARCH_WORDS = 6


def person_list(*, user: Staff, sort: str = "name", term: str = "") -> QuerySet[Person]:
    """Persons the user may see, optionally searched: an identity number in any common format (10 or 12
    digits, with or without the dash; a birth date alone as YYYYMMDD or YYMMDD), a birth year, or names
    and aliases (partial, case- and accent-insensitive: "ahmed" finds "Åhmed"). Words narrow each other:
    "karlsson 2003" is the Karlssons born in 2003."""
    persons = access.visible(user, Person)
    term = term.strip()
    if term:
        words = [term] if looks_like_identity_number(term) else fold(term).split()[:SEARCH_WORDS]
        for word in words:
            persons = persons.filter(_search_word(word))
    return persons.order_by(*PERSON_SORTS.get(sort, PERSON_SORTS["name"]))


def _search_word(word: str) -> Q:
    if looks_like_identity_number(word):
        return _identity_number_matches(word)
    if word.isascii() and word.isdigit() and len(word) == 4:
        return Q(birth_year=int(word))
    return Q(search_key__contains=word)


def _identity_number_matches(term: str) -> Q:
    """A whole number matches its canonical form; a birth date alone matches the numbers that start with it."""
    try:
        return Q(identity_number=parse_identity_number(term).canonical)
    except ValidationError:
        pass
    digits = "".join(ch for ch in term if ch.isascii() and ch.isdigit())
    if len(digits) == 8:
        return Q(identity_number__startswith=digits)
    if len(digits) == 6:
        return Q(identity_number__startswith=f"19{digits}") | Q(identity_number__startswith=f"20{digits}")
    return Q(pk__in=[])


def search_audit_detail(term: str) -> dict[str, Any]:
    """What a search's audit event says about its term: an identity number only as a keyed HMAC, a name
    only as its number of words. The term itself is never stored."""
    if looks_like_identity_number(term):
        return {"term_hmac": identity_term_digest(term)}
    return {"term_words": len(term.split())}


def person_duplicates(
    *, user: Staff, given_name: str, family_name: str, identity_number: str | None, birth_year: int | None
) -> QuerySet[Person]:
    """Records the user may see that may be the same person as the one about to be registered: the same
    identity number, or the same name and birth date (birth year when either has no number). Only what the
    user may see is ever offered: another agency's record of the same person stays unknown."""
    number = None
    if identity_number:
        try:
            parsed = parse_identity_number(identity_number)
        except ValidationError:
            pass
        else:
            number, birth_year = parsed.canonical, birth_year or parsed.birth_year
    same = Q(identity_number=number) if number else Q(pk__in=[])
    name = fold(f"{given_name} {family_name}")
    if name:
        # The folded names, then the aliases: the same name, not a longer one that starts like it.
        named = Q(search_key=name) | Q(search_key__startswith=f"{name} ")
        if number:
            same |= named & Q(identity_number__startswith=number[:8])
        if birth_year:
            same |= named & Q(birth_year=birth_year) & (Q(identity_number__isnull=True) if number else Q())
    return access.visible(user, Person).filter(same).order_by("family_name", "given_name", "id")[:10]


def person_record_ids(user: Staff, person: Person) -> list[int]:
    """The records "the person" is for this user: their own record and the records of other agencies linked
    to it by a share that still works."""
    linked = active_shares(user).filter(recipient_person=person).values_list("person_id", flat=True)
    return [person.pk, *sorted(set(linked) - {person.pk})]


def person_recent(*, user: Staff, limit: int = 10) -> list[Person]:
    return list(access.visible(user, Person).order_by("-updated_at", "-id")[:limit])


# --------------------------------------------------------------------------------------------------
# The person page: what of a person the user may see


@dataclass(frozen=True)
class SectionView:
    """A section as one user may see it: in full (fields and journal) or its summary only, and the
    share it reached them through (None for the agency's own section)."""

    kind: str
    section: Section
    full: bool
    share: Share | None

    @property
    def summary_fields(self) -> tuple[str, ...]:
        return type(self.section).summary_fields


def person_for(user: Staff, pk: Any, *, purpose: str) -> tuple[Person, bool]:
    """The person record in full, or only its identity when that is what was shared with the user
    (a partial view). 404 (audited) when neither."""
    person = access.visible(user, Person, pk=pk).first() if _is_id(pk) else None
    if person is not None:
        audit_record(actor=user, action=AuditAction.VIEW, obj=person, purpose=purpose, detail={"access": "view"})
        return person, True
    try:
        identity = access.get_visible_or_404(
            user, Person, pk, action="view_identity", purpose=purpose, audit=False, audit_denial=False
        )
    except Http404:
        # The user asked for the person: the denial is of "view" (get_visible_or_404 audits that).
        access.get_visible_or_404(user, Person, pk, action="view", purpose=purpose)
        raise
    audit_record(actor=user, action=AuditAction.VIEW, obj=identity, purpose=purpose, detail={"access": "view_identity"})
    return identity, False


def _is_id(pk: Any) -> bool:
    try:
        return 0 < int(pk) < 2**63
    except (TypeError, ValueError):
        return False


def active_shares(user: Staff) -> QuerySet[Share]:
    """Shares the user may see that still work today."""
    return access.visible(user, Share).filter(ended_at__isnull=True, valid_until__gte=timezone.localdate())


def person_sections(user: Staff, person: Person) -> list[SectionView]:
    """The sections of this record the user may see, and those shared with the user's agency that are
    linked to it. Sections the user may not see are absent: not greyed out, not counted."""
    received = list(
        active_shares(user)
        .filter(recipient_person=person)
        .exclude(subject=ShareSubject.IDENTITY)
        .select_related("owner_agency")
    )
    person_ids = {person.pk} | {share.person_id for share in received}
    views: list[SectionView] = []
    for kind, (model, _note) in SECTION_KINDS.items():
        seen: set[int] = set()
        for action, full in (("view", True), ("view_summary", False)):
            if not access.role_allows(user, action, model):
                continue
            for section in access.visible(user, model, action).filter(person_id__in=person_ids).exclude(pk__in=seen):
                seen.add(section.pk)
                share = next((s for s in received if s.person_id == section.person_id and s.subject == kind), None)
                views.append(SectionView(kind, section, full, share))
    return views


def section_for(user: Staff, kind: str, pk: Any, *, purpose: str) -> SectionView:
    """One section in full or as a summary, as the user's grants allow; 404 (audited) otherwise."""
    if kind not in SECTION_KINDS:
        raise Http404
    model, _note = SECTION_KINDS[kind]
    section = access.visible(user, model, pk=pk).select_related("owner_agency").first() if _is_id(pk) else None
    full = section is not None
    if section is None:
        section = access.get_visible_or_404(user, model, pk, action="view_summary", purpose=purpose)
    else:
        audit_record(actor=user, action=AuditAction.VIEW, obj=section, purpose=purpose, detail={"access": "view"})
    share = None
    if section.owner_agency_id != user.agency_id:
        share = (
            active_shares(user)
            .filter(person_id=section.person_id, subject=kind)
            .select_related("owner_agency", "consent")
            .order_by("-valid_until")
            .first()
        )
    return SectionView(kind, section, full, share)


def section_journal(user: Staff, view: SectionView) -> QuerySet[JournalNote]:
    """The journal of a section, newest first; empty for a summary view."""
    _model, note_model = SECTION_KINDS[view.kind]
    if not view.full:
        return note_model._default_manager.none()
    return (
        access.visible(user, note_model)
        .filter(**{"section_id": view.section.pk})
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def person_aliases(user: Staff, person: Person) -> QuerySet[PersonAlias]:
    return access.visible(user, PersonAlias).filter(person=person).order_by("name", "id")


def person_guardians(user: Staff, person: Person) -> QuerySet[Guardian]:
    return access.visible(user, Guardian).filter(person=person).order_by("name", "id")


def person_consents(user: Staff, person: Person) -> QuerySet[Consent]:
    return (
        access.visible(user, Consent)
        .filter(person=person)
        .prefetch_related("recipients", "guardians")
        .order_by("-given_on", "-id")
    )


def person_shares(user: Staff, person: Person) -> QuerySet[Share]:
    """Shares the user's agency made of this record."""
    return (
        access.visible(user, Share)
        .filter(person=person, owner_agency_id=user.agency_id)
        .select_related("receiving_agency", "receiving_team", "consent", "created_by")
        .order_by("-created_at", "-id")
    )


SHARE_SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "valid": ("valid_until", "id"),
    "-valid": ("-valid_until", "-id"),
}


def shares_received(user: Staff, *, sort: str = "-created", include_ended: bool = False) -> QuerySet[Share]:
    """Shares made to the user's agency or team that the user may see (active ones unless asked)."""
    shares = access.visible(user, Share).filter(receiving_agency_id=user.agency_id)
    if not include_ended:
        shares = shares.filter(ended_at__isnull=True, valid_until__gte=timezone.localdate())
    return shares.select_related("owner_agency", "receiving_team", "person", "recipient_person").order_by(
        *SHARE_SORTS.get(sort, SHARE_SORTS["-created"])
    )


def concern_reports_received(user: Staff) -> QuerySet[ConcernReport]:
    return (
        access.visible(user, ConcernReport)
        .select_related("owner_agency", "received_by")
        .order_by("received_at", "-urgent", "-created_at", "-id")
    )


def concern_reports_sent(user: Staff, person: Person) -> QuerySet[ConcernReport]:
    """Reports the user's team sent about this record: their status only (received or not)."""
    return (
        access.visible(user, ConcernReport, "view_status")
        .filter(person=person)
        .select_related("receiving_agency")
        .order_by("-created_at", "-id")
        .only(*access.partial_fields(ConcernReport, "view_status"), "person_id", "receiving_agency__name")
    )


def shared_section_id(user: Staff, share: Share) -> int | None:
    """The section a share names, if the user may open it (in full or its summary)."""
    if share.subject == ShareSubject.IDENTITY:
        return None
    model, _note = SECTION_KINDS[share.subject]
    for action in ("view", "view_summary"):
        if access.role_allows(user, action, model):
            pk = (
                access.visible(user, model, action)
                .filter(person_id=share.person_id)
                .values_list("pk", flat=True)
                .first()
            )
            if pk is not None:
                return pk
    return None


def concern_for(user: Staff, pk: Any, *, purpose: str) -> tuple[ConcernReport, bool]:
    """The report in full (social services that received it), or only its status (the sender's team);
    404 (audited) otherwise."""
    report = access.visible(user, ConcernReport, pk=pk).select_related("owner_agency", "receiving_agency").first()
    if report is not None:
        audit_record(actor=user, action=AuditAction.VIEW, obj=report, purpose=purpose, detail={"access": "view"})
        return report, True
    return access.get_visible_or_404(user, ConcernReport, pk, action="view_status", purpose=purpose), False


def visible_person_ids(user: Staff, ids: Iterable[int | None]) -> set[int]:
    """Which of these person records the user may open (e.g. the records shares are linked to: a linked
    record of a colleague outside the user's scope must not be revealed by the link)."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return set()
    return set(access.visible(user, Person).filter(pk__in=wanted).values_list("pk", flat=True))


def supervision_of(user: Staff, person_ids: Iterable[int]) -> dict[int, ProbationSection]:
    """For these person records, the probation section the user may see on each (in full or as a summary):
    the user's own (a probation officer's record) or one shared with the user's team or agency and linked
    to the record. Those the user may not see are absent. At most three queries whatever the number."""
    wanted = set(person_ids)
    if not wanted or not (
        access.role_allows(user, "view", ProbationSection) or access.role_allows(user, "view_summary", ProbationSection)
    ):
        return {}
    # Only shares the user's agency received: the link to the recipient's record is the recipient's, and the
    # sender never learns whether it exists.
    linked = {
        share.person_id: share.recipient_person_id
        for share in active_shares(user)
        .filter(subject=ShareSubject.PROBATION, receiving_agency_id=user.agency_id, recipient_person_id__in=wanted)
        .only("person_id", "recipient_person_id")
    }
    holders = wanted | set(linked)
    found: dict[int, ProbationSection] = {}
    for action in ("view", "view_summary"):
        if not access.role_allows(user, action, ProbationSection):
            continue
        for section in access.visible(user, ProbationSection, action).filter(person_id__in=holders):
            target = section.person_id if section.person_id in wanted else linked.get(section.person_id)
            if target is not None:
                found.setdefault(target, section)
    return found
