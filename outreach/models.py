"""The exit program (avhopparverksamhet): referrals, exit cases, the contact log, threat assessments, support
measures (relocation among them) and relatives.

Two root objects carry the grants (gvi/access.py):

- a **Referral** is owned by the receiving municipality, which handles it in full; the referrer and their
  team hold only `view_status` (a partial view: status and dates, never the reason or the assessment).
  A referral from another agency discloses the person's identity, so it rests on a share with a legal
  basis (the consent gate, outreach.services.referrals);
- an **ExitCase** is owned by the municipality and granted to its responsible social worker, her team and
  the agency; the social worker's role reaches her own and her team's cases, the exit coordinator's the
  whole agency's. Contacts, threat assessments, measures and relatives follow their case.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Person, Share
from gvi.accounts.models import Agency, Team
from gvi.records import AgencyRecord, GroupGrant, Recorded, UserGrant


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High: within a week")
    ACUTE = "acute", _("Acute: the person is at risk now")


class ThreatLevel(models.TextChoices):
    NONE = "none", _("No known threat")
    LOW = "low", _("Low")
    ELEVATED = "elevated", _("Elevated")
    HIGH = "high", _("High")
    ACUTE = "acute", _("Acute")


class Referral(AgencyRecord):
    """A referral (remiss / anmälan) of a person who wants out, to the exit program of a municipality.

    `owner_agency` is the receiving municipality. `source_person` is the referrer's own record of the
    person (another agency's record for a referral from the police or Kriminalvården); `person` is the
    receiving agency's own record, set when the referral is recorded by the receiving agency itself or
    when the exit case is opened. The identity is copied at save time: it is what the referral disclosed.
    """

    class Source(models.TextChoices):
        POLICE = "police", _("Police")
        PROBATION = "probation", _("Kriminalvården")
        SOCIAL_SERVICES = "social_services", _("Social services")
        SCHOOL = "school", _("School")
        SELF = "self", _("Self-referral")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ASSESSED = "assessed", _("Assessed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        OPENED = "opened", _("Exit case opened")

    source = models.CharField(_("referred by"), max_length=20, choices=Source.choices)
    source_person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="referrals_made", verbose_name=_("the referrer's record")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals_received",
        verbose_name=_("the receiving agency's record"),
    )
    referring_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("referring agency")
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred by (staff)"),
    )
    referrer_name = models.CharField(
        _("referrer (school or other contact)"),
        max_length=200,
        blank=True,
        help_text=_("For a school or another referrer without an account: who referred, and how to reach them."),
    )
    receiving_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("receiving team")
    )
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    identity_number = models.CharField(_("identity number"), max_length=13, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    reason = models.TextField(_("reason for the referral"), max_length=5000)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now, editable=False)
    assessment = models.TextField(_("assessment"), max_length=5000, blank=True)
    decline_reason = models.TextField(_("reason for declining"), max_length=2000, blank=True)
    # The identity share that a referral from another agency rests on (the consent gate).
    share = models.ForeignKey(
        Share, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("share")
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        permissions = [("view_referral_status", "Can see the status of a referral it sent")]
        indexes = [models.Index(fields=["owner_agency", "status"], name="referral_agency_status")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def receiving_agency(self) -> Agency:
        """The municipality the referral was sent to: the agency that owns it."""
        return self.owner_agency

    @property
    def is_cross_agency(self) -> bool:
        return self.share_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.ASSESSED, self.Status.ACCEPTED)


class ReferralUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class ReferralGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("referral_group_grant_read")]


class ExitCase(AgencyRecord):
    """One person's exit-program case, held by the municipality's social services."""

    class Phase(models.TextChoices):
        INTAKE = "intake", _("Intake")
        STABILISE = "stabilise", _("Stabilise")
        ESTABLISH = "establish", _("Establish")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        DROPPED_OUT = "dropped_out", _("Dropped out")
        RELAPSED = "relapsed", _("Relapsed")
        MOVED_AWAY = "moved_away", _("Moved away")
        DECEASED = "deceased", _("Deceased")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("person"))
    referral = models.OneToOneField(
        Referral,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exit_case",
        verbose_name=_("referral"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible social worker"),
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default=Phase.INTAKE)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    closing_note = models.TextField(_("closing note"), max_length=2000, blank=True)
    # Kept by the services from the contacts and threat assessments, so caseloads and reminders cost one
    # query: the follow-up date of the latest contact, and the review date of the latest threat assessment.
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True, editable=False)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True, editable=False)
    threat_review_on = models.DateField(_("threat assessment review"), null=True, blank=True, editable=False)
    threat_level = models.CharField(_("threat level"), max_length=10, choices=ThreatLevel.choices, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("exit case")
        verbose_name_plural = _("exit cases")
        permissions = [
            ("view_exitcase_contact", "Can see protected contact details of the case's relatives"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(closed_on__isnull=True), name="exit_case_one_open_per_person"
            ),
        ]
        indexes = [
            models.Index(fields=["responsible", "closed_on"], name="exit_case_responsible"),
            models.Index(fields=["next_follow_up_on"], name="exit_case_follow_up", condition=models.Q(closed_on=None)),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def follow_up_overdue(self, today: object = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.next_follow_up_on is not None and self.next_follow_up_on < today  # type: ignore[operator]


class ExitCaseUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(ExitCase, on_delete=models.CASCADE)


class ExitCaseGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(ExitCase, on_delete=models.CASCADE)

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("exitcase_group_grant_read")]


class CaseEntry(Recorded):
    """What every row of an exit case carries: its case, who wrote it and when, and a version."""

    exit_case = models.ForeignKey(ExitCase, on_delete=models.CASCADE, verbose_name=_("exit case"))

    class Meta:
        abstract = True


class Contact(CaseEntry):
    """One contact with the person: the exit program's daily record."""

    class Channel(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        PHONE = "phone", _("Phone")
        HOME_VISIT = "home_visit", _("Home visit")
        IN_PRISON = "in_prison", _("In prison")
        DIGITAL = "digital", _("Digital")

    contact_on = models.DateField(_("date"), default=timezone.localdate)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.MEETING)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("staff who took part")
    )
    agencies = models.ManyToManyField(Agency, blank=True, related_name="+", verbose_name=_("agencies that took part"))
    note = models.TextField(_("short note"), max_length=2000)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    follow_up_on = models.DateField(_("follow-up date"), null=True, blank=True)

    class Meta:
        ordering = ["-contact_on", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["exit_case", "-contact_on"], name="contact_case_date"),
            # The contact list's order (newest first) across the many cases a coordinator sees.
            models.Index(fields=["-contact_on", "-id"], name="contact_date"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ThreatAssessment(CaseEntry):
    """A threat assessment (hotbildsbedömning): the level and when it must be reviewed."""

    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    level = models.CharField(_("threat level"), max_length=10, choices=ThreatLevel.choices)
    summary = models.TextField(_("summary"), max_length=5000)
    review_on = models.DateField(_("review on"))

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("threat assessment")
        verbose_name_plural = _("threat assessments")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Relative(CaseEntry):
    """A relative (anhörig) of the person who is threatened or needs support; their contact details are
    protected like the person's: with a protected identity only the responsible social worker sees them."""

    class Relation(models.TextChoices):
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Sibling")
        PARTNER = "partner", _("Partner")
        CHILD = "child", _("Child")
        OTHER = "other", _("Other relative")

    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), max_length=300, blank=True)
    protected_identity = models.BooleanField(
        _("protected identity"),
        default=False,
        help_text=_("Skyddad identitet: contact details are shown only to the responsible social worker."),
    )
    threat_level = models.CharField(_("threat level"), max_length=10, choices=ThreatLevel.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("relative")
        verbose_name_plural = _("relatives")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class SupportMeasure(CaseEntry):
    """A support measure (insats) for the person or, with `relative` set, for one of their relatives."""

    class Kind(models.TextChoices):
        HOUSING = "housing", _("Housing")
        WORK = "work", _("Work")
        EDUCATION = "education", _("Education")
        ADDICTION = "addiction", _("Addiction treatment")
        DEBT = "debt", _("Debt counselling")
        PROTECTED_IDENTITY = "protected_id", _("Protected identity")
        RELOCATION = "relocation", _("Relocation")
        SAFE_HOUSING = "safe_housing", _("Safe housing (relatives)")
        CRISIS_SUPPORT = "crisis", _("Crisis support (relatives)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ONGOING = "ongoing", _("Ongoing")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    relative = models.ForeignKey(
        Relative,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("for the relative"),
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    starts_on = models.DateField(_("start"), default=timezone.localdate)
    ends_on = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    # Relocation (omflyttning) only.
    from_municipality = models.CharField(_("from municipality"), max_length=100, blank=True)
    to_municipality = models.CharField(_("to municipality"), max_length=100, blank=True)
    moved_on = models.DateField(_("moved on"), null=True, blank=True)
    cost = models.DecimalField(
        _("cost (SEK)"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    # Only for relatives; the others are for the person and relatives alike.
    RELATIVE_ONLY = frozenset({Kind.SAFE_HOUSING, Kind.CRISIS_SUPPORT})

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("support measure")
        verbose_name_plural = _("support measures")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_relocation(self) -> bool:
        return self.kind == self.Kind.RELOCATION
