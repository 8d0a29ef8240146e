"""Enforcement-round pages: the police's list and page in full (group, reason, incidents, summary, actions,
evaluation), starting, changing and ending a round, logging, changing and removing its actions; an agency
asked to act (Kriminalvården) sees the declared partial view (`view_summary`: dates, status and the summary
written for partners, never the group, the reason, the incidents or the evaluation) and its own actions, and
records their results. Thin: selectors read, services write, the policy decides (404 when it refuses)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.services import audit_shown
from gvi.pages import (
    add_service_errors,
    audit_list,
    audit_shown_on,
    chosen_sort,
    form_values,
    paginate,
    staff_of,
    versioned_edit,
)
from interventions import selectors
from interventions.forms.rounds import ActionForm, ActionResultForm, RoundEndForm, RoundFilterForm, RoundForm
from interventions.models import EnforcementAction, EnforcementRound
from interventions.services import rounds as services
from interventions.services.rounds import PURPOSE

CONFLICT_MESSAGE = gettext_lazy("Someone else saved this round while you were working on it. Compare, then try again.")
ACTION_CONFLICT_MESSAGE = gettext_lazy(
    "Someone else saved this action while you were working on it. Compare, then try again."
)
# Sorts of the summary list (an agency asked to act sees no group to sort by).
SUMMARY_SORTS = {key: value for key, value in selectors.ROUND_SORTS.items() if "group" not in key}
# The planned actions awaiting a result shown on the list; more wait on the round pages.
ACTIONS_TO_RECORD_LIMIT = 50


def round_title(round_id: int) -> str:
    return _("Enforcement round %(number)s") % {"number": round_id}


def _list_crumb() -> tuple[str, str]:
    return (reverse("interventions:round-list"), _("Enforcement rounds"))


def _round_crumb(round_id: int) -> tuple[str, str]:
    return (reverse("interventions:round-detail", args=[round_id]), round_title(round_id))


def _summary(round_: EnforcementRound) -> dict[str, Any]:
    """The fields of the partial view `view_summary` (access.partial_fields) and the status label: nothing
    else of the round."""
    values = selectors.partial_values(round_, "view_summary")
    values["status_label"] = EnforcementRound.Status(values["status"]).label
    return values


def _to_detail(round_id: int) -> HttpResponse:
    return redirect("interventions:round-detail", pk=round_id)


# --- The list -------------------------------------------------------------------------------------


@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    """The police see their rounds in full; an agency asked to act the summaries of the rounds it acts in and
    its planned actions awaiting a result; everyone else nothing."""
    user = staff_of(request)
    full = access.role_allows(user, "view", EnforcementRound)
    if not full and not access.role_allows(user, "view_summary", EnforcementRound):
        raise Http404
    filters = RoundFilterForm(request.GET)
    status = filters.status_value()
    sorts = selectors.ROUND_SORTS if full else SUMMARY_SORTS
    sort = chosen_sort(request, sorts, "-started")
    if full:
        items = selectors.enforcement_rounds(user, status=status, sort=sort)
    else:
        items = selectors.round_summaries(user, status=status).order_by(*sorts[sort])
    to_record = list(selectors.actions_to_record(user)[: ACTIONS_TO_RECORD_LIMIT + 1])
    more_to_record, to_record = len(to_record) > ACTIONS_TO_RECORD_LIMIT, to_record[:ACTIONS_TO_RECORD_LIMIT]
    # The actions first: the page's own event, with the rounds shown, is the list's last.
    audit_shown(
        actor=user, object_type=EnforcementAction._meta.label_lower, ids=[a.pk for a in to_record], purpose=PURPOSE
    )
    page = paginate(request, items)
    detail: dict[str, Any] = {"status": status} if status else {}
    if not full:
        detail["access"] = "view_summary"
    audit_list(request, EnforcementRound, page, purpose=PURPOSE, detail=detail)
    context = {
        "page": page,
        "full": full,
        "rows": page.object_list if full else [_summary(round_) for round_ in page.object_list],
        "to_record": to_record,
        "more_to_record": more_to_record,
        "sort": sort,
        "filters": filters if filters.is_valid() else RoundFilterForm(),
        "filtered": bool(status),
        "can_add": access.role_allows(user, "add", EnforcementRound),
        "crumbs": [(None, _("Enforcement rounds"))],
    }
    return render(request, "interventions/rounds/list.html", context)


# --- Starting, changing and ending a round ---------------------------------------------------------


def _conflict_rows(conflict: EnforcementRound) -> list[tuple[str, Any]]:
    return [
        (_("Status"), conflict.get_status_display()),
        (_("Reason"), conflict.reason),
        (_("Summary for the agencies asked to act"), conflict.summary or "–"),
        (_("Started on"), conflict.started_on),
        (_("Incidents that triggered it"), ", ".join(str(i) for i in conflict.incidents.all()) or "–"),
    ]


@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    """Start a round against a group of the police's own map (`?group=<id>` chooses it in advance)."""
    user = staff_of(request)
    access.require(user, "add", EnforcementRound)
    if request.method == "POST":
        form = RoundForm(request.POST, user=user)
        if form.is_valid():
            try:
                round_ = services.round_start(actor=user, **form_values(form))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The round is started. Log its actions next."))
                return _to_detail(round_.pk)
    else:
        group = request.GET.get("group", "")
        preselected = int(group) if group.isascii() and group.isdigit() and len(group) < 19 else None
        initial = {"started_on": timezone.localdate(), "group": preselected}
        form = RoundForm(initial=initial, user=user)
    context = {"form": form, "round": None, "crumbs": [_list_crumb(), (None, _("Start an enforcement round"))]}
    return render(request, "interventions/rounds/form.html", context)


