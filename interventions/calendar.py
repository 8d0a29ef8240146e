"""The calendar: what falls on which day for one viewer, as far as the policy lets them see it.

Call-ins (in full or their schedule), planned custom notifications (the police's, or those the viewer delivers),
deadlines of open tasks after incidents (for the police also the other agencies' tasks, which they follow by
their status), planned enforcement actions, and the follow-ups and threat-assessment reviews of open exit cases.
An event's `title` is fixed text that names no one (plus a task's district or an action's kind); the iCal feed
shows only the title, a call-in's venue and the page's address. `detail` (a task's name) is shown on the
calendar page only. One query per kind of event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts.models import Staff
from interventions import selectors
from interventions.models import CallIn, CustomNotification, EnforcementAction, ResponseTask
from outreach.models import ExitCase


@dataclass(frozen=True, order=True)
class Event:
    start: datetime  # an all-day event starts at local midnight
    uid: str = field(compare=False)
    kind: str = field(compare=False)  # callin · notification · task · action · follow_up · threat_review
    title: str = field(compare=False)
    all_day: bool = field(default=False, compare=False)
    place: str = field(default="", compare=False)  # a call-in's venue only
    url: str = field(default="", compare=False)  # the page, where access is checked again
    detail: str = field(default="", compare=False)  # the page only, never the feed
    overdue: bool = field(default=False, compare=False)

    @property
    def day(self) -> date:
        return timezone.localtime(self.start).date()


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _call_ins(user: Staff, start: datetime, end: datetime) -> list[Event]:
    if access.role_allows(user, "view", CallIn):
        items = access.visible(user, CallIn)
    elif access.role_allows(user, "view_schedule", CallIn):
        items = access.visible(user, CallIn, "view_schedule")
    else:
        return []
    rows = items.filter(starts_at__gte=start, starts_at__lt=end).exclude(status=CallIn.Status.CANCELLED)
    return [
        Event(
            start=call_in.starts_at,
            uid=f"callin-{call_in.pk}",
            kind="callin",
            title=_("Call-in"),
            place=call_in.place,
            url=reverse("interventions:callin-detail", args=[call_in.pk]),
        )
        for call_in in rows.only("id", "starts_at", "place")
    ]


def _notifications(user: Staff, start: datetime, end: datetime) -> list[Event]:
    if access.role_allows(user, "view", CustomNotification):
        items = access.visible(user, CustomNotification)
    elif access.role_allows(user, "view_plan", CustomNotification):
        items = access.visible(user, CustomNotification, "view_plan")
    else:
        return []
    rows = items.filter(status=CustomNotification.Status.PLANNED, planned_for__gte=start, planned_for__lt=end)
    return [
        Event(
            start=n.planned_for,  # type: ignore[arg-type]
            uid=f"notification-{n.pk}",
            kind="notification",
            title=_("Custom notification"),
            url=reverse("interventions:notification-detail", args=[n.pk]),
        )
        for n in rows.only("id", "planned_for")
    ]


def _tasks(user: Staff, start: datetime, end: datetime, now: datetime) -> list[Event]:
    # The police see another agency's open deadlines too (by its status: the title is in that partial view).
    rows = (
        selectors.tasks_seen(user)
        .filter(status=ResponseTask.Status.OPEN, deadline__gte=start, deadline__lt=end)
        .select_related("response")
        .only("id", "title", "deadline", "response_id", "response__district")
    )
    events = []
    for task in rows:
        district = task.response.district
        title = (
            _("Task after an incident, %(district)s") % {"district": district}
            if district
            else _("Task after an incident")
        )
        events.append(
            Event(
                start=task.deadline,
                uid=f"task-{task.pk}",
                kind="task",
                title=title,
                url=reverse("interventions:response-detail", args=[task.response_id]) + f"#task-{task.pk}",
                detail=task.title,
                overdue=task.deadline < now,
            )
        )
    return events


def _actions(user: Staff, start: date, end: date) -> list[Event]:
    rows = access.visible(user, EnforcementAction).filter(
        status=EnforcementAction.Status.PLANNED, acted_on__gte=start, acted_on__lt=end
    )
    return [
        Event(
            start=_midnight(action.acted_on),
            uid=f"action-{action.pk}",
            kind="action",
            title=_("Enforcement action: %(kind)s") % {"kind": action.get_kind_display()},
            all_day=True,
            url=reverse("interventions:round-detail", args=[action.round_id]),
        )
        for action in rows.only("id", "kind", "acted_on", "round_id")
    ]


def _exit_cases(user: Staff, start: date, end: date, today: date) -> list[Event]:
    if not access.role_allows(user, "view", ExitCase):
        return []
    rows = access.visible(user, ExitCase).filter(
        Q(next_follow_up_on__gte=start, next_follow_up_on__lt=end)
        | Q(threat_review_on__gte=start, threat_review_on__lt=end),
        closed_on=None,
    )
    # (the case's date field, the event's kind and uid prefix, its fixed title)
    dates = (
        ("next_follow_up_on", "follow_up", "follow-up", _("Follow-up, exit case %(number)s")),
        ("threat_review_on", "threat_review", "threat-review", _("Threat assessment review, exit case %(number)s")),
    )
    events = []
    for case in rows.only("id", "next_follow_up_on", "threat_review_on"):
        url = reverse("outreach:case-detail", args=[case.pk])
        for date_field, kind, prefix, title in dates:
            day = getattr(case, date_field)
            if day and start <= day < end:
                events.append(
                    Event(
                        start=_midnight(day),
                        uid=f"{prefix}-{case.pk}",
                        kind=kind,
                        title=title % {"number": case.pk},
                        all_day=True,
                        url=url,
                        overdue=day < today,
                    )
                )
    return events


def events(user: Staff, first: date, last: date) -> list[Event]:
    """The viewer's events from the day `first` through the day `last`, in time order."""
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    now = timezone.now()
    found = [
        *_call_ins(user, start, end),
        *_notifications(user, start, end),
        *_tasks(user, start, end, now),
        *_actions(user, first, last + timedelta(days=1)),
        *_exit_cases(user, first, last + timedelta(days=1), timezone.localdate()),
    ]
    return sorted(found)
