"""THE access policy: the only place that decides who sees or changes what.

A user may do an action on an object when both hold:

1. their **role** allows the action on that kind of object: the table `POLICY` below gives
   role × model × action → scope (`own`, `team`, `agency`, or `program` for records that are not
   granted one by one, such as audit events and counts);
2. the object is **granted** to them, or to their team or their agency, as far as that scope reaches:
   with scope `team` the user's own and their team's grants count, with `agency` also the agency's.

Grants are django-guardian object permissions held in direct foreign-key tables
(`<Model>UserObjectPermission` / `<Model>GroupObjectPermission`); teams and agencies each have a Django
group. Grants sit on root objects; child rows follow their parent through one declared relation.

Nobody else calls guardian or filters by agency by hand. Missing and forbidden look the same (404).
Anything unknown (role, model, action) is denied and logged. Superusers and model-level permissions
give nothing here: only the table and the grants do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.signals import post_migrate
from django.http import Http404
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from gvi.accounts.models import Agency, Role, Staff, Team
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record

if TYPE_CHECKING:
    from gvi.accounts.models import Program

logger = logging.getLogger("gvi.access")


class Scope(StrEnum):
    OWN = "own"
    TEAM = "team"
    AGENCY = "agency"
    PROGRAM = "program"


OWN, TEAM, AGENCY, PROGRAM = Scope.OWN, Scope.TEAM, Scope.AGENCY, Scope.PROGRAM

# Actions that are Django's default permissions; any other action names a custom permission
# declared on the model as "<verb>_<model>_<qualifier>", e.g. action "view_identity" on Person is
# the permission "view_person_identity".
STANDARD_ACTIONS: Final = frozenset({"view", "add", "change", "delete"})

# Root objects: granted one by one. Child rows follow a parent: label -> (foreign key, parent label).
ROOT_MODELS: Final[frozenset[str]] = frozenset({"cases.person", "mapping.group", "mapping.incident"})
CHILD_MODELS: Final[Mapping[str, tuple[str, str]]] = {
    "mapping.groupmembership": ("group", "mapping.group"),
    "mapping.grouprelation": ("group", "mapping.group"),
    "mapping.incidentinvolvement": ("incident", "mapping.incident"),
}
# Program-wide records (no object grants): visible in full to a role whose scope is `program`.
PROGRAM_MODELS: Final[frozenset[str]] = frozenset({"audit.auditevent"})

# Partial views: what a holder of only this permission may see of the object.
PARTIAL_FIELDS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("cases.person", "view_identity"): ("id", "given_name", "family_name", "birth_year"),
}

_PERSON = "cases.person"
_AUDIT = "audit.auditevent"
_GROUP = "mapping.group"
_MEMBERSHIP = "mapping.groupmembership"
_RELATION = "mapping.grouprelation"
_INCIDENT = "mapping.incident"
_INVOLVEMENT = "mapping.incidentinvolvement"

# The police work the group map together: the whole police agency sees and edits it.
_MAPPING_EDITOR: Final[Mapping[str, Mapping[str, Scope]]] = {
    model: {"view": AGENCY, "add": AGENCY, "change": AGENCY, "export": AGENCY}
    for model in (_GROUP, _MEMBERSHIP, _RELATION, _INCIDENT, _INVOLVEMENT)
}
# Reports count incidents and groups across the program; nobody outside the police opens them.
_MAPPING_COUNTS: Final[Mapping[str, Mapping[str, Scope]]] = {
    _GROUP: {"count": PROGRAM},
    _INCIDENT: {"count": PROGRAM},
    _MEMBERSHIP: {"count": PROGRAM},
}

POLICY: Final[Mapping[str, Mapping[str, Mapping[str, Scope]]]] = {
    Role.POLICE_COORDINATOR: {
        _PERSON: {"view": AGENCY, "add": AGENCY, "change": AGENCY, "view_identity": AGENCY},
        **_MAPPING_EDITOR,
    },
    Role.POLICE_ANALYST: {
        _PERSON: {"view": AGENCY, "add": AGENCY, "change": AGENCY, "view_identity": AGENCY},
        **_MAPPING_EDITOR,
    },
    Role.SOCIAL_WORKER: {
        _PERSON: {"view": TEAM, "add": TEAM, "change": TEAM, "view_identity": OWN},
    },
    Role.EXIT_COORDINATOR: {
        _PERSON: {"view": AGENCY, "add": AGENCY, "change": AGENCY, "view_identity": AGENCY},
    },
    Role.PROBATION_OFFICER: {
        _PERSON: {"view": OWN, "add": OWN, "change": OWN, "view_identity": OWN},
    },
    Role.PROGRAM_LEAD: {
        _PERSON: {"count": PROGRAM},
        **_MAPPING_COUNTS,
    },
    Role.AUDITOR: {
        _AUDIT: {"view": PROGRAM, "export": PROGRAM},
    },
    Role.ADMIN: {},
    Role.SYSTEM: {
        _PERSON: {"count": PROGRAM},
        **_MAPPING_COUNTS,
    },
}

# Grants made when a record is created: to its creator, the creator's team and agency. Which of those
# grants count for a given user is the role's scope above.
OWNER_ACTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    _PERSON: ("view", "change"),
    _GROUP: ("view", "change"),
    _INCIDENT: ("view", "change"),
}


# --------------------------------------------------------------------------------------------------
# Role table look-ups


def scope_for(user: Any, model: type[models.Model], action: str) -> Scope | None:
    """The scope the user's role gives for `action` on `model`, or None (denied, and logged if unknown)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    label = model._meta.label_lower
    if label not in ROOT_MODELS and label not in CHILD_MODELS and label not in PROGRAM_MODELS:
        logger.warning("access denied: unknown model %s (action %s, user %s)", label, action, user.pk)
        return None
    role_table = POLICY.get(getattr(user, "role", ""))
    if role_table is None:
        logger.warning("access denied: unknown role %r (user %s)", getattr(user, "role", None), user.pk)
        return None
    scope = role_table.get(label, {}).get(action)
    if scope is None:
        return None
    if scope is not PROGRAM and not getattr(user, "agency_id", None):
        return None
    return scope


