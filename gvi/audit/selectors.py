"""Reads of the audit trail: only through the policy (auditors, within their program)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from django.apps import apps
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Cast, Coalesce, Lag, RowNumber
from django.utils import timezone
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent, LogCheck, LogReview, ReviewStatus
from gvi.dates import clamp


def audit_events(*, user: Staff, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    events = access.visible(user, AuditEvent)
    if filters.get("actor"):
        events = events.filter(actor_username__iexact=filters["actor"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"])
    date_from: date | None = filters.get("date_from")
    date_to: date | None = filters.get("date_to")
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(occurred_at__gte=datetime.combine(clamp(date_from), time.min, tzinfo=tz))
    if date_to:
        events = events.filter(occurred_at__lte=datetime.combine(clamp(date_to), time.max, tzinfo=tz))
    return events.order_by("-occurred_at", "-id")


# --------------------------------------------------------------------------------------------------
# Log review (loggkontroll): checks that point the auditor at what to look at in the program's trail.
#
# Every check reads only `access.visible(user, AuditEvent)` (the auditor's own program) and runs a fixed
# number of queries whatever the size of the trail:
#
# - outside-team: a VIEW of a person, an agency section or an exit case by a staff member who holds no
#   grant on that record, neither directly nor through their team (grants as they stand now, any action;
#   grants to the whole agency do not count: an agency-wide role that looks outside its team is shown).
# - burst: more than BURST_VIEWS views by one staff member within BURST_WINDOW; one finding per burst,
#   keyed by the burst's first view event.
# - protected: a VIEW of a person with protected identity by anyone but the caseworker who registered it.
# - exports: every EXPORT and PRINT event.
# - emergency: every emergency access.

BURST_VIEWS: Final = 50
BURST_WINDOW: Final = timedelta(minutes=10)
# The records a look outside one's caseload is about: the grant-holding case records.
CASE_RECORDS: Final = (
    "cases.person",
    "cases.policesection",
    "cases.socialsection",
    "cases.probationsection",
    "outreach.exitcase",
)
_ID_TEXT: Final = CharField(max_length=64)


def _program_id(user: Staff) -> int:
    """The user's program (0, which matches nothing, for staff without one)."""
    return user.program_id or 0


def _views(user: Staff) -> QuerySet[AuditEvent]:
    return access.visible(user, AuditEvent).filter(action=AuditAction.VIEW, actor_id__isnull=False)


def _outside_team(user: Staff) -> QuerySet[AuditEvent]:
    viewer_team_group = Subquery(
        Staff.objects.filter(pk=OuterRef(OuterRef("actor_id"))).order_by().values("team__group_id")[:1]
    )
    outside = Q(pk__in=[])
    for label in CASE_RECORDS:
        model = apps.get_model(label)
        user_grants = get_user_obj_perms_model(model)._default_manager.filter(user_id=OuterRef("actor_id"))  # type: ignore[arg-type]
        team_grants = get_group_obj_perms_model(model)._default_manager.filter(group_id=viewer_team_group)  # type: ignore[arg-type]
        granted = [
            Exists(grants.annotate(record=Cast("content_object_id", _ID_TEXT)).filter(record=OuterRef("object_id")))
            for grants in (user_grants, team_grants)
        ]
        outside |= Q(object_type=label) & ~granted[0] & ~granted[1]
    return _views(user).filter(outside)


def _protected(user: Staff) -> QuerySet[AuditEvent]:
    person = apps.get_model("cases.person")
    protected = person._default_manager.filter(protected_identity=True, program_id=_program_id(user)).annotate(
        record=Cast("pk", _ID_TEXT)
    )
    by_owner = protected.filter(record=OuterRef("object_id"), created_by_id=OuterRef("actor_id"))
    return (
        _views(user)
        .filter(object_type=person._meta.label_lower, object_id__in=protected.values("record"))
        .exclude(Exists(by_owner))
    )


def check_events(user: Staff, kind: str) -> QuerySet[AuditEvent]:
    """The findings of a check that are single events (every check but the burst one), newest first."""
    trail = access.visible(user, AuditEvent)
    if kind == LogCheck.OUTSIDE_TEAM:
        events = _outside_team(user)
    elif kind == LogCheck.PROTECTED:
        events = _protected(user)
    elif kind == LogCheck.EXPORTS:
        events = trail.filter(action__in=[AuditAction.EXPORT, AuditAction.PRINT])
    elif kind == LogCheck.EMERGENCY:
        events = trail.filter(action=AuditAction.EMERGENCY)
    else:
        raise ValueError(f"no event check {kind!r}")
    return events.order_by("-occurred_at", "-id")


