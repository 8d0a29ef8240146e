"""Access review: who in the program holds which grants and shares, when they last used the system, and the
bulk revoke of stale holders' own grants.

Who may revoke: the auditor (the policy's `revoke_stale` on the trail). No other role's rows in gvi/access.py
give revoking grants; taking access away shows no case data. Only a holder's *own* (direct) grants are
revoked here: grants to a team or an agency serve everyone in it and stay with the services that made them.

A holder is stale when their account is inactive, or when they have not used the system (their latest audit
event in the program, or their last login) for STALE_AFTER days. Every read runs a fixed number of queries,
whatever the number of staff and grants: one union over the grant tables per kind of grantee.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from gvi import access
from gvi.accounts.models import Role, Staff
from gvi.audit.models import AuditEvent

STALE_AFTER: Final = timedelta(days=90)
PURPOSE: Final = "access review"


def record_kinds() -> list[type[models.Model]]:
    """The kinds of record that are granted one by one, in a stable order."""
    return [apps.get_model(label) for label in sorted(access.ROOT_MODELS)]


def _unexpired() -> Q:
    return Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())


def _grant_counts(program_id: int, *, column: str, tables: Iterable[tuple[str, type[models.Model]]]) -> Any:
    """(grantee id, record kind, records) over all grant tables in one UNION query."""
    parts = [
        table._default_manager.filter(_unexpired(), content_object__program_id=program_id)
        .order_by()
        .values(column)
        .annotate(
            kind=models.Value(label, output_field=models.CharField()), n=Count("content_object_id", distinct=True)
        )
        .values_list(column, "kind", "n")
        for label, table in tables
    ]
    return parts[0].union(*parts[1:], all=True) if parts else []


@dataclass
class Holder:
    staff: Staff
    last_event_at: datetime | None
    direct: dict[str, int] = field(default_factory=dict)
    team: dict[str, int] = field(default_factory=dict)
    agency: dict[str, int] = field(default_factory=dict)
    shares_made: int = 0
    shares_received: int = 0

    @property
    def last_use(self) -> datetime | None:
        uses = [moment for moment in (self.last_event_at, self.staff.last_login) if moment is not None]
        return max(uses) if uses else None

    @property
    def direct_total(self) -> int:
        return sum(self.direct.values())

    @property
    def stale(self) -> bool:
        """Holds grants of their own, and the account is inactive or unused for STALE_AFTER."""
        if not self.direct_total:
            return False
        last_use = self.last_use
        return not self.staff.is_active or last_use is None or last_use < timezone.now() - STALE_AFTER

    def rows(self, kinds: dict[str, str]) -> list[dict[str, Any]]:
        """Per record kind the holder holds anything of: direct, through the team, through the agency."""
        held = sorted(set(self.direct) | set(self.team) | set(self.agency))
        return [
            {
                "kind": label,
                "name": kinds[label],
                "direct": self.direct.get(label, 0),
                "team": self.team.get(label, 0),
                "agency": self.agency.get(label, 0),
            }
            for label in held
        ]


def holders(user: Staff) -> list[Holder]:
    """The program's staff (not the system actor) with their grants, shares and last use."""
    access.require(user, "review_access", AuditEvent)
    program_id = user.program_id
    assert program_id is not None
    staff = list(
        Staff.objects.filter(program_id=program_id).exclude(role=Role.SYSTEM).order_by("last_name", "first_name", "pk")
    )
    last_events = dict(
        access.visible(user, AuditEvent)
        .filter(actor_id__in=[s.pk for s in staff])
        .order_by()
        .values("actor_id")
        .annotate(at=Max("occurred_at"))
        .values_list("actor_id", "at")
    )
    found = {s.pk: Holder(staff=s, last_event_at=last_events.get(s.pk)) for s in staff}
    kinds = record_kinds()
    user_tables = [(m._meta.label_lower, get_user_obj_perms_model(m)) for m in kinds]  # type: ignore[arg-type]
    group_tables = [(m._meta.label_lower, get_group_obj_perms_model(m)) for m in kinds]  # type: ignore[arg-type]
    for staff_id, label, n in _grant_counts(program_id, column="user_id", tables=user_tables):
        if staff_id in found:
            found[staff_id].direct[label] = n
    by_group: dict[int, dict[str, int]] = defaultdict(dict)
    for group_id, label, n in _grant_counts(program_id, column="group_id", tables=group_tables):
        by_group[group_id][label] = n
    for holder in found.values():
        if holder.staff.team is not None:
            holder.team = by_group.get(holder.staff.team.group_id, {})
        if holder.staff.agency is not None:
            holder.agency = by_group.get(holder.staff.agency.group_id, {})
    _count_shares(program_id, found)
    return list(found.values())


