"""Reads of the inbox: only the user's own notifications (gvi/access.py, PERSONAL_MODELS)."""

from __future__ import annotations

from django.db.models import QuerySet

from gvi import access
from gvi.accounts.models import Staff
from gvi.notifications.models import Notification


def notifications_for(user: Staff, *, unread_only: bool = False) -> QuerySet[Notification]:
    items = access.visible(user, Notification)
    return items.filter(read_at__isnull=True) if unread_only else items


def unread_count(user: Staff) -> int:
    return notifications_for(user, unread_only=True).count()
