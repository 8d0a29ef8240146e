"""Retention rules per program and record category, and legal holds on single records.

A rule says how many months after its last entry a record of the category is culled (gallring). A legal hold
(ongoing investigation, court case, complaint) stops culling for one record until it is lifted; both are set
with a reason and audited. The records themselves live in their apps: a hold names one by label and id.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A rule is at least its category's minimum (gvi.retention.categories) and at most a century.
MIN_MONTHS = 1
MAX_MONTHS = 1200
REASON_MIN_LENGTH = 10


class RetentionRule(models.Model):
    """A program's own rule for a category, where it departs from the category's default."""

    program = models.ForeignKey("accounts.Program", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=40)
    months = models.PositiveIntegerField(
        _("months after the last entry"), validators=[MinValueValidator(MIN_MONTHS), MaxValueValidator(MAX_MONTHS)]
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["category"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        constraints = [models.UniqueConstraint(fields=["program", "category"], name="retention_rule_per_category")]

    def __str__(self) -> str:
        return f"{self.category}: {self.months}"


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """Stops culling of one record until lifted. Never deleted: a lifted hold stays as the record of it."""

    program = models.ForeignKey("accounts.Program", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=40)
    object_type = models.CharField(_("record kind"), max_length=100)
    object_id = models.BigIntegerField(_("record id"))
    reason = models.TextField(_("reason"), max_length=1000)
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("placed by")
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.TextField(_("why it was lifted"), max_length=1000, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id"],
                condition=Q(lifted_at__isnull=True),
                name="legal_hold_one_active_per_record",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_by__isnull=False),
                name="legal_hold_lifted_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["program", "object_type", "object_id"], name="legal_hold_record")]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None
