"""Writing the audit trail. Callers write in the same transaction as the change they log."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from gvi.audit.models import AuditAction, AuditEvent, LogCheck, LogReview, ReviewStatus
from gvi.concurrency import save_new_unique, update_versioned
from gvi.middleware import current_request

COMMENT_MAX = 2000


def identity_term_digest(term: str) -> str:
    """Keyed HMAC of an identity number used as a search term: the clear value is never stored."""
    normalised = "".join(ch for ch in term if ch.isdigit())
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


@dataclass
class _Batch:
    depth: int  # the transactions open when the batch began
    events: list[AuditEvent] = field(default_factory=list)


_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)


@contextmanager
def audit_batched() -> Iterator[None]:
    """Write the events recorded in the block in one INSERT when it ends, rather than one each.

    A page that shows several kinds of record writes a LIST event for each kind: gathered, they cost one
    query. Only events recorded outside any transaction the block opened wait; an event recorded inside one
    (a change and its audit) is written at once, in that transaction, as the callers' rule requires. The
    events are written however the block ends, so what was read is logged even when the page then fails."""
    if _batch.get() is not None:
        yield
        return
    batch = _Batch(depth=len(connection.atomic_blocks))
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        if batch.events:
            AuditEvent.objects.bulk_create(batch.events)


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
    event = AuditEvent(
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
    batch = _batch.get()
    if batch is not None and len(connection.atomic_blocks) == batch.depth:
        batch.events.append(event)
    else:
        event.save(force_insert=True)
    return event


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


# --------------------------------------------------------------------------------------------------
# Log review


def log_review_set(
    *, actor: Any, kind: str, event_id: int, status: str, comment: str, expected_version: int
) -> LogReview:
    """Set the review of one finding of a check. `expected_version`: the version read (0 when the finding
    had no review yet); a stale one raises StaleVersion. Audited as an update of the review."""
    from gvi import access
    from gvi.audit import selectors

    access.require(actor, "change", LogReview)
    errors: dict[str, str] = {}
    if kind not in LogCheck.values:
        errors["kind"] = gettext("Unknown check.")
    if status not in ReviewStatus.values:
        errors["status"] = gettext("Choose a status from the list.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = gettext("At most %(max)d characters.") % {"max": COMMENT_MAX}
    elif status == ReviewStatus.FOLLOWED_UP and not comment:
        errors["comment"] = gettext("Say how the finding was followed up.")
    if errors:
        raise ValidationError(errors)
    if not selectors.is_finding(actor, kind, event_id):
        raise ValidationError({"event_id": gettext("This event is not a finding of the check.")})
    with transaction.atomic():
        review = (
            LogReview.objects.select_for_update()
            .filter(program_id=actor.program_id, kind=kind, event_id=event_id)
            .first()
        )
        changes = {"status": status, "comment": comment, "reviewed_by": actor, "reviewed_at": timezone.now()}
        if review is None:
            if expected_version != 0:
                raise ValidationError({"version": gettext("The review was removed. Reload the page.")})
            review = LogReview(program_id=actor.program_id, kind=kind, event_id=event_id, **changes)
            save_new_unique(review, field="version", message=gettext("Someone reviewed this finding just now."))
        else:
            review = update_versioned(review, expected_version=expected_version, changes=changes)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=review,
            purpose="log review",
            detail={"check": kind, "event_id": event_id, "status": status},
        )
    return review
