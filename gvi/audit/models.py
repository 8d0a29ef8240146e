"""The append-only audit trail. Plain values, no foreign keys: nothing cascades into it."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("View")
    LIST = "list", _("List")
    SEARCH = "search", _("Search")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    PRINT = "print", _("Print")
    SHARE = "share", _("Share")
    GRANT = "grant", _("Grant")
    REVOKE = "revoke", _("Revoke")
    PURGE = "purge", _("Purge")
    DENY = "deny", _("Access denied")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKOUT = "lockout", _("Lockout")
    LOGOUT = "logout", _("Logout")
    MFA_ENROL = "mfa_enrol", _("MFA enrolment")
    MFA_RESET = "mfa_reset", _("MFA reset")
    TOKEN_ISSUE = "token_issue", _("API token issued")
    TOKEN_REVOKE = "token_revoke", _("API token revoked")
    TASK = "task", _("Task run")
    EMERGENCY = "emergency", _("Emergency access")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("time (UTC)"), default=timezone.now)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    agency_id = models.BigIntegerField(_("agency id"), null=True, blank=True)
    program_id = models.BigIntegerField(_("program id"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # A list or search writes one event carrying the ids it showed.
    object_ids = models.JSONField(_("object ids"), default=list, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        permissions = [("export_auditevent", "Can export audit events")]
        indexes = [
            models.Index(fields=["program_id", "-occurred_at"], name="audit_program_time"),
            models.Index(fields=["actor_id", "-occurred_at"], name="audit_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        when = f"{self.occurred_at:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"


# --------------------------------------------------------------------------------------------------
# Log review (loggkontroll): the auditor's verdict on what the checks point at. The trail itself is
# never touched: a review names the audit event it is about by its id, a plain value like the trail's.


class LogCheck(models.TextChoices):
    OUTSIDE_TEAM = "outside-team", _("Views outside the viewer's caseload or team")
    BURST = "burst", _("Many views in a short time")
    PROTECTED = "protected", _("Views of protected identities")
    EXPORTS = "exports", _("Exports and prints")
    EMERGENCY = "emergency", _("Emergency accesses")


class ReviewStatus(models.TextChoices):
    NEW = "new", _("New")
    REVIEWED_OK = "reviewed-ok", _("Reviewed, in order")
    FOLLOWED_UP = "followed-up", _("Followed up")


class LogReview(models.Model):
    """The review of one finding of one check: for a burst of views, the burst's first view event."""

    program = models.ForeignKey(
        "accounts.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )
    kind = models.CharField(_("check"), max_length=20, choices=LogCheck.choices)
    event_id = models.BigIntegerField(_("audit event id"))
    status = models.CharField(_("status"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.NEW)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        verbose_name = _("log review")
        verbose_name_plural = _("log reviews")
        constraints = [
            models.UniqueConstraint(fields=["program", "kind", "event_id"], name="log_review_one_per_finding"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.event_id} {self.status}"