def _changeable_round(request: HttpRequest, user: Staff, pk: int) -> EnforcementRound:
    """The round for a change: 404 (audited) unless the user may change it. A page that shows it (GET) is
    audited as a view; a POST is audited by the service that writes."""
    return access.get_visible_or_404(
        user, EnforcementRound, pk, action="change", purpose=PURPOSE, audit=request.method == "GET"
    )


def _ended(request: HttpRequest, round_: EnforcementRound) -> HttpResponse | None:
    """An ended round no longer changes: back to its page with the reason, instead of a form that fails."""
    if round_.status == EnforcementRound.Status.ACTIVE:
        return None
    messages.info(request, _("The round has ended: it no longer changes."))
    return _to_detail(round_.pk)


@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the reason, the summary, the start date or the incidents of an active round (not its group)."""
    user = staff_of(request)
    round_ = _changeable_round(request, user, pk)
    if (ended := _ended(request, round_)) is not None:
        return ended
    current = list(round_.incidents.values_list("pk", flat=True))
    conflict = None
    if request.method == "POST":

        def save(form: forms.Form, version: int) -> EnforcementRound:
            return services.round_update(actor=user, round_=round_, version=version, **form_values(form))

        edit = versioned_edit(
            request,
            lambda data: RoundForm(data, user=user, starting=False, current=current),
            save,
            conflict_message=str(CONFLICT_MESSAGE),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return _to_detail(round_.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {
            "reason": round_.reason,
            "summary": round_.summary,
            "started_on": round_.started_on,
            "incidents": current,
            "version": round_.version,
        }
        form = RoundForm(initial=initial, user=user, starting=False, current=current)
    context = {
        "form": form,
        "round": round_,
        "conflict_rows": _conflict_rows(conflict) if isinstance(conflict, EnforcementRound) else None,
        "crumbs": [_list_crumb(), _round_crumb(round_.pk), (None, _("Edit"))],
    }
    return render(request, "interventions/rounds/form.html", context)


@require_http_methods(["GET", "POST"])
def round_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End an active round with its evaluation; the page says first that ending is final."""
    user = staff_of(request)
    round_ = _changeable_round(request, user, pk)
    if (ended := _ended(request, round_)) is not None:
        return ended
    conflict = None
    if request.method == "POST":

        def save(form: forms.Form, version: int) -> EnforcementRound:
            return services.round_end(actor=user, round_=round_, version=version, **form_values(form))

        edit = versioned_edit(request, RoundEndForm, save, conflict_message=str(CONFLICT_MESSAGE))
        if edit.saved is not None:
            messages.success(request, _("The round is ended. Its evaluation is saved."))
            return _to_detail(round_.pk)
        form, conflict = edit.form, edit.conflict
    else:
        form = RoundEndForm(initial={"ended_on": timezone.localdate(), "version": round_.version})
    context = {
        "form": form,
        "round": round_,
        "conflict_rows": _conflict_rows(conflict) if isinstance(conflict, EnforcementRound) else None,
        "title": _("End the round"),
        "crumbs": [_list_crumb(), _round_crumb(round_.pk), (None, _("End the round"))],
    }
    return render(request, "interventions/rounds/end.html", context)


