"""Reads of the audit trail: only through the policy (auditors, within their program)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditEvent
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
