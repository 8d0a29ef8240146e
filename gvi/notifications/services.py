"""Writes to the inbox. `notify` is idempotent per recipient and key; the e-mail it sends (after commit)
carries the title and a link only, never personal data."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Staff
from gvi.notifications.models import Notification


def _email(notification_id: int) -> None:
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    recipient = notification.recipient
    if not recipient.email or notification.emailed_at is not None:
        return
    link = f"{settings.SITE_URL.rstrip('/')}{notification.url}"
    send_mail(
        subject=f"Sluta skjut: {notification.title}",
        message=f"{notification.title}\n\n{link}\n",
        from_email=None,
        recipient_list=[recipient.email],
    )
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())


def notify(*, recipient: Staff, key: str, title: str, url: str, email: bool = True) -> Notification | None:
    """Put a notification in the recipient's inbox, unless one with this key is there already (then None).

    `title` and `url` must name no one: they go by e-mail too."""
    notification = Notification(program=recipient.program, recipient=recipient, key=key, title=title, url=url)
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        return None
    if email and recipient.email:
        transaction.on_commit(lambda: _email(notification.pk))
    return notification


@transaction.atomic
def notification_read(*, actor: Staff, notification: Notification) -> Notification:
    access.require(actor, "change", notification)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_read_all(*, actor: Staff) -> int:
    return access.visible(actor, Notification, "change").filter(read_at__isnull=True).update(read_at=timezone.now())
