"""Permission-matrix rows for notifications: every signed-in persona has an inbox of her own; opening a
notification of Sara's is a 404 for everyone else (PERSONAL_MODELS in gvi/access.py).

The demo has no notification, so the row that needs one makes it (idempotent per key) when it builds its
URL, from the shared scope objects.
"""

from __future__ import annotations

from typing import Any

from gvi.notifications.models import Notification
from gvi.notifications.services import notify
from tests.matrix import OK, Row, everyone, only, register

SUBJECTS: tuple[str, ...] = ("sara",)
MATRIX_KEY = "matrix.sara"


def sara_notification(world: dict[str, Any]) -> Notification:
    """Sara's notification, made on first use."""
    notify(recipient=world["sara"], key=MATRIX_KEY, title="Follow-up due", url="/outreach/", email=False)
    return Notification.objects.get(recipient=world["sara"], key=MATRIX_KEY)


register(
    Row("notifications:list", "GET", None, everyone(OK)),
    Row("notifications:unread", "GET", None, everyone(OK)),
    Row("notifications:read-all", "POST", None, everyone(OK)),
    Row(
        "notifications:open",
        "POST",
        None,
        only({"sara": OK}),
        url_kwargs=lambda world: {"pk": sara_notification(world).pk},
    ),
)
