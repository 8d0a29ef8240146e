"""Retention pages: the rules and what the next run culls, the records due that a user keeps (with the legal
hold beside each), and the holds. Thin: reads through selectors, writes through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.pages import add_service_errors, audit_list, paginate, staff_of, versioned_edit
from gvi.retention import categories, selectors, services
from gvi.retention.categories import Category
from gvi.retention.forms import ReasonForm, RuleForm
from gvi.retention.models import LegalHold, RetentionRule

PURPOSE = services.PURPOSE
RULE_CONFLICT_MESSAGE = _("Someone else changed this rule meanwhile: their rule is shown; save again to replace it.")


def _overview_crumb() -> tuple[str, str]:
    return ("retention:overview", _("Retention"))


def _require_retention(user: Staff) -> None:
    """The retention pages are for those who see the rules or keep records that are culled; 404 for others."""
    if not (access.role_allows(user, "view", RetentionRule) or selectors.holdable(user)):
        raise Http404


def _require_holds(user: Staff) -> None:
    """The holds are for the auditor (all of them) and for record keepers (those on their records)."""
    if not selectors.may_see_holds(user):
        raise Http404


def _category(key: str) -> Category:
    try:
        category = categories.get(key)
    except KeyError:
        raise Http404 from None
    if not category.culled:
        raise Http404
    return category


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    _require_retention(user)
    assert user.program is not None
    show_rules = access.role_allows(user, "view", RetentionRule)
    rows = selectors.rules(user.program) if show_rules else []
    if show_rules:
        audit_record(actor=user, action=AuditAction.LIST, object_type=RetentionRule._meta.label_lower, purpose=PURPOSE)
    context = {
        "rows": rows,
        "show_rules": show_rules,
        "can_change": access.role_allows(user, "change", RetentionRule),
        "holdable": selectors.holdable(user),
        "show_holds": selectors.may_see_holds(user),
        "next_run": selectors.next_run(),
        "crumbs": [(None, _("Retention"))],
    }
    return render(request, "retention/overview.html", context)


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, category: str) -> HttpResponse:
    user = staff_of(request)
    if not access.role_allows(user, "change", RetentionRule):
        raise Http404
    assert user.program is not None
    kind = _category(category)
    months, rule = services.rule_months(user.program, kind)
    conflict = None

    def make_form(data: Any = None) -> RuleForm:
        return RuleForm(data, min_months=kind.min_months)

    if request.method == "POST":

        def save(form: forms.Form, version: int) -> RetentionRule:
            return services.rule_set(
                actor=user, category=kind.key, months=form.cleaned_data["months"], expected_version=version or None
            )

        edit = versioned_edit(request, make_form, save, conflict_message=str(RULE_CONFLICT_MESSAGE))
        if edit.saved is not None:
            messages.success(request, _("The retention rule is saved."))
            return redirect("retention:overview")
        form, conflict = edit.form, edit.conflict
    else:
        form = RuleForm(initial={"months": months, "version": rule.version if rule else ""}, min_months=kind.min_months)
    context = {
        "form": form,
        "category": kind,
        "months": months,
        "rule": rule,
        "conflict": conflict,
        "title": _("Retention rule: %(category)s") % {"category": kind.label},
        "crumbs": [_overview_crumb(), (None, kind.label)],
    }
    return render(request, "retention/rule_form.html", context)


@require_GET
def due(request: HttpRequest, category: str) -> HttpResponse:
    """The records of a category that the user keeps and the next run culls, each with its legal hold."""
    user = staff_of(request)
    kind = _category(category)
    if kind not in selectors.holdable(user):
        raise Http404
    page = paginate(request, selectors.due_for(user, kind))
    audit_list(request, kind.model, page, purpose=PURPOSE)
    items = [
        {"record": record, "title": kind.title(record), "url": kind.url(record) if kind.url else ""} for record in page
    ]
    context = {
        "category": kind,
        "page": page,
        "items": items,
        "next_run": selectors.next_run(),
        "crumbs": [_overview_crumb(), (None, kind.label)],
    }
    return render(request, "retention/due.html", context)


def _record_to_hold(request: HttpRequest, user: Staff, kind: Category, pk: int) -> Any:
    """The record a hold is placed on: 404 unless the user keeps it (sees it, may change it, holds the kind).
    The form shows whose record it is: that look is audited (the POST is, by the service)."""
    if kind not in selectors.holdable(user):
        raise Http404
    record = access.get_visible_or_404(
        user, kind.model, pk, action="change", purpose=PURPOSE, audit=request.method == "GET"
    )
    if not services.may_hold(user, record):
        raise Http404
    return record


def _with_reason(
    request: HttpRequest, form: ReasonForm, change: Callable[[str], object], done: str
) -> HttpResponse | None:
    """A POST of a hold's reason form: the change through its service, then back to the holds; None while the
    form is not sent or has errors (the service's own on it)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        change(form.cleaned_data["reason"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, done)
    return redirect("retention:hold-list")


@require_http_methods(["GET", "POST"])
def hold_place(request: HttpRequest, category: str, pk: int) -> HttpResponse:
    user = staff_of(request)
    kind = _category(category)
    record = _record_to_hold(request, user, kind, pk)
    form = ReasonForm(request.POST or None)
    done = _with_reason(
        request,
        form,
        lambda reason: services.hold_place(actor=user, record=record, reason=reason),
        _("The legal hold is placed: the record is not culled until it is lifted."),
    )
    if done is not None:
        return done
    context = {
        "form": form,
        "category": kind,
        "title_of_record": kind.title(record),
        "record": record,
        "title": _("Place a legal hold"),
        "crumbs": [_overview_crumb(), (None, _("Place a legal hold"))],
    }
    return render(request, "retention/hold_form.html", context)


@require_GET
def hold_list(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    _require_holds(user)
    lifted = request.GET.get("lifted") == "1"
    page = paginate(request, selectors.holds(user, active=not lifted))
    audit_list(request, LegalHold, page, purpose=PURPOSE)
    labels = {category.key: category.label for category in categories.categories()}
    may_lift = selectors.liftable(user, list(page))
    items = [
        {"hold": hold, "label": labels.get(hold.category, hold.category), "may_lift": hold.pk in may_lift}
        for hold in page
    ]
    context = {
        "page": page,
        "items": items,
        "lifted": lifted,
        "crumbs": [_overview_crumb(), (None, _("Legal holds"))],
    }
    return render(request, "retention/hold_list.html", context)


@require_http_methods(["GET", "POST"])
def hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    hold = selectors.hold_for(user, pk)
    if hold is None or hold.pk not in selectors.liftable(user, [hold]):
        access.audit_denied(user, LegalHold, pk, action="change", purpose=PURPOSE)
        raise Http404
    if request.method == "GET":  # the page shows the hold's reason
        audit_record(actor=user, action=AuditAction.VIEW, obj=hold, purpose=PURPOSE)
    form = ReasonForm(request.POST or None)
    done = _with_reason(
        request,
        form,
        lambda reason: services.hold_lift(actor=user, hold=hold, reason=reason),
        _("The legal hold is lifted: the record is culled when its time comes."),
    )
    if done is not None:
        return done
    context = {
        "form": form,
        "hold": hold,
        "category": categories.get(hold.category),
        "title": _("Lift a legal hold"),
        "crumbs": [_overview_crumb(), ("retention:hold-list", _("Legal holds")), (None, _("Lift"))],
    }
    return render(request, "retention/hold_lift.html", context)
