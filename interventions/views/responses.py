"""Pages of the response after an incident (rutin vid skjutningar): the incident review, opening a response
from an incident, the list and the page of responses (the police in full; an agency with tasks the declared
summary — the incident's date, district and kind — and its own tasks), the tasks' assignment and resolution,
and the program's routine. Thin: selectors read, services write, the policy decides (404 when it refuses)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gvi import access
from gvi.accounts.models import Staff
from gvi.concurrency import StaleVersion
from gvi.mapping.models import Incident, IncidentKind
from gvi.pages import add_service_errors, audit_list, audit_shown_on, form_values, paginate, staff_of, versioned_edit
from interventions import selectors
from interventions.forms.responses import (
    IncidentReviewFilterForm,
    ResponseCloseForm,
    ResponseFilterForm,
    ResponseNotesForm,
    RoutineItemForm,
    TaskAddForm,
    TaskAssignForm,
    TaskResolveForm,
)
from interventions.models import IncidentResponse, ResponseTask, ResponseTemplateItem
from interventions.services import responses as services
from interventions.services.responses import PURPOSE, ROUTINE_PURPOSE

CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this response while you were working on it. Compare, then try again."
)
TASK_CONFLICT_MESSAGE = gettext_lazy("Someone else changed this task meanwhile. Here it is as saved; try again.")


def response_title(occurred_at: datetime, kind: str) -> str:
    """The response's name from its summary (date and kind): the same for the police and the other agencies."""
    return _("Response: %(kind)s %(date)s") % {
        "kind": IncidentKind(kind).label,
        "date": timezone.localtime(occurred_at).strftime("%Y-%m-%d"),
    }


def _list_crumb() -> tuple[str, str]:
    return (reverse("interventions:response-list"), _("Responses after incidents"))


def _response_crumb(response: IncidentResponse) -> tuple[str, str]:
    return (
        reverse("interventions:response-detail", args=[response.pk]),
        response_title(response.occurred_at, response.kind),
    )


def _routine_crumb() -> tuple[str, str]:
    return (reverse("interventions:routine"), _("Response routine"))


def _task_url(task: ResponseTask) -> str:
    return reverse("interventions:response-detail", args=[task.response_id]) + f"#task-{task.pk}"


def _summary(response: IncidentResponse) -> dict[str, Any]:
    """The fields of the partial view `view_summary` (access.partial_fields) with their labels: nothing else of
    the response, and nothing of the incident beyond what the response copied."""
    values = selectors.partial_values(response, "view_summary")
    values["kind_label"] = IncidentKind(values["kind"]).label
    values["status_label"] = IncidentResponse.Status(values["status"]).label
    return values


# --- The incident review ------------------------------------------------------------------------


@require_GET
def incident_review(request: HttpRequest) -> HttpResponse:
    """The police: recent incidents with their GMI classification and the response's status."""
    user = staff_of(request)
    if not access.role_allows(user, "view", Incident) or not access.role_allows(user, "view", IncidentResponse):
        raise Http404
    filters = IncidentReviewFilterForm(request.GET or None)
    chosen = filters.values()
    page = paginate(request, selectors.incident_review(user, **chosen))
    audit_list(request, Incident, page, purpose=PURPOSE, detail={k: v for k, v in chosen.items() if v})
    now = timezone.now()
    rows = [{"incident": incident, "response": getattr(incident, "response", None)} for incident in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "now": now,
        "filters": filters if filters.is_bound and filters.is_valid() else IncidentReviewFilterForm(),
        "days": chosen["days"],
        "filtered": chosen != IncidentReviewFilterForm().values(),
        "may_open": access.role_allows(user, "add", IncidentResponse),
        "crumbs": [(None, _("Incident review"))],
    }
    return render(request, "interventions/responses/incident_review.html", context)


# --- Opening a response ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedTask:
    item: ResponseTemplateItem
    deadline: datetime


