"""Person pages: list and search, detail, create, edit. Thin: selectors read, services write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases import selectors, services
from cases.forms import NewPersonConfirmForm, PersonForm, PersonSearchForm
from cases.models import ConcernReport, Person, PersonAlias, Share, SubjectAccessExport
from cases.models.sections import SECTION_KINDS
from cases.person_panels import person_panels_for
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record, audit_shown
from gvi.pages import add_service_errors, audit_list, audit_shown_on, form_values, paginate, staff_of, versioned_edit

PURPOSE = "casework"


# The purpose the duplicate check on registration writes on the records it offers.
DUPLICATE_CHECK = "duplicate check"


def _list_sort(request: HttpRequest) -> str:
    """A sort in the URL (a column header) wins; a search or a page of results carries it in the form."""
    asked = request.GET.get("sort") or request.POST.get("sort", "")
    return asked if asked in selectors.PERSON_SORTS else "name"


def _columns(sort: str) -> list[dict[str, str]]:
    """The list's column headers: label, the sort a click asks for, and the current order for aria-sort."""
    labels = {"name": _("Name"), "born": _("Birth year"), "": _("Identity number"), "created": _("Registered")}
    columns = []
    for key, label in labels.items():
        ascending, descending = sort == key, sort == f"-{key}"
        columns.append(
            {
                "key": key,
                "label": label,
                "target": f"-{key}" if ascending else key,
                "aria": "ascending" if ascending else "descending" if descending else "",
                "arrow": " ▲" if ascending else " ▼" if descending else "",
            }
        )
    return columns


