"""The calendar feed: one live secret URL per staff member, made and revoked by its owner.

Only the token's SHA-256 is stored; the URL is shown once, when it is made. A revoked or unknown token, or a
deactivated owner, gets the same 404. The feed itself is read by `interventions.calendar`.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from interventions.models import CalendarFeed

PURPOSE = "calendar feed"
TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_create(*, actor: Staff) -> tuple[CalendarFeed, str]:
    """Make a new feed URL (the old one, if any, stops working). Returns the feed and its secret token."""
    access.require(actor, "change", CalendarFeed)
    # One make at a time per staff member (a double submit): the second waits, then revokes the first's feed
    # instead of breaking the one-live-feed constraint.
    Staff.objects.select_for_update().filter(pk=actor.pk).exists()
    _revoke_live(actor)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed.objects.create(user=actor, token_hash=_digest(token))
    audit_record(actor=actor, action=AuditAction.CREATE, obj=feed, purpose=PURPOSE)
    return feed, token


@transaction.atomic
def feed_revoke(*, actor: Staff) -> bool:
    """Stop the actor's feed URL. False when there was none."""
    access.require(actor, "change", CalendarFeed)
    return _revoke_live(actor)


def _revoke_live(actor: Staff) -> bool:
    live = list(access.visible(actor, CalendarFeed, "change").select_for_update().filter(revoked_at=None))
    for feed in live:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.REVOKE, obj=feed, purpose=PURPOSE)
    return bool(live)


def live_feed(actor: Staff) -> CalendarFeed | None:
    return access.visible(actor, CalendarFeed).filter(revoked_at=None).first()


def feed_owner(token: str) -> Staff | None:
    """The active owner of a live feed token, or None. Marks the feed used."""
    if not token or len(token) > 128:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_digest(token), revoked_at=None, user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return Staff.objects.get(pk=feed.user_id)


def feeds_end(*, staff: Staff, actor: Staff) -> int:
    """Stop every live feed of a staff member whose access ended or changed (an administrator's act). Returns
    how many were stopped."""
    live = list(CalendarFeed.objects.filter(user=staff, revoked_at=None))
    for feed in live:
        CalendarFeed.objects.filter(pk=feed.pk).update(revoked_at=timezone.now())
        audit_record(
            actor=actor, action=AuditAction.REVOKE, obj=feed, purpose=PURPOSE, detail={"reason": "access changed"}
        )
    return len(live)
