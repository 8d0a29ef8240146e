"""Call-ins and custom notifications on a person's timeline: the invitations with their status and the custom
notifications with their status and outcome. Police only (those who hold them in full); two queries
whatever the number of items, none for a role that may not see them."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvi import access
from gvi.accounts.models import Staff
from gvi.timeline import TimelineItem, register_timeline_provider
from interventions.models import CallInInvitation, CustomNotification

CALL_IN = "call-in"
NOTIFICATION = "custom-notification"
CATEGORIES = {CALL_IN: gettext_lazy("Call-ins"), NOTIFICATION: gettext_lazy("Custom notifications")}


def intervention_items(user: Staff, person_ids: Sequence[int]) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    if access.role_allows(user, "view", CallInInvitation):
        items += _invitations(user, person_ids)
    if access.role_allows(user, "view", CustomNotification):
        items += _notifications(user, person_ids)
    return items


def _invitations(user: Staff, person_ids: Sequence[int]) -> list[TimelineItem]:
    invitations = (
        access.visible(user, CallInInvitation)
        .filter(person_id__in=person_ids)
        .select_related("call_in")
        .only("id", "status", "person_id", "owner_agency_id", "call_in__starts_at", "call_in__place")
    )
    return [
        TimelineItem(
            key=f"{CallInInvitation._meta.label_lower}:{invitation.pk}",
            when=invitation.call_in.starts_at,
            category=CALL_IN,
            title=_("Call-in: %(status)s") % {"status": invitation.get_status_display()},
            detail=invitation.call_in.place,
            url=reverse("interventions:invitation-detail", args=[invitation.pk]),
            owner_agency_id=invitation.owner_agency_id,
            person_id=invitation.person_id,
        )
        for invitation in invitations
    ]


def _notifications(user: Staff, person_ids: Sequence[int]) -> list[TimelineItem]:
    notifications = access.visible(user, CustomNotification).filter(person_id__in=person_ids)
    items = []
    for notification in notifications:
        title = _("Custom notification: %(status)s") % {"status": notification.get_status_display()}
        if notification.outcome:
            title += f" ({notification.get_outcome_display()})"
        items.append(
            TimelineItem(
                key=f"{CustomNotification._meta.label_lower}:{notification.pk}",
                when=notification.requested_at,
                category=NOTIFICATION,
                title=title,
                url=reverse("interventions:notification-detail", args=[notification.pk]),
                owner_agency_id=notification.owner_agency_id,
                person_id=notification.person_id,
            )
        )
    return items


def register() -> None:
    register_timeline_provider("interventions", intervention_items, categories=CATEGORIES)