@require_http_methods(["GET", "POST"])
def response_open(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """GET: which tasks the routine will create, each with its deadline counted from the incident. POST: open
    the response (the police coordinator). A refusal (already open, no routine) shows the service's message."""
    user = staff_of(request)
    access.require(user, "add", IncidentResponse)
    incident = access.get_visible_or_404(user, Incident, incident_pk, purpose=PURPOSE, audit=request.method == "GET")
    errors: list[str] = []
    if request.method == "POST":
        try:
            response = services.response_open(actor=user, incident=incident)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request, _("The response is open. Each agency now sees its tasks and the incident's date and district.")
            )
            return redirect("interventions:response-detail", pk=response.pk)
    existing = access.visible(user, IncidentResponse).filter(incident_id=incident.pk).only("id").first()
    planned = [
        PlannedTask(item, incident.occurred_at + timedelta(hours=item.deadline_hours))
        for item in selectors.routine(user).filter(active=True)
    ]
    context = {
        "incident": incident,
        "existing": existing,
        "planned": planned,
        "errors": errors,
        "may_edit_routine": access.role_allows(user, "change", ResponseTemplateItem),
        "crumbs": [
            (reverse("interventions:incident-review"), _("Incident review")),
            (None, _("Open the response routine")),
        ],
    }
    return render(request, "interventions/responses/response_open.html", context)


# --- The list -------------------------------------------------------------------------------------


@require_GET
def response_list(request: HttpRequest) -> HttpResponse:
    """The police: every response in full. An agency with tasks: the summaries of the responses it has tasks
    in, with its own task counts. Nobody else."""
    user = staff_of(request)
    full = access.role_allows(user, "view", IncidentResponse)
    if not full and not access.role_allows(user, "view_summary", IncidentResponse):
        raise Http404
    filters = ResponseFilterForm(request.GET or None)
    status = filters.status_value()
    page = paginate(request, selectors.responses(user, status=status))
    selectors.count_tasks(user, page.object_list)
    detail: dict[str, Any] = {"status": status} if status else {}
    if not full:
        detail["access"] = "view_summary"
    audit_list(request, IncidentResponse, page, purpose=PURPOSE, detail=detail)
    rows = [
        {
            **_summary(response),
            "title": response_title(response.occurred_at, response.kind),
            "incident_id": response.incident_id if full else None,
            "task_total": response.task_total,  # type: ignore[attr-defined]
            "task_resolved": response.task_resolved,  # type: ignore[attr-defined]
            "task_overdue": response.task_overdue,  # type: ignore[attr-defined]
        }
        for response in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "full": full,
        "filters": filters if filters.is_bound and filters.is_valid() else ResponseFilterForm(),
        "filtered": bool(status),
        "may_review": access.role_allows(user, "view", Incident),
        "may_see_routine": access.role_allows(user, "view", ResponseTemplateItem),
        "crumbs": [(None, _("Responses after incidents"))],
    }
    return render(request, "interventions/responses/response_list.html", context)


# --- One response ---------------------------------------------------------------------------------


@dataclass
class TaskRow:
    """A task on the response page. `shown`: the fields of the partial view `view_status` (access.partial_fields)
    with the status's label, for every task. `task`: the task in full (description, assignee, who resolved it,
    the note), only where the user sees it in full; the police follow another agency's task by `shown` alone."""

    pk: int
    shown: dict[str, Any]
    overdue: bool
    task: ResponseTask | None = None
    assign_form: TaskAssignForm | None = None
    resolve_form: TaskResolveForm | None = None


def _task_status(task: ResponseTask) -> dict[str, Any]:
    """The fields of the partial view `view_status` and the status's label: nothing else of the task."""
    values = selectors.partial_values(task, "view_status")
    values["status_label"] = ResponseTask.Status(values["status"]).label
    return values


