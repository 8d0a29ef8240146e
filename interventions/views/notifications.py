"""Custom-notification pages: the police's list and page in full (request → legal-risk assessment → plan →
outcome → follow-up, each step's form only where the service would allow it now), and for those who deliver
it outside the police the declared partial view (`view_plan`: the plan and the outcome, never the reason, the
risk assessment or the police's record of the person). Thin: selectors read, services write, the policy
decides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import selectors as case_selectors
from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.accounts.selectors import program_staff
from gvi.pages import add_service_errors, audit_list, chosen_sort, form_values, paginate, staff_of, versioned_edit
from interventions import selectors, services
from interventions.forms.notifications import (
    AssessForm,
    CancelForm,
    FollowUpForm,
    NotificationFilterForm,
    NotificationRequestForm,
    OutcomeForm,
    PlanForm,
)
from interventions.models import CustomNotification
from interventions.services.notifications import PURPOSE
from outreach.models import Referral

# The steps of the page, in order: transition -> (form class, context key).
STEPS: dict[str, tuple[type[forms.Form], str]] = {
    "assess": (AssessForm, "assess_form"),
    "plan": (PlanForm, "plan_form"),
    "record_outcome": (OutcomeForm, "outcome_form"),
    "follow_up": (FollowUpForm, "follow_up_form"),
    "cancel": (CancelForm, "cancel_form"),
}
# The steps those who deliver it outside the police may take (with `view_plan`).
DELIVERER_STEPS = ("record_outcome", "follow_up")
CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this notification while you were working on it. Compare, then try again."
)


def _title(pk: int) -> str:
    return _("Custom notification %(number)s") % {"number": pk}


def _list_crumb() -> tuple[str, str]:
    return (reverse("interventions:notification-list"), _("Custom notifications"))


def _plan_view(notification: CustomNotification) -> dict[str, Any]:
    """The fields of the partial view (access.partial_fields) with their labels; nothing else."""
    plan = selectors.partial_values(notification, "view_plan")
    labels: dict[str, Any] = {
        "status": CustomNotification.Status,
        "place": CustomNotification.Place,
        "outcome": CustomNotification.Outcome,
    }
    for field, choices in labels.items():
        if field in plan:
            plan[f"{field}_label"] = choices(plan[field]).label if plan[field] else ""
    if "deliverers" in plan:
        plan["deliverers"] = selectors.notification_deliverers(notification)
    if plan.get("first_contact_at") and plan.get("requested_at"):
        plan["hours_to_contact"] = notification.hours_to_contact
    return plan


# --- The list -------------------------------------------------------------------------------------


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The police: every custom notification in full. Those who deliver them outside the police: the ones
    they deliver, with the plan's fields only. Nobody else."""
    user = staff_of(request)
    full = access.role_allows(user, "view", CustomNotification)
    if not full and not access.role_allows(user, "view_plan", CustomNotification):
        raise Http404
    filters = NotificationFilterForm(request.GET)
    status = filters.status_value()
    sort = chosen_sort(request, selectors.NOTIFICATION_SORTS, "-requested")
    if full:
        items = selectors.custom_notifications(user, status=status, sort=sort)
    else:
        items = selectors.notifications_to_deliver(user).order_by(*selectors.NOTIFICATION_SORTS[sort])
        if status:
            items = items.filter(status=status)
    page = paginate(request, items)
    detail: dict[str, Any] = {"status": status} if status else {}
    if not full:
        detail["access"] = "view_plan"
    audit_list(request, CustomNotification, page, purpose=PURPOSE, detail=detail)
    context = {
        "page": page,
        "full": full,
        "rows": page.object_list if full else [_plan_view_row(n) for n in page.object_list],
        "sort": sort,
        "filters": filters if filters.is_valid() else NotificationFilterForm(),
        "filtered": bool(status),
        "crumbs": [(None, _("Custom notifications"))],
    }
    return render(request, "interventions/notification_list.html", context)


def _plan_view_row(notification: CustomNotification) -> dict[str, Any]:
    """One row of the deliverer's list: the partial view without the deliverers (no query per row)."""
    row = selectors.partial_values(notification, "view_plan")
    row.pop("deliverers", None)
    row["status_label"] = CustomNotification.Status(row["status"]).label
    row["place_label"] = CustomNotification.Place(row["place"]).label if row.get("place") else ""
    row["outcome_label"] = CustomNotification.Outcome(row["outcome"]).label if row.get("outcome") else ""
    return row