def _count_shares(program_id: int, found: dict[int, Holder]) -> None:
    """Active shares each staff member made, and those that reach them through their team or agency."""
    share = apps.get_model("cases.share")
    active = share._default_manager.filter(
        program_id=program_id, ended_at__isnull=True, valid_until__gte=timezone.localdate()
    ).order_by()
    made = dict(active.values("created_by_id").annotate(n=Count("id")).values_list("created_by_id", "n"))
    to_team = dict(
        active.filter(receiving_team__isnull=False)
        .values("receiving_team_id")
        .annotate(n=Count("id"))
        .values_list("receiving_team_id", "n")
    )
    to_agency = dict(
        active.filter(receiving_team__isnull=True)
        .values("receiving_agency_id")
        .annotate(n=Count("id"))
        .values_list("receiving_agency_id", "n")
    )
    for holder in found.values():
        holder.shares_made = made.get(holder.staff.pk, 0)
        holder.shares_received = to_team.get(holder.staff.team_id or 0, 0) + to_agency.get(
            holder.staff.agency_id or 0, 0
        )


def kind_names() -> dict[str, str]:
    return {m._meta.label_lower: str(m._meta.verbose_name_plural) for m in record_kinds()}


# --------------------------------------------------------------------------------------------------
# Bulk revoke


@dataclass(frozen=True)
class Selection:
    """One stale holder's own grants on one kind of record."""

    staff_id: int
    kind: str

    @property
    def value(self) -> str:
        return f"{self.staff_id}:{self.kind}"

    @classmethod
    def parse(cls, value: str) -> Selection:
        staff_id, _sep, kind = value.partition(":")
        if not staff_id.isdigit() or kind not in access.ROOT_MODELS:
            raise ValidationError({"grants": _("Choose grants from the list.")})
        return cls(int(staff_id), kind)


def _actions_of(model: type[models.Model], codenames: Iterable[str]) -> list[str]:
    """access.codename() backwards: "view_person" → "view", "view_person_contact" → "view_contact"."""
    name = model._meta.model_name
    actions = []
    for codename in codenames:
        verb, _sep, rest = codename.partition(f"_{name}")
        actions.append(f"{verb}{rest}")
    return actions


def grants_revoke_stale(*, actor: Staff, selections: list[Selection], reason: str) -> int:
    """Revoke the selected stale holders' own grants through access.revoke (each revoke audited with the
    reason as its basis). Refuses, changing nothing, a selection of someone who is not a stale holder of that
    kind. Returns the number of records revoked."""
    access.require(actor, "revoke_stale", AuditEvent)
    if not selections:
        raise ValidationError({"grants": _("Choose at least one holder's grants to revoke.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the grants are revoked.")})
    stale = {h.staff.pk: h for h in holders(actor) if h.stale}
    for selection in selections:
        holder = stale.get(selection.staff_id)
        if holder is None or not holder.direct.get(selection.kind):
            raise ValidationError({"grants": _("Only a stale holder's own grants can be revoked here.")})
    revoked = 0
    with transaction.atomic():
        for selection in selections:
            holder = stale[selection.staff_id]
            model = apps.get_model(selection.kind)
            table = get_user_obj_perms_model(model)  # type: ignore[arg-type]
            held: dict[int, list[str]] = defaultdict(list)
            for object_id, codename in table._default_manager.filter(
                user_id=holder.staff.pk, content_object__program_id=actor.program_id
            ).values_list("content_object_id", "permission__codename"):
                held[object_id].append(codename)
            records = model._default_manager.in_bulk(list(held))
            for object_id, codenames in held.items():
                access.revoke(
                    records[object_id],
                    to=holder.staff,
                    actions=_actions_of(model, codenames),
                    basis=f"{PURPOSE}: {reason.strip()}"[:200],
                    actor=actor,
                )
                revoked += 1
    return revoked


def last_use_order(holder: Holder) -> tuple[bool, datetime]:
    """Stale holders first, then the longest unused."""
    floor = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    return (not holder.stale, holder.last_use or floor)
