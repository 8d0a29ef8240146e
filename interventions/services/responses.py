"""The response after a shooting or an explosion (rutin vid skjutningar): the program's routine, a response
opened from an incident with the routine's tasks, and the tasks' assignment and resolution.

The routine (`ResponseTemplateItem`) is program structure kept by the program lead and the administrator.
A response is the police's (granted to the creator, the team and the police agency); each task belongs to one
agency (`owner_agency`), which is granted the task (`view`, `change`) and the response's summary
(`view_summary`: the incident's date, district and kind, copied onto the response). The police follow every
task: their own in full, another agency's by its status (`view_status`: never its note or assignee); they
resolve only their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from gvi import access
from gvi.accounts import selectors as accounts_selectors
from gvi.accounts.models import Agency, AgencyKind, Staff
from gvi.accounts.selectors import program_staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import save_new_unique, update_versioned
from gvi.dates import in_range, out_of_range_message
from gvi.mapping.models import Incident
from gvi.notifications.services import notify
from interventions.models import IncidentResponse, ResponseTask, ResponseTemplateItem

PURPOSE = "response after an incident"
ROUTINE_PURPOSE = "response routine"
ITEM_FIELDS = ("title", "description", "agency", "deadline_hours", "order", "active")
MAX_HOURS = 24 * 60

# The standard routine (title, description, agency kind, hours after the incident), translated when installed.
STANDARD_ROUTINE: tuple[tuple[str, str, str, int], ...] = (
    (
        gettext_noop("Crisis support to victims, relatives and witnesses"),
        gettext_noop("Contact those affected and offer crisis support."),
        AgencyKind.MUNICIPALITY,
        24,
    ),
    (
        gettext_noop("Visible presence and safety measures in the area"),
        gettext_noop("Patrols, camera surveillance, lighting and other measures in the district."),
        AgencyKind.POLICE,
        24,
    ),
    (
        gettext_noop("Custom notifications to the groups involved"),
        gettext_noop("Request custom notifications to members of the groups involved."),
        AgencyKind.POLICE,
        48,
    ),
    (
        gettext_noop("Offer of exit to those involved"),
        gettext_noop("Offer the exit program, through a custom notification or a referral."),
        AgencyKind.MUNICIPALITY,
        72,
    ),
    (
        gettext_noop("Information to residents and schools"),
        gettext_noop("Inform residents, schools and youth centres in the district."),
        AgencyKind.MUNICIPALITY,
        72,
    ),
    (
        gettext_noop("Tightened supervision of clients in the groups involved"),
        gettext_noop("Review the supervision of clients who belong to the groups involved."),
        AgencyKind.PRISON_SERVICE,
        72,
    ),
)


def program_agencies(program_id: int | None) -> list[Agency]:
    """The agencies of a program (program structure): who may own a task."""
    return list(accounts_selectors.program_agencies(program_id=program_id))


# --------------------------------------------------------------------------------------------------
# The routine


def _program_of(actor: Staff) -> int:
    """The actor's program (the policy has refused a staff member without one before this is reached)."""
    if actor.program_id is None:
        raise Http404
    return actor.program_id


def _item_errors(values: dict[str, Any], program_id: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(values.get("title", "")).strip():
        errors["title"] = [_("Name the task.")]
    agency = values.get("agency")
    if not isinstance(agency, Agency) or agency.pk not in {a.pk for a in program_agencies(program_id)}:
        errors["agency"] = [_("Choose an agency of this program.")]
    hours = values.get("deadline_hours")
    if not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        errors["deadline_hours"] = [_("Give the deadline in hours, from 1 to %(max)s.") % {"max": MAX_HOURS}]
    order = values.get("order")
    if not isinstance(order, int) or not 0 <= order <= 1000:
        errors["order"] = [_("Give the order as a number from 0 to 1000.")]
    return errors


@transaction.atomic
def routine_item_add(
    *,
    actor: Staff,
    title: str,
    agency: Agency,
    deadline_hours: int,
    description: str = "",
    order: int | None = None,
    active: bool = True,
) -> ResponseTemplateItem:
    """Add a task to the program's routine. Responses already opened keep the tasks they were opened with."""
    access.require(actor, "add", ResponseTemplateItem)
    if order is None:
        last = ResponseTemplateItem.objects.filter(program_id=_program_of(actor)).aggregate(last=Max("order"))["last"]
        order = (last or 0) + 1
    values = {
        "title": title.strip(),
        "description": description.strip(),
        "agency": agency,
        "deadline_hours": deadline_hours,
        "order": order,
        "active": active,
    }
    errors = _item_errors(values, actor.program_id)
    if errors:
        raise ValidationError(errors)
    item = ResponseTemplateItem(program_id=_program_of(actor), **values)
    item.full_clean()
    item.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=item, purpose=ROUTINE_PURPOSE)
    return item


