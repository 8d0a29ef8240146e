"""Every read of retention: the rules as they apply, what the next run will cull, and the legal holds a user
may see (every hold for the auditor; otherwise the holds on records the user sees)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Program, Staff
from gvi.retention import categories, services
from gvi.retention.categories import Category
from gvi.retention.models import LegalHold, RetentionRule


@dataclass(frozen=True)
class RuleRow:
    category: Category
    months: int | None
    rule: RetentionRule | None
    # What the next run culls in the whole program (a count only), None for a kept category.
    due: int | None


def next_run(now: datetime | None = None) -> date:
    """The day of the next nightly cull (settings.RETENTION_CULL_HOUR:MINUTE, Stockholm time)."""
    local = timezone.localtime(now or timezone.now())
    run = local.replace(hour=settings.RETENTION_CULL_HOUR, minute=settings.RETENTION_CULL_MINUTE, second=0)
    return local.date() if local < run else local.date() + timedelta(days=1)


def rules(program: Program, *, with_counts: bool = True) -> list[RuleRow]:
    """Every category with the rule that applies in the program, and how many records the next run culls."""
    own = {rule.category: rule for rule in RetentionRule.objects.filter(program=program)}
    actor = access.system_actor(program) if with_counts else None
    day = next_run()
    rows = []
    for category in categories.categories():
        rule = own.get(category.key)
        months = rule.months if rule else category.months()
        due = services.due(actor, category, day, months=months).count() if (actor and category.culled) else None
        rows.append(RuleRow(category, months, rule, due))
    return rows


def holdable(user: Staff) -> list[Category]:
    """The categories whose records the user keeps (may place holds on)."""
    return [category for category in categories.culled_categories() if access.role_allows(user, "hold", category.model)]


def may_see_holds(user: Staff) -> bool:
    return access.role_allows(user, "view", LegalHold) or bool(holdable(user))


def due_for(user: Staff, category: Category) -> QuerySet[Any]:
    """The records of a category that the user keeps (may change) and the next run culls, oldest last entry
    first. What she only sees through a share is its keeper's to hold."""
    records = services.due(user, category, next_run(), action="change")
    return records.select_related(*category.related).order_by("last_entry", "pk")


def holds(user: Staff, *, active: bool | None = True) -> QuerySet[LegalHold]:
    """The holds the user may see: all of the program's for the auditor, else those on records the user sees."""
    if access.role_allows(user, "view", LegalHold):
        found = access.visible(user, LegalHold)
    else:
        condition = Q(pk__in=[])
        for category in holdable(user):
            seen = access.visible(user, category.model).values("pk")
            condition |= Q(object_type=category.model_label, object_id__in=seen)
        found = LegalHold.objects.filter(condition, program=user.program)
    if active is not None:
        found = found.filter(lifted_at__isnull=active)
    return found.select_related("placed_by", "lifted_by").order_by("-placed_at", "-id")


def hold_for(user: Staff, pk: int) -> LegalHold | None:
    return holds(user, active=None).filter(pk=pk).first()


def liftable(user: Staff, holds: list[LegalHold]) -> set[int]:
    """Which of these holds the user may lift: those in force on records the user keeps (one query per kind)."""
    found: set[int] = set()
    for category in holdable(user):
        mine = [hold for hold in holds if hold.active and hold.object_type == category.model_label]
        if mine:
            kept = set(
                access.visible(user, category.model, "change")
                .filter(pk__in=[hold.object_id for hold in mine])
                .values_list("pk", flat=True)
            )
            found |= {hold.pk for hold in mine if hold.object_id in kept}
    return found
