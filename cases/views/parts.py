"""The parts of a person record: photo, aliases, guardians, consents. Thin: selectors read, services
write, the policy decides. Every removal asks first (GET confirms, POST does it); a form that comes back
with errors answers 400."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import selectors, services
from cases.forms.parts import AliasForm, ConsentForm, ConsentRevokeForm, GuardianForm, PhotoForm
from cases.models import Consent, Guardian, Person, PersonAlias, Share
from gvi import access
from gvi.accounts.models import Staff
from gvi.pages import add_service_errors, audit_shown_on, paginate, staff_of
from gvi.uploads import download

PURPOSE = "casework"


def _crumbs(person: Person, label: str) -> list[tuple[str | None, str]]:
    return [
        (reverse("cases:person-list"), _("Persons")),
        (reverse("cases:person-detail", args=[person.pk]), person.full_name),
        (None, label),
    ]


def _person_to_change(user: Staff, pk: int) -> Person:
    return access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE)


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A form page; a POST that comes back to it did not go through, so it answers 400."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _stored(field: Any, *, filename: str, inline: bool = False) -> HttpResponseBase:
    if not field:
        raise Http404
    try:
        return download(field, filename=filename, inline=inline)
    except FileNotFoundError:
        # The record names a file the storage no longer has: nothing to serve.
        raise Http404 from None


# --------------------------------------------------------------------------------------------------
# Photo


@require_GET
def person_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The person's photo, to those who see the record in full (not to those shown only the identity)."""
    person, full = selectors.person_for(staff_of(request), pk, purpose="photo")
    if not full:
        raise Http404
    return _stored(person.photo, filename="photo", inline=True)


