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
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import Q, QuerySet, Subquery
from django.db.models.signals import post_migrate
from django.http import Http404
from django.utils import timezone
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from gvi.accounts.models import Agency, AgencyKind, EmergencyAccess, Role, Staff, Team
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

_PERSON = "cases.person"
_ALIAS = "cases.personalias"
_GUARDIAN = "cases.guardian"
_CONSENT = "cases.consent"
_MERGE = "cases.personmerge"
_SUBJECT_ACCESS = "cases.subjectaccessexport"
_POLICE_SECTION = "cases.policesection"
_SOCIAL_SECTION = "cases.socialsection"
_PROBATION_SECTION = "cases.probationsection"
_POLICE_NOTE = "cases.policenote"
_SOCIAL_NOTE = "cases.socialnote"
_PROBATION_NOTE = "cases.probationnote"
_SHARE = "cases.share"
_CONCERN = "cases.concernreport"
_AUDIT = "audit.auditevent"
_GROUP = "mapping.group"
_MEMBERSHIP = "mapping.groupmembership"
_RELATION = "mapping.grouprelation"
_INCIDENT = "mapping.incident"
_INVOLVEMENT = "mapping.incidentinvolvement"
_REFERRAL = "outreach.referral"
_EXIT_CASE = "outreach.exitcase"
_CONTACT = "outreach.contact"
_THREAT = "outreach.threatassessment"
_MEASURE = "outreach.supportmeasure"
_RELATIVE = "outreach.relative"
_NOTIFICATION = "notifications.notification"
_CALLIN = "interventions.callin"
_SPEAKER = "interventions.speaker"
_INVITATION = "interventions.callininvitation"
_CUSTOM = "interventions.customnotification"
_ROUND = "interventions.enforcementround"
_ACTION = "interventions.enforcementaction"
_RESPONSE = "interventions.incidentresponse"
_TASK = "interventions.responsetask"
_ROUTINE = "interventions.responsetemplateitem"
_FEED = "interventions.calendarfeed"
_REPORT = "reports.report"
_INDICATOR = "reports.indicator"
_REPORT_PLAN = "reports.reportplan"
_EMERGENCY_ACCESS = "accounts.emergencyaccess"
_RULE = "retention.retentionrule"
_HOLD = "retention.legalhold"
# --- log review and access review (the auditor) ---
_LOG_REVIEW = "audit.logreview"
# --- end log review ---

# Root objects: granted one by one. Child rows follow a parent: label -> (foreign key, parent label).
ROOT_MODELS: Final[frozenset[str]] = frozenset(
    {
        _PERSON,
        _POLICE_SECTION,
        _SOCIAL_SECTION,
        _PROBATION_SECTION,
        _SHARE,
        _CONCERN,
        _GROUP,
        _INCIDENT,
        _REFERRAL,
        _EXIT_CASE,
        _CALLIN,
        _INVITATION,
        _CUSTOM,
        _ROUND,
        _ACTION,
        _RESPONSE,
        _TASK,
    }
)
CHILD_MODELS: Final[Mapping[str, tuple[str, str]]] = {
    _ALIAS: ("person", _PERSON),
    _GUARDIAN: ("person", _PERSON),
    _CONSENT: ("person", _PERSON),
    _MERGE: ("kept", _PERSON),
    _SUBJECT_ACCESS: ("person", _PERSON),
    _POLICE_NOTE: ("section", _POLICE_SECTION),
    _SOCIAL_NOTE: ("section", _SOCIAL_SECTION),
    _PROBATION_NOTE: ("section", _PROBATION_SECTION),
    _MEMBERSHIP: ("group", _GROUP),
    _RELATION: ("group", _GROUP),
    _INVOLVEMENT: ("incident", _INCIDENT),
    _CONTACT: ("exit_case", _EXIT_CASE),
    _THREAT: ("exit_case", _EXIT_CASE),
    _MEASURE: ("exit_case", _EXIT_CASE),
    _RELATIVE: ("exit_case", _EXIT_CASE),
    _SPEAKER: ("call_in", _CALLIN),
}
# Program-wide records (no object grants): visible in full to a role whose scope is `program`.
PROGRAM_MODELS: Final[frozenset[str]] = frozenset(
    {_RULE, _HOLD, _AUDIT, _ROUTINE, _REPORT, _INDICATOR, _REPORT_PLAN, _LOG_REVIEW}
)
# One staff member's own rows (an inbox): every signed-in staff member sees and changes their own, nobody
# else's. label -> the foreign key to the staff member.
PERSONAL_MODELS: Final[Mapping[str, str]] = {_NOTIFICATION: "recipient", _FEED: "user", _EMERGENCY_ACCESS: "user"}
# --- emergency access (nödåtkomst, gvi/accounts/emergency.py) ---
# The records a staff member may open in an emergency: the casework root records one looks up then. An
# emergency access widens only the scope, for "view", to one record *owned by the user's own agency* whose
# kind the user's role may view at some scope; it never crosses agencies (a share from another agency keeps
# the scope the table gives it), never gives an action the role lacks, and never reaches program-wide or
# personal models. Child rows (journal notes, contacts) follow the opened record as usual.
EMERGENCY_MODELS: Final[frozenset[str]] = frozenset(
    {_PERSON, _POLICE_SECTION, _SOCIAL_SECTION, _PROBATION_SECTION, _EXIT_CASE}
)
# --- end emergency access ---