# --- The request ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def notification_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Request a custom notification for the police's own record of a person at acute risk."""
    user = staff_of(request)
    access.require(user, "add", CustomNotification)
    person = access.get_visible_or_404(user, Person, person_pk, purpose=PURPOSE)
    if person.owner_agency_id != user.agency_id:
        raise Http404
    form = NotificationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notification = services.notification_request(actor=user, person=person, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The custom notification is requested. The legal-risk assessment comes next."))
            return redirect("interventions:notification-detail", pk=notification.pk)
    context = {
        "form": form,
        "person": person,
        "crumbs": [
            (reverse("cases:person-list"), _("Persons")),
            (reverse("cases:person-detail", args=[person.pk]), person.full_name),
            (None, _("Request a custom notification")),
        ],
    }
    return render(request, "interventions/notification_form.html", context)


# --- One notification and its next steps -----------------------------------------------------------


@require_GET
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    notification, full = selectors.custom_notification_for(user, pk, purpose=PURPOSE)
    return _render_detail(request, user, notification, full=full)


def _blank_form(user: Staff, transition: str, notification: CustomNotification) -> forms.Form:
    form_class, key = STEPS[transition]
    prefix = key.removesuffix("_form")
    initial: dict[str, Any] = {"version": notification.version}
    if form_class is PlanForm:
        return PlanForm(
            initial=initial, staff=program_staff(program_id=notification.program_id), auto_id=f"{prefix}_%s"
        )
    return form_class(initial=initial, auto_id=f"{prefix}_%s")


def _render_detail(
    request: HttpRequest,
    user: Staff,
    notification: CustomNotification,
    *,
    full: bool,
    bound: tuple[str, forms.Form] | None = None,
    conflict: CustomNotification | None = None,
) -> HttpResponse:
    """The page in full or in part; `bound` replaces the blank form of the step that was posted (with its
    errors or the service's message, or after a conflict with the version saved meanwhile in `conflict`)."""
    steps = STEPS if full else {t: STEPS[t] for t in DELIVERER_STEPS}
    shown: dict[str, forms.Form | None] = {key: None for _form, key in STEPS.values()}
    for transition, (_form_class, key) in steps.items():
        if services.may(user, transition, notification):
            shown[key] = _blank_form(user, transition, notification)
    if bound is not None:
        shown[STEPS[bound[0]][1]] = bound[1]
    title = _title(notification.pk)
    context: dict[str, Any] = {
        "notification": notification,
        "full": full,
        "conflict": conflict,
        "title": title,
        "crumbs": [_list_crumb(), (None, title)],
        "has_step": any(shown.values()),
        # The plan's fields, the same for the police and for those who deliver it.
        "plan": _plan_view(notification),
        **shown,
    }
    if full:
        context |= {
            "person_visible": bool(case_selectors.visible_person_ids(user, [notification.person_id])),
            "may_refer": notification.help_accepted
            and notification.referral_id is None
            and access.role_allows(user, "add", Referral),
        }
        template = "interventions/notification_detail.html"
    else:
        template = "interventions/notification_plan.html"
    return render(request, template, context)


def _for_step(user: Staff, pk: int, transition: str) -> tuple[CustomNotification, bool]:
    """The notification for a step: 404 (audited) unless the user sees it and their role takes this step
    (the police on their record, those who deliver it the outcome and the follow-up). Whether the step is
    possible now is the service's to say."""
    if not access.role_allows(user, transition, CustomNotification):
        access.audit_denied(user, CustomNotification, pk, action=transition, purpose=PURPOSE)
        raise Http404
    notification, full = selectors.custom_notification_for(user, pk, purpose=PURPOSE)
    if not full and transition not in DELIVERER_STEPS:
        access.audit_denied(user, CustomNotification, pk, action=transition, purpose=PURPOSE)
        raise Http404
    return notification, full


def _step(
    request: HttpRequest,
    pk: int,
    transition: str,
    service: Callable[..., CustomNotification],
    *,
    success: str,
) -> HttpResponse:
    user = staff_of(request)
    notification, full = _for_step(user, pk, transition)
    form_class, key = STEPS[transition]
    prefix = key.removesuffix("_form")

    def make_form(data: Any) -> forms.Form:
        if form_class is PlanForm:
            return PlanForm(data, staff=program_staff(program_id=notification.program_id), auto_id=f"{prefix}_%s")
        return form_class(data, auto_id=f"{prefix}_%s")

    edit = versioned_edit(
        request,
        make_form,
        lambda form, version: service(actor=user, notification=notification, version=version, **form_values(form)),
        conflict_message=str(CONFLICT_MESSAGE),
    )
    if edit.saved is not None:
        messages.success(request, success)
        return redirect("interventions:notification-detail", pk=notification.pk)
    if edit.conflict is not None:
        notification, full = selectors.custom_notification_for(user, pk, purpose=PURPOSE)
    return _render_detail(request, user, notification, full=full, bound=(transition, edit.form), conflict=edit.conflict)


@require_POST
def notification_assess(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "assess",
        services.notification_assess,
        success=_("The legal-risk assessment is recorded."),
    )


@require_POST
def notification_plan(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "plan",
        services.notification_plan,
        success=_("The plan is saved. Those who deliver it now see the plan."),
    )


@require_POST
def notification_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "record_outcome",
        services.notification_record_outcome,
        success=_("The outcome is recorded."),
    )


@require_POST
def notification_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "follow_up",
        services.notification_follow_up,
        success=_("The follow-up is recorded."),
    )


@require_POST
def notification_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "cancel",
        services.notification_cancel,
        success=_("The custom notification is cancelled."),
    )