def with_review_status(user: Staff, kind: str, events: QuerySet[AuditEvent], status: str = "") -> QuerySet[AuditEvent]:
    """Each finding's review status ("new" until reviewed); only those with `status` when given."""
    review = LogReview.objects.filter(program_id=_program_id(user), kind=kind, event_id=OuterRef("pk"))
    events = events.annotate(
        review_status=Coalesce(Subquery(review.values("status")[:1]), Value(ReviewStatus.NEW.value))
    )
    return events.filter(review_status=status) if status else events


@dataclass(frozen=True)
class Burst:
    """More than BURST_VIEWS views by one staff member, each within BURST_WINDOW of the view BURST_VIEWS before."""

    event_id: int  # the burst's first view event: the finding's key
    actor_id: int
    actor_username: str
    started_at: datetime
    ended_at: datetime
    views: int
    review_status: str = ReviewStatus.NEW.value


def _bursts(user: Staff) -> list[Burst]:
    by_actor = {"partition_by": [F("actor_id")], "order_by": [F("occurred_at").asc(), F("id").asc()]}
    ends = (
        _views(user)
        .annotate(
            back_at=Window(Lag("occurred_at", BURST_VIEWS), **by_actor),  # type: ignore[arg-type]
            back_id=Window(Lag("id", BURST_VIEWS), **by_actor),  # type: ignore[arg-type]
            position=Window(RowNumber(), **by_actor),  # type: ignore[arg-type]
        )
        .filter(back_at__isnull=False)
        .values_list("actor_id", "actor_username", "occurred_at", "back_at", "back_id", "position")
    )
    bursts: list[Burst] = []
    open_burst: dict[str, Any] | None = None
    # The window check runs here, not in SQL: a date difference is spelt differently by every database.
    for actor_id, username, at, back_at, back_id, position in sorted(ends, key=lambda row: (row[0], row[5])):
        if at - back_at > BURST_WINDOW:
            continue
        first_position = position - BURST_VIEWS
        if open_burst and open_burst["actor_id"] == actor_id and first_position <= open_burst["last_position"]:
            open_burst |= {"ended_at": at, "last_position": position}
            continue
        if open_burst:
            bursts.append(_burst(open_burst))
        open_burst = {
            "actor_id": actor_id,
            "actor_username": username,
            "event_id": back_id,
            "started_at": back_at,
            "ended_at": at,
            "first_position": first_position,
            "last_position": position,
        }
    if open_burst:
        bursts.append(_burst(open_burst))
    return bursts


def _burst(state: dict[str, Any]) -> Burst:
    return Burst(
        event_id=state["event_id"],
        actor_id=state["actor_id"],
        actor_username=state["actor_username"],
        started_at=state["started_at"],
        ended_at=state["ended_at"],
        views=state["last_position"] - state["first_position"] + 1,
    )


def bursts(user: Staff, status: str = "") -> list[Burst]:
    """The bursts of views with their review status, newest first; only those with `status` when given."""
    found = _bursts(user)
    statuses = dict(
        LogReview.objects.filter(
            program_id=_program_id(user), kind=LogCheck.BURST, event_id__in=[b.event_id for b in found]
        ).values_list("event_id", "status")
    )
    reviewed = [replace(b, review_status=statuses.get(b.event_id, ReviewStatus.NEW.value)) for b in found]
    reviewed.sort(key=lambda b: (b.ended_at, b.event_id), reverse=True)
    return [b for b in reviewed if b.review_status == status] if status else reviewed


def unreviewed_counts(user: Staff) -> dict[str, int]:
    """Per check, how many findings are not reviewed yet."""
    counts = {
        kind.value: with_review_status(user, kind, check_events(user, kind), ReviewStatus.NEW).count()
        for kind in LogCheck
        if kind != LogCheck.BURST
    }
    counts[LogCheck.BURST.value] = len(bursts(user, ReviewStatus.NEW))
    return counts


def is_finding(user: Staff, kind: str, event_id: int) -> bool:
    """Is this audit event a finding of the check (for a burst: a burst's first view), in the user's program?"""
    if kind == LogCheck.BURST:
        return any(b.event_id == event_id for b in _bursts(user))
    return check_events(user, kind).filter(pk=event_id).exists()


def reviews_by_event(user: Staff, kind: str, event_ids: list[int]) -> dict[int, LogReview]:
    reviews = LogReview.objects.filter(program_id=_program_id(user), kind=kind, event_id__in=event_ids)
    return {review.event_id: review for review in reviews.select_related("reviewed_by")}


def log_review(user: Staff, kind: str, event_id: int) -> LogReview | None:
    return access.visible(user, LogReview).filter(kind=kind, event_id=event_id).first()
