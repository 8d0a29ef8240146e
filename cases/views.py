"""Person pages: list and search, detail, create, edit. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases import selectors, services
from cases.forms import PersonForm, PersonSearchForm
from cases.identity import looks_like_identity_number
from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import identity_term_digest
from gvi.pages import add_service_errors, audit_list, chosen_sort, form_values, paginate, versioned_edit

PURPOSE = "casework"


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


@require_http_methods(["GET", "POST"])
def person_list(request: HttpRequest) -> HttpResponse:
    """Persons the user may see. Searches come by POST so that names and numbers stay out of URLs and logs."""
    user = _staff(request)
    access.require(user, "view", Person)
    sort = chosen_sort(request, selectors.PERSON_SORTS, "name")
    search = PersonSearchForm(request.POST if request.method == "POST" else None)
    term = search.cleaned_data["term"] if search.is_bound and search.is_valid() else ""
    page = paginate(request, selectors.person_list(user=user, sort=sort, term=term))
    if term:
        detail = (
            {"term_hmac": identity_term_digest(term)}
            if looks_like_identity_number(term)
            else {"term_words": len(term.split())}
        )
        audit_list(request, Person, page, purpose=PURPOSE, action=AuditAction.SEARCH, detail=detail)
    else:
        audit_list(request, Person, page, purpose=PURPOSE)
    context = {
        "page": page,
        "sort": sort,
        "search": search if search.is_bound else PersonSearchForm(),
        "term": term,
        "can_add": access.can(user, "add", Person),
        "crumbs": [(None, _("Persons"))],
    }
    return render(request, "cases/person_list.html", context)


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    person = access.get_visible_or_404(user, Person, pk, purpose=PURPOSE)
    context = {
        "person": person,
        "can_change": access.can(user, "change", person),
        "crumbs": [(reverse("cases:person-list"), _("Persons")), (None, person.full_name)],
    }
    return render(request, "cases/person_detail.html", context)


@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    access.require(user, "add", Person)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(actor=user, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The person is registered."))
            return redirect("cases:person-detail", pk=person.pk)
    crumbs = [(reverse("cases:person-list"), _("Persons")), (None, _("Register a person"))]
    return render(request, "cases/person_form.html", {"form": form, "person": None, "crumbs": crumbs})


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    person = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE)
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            PersonForm,
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
        form = PersonForm(
            initial={**{f: getattr(person, f) for f in services.EDITABLE_FIELDS}, "version": person.version}
        )
    crumbs = [
        (reverse("cases:person-list"), _("Persons")),
        (reverse("cases:person-detail", args=[person.pk]), person.full_name),
        (None, _("Edit")),
    ]
    context = {"form": form, "person": person, "conflict": conflict, "crumbs": crumbs}
    return render(request, "cases/person_form.html", context)