def _task_rows(
    user: Staff, response: IncidentResponse, bound: tuple[int, forms.Form] | None = None
) -> tuple[list[TaskRow], list[int]]:
    """The tasks the user sees (another agency's by its status only), each with the assign and resolve forms
    where the user may change it (her own agency's open tasks of an open response). The staff to choose from
    are read once per agency."""
    tasks = list(selectors.response_tasks(user, response))
    for task in tasks:
        task.response = response  # the partial view names the response: the one on this page, not another query
    changeable: set[int] = set()
    if response.status == IncidentResponse.Status.OPEN and access.role_allows(user, "change", ResponseTask):
        changeable = set(
            access.visible(user, ResponseTask, "change")
            .filter(response=response, status=ResponseTask.Status.OPEN)
            .values_list("pk", flat=True)
        )
    staff_by_agency: dict[int, list[Staff]] = {}
    now = timezone.now()
    rows = []
    for task in tasks:
        full = task.full  # type: ignore[attr-defined]
        row = TaskRow(pk=task.pk, shown=_task_status(task), overdue=task.is_overdue(now), task=task if full else None)
        if full and task.pk in changeable:
            if task.owner_agency_id not in staff_by_agency:
                staff_by_agency[task.owner_agency_id] = services.assignable_staff(task)
            staff = staff_by_agency[task.owner_agency_id]
            prefix = f"task{task.pk}"
            row.assign_form = TaskAssignForm(
                initial={"assignee": task.assignee_id, "version": task.version},
                staff=staff,
                auto_id=f"{prefix}_assign_%s",
            )
            row.resolve_form = TaskResolveForm(initial={"version": task.version}, auto_id=f"{prefix}_resolve_%s")
            if bound is not None and bound[0] == task.pk:
                if isinstance(bound[1], TaskAssignForm):
                    row.assign_form = bound[1]
                else:
                    assert isinstance(bound[1], TaskResolveForm)
                    row.resolve_form = bound[1]
        rows.append(row)
    return rows, [task.pk for task in tasks]


def _render_detail(
    request: HttpRequest,
    user: Staff,
    response: IncidentResponse,
    *,
    full: bool,
    bound: tuple[int, forms.Form] | None = None,
) -> HttpResponse:
    rows, shown = _task_rows(user, response, bound)
    if bound is not None and not any(bound[1] in (row.assign_form, row.resolve_form) for row in rows):
        # The task no longer takes the form (resolved, or the response closed meanwhile): say why up top.
        for errors in bound[1].errors.values():
            for error in errors:
                messages.error(request, str(error))
    audit_shown_on(request, ResponseTask, shown, on=response, purpose=PURPOSE)
    title = response_title(response.occurred_at, response.kind)
    context: dict[str, Any] = {
        "full": full,
        "summary": _summary(response),
        "rows": rows,
        "open_count": sum(1 for row in rows if row.shown["status"] == ResponseTask.Status.OPEN),
        "overdue_count": sum(1 for row in rows if row.overdue),
        "is_open": response.status == IncidentResponse.Status.OPEN,
        "title": title,
        "crumbs": [_list_crumb(), (None, title)],
    }
    if full:
        may_change = access.can(user, "change", response)
        context |= {
            "response": response,
            "may_change": may_change,
            "may_add_task": may_change and access.role_allows(user, "add", ResponseTask),
        }
        template = "interventions/responses/response_detail.html"
    else:
        template = "interventions/responses/response_summary.html"
    return render(request, template, context)


@require_GET
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The police: the response in full with every task (another agency's by its status: never its note or
    assignee). An agency with tasks: the summary (date, district, kind; never the place, the case number, the
    notes or the groups) and its own tasks."""
    user = staff_of(request)
    response, full = selectors.response_for(user, pk, purpose=PURPOSE)
    return _render_detail(request, user, response, full=full)


def _changeable_response(request: HttpRequest, user: Staff, pk: int) -> IncidentResponse:
    """The response for a change: 404 (audited) unless the user may change it (the police coordinator). A page
    that shows it (GET) is audited as a view; a POST by the service that writes."""
    return access.get_visible_or_404(
        user, IncidentResponse, pk, action="change", purpose=PURPOSE, audit=request.method == "GET"
    )


@require_http_methods(["GET", "POST"])
def response_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The police's notes on the response (never shown to the other agencies)."""
    user = staff_of(request)
    response = _changeable_response(request, user, pk)
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            ResponseNotesForm,
            lambda form, version: services.response_update(
                actor=user, response=response, version=version, **form_values(form)
            ),
            conflict_message=str(CONFLICT_MESSAGE),
        )
        if edit.saved is not None:
            messages.success(request, _("The notes are saved."))
            return redirect("interventions:response-detail", pk=response.pk)
        form, conflict = edit.form, edit.conflict
    else:
        form = ResponseNotesForm(initial={"notes": response.notes, "version": response.version})
    context = {
        "form": form,
        "response": response,
        "conflict": conflict,
        "is_open": response.status == IncidentResponse.Status.OPEN,
        "crumbs": [_list_crumb(), _response_crumb(response), (None, _("Edit the notes"))],
    }
    return render(request, "interventions/responses/response_edit.html", context)


