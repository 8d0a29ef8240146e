"""Referral pages: the referrals a municipality received (handled in full: assess, decide, open the exit
case), the status of those the user's team sent (the partial view only), and the referral form with the
consent gate. Thin: selectors read, services write, the policy decides."""

from __future__ import annotations

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
from gvi.accounts.selectors import other_teams
from gvi.pages import add_service_errors, audit_list, chosen_sort, paginate, staff_of, versioned_edit
from outreach import selectors, services
from outreach.forms.referrals import (
    ReferralAssessForm,
    ReferralDecideForm,
    ReferralFilterForm,
    ReferralForm,
    ReferralOpenCaseForm,
)
from outreach.models import ExitCase, Referral, Urgency
from outreach.services.referrals import PURPOSE

REFERRAL_SORTS = {
    "received": ("received_on", "id"),
    "-received": ("-received_on", "-id"),
    "name": ("family_name", "given_name", "id"),
    "-name": ("-family_name", "-given_name", "-id"),
    # The urgency values sort acute < high < normal: ascending puts the most urgent first.
    "urgency": ("urgency", "-received_on", "-id"),
    "-urgency": ("-urgency", "-received_on", "-id"),
    "status": ("status", "-received_on", "-id"),
    "-status": ("-status", "-received_on", "-id"),
}
SENT_SORTS = {key: REFERRAL_SORTS[key] for key in ("received", "-received", "status", "-status")}
# The transitions each status allows (outreach.services.referrals decides; the page offers only these).
ASSESSABLE = (Referral.Status.RECEIVED, Referral.Status.ASSESSED)
DECIDABLE = (Referral.Status.RECEIVED, Referral.Status.ASSESSED)


def _title(pk: int) -> str:
    return _("Referral %(number)s") % {"number": pk}


def _list_crumbs(full: bool) -> list[tuple[str | None, str]]:
    if full:
        return [(reverse("outreach:referral-list"), _("Referrals"))]
    return [(reverse("outreach:referral-sent"), _("Referrals sent"))]


def _status_view(referral: Referral) -> dict[str, Any]:
    """The fields of the partial view (access.partial_fields) and their labels; nothing else of the referral."""
    status = selectors.referral_status_fields(referral)
    labels = {"status": Referral.Status, "urgency": Urgency, "source": Referral.Source}
    for field, choices in labels.items():
        if field in status:
            status[f"{field}_label"] = choices(status[field]).label
    return status


# --- Lists ---------------------------------------------------------------------------------------


@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    """Referrals received by the user's team or municipality, newest first; urgent ones stand out."""
    user = staff_of(request)
    access.require(user, "view", Referral)
    filters = ReferralFilterForm(request.GET)
    chosen = filters.values()
    sort = chosen_sort(request, REFERRAL_SORTS, "-received")
    items = selectors.referrals_received(user, **chosen).order_by(*REFERRAL_SORTS[sort])
    page = paginate(request, items)
    audit_list(request, Referral, page, purpose=PURPOSE, detail={k: v for k, v in chosen.items() if v})
    context = {
        "page": page,
        "sort": sort,
        "filters": filters if filters.is_valid() else ReferralFilterForm(),
        "filtered": any(chosen.values()),
        "crumbs": [(None, _("Referrals"))],
    }
    return render(request, "outreach/referral_list.html", context)


@require_GET
def referral_sent(request: HttpRequest) -> HttpResponse:
    """The status of the referrals the user or their team sent: the partial view, never the reason, the
    assessment, why it was declined or anything of the receiving side's records."""
    user = staff_of(request)
    access.require(user, "view_status", Referral)
    sort = chosen_sort(request, SENT_SORTS, "-received")
    page = paginate(request, selectors.referrals_sent(user).order_by(*SENT_SORTS[sort]))
    audit_list(request, Referral, page, purpose=PURPOSE, detail={"access": "view_status"})
    context = {
        "page": page,
        "rows": [_status_view(referral) for referral in page.object_list],
        "sort": sort,
        "crumbs": [(None, _("Referrals sent"))],
    }
    return render(request, "outreach/referral_sent.html", context)


# --- The referral form and the consent gate -------------------------------------------------------


@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Refer the user's own agency's record of a person. To another agency the identity is shared on a
    legal basis (consent among them): without one the service refuses and nothing is saved."""
    user = staff_of(request)
    access.require(user, "add", Referral)
    person = access.get_visible_or_404(user, Person, person_pk, purpose=PURPOSE)
    if person.owner_agency_id != user.agency_id:
        raise Http404
    consents = case_selectors.person_consents(user, person).filter(revoked_at__isnull=True)
    receivers = services.referral_receivers(person.program_id)
    receiver_ids = {agency.pk for agency in receivers}
    teams = [
        team
        for team in other_teams(program_id=person.program_id, excluding_agency_id=None)
        if team.agency_id in receiver_ids
    ]
    form = ReferralForm(request.POST or None, user=user, receivers=receivers, teams=teams, consents=consents)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_create(actor=user, source_person=person, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The referral is sent. Its status is shown here as it is handled."))
            return redirect("outreach:referral-detail", pk=referral.pk)
    context = {
        "form": form,
        "person": person,
        "has_consent": consents.exists() if form.may_refer_across else True,
        "crumbs": [
            (reverse("cases:person-list"), _("Persons")),
            (reverse("cases:person-detail", args=[person.pk]), person.full_name),
            (None, _("Refer to the exit program")),
        ],
    }
    return render(request, "outreach/referral_form.html", context)


# --- One referral and its next steps --------------------------------------------------------------


@require_GET
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving side sees the referral in full with the forms for its next steps; the referrer's team
    sees only the declared status fields (another template)."""
    user = staff_of(request)
    referral, full = selectors.referral_for(user, pk, purpose=PURPOSE)
    if not full:
        context = {
            "status": _status_view(referral),
            "title": _title(referral.pk),
            "crumbs": [*_list_crumbs(False), (None, _title(referral.pk))],
        }
        return render(request, "outreach/referral_status.html", context)
    return _render_detail(request, user, referral)


