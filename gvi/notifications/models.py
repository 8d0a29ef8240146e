"""In-app notifications: one staff member's inbox (reminders of due follow-ups and the like).

A notification carries no personal data: a title that names no one and a link to the record, which the
recipient opens through the access policy like any other page. The same `key` is never notified twice to
the same person (a unique constraint), so the tasks that notify may run again safely.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.accounts.models import Program


class Notification(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name=_("program"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    # What it is about, unique per recipient: e.g. "outreach.follow-up:<case id>:<due date>".
    key = models.CharField(max_length=200)
    title = models.CharField(_("title"), max_length=200)
    url = models.CharField(_("link"), max_length=300)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at=None)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