# --- The round's page -----------------------------------------------------------------------------


def _result_form(action: EnforcementAction, data: Any = None) -> ActionResultForm:
    """The form that records an action's result; the date offered is the planned one, or today when that
    lies ahead."""
    initial = {"acted_on": min(action.acted_on, timezone.localdate()), "version": action.version}
    return ActionResultForm(data, initial=initial, auto_id=f"result{action.pk}_%s")


@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The police see the round in full; an agency asked to act its summary and its own actions, with a
    form to record the result of each planned one."""
    user = staff_of(request)
    round_, full = selectors.round_for(user, pk, purpose=PURPOSE)
    actions = list(selectors.round_actions(user, round_))
    audit_shown_on(request, EnforcementAction, [a.pk for a in actions], on=round_, purpose=PURPOSE)
    recordable = set(
        access.visible(user, EnforcementAction, "record_result")
        .filter(round_id=round_.pk, status=EnforcementAction.Status.PLANNED)
        .values_list("pk", flat=True)
    )
    title = round_title(round_.pk)
    if not full:
        context: dict[str, Any] = {
            "summary": _summary(round_),
            "rows": [
                (action, _result_form(action) if action.pk in recordable else None, f"result-{action.pk}")
                for action in actions
            ],
            "title": title,
            "crumbs": [_list_crumb(), (None, title)],
        }
        return render(request, "interventions/rounds/summary.html", context)
    active = round_.status == EnforcementRound.Status.ACTIVE
    can_change = active and access.can(user, "change", round_)
    context = {
        "round": round_,
        "incidents": list(round_.incidents.order_by("-occurred_at", "-id")),
        "rows": [
            {
                "action": action,
                "may_record": action.pk in recordable,
                "may_change": can_change and action.status == EnforcementAction.Status.PLANNED,
            }
            for action in actions
        ],
        "can_change": can_change,
        "may_add_action": can_change and access.role_allows(user, "add", EnforcementAction),
        "title": title,
        "crumbs": [_list_crumb(), (None, title)],
    }
    return render(request, "interventions/rounds/detail.html", context)


# --- Actions --------------------------------------------------------------------------------------


def _action_conflict_rows(conflict: EnforcementAction) -> list[tuple[str, Any]]:
    return [
        (_("Status"), conflict.get_status_display()),
        (_("Action"), conflict.get_kind_display()),
        (_("Date"), conflict.acted_on),
        (_("What is to be done"), conflict.description or "–"),
        (_("Result"), conflict.result or "–"),
    ]


@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an action of an active round: by the police, by Kriminalvården (who then sees the round's summary
    and this action) or by an outside authority whose result the police record."""
    user = staff_of(request)
    access.require(user, "add", EnforcementAction)
    round_ = _changeable_round(request, user, pk)
    if (ended := _ended(request, round_)) is not None:
        return ended
    agencies = services.acting_agencies(user)
    if request.method == "POST":
        form = ActionForm(request.POST, agencies=agencies)
        if form.is_valid():
            try:
                action = services.action_add(actor=user, round_=round_, **form_values(form))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The action is logged."))
                if action.acting_agency_id and action.acting_agency_id != round_.owner_agency_id:
                    messages.info(
                        request,
                        _("%(agency)s now sees the round's summary and this action, and records its result.")
                        % {"agency": action.actor_name},
                    )
                return _to_detail(round_.pk)
    else:
        form = ActionForm(initial={"acted_on": timezone.localdate()}, agencies=agencies)
    context = {
        "form": form,
        "round": round_,
        "action": None,
        "title": _("Log an action"),
        "crumbs": [_list_crumb(), _round_crumb(round_.pk), (None, _("Log an action"))],
    }
    return render(request, "interventions/rounds/action_form.html", context)


