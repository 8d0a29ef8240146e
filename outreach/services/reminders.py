"""Reminders: due and overdue follow-ups and threat-assessment reviews of open exit cases notify the
responsible social worker, in the app and by e-mail (a link, no personal data). Idempotent: the notification
key holds the case and the due date, so a run repeated the same day, or the next day for the same due date,
notifies nobody twice; a new due date is a new reminder."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts.models import Program
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.notifications.services import notify
from outreach.models import ExitCase

BATCH = 500


def reminders_send(*, program: Program, today: date | None = None) -> int:
    """Notify the responsible workers of the program's due follow-ups and reviews; returns how many new
    notifications were made. Acts as the program's system actor."""
    today = today or timezone.localdate()
    actor = access.system_actor(program)
    due = (
        access.visible(actor, ExitCase, "remind")
        .filter(closed_on__isnull=True)
        .filter(Q(next_follow_up_on__lte=today) | Q(threat_review_on__lte=today))
        .select_related("responsible")
        .order_by("id")
    )
    made = 0
    last_id = 0
    while batch := list(due.filter(id__gt=last_id)[:BATCH]):
        last_id = batch[-1].pk
        audit_record(
            actor=actor,
            action=AuditAction.LIST,
            object_type=ExitCase._meta.label_lower,
            object_ids=[case.pk for case in batch],
            purpose="reminders",
        )
        for case in batch:
            made += _remind(case, today)
    return made


def _remind(case: ExitCase, today: date) -> int:
    url = reverse("outreach:case-detail", args=[case.pk])
    made = 0
    # The recipient's language is not stored: the title is in the system's default language (Swedish).
    with translation.override(settings.LANGUAGE_CODE):
        if case.next_follow_up_on is not None and case.next_follow_up_on <= today:
            title = _("Follow-up due %(date)s in exit case %(case)s") % {
                "date": case.next_follow_up_on.isoformat(),
                "case": case.pk,
            }
            key = f"outreach.follow-up:{case.pk}:{case.next_follow_up_on.isoformat()}"
            made += notify(recipient=case.responsible, key=key, title=title, url=url) is not None
        if case.threat_review_on is not None and case.threat_review_on <= today:
            title = _("Threat assessment review due %(date)s in exit case %(case)s") % {
                "date": case.threat_review_on.isoformat(),
                "case": case.pk,
            }
            key = f"outreach.threat-review:{case.pk}:{case.threat_review_on.isoformat()}"
            made += notify(recipient=case.responsible, key=key, title=title, url=url) is not None
    return made