@require_http_methods(["GET", "POST"])
def response_close(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST closes the response, refused while a task is still to do."""
    user = staff_of(request)
    response = _changeable_response(request, user, pk)
    if request.method == "POST":
        form = ResponseCloseForm(request.POST)
        version = form.cleaned_data["version"] if form.is_valid() else None
        try:
            services.response_close(actor=user, response=response, version=version or 0)
        except StaleVersion:
            messages.error(request, str(CONFLICT_MESSAGE))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The response is closed."))
        return redirect("interventions:response-detail", pk=response.pk)
    open_count = response.tasks.filter(status=ResponseTask.Status.OPEN).count()
    context = {
        "response": response,
        "open_count": open_count,
        "is_open": response.status == IncidentResponse.Status.OPEN,
        "crumbs": [_list_crumb(), _response_crumb(response), (None, _("Close the response"))],
    }
    return render(request, "interventions/responses/response_close.html", context)


@require_http_methods(["GET", "POST"])
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A task beyond the routine, for any agency of the program (the police coordinator)."""
    user = staff_of(request)
    response = _changeable_response(request, user, pk)
    access.require(user, "add", ResponseTask)
    agencies = services.program_agencies(response.program_id)
    form = TaskAddForm(request.POST if request.method == "POST" else None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.response_task_add(actor=user, response=response, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The task is added. The agency sees it on its start page."))
            return HttpResponseRedirect(_task_url(task))
    context = {
        "form": form,
        "response": response,
        "is_open": response.status == IncidentResponse.Status.OPEN,
        "crumbs": [_list_crumb(), _response_crumb(response), (None, _("Add a task"))],
    }
    return render(request, "interventions/responses/task_add.html", context)


# --- Assigning and resolving a task ----------------------------------------------------------------


def _own_task(user: Staff, pk: int) -> ResponseTask:
    """A task of the user's own agency, for a change (404, audited, for everyone else; the change itself is
    audited by its service)."""
    return access.get_visible_or_404(user, ResponseTask, pk, action="change", purpose=PURPOSE, audit=False)


def _task_change(
    request: HttpRequest,
    user: Staff,
    task: ResponseTask,
    form: forms.Form,
    save: Callable[[dict[str, Any]], ResponseTask],
    *,
    success: str,
) -> HttpResponse:
    """On success back to the task; on a form error or a refusal the response page again, with the form's
    errors at the task; after a conflict the task as saved, with the message."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except StaleVersion:
            messages.error(request, str(TASK_CONFLICT_MESSAGE))
            return HttpResponseRedirect(_task_url(task))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return HttpResponseRedirect(_task_url(task))
    response, full = selectors.response_for(user, task.response_id, purpose=PURPOSE)
    return _render_detail(request, user, response, full=full, bound=(task.pk, form))


@require_POST
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the task to a staff member of its agency (or take it back)."""
    user = staff_of(request)
    task = _own_task(user, pk)
    form = TaskAssignForm(request.POST, staff=services.assignable_staff(task), auto_id=f"task{task.pk}_assign_%s")
    return _task_change(
        request,
        user,
        task,
        form,
        lambda data: services.task_assign(
            actor=user, task=task, version=data["version"] or 0, assignee=data["assignee"]
        ),
        success=_("The task is assigned."),
    )


@require_POST
def task_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the task done or not needed (with a note saying why)."""
    user = staff_of(request)
    task = _own_task(user, pk)
    form = TaskResolveForm(request.POST, auto_id=f"task{task.pk}_resolve_%s")
    return _task_change(
        request,
        user,
        task,
        form,
        lambda data: services.task_resolve(
            actor=user, task=task, version=data["version"] or 0, status=data["status"], note=data["note"]
        ),
        success=_("The task is resolved."),
    )


# --- The routine ----------------------------------------------------------------------------------


@require_GET
def routine(request: HttpRequest) -> HttpResponse:
    """The program's routine: the program lead and the administrator keep it; the police read it."""
    user = staff_of(request)
    access.require(user, "view", ResponseTemplateItem)
    page = paginate(request, selectors.routine(user))
    context = {
        "page": page,
        "may_change": access.role_allows(user, "change", ResponseTemplateItem),
        "may_add": access.role_allows(user, "add", ResponseTemplateItem),
        "crumbs": [(None, _("Response routine"))],
    }
    return render(request, "interventions/responses/routine.html", context)


@require_POST
def routine_standard(request: HttpRequest) -> HttpResponse:
    """Start the program's routine from the standard one (only while the program has none)."""
    user = staff_of(request)
    access.require(user, "add", ResponseTemplateItem)
    try:
        items = services.routine_install_standard(actor=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext(
                "The standard routine is set up with %(count)s task. Adjust it to your program.",
                "The standard routine is set up with %(count)s tasks. Adjust them to your program.",
                len(items),
            )
            % {"count": len(items)},
        )
    return redirect("interventions:routine")


@require_http_methods(["GET", "POST"])
def routine_add(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "add", ResponseTemplateItem)
    form = RoutineItemForm(
        request.POST if request.method == "POST" else None, agencies=services.program_agencies(user.program_id)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.routine_item_add(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The task is added to the routine. Responses opened from now on include it."))
            return redirect("interventions:routine")
    context = {"form": form, "item": None, "crumbs": [_routine_crumb(), (None, _("Add a task to the routine"))]}
    return render(request, "interventions/responses/routine_form.html", context)


def _routine_item(user: Staff, pk: int, action: str) -> ResponseTemplateItem:
    """A task of the user's own program's routine (program structure, not case data: not audited as a view)."""
    return access.get_visible_or_404(
        user, ResponseTemplateItem, pk, action=action, purpose=ROUTINE_PURPOSE, audit=False
    )


@require_http_methods(["GET", "POST"])
def routine_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    item = _routine_item(user, pk, "change")
    agencies = services.program_agencies(item.program_id)
    if request.method == "POST":
        form = RoutineItemForm(request.POST, agencies=agencies)
        if form.is_valid():
            changes = dict(form.cleaned_data)
            if changes["order"] is None:
                changes["order"] = item.order
            try:
                services.routine_item_update(actor=user, item=item, **changes)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The routine is saved. Responses already open keep their tasks."))
                return redirect("interventions:routine")
    else:
        form = RoutineItemForm(
            initial={
                "title": item.title,
                "description": item.description,
                "agency": item.agency_id,
                "deadline_hours": item.deadline_hours,
                "order": item.order,
                "active": item.active,
            },
            agencies=agencies,
        )
    context = {"form": form, "item": item, "crumbs": [_routine_crumb(), (None, item.title)]}
    return render(request, "interventions/responses/routine_form.html", context)


@require_http_methods(["GET", "POST"])
def routine_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the task from the routine (open responses keep theirs)."""
    user = staff_of(request)
    item = _routine_item(user, pk, "delete")
    if request.method == "POST":
        services.routine_item_remove(actor=user, item=item)
        messages.success(request, _("The task is removed from the routine."))
        return redirect("interventions:routine")
    context = {"item": item, "crumbs": [_routine_crumb(), (None, _("Remove a task"))]}
    return render(request, "interventions/responses/routine_remove.html", context)