_RECORD = ("id", "created_at", "updated_at", "version")
# Partial views: what a holder of only this permission may see of the object.
PARTIAL_FIELDS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    (_PERSON, "view_identity"): ("id", "given_name", "family_name", "birth_year"),
    # A summary share shows a section's own fields, never its journal notes or free-text notes.
    (_POLICE_SECTION, "view_summary"): (*_RECORD, "risk_level"),
    (_SOCIAL_SECTION, "view_summary"): _RECORD,
    (_PROBATION_SECTION, "view_summary"): (*_RECORD, "supervision_type", "period_start", "period_end"),
    # The sender of a report of concern sees that it was received, not what follows.
    (_CONCERN, "view_status"): ("id", "created_at", "receiving_agency", "received_at"),
    # The referrer follows the referral's status: never the reason, the assessment or why it was declined.
    (_REFERRAL, "view_status"): (
        "id",
        "created_at",
        "source",
        "source_person",
        "receiving_agency",
        "received_on",
        "urgency",
        "status",
        "status_changed_at",
    ),
    # Other agencies of the program know when and where a call-in is, not who is invited or why.
    (_CALLIN, "view_schedule"): ("id", "starts_at", "place", "status"),
    # The probation officer sees her own client's invitation: the call-in's time and place, the status and
    # her own record of the client (not the police's record, the group or the other invitees).
    (_INVITATION, "view_client"): ("id", "call_in", "status", "probation_person", "confirmed_at"),
    # Those who deliver a custom notification see the plan and the outcome, never the risk assessment.
    (_CUSTOM, "view_plan"): (
        "id",
        "person_name",
        "status",
        "requested_at",
        "place",
        "planned_for",
        "message_points",
        "deliverers",
        "outcome",
        "outcome_at",
        "outcome_note",
        "first_contact_at",
        "help_offered",
        "help_accepted",
        "follow_up_note",
    ),
    # An agency asked to act in an enforcement round: when, its status and what the police tell partners;
    # never the group, the reason, the incidents or the evaluation.
    (_ROUND, "view_summary"): ("id", "started_on", "status", "ended_on", "summary"),
    # The agencies with tasks after an incident: its date, district and kind, never the police details.
    (_RESPONSE, "view_summary"): ("id", "occurred_at", "district", "kind", "status", "opened_at", "closed_at"),
    # The police follow another agency's task after an incident: what, whose, by when and how far it got; never
    # its note (social-services or probation information about individuals), who has it or who resolved it.
    (_TASK, "view_status"): ("id", "response", "title", "owner_agency", "deadline", "status", "resolved_at", "order"),
}

_SECTIONS = {
    AgencyKind.POLICE: (_POLICE_SECTION, _POLICE_NOTE),
    AgencyKind.MUNICIPALITY: (_SOCIAL_SECTION, _SOCIAL_NOTE),
    AgencyKind.PRISON_SERVICE: (_PROBATION_SECTION, _PROBATION_NOTE),
}


