"""The API's base viewset: querysets always come from the access policy."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from gvi import access
from gvi.accounts.models import Staff


class ScopedViewSetMixin:
    """Querysets come from the access policy, never from Model.objects: nothing leaks by default."""

    model: ClassVar[type[models.Model]]
    access_action: ClassVar[str] = "view"
    lookup_value_regex = r"[0-9]+"
    request: Any

    def get_queryset(self) -> models.QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            # The schema generator asks without a user: it learns the model and nothing else.
            return self.model._default_manager.none()
        return self.scoped_queryset(staff_of(self.request))

    def scoped_queryset(self, user: Staff) -> models.QuerySet[Any]:
        return access.visible(user, self.model, self.access_action)


def staff_of(request: Any) -> Staff:
    """The authenticated staff member of an API request (IsVerifiedStaff has let only those through)."""
    user = request.user
    assert isinstance(user, Staff)
    return user
