"""Every write of retention: rules, legal holds, and the cull itself.

The cull runs per program as that program's system actor (gvi.access.system_actor). For each culled category
it takes the records whose last entry is older than the rule, leaves those under an active legal hold, and
removes each through its app's culling service, one transaction per record. Each cull is audited as a PURGE
with the category, the record's id and the rule, and logged the same way: never its content.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi import access
from gvi.accounts.models import Program, Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import update_versioned
from gvi.retention import categories
from gvi.retention.categories import Category
from gvi.retention.models import MAX_MONTHS, REASON_MIN_LENGTH, LegalHold, RetentionRule

logger = logging.getLogger(__name__)

PURPOSE = "retention"


# --------------------------------------------------------------------------------------------------
# Rules


def rule_months(program: Program, category: Category) -> tuple[int | None, RetentionRule | None]:
    """The months a category's records are kept after their last entry in this program, and the program's own
    rule if it has one (else the category's default applies)."""
    rule = RetentionRule.objects.filter(program=program, category=category.key).first()
    return (rule.months, rule) if rule else (category.months(), None)


def cutoff(today: date, months: int) -> date:
    """Records whose last entry is before this day are due: five years after 23 Nov 2021 is 23 Nov 2026, so a
    last entry of 22 Nov 2021 is due on 23 Nov 2026 and one of 23 Nov 2021 is not yet."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return today.replace(year=year, month=month, day=min(today.day, calendar.monthrange(year, month)[1]))


def _culled_category(key: str) -> Category:
    try:
        category = categories.get(key)
    except KeyError:
        category = None
    if category is None or not category.culled:
        raise ValidationError({"category": _("Choose a category of records that the system culls.")})
    return category


def _check_months(category: Category, months: Any) -> int:
    if not isinstance(months, int) or isinstance(months, bool) or not category.min_months <= months <= MAX_MONTHS:
        raise ValidationError(
            {
                "months": _("Give a number of months from %(min)s to %(max)s.")
                % {"min": category.min_months, "max": MAX_MONTHS}
            }
        )
    return months


@transaction.atomic
def rule_set(*, actor: Staff, category: str, months: Any, expected_version: int | None = None) -> RetentionRule:
    """Set the program's rule for a category. A first rule needs no version; a change names the version read."""
    access.require(actor, "change", RetentionRule)
    kind = _culled_category(category)
    months = _check_months(kind, months)
    program = actor.program
    assert program is not None
    rule = RetentionRule.objects.select_for_update().filter(program=program, category=kind.key).first()
    if rule is None:
        try:
            with transaction.atomic():
                rule = RetentionRule.objects.create(program=program, category=kind.key, months=months, updated_by=actor)
        except IntegrityError:
            raise ValidationError(
                {"months": _("Someone else set this rule meanwhile: reload the page and try again.")}
            ) from None
        audit_record(actor=actor, action=AuditAction.CREATE, obj=rule, purpose=PURPOSE, detail={"months": months})
        return rule
    if expected_version is None:
        expected_version = rule.version
    before = rule.months
    fresh = update_versioned(rule, expected_version=expected_version, changes={"months": months, "updated_by": actor})
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"months": [before, months]}
    )
    return fresh


# --------------------------------------------------------------------------------------------------
# Legal holds


def may_hold(user: Staff, record: models.Model) -> bool:
    """Those who keep a record place and lift its holds: the role holds the category, and may change the record."""
    model = type(record)
    return categories.for_model(model._meta.label_lower) is not None and (
        access.role_allows(user, "hold", model) and access.can(user, "change", record)
    )


def _reason(value: Any, field: str = "reason") -> str:
    reason = (value or "").strip() if isinstance(value, str) else ""
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {field: _("Give the reason (at least %(count)s characters).") % {"count": REASON_MIN_LENGTH}}
        )
    return reason


