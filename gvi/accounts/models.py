"""Programs, agencies, teams and staff: who works where, in which role."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Program(models.Model):
    """One municipality's Sluta skjut, e.g. "Sluta skjut Malmö"."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    emergency_access_allowed = models.BooleanField(_("emergency access allowed"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    POLICE = "police", _("Police")
    MUNICIPALITY = "municipality", _("Municipality")
    PRISON_SERVICE = "prison_service", _("Prison and probation service")
    OTHER = "other", _("Other")


def _own_group(prefix: str, slug: str) -> Group:
    group, _created = Group.objects.get_or_create(name=f"{prefix}:{slug}")
    return group


class Agency(models.Model):
    """A participating authority (police area, municipality, Kriminalvården region)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    programs = models.ManyToManyField(Program, related_name="agencies", verbose_name=_("programs"))
    # Grants to the whole agency are made to this group (django-guardian group object permissions).
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency", editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.group_id:
            self.group = _own_group("agency", self.slug)
        super().save(*args, **kwargs)


class Team(models.Model):
    """A group of staff inside an agency, e.g. the municipality's exit team."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams", verbose_name=_("agency"))
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team", editable=False)

    class Meta:
        ordering = ["agency__name", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="team_name_unique_in_agency")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.group_id:
            self.group = _own_group("team", self.slug)
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    POLICE_COORDINATOR = "police_coordinator", _("Police coordinator")
    POLICE_ANALYST = "police_analyst", _("Police analyst")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    EXIT_COORDINATOR = "exit_coordinator", _("Exit coordinator")
    PROBATION_OFFICER = "probation_officer", _("Probation officer")
    PROGRAM_LEAD = "program_lead", _("Program lead")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
    SYSTEM = "system", _("System")


class StaffManager(UserManager["Staff"]):
    """Every staff lookup brings agency, team and program: the access policy needs their groups."""

    def get_queryset(self) -> models.QuerySet[Staff]:
        return super().get_queryset().select_related("agency", "team", "program")

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> Staff:
        """`createsuperuser` makes an account administrator: Django admin, no case data."""
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class Staff(AbstractUser):
    """A person who logs in: a user in one agency and program, with one role."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("program")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("agency")
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    # Bumped to end every session of the user at once (logout, deactivation, device reset).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[StaffManager] = StaffManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "system"])
                | models.Q(agency__isnull=False, program__isnull=False),
                name="staff_case_roles_need_agency_and_program",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.team is not None and self.agency_id and self.team.agency_id != self.agency_id:
            raise ValidationError({"team": _("The team must belong to the staff member's agency.")})
        if self.role not in {Role.ADMIN, Role.SYSTEM} and not (self.agency_id and self.program_id):
            raise ValidationError(_("Staff with a case role need an agency and a program."))

    @property
    def workplace(self) -> tuple[int, int]:
        """(program id, agency id) where this staff member's records belong. Case roles always have both."""
        if self.program_id is None or self.agency_id is None:
            raise ValueError(f"staff {self.pk} has no program or agency and can own no records")
        return self.program_id, self.agency_id

    def get_session_auth_hash(self) -> str:
        # Django ends a session whose stored hash no longer matches; mixing in the epoch lets us
        # end every session of this user by bumping it, without scanning the session table.
        return salted_hmac(
            "gvi.accounts.Staff.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            algorithm="sha256",
        ).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Issued from an MFA-verified session; expires; revocable.

    Only a SHA-256 digest of the token is stored; the token itself is shown once, at issue.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.user.is_active


class EmergencyAccess(models.Model):
    """Emergency access (nödåtkomst): one record outside the user's scope, opened with a stated reason for a
    short time. Only ever appended; it ends by expiring. The rules are in gvi/accounts/emergency.py; the
    access policy (gvi/access.py, EMERGENCY_MODELS) reads the active ones."""

    user = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="emergency_accesses", verbose_name=_("staff member")
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+", verbose_name=_("program"))
    # The record as a plain label and id (like the audit trail), so nothing here depends on the domain apps.
    object_type = models.CharField(_("kind of record"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("record number"))
    # As long as an audit event's purpose, where the reason is written too.
    reason = models.CharField(_("reason"), max_length=200)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = [models.Index(fields=["user", "object_type", "expires_at"], name="emergency_user_active")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("opened_at")), name="emergency_ends_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} ({self.user_id})"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