@transaction.atomic
def routine_item_update(*, actor: Staff, item: ResponseTemplateItem, **changes: Any) -> ResponseTemplateItem:
    access.require(actor, "change", item)
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    merged = {field: changes.get(field, getattr(item, field)) for field in ITEM_FIELDS}
    merged["title"], merged["description"] = str(merged["title"]).strip(), str(merged["description"]).strip()
    errors = _item_errors(merged, actor.program_id)
    if errors:
        raise ValidationError(errors)
    changed = sorted(f for f in ITEM_FIELDS if merged[f] != getattr(item, f))
    for field, value in merged.items():
        setattr(item, field, value)
    item.full_clean()
    item.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=item, purpose=ROUTINE_PURPOSE, detail={"fields": changed})
    return item


@transaction.atomic
def routine_item_remove(*, actor: Staff, item: ResponseTemplateItem) -> None:
    """Remove a task from the routine (responses already opened keep theirs)."""
    access.require(actor, "delete", item)
    audit_record(actor=actor, action=AuditAction.DELETE, obj=item, purpose=ROUTINE_PURPOSE)
    item.delete()


@transaction.atomic
def routine_install_standard(*, actor: Staff) -> list[ResponseTemplateItem]:
    """Start the program's routine from the standard one (DOMAIN.md step 6), in the program's language. Only
    while the program has no routine; a task whose kind of agency the program lacks is left out."""
    access.require(actor, "add", ResponseTemplateItem)
    if ResponseTemplateItem.objects.filter(program_id=_program_of(actor)).exists():
        raise ValidationError(_("The program has a routine already: change it task by task."))
    by_kind: dict[str, Agency] = {}
    for agency in program_agencies(actor.program_id):
        by_kind.setdefault(agency.kind, agency)
    items = []
    # In the program's language, whatever the language of the one who installs it: the tasks are read by all.
    with translation.override(settings.LANGUAGE_CODE):
        for order, (title, description, kind, hours) in enumerate(STANDARD_ROUTINE, start=1):
            if kind in by_kind:
                items.append(
                    routine_item_add(
                        actor=actor,
                        title=_(title),
                        description=_(description),
                        agency=by_kind[kind],
                        deadline_hours=hours,
                        order=order,
                    )
                )
    return items


# --------------------------------------------------------------------------------------------------
# Responses


def _grant_task(task: ResponseTask, response: IncidentResponse, actor: Staff) -> None:
    """The owning agency sees and resolves its task and sees the response's summary; the police (who own the
    response) follow another agency's task by its status only (`view_status`): never its note, which is that
    agency's information about individuals, nor who has it."""
    owner = response.owner_agency
    agency = task.owner_agency
    access.grant(task, to=agency, actions=("view", "change"), basis="task after an incident", actor=actor)
    if agency.pk != owner.pk:
        access.grant(task, to=owner, actions=("view_status",), basis="owner of the response", actor=actor)
        access.grant(response, to=agency, actions=("view_summary",), basis="task after an incident", actor=actor)


def _task_url(task: ResponseTask) -> str:
    return reverse("interventions:response-detail", args=[task.response_id]) + f"#task-{task.pk}"