@transaction.atomic
def hold_place(*, actor: Staff, record: models.Model, reason: Any) -> LegalHold:
    """Stop culling of one record until the hold is lifted (404 unless the actor keeps the record)."""
    if not may_hold(actor, record):
        raise Http404
    reason = _reason(reason)
    model = type(record)
    label = model._meta.label_lower
    category = categories.for_model(label)
    assert category is not None
    # The cull locks the record before it checks for holds: a hold placed meanwhile waits, or finds it gone.
    locked = model._default_manager.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise Http404
    if LegalHold.objects.active().filter(object_type=label, object_id=record.pk).exists():
        raise ValidationError({"reason": _("This record is under a legal hold already.")})
    assert actor.program is not None
    hold = LegalHold.objects.create(
        program=actor.program,
        category=category.key,
        object_type=label,
        object_id=record.pk,
        reason=reason,
        placed_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=hold,
        purpose=PURPOSE,
        detail={"record": f"{label}:{record.pk}", "category": category.key},
    )
    return hold


def held_record(hold: LegalHold) -> models.Model | None:
    category = categories.get(hold.category)
    return category.model._default_manager.filter(pk=hold.object_id).first()


@transaction.atomic
def hold_lift(*, actor: Staff, hold: LegalHold, reason: Any) -> LegalHold:
    """End a hold: the record is culled again when its time comes. The hold stays, lifted, as the record of it."""
    record = held_record(hold)
    if record is None or not may_hold(actor, record):
        raise Http404
    reason = _reason(reason)
    fresh = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if not fresh.active:
        raise ValidationError({"reason": _("This hold has been lifted already.")})
    fresh.lifted_at, fresh.lifted_by, fresh.lift_reason = timezone.now(), actor, reason
    fresh.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"record": f"{hold.object_type}:{hold.object_id}", "lifted": True},
    )
    return fresh


# --------------------------------------------------------------------------------------------------
# The cull


def due(
    actor: Staff, category: Category, today: date, *, action: str = "cull", months: int | None = None
) -> QuerySet[Any]:
    """The records of a category the actor may see (`action`) whose time is up on `today`, not under a hold.
    `months`: the rule, where the caller has read it already."""
    program = actor.program
    assert program is not None
    assert category.last_entry is not None
    if months is None:
        months, _rule = rule_months(program, category)
    assert months is not None
    held = LegalHold.objects.active().filter(object_type=category.model_label).values("object_id")
    records = access.visible(actor, category.model, action).exclude(pk__in=held)
    return category.last_entry(records).filter(last_entry__lt=cutoff(today, months))


def cull_program(program: Program, *, today: date | None = None) -> dict[str, int]:
    """Cull what is due in one program; returns the number culled per category."""
    today = today or timezone.localdate()
    actor = access.system_actor(program)
    culled: dict[str, int] = {}
    for category in categories.culled_categories():
        months, rule = rule_months(program, category)
        count = 0
        for pk, last_entry in list(due(actor, category, today, months=months).values_list("pk", "last_entry")):
            if _cull_one(actor, category, pk, today=today, months=months, rule=rule, last_entry=last_entry):
                count += 1
        culled[category.key] = count
    audit_record(actor=actor, action=AuditAction.TASK, purpose="retention cull", detail={"culled": culled})
    return culled


@transaction.atomic
def _cull_one(
    actor: Staff,
    category: Category,
    pk: int,
    *,
    today: date,
    months: int | None,
    rule: RetentionRule | None,
    last_entry: date,
) -> bool:
    """Cull one record, unless a hold was placed or an entry written since it was found due."""
    assert category.cull is not None
    model = category.model
    record = model._default_manager.select_for_update().filter(pk=pk).first()
    if record is None or not due(actor, category, today, months=months).filter(pk=pk).exists():
        return False
    category.cull(actor=actor, record=record)
    source = "program" if rule else "default"
    detail = {
        "category": category.key,
        "rule": {"months": months, "source": source, "version": rule.version if rule else 0},
        "last_entry": last_entry.isoformat(),
    }
    audit_record(
        actor=actor,
        action=AuditAction.PURGE,
        object_type=model._meta.label_lower,
        object_id=pk,
        purpose=PURPOSE,
        detail=detail,
    )
    logger.info(
        "retention: culled %s %s (%s, rule %s months, %s)", category.key, pk, model._meta.label_lower, months, source
    )
    return True
