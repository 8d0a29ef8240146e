"""Writes to accounts: sessions, MFA devices, API tokens, deactivation. All audited."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.accounts.models import ApiToken, Role, Staff
from gvi.accounts.signals import staff_access_ended
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record


def _require_admin(actor: Staff) -> None:
    if not (actor.is_active and actor.role == Role.ADMIN):
        raise Http404


def staff_end_sessions(*, staff: Staff) -> None:
    """End every session of this user at once (see Staff.get_session_auth_hash)."""
    Staff.objects.filter(pk=staff.pk).update(session_epoch=F("session_epoch") + 1)
    staff.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def staff_logout(*, staff: Staff) -> None:
    staff_end_sessions(staff=staff)
    audit_record(actor=staff, action=AuditAction.LOGOUT, purpose="authentication")


@transaction.atomic
def staff_deactivate(*, actor: Staff, staff: Staff) -> None:
    _require_admin(actor)
    Staff.objects.filter(pk=staff.pk).update(is_active=False)
    staff_end_sessions(staff=staff)
    ApiToken.objects.filter(user=staff, revoked_at__isnull=True).update(revoked_at=timezone.now())
    staff_access_ended.send(sender=Staff, staff=staff, actor=actor)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=staff,
        purpose="account administration",
        detail={"deactivated": True},
    )


# Changing these changes what the staff member may see: audited, and their sessions start over.
ACCESS_FIELDS = ("role", "program_id", "agency_id", "team_id", "is_active", "is_staff", "is_superuser")


@transaction.atomic
def staff_access_changed(*, actor: Staff, staff: Staff, before: dict[str, object]) -> None:
    """Record an administrator's change to a staff member's role, program, agency or team."""
    _require_admin(actor)
    changed = sorted(field for field in ACCESS_FIELDS if before.get(field) != getattr(staff, field))
    if not changed:
        return
    staff_end_sessions(staff=staff)
    staff_access_ended.send(sender=Staff, staff=staff, actor=actor)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=staff,
        purpose="account administration",
        detail={
            "fields": changed,
            "before": {f: before.get(f) for f in changed},
            "after": {f: getattr(staff, f) for f in changed},
        },
    )


@transaction.atomic
def staff_mfa_reset(*, actor: Staff, staff: Staff) -> None:
    """Only an admin can reset a device. The user enrols anew at the next login; their tokens stop."""
    _require_admin(actor)
    TOTPDevice.objects.filter(user=staff).delete()
    ApiToken.objects.filter(user=staff, revoked_at__isnull=True).update(revoked_at=timezone.now())
    # A lost phone often holds the calendar feed's address too.
    staff_access_ended.send(sender=Staff, staff=staff, actor=actor)
    staff_end_sessions(staff=staff)
    audit_record(actor=actor, action=AuditAction.MFA_RESET, obj=staff, purpose="account administration")


def totp_device_for_enrolment(*, staff: Staff) -> TOTPDevice:
    """The unconfirmed device a user enrols with (made on first use, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name="default", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, staff: Staff, device: TOTPDevice, token: str) -> bool:
    if device.user_id != staff.pk or device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=staff, action=AuditAction.MFA_ENROL, purpose="authentication")
    return True


@transaction.atomic
def api_token_issue(*, actor: Staff, name: str, session_verified: bool) -> tuple[ApiToken, str]:
    """Issue a token from an MFA-verified session. Returns the token row and the raw token (shown once)."""
    if not session_verified:
        raise Http404
    raw = ApiToken.new_raw_token()
    token = ApiToken.objects.create(
        user=actor,
        name=name.strip(),
        prefix=raw[: ApiToken.PREFIX_LENGTH],
        digest=ApiToken.digest_of(raw),
        expires_at=timezone.now() + settings.API_TOKEN_LIFETIME,
    )
    audit_record(actor=actor, action=AuditAction.TOKEN_ISSUE, obj=token, purpose="api access")
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Staff, token: ApiToken) -> None:
    if token.user_id != actor.pk and actor.role != Role.ADMIN:
        raise Http404
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKE, obj=token, purpose="api access")
