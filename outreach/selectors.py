"""Every read of the exit program starts from the access policy (gvi/access.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from cases.names import fold
from gvi import access
from gvi.accounts import selectors as accounts_selectors
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from outreach.models import Contact, ExitCase, Referral, Relative, SupportMeasure, ThreatAssessment

# --------------------------------------------------------------------------------------------------
# Referrals


def referrals_received(user: Staff, *, status: str = "", open_only: bool = False) -> QuerySet[Referral]:
    """Referrals the user's team or municipality received, handled in full."""
    items = access.visible(user, Referral).select_related("referring_agency", "receiving_team", "exit_case")
    if status:
        items = items.filter(status=status)
    if open_only:
        items = items.filter(status__in=(Referral.Status.RECEIVED, Referral.Status.ASSESSED, Referral.Status.ACCEPTED))
    return items


def referrals_sent(user: Staff) -> QuerySet[Referral]:
    """Referrals the user or their team sent: the status only (the partial view `view_status`)."""
    return access.visible(user, Referral, "view_status").select_related("owner_agency", "source_person")


def referral_for(user: Staff, pk: Any, *, purpose: str) -> tuple[Referral, bool]:
    """The referral in full (the receiving side), or only its status (the referrer's team); 404 (audited)
    otherwise."""
    referral = (
        access.visible(user, Referral)
        .select_related("referring_agency", "referred_by", "receiving_team", "owner_agency", "share", "exit_case")
        .filter(pk=pk)
        .first()
        if _is_id(pk)
        else None
    )
    if referral is not None:
        audit_record(actor=user, action=AuditAction.VIEW, obj=referral, purpose=purpose, detail={"access": "view"})
        return referral, True
    return access.get_visible_or_404(user, Referral, pk, action="view_status", purpose=purpose), False


def referral_status_fields(referral: Referral) -> dict[str, Any]:
    """The fields of the partial view, and nothing else (keyed by the names the policy declares)."""
    return {field: getattr(referral, field) for field in access.partial_fields(Referral, "view_status")}


def _is_id(pk: Any) -> bool:
    try:
        return 0 < int(pk) < 2**63
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------------
# Exit cases

CASE_SORTS = {
    "opened": ("opened_on", "id"),
    "-opened": ("-opened_on", "-id"),
    "follow-up": ("next_follow_up_on", "id"),
    "-follow-up": ("-next_follow_up_on", "-id"),
    "name": ("person__family_name", "person__given_name", "id"),
    "-name": ("-person__family_name", "-person__given_name", "-id"),
    "last-contact": ("last_contact_on", "id"),
    "-last-contact": ("-last_contact_on", "-id"),
}


def exit_cases(
    user: Staff,
    *,
    whose: str = "",
    phase: str = "",
    state: str = "open",
    overdue: bool = False,
    term: str = "",
    sort: str = "follow-up",
) -> QuerySet[ExitCase]:
    """The exit cases the user may see: `whose` "mine" (responsible) or "team" (the user's team), else all
    the role reaches; `state` "open", "closed" or "" (both); `term` matches the person's names."""
    items = access.visible(user, ExitCase).select_related("person", "responsible", "team")
    if whose == "mine":
        items = items.filter(responsible_id=user.pk)
    elif whose == "team":
        items = items.filter(team_id=user.team_id) if user.team_id else items.none()
    if state == "open":
        items = items.filter(closed_on__isnull=True)
    elif state == "closed":
        items = items.filter(closed_on__isnull=False)
    if phase:
        items = items.filter(phase=phase)
    if overdue:
        items = items.filter(closed_on__isnull=True, next_follow_up_on__lt=timezone.localdate())
    for word in fold(term).split():
        items = items.filter(person__search_key__contains=word)
    return items.order_by(*CASE_SORTS.get(sort, CASE_SORTS["follow-up"]))


def exit_case_for(user: Staff, pk: Any, *, action: str = "view", purpose: str) -> ExitCase:
    """One exit case for the user; 404 when out of reach. The look, or the denial, is audited."""
    return access.get_visible_or_404(
        user, ExitCase, pk, action=action, purpose=purpose, related=("person", "responsible", "team", "referral")
    )


def person_exit_cases(user: Staff, person_id: int) -> QuerySet[ExitCase]:
    return access.visible(user, ExitCase).filter(person_id=person_id).select_related("responsible")


def case_contacts(user: Staff, case: ExitCase) -> QuerySet[Contact]:
    return (
        access.visible(user, Contact)
        .filter(exit_case=case)
        .select_related("created_by")
        .prefetch_related("staff", "agencies")
    )


