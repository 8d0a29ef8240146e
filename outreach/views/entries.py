"""A case's entries: the contact log (the fastest form in the system: htmx partial save, a draft kept in
the browser), threat assessments, relatives (protected contact details) and support measures. Thin:
selectors read, services write, the policy decides (404 when it refuses)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gvi import access
from gvi.accounts.models import Staff
from gvi.api import MAX_ID
from gvi.pages import add_service_errors, audit_shown_on, form_values, staff_of, versioned_edit
from outreach import selectors
from outreach.forms.entries import ContactForm, MeasureForm, RelativeForm, ThreatForm
from outreach.models import Contact, ExitCase, Relative, SupportMeasure, ThreatAssessment
from outreach.services import cases as services

PURPOSE = "exit program"
# Contacts on the case page per page (newest first); older ones are a page further.
CONTACTS_PER_PAGE = 20
CONTACTS_PAGE_PARAM = "contacts"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _case_crumbs(case: ExitCase) -> list[tuple[str | None, str]]:
    from outreach.views.cases import case_crumbs

    return case_crumbs(case)


def draft_key(user: Staff, case: ExitCase) -> str:
    """The browser-side key of the contact form's draft: one per user and case, no personal data."""
    return f"contact-draft:{user.pk}:{case.pk}"


def new_contact_form(case: ExitCase, data: Any = None) -> ContactForm:
    return ContactForm(data, program_id=case.program_id)


def entries_context(request: HttpRequest, user: Any, case: Any) -> dict[str, Any]:
    """The context of templates/outreach/_case_entries.html for the case page (contacts with the fast form,
    threat assessments, relatives, measures). Fixed number of queries."""
    contacts = Paginator(selectors.case_contacts(user, case), CONTACTS_PER_PAGE).get_page(
        request.GET.get(CONTACTS_PAGE_PARAM)
    )
    contact_rows = list(contacts.object_list)
    threats = list(selectors.case_threats(user, case))
    relatives = list(selectors.case_relatives(user, case))
    measures = list(selectors.case_measures(user, case))
    shown: tuple[tuple[type[Model], list[Any]], ...] = (
        (Contact, contact_rows),
        (ThreatAssessment, threats),
        (Relative, relatives),
        (SupportMeasure, measures),
    )
    for model, rows in shown:
        if rows:
            audit_shown_on(request, model, [row.pk for row in rows], on=case, purpose=PURPOSE)
    can_change = case.is_open and access.can(user, "change", case)
    return {
        "case": case,
        "contacts": contacts,
        "contact_rows": contact_rows,
        "contacts_param": CONTACTS_PAGE_PARAM,
        "threats": threats,
        "relatives": relatives,
        "person_measures": [m for m in measures if m.relative_id is None],
        "relative_measures": [m for m in measures if m.relative_id is not None],
        "can_change": can_change,
        "contact_form": new_contact_form(case) if can_change else None,
        "draft_key": draft_key(user, case),
    }


# --------------------------------------------------------------------------------------------------
# Contacts


def _contact_form_context(request: HttpRequest, case: ExitCase, form: ContactForm) -> dict[str, Any]:
    return {"case": case, "contact_form": form, "draft_key": draft_key(staff_of(request), case)}