@require_http_methods(["GET", "POST"])
def person_list(request: HttpRequest) -> HttpResponse:
    """Persons the user may see. Searches come by POST so that names and numbers stay out of URLs and logs;
    their pages and sort orders are asked for by POST too, carrying the term along."""
    user = staff_of(request)
    access.require(user, "view", Person)
    sort = _list_sort(request)
    search = PersonSearchForm(request.POST if request.method == "POST" else None)
    term = search.cleaned_data["term"].strip() if search.is_bound and search.is_valid() else ""
    persons = selectors.person_list(user=user, sort=sort, term=term)
    if term:
        # A person found by an alias shows it, so the user sees why they were found.
        aliases = access.visible(user, PersonAlias).order_by("name", "id")
        persons = persons.prefetch_related(Prefetch("aliases", queryset=aliases, to_attr="visible_aliases"))
    page = paginate(request, persons)
    if term:
        detail = selectors.search_audit_detail(term)
        audit_list(request, Person, page, purpose=PURPOSE, action=AuditAction.SEARCH, detail=detail)
    else:
        audit_list(request, Person, page, purpose=PURPOSE)
    context = {
        "page": page,
        "sort": sort,
        "columns": _columns(sort),
        "search": search if search.is_bound else PersonSearchForm(),
        "term": term,
        "can_add": access.can(user, "add", Person),
        "crumbs": [(None, _("Persons"))],
    }
    return render(request, "cases/person_list.html", context)


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The person as the viewer may see them: their own record in full, with the sections, consents,
    shares and reports the viewer may see; or only the identity that was shared with them. What they may
    not see is absent (not greyed out, not counted)."""
    user = staff_of(request)
    person, full = selectors.person_for(user, pk, purpose=PURPOSE)
    crumbs = [(reverse("cases:person-list"), _("Persons")), (None, person.full_name)]
    if not full:
        identity = {field: getattr(person, field) for field in access.partial_fields(Person, "view_identity")}
        return render(request, "cases/person_identity.html", {"identity": identity, "crumbs": crumbs})
    sections = selectors.person_sections(user, person)
    aliases = list(selectors.person_aliases(user, person))
    guardians = list(selectors.person_guardians(user, person))
    consents = list(selectors.person_consents(user, person))
    shares = list(selectors.person_shares(user, person))
    concerns = list(selectors.concern_reports_sent(user, person))
    for view in sections:
        if view.section.person_id != person.pk:
            audit_shown_on(request, type(view.section), [view.section.pk], on=person, purpose=PURPOSE)
    shown_here = [v.section.pk for v in sections if v.section.person_id == person.pk]
    if shown_here:
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type="cases.section",
            object_ids=shown_here,
            purpose=PURPOSE,
            detail={"shown_on": f"cases.person:{person.pk}", "kinds": [v.kind for v in sections]},
        )
    can_change = access.can(user, "change", person)
    own_kinds = {view.kind for view in sections if view.section.person_id == person.pk}
    context = {
        "person": person,
        "app_panels": person_panels_for(user, person),
        "can_change": can_change,
        "can_merge": can_change and access.role_allows(user, "merge", Person),
        "can_export": can_change and access.role_allows(user, "add", SubjectAccessExport),
        "contact_visible": services.contact_visible(user, person),
        "sections": sections,
        "openable_kinds": [
            kind
            for kind, (model, _note) in SECTION_KINDS.items()
            if can_change
            and kind not in own_kinds
            and access.role_allows(user, "add", model)
            and user.agency is not None
            and user.agency.kind == model.agency_kind
        ],
        "aliases": aliases,
        "guardians": guardians,
        "may_be_minor": person.may_be_minor(),
        "consents": consents,
        "shares": shares,
        "concerns": concerns,
        "can_share": can_change and access.role_allows(user, "add", Share),
        "can_report_concern": person.may_be_minor() and access.role_allows(user, "add", ConcernReport),
        "crumbs": crumbs,
    }
    return render(request, "cases/person_detail.html", context)


def _offered_duplicates(user: Staff, values: dict[str, Any]) -> list[Person]:
    """Records the user may see that may be the person about to be registered; offering them is a look."""
    duplicates = list(
        selectors.person_duplicates(
            user=user,
            given_name=values["given_name"],
            family_name=values["family_name"],
            identity_number=values.get("identity_number"),
            birth_year=values.get("birth_year"),
        )
    )
    audit_shown(
        actor=user, object_type=Person._meta.label_lower, ids=[p.pk for p in duplicates], purpose=DUPLICATE_CHECK
    )
    return duplicates


@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    """Register a person. A record the user may see with the same number, or the same name and birth date,
    is offered first; a new record is made only when the user says it is none of them."""
    user = staff_of(request)
    access.require(user, "add", Person)
    form = PersonForm(request.POST or None)
    confirm = NewPersonConfirmForm(request.POST or None)
    duplicates: list[Person] = []
    clash = False
    if request.method == "POST" and form.is_valid() and confirm.is_valid():
        values = form_values(form)
        if not confirm.cleaned_data["confirm_new"]:
            duplicates = _offered_duplicates(user, values)
        # A record with the same number is not a maybe: the service refuses a second one, and says so.
        clash = any(
            values.get("identity_number") and d.identity_number == values["identity_number"] for d in duplicates
        )
        if not duplicates or clash:
            try:
                person = services.person_create(actor=user, **values)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The person is registered."))
                return redirect("cases:person-detail", pk=person.pk)
    crumbs = [(reverse("cases:person-list"), _("Persons")), (None, _("Register a person"))]
    context = {
        "form": form,
        "person": None,
        "duplicates": duplicates,
        "confirm": NewPersonConfirmForm() if duplicates and not clash else None,
        "crumbs": crumbs,
    }
    return render(request, "cases/person_form.html", context)


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    person = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE)
    # A protected identity's contact details are neither shown to nor submitted by anyone but the owner.
    contact = services.contact_visible(user, person)
    fields = [f for f in services.EDITABLE_FIELDS if contact or f not in services.CONTACT_FIELDS]
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            lambda data: PersonForm(data, contact=contact),
            lambda form, version: services.person_update(
                actor=user, person=person, version=version, **form_values(form)
            ),
            conflict_message=_("Someone else saved this person while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("cases:person-detail", pk=person.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {**{field: getattr(person, field) for field in fields}, "version": person.version}
        form = PersonForm(initial=initial, contact=contact)
    crumbs = [
        (reverse("cases:person-list"), _("Persons")),
        (reverse("cases:person-detail", args=[person.pk]), person.full_name),
        (None, _("Edit")),
    ]
    context = {"form": form, "person": person, "conflict": conflict, "contact_visible": contact, "crumbs": crumbs}
    return render(request, "cases/person_form.html", context)
