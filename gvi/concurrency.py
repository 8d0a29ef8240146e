"""Optimistic concurrency: an edit names the version it read; a stale edit is refused, not lost."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone


class StaleVersion(Exception):
    """Someone saved the record after the editor read it. `current` is the record as it is now."""

    def __init__(self, current: models.Model) -> None:
        super().__init__("the record was changed by someone else")
        self.current = current


def update_versioned[M: models.Model](obj: M, *, expected_version: int, changes: dict[str, Any]) -> M:
    """Write `changes` only if the stored version is still `expected_version`; returns the fresh row."""
    model = type(obj)
    changes = {**changes, "version": F("version") + 1}
    if any(field.name == "updated_at" for field in model._meta.fields):
        changes["updated_at"] = timezone.now()
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(**changes)
    fresh = model._default_manager.get(pk=obj.pk)
    if not updated:
        raise StaleVersion(fresh)
    return fresh