def role_allows(user: Any, action: str, model: type[models.Model]) -> bool:
    return scope_for(user, model, action) is not None


def codename(model: type[models.Model], action: str) -> str:
    model_name = model._meta.model_name
    if action in STANDARD_ACTIONS:
        return f"{action}_{model_name}"
    verb, _sep, qualifier = action.partition("_")
    if not qualifier:
        raise ValueError(f"unknown action {action!r}")
    return f"{verb}_{model_name}_{qualifier}"


# Permission ids are looked up once per process; cleared when tables are (re)created.
_permission_ids: dict[tuple[str, str], int] = {}


def _permission_id(model: type[models.Model], name: str) -> int:
    key = (model._meta.label_lower, name)
    if key not in _permission_ids:
        _permission_ids[key] = Permission.objects.get(
            content_type__app_label=model._meta.app_label, content_type__model=model._meta.model_name, codename=name
        ).pk
    return _permission_ids[key]


def _clear_permission_cache(**_kwargs: Any) -> None:
    _permission_ids.clear()


def connect_signals() -> None:
    post_migrate.connect(_clear_permission_cache, dispatch_uid="gvi.access.clear_permission_cache")


# --------------------------------------------------------------------------------------------------
# Reading


def _group_ids_in_scope(user: Staff, scope: Scope) -> list[int]:
    group_ids = []
    if scope in (TEAM, AGENCY) and user.team_id:
        group_ids.append(user.team.group_id)  # type: ignore[union-attr]
    if scope is AGENCY and user.agency_id:
        group_ids.append(user.agency.group_id)  # type: ignore[union-attr]
    return group_ids


