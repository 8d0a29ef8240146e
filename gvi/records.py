"""What every agency-owned root record carries: its program and owning agency, who made it and when,
and the version that optimistic locking (gvi/concurrency.py) checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.accounts.models import Agency, Program


class AgencyRecord(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name=_("program"))
    owner_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning agency")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    # Every update must name the version it read.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True