def _casework(kind: AgencyKind, *, own: Scope, identity: Scope, received: Scope) -> dict[str, dict[str, Scope]]:
    """The person-file rules of a casework role of one kind of agency.

    `own`: the scope of the agency's own records (persons, their aliases, guardians and consents, its
    kind of section and journal notes). `identity`: identities shared with the role. `received`: what
    other agencies share (their sections, the share records); a share reaches the receiving team, or with
    no team named only those whose scope is the whole agency. Contact details of a person with protected
    identity: only the owning caseworker (`own` grants to the creator). Reports of concern: any role files
    one; the sender's team sees whether it was received.
    """
    section, note = _SECTIONS[kind]
    table: dict[str, dict[str, Scope]] = {
        _PERSON: {"view": own, "add": own, "change": own, "view_identity": identity, "view_contact": OWN},
        **{part: {"view": own, "add": own, "change": own} for part in (_ALIAS, _GUARDIAN, _CONSENT, _SUBJECT_ACCESS)},
        _MERGE: {"view": own},
        section: {"view": own, "add": own, "change": own},
        note: {"view": own, "add": own},
        _SHARE: {"view": received, "add": received, "change": received},
        _CONCERN: {"add": own, "view_status": TEAM if own is OWN else own},
        # Any casework role refers a person to the exit program and follows the referral's status.
        _REFERRAL: {"add": own, "view_status": TEAM if own is OWN else own},
    }
    for other_kind, (other_section, other_note) in _SECTIONS.items():
        if other_kind != kind:
            table[other_section] = {"view": received, "view_summary": received}
            table[other_note] = {"view": received}
    if kind == AgencyKind.MUNICIPALITY:
        # Reports of concern are sent to the municipality's social services as a whole.
        table[_CONCERN] |= {"view": AGENCY, "change": AGENCY}
        table |= _exit_program(own)
    return table


def _exit_program(own: Scope) -> dict[str, dict[str, Scope]]:
    """The exit program, run by the municipality's social services: referrals received, exit cases and
    what follows them. Protected contact details of a case's relatives: the responsible worker only."""
    return {
        _REFERRAL: {"add": own, "view_status": own, "view": own, "change": own},
        _EXIT_CASE: {"view": own, "add": own, "change": own, "view_contact": OWN},
        **{part: {"view": own, "add": own, "change": own} for part in (_CONTACT, _THREAT, _MEASURE, _RELATIVE)},
    }


def _with_merge(
    table: dict[str, dict[str, Scope]], extra: Mapping[str, Mapping[str, Scope]] | None = None
) -> dict[str, dict[str, Scope]]:
    """Merging two records of one person: for the roles that oversee the whole agency's records (the
    service also needs "change" on both records). `extra`: more of the role's rows."""
    table = {label: dict(actions) for label, actions in table.items()}
    for label, actions in (extra or {}).items():
        table[label] = {**table.get(label, {}), **actions}
    table[_PERSON] = {**table[_PERSON], "merge": AGENCY}
    table[_MERGE] = {**table[_MERGE], "add": AGENCY}
    return table