def _changeable_action(request: HttpRequest, user: Staff, pk: int, *, action: str = "change") -> EnforcementAction:
    return access.get_visible_or_404(
        user, EnforcementAction, pk, action=action, purpose=PURPOSE, audit=request.method == "GET"
    )


def _not_planned(request: HttpRequest, action: EnforcementAction) -> HttpResponse | None:
    """Only a planned action of an active round changes: otherwise back to the round with the reason."""
    if action.status != EnforcementAction.Status.PLANNED:
        messages.info(request, _("The result of this action is recorded: it no longer changes."))
    elif action.round.status != EnforcementRound.Status.ACTIVE:
        messages.info(request, _("The round has ended: it no longer changes."))
    else:
        return None
    return _to_detail(action.round_id)


@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the kind, date or description of a planned action (the acting agency stays)."""
    user = staff_of(request)
    action = _changeable_action(request, user, pk)
    if (refused := _not_planned(request, action)) is not None:
        return refused
    conflict = None
    if request.method == "POST":

        def save(form: forms.Form, version: int) -> EnforcementAction:
            return services.action_update(actor=user, action=action, version=version, **form_values(form))

        edit = versioned_edit(request, ActionForm, save, conflict_message=str(ACTION_CONFLICT_MESSAGE))
        if edit.saved is not None:
            messages.success(request, _("The action is saved."))
            return _to_detail(action.round_id)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {
            "kind": action.kind,
            "acted_on": action.acted_on,
            "description": action.description,
            "version": action.version,
        }
        form = ActionForm(initial=initial)
    context = {
        "form": form,
        "round": action.round,
        "action": action,
        "conflict_rows": _action_conflict_rows(conflict) if isinstance(conflict, EnforcementAction) else None,
        "title": _("Change the action"),
        "crumbs": [_list_crumb(), _round_crumb(action.round_id), (None, _("Change the action"))],
    }
    return render(request, "interventions/rounds/action_form.html", context)


@require_http_methods(["GET", "POST"])
def action_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a planned action logged by mistake, after a confirmation page."""
    user = staff_of(request)
    action = _changeable_action(request, user, pk)
    if (refused := _not_planned(request, action)) is not None:
        return refused
    if request.method == "POST":
        try:
            services.action_remove(actor=user, action=action)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The action is removed."))
        return _to_detail(action.round_id)
    context = {
        "action": action,
        "title": _("Remove the action"),
        "crumbs": [_list_crumb(), _round_crumb(action.round_id), (None, _("Remove the action"))],
    }
    return render(request, "interventions/rounds/action_remove.html", context)


@require_http_methods(["GET", "POST"])
def action_result(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what came of a planned action: the acting agency for its own, the police for theirs and for an
    outside authority's. Also after the round has ended."""
    user = staff_of(request)
    action = _changeable_action(request, user, pk, action="record_result")
    if action.status != EnforcementAction.Status.PLANNED:
        messages.info(request, _("The result of this action is recorded already."))
        return _to_detail(action.round_id)
    conflict = None
    if request.method == "POST":

        def save(form: forms.Form, version: int) -> EnforcementAction:
            return services.action_record_result(actor=user, action=action, version=version, **form_values(form))

        edit = versioned_edit(
            request, lambda data: _result_form(action, data), save, conflict_message=str(ACTION_CONFLICT_MESSAGE)
        )
        if edit.saved is not None:
            messages.success(request, _("The result is recorded."))
            return _to_detail(action.round_id)
        form, conflict = edit.form, edit.conflict
    else:
        form = _result_form(action)
    context = {
        "form": form,
        "action": action,
        "conflict_rows": _action_conflict_rows(conflict) if isinstance(conflict, EnforcementAction) else None,
        "title": _("Record the result"),
        "crumbs": [_list_crumb(), _round_crumb(action.round_id), (None, _("Record the result"))],
    }
    return render(request, "interventions/rounds/action_result.html", context)
