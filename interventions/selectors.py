"""Every read of call-ins and custom notifications starts from the access policy (gvi/access.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from cases.models import Person, ProbationSection
from cases.selectors import supervision_of
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.mapping.models import Incident
from interventions.models import (
    CallIn,
    CallInInvitation,
    CustomNotification,
    EnforcementAction,
    EnforcementRound,
    IncidentResponse,
    ResponseTask,
    ResponseTemplateItem,
    Speaker,
)


def _is_id(pk: Any) -> bool:
    try:
        return 0 < int(pk) < 2**63
    except (TypeError, ValueError):
        return False


def _full_or_partial[
    M: (CallIn, CallInInvitation, CustomNotification, EnforcementRound, IncidentResponse, ResponseTask)
](user: Staff, model: type[M], pk: Any, partial: str, *, purpose: str, related: tuple[str, ...] = ()) -> tuple[M, bool]:
    """The record in full, or the declared partial view; 404 (audited) when neither."""
    obj = access.visible(user, model, pk=pk).select_related(*related).first() if _is_id(pk) else None
    if obj is not None:
        audit_record(actor=user, action=AuditAction.VIEW, obj=obj, purpose=purpose, detail={"access": "view"})
        return obj, True
    return access.get_visible_or_404(user, model, pk, action=partial, purpose=purpose), False


def partial_values(obj: Any, action: str) -> dict[str, Any]:
    """The fields of a partial view, and nothing else."""
    return {field: getattr(obj, field) for field in access.partial_fields(type(obj), action)}


# --------------------------------------------------------------------------------------------------
# Call-ins

CALL_IN_SORTS = {
    "date": ("starts_at", "id"),
    "-date": ("-starts_at", "-id"),
    "place": ("place", "starts_at", "id"),
    "-place": ("-place", "-starts_at", "-id"),
    "status": ("status", "-starts_at", "-id"),
    "-status": ("-status", "-starts_at", "-id"),
}


def call_ins(user: Staff, *, when: str = "", status: str = "", sort: str = "-date") -> QuerySet[CallIn]:
    """Call-ins the user holds in full (the police): `when` "upcoming" or "past"."""
    items = access.visible(user, CallIn).prefetch_related("groups")
    return _filtered(items, when=when, status=status, sort=sort)


def call_in_schedule(user: Staff, *, when: str = "", status: str = "", sort: str = "-date") -> QuerySet[CallIn]:
    """Call-ins whose schedule only the user holds (other agencies): date, place and status."""
    items = access.visible(user, CallIn, "view_schedule").only("id", "starts_at", "place", "status", "program_id")
    return _filtered(items, when=when, status=status, sort=sort)


def _filtered(items: QuerySet[CallIn], *, when: str, status: str, sort: str) -> QuerySet[CallIn]:
    now = timezone.now()
    if when == "upcoming":
        items = items.filter(starts_at__gte=now)
    elif when == "past":
        items = items.filter(starts_at__lt=now)
    if status:
        items = items.filter(status=status)
    return items.order_by(*CALL_IN_SORTS.get(sort, CALL_IN_SORTS["-date"]))


def call_in_for(user: Staff, pk: Any, *, purpose: str) -> tuple[CallIn, bool]:
    return _full_or_partial(user, CallIn, pk, "view_schedule", purpose=purpose)


def call_in_speakers(user: Staff, call_in: CallIn) -> QuerySet[Speaker]:
    return access.visible(user, Speaker).filter(call_in=call_in).select_related("staff")


@dataclass(frozen=True)
class InvitationRow:
    invitation: CallInInvitation
    # The probation section the viewer may see on the invitee (own or shared), else None.
    supervision: ProbationSection | None


def call_in_invitations(user: Staff, call_in: CallIn) -> list[InvitationRow]:
    """The invitations of a call-in, each with the supervision status the viewer may see. Fixed queries."""
    invitations = list(
        access.visible(user, CallInInvitation)
        .filter(call_in=call_in)
        .select_related("person", "referral")
        .order_by("person__family_name", "person__given_name", "id")
    )
    supervision = supervision_of(user, [i.person_id for i in invitations])
    return [InvitationRow(i, supervision.get(i.person_id)) for i in invitations]


@dataclass(frozen=True)
class Attendance:
    invited: int
    confirmed: int
    attended: int
    left_early: int
    absent: int

    @property
    def came(self) -> int:
        return self.attended + self.left_early


def _attendance(invitations: QuerySet[CallInInvitation]) -> Attendance:
    status = CallInInvitation.Status
    counts = invitations.aggregate(
        invited=Count("id"),
        confirmed=Count("id", filter=Q(status=status.CONFIRMED)),
        attended=Count("id", filter=Q(status=status.ATTENDED)),
        left_early=Count("id", filter=Q(status=status.LEFT_EARLY)),
        absent=Count("id", filter=Q(status=status.ABSENT)),
    )
    return Attendance(**counts)


def call_in_attendance(user: Staff, call_in: CallIn) -> Attendance:
    """The call-in's counts for one who holds it (the call-in page)."""
    return _attendance(access.visible(user, CallInInvitation).filter(call_in=call_in))


