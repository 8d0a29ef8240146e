"""Agency sections of a person: the police, social-services and probation parts of one agency's record.

Each section is a root object owned by one agency and hangs off that agency's own Person record (at most
one section of a kind per record). Another agency sees a section only through a share (cases.models.sharing),
which grants either the whole section (`view`: its fields and journal notes) or only its summary
(`view_summary`: its fields, no notes).

Journal notes are append-only: a correction is a new entry that references the one it corrects.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.persons import Person
from gvi.accounts.models import AgencyKind
from gvi.records import AgencyRecord, GroupGrant, UserGrant


class Section(AgencyRecord):
    # Which kind of agency keeps this kind of section, and its short name in URLs and shares.
    agency_kind: ClassVar[str]
    kind: ClassVar[str]
    # The fields a summary share shows besides the bookkeeping fields.
    summary_fields: ClassVar[tuple[str, ...]]

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("person"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class PoliceSection(Section):
    agency_kind = AgencyKind.POLICE
    kind = "police"
    summary_fields = ("risk_level",)

    class RiskLevel(models.TextChoices):
        LOW = "low", _("Low")
        ELEVATED = "elevated", _("Elevated")
        HIGH = "high", _("High")
        ACUTE = "acute", _("Acute")

    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("police section")
        verbose_name_plural = _("police sections")
        permissions = [("view_policesection_summary", "Can view the summary of the police section")]
        constraints = [models.UniqueConstraint(fields=["person"], name="police_section_one_per_person")]


class SocialSection(Section):
    agency_kind = AgencyKind.MUNICIPALITY
    kind = "social"
    summary_fields = ()

    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("social-services section")
        verbose_name_plural = _("social-services sections")
        permissions = [("view_socialsection_summary", "Can view the summary of the social-services section")]
        constraints = [models.UniqueConstraint(fields=["person"], name="social_section_one_per_person")]


class ProbationSection(Section):
    agency_kind = AgencyKind.PRISON_SERVICE
    kind = "probation"
    summary_fields = ("supervision_type", "period_start", "period_end")

    class Supervision(models.TextChoices):
        PROBATION = "probation", _("Probation (skyddstillsyn)")
        PAROLE = "parole", _("Parole (villkorlig frigivning)")
        NONE = "none", _("None")

    supervision_type = models.CharField(
        _("supervision"), max_length=10, choices=Supervision.choices, default=Supervision.NONE
    )
    period_start = models.DateField(_("supervision from"), null=True, blank=True)
    period_end = models.DateField(_("supervision until"), null=True, blank=True)
    probation_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("probation officer"),
    )
    conditions = models.TextField(_("conditions"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("probation section")
        verbose_name_plural = _("probation sections")
        permissions = [("view_probationsection_summary", "Can view the summary of the probation section")]
        constraints = [
            models.UniqueConstraint(fields=["person"], name="probation_section_one_per_person"),
            models.CheckConstraint(
                condition=models.Q(period_end__isnull=True)
                | models.Q(period_start__isnull=True)
                | models.Q(period_end__gte=models.F("period_start")),
                name="probation_period_ordered",
            ),
        ]


class PoliceSectionUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(PoliceSection, on_delete=models.CASCADE)


class PoliceSectionGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(PoliceSection, on_delete=models.CASCADE)


class SocialSectionUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(SocialSection, on_delete=models.CASCADE)


class SocialSectionGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(SocialSection, on_delete=models.CASCADE)


class ProbationSectionUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(ProbationSection, on_delete=models.CASCADE)


class ProbationSectionGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(ProbationSection, on_delete=models.CASCADE)


class JournalNote(models.Model):
    """One append-only journal entry on a section. Never edited: a correction is a new entry that names
    the entry it corrects (on PostgreSQL a trigger refuses UPDATE)."""

    text = models.TextField(_("note"), max_length=10000)
    created_at = models.DateTimeField(_("written"), default=timezone.now, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class PoliceNote(JournalNote):
    section = models.ForeignKey(PoliceSection, on_delete=models.CASCADE, related_name="journal")

    class Meta(JournalNote.Meta):
        verbose_name = _("police journal note")
        verbose_name_plural = _("police journal notes")
        indexes = [models.Index(fields=["section", "-created_at"], name="police_note_section_time")]


class SocialNote(JournalNote):
    section = models.ForeignKey(SocialSection, on_delete=models.CASCADE, related_name="journal")

    class Meta(JournalNote.Meta):
        verbose_name = _("social-services journal note")
        verbose_name_plural = _("social-services journal notes")
        indexes = [models.Index(fields=["section", "-created_at"], name="social_note_section_time")]


class ProbationNote(JournalNote):
    section = models.ForeignKey(ProbationSection, on_delete=models.CASCADE, related_name="journal")

    class Meta(JournalNote.Meta):
        verbose_name = _("probation journal note")
        verbose_name_plural = _("probation journal notes")
        indexes = [models.Index(fields=["section", "-created_at"], name="probation_note_section_time")]


# kind -> (section model, note model): the one place that lists the kinds.
SECTION_KINDS: dict[str, tuple[type[Section], type[JournalNote]]] = {
    "police": (PoliceSection, PoliceNote),
    "social": (SocialSection, SocialNote),
    "probation": (ProbationSection, ProbationNote),
}
