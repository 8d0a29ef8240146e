"""The record categories that retention (gallring) knows: what each holds, when its last entry was, its default
rule, and the service that culls one record.

The platform imports no domain app: each app registers its own categories when it is ready (cases: the agency
sections; outreach: exit cases; mapping: lapsed memberships). The audit trail is registered here as kept: the app
never culls it (DOMAIN.md: logs are kept at least five years and cannot be edited), and the DPIA outline
(docs/dpia.md) must name every category (tests/gvi/retention/test_dpia.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# A culling service: removes one record and everything that hangs off it (never audits: retention does).
Cull = Callable[..., None]


@dataclass(frozen=True)
class Category:
    key: str
    label: str | Promise
    # The model whose rows are culled ("cases.socialsection").
    model_label: str
    # What starts the clock, in words, for the rules page and the DPIA.
    clock: str | Promise
    # None: kept; the app never culls this category.
    default_months: int | None
    # Annotates each row with `last_entry` (a date): the day the retention period starts.
    last_entry: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None
    cull: Cull | None = None
    # A settings name whose value (months) replaces default_months where the operator sets it.
    setting: str = ""
    # The shortest rule a program may set (the law's minimum where there is one).
    min_months: int = 12
    # For the lists of records due: what to call one (its person, its group), where its page is, and the
    # relations to load with it.
    title: Callable[[Any], str] = str
    url: Callable[[Any], str] | None = None
    related: tuple[str, ...] = ()

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @property
    def culled(self) -> bool:
        return self.cull is not None

    def months(self) -> int | None:
        """The default rule: the operator's setting if there is one, else the category's own."""
        if self.setting and getattr(settings, self.setting, None) is not None:
            return int(getattr(settings, self.setting))
        return self.default_months


_CATEGORIES: dict[str, Category] = {}


def register(category: Category) -> None:
    if category.culled and (category.last_entry is None or category.default_months is None):
        raise ValueError(f"{category.key}: a culled category needs a clock and a default rule")
    _CATEGORIES[category.key] = category


def categories() -> list[Category]:
    """Every category, in a fixed order (culled ones first, then what is kept)."""
    return sorted(_CATEGORIES.values(), key=lambda category: (not category.culled, category.key))


def culled_categories() -> list[Category]:
    return [category for category in categories() if category.culled]


def get(key: str) -> Category:
    return _CATEGORIES[key]


def for_model(label: str) -> Category | None:
    return next((category for category in _CATEGORIES.values() if category.model_label == label), None)


def register_platform() -> None:
    register(
        Category(
            key="audit_events",
            label=_("Audit trail"),
            model_label="audit.auditevent",
            clock=_("Never culled by the system: kept at least five years, removed only by the operator."),
            default_months=None,
        )
    )