def attendance_counts(user: Staff, **period: Any) -> Attendance:
    """Counts over the program's invitations for the reports (access.countable: never rows). `period`
    filters on the call-in, e.g. call_in__starts_at__gte=..."""
    return _attendance(access.countable(user, CallInInvitation).filter(**period))


def client_invitations(user: Staff) -> QuerySet[CallInInvitation]:
    """The invitations of the probation officer's own clients (the partial view `view_client`)."""
    return (
        access.visible(user, CallInInvitation, "view_client")
        .select_related("call_in", "probation_person")
        .order_by("-call_in__starts_at", "id")
    )


def invitation_for(user: Staff, pk: Any, *, purpose: str) -> tuple[CallInInvitation, bool]:
    return _full_or_partial(
        user, CallInInvitation, pk, "view_client", purpose=purpose, related=("call_in", "person", "referral")
    )


# --------------------------------------------------------------------------------------------------
# Custom notifications

NOTIFICATION_SORTS = {
    "requested": ("requested_at", "id"),
    "-requested": ("-requested_at", "-id"),
    "status": ("status", "-requested_at", "-id"),
    "-status": ("-status", "-requested_at", "-id"),
    "name": ("person_name", "id"),
    "-name": ("-person_name", "-id"),
}


def custom_notifications(
    user: Staff, *, status: str = "", sort: str = "-requested", of_person: Person | None = None
) -> QuerySet[CustomNotification]:
    """Custom notifications the user holds in full (the police); `of_person`: that person's only (the policy
    then looks up the grants of those few, not of every notification the police hold)."""
    among = access.EVERY if of_person is None else CustomNotification.objects.filter(person=of_person).values("pk")
    items = access.visible(user, CustomNotification, pk=among).select_related("person")
    if status:
        items = items.filter(status=status)
    return items.order_by(*NOTIFICATION_SORTS.get(sort, NOTIFICATION_SORTS["-requested"]))


def notifications_to_deliver(user: Staff) -> QuerySet[CustomNotification]:
    """Those the user delivers with the police: the plan and outcome only (`view_plan`)."""
    return access.visible(user, CustomNotification, "view_plan").order_by("-requested_at", "-id")


def custom_notification_for(user: Staff, pk: Any, *, purpose: str) -> tuple[CustomNotification, bool]:
    return _full_or_partial(user, CustomNotification, pk, "view_plan", purpose=purpose, related=("person",))


def notification_deliverers(notification: CustomNotification) -> list[Staff]:
    """Who delivers it (part of the plan, shown to all who see the plan)."""
    return list(notification.deliverers.select_related("agency").order_by("last_name", "first_name"))


# --------------------------------------------------------------------------------------------------
# Enforcement rounds

ROUND_SORTS = {
    "started": ("started_on", "id"),
    "-started": ("-started_on", "-id"),
    "status": ("status", "-started_on", "-id"),
    "-status": ("-status", "-started_on", "-id"),
    "group": ("group__name", "-started_on", "-id"),
    "-group": ("-group__name", "-started_on", "-id"),
}