def _granted[M: models.Model](user: Staff, model: type[M], action: str, scope: Scope) -> QuerySet[M]:
    """Root objects of `model` granted to the user for `action`, as far as `scope` reaches."""
    try:
        permission_id = _permission_id(model, codename(model, action))
    except (Permission.DoesNotExist, ValueError):
        logger.warning("access denied: no object permission for %s on %s", action, model._meta.label_lower)
        return model._default_manager.none()
    # guardian resolves the direct foreign-key grant tables from the class as well as from an instance.
    user_grant_model = get_user_obj_perms_model(model)  # type: ignore[arg-type]
    group_grant_model = get_group_obj_perms_model(model)  # type: ignore[arg-type]
    user_grants = user_grant_model._default_manager.filter(user_id=user.pk, permission_id=permission_id)
    condition = Q(pk__in=user_grants.values("content_object_id"))
    group_ids = _group_ids_in_scope(user, scope)
    if group_ids:
        group_grants = group_grant_model._default_manager.filter(group_id__in=group_ids, permission_id=permission_id)
        condition |= Q(pk__in=group_grants.values("content_object_id"))
    return model._default_manager.filter(condition, program_id=user.program_id)


def visible[M: models.Model](user: Any, model: type[M], action: str = "view") -> QuerySet[M]:
    """Everything of `model` the user may do `action` on. Every read starts here."""
    scope = scope_for(user, model, action)
    if scope is None:
        return model._default_manager.none()
    label = model._meta.label_lower
    if scope is PROGRAM:
        return model._default_manager.filter(program_id=user.program_id)
    if label in CHILD_MODELS:
        foreign_key, parent_label = CHILD_MODELS[label]
        parent = apps.get_model(parent_label)
        parent_ids = _granted(user, parent, action, scope).values("pk")
        return model._default_manager.filter(**{f"{foreign_key}_id__in": parent_ids})
    return _granted(user, model, action, scope)


def countable[M: models.Model](user: Any, model: type[M]) -> QuerySet[M]:
    """What a user may count but not open: reports aggregate over it and never return its rows."""
    if scope_for(user, model, "count") is not PROGRAM:
        return model._default_manager.none()
    label = model._meta.label_lower
    if label in CHILD_MODELS:
        foreign_key, _parent = CHILD_MODELS[label]
        return model._default_manager.filter(**{f"{foreign_key}__program_id": user.program_id})
    return model._default_manager.filter(program_id=user.program_id)


def get_visible_or_404[M: models.Model](
    user: Any,
    model: type[M],
    pk: Any,
    *,
    action: str = "view",
    purpose: str = "",
    audit: bool = True,
) -> M:
    """Load one object for the user. Missing and forbidden give the same 404; both are audited."""
    try:
        obj = visible(user, model, action).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        if audit and getattr(user, "is_authenticated", False):
            audit_record(
                actor=user,
                action=AuditAction.DENY,
                object_type=model._meta.label_lower,
                object_id=str(pk)[:64],
                purpose=purpose,
                detail={"requested_action": action},
            )
        raise Http404 from None
    if audit:
        audit_record(actor=user, action=AuditAction.VIEW, obj=obj, purpose=purpose, detail={"access": action})
    return obj


def can(user: Any, action: str, target: models.Model | type[models.Model]) -> bool:
    """May the user do `action` on this object? Given a model, may their role do it on that kind at all?"""
    if isinstance(target, type):
        return role_allows(user, action, target)
    return visible(user, type(target), action).filter(pk=target.pk).exists()


def require(user: Any, action: str, target: models.Model | type[models.Model]) -> None:
    """Raise 404 unless the user may do `action` on `target`."""
    if not can(user, action, target):
        raise Http404


def partial_fields(model: type[models.Model], action: str) -> tuple[str, ...]:
    """The fields a partial permission shows; a full permission has none listed here."""
    return PARTIAL_FIELDS.get((model._meta.label_lower, action), ())


