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
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Person
from gvi.mapping.models import Group, IncidentKind
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

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("callin_group_grant_read")]


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

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("invitation_group_grant_read")]


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
        indexes = [
            models.Index(fields=["program", "status"], name="notification_program_status"),
            # The list's default order (newest request first): read in order, no sort of 50,000 rows.
            models.Index(fields=["program", "-requested_at", "-id"], name="notification_program_requested"),
        ]

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

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("notification_group_grant_read")]


# --------------------------------------------------------------------------------------------------
# Enforcement rounds (ökat fokus): DOMAIN.md step 5


class EnforcementRound(AgencyRecord):
    """A round of enforcement against a whole group that kept shooting after it was warned. The police own it.
    An agency asked to act holds the round's summary (`view_summary`: dates, status and the summary written
    for partners; never the group, the reason, the incidents or the evaluation) and its own actions."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", pgettext_lazy("status of an enforcement round", "Ended")

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+", verbose_name=_("group"))
    reason = models.TextField(_("reason"), max_length=5000)
    incidents = models.ManyToManyField(
        "mapping.Incident", blank=True, related_name="+", verbose_name=_("incidents that triggered it")
    )
    summary = models.TextField(
        _("summary for the agencies asked to act"),
        max_length=2000,
        blank=True,
        help_text=_("What the other agencies are told. Name no persons and no intelligence."),
    )
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    evaluation = models.TextField(_("evaluation"), max_length=5000, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("enforcement round")
        verbose_name_plural = _("enforcement rounds")
        permissions = [("view_enforcementround_summary", "Can see the summary of an enforcement round")]
        indexes = [models.Index(fields=["program", "status"], name="round_program_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="round_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["group"], condition=models.Q(status="active"), name="one_active_round_per_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class EnforcementRoundUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(EnforcementRound, on_delete=models.CASCADE)


class EnforcementRoundGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(EnforcementRound, on_delete=models.CASCADE)


class EnforcementAction(AgencyRecord):
    """One action of a round, by an agency of the program (the police, Kriminalvården) or by an outside
    authority (Kronofogden, Skatteverket) whose result the police record. A root object of its own: the acting
    agency holds it and records its result; the police hold every action of their rounds."""

    class Kind(models.TextChoices):
        ARREST = "arrest", _("Arrest")
        DETENTION = "detention", _("Detention")
        SEARCH = "search", pgettext_lazy("enforcement action", "Search")
        KRONOFOGDEN = "kronofogden", _("Kronofogden (enforcement authority)")
        SKATTEVERKET = "skatteverket", _("Skatteverket (tax agency)")
        SUPERVISION = "supervision", _("Tightened supervision")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        NOT_DONE = "not_done", _("Not carried out")

    round = models.ForeignKey(
        EnforcementRound, on_delete=models.CASCADE, related_name="actions", verbose_name=_("enforcement round")
    )
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    acted_on = models.DateField(_("date"))
    acting_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acting agency"),
    )
    external_agency = models.CharField(_("outside authority"), max_length=120, blank=True)
    description = models.TextField(_("what is to be done"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    result = models.TextField(_("result"), max_length=5000, blank=True)
    result_recorded_at = models.DateTimeField(_("result recorded"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["round", "acted_on", "id"]
        verbose_name = _("enforcement action")
        verbose_name_plural = _("enforcement actions")
        permissions = [("record_enforcementaction_result", "Can record the result of an enforcement action")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acting_agency__isnull=False, external_agency="")
                | models.Q(acting_agency__isnull=True) & ~models.Q(external_agency=""),
                name="action_agency_or_outside",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.acted_on:%Y-%m-%d}"

    @property
    def actor_name(self) -> str:
        return self.acting_agency.name if self.acting_agency_id else self.external_agency  # type: ignore[union-attr]


class EnforcementActionUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE)


class EnforcementActionGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE)


# --------------------------------------------------------------------------------------------------
# The response after a shooting (rutin vid skjutningar): DOMAIN.md step 6


class ResponseTemplateItem(models.Model):
    """One task of the program's response routine: what, which agency, and the deadline in hours from the
    incident. Program structure, not case data: no persons."""

    program = models.ForeignKey("accounts.Program", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible agency")
    )
    deadline_hours = models.PositiveSmallIntegerField(
        _("deadline (hours after the incident)"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["program", "order", "deadline_hours", "id"]
        verbose_name = _("routine task")
        verbose_name_plural = _("routine tasks")

    def __str__(self) -> str:
        return self.title


class IncidentResponse(AgencyRecord):
    """The routine after one incident. The police own it; each agency with tasks holds `view_summary`: the
    incident's date, district and kind (copied here), never the police details of the incident."""

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        CLOSED = "closed", pgettext_lazy("status of a response", "Closed")

    incident = models.OneToOneField(
        "mapping.Incident", on_delete=models.PROTECT, related_name="response", verbose_name=_("incident")
    )
    occurred_at = models.DateTimeField(_("date and time of the incident"))
    district = models.CharField(_("district"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("response after an incident")
        verbose_name_plural = _("responses after incidents")
        permissions = [("view_incidentresponse_summary", "Can see the date, district and kind of the incident")]
        indexes = [
            models.Index(fields=["program", "status"], name="response_program_status"),
            # The list's order (the incident's time, newest first).
            models.Index(fields=["program", "-occurred_at", "-id"], name="response_program_time"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class IncidentResponseUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(IncidentResponse, on_delete=models.CASCADE)


class IncidentResponseGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(IncidentResponse, on_delete=models.CASCADE)

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("response_group_grant_read")]


class ResponseTask(AgencyRecord):
    """A task of a response, owned by one agency (`owner_agency`), with an assignee there and a deadline counted
    from the incident. A root object: the owning agency sees and resolves it; the police (who own the response)
    follow another agency's task by its status (`view_status`), never its note or who works on it."""

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")
        NOT_NEEDED = "not_needed", _("Not needed")

    response = models.ForeignKey(
        IncidentResponse, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("response")
    )
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ["response", "deadline", "order", "id"]
        verbose_name = _("response task")
        verbose_name_plural = _("response tasks")
        # The police follow another agency's task by its status (access.PARTIAL_FIELDS), never its note.
        permissions = [
            ("view_responsetask_status", "Can see the title, agency, deadline and status of another agency's task")
        ]
        indexes = [
            models.Index(
                fields=["owner_agency", "deadline"], name="response_task_open", condition=models.Q(status="open")
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, now: object = None) -> bool:
        return self.status == self.Status.OPEN and self.deadline < (now or timezone.now())  # type: ignore[operator]


class ResponseTaskUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(ResponseTask, on_delete=models.CASCADE)


class ResponseTaskGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(ResponseTask, on_delete=models.CASCADE)

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("task_group_grant_read")]


# --------------------------------------------------------------------------------------------------
# The calendar feed


class CalendarFeed(models.Model):
    """A staff member's iCal feed at a secret URL. Only the token's SHA-256 is stored; the URL is shown once,
    when it is made. Revoked, it answers 404 like any unknown address."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(revoked_at=None), name="one_live_feed_per_user")
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
