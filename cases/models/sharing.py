"""Consent, shares between agencies, and reports of concern.

A **share** is the only way another agency sees a section or the identity of a person: it names the legal
basis (consent, OSL 10 kap. 2 §, OSL 10 kap. 18 a §, duty to report), a purpose, a minimal scope, a note to
the recipient on how to read it and a last valid day. The grants it makes carry that day as their expiry,
so an expired share stops working at read time; revoking the consent ends its shares at once.

A **report of concern** (orosanmälan, SoL 14 kap. 1 §) goes from any agency to the municipality's social
services; the sender sees that it was received, not what follows (a partial view, `view_status`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.persons import Guardian, Person
from gvi.accounts.models import Agency, Team
from gvi.records import AgencyRecord, GroupGrant, UserGrant


class ShareSubject(models.TextChoices):
    """What a share or a consent covers: the identity, or one agency section."""

    IDENTITY = "identity", _("Identity (name and birth year)")
    POLICE = "police", _("Police section")
    SOCIAL = "social", _("Social-services section")
    PROBATION = "probation", _("Probation section")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent of the person (samtycke)")
    OSL_10_2 = "osl_10_2", _("OSL 10 kap. 2 § (necessary for the agency's own work)")
    OSL_10_18A = "osl_10_18a", _("OSL 10 kap. 18 a § (crime prevention, person under 21)")
    DUTY_TO_REPORT = "duty_to_report", _("Duty to report (uppgiftsskyldighet)")


def consent_document_path(_instance: models.Model, filename: str) -> str:
    return f"consents/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class Consent(models.Model):
    """The person's consent (samtycke) to sharing, recorded by the agency that holds their record.

    Follows its person's grants. For a person under 18 the guardians who consented are recorded too.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents", verbose_name=_("person"))
    given_on = models.DateField(_("given on"))
    recipients = models.ManyToManyField(Agency, related_name="+", verbose_name=_("agencies that may receive"))
    # ShareSubject values: which parts the recipients may receive.
    subjects = models.JSONField(_("what may be shared"), default=list)
    guardians = models.ManyToManyField(
        Guardian, blank=True, related_name="consents", verbose_name=_("guardians who consented")
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    document = models.FileField(_("signed document"), upload_to=consent_document_path, blank=True, max_length=200)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocation recorded"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def subject_labels(self) -> list[str]:
        """What may be shared, in words (the stored values are ShareSubject values)."""
        labels = dict(ShareSubject.choices)
        return [str(labels.get(subject, subject)) for subject in self.subjects]

    def covers(self, agency_id: int, subject: str) -> bool:
        """Does this consent let `agency_id` receive `subject`? (Uses prefetched recipients when there.)"""
        return self.is_active and subject in self.subjects and any(a.pk == agency_id for a in self.recipients.all())


def end_of_day(day: date) -> datetime:
    """The moment a share valid until `day` (inclusive, local time) stops working."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class Share(AgencyRecord):
    """A disclosure of one person's identity or section to another agency (optionally one of its teams).

    `owner_agency` is the sending agency; `person` is the sender's record. The recipient may link it to
    their own record of the same person (`recipient_person`); the sender never learns whether they did.
    """

    class Scope(models.TextChoices):
        SUMMARY = "summary", _("Summary only (no journal notes)")
        FULL = "full", _("The whole section with its journal notes")

    class Ended(models.TextChoices):
        REVOKED = "revoked", _("Revoked")
        CONSENT_REVOKED = "consent_revoked", _("Consent revoked")
        EXPIRED = "expired", _("Expired")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shares", verbose_name=_("person"))
    subject = models.CharField(_("what is shared"), max_length=10, choices=ShareSubject.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.SUMMARY)
    receiving_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving agency")
    )
    receiving_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("receiving team")
    )
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="shares", verbose_name=_("consent")
    )
    purpose = models.CharField(_("purpose"), max_length=300)
    note_to_recipient = models.TextField(_("note to the recipient"), max_length=2000)
    valid_until = models.DateField(_("valid until"))
    recipient_person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="received_shares",
        verbose_name=_("the recipient's record"),
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, editable=False)
    ended_reason = models.CharField(_("why it ended"), max_length=20, choices=Ended.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [
            models.Index(fields=["person", "receiving_agency"], name="share_person_recipient"),
            models.Index(fields=["valid_until"], name="share_valid_until", condition=models.Q(ended_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def recipient(self) -> Team | Agency:
        """Who the share's grants go to: the receiving team, or the receiving agency when no team is named."""
        return self.receiving_team if self.receiving_team_id else self.receiving_agency  # type: ignore[return-value]

    @property
    def expires_at(self) -> datetime:
        return end_of_day(self.valid_until)

    def is_active(self, now: datetime | None = None) -> bool:
        return self.ended_at is None and (now or timezone.now()) < self.expires_at

    @property
    def status(self) -> str:
        if self.ended_reason:
            return self.ended_reason
        return "active" if self.is_active() else self.Ended.EXPIRED


class ShareUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(Share, on_delete=models.CASCADE)


class ShareGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(Share, on_delete=models.CASCADE)


class ConcernReport(AgencyRecord):
    """A report of concern (orosanmälan) about a child, to the municipality's social services.

    `owner_agency` is the sender's agency and `person` the sender's record. The child's identity is
    copied at filing: the receiving social services do not see the sender's record.
    """

    class Outcome(models.TextChoices):
        INVESTIGATION = "investigation", _("Investigation opened")
        NO_INVESTIGATION = "no_investigation", _("No investigation opened")
        ALREADY_KNOWN = "already_known", _("Added to an ongoing investigation")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="concern_reports", verbose_name=_("person")
    )
    receiving_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("social services of")
    )
    child_given_name = models.CharField(_("given name"), max_length=100)
    child_family_name = models.CharField(_("family name"), max_length=100)
    child_identity_number = models.CharField(_("identity number"), max_length=13, blank=True)
    child_birth_year = models.PositiveSmallIntegerField(_("birth year"))
    concern = models.TextField(_("what you are concerned about"), max_length=10000)
    urgent = models.BooleanField(_("urgent: the child may be in danger now"), default=False)
    reporter_phone = models.CharField(_("phone number for questions"), max_length=40)
    received_at = models.DateTimeField(_("received"), null=True, blank=True, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    assessment = models.TextField(_("assessment"), max_length=10000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report of concern")
        verbose_name_plural = _("reports of concern")
        permissions = [("view_concernreport_status", "Can see whether a report of concern was received")]
        indexes = [models.Index(fields=["receiving_agency", "-created_at"], name="concern_recipient_time")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def child_name(self) -> str:
        return f"{self.child_given_name} {self.child_family_name}"


class ConcernReportUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(ConcernReport, on_delete=models.CASCADE)


class ConcernReportGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(ConcernReport, on_delete=models.CASCADE)