@require_http_methods(["GET", "POST"])
def person_photo_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload or replace the photo; with remove=1, GET asks to confirm the removal and POST removes it."""
    user = staff_of(request)
    person = _person_to_change(user, pk)
    if (request.POST if request.method == "POST" else request.GET).get("remove") == "1":
        if request.method == "POST":
            services.person_photo_remove(actor=user, person=person)
            messages.success(request, _("The photo is removed."))
            return redirect("cases:person-detail", pk=person.pk)
        if not person.photo:
            return redirect("cases:person-photo-edit", pk=person.pk)
        context = {"person": person, "crumbs": _crumbs(person, _("Remove the photo"))}
        return render(request, "cases/parts/photo_remove.html", context)
    form = PhotoForm(request.POST, request.FILES) if request.method == "POST" else PhotoForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.person_photo_set(actor=user, person=person, upload=form.cleaned_data["photo"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The photo is saved."))
            return redirect("cases:person-detail", pk=person.pk)
    context = {"person": person, "form": form, "crumbs": _crumbs(person, _("Photo"))}
    return _page(request, "cases/parts/photo_form.html", context)


# --------------------------------------------------------------------------------------------------
# Aliases


@require_http_methods(["GET", "POST"])
def alias_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    person = _person_to_change(user, pk)
    form = AliasForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.alias_add(actor=user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The alias is added."))
            return redirect("cases:person-detail", pk=person.pk)
    context = {"person": person, "form": form, "crumbs": _crumbs(person, _("Add an alias"))}
    return _page(request, "cases/parts/alias_form.html", context)


@require_http_methods(["GET", "POST"])
def alias_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    alias = access.get_visible_or_404(user, PersonAlias, pk, action="change", purpose=PURPOSE)
    person = alias.person
    if request.method == "POST":
        services.alias_remove(actor=user, alias=alias)
        messages.success(request, _("The alias is removed."))
        return redirect("cases:person-detail", pk=person.pk)
    context = {"alias": alias, "person": person, "crumbs": _crumbs(person, _("Remove an alias"))}
    return render(request, "cases/parts/alias_remove.html", context)


# --------------------------------------------------------------------------------------------------
# Guardians


@require_http_methods(["GET", "POST"])
def guardian_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    person = _person_to_change(user, pk)
    form = GuardianForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_add(actor=user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The guardian is added."))
            return redirect("cases:person-detail", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "may_be_minor": person.may_be_minor(),
        "crumbs": _crumbs(person, _("Add a guardian")),
    }
    return _page(request, "cases/parts/guardian_form.html", context)


@require_http_methods(["GET", "POST"])
def guardian_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """A guardian who gave a recorded consent stays on record with it: the service refuses, the page says why."""
    user = staff_of(request)
    guardian = access.get_visible_or_404(user, Guardian, pk, action="change", purpose=PURPOSE)
    person = guardian.person
    context: dict[str, Any] = {
        "guardian": guardian,
        "person": person,
        "crumbs": _crumbs(person, _("Remove a guardian")),
    }
    if request.method == "POST":
        try:
            services.guardian_remove(actor=user, guardian=guardian)
        except ValidationError as exc:
            context["errors"] = exc.messages
            return render(request, "cases/parts/guardian_remove.html", context, status=400)
        messages.success(request, _("The guardian is removed."))
        return redirect("cases:person-detail", pk=person.pk)
    return render(request, "cases/parts/guardian_remove.html", context)


# --------------------------------------------------------------------------------------------------
# Consents


@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    person = _person_to_change(user, pk)
    guardians = selectors.person_guardians(user, person)
    if request.method == "POST":
        form = ConsentForm(request.POST, request.FILES, person=person, guardians=guardians)
    else:
        form = ConsentForm(person=person, guardians=guardians)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consent = services.consent_record(
                actor=user,
                person=person,
                given_on=data["given_on"],
                recipients=data["recipients"],
                subjects=data["subjects"],
                guardians=data["guardians"],
                note=data["note"],
                document=data["document"] or None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect("cases:consent-detail", pk=consent.pk)
    context = {"person": person, "form": form, "crumbs": _crumbs(person, _("Record a consent"))}
    return _page(request, "cases/parts/consent_form.html", context)


@require_GET
def consent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The consent and the shares made on it (a page of them, audited as shown on the consent)."""
    user = staff_of(request)
    consent = access.get_visible_or_404(user, Consent, pk, purpose=PURPOSE)
    person = consent.person
    page = paginate(request, selectors.person_shares(user, person).filter(consent=consent))
    audit_shown_on(request, Share, [share.pk for share in page.object_list], on=consent, purpose=PURPOSE)
    context = {
        "consent": consent,
        "person": person,
        "recipients": list(consent.recipients.all()),
        "guardians": list(consent.guardians.all()),
        "page": page,
        "can_change": access.can(user, "change", consent),
        "crumbs": _crumbs(person, _("Consent of %(day)s") % {"day": consent.given_on.isoformat()}),
    }
    return render(request, "cases/parts/consent_detail.html", context)


@require_GET
def consent_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    consent = access.get_visible_or_404(staff_of(request), Consent, pk, purpose="consent document")
    return _stored(consent.document, filename=f"consent-{consent.pk}")


@require_http_methods(["GET", "POST"])
def consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows how many shares will end with the consent; POST revokes it and ends them at once."""
    user = staff_of(request)
    consent = access.get_visible_or_404(user, Consent, pk, action="change", purpose=PURPOSE)
    person = consent.person
    form = ConsentRevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not consent.is_active:
        return redirect("cases:consent-detail", pk=consent.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_revoke(actor=user, consent=consent, revoked_on=form.cleaned_data["revoked_on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent is revoked and the shares made on it have ended."))
            return redirect("cases:consent-detail", pk=consent.pk)
    ending = selectors.person_shares(user, person).filter(consent=consent, ended_at__isnull=True).count()
    context = {
        "consent": consent,
        "person": person,
        "form": form,
        "ending": ending,
        "crumbs": _crumbs(person, _("Revoke a consent")),
    }
    return _page(request, "cases/parts/consent_revoke.html", context)
