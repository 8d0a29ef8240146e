"""Writing the audit trail. Callers write in the same transaction as the change they log."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models

from gvi.audit.models import AuditAction, AuditEvent
from gvi.middleware import current_request


def identity_term_digest(term: str) -> str:
    """Keyed HMAC of an identity number used as a search term: the clear value is never stored."""
    normalised = "".join(ch for ch in term if ch.isdigit())
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def audit_record(
    *,
    actor: Any,
    action: AuditAction | str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_ids: Iterable[int | str] = (),
    purpose: str = "",
    legal_basis: str = "",
    detail: dict[str, Any] | None = None,
    username: str = "",
    about: Any = None,
) -> AuditEvent:
    """Append one event. `actor` is a Staff, or None when nobody is logged in: then give `username`, and
    `about` (the staff member the event concerns, e.g. a failed login's account) files it under their
    program and agency so that its auditor sees it."""
    context = current_request.get()
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = obj.pk
    actor_known = actor is not None and getattr(actor, "is_authenticated", False)
    home = actor if actor_known else about
    return AuditEvent.objects.create(
        actor_id=actor.pk if actor_known else None,
        actor_username=actor.get_username() if actor_known else username,
        agency_id=getattr(home, "agency_id", None),
        program_id=getattr(home, "program_id", None),
        action=str(action),
        object_type=object_type,
        object_id=str(object_id),
        object_ids=[str(i) for i in object_ids],
        purpose=purpose[:200],
        legal_basis=legal_basis[:200],
        request_id=context.request_id,
        ip=context.ip,
        detail=detail or {},
    )


def audit_shown(
    *, actor: Any, object_type: str, ids: Iterable[int | str], purpose: str, shown_on: str = ""
) -> AuditEvent | None:
    """One LIST event for the records a page showed (nothing when it showed none)."""
    ids = list(ids)
    if not ids:
        return None
    detail = {"shown_on": shown_on} if shown_on else {}
    return audit_record(
        actor=actor, action=AuditAction.LIST, object_type=object_type, object_ids=ids, purpose=purpose, detail=detail
    )