# The police work the group map together: the whole police agency sees and edits it.
_MAPPING_EDITOR: Final[Mapping[str, Mapping[str, Scope]]] = {
    model: {"view": AGENCY, "add": AGENCY, "change": AGENCY, "export": AGENCY}
    for model in (_GROUP, _MEMBERSHIP, _RELATION, _INCIDENT, _INVOLVEMENT)
}
# Call-ins and custom notifications: the police plan and hold them. Transitions of a custom notification
# ("assess", "plan", "cancel", "record_outcome", "follow_up") and printing letters ("print") are role
# actions: the service also needs "change" on the record (or, for those who deliver it, `view_plan`).
_POLICE_INTERVENTIONS: Final[Mapping[str, Mapping[str, Scope]]] = {
    _CALLIN: {"view": AGENCY, "add": AGENCY, "change": AGENCY},
    _SPEAKER: {"view": AGENCY, "add": AGENCY, "change": AGENCY},
    _INVITATION: {"view": AGENCY, "add": AGENCY, "change": AGENCY, "print": AGENCY},
    _CUSTOM: {
        "view": AGENCY,
        "add": AGENCY,
        "change": AGENCY,
        "assess": AGENCY,
        "plan": AGENCY,
        "cancel": AGENCY,
        "record_outcome": AGENCY,
        "follow_up": AGENCY,
    },
}
_ANALYST_INTERVENTIONS: Final[Mapping[str, Mapping[str, Scope]]] = {
    _CALLIN: {"view": AGENCY},
    _SPEAKER: {"view": AGENCY},
    _INVITATION: {"view": AGENCY},
    _CUSTOM: {"view": AGENCY, "add": AGENCY},
}
# Enforcement rounds and responses after incidents. The police run rounds; an agency asked to act holds the
# round's summary and its own actions (granted to the agency) and records their results. The police open a
# response from an incident; each agency with tasks holds the response's summary and its own tasks. The police
# hold their own tasks in full and follow the other agencies' tasks by their status (`view_status`).
_POLICE_ENFORCEMENT: Final[Mapping[str, Mapping[str, Scope]]] = {
    _ROUND: {"view": AGENCY, "add": AGENCY, "change": AGENCY},
    _ACTION: {"view": AGENCY, "add": AGENCY, "change": AGENCY, "record_result": AGENCY},
    _RESPONSE: {"view": AGENCY, "add": AGENCY, "change": AGENCY},
    _TASK: {"view": AGENCY, "view_status": AGENCY, "add": AGENCY, "change": AGENCY},
    _ROUTINE: {"view": PROGRAM},
}
_ANALYST_ENFORCEMENT: Final[Mapping[str, Mapping[str, Scope]]] = {
    _ROUND: {"view": AGENCY},
    _ACTION: {"view": AGENCY},
    _RESPONSE: {"view": AGENCY},
    _TASK: {"view": AGENCY, "view_status": AGENCY},
    _ROUTINE: {"view": PROGRAM},
}
# An agency with tasks after an incident (social services, Kriminalvården): the summary and its own tasks.
_RESPONDER: Final[Mapping[str, Mapping[str, Scope]]] = {
    _RESPONSE: {"view_summary": AGENCY},
    _TASK: {"view": AGENCY, "change": AGENCY},
}
# The routine itself (which tasks, which agency, how many hours): program structure, kept by the program lead
# and the administrator.
_ROUTINE_EDITOR: Final[Mapping[str, Scope]] = {"view": PROGRAM, "add": PROGRAM, "change": PROGRAM, "delete": PROGRAM}
# Those who deliver a notification with the police (granted one by one) record its outcome and follow-up.
_DELIVERER: Final[Mapping[str, Scope]] = {"view_plan": OWN, "record_outcome": OWN, "follow_up": OWN}

# Reports count across the program; nobody outside the owning agencies opens the records.
_COUNTS: Final[Mapping[str, Mapping[str, Scope]]] = {
    model: {"count": PROGRAM} for model in sorted(ROOT_MODELS | {_MEMBERSHIP, _CONTACT, _MEASURE})
}

# Reports (program-wide, aggregates only): the program lead orders them, enters the indicators and sets the
# baseline; the police and exit coordinators read them. `change` on a report: retry a failed build, build again.
_REPORTS_OWNER: Final[Mapping[str, Mapping[str, Scope]]] = {
    _REPORT: {"view": PROGRAM, "add": PROGRAM, "change": PROGRAM},
    _INDICATOR: {"view": PROGRAM, "add": PROGRAM, "change": PROGRAM, "delete": PROGRAM},
    _REPORT_PLAN: {"view": PROGRAM, "change": PROGRAM},
}
_REPORTS_READER: Final[Mapping[str, Mapping[str, Scope]]] = {_REPORT: {"view": PROGRAM}}

# Retention (gvi.retention): the rules are program settings, kept by the program lead and the administrator and
# read by the auditor; the auditor reads every legal hold. A hold on a record is placed and lifted by those who
# keep the record (the role action "hold"; the service also needs "change" on the record). The nightly cull runs
# as the system actor ("cull", program-wide). Holds on records are listed to those who see the records.
_CULLED = (_POLICE_SECTION, _SOCIAL_SECTION, _PROBATION_SECTION, _EXIT_CASE, _MEMBERSHIP, _INVOLVEMENT)
_RETENTION: Final[Mapping[str, Mapping[str, Mapping[str, Scope]]]] = {
    Role.POLICE_COORDINATOR: {
        _POLICE_SECTION: {"hold": AGENCY},
        _MEMBERSHIP: {"hold": AGENCY},
        _INVOLVEMENT: {"hold": AGENCY},
    },
    Role.POLICE_ANALYST: {
        _POLICE_SECTION: {"hold": AGENCY},
        _MEMBERSHIP: {"hold": AGENCY},
        _INVOLVEMENT: {"hold": AGENCY},
    },
    Role.SOCIAL_WORKER: {_SOCIAL_SECTION: {"hold": TEAM}, _EXIT_CASE: {"hold": TEAM}},
    Role.EXIT_COORDINATOR: {_SOCIAL_SECTION: {"hold": AGENCY}, _EXIT_CASE: {"hold": AGENCY}},
    Role.PROBATION_OFFICER: {_PROBATION_SECTION: {"hold": OWN}},
    Role.PROGRAM_LEAD: {_RULE: {"view": PROGRAM, "change": PROGRAM}},
    Role.ADMIN: {_RULE: {"view": PROGRAM, "change": PROGRAM}},
    Role.AUDITOR: {_RULE: {"view": PROGRAM}, _HOLD: {"view": PROGRAM}},
    Role.SYSTEM: {
        **{label: {"cull": PROGRAM} for label in _CULLED},
        _RULE: {"view": PROGRAM},
        _HOLD: {"view": PROGRAM},
    },
}


