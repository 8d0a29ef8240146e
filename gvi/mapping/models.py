"""Group mapping (gruppkartläggning): groups, memberships, alliances and conflicts, violent incidents.

Mapping data is police-owned: Group and Incident are root objects granted to the police agency; memberships
and relations follow their group, involvements follow their incident. Lessons from London's Gangs Matrix:
victims, suspects and witnesses of incidents are kept apart from membership, and every membership has a
review date after which it lapses unless reconfirmed.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.records import AgencyRecord, GroupGrant, UserGrant

REVIEW_MONTHS = 12
MAX_CASUALTIES = 999


def review_date_after(confirmed: date) -> date:
    """The default review date: twelve months after the last confirmation (28 Feb for 29 Feb)."""
    year, month = (
        confirmed.year + (confirmed.month - 1 + REVIEW_MONTHS) // 12,
        (confirmed.month - 1 + REVIEW_MONTHS) % 12 + 1,
    )
    day = confirmed.day
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


class GroupStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    DISSOLVED = "dissolved", _("Dissolved")


class Group(AgencyRecord):
    name = models.CharField(_("name"), max_length=120)
    aliases = models.CharField(
        _("aliases"), max_length=300, blank=True, help_text=_("Other names, separated by commas.")
    )
    district = models.CharField(_("area / district"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=GroupStatus.choices, default=GroupStatus.ACTIVE)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [models.UniqueConstraint(fields=["owner_agency", "name"], name="group_name_unique_per_agency")]
        indexes = [
            models.Index(Upper("name"), name="group_name_upper"),
            models.Index(fields=["program", "status"], name="group_program_status"),
        ]

    def __str__(self) -> str:
        return self.name


class Confidence(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    PROBABLE = "probable", _("Probable")
    POSSIBLE = "possible", _("Possible")


class MemberRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    MEMBER = "member", _("Member")
    ASSOCIATE = "associate", _("Associate")


class MembershipQuerySet(models.QuerySet["GroupMembership"]):
    def active_on(self, day: date) -> MembershipQuerySet:
        """In force on `day`: begun, not ended, and reviewed in time (a lapsed membership is inactive)."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day, review_due__gte=day)


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group"))
    # The police agency's own record of the person (cases.Person).
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    role = models.CharField(_("role in group"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER)
    confidence = models.CharField(_("confidence"), max_length=20, choices=Confidence.choices)
    source = models.CharField(_("source"), max_length=200, help_text=_("Where the information comes from."))
    valid_from = models.DateField(_("member from"))
    valid_to = models.DateField(_("member until"), null=True, blank=True)
    last_confirmed = models.DateField(_("last confirmed"))
    review_due = models.DateField(_("review due"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group__name", "-valid_from", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(review_due__gt=models.F("last_confirmed")), name="membership_review_after_confirmation"
            ),
        ]
        indexes = [
            models.Index(fields=["review_due"], name="membership_review_due"),
            models.Index(fields=["person", "group"], name="membership_person_group"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.group_id}"

    def clean(self) -> None:
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date must be on or after the start date.")})

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day) and self.review_due >= day


class RelationKind(models.TextChoices):
    ALLIANCE = "alliance", _("Alliance")
    CONFLICT = "conflict", _("Conflict")
    RIVALRY = "rivalry", _("Rivalry")


class Intensity(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class GroupRelation(models.Model):
    # The relation is recorded on the first group; it follows that group for access.
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="relations", verbose_name=_("group"))
    other_group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+", verbose_name=_("other group"))
    kind = models.CharField(_("kind"), max_length=20, choices=RelationKind.choices)
    intensity = models.PositiveSmallIntegerField(_("intensity"), choices=Intensity.choices, default=Intensity.MEDIUM)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-valid_from", "id"]
        verbose_name = _("group relation")
        verbose_name_plural = _("group relations")
        constraints = [
            models.CheckConstraint(condition=~Q(group=models.F("other_group")), name="relation_between_two_groups"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="relation_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.kind} {self.other_group_id}"


class IncidentKind(models.TextChoices):
    SHOOTING = "shooting", _("Shooting")
    EXPLOSION = "explosion", _("Explosion")
    OTHER = "other", _("Other grave violence")


class Gmi(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    SUSPECTED = "suspected", _("Suspected")
    NONE = "none", _("None")


class Incident(AgencyRecord):
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    district = models.CharField(_("district"), max_length=120, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    killed = models.PositiveSmallIntegerField(_("killed"), default=0, validators=[MaxValueValidator(MAX_CASUALTIES)])
    injured = models.PositiveSmallIntegerField(_("injured"), default=0, validators=[MaxValueValidator(MAX_CASUALTIES)])
    gmi = models.CharField(_("group-member involved (GMI)"), max_length=20, choices=Gmi.choices, default=Gmi.NONE)
    police_case_number = models.CharField(_("police case number"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    groups = models.ManyToManyField(Group, related_name="incidents", blank=True, verbose_name=_("groups involved"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["owner_agency", "police_case_number"],
                condition=~Q(police_case_number=""),
                name="incident_case_number_unique_per_agency",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="incident_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="incident_longitude_range",
            ),
        ]
        indexes = [models.Index(fields=["program", "-occurred_at"], name="incident_program_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d} {self.place}"


class InvolvementRole(models.TextChoices):
    SUSPECT = "suspect", _("Suspect")
    VICTIM = "victim", _("Victim")
    WITNESS = "witness", _("Witness")


class IncidentInvolvement(models.Model):
    """A person's part in an incident. Kept apart from membership: a victim is never made a member."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="involvements", verbose_name=_("incident")
    )
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=20, choices=InvolvementRole.choices)

    class Meta:
        ordering = ["role", "id"]
        verbose_name = _("involvement")
        verbose_name_plural = _("involvements")
        constraints = [models.UniqueConstraint(fields=["incident", "person", "role"], name="involvement_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role} in {self.incident_id}"


class GroupUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(Group, on_delete=models.CASCADE)


class GroupGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(Group, on_delete=models.CASCADE)

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("group_group_grant_read")]


class IncidentUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class IncidentGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("incident_group_grant_read")]