def enforcement_rounds(user: Staff, *, status: str = "", sort: str = "-started") -> QuerySet[EnforcementRound]:
    """Rounds the user holds in full (the police), with their group and the number of actions."""
    items = access.visible(user, EnforcementRound).select_related("group").annotate(action_count=Count("actions"))
    if status:
        items = items.filter(status=status)
    return items.order_by(*ROUND_SORTS.get(sort, ROUND_SORTS["-started"]))


def round_summaries(user: Staff, *, status: str = "") -> QuerySet[EnforcementRound]:
    """Rounds whose summary only the user holds (an agency asked to act): the declared fields only."""
    items = access.visible(user, EnforcementRound, "view_summary").only(
        *access.partial_fields(EnforcementRound, "view_summary"), "program_id"
    )
    if status:
        items = items.filter(status=status)
    return items.order_by("-started_on", "-id")


def round_for(user: Staff, pk: Any, *, purpose: str) -> tuple[EnforcementRound, bool]:
    return _full_or_partial(user, EnforcementRound, pk, "view_summary", purpose=purpose, related=("group",))


def round_actions(user: Staff, round_: EnforcementRound) -> QuerySet[EnforcementAction]:
    """The round's actions the user sees: every one for the police, its own for an agency asked to act."""
    return (
        access.visible(user, EnforcementAction)
        .filter(round=round_)
        .select_related("acting_agency")
        .order_by("acted_on", "id")
    )


def actions_to_record(user: Staff) -> QuerySet[EnforcementAction]:
    """Planned actions whose result the user's agency records (the start page and the list of rounds)."""
    return (
        access.visible(user, EnforcementAction, "record_result")
        .filter(status=EnforcementAction.Status.PLANNED)
        .select_related("acting_agency")
        .order_by("acted_on", "id")
    )


# --------------------------------------------------------------------------------------------------
# Responses after incidents


def _seen_task_ids(user: Staff) -> tuple[QuerySet[Any], QuerySet[Any] | None]:
    """The ids of the tasks the user sees in full, and of those seen by their status only (None when the role has
    no status view)."""
    full = access.visible(user, ResponseTask).values("pk")
    if not access.role_allows(user, "view_status", ResponseTask):
        return full, None
    return full, access.visible(user, ResponseTask, "view_status").values("pk")