def _with_retention(
    policy: Mapping[str, Mapping[str, Mapping[str, Scope]]],
) -> dict[str, dict[str, dict[str, Scope]]]:
    """The role table with the retention rows merged into each role's own."""
    merged = {role: {label: dict(actions) for label, actions in table.items()} for role, table in policy.items()}
    for role, rows in _RETENTION.items():
        for label, actions in rows.items():
            merged[role][label] = {**merged[role].get(label, {}), **actions}
    return merged


POLICY: Final[Mapping[str, Mapping[str, Mapping[str, Scope]]]] = _with_retention(
    {
        Role.POLICE_COORDINATOR: _with_merge(
            _casework(AgencyKind.POLICE, own=AGENCY, identity=AGENCY, received=AGENCY),
            {**_MAPPING_EDITOR, **_POLICE_INTERVENTIONS, **_POLICE_ENFORCEMENT, **_REPORTS_READER},
        ),
        Role.POLICE_ANALYST: _with_merge(
            _casework(AgencyKind.POLICE, own=AGENCY, identity=AGENCY, received=AGENCY),
            {**_MAPPING_EDITOR, **_ANALYST_INTERVENTIONS, **_ANALYST_ENFORCEMENT},
        ),
        Role.SOCIAL_WORKER: {
            **_casework(AgencyKind.MUNICIPALITY, own=TEAM, identity=TEAM, received=TEAM),
            _CALLIN: {"view_schedule": AGENCY},
            _CUSTOM: dict(_DELIVERER),
            **_RESPONDER,
        },
        Role.EXIT_COORDINATOR: _with_merge(
            _casework(AgencyKind.MUNICIPALITY, own=AGENCY, identity=AGENCY, received=AGENCY),
            # The exit coordinator sees the whole municipality's caseloads and moves cases between workers.
            {
                _EXIT_CASE: {"reassign": AGENCY},
                _CALLIN: {"view_schedule": AGENCY},
                _CUSTOM: dict(_DELIVERER),
                **_RESPONDER,
                **_REPORTS_READER,
            },
        ),
        Role.PROBATION_OFFICER: {
            **_casework(AgencyKind.PRISON_SERVICE, own=OWN, identity=TEAM, received=TEAM),
            _CALLIN: {"view_schedule": AGENCY},
            # Her own clients' invitations only: granted to her, one by one.
            _INVITATION: {"view_client": OWN, "confirm_attendance": OWN},
            _CUSTOM: {"view_plan": OWN, "record_outcome": OWN},
            # Asked to act in an enforcement round (e.g. tightened supervision): granted to the agency.
            _ROUND: {"view_summary": AGENCY},
            _ACTION: {"view": AGENCY, "record_result": AGENCY},
            **_RESPONDER,
        },
        Role.PROGRAM_LEAD: {**_COUNTS, _ROUTINE: dict(_ROUTINE_EDITOR), **_REPORTS_OWNER},
        Role.AUDITOR: {
            # --- log review and access review ---
            # The auditor reviews the program's trail and who holds which grants, and revokes a stale holder's
            # own grants (an inactive account, or no use for 90 days): taking access away shows no case data,
            # and no other role's rows give revoking (gvi/audit/access_review.py).
            _AUDIT: {"view": PROGRAM, "export": PROGRAM, "review_access": PROGRAM, "revoke_stale": PROGRAM},
            _LOG_REVIEW: {"view": PROGRAM, "change": PROGRAM},
            # --- end log review ---
        },
        Role.ADMIN: {_ROUTINE: dict(_ROUTINE_EDITOR)},
        # Tasks: reminders read the program's open exit cases to notify their responsible workers.
        # Reports: the build task reads the plan and the indicators and writes the report.
        Role.SYSTEM: {
            **_COUNTS,
            _EXIT_CASE: {**_COUNTS[_EXIT_CASE], "remind": PROGRAM},
            _REPORT: {"view": PROGRAM, "change": PROGRAM},
            _INDICATOR: {"view": PROGRAM},
            _REPORT_PLAN: {"view": PROGRAM},
        },
    }
)