@transaction.atomic
def response_open(*, actor: Staff, incident: Incident) -> IncidentResponse:
    """Open the response after an incident of the actor's map: the routine's tasks, each with its agency and a
    deadline counted from the time of the incident. One response per incident."""
    access.require(actor, "add", IncidentResponse)
    if not access.visible(actor, Incident, pk=incident.pk).exists():
        raise ValidationError({"incident": [_("Choose an incident of your own group map.")]})
    if IncidentResponse.objects.filter(incident_id=incident.pk).exists():
        raise ValidationError({"incident": [_("A response to this incident is open already.")]})
    items = list(
        ResponseTemplateItem.objects.filter(program_id=_program_of(actor), active=True)
        .select_related("agency")
        .order_by("order", "deadline_hours", "id")
    )
    if not items:
        raise ValidationError(_("The program has no response routine yet: ask the program lead to set one up."))
    program_id, agency_id = actor.workplace
    response = IncidentResponse(
        program_id=program_id,
        owner_agency_id=agency_id,
        created_by=actor,
        incident=incident,
        occurred_at=incident.occurred_at,
        district=incident.district,
        kind=incident.kind,
    )
    response.full_clean(validate_unique=False)
    save_new_unique(response, field="incident", message=_("A response to this incident is open already."))
    access.grant_to_owner(response, actor=actor, basis="owner")
    tasks = ResponseTask.objects.bulk_create(
        ResponseTask(
            program_id=program_id,
            owner_agency=item.agency,
            created_by=actor,
            response=response,
            title=item.title,
            description=item.description,
            deadline=incident.occurred_at + timedelta(hours=item.deadline_hours),
            order=item.order,
        )
        for item in items
    )
    for task in tasks:
        _grant_task(task, response, actor)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=response,
        purpose=PURPOSE,
        detail={"incident": incident.pk, "tasks": [t.pk for t in tasks]},
    )
    return response


@transaction.atomic
def response_task_add(
    *, actor: Staff, response: IncidentResponse, title: str, agency: Agency, deadline: datetime, description: str = ""
) -> ResponseTask:
    """Add a task beyond the routine to an open response."""
    access.require(actor, "add", ResponseTask)
    access.require(actor, "change", response)
    # The response as stored (and locked): this write names no version, and a close saved since must stop it.
    _require_open(IncidentResponse.objects.select_for_update().get(pk=response.pk))
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Name the task.")]
    if agency.pk not in {a.pk for a in program_agencies(response.program_id)}:
        errors["agency"] = [_("Choose an agency of this program.")]
    if not isinstance(deadline, datetime) or not in_range(deadline):
        errors["deadline"] = [out_of_range_message()]
    elif deadline < response.occurred_at:
        errors["deadline"] = [_("A deadline falls after the incident.")]
    if errors:
        raise ValidationError(errors)
    last = response.tasks.aggregate(last=Max("order"))["last"]
    task = ResponseTask(
        program_id=response.program_id,
        owner_agency=agency,
        created_by=actor,
        response=response,
        title=title.strip(),
        description=description.strip(),
        deadline=deadline,
        order=(last or 0) + 1,
    )
    task.full_clean()
    task.save()
    _grant_task(task, response, actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=task, purpose=PURPOSE, detail={"response": response.pk})
    return task


def _require_open(response: IncidentResponse) -> None:
    if response.status != IncidentResponse.Status.OPEN:
        raise ValidationError(_("The response is closed: it no longer changes."))


def assignable_staff(task: ResponseTask) -> list[Staff]:
    """Active casework staff of the task's agency whose role resolves tasks (program structure): whom the task
    may be given to. Not the police analyst, who reads tasks but does not resolve them."""
    staff = program_staff(program_id=task.program_id).filter(agency_id=task.owner_agency_id)
    return [s for s in staff.order_by("first_name", "pk") if access.role_allows(s, "change", ResponseTask)]


@transaction.atomic
def task_assign(*, actor: Staff, task: ResponseTask, version: int, assignee: Staff | None) -> ResponseTask:
    """Give an open task to a staff member of its agency (or take it back). The assignee is told in the inbox."""
    access.require(actor, "change", task)
    _require_open(task.response)
    if task.status != ResponseTask.Status.OPEN:
        raise ValidationError(_("The task is resolved already."))
    if assignee is not None and assignee.pk not in {s.pk for s in assignable_staff(task)}:
        raise ValidationError({"assignee": [_("Choose staff of the agency that owns the task.")]})
    fresh = update_versioned(task, expected_version=version, changes={"assignee": assignee})
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"assignee": assignee.pk if assignee else None},
    )
    if assignee is not None and assignee.pk != actor.pk:
        notify(
            recipient=assignee,
            key=f"response-task-{task.pk}-assigned-{fresh.version}",
            title=_("A task after an incident was given to you"),
            url=_task_url(task),
        )
    return fresh


