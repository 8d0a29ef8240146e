"""Call-ins and custom notifications (DOMAIN.md, steps 2 and 3). Police-owned root objects:

- a **CallIn** (samtal): date and time, place, status, target groups, and an agenda of three segments with
  their speakers (staff, or named community speakers who have no account and see no personal data). The
  municipality and Kriminalvården hold its schedule only (`view_schedule`: date, place, status);
- a **CallInInvitation** per invitee (the police's record of the person): invited → confirmed → attended /
  left early / absent, whether they asked for help, and the exit-program referral that followed. The
  probation officer of a client whose probation section was shared with the police holds `view_client`
  (the call-in's time and place, the status and her own record of the client) and confirms attendance;
- a **CustomNotification** (individuellt samtal): request → legal-risk assessment (police only) → plan →
  outcome → follow-up. The social worker or probation officer who delivers it holds `view_plan`, the plan and
  the outcome, never the risk assessment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Person
from gvi.mapping.models import Group
from gvi.records import AgencyRecord, GroupGrant, UserGrant


class CallIn(AgencyRecord):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    groups = models.ManyToManyField(Group, related_name="+", verbose_name=_("target groups"))
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("call-in")
        verbose_name_plural = _("call-ins")
        permissions = [("view_callin_schedule", "Can see the date, place and status of a call-in")]
        indexes = [models.Index(fields=["program", "starts_at"], name="callin_program_time")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class CallInUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(CallIn, on_delete=models.CASCADE)


class CallInGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(CallIn, on_delete=models.CASCADE)


class Segment(models.TextChoices):
    ENFORCEMENT = "enforcement", _("The enforcement message")
    COMMUNITY = "community", _("The community's voice")
    HELP = "help", _("The offer of help")


class Speaker(models.Model):
    """A speaker in one segment of a call-in's agenda: a staff member, or a named community speaker (a
    relative of a victim, a former member, a faith or civil-society voice) who has no account."""

    call_in = models.ForeignKey(CallIn, on_delete=models.CASCADE, related_name="speakers", verbose_name=_("call-in"))
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    name = models.CharField(_("name (community speaker)"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation or role"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ["call_in", "segment", "order", "id"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff__isnull=False, name="") | models.Q(staff__isnull=True) & ~models.Q(name=""),
                name="speaker_staff_or_name",
            )
        ]

    def __str__(self) -> str:
        return self.name or str(self.staff)


class CallInInvitation(AgencyRecord):
    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        CONFIRMED = "confirmed", _("Confirmed")
        ATTENDED = "attended", _("Attended")
        LEFT_EARLY = "left_early", _("Left early")
        ABSENT = "absent", _("Absent")

    call_in = models.ForeignKey(CallIn, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("call-in"))
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("invitee"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    # The client's record at Kriminalvården and the officer, when a probation share links it to the invitee.
    probation_person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("the client's record at Kriminalvården"),
    )
    probation_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("probation officer"),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    asked_for_help = models.BooleanField(_("asked for help"), default=False)
    help_note = models.TextField(_("what they asked for"), max_length=2000, blank=True)
    referral = models.ForeignKey(
        "outreach.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referral to the exit program"),
    )
    letter_printed_at = models.DateTimeField(_("letter printed"), null=True, blank=True, editable=False)

    # Attendance statuses: the call-in was held.
    CAME = frozenset({Status.ATTENDED, Status.LEFT_EARLY})
    AFTER = frozenset({Status.ATTENDED, Status.LEFT_EARLY, Status.ABSENT})

    class Meta:
        ordering = ["call_in", "person__family_name", "person__given_name", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        permissions = [
            ("view_callininvitation_client", "Can see the invitation of one's own client"),
            ("confirm_callininvitation_attendance", "Can confirm that one's client will attend"),
        ]
        constraints = [models.UniqueConstraint(fields=["call_in", "person"], name="invitation_once_per_person")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class CallInInvitationUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(CallInInvitation, on_delete=models.CASCADE)


class CallInInvitationGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(CallInInvitation, on_delete=models.CASCADE)


class CustomNotification(AgencyRecord):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ASSESSED = "assessed", _("Risk assessed")
        PLANNED = "planned", _("Planned")
        OUTCOME = "outcome", _("Outcome recorded")
        CLOSED = "closed", _("Followed up")
        CANCELLED = "cancelled", _("Cancelled")

    class Risk(models.TextChoices):
        PROCEED = "proceed", _("Deliver")
        WITH_CARE = "with_care", _("Deliver with precautions")
        DO_NOT = "do_not", _("Do not deliver")

    class Place(models.TextChoices):
        HOME = "home", _("At home")
        STREET = "street", _("In the street")
        PRISON = "prison", _("In prison")
        PHONE = "phone", _("By phone")

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        NOT_FOUND = "not_found", _("Not found")
        REFUSED = "refused", _("Refused")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("person"))
    # Copied into the plan for those who deliver it (a declared part of the partial view `view_plan`).
    person_name = models.CharField(_("name"), max_length=201)
    reason = models.TextField(_("why a custom notification"), max_length=5000)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    # Legal-risk assessment: police only.
    risk_outcome = models.CharField(_("risk assessment"), max_length=10, choices=Risk.choices, blank=True)
    risk_reasoning = models.TextField(_("reasoning"), max_length=5000, blank=True)
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True, editable=False)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    # The plan.
    deliverers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("who delivers it")
    )
    place = models.CharField(_("place"), max_length=10, choices=Place.choices, blank=True)
    planned_for = models.DateTimeField(_("planned for"), null=True, blank=True)
    message_points = models.TextField(_("message points"), max_length=5000, blank=True)
    # The outcome and the follow-up.
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(_("when"), null=True, blank=True)
    outcome_note = models.TextField(_("what happened"), max_length=5000, blank=True)
    # The first contact with the person (delivered or refused: they were reached); with requested_at it
    # gives the time from request to contact that the reports follow.
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True, editable=False)
    help_offered = models.BooleanField(_("help offered"), default=False)
    help_accepted = models.BooleanField(_("help accepted"), default=False)
    follow_up_note = models.TextField(_("follow-up"), max_length=5000, blank=True)
    referral = models.ForeignKey(
        "outreach.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referral to the exit program"),
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("custom notification")
        verbose_name_plural = _("custom notifications")
        permissions = [("view_customnotification_plan", "Can see the plan and outcome of a notification")]
        indexes = [models.Index(fields=["program", "status"], name="notification_program_status")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def hours_to_contact(self) -> float | None:
        if self.first_contact_at is None:
            return None
        return round((self.first_contact_at - self.requested_at).total_seconds() / 3600, 1)


class CustomNotificationUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(CustomNotification, on_delete=models.CASCADE)


class CustomNotificationGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(CustomNotification, on_delete=models.CASCADE)