def tasks_seen(user: Staff) -> QuerySet[ResponseTask]:
    """Every task the user sees, each marked `full`: in full (an agency's own tasks) or by its status only (the
    police following another agency's task, `view_status`). Whoever shows a task that is not `full` shows only
    access.partial_fields(ResponseTask, "view_status"): never its note, assignee or who resolved it."""
    full, by_status = _seen_task_ids(user)
    if by_status is None:
        return access.visible(user, ResponseTask).annotate(full=Value(True, output_field=BooleanField()))
    # Both id lists come from the policy, each within the user's program.
    return ResponseTask.objects.filter(Q(pk__in=full) | Q(pk__in=by_status)).annotate(
        full=Case(When(pk__in=full, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def responses(user: Staff, *, status: str = "") -> QuerySet[IncidentResponse]:
    """Responses the user sees, in full (the police) or as the summary (an agency with tasks), newest incident
    first. Their task counts come from count_tasks(), for the shown page only."""
    action = "view" if access.role_allows(user, "view", IncidentResponse) else "view_summary"
    # The incident is the police's: its id is loaded for the full view only.
    police_only = ("incident_id",) if action == "view" else ()
    items = access.visible(user, IncidentResponse, action).only(
        *access.partial_fields(IncidentResponse, "view_summary"), "program_id", *police_only
    )
    if status:
        items = items.filter(status=status)
    return items.order_by("-occurred_at", "-id")


def count_tasks(user: Staff, shown: Iterable[IncidentResponse]) -> None:
    """Set `task_total`, `task_resolved` and `task_overdue` on each shown response, counting the tasks as far as
    the user sees them (for the police: their own tasks and those they follow by status). One query for a
    page: counting inside the list query made it count the tasks of every response before paging (75 ms at
    national scale)."""
    shown = list(shown)
    full_ids, status_ids = _seen_task_ids(user)
    seen = Q(pk__in=full_ids) if status_ids is None else Q(pk__in=full_ids) | Q(pk__in=status_ids)
    still_open = Q(status=ResponseTask.Status.OPEN)
    counts = {
        row["response_id"]: row
        for row in ResponseTask.objects.filter(seen, response_id__in=[response.pk for response in shown])
        .values("response_id")
        .annotate(
            total=Count("pk"),
            resolved=Count("pk", filter=~still_open),
            overdue=Count("pk", filter=still_open & Q(deadline__lt=timezone.now())),
        )
        .order_by()
    }
    for response in shown:
        row = counts.get(response.pk)
        response.task_total = row["total"] if row else 0  # type: ignore[attr-defined]
        response.task_resolved = row["resolved"] if row else 0  # type: ignore[attr-defined]
        response.task_overdue = row["overdue"] if row else 0  # type: ignore[attr-defined]


def response_for(user: Staff, pk: Any, *, purpose: str) -> tuple[IncidentResponse, bool]:
    return _full_or_partial(user, IncidentResponse, pk, "view_summary", purpose=purpose)


def response_tasks(user: Staff, response: IncidentResponse) -> QuerySet[ResponseTask]:
    """The response's tasks the user sees, each marked `full` (see tasks_seen): all of them for the police
    (another agency's by its status only), its own agency's for the others."""
    return (
        tasks_seen(user)
        .filter(response_id=response.pk)
        .select_related("owner_agency", "assignee", "resolved_by")
        .order_by("deadline", "order", "id")
    )


def task_for(user: Staff, pk: Any, *, purpose: str) -> tuple[ResponseTask, bool]:
    """One task in full, or by its status only (`view_status`); 404 (audited) when neither."""
    return _full_or_partial(
        user, ResponseTask, pk, "view_status", purpose=purpose, related=("owner_agency", "assignee")
    )


def open_tasks(user: Staff) -> QuerySet[ResponseTask]:
    """Open tasks of the user's own agency (its owners), soonest deadline first: the start page and the
    calendar. The police see other agencies' tasks but do not own them."""
    return (
        access.visible(user, ResponseTask, "change")
        .filter(status=ResponseTask.Status.OPEN, owner_agency_id=user.agency_id or 0)
        .select_related("response", "assignee")
        .order_by("deadline", "id")
    )


def overdue_tasks(user: Staff, *, now: Any = None) -> QuerySet[ResponseTask]:
    return open_tasks(user).filter(deadline__lt=now or timezone.now())


def incident_review(user: Staff, *, days: int = 90, gmi: str = "", kind: str = "") -> QuerySet[Incident]:
    """Recent incidents of the user's map (the police) with their GMI classification and the response's status
    (none, in progress, closed) and task counts."""
    since = timezone.now() - timedelta(days=days)
    items = (
        access.visible(user, Incident)
        .filter(occurred_at__gte=since)
        .select_related("response")
        .prefetch_related("groups")
        .annotate(
            task_total=Count("response__tasks"),
            task_resolved=Count("response__tasks", filter=~Q(response__tasks__status=ResponseTask.Status.OPEN)),
            task_overdue=Count(
                "response__tasks",
                filter=Q(
                    response__tasks__status=ResponseTask.Status.OPEN, response__tasks__deadline__lt=timezone.now()
                ),
            ),
        )
    )
    if gmi:
        items = items.filter(gmi=gmi)
    if kind:
        items = items.filter(kind=kind)
    return items.order_by("-occurred_at", "-id")


def routine(user: Staff) -> QuerySet[ResponseTemplateItem]:
    """The program's response routine (program structure), in order."""
    return access.visible(user, ResponseTemplateItem).select_related("agency").order_by("order", "deadline_hours", "id")
