"""Logins, failed logins and lockouts go to the audit trail."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from gvi.accounts.middleware import LOGIN_AT_SESSION_KEY
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record

# Sent when a staff member is deactivated, their access changes (role, program, agency, team) or their
# second factor is reset: apps end what lives outside a session, such as a calendar feed address.
# Arguments: staff, actor.
staff_access_ended = Signal()


@receiver(user_logged_in, dispatch_uid="gvi.accounts.audit_login")
def _audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_SESSION_KEY] = time.time()
    audit_record(actor=user, action=AuditAction.LOGIN, purpose="authentication")


@receiver(user_login_failed, dispatch_uid="gvi.accounts.audit_login_failed")
def _audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    about = Staff.objects.filter(username=username).first()
    audit_record(actor=None, username=username, about=about, action=AuditAction.LOGIN_FAILED, purpose="authentication")


@receiver(user_locked_out, dispatch_uid="gvi.accounts.audit_lockout")
def _audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    username = (username or "")[:150]
    about = Staff.objects.filter(username=username).first()
    audit_record(actor=None, username=username, about=about, action=AuditAction.LOCKOUT, purpose="authentication")