# --------------------------------------------------------------------------------------------------
# Granting


Grantee = Staff | Team | Agency


def _grant_table(obj: models.Model, to: Grantee) -> tuple[type[models.Model], dict[str, int]]:
    """guardian's direct foreign-key table for this object and grantee, and the grantee column."""
    model = type(obj)
    if isinstance(to, Staff):
        return get_user_obj_perms_model(model), {"user_id": to.pk}  # type: ignore[arg-type]
    return get_group_obj_perms_model(model), {"group_id": to.group_id}  # type: ignore[arg-type]


def _check_grantable(obj: models.Model, actions: Iterable[str]) -> list[str]:
    label = obj._meta.label_lower
    if label not in ROOT_MODELS:
        raise ValueError(f"{label} is not a root object: grants sit on root objects only")
    return [codename(type(obj), action) for action in actions]


def _grant_rows(obj: models.Model, grantees: Iterable[Grantee], names: list[str]) -> None:
    """Insert the grant rows in one statement per table (guardian's assign_perm does one per row)."""
    permission_ids = [_permission_id(type(obj), name) for name in names]
    rows: dict[type[models.Model], list[models.Model]] = {}
    for grantee in grantees:
        table, column = _grant_table(obj, grantee)
        rows.setdefault(table, []).extend(
            table(content_object=obj, permission_id=permission_id, **column) for permission_id in permission_ids
        )
    for table, table_rows in rows.items():
        table._default_manager.bulk_create(table_rows, ignore_conflicts=True)


def _grantee_label(to: Grantee) -> str:
    return f"{to._meta.label_lower}:{to.pk}"


def grant(obj: models.Model, *, to: Grantee, actions: Iterable[str], basis: str, actor: Any) -> None:
    """Grant `actions` on a root object to a staff member, a team or an agency. Audited with its basis."""
    names = _check_grantable(obj, actions)
    _grant_rows(obj, [to], names)
    audit_record(
        actor=actor,
        action=AuditAction.GRANT,
        obj=obj,
        legal_basis=basis,
        detail={"to": [_grantee_label(to)], "permissions": names},
    )


def revoke(obj: models.Model, *, to: Grantee, actions: Iterable[str], basis: str, actor: Any) -> None:
    names = _check_grantable(obj, actions)
    table, column = _grant_table(obj, to)
    permission_ids = [_permission_id(type(obj), name) for name in names]
    table._default_manager.filter(content_object=obj, permission_id__in=permission_ids, **column).delete()
    audit_record(
        actor=actor,
        action=AuditAction.REVOKE,
        obj=obj,
        legal_basis=basis,
        detail={"from": [_grantee_label(to)], "permissions": names},
    )


def grant_to_owner(obj: models.Model, *, actor: Staff, basis: str) -> None:
    """The grants a new record gets: its creator, the creator's team and agency (see OWNER_ACTIONS)."""
    names = _check_grantable(obj, OWNER_ACTIONS[obj._meta.label_lower])
    grantees: list[Grantee] = [actor]
    if actor.team is not None:
        grantees.append(actor.team)
    if actor.agency is not None:
        grantees.append(actor.agency)
    _grant_rows(obj, grantees, names)
    audit_record(
        actor=actor,
        action=AuditAction.GRANT,
        obj=obj,
        legal_basis=basis,
        detail={"to": [_grantee_label(g) for g in grantees], "permissions": names},
    )


# --------------------------------------------------------------------------------------------------
# The system actor


def system_actor(program: Program) -> Staff:
    """The staff member Celery tasks act as, so that what they read and write is audited under a name."""
    staff, created = Staff.objects.get_or_create(
        username=f"system-{program.slug}",
        defaults={"role": Role.SYSTEM, "program": program, "first_name": "System", "last_name": program.name},
    )
    if created:
        staff.set_unusable_password()
        staff.save(update_fields=["password"])
    return staff
