"""The auditor's start-page panel: the last day's events by kind, and recent refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from gvi.panels import Panel, register_panel

ATTENTION_ACTIONS = (AuditAction.DENY, AuditAction.LOCKOUT, AuditAction.LOGIN_FAILED)


def _audit_summary(user: Staff) -> dict[str, Any] | None:
    if not access.role_allows(user, "view", AuditEvent):
        return None
    events = access.visible(user, AuditEvent).filter(occurred_at__gte=timezone.now() - timedelta(days=1))
    labels = dict(AuditAction.choices)
    by_action = [
        {"action": labels.get(row["action"], row["action"]), "n": row["n"]}
        for row in events.values("action").annotate(n=Count("id")).order_by("-n", "action")
    ]
    return {"by_action": by_action, "attention": list(events.filter(action__in=ATTENTION_ACTIONS)[:10])}


def register() -> None:
    register_panel(Panel(key="audit-summary", template="audit/panel_summary.html", order=50, build=_audit_summary))