def case_threats(user: Staff, case: ExitCase) -> QuerySet[ThreatAssessment]:
    return access.visible(user, ThreatAssessment).filter(exit_case=case).select_related("created_by")


def case_measures(user: Staff, case: ExitCase) -> QuerySet[SupportMeasure]:
    return with_place_hidden(user, access.visible(user, SupportMeasure).filter(exit_case=case)).select_related(
        "relative"
    )


def with_place_hidden(user: Staff, measures: QuerySet[SupportMeasure]) -> QuerySet[SupportMeasure]:
    """Annotate `place_hidden`: true for the relocation of a relative with protected identity, unless the user
    holds the case's `view_contact` (the responsible worker). Where they moved to is address data. One
    expression, so a list costs no query per row."""
    contact_cases = access.visible(user, ExitCase, "view_contact").values("pk")
    protected = Q(kind=SupportMeasure.Kind.RELOCATION, relative__protected_identity=True)
    return measures.annotate(
        place_hidden=Case(
            When(protected & ~Q(exit_case_id__in=contact_cases), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def case_relatives(user: Staff, case: ExitCase) -> QuerySet[Relative]:
    return access.visible(user, Relative).filter(exit_case=case)


def child_for[M: (Contact, ThreatAssessment, SupportMeasure, Relative)](
    user: Staff, model: type[M], pk: Any, *, action: str = "view", purpose: str
) -> M:
    """One row of an exit case (a contact, a measure ...), with its case; 404 (audited) when out of reach."""
    row = access.get_visible_or_404(user, model, pk, action=action, purpose=purpose)
    return model._default_manager.select_related("exit_case", "exit_case__person").get(pk=row.pk)


# --------------------------------------------------------------------------------------------------
# Caseloads


@dataclass(frozen=True)
class Caseload:
    open_cases: list[ExitCase]
    overdue: list[ExitCase]
    contacts_this_month: int


def _month_start(today: date) -> date:
    return today.replace(day=1)


def caseload(user: Staff, *, limit: int = 50) -> Caseload:
    """The user's own open cases (those she is responsible for), the overdue follow-ups among them, and the
    contacts logged on them this month."""
    today = timezone.localdate()
    mine = exit_cases(user, whose="mine", state="open", sort="follow-up")
    open_cases = list(mine[:limit])
    overdue = [case for case in open_cases if case.follow_up_overdue(today)]
    contacts = (
        access.visible(user, Contact)
        .filter(exit_case__responsible_id=user.pk, contact_on__gte=_month_start(today), contact_on__lte=today)
        .count()
    )
    return Caseload(open_cases=open_cases, overdue=overdue, contacts_this_month=contacts)


@dataclass(frozen=True)
class WorkerLoad:
    worker: Staff
    open_cases: int
    overdue: int
    contacts_this_month: int


def team_load(user: Staff) -> list[WorkerLoad]:
    """Per responsible worker, over the open cases the user may see: how many cases, overdue follow-ups and
    contacts this month. Workers with no open case are listed too (staff of the user's agency). Fixed query
    count: one aggregate, one count of contacts, one of the workers."""
    today = timezone.localdate()
    cases = access.visible(user, ExitCase).filter(closed_on__isnull=True)
    per_worker: dict[int, dict[str, int]] = {
        row["responsible"]: {"open_cases": row["open_cases"], "overdue": row["overdue"]}
        for row in cases.values("responsible").annotate(
            open_cases=Count("id"), overdue=Count("id", filter=Q(next_follow_up_on__lt=today))
        )
    }
    contacts = {
        row["exit_case__responsible"]: row["n"]
        for row in access.visible(user, Contact)
        .filter(contact_on__gte=_month_start(today), contact_on__lte=today)
        .values("exit_case__responsible")
        .annotate(n=Count("id"))
    }
    workers = list(reassign_candidates(user)) if access.role_allows(user, "reassign", ExitCase) else []
    known = {w.pk for w in workers}
    extra = [pk for pk in per_worker if pk not in known]
    if extra:
        workers += list(accounts_selectors.staff_by_ids(extra))
    return [
        WorkerLoad(
            worker=worker,
            open_cases=per_worker.get(worker.pk, {}).get("open_cases", 0),
            overdue=per_worker.get(worker.pk, {}).get("overdue", 0),
            contacts_this_month=contacts.get(worker.pk, 0),
        )
        for worker in sorted(workers, key=lambda w: (w.last_name, w.first_name, w.pk))
    ]


def reassign_candidates(user: Staff) -> QuerySet[Staff]:
    """Who may hold an exit case of the user's municipality (program structure, not case data)."""
    return accounts_selectors.caseworkers(agency_id=user.agency_id)
