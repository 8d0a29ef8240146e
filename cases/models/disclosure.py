"""Merges of duplicate records, and subject access exports (registerutdrag).

Both are children of a person record and follow its grants.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.persons import Person


class PersonMerge(models.Model):
    """Two records of one agency found to be the same person, merged into `kept`. What the removed record
    was is kept as plain values (its row is gone), with how many linked rows of each kind moved."""

    kept = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges", verbose_name=_("kept record"))
    removed_person_id = models.BigIntegerField(_("removed record"))
    removed = models.JSONField(_("the removed record"), default=dict)
    moved = models.JSONField(_("moved rows"), default=dict)
    merged_at = models.DateTimeField(_("merged"), default=timezone.now, editable=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


def export_path(_instance: models.Model, filename: str) -> str:
    return f"subject-access/{uuid.uuid4().hex}-{filename}"


class SubjectAccessExport(models.Model):
    """A subject access request (registerutdrag) answered by one agency about its own record: a draft of
    everything the agency holds, a secrecy review that marks what to redact, then release of a PDF and
    a JSON file kept through the storage API. Every step is audited."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft: under secrecy review")
        RELEASED = "released", _("Released")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="subject_access_exports", verbose_name=_("person")
    )
    requested_on = models.DateField(_("requested on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # item key -> the reason it is withheld (e.g. "other person", "informant").
    redactions = models.JSONField(_("redactions"), default=dict, blank=True)
    # The keys of the draft items a reviewer has been through: release refuses while the draft holds others
    # (a note written after the review, or a page of the draft never saved).
    reviewed_keys = models.JSONField(_("reviewed items"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    pdf = models.FileField(_("PDF"), upload_to=export_path, blank=True, max_length=200)
    data = models.FileField(_("JSON"), upload_to=export_path, blank=True, max_length=200)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subject access export")
        verbose_name_plural = _("subject access exports")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