# Grants made when a record is created: to its creator, the creator's team and agency. Which of those
# grants count for a given user is the role's scope above (`view_contact` is OWN: only the creator's).
OWNER_ACTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    _PERSON: ("view", "change", "view_contact"),
    _POLICE_SECTION: ("view", "change"),
    _SOCIAL_SECTION: ("view", "change"),
    _PROBATION_SECTION: ("view", "change"),
    _SHARE: ("view", "change"),
    _GROUP: ("view", "change"),
    _INCIDENT: ("view", "change"),
    _CALLIN: ("view", "change"),
    _INVITATION: ("view", "change"),
    _CUSTOM: ("view", "change"),
    _ROUND: ("view", "change"),
    _RESPONSE: ("view", "change"),
}


# --------------------------------------------------------------------------------------------------
# Role table look-ups


def scope_for(user: Any, model: type[models.Model], action: str) -> Scope | None:
    """The scope the user's role gives for `action` on `model`, or None (denied, and logged if unknown)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    label = model._meta.label_lower
    if label in PERSONAL_MODELS:
        return OWN if action in ("view", "change") and getattr(user, "role", "") in POLICY else None
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


# `pk` left out of visible(): every object, not one (None is an id that matches nothing).
EVERY: Any = object()


def _narrowed(field: str, pk: Any) -> dict[str, Any]:
    """The filter `pk` asks for: none (EVERY), `field` among a queryset of ids, or `field` equal to one id."""
    if pk is EVERY:
        return {}
    return {f"{field}__in": pk} if isinstance(pk, QuerySet) else {field: pk}


def _group_ids_in_scope(user: Staff, scope: Scope) -> list[int]:
    group_ids = []
    if scope in (TEAM, AGENCY) and user.team_id:
        group_ids.append(user.team.group_id)  # type: ignore[union-attr]
    if scope is AGENCY and user.agency_id:
        group_ids.append(user.agency.group_id)  # type: ignore[union-attr]
    return group_ids


def _granted[M: models.Model](
    user: Staff, model: type[M], action: str, scope: Scope, *, pk: Any = EVERY
) -> QuerySet[M]:
    """Root objects of `model` granted to the user for `action`, as far as `scope` reaches. `pk` (an id, a
    subquery giving one, or a queryset of ids) narrows it to those objects: their grant rows are then found by
    the index, instead of hashing every id granted to the user (30,000-50,000 for a police coordinator at
    national scale, about 30 ms a look-up)."""
    try:
        permission_id = _permission_id(model, codename(model, action))
    except (Permission.DoesNotExist, ValueError):
        logger.warning("access denied: no object permission for %s on %s", action, model._meta.label_lower)
        return model._default_manager.none()
    # guardian resolves the direct foreign-key grant tables from the class as well as from an instance.
    user_grant_model = get_user_obj_perms_model(model)  # type: ignore[arg-type]
    group_grant_model = get_group_obj_perms_model(model)  # type: ignore[arg-type]
    # A grant with an expiry (a share's last valid day) stops working here, at read time.
    unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    one = _narrowed("content_object_id", pk)
    user_grants = user_grant_model._default_manager.filter(
        unexpired, user_id=user.pk, permission_id=permission_id, **one
    )
    condition = Q(pk__in=user_grants.values("content_object_id"))
    group_ids = _group_ids_in_scope(user, scope)
    if group_ids:
        group_grants = group_grant_model._default_manager.filter(
            unexpired, group_id__in=group_ids, permission_id=permission_id, **one
        )
        condition |= Q(pk__in=group_grants.values("content_object_id"))
    emergency = _emergency_opened(user, model, action)
    if emergency is not None:
        condition |= emergency
    granted = model._default_manager.filter(condition, program_id=user.program_id)
    return granted.filter(**_narrowed("pk", pk))


def _emergency_opened(user: Staff, model: type[models.Model], action: str) -> Q | None:
    """The user's active emergency accesses to `model` (see EMERGENCY_MODELS), as a condition: a subquery in
    the same SQL, so no extra query; None (nothing added) unless the program allows emergency access."""
    label = model._meta.label_lower
    if action != "view" or label not in EMERGENCY_MODELS:
        return None
    program = user.program  # loaded with the user (StaffManager); at most one query otherwise, then cached
    if program is None or not program.emergency_access_allowed:
        return None
    opened = EmergencyAccess.objects.filter(user_id=user.pk, object_type=label, expires_at__gt=timezone.now())
    return Q(pk__in=opened.values("object_id"), owner_agency_id=user.agency_id)


def visible[M: models.Model](user: Any, model: type[M], action: str = "view", *, pk: Any = EVERY) -> QuerySet[M]:
    """Everything of `model` the user may do `action` on. Every read starts here.

    `pk`: only that object (an empty result when she may not), or only those among a queryset of ids (a
    person's few notifications). The same rules, but the grant rows are looked up by the objects' ids, so a
    few records cost index probes whatever the user's number of grants."""
    scope = scope_for(user, model, action)
    if scope is None:
        return model._default_manager.none()
    label = model._meta.label_lower
    one = _narrowed("pk", pk)
    if label in PERSONAL_MODELS:
        return model._default_manager.filter(**{f"{PERSONAL_MODELS[label]}_id": user.pk}, **one)
    if scope is PROGRAM:
        return _in_program(model, user.program_id).filter(**one)
    if label in CHILD_MODELS:
        foreign_key, parent_label = CHILD_MODELS[label]
        parent = apps.get_model(parent_label)
        # Narrowed children: their parents, read from the child rows in the same SQL, are the grants looked up.
        parent_pk = EVERY
        if isinstance(pk, QuerySet):
            parent_pk = model._default_manager.filter(pk__in=pk).values(foreign_key)
        elif pk is not EVERY:
            parent_pk = Subquery(model._default_manager.filter(pk=pk).values(foreign_key)[:1])
        parent_ids = _granted(user, parent, action, scope, pk=parent_pk).values("pk")
        return model._default_manager.filter(**{f"{foreign_key}_id__in": parent_ids}, **one)
    return _granted(user, model, action, scope, pk=pk)


def visible_through_parents[M: models.Model](
    user: Any, model: type[M], action: str = "view", *, few: int = 1000
) -> QuerySet[M]:
    """visible() for a child model (CHILD_MODELS), with its parents' ids read first (one query) and written into
    the SQL when there are at most `few`: a caseworker's contacts are then found through the foreign-key index
    of her few cases instead of through every case's grants (a scan of all the program's cases). The same rows
    as visible(): a child is visible exactly when its parent is, for the same action."""
    label = model._meta.label_lower
    if label not in CHILD_MODELS:
        raise ValueError(f"{label} is not a child model")
    rows = visible(user, model, action)
    scope = scope_for(user, model, action)
    if scope is None or scope is PROGRAM or rows.query.is_empty():
        return rows
    foreign_key, parent_label = CHILD_MODELS[label]
    # The parents as visible() reaches them for this child: the child's scope over the parent's grants.
    parents = _granted(user, apps.get_model(parent_label), action, scope)
    parent_ids = list(parents.values_list("pk", flat=True)[: few + 1])
    if len(parent_ids) > few:
        return rows
    return model._default_manager.filter(**{f"{foreign_key}_id__in": parent_ids})


def _in_program[M: models.Model](model: type[M], program_id: int | None) -> QuerySet[M]:
    """All of a program's `model` rows (a child row belongs to its parent's program)."""
    label = model._meta.label_lower
    if label in CHILD_MODELS:
        foreign_key, _parent = CHILD_MODELS[label]
        return model._default_manager.filter(**{f"{foreign_key}__program_id": program_id})
    return model._default_manager.filter(program_id=program_id)


def countable[M: models.Model](user: Any, model: type[M]) -> QuerySet[M]:
    """What a user may count but not open: reports aggregate over it and never return its rows."""
    if scope_for(user, model, "count") is not PROGRAM:
        return model._default_manager.none()
    return _in_program(model, user.program_id)


def get_visible_or_404[M: models.Model](
    user: Any,
    model: type[M],
    pk: Any,
    *,
    action: str = "view",
    purpose: str = "",
    audit: bool = True,
    audit_denial: bool = True,
    related: tuple[str, ...] = (),
) -> M:
    """Load one object for the user. Missing and forbidden give the same 404, audited as a denial.
    `related`: foreign keys to load with it (select_related), so the page needs no second query.

    `audit=False`: the caller audits what it does with the object (a change is audited by its service), so
    the look itself is not; the denial still is. `audit_denial=False` only for a first try that falls back
    to another action, which then audits the denial."""
    try:
        obj = visible(user, model, action, pk=pk).select_related(*related).get()
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        if audit_denial:
            audit_denied(user, model, pk, action=action, purpose=purpose)
        raise Http404 from None
    if audit:
        audit_record(actor=user, action=AuditAction.VIEW, obj=obj, purpose=purpose, detail={"access": action})
    return obj


def audit_denied(user: Any, model: type[models.Model], pk: Any, *, action: str, purpose: str = "") -> None:
    """A refused (or missing) object, audited: who asked for what, to do what."""
    if getattr(user, "is_authenticated", False):
        audit_record(
            actor=user,
            action=AuditAction.DENY,
            object_type=model._meta.label_lower,
            object_id=str(pk)[:64],
            purpose=purpose,
            detail={"requested_action": action},
        )


def can(user: Any, action: str, target: models.Model | type[models.Model]) -> bool:
    """May the user do `action` on this object? Given a model, may their role do it on that kind at all?"""
    if isinstance(target, type):
        return role_allows(user, action, target)
    return visible(user, type(target), action, pk=target.pk).exists()


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


def _grant_rows(
    obj: models.Model, grantees: Iterable[Grantee], names: list[str], *, until: datetime | None = None
) -> None:
    """Insert the grant rows in one statement per table (guardian's assign_perm does one per row).

    A grant that exists already keeps the later expiry of the two (no expiry is the latest).
    """
    permission_ids = [_permission_id(type(obj), name) for name in names]
    rows: dict[type[models.Model], list[models.Model]] = {}
    for grantee in grantees:
        table, column = _grant_table(obj, grantee)
        existing = table._default_manager.filter(content_object=obj, permission_id__in=permission_ids, **column)
        if until is None:
            existing.exclude(expires_at=None).update(expires_at=None)
        else:
            existing.filter(expires_at__lt=until).update(expires_at=until)
        rows.setdefault(table, []).extend(
            table(content_object=obj, permission_id=permission_id, expires_at=until, **column)
            for permission_id in permission_ids
        )
    for table, table_rows in rows.items():
        table._default_manager.bulk_create(table_rows, ignore_conflicts=True)


def _grantee_label(to: Grantee) -> str:
    return f"{to._meta.label_lower}:{to.pk}"


def grant(
    obj: models.Model,
    *,
    to: Grantee,
    actions: Iterable[str],
    basis: str,
    actor: Any,
    until: datetime | None = None,
) -> None:
    """Grant `actions` on a root object to a staff member, a team or an agency, for good or `until` a
    moment (after which it stops working at read time). Audited with its basis."""
    names = _check_grantable(obj, actions)
    _grant_rows(obj, [to], names, until=until)
    detail: dict[str, Any] = {"to": [_grantee_label(to)], "permissions": names}
    if until is not None:
        detail["until"] = until.isoformat()
    audit_record(actor=actor, action=AuditAction.GRANT, obj=obj, legal_basis=basis, detail=detail)


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


def granted_to[M: models.Model](model: type[M], *, to: Team | Agency, action: str = "view") -> QuerySet[M]:
    """Root objects of `model` granted (unexpired) to a team's or an agency's group: what reaches that group,
    whoever its members are. Services use it to act for a group (e.g. a share's receiving team)."""
    permission_id = _permission_id(model, codename(model, action))
    grants = get_group_obj_perms_model(model)._default_manager.filter(  # type: ignore[arg-type]
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()), group_id=to.group_id, permission_id=permission_id
    )
    return model._default_manager.filter(pk__in=grants.values("content_object_id"))


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
