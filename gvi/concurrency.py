"""Optimistic concurrency: an edit names the version it read; a stale edit is refused, not lost."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
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


def save_new_unique(obj: models.Model, *, field: str, message: str) -> None:
    """Insert `obj`; if a concurrent insert took the same unique value first, a field error, not a 500.

    The services check uniqueness before saving; this covers the race between that check and the insert.
    """
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        raise ValidationError({field: message}) from None