@transaction.atomic
def task_resolve(*, actor: Staff, task: ResponseTask, version: int, status: str, note: str = "") -> ResponseTask:
    """Mark an open task done or not needed (not needed says why)."""
    access.require(actor, "change", task)
    _require_open(task.response)
    if task.status != ResponseTask.Status.OPEN:
        raise ValidationError(_("The task is resolved already."))
    errors: dict[str, list[str]] = {}
    if status not in (ResponseTask.Status.DONE, ResponseTask.Status.NOT_NEEDED):
        errors["status"] = [_("Choose done or not needed.")]
    elif status == ResponseTask.Status.NOT_NEEDED and not note.strip():
        errors["note"] = [_("Say why the task is not needed.")]
    if errors:
        raise ValidationError(errors)
    fresh = update_versioned(
        task,
        expected_version=version,
        changes={"status": status, "note": note.strip(), "resolved_at": timezone.now(), "resolved_by": actor},
    )
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"status": status})
    return fresh


@transaction.atomic
def response_update(*, actor: Staff, response: IncidentResponse, version: int, notes: str) -> IncidentResponse:
    access.require(actor, "change", response)
    _require_open(response)
    fresh = update_versioned(response, expected_version=version, changes={"notes": notes.strip()})
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"fields": ["notes"]})
    return fresh


@transaction.atomic
def response_close(*, actor: Staff, response: IncidentResponse, version: int) -> IncidentResponse:
    """Close a response once every task is done or not needed."""
    access.require(actor, "change", response)
    _require_open(response)
    open_tasks = response.tasks.filter(status=ResponseTask.Status.OPEN).count()
    if open_tasks:
        raise ValidationError(
            ngettext(
                "%(count)s task is still to do: it must be done or marked not needed first.",
                "%(count)s tasks are still to do: each must be done or marked not needed first.",
                open_tasks,
            )
            % {"count": open_tasks}
        )
    fresh = update_versioned(
        response,
        expected_version=version,
        changes={"status": IncidentResponse.Status.CLOSED, "closed_at": timezone.now()},
    )
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=fresh, purpose=PURPOSE, detail={"status": "closed"})
    return fresh


def routine_exists(actor: Staff) -> bool:
    """Has the actor's program a routine (any task, in use or not)?"""
    return ResponseTemplateItem.objects.filter(program_id=_program_of(actor)).exists()


def routine_first(actor: Staff) -> ResponseTemplateItem | None:
    return ResponseTemplateItem.objects.filter(program_id=_program_of(actor)).order_by("order", "id").first()


@transaction.atomic
def response_follow_incident(*, actor: Staff, incident: Incident, before: Incident) -> IncidentResponse | None:
    """The police corrected an incident: its response's summary (date, district, kind) follows, and the open
    tasks' deadlines move by as much as the incident's time moved (they are counted from it). Resolved tasks
    keep theirs: they record what was asked at the time."""
    response = IncidentResponse.objects.select_for_update().filter(incident_id=incident.pk).first()
    if response is None:
        return None
    shift = incident.occurred_at - before.occurred_at
    changes = {"occurred_at": incident.occurred_at, "district": incident.district, "kind": incident.kind}
    changed = sorted(field for field, value in changes.items() if getattr(response, field) != value)
    if not changed:
        return response
    fresh = update_versioned(response, expected_version=response.version, changes=changes)
    moved: list[int] = []
    if shift:
        open_tasks = list(response.tasks.select_for_update().filter(status=ResponseTask.Status.OPEN))
        for task in open_tasks:
            update_versioned(task, expected_version=task.version, changes={"deadline": task.deadline + shift})
        moved = [task.pk for task in open_tasks]
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=fresh,
        purpose=PURPOSE,
        detail={"fields": changed, "incident": incident.pk, "deadlines_moved": moved},
    )
    return fresh
