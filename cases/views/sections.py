"""Agency section pages: open a section, read it (in full or its shared summary), edit its fields, and
append journal notes. A note is never edited or deleted: a correction is a new note naming the old one.
Thin: selectors read, services write, the policy decides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import selectors, services
from cases.forms.sections import NoteForm, SectionForm
from cases.models import JournalNote, Person, Section
from cases.models.sections import SECTION_KINDS
from cases.selectors import SectionView
from cases.services.sections import SECTION_FIELDS
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import MAX_ID
from gvi.mapping.models import GroupMembership
from gvi.mapping.selectors import person_memberships
from gvi.pages import add_service_errors, audit_shown_on, form_values, paginate, staff_of, versioned_edit

PURPOSE = "casework"
# A police section lists at most this many of the person's memberships (the group pages have them all).
MEMBERSHIP_LIMIT = 100
# Journal notes per page.
NOTES_PER_PAGE = 25


def _models(kind: str) -> tuple[type[Section], type[JournalNote]]:
    if kind not in SECTION_KINDS:
        raise Http404
    return SECTION_KINDS[kind]


def _person_crumbs(person_id: int, name: str) -> list[tuple[str | None, str]]:
    return [
        (reverse("cases:person-list"), _("Persons")),
        (reverse("cases:person-detail", args=[person_id]), name),
    ]


def _section_crumbs(section: Section) -> list[tuple[str | None, str]]:
    return [
        *_person_crumbs(section.person_id, section.person.full_name),
        (reverse("cases:section-detail", args=[section.kind, section.pk]), _section_title(section)),
    ]


def _section_title(section: Section) -> str:
    return str(section._meta.verbose_name).capitalize()


def _changeable(user: Staff, kind: str, pk: int) -> Section:
    """The section for a write: 404 (audited) unless the user may change it."""
    model, _note = _models(kind)
    return access.get_visible_or_404(user, model, pk, action="change", purpose=PURPOSE)


@require_http_methods(["GET", "POST"])
def section_create(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    user = staff_of(request)
    model, _note = _models(kind)
    person = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE)
    access.require(user, "add", model)
    form = SectionForm(request.POST or None, kind=kind, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            section = services.section_create(actor=user, person=person, kind=kind, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The section is opened."))
            return redirect("cases:section-detail", kind=kind, pk=section.pk)
    context = {
        "form": form,
        "kind": kind,
        "section": None,
        "person": person,
        "crumbs": [*_person_crumbs(person.pk, person.full_name), (None, _("Open a section"))],
    }
    return render(request, "cases/sections/section_form.html", context)


@require_GET
def section_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A section in full (fields, memberships, journal) or, when only its summary was shared, the summary
    fields and the share they came with. What the user may not see is absent."""
    user = staff_of(request)
    view = selectors.section_for(user, kind, pk, purpose=PURPOSE)
    section = view.section
    _model, note_model = SECTION_KINDS[kind]
    context: dict[str, object] = {"view": view, "section": section, "kind": kind}
    if view.full:
        page = paginate(request, selectors.section_journal(user, view), per_page=NOTES_PER_PAGE)
        notes = list(page.object_list)
        shown_ids = [note.pk for note in notes]
        corrected_by: dict[int, list[int]] = {}
        # Typed loosely: django-stubs cannot resolve the self-reference of the abstract note model.
        corrections: QuerySet[Any] = selectors.section_journal(user, view)
        for corrects_id, note_id in corrections.filter(corrects_id__in=shown_ids).values_list("corrects_id", "id"):
            corrected_by.setdefault(corrects_id, []).append(note_id)
        if shown_ids:
            audit_shown_on(request, note_model, shown_ids, on=section, purpose=PURPOSE)
        can_change = access.can(user, "change", section)
        context |= {
            "page": page,
            "notes": [(note, sorted(corrected_by.get(note.pk, []))) for note in notes],
            "can_change": can_change,
            "can_add_note": can_change and access.role_allows(user, "add", note_model),
            "note_form": NoteForm(notes=corrections),
            "memberships": _memberships(request, view),
        }
    # The person's identity comes with every share of a section; for a recipient the person link shows
    # just that identity.
    context["crumbs"] = [*_section_crumbs(section)[:-1], (None, _section_title(section))]
    return render(request, "cases/sections/section_detail.html", context)


def _memberships(request: HttpRequest, view: SectionView) -> list[GroupMembership]:
    """The person's group memberships on a police section, as far as the user may see the group map (the
    police do; a recipient of a shared police section does not)."""
    if view.kind != "police":
        return []
    memberships = person_memberships(user=staff_of(request), person_id=view.section.person_id, limit=MEMBERSHIP_LIMIT)
    if memberships:
        audit_shown_on(request, GroupMembership, [m.pk for m in memberships], on=view.section, purpose=PURPOSE)
    return memberships


@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = staff_of(request)
    section = _changeable(user, kind, pk)
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            lambda data: SectionForm(data, kind=kind, user=user),
            lambda form, version: services.section_update(
                actor=user, section=section, version=version, **form_values(form)
            ),
            conflict_message=_("Someone else saved this section while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("cases:section-detail", kind=kind, pk=section.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {field: getattr(section, field) for field in SECTION_FIELDS[kind]}
        form = SectionForm(initial={**initial, "version": section.version}, kind=kind, user=user)
    context = {
        "form": form,
        "kind": kind,
        "section": section,
        "person": section.person,
        "conflict": conflict,
        "crumbs": [*_section_crumbs(section), (None, _("Edit"))],
    }
    return render(request, "cases/sections/section_form.html", context)


@require_http_methods(["GET", "POST"])
def note_add(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Append a note; with ?corrects=<id> the form starts from the old note's text, for a correction."""
    user = staff_of(request)
    section = _changeable(user, kind, pk)
    _model, note_model = SECTION_KINDS[kind]
    access.require(user, "add", note_model)
    notes = selectors.section_journal(user, SectionView(kind, section, True, None))
    if request.method == "POST":
        form = NoteForm(request.POST, notes=notes)
        if form.is_valid():
            try:
                services.note_add(actor=user, section=section, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The note is added."))
                return redirect("cases:section-detail", kind=kind, pk=section.pk)
        corrected = form.cleaned_data.get("corrects")
    else:
        corrected = None
        corrects_id = request.GET.get("corrects")
        if corrects_id:
            corrected = (
                notes.filter(pk=corrects_id).first()
                if corrects_id.isascii() and corrects_id.isdigit() and int(corrects_id) <= MAX_ID
                else None
            )
            if corrected is None:
                raise Http404
        initial = {"text": corrected.text, "corrects": corrected.pk} if corrected else {}
        form = NoteForm(initial=initial, notes=notes)
    context = {
        "form": form,
        "section": section,
        "kind": kind,
        "corrected": corrected,
        "crumbs": [*_section_crumbs(section), (None, _("Correct a note") if corrected else _("Add a note"))],
    }
    return render(request, "cases/sections/note_form.html", context)
