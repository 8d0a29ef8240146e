"""Call-ins and custom notifications on the start page (upcoming call-ins; what awaits the user: the
police's notifications awaiting a step, a probation officer's client invitations to confirm, the planned
notifications a deliverer takes part in; counts and dates only) and on a person's page (the police's record:
the person's invitations and custom notifications, and the button to request one). The tasks after incidents
that the user's agency owns: overdue first, then the next due."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Q, Sum, When, Window
from django.utils import timezone

from cases.models import Person
from cases.person_panels import PersonPanel, register_person_panel
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.services import audit_shown
from gvi.panels import Panel, register_panel
from interventions import selectors
from interventions.models import CallIn, CallInInvitation, CustomNotification, ResponseTask

PURPOSE = "call-ins and custom notifications"
UPCOMING = 5
TASKS_SHOWN = 5
Status = CustomNotification.Status
# status -> the step it awaits
AWAITING = (Status.REQUESTED, Status.ASSESSED, Status.PLANNED, Status.OUTCOME)


def _upcoming_call_ins(user: Staff) -> list[CallIn] | None:
    """The next call-ins, date and place only; None when the user sees neither call-ins nor their schedule."""
    if access.role_allows(user, "view", CallIn):
        items = selectors.call_ins(user, when="upcoming", sort="date").prefetch_related(None)
    elif access.role_allows(user, "view_schedule", CallIn):
        items = selectors.call_in_schedule(user, when="upcoming", sort="date")
    else:
        return None
    return list(items.only("id", "starts_at", "place", "status")[:UPCOMING])


def _awaiting(user: Staff) -> dict[str, int] | None:
    """The police: how many custom notifications await each step (one query)."""
    if not access.role_allows(user, "view", CustomNotification):
        return None
    counts = selectors.custom_notifications(user).aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in AWAITING}
    )
    return {str(status): counts[status] for status in AWAITING}


def _to_confirm(user: Staff) -> int | None:
    """A probation officer: her clients' invitations to upcoming call-ins not confirmed yet."""
    if not access.role_allows(user, "view_client", CallInInvitation):
        return None
    return (
        selectors.client_invitations(user)
        .filter(status=CallInInvitation.Status.INVITED, call_in__starts_at__gte=timezone.now())
        .count()
    )


def _to_deliver(user: Staff) -> list[CustomNotification] | None:
    """One who delivers notifications outside the police: the planned ones she takes part in (dates only)."""
    if not access.role_allows(user, "view_plan", CustomNotification):
        return None
    return list(
        selectors.notifications_to_deliver(user)
        .filter(status=Status.PLANNED, deliverers=user)
        .order_by("planned_for", "id")
        .only("id", "planned_for")
    )


def _start(user: Staff) -> dict[str, Any] | None:
    call_ins = _upcoming_call_ins(user)
    awaiting = _awaiting(user)
    to_confirm = _to_confirm(user)
    to_deliver = _to_deliver(user)
    if call_ins is None and awaiting is None and to_confirm is None and to_deliver is None:
        return None
    return {
        "call_ins": call_ins,
        "awaiting": awaiting,
        "awaiting_total": sum(awaiting.values()) if awaiting else 0,
        "to_confirm": to_confirm,
        "to_deliver": to_deliver,
    }


def _tasks_after_incidents(user: Staff) -> dict[str, Any] | None:
    """Open tasks after incidents owned by the user's agency (selectors.open_tasks), soonest deadline first, so
    the overdue ones lead; the counts only when there are more than shown. Not shown to those who own none
    (the police see other agencies' tasks but own only theirs). One query whatever the number: the counts
    ride on the rows as window aggregates over all the open tasks."""
    if not access.role_allows(user, "change", ResponseTask):
        return None
    now = timezone.now()
    overdue = Case(When(deadline__lt=now, then=1), default=0, output_field=IntegerField())
    tasks = list(
        selectors.open_tasks(user).annotate(total=Window(Count("id")), overdue=Window(Sum(overdue)))[:TASKS_SHOWN]
    )
    if not tasks:
        return None
    total: int = tasks[0].total
    return {
        "tasks": [(task, task.deadline < now) for task in tasks],
        "total": total,
        "overdue": tasks[0].overdue,
        "more": total > TASKS_SHOWN,
    }


def _person(user: Staff, person: Person) -> dict[str, Any] | None:
    """On the police's own record of a person: their invitations and custom notifications."""
    if person.owner_agency_id != user.agency_id or not access.role_allows(user, "view", CustomNotification):
        return None
    invitations = list(
        access.visible(user, CallInInvitation)
        .filter(person=person)
        .select_related("call_in")
        .order_by("-call_in__starts_at", "-id")
    )
    notifications = list(selectors.custom_notifications(user, of_person=person))
    audit_shown(
        actor=user,
        object_type=CallInInvitation._meta.label_lower,
        ids=[i.pk for i in invitations],
        purpose=PURPOSE,
        shown_on=f"{Person._meta.label_lower}:{person.pk}",
    )
    audit_shown(
        actor=user,
        object_type=CustomNotification._meta.label_lower,
        ids=[n.pk for n in notifications],
        purpose=PURPOSE,
        shown_on=f"{Person._meta.label_lower}:{person.pk}",
    )
    return {
        "person": person,
        "invitations": invitations,
        "notifications": notifications,
        "may_request": access.role_allows(user, "add", CustomNotification),
    }


def register() -> None:
    register_panel(
        Panel(key="interventions", template="interventions/panel_interventions.html", order=20, build=_start)
    )
    register_panel(
        Panel(
            key="response-tasks",
            template="interventions/panel_response_tasks.html",
            order=8,
            build=_tasks_after_incidents,
        )
    )
    register_person_panel(
        PersonPanel(key="interventions", template="interventions/_person_panel.html", order=20, build=_person)
    )