def _render_detail(
    request: HttpRequest,
    user: Staff,
    referral: Referral,
    *,
    bound: forms.Form | None = None,
    conflict: Referral | None = None,
    status: int = 200,
) -> HttpResponse:
    """The full referral page; `bound` replaces the blank form of the step that was posted (with its errors,
    or after a conflict with the version saved meanwhile in `conflict`)."""
    can_change = access.can(user, "change", referral)
    forms_shown: dict[str, forms.Form | None] = {"assess_form": None, "decide_form": None, "open_form": None}
    if can_change:
        if referral.status in ASSESSABLE:
            forms_shown["assess_form"] = ReferralAssessForm(
                initial={"assessment": referral.assessment, "version": referral.version}, auto_id="assess_%s"
            )
        if referral.status in DECIDABLE:
            forms_shown["decide_form"] = ReferralDecideForm(initial={"version": referral.version}, auto_id="decide_%s")
        if referral.status == Referral.Status.ACCEPTED:
            forms_shown["open_form"] = ReferralOpenCaseForm(
                initial={"version": referral.version, "responsible": user.pk},
                candidates=selectors.reassign_candidates(user),
                auto_id="open_%s",
            )
    if bound is not None:
        key = {
            ReferralAssessForm: "assess_form",
            ReferralDecideForm: "decide_form",
            ReferralOpenCaseForm: "open_form",
        }[type(bound)]
        forms_shown[key] = bound
    exit_case: ExitCase | None = getattr(referral, "exit_case", None)
    context = {
        "referral": referral,
        "share": referral.share,
        "exit_case": exit_case,
        "person_visible": bool(case_selectors.visible_person_ids(user, [referral.person_id])),
        "can_change": can_change,
        "conflict": conflict,
        "title": _title(referral.pk),
        "crumbs": [*_list_crumbs(True), (None, _title(referral.pk))],
        **forms_shown,
    }
    return render(request, "outreach/referral_detail.html", context, status=status)


def _changeable(user: Staff, pk: int) -> Referral:
    """The referral for a next step: 404 (audited) unless the user may change it."""
    referral = access.get_visible_or_404(user, Referral, pk, action="change", purpose=PURPOSE)
    return Referral.objects.select_related(
        "referring_agency", "referred_by", "receiving_team", "owner_agency", "share", "exit_case"
    ).get(pk=referral.pk)


CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this referral while you were working on it. Compare, then try again."
)


def _step_result(
    request: HttpRequest,
    user: Staff,
    referral: Referral,
    edit: Any,
    *,
    success: str,
) -> HttpResponse:
    if edit.saved is not None:
        messages.success(request, success)
        if isinstance(edit.saved, ExitCase):
            return redirect("outreach:case-detail", pk=edit.saved.pk)
        return redirect("outreach:referral-detail", pk=referral.pk)
    if edit.conflict is not None:
        referral = _changeable(user, referral.pk)
    return _render_detail(request, user, referral, bound=edit.form, conflict=edit.conflict)


@require_POST
def referral_assess(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    referral = _changeable(user, pk)
    edit = versioned_edit(
        request,
        lambda data: ReferralAssessForm(data, auto_id="assess_%s"),
        lambda form, version: services.referral_assess(
            actor=user, referral=referral, version=version, assessment=form.cleaned_data["assessment"]
        ),
        conflict_message=str(CONFLICT_MESSAGE),
    )
    return _step_result(request, user, referral, edit, success=_("The assessment is recorded."))


@require_POST
def referral_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    referral = _changeable(user, pk)

    def decide(form: forms.Form, version: int) -> Referral:
        assert isinstance(form, ReferralDecideForm)
        return services.referral_decide(actor=user, referral=referral, version=version, **form.values())

    edit = versioned_edit(
        request,
        lambda data: ReferralDecideForm(data, auto_id="decide_%s"),
        decide,
        conflict_message=str(CONFLICT_MESSAGE),
    )
    accepted = edit.saved is not None and edit.saved.status == Referral.Status.ACCEPTED
    success = (
        _("The referral is accepted. Open the exit case when the person is ready.")
        if accepted
        else _("The referral is declined. The referrer sees only that it was declined.")
    )
    return _step_result(request, user, referral, edit, success=success)


@require_POST
def referral_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    referral = _changeable(user, pk)
    candidates = selectors.reassign_candidates(user)
    edit = versioned_edit(
        request,
        lambda data: ReferralOpenCaseForm(data, candidates=candidates, auto_id="open_%s"),
        lambda form, version: services.referral_open_case(
            actor=user, referral=referral, version=version, responsible=form.cleaned_data["responsible"]
        ),
        conflict_message=str(CONFLICT_MESSAGE),
    )
    return _step_result(request, user, referral, edit, success=_("The exit case is opened."))