@require_POST
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a contact. With htmx: the new row and a fresh form (or the form with its errors and everything
    typed), no page reload; the `contactSaved` event tells the page to drop its draft. Without JS: a
    redirect back to the case page (or the page with the form's errors)."""
    user = staff_of(request)
    case = selectors.exit_case_for(user, pk, action="change", purpose=PURPOSE)
    form = new_contact_form(case, request.POST)
    contact = None
    if form.is_valid():
        try:
            contact = services.contact_log(actor=user, case=case, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
    if contact is not None:
        if _is_htmx(request):
            case.refresh_from_db(fields=["last_contact_on", "next_follow_up_on"])  # moved by the service
            context = {**_contact_form_context(request, case, new_contact_form(case)), "contact": contact}
            response = render(request, "outreach/contacts/_saved.html", context)
            response["HX-Trigger"] = "contactSaved"
            return response
        messages.success(request, _("The contact is saved."))
        return redirect(reverse("outreach:case-detail", args=[case.pk]) + "#contacts")
    if _is_htmx(request):
        return render(request, "outreach/contacts/_form.html", _contact_form_context(request, case, form))
    from outreach.views.cases import case_page_context

    context = case_page_context(request, user, case)
    context["contact_form"] = form
    return render(request, "outreach/case_detail.html", context)


CONTACT_FORM_FIELDS = ("contact_on", "channel", "duration_minutes", "note", "next_step", "follow_up_on")


@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a contact under optimistic locking: a stale save shows the stored version next to the
    user's, which stays in the form."""
    user = staff_of(request)
    contact = selectors.child_for(user, Contact, pk, action="change", purpose=PURPOSE)
    case = contact.exit_case
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            lambda data: new_contact_form(case, data),
            lambda form, version: services.contact_update(
                actor=user, contact=contact, version=version, **form_values(form)
            ),
            conflict_message=_("Someone else saved this contact while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The contact is saved."))
            return redirect(reverse("outreach:case-detail", args=[case.pk]) + "#contacts")
        form, conflict = edit.form, edit.conflict
    else:
        initial: dict[str, Any] = {field: getattr(contact, field) for field in CONTACT_FORM_FIELDS}
        initial |= {
            "staff": list(contact.staff.all()),
            "agencies": list(contact.agencies.all()),
            "version": contact.version,
        }
        form = ContactForm(initial=initial, program_id=case.program_id)
    context = {
        "case": case,
        "contact": contact,
        "form": form,
        "conflict": conflict,
        "crumbs": [*_case_crumbs(case), (None, _("Edit the contact"))],
    }
    return render(request, "outreach/contacts/contact_form.html", context)


# --------------------------------------------------------------------------------------------------
# Threat assessments


@require_http_methods(["GET", "POST"])
def threat_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    case = selectors.exit_case_for(user, pk, action="change", purpose=PURPOSE)
    form = ThreatForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.threat_assess(actor=user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The threat assessment is saved."))
            return redirect(reverse("outreach:case-detail", args=[case.pk]) + "#threats")
    context = {"case": case, "form": form, "crumbs": [*_case_crumbs(case), (None, _("New threat assessment"))]}
    return render(request, "outreach/threats/threat_form.html", context)


# --------------------------------------------------------------------------------------------------
# Relatives


def _relative_crumbs(relative: Relative) -> list[tuple[str | None, str]]:
    return [*_case_crumbs(relative.exit_case), (reverse("outreach:relative-detail", args=[relative.pk]), relative.name)]


@require_http_methods(["GET", "POST"])
def relative_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    case = selectors.exit_case_for(user, pk, action="change", purpose=PURPOSE)
    form = RelativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            relative = services.relative_add(actor=user, case=case, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The relative is added."))
            return redirect("outreach:relative-detail", pk=relative.pk)
    context = {
        "case": case,
        "relative": None,
        "form": form,
        "contact_visible": True,
        "crumbs": [*_case_crumbs(case), (None, _("Add a relative"))],
    }
    return render(request, "outreach/relatives/relative_form.html", context)


@require_GET
def relative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A relative, with their contact details only for those who may see them (a protected identity: the
    responsible social worker), and their own support measures."""
    user = staff_of(request)
    relative = selectors.child_for(user, Relative, pk, purpose=PURPOSE)
    case = relative.exit_case
    measures = list(selectors.case_measures(user, case).filter(relative=relative))
    if measures:
        audit_shown_on(request, SupportMeasure, [m.pk for m in measures], on=relative, purpose=PURPOSE)
    context = {
        "case": case,
        "relative": relative,
        "contact_visible": services.relative_contact_visible(user, relative, case),
        "measures": measures,
        "can_change": case.is_open and access.can(user, "change", case),
        "crumbs": [*_case_crumbs(case), (None, relative.name)],
    }
    return render(request, "outreach/relatives/relative_detail.html", context)


@require_http_methods(["GET", "POST"])
def relative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    relative = selectors.child_for(user, Relative, pk, action="change", purpose=PURPOSE)
    case = relative.exit_case
    contact_visible = services.relative_contact_visible(user, relative, case)
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            lambda data: RelativeForm(data, contact_visible=contact_visible),
            lambda form, version: services.relative_update(
                actor=user, relative=relative, version=version, **form_values(form)
            ),
            conflict_message=_("Someone else saved this relative while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("outreach:relative-detail", pk=relative.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {field: getattr(relative, field) for field in services.RELATIVE_FIELDS}
        form = RelativeForm(initial={**initial, "version": relative.version}, contact_visible=contact_visible)
    context = {
        "case": case,
        "relative": relative,
        "form": form,
        "conflict": conflict,
        "contact_visible": contact_visible,
        "crumbs": [*_relative_crumbs(relative), (None, _("Edit"))],
    }
    return render(request, "outreach/relatives/relative_form.html", context)


# --------------------------------------------------------------------------------------------------
# Support measures


def _relative_of(user: Staff, case: ExitCase, raw: str | None) -> Relative | None:
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID):
        raise Http404
    relative = selectors.case_relatives(user, case).filter(pk=int(raw)).first()
    if relative is None:
        raise Http404
    return relative


@require_http_methods(["GET", "POST"])
def measure_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A measure for the person, or with ?relative=<id> for one of the case's relatives."""
    user = staff_of(request)
    case = selectors.exit_case_for(user, pk, action="change", purpose=PURPOSE)
    relative = _relative_of(user, case, request.GET.get("relative"))
    form = MeasureForm(request.POST or None, for_relative=relative is not None)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_add(actor=user, case=case, relative=relative, **form.service_values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The support measure is saved."))
            if relative is not None:
                return redirect("outreach:relative-detail", pk=relative.pk)
            return redirect(reverse("outreach:case-detail", args=[case.pk]) + "#measures")
    crumbs = _case_crumbs(case)
    if relative is not None:
        crumbs.append((reverse("outreach:relative-detail", args=[relative.pk]), relative.name))
    context = {
        "case": case,
        "relative": relative,
        "measure": None,
        "form": form,
        "crumbs": [*crumbs, (None, _("New support measure"))],
    }
    return render(request, "outreach/measures/measure_form.html", context)


@require_http_methods(["GET", "POST"])
def measure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    measure = selectors.child_for(user, SupportMeasure, pk, action="change", purpose=PURPOSE)
    if not services.relocation_place_visible(user, measure):
        # A protected relative's relocation: edited only by the responsible worker (the form shows the place).
        raise Http404
    case = measure.exit_case
    relative = measure.relative
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            lambda data: MeasureForm(data, for_relative=relative is not None),
            lambda form, version: services.measure_update(
                actor=user,
                measure=measure,
                version=version,
                **form.service_values(),  # type: ignore[attr-defined]
            ),
            conflict_message=_("Someone else saved this measure while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The support measure is saved."))
            if relative is not None:
                return redirect("outreach:relative-detail", pk=relative.pk)
            return redirect(reverse("outreach:case-detail", args=[case.pk]) + "#measures")
        form, conflict = edit.form, edit.conflict
    else:
        initial = {field: getattr(measure, field) for field in services.MEASURE_FIELDS}
        form = MeasureForm(initial={**initial, "version": measure.version}, for_relative=relative is not None)
    crumbs = _case_crumbs(case)
    if relative is not None:
        crumbs.append((reverse("outreach:relative-detail", args=[relative.pk]), relative.name))
    context = {
        "case": case,
        "relative": relative,
        "measure": measure,
        "form": form,
        "conflict": conflict,
        "conflict_list": [conflict] if conflict is not None else [],
        "crumbs": [*crumbs, (None, _("Edit the support measure"))],
    }
    return render(request, "outreach/measures/measure_form.html", context)
