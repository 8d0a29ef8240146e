"""Merging two records of the same person, from the record to keep: find the other record (a search by
POST, or its record number), confirm on a page that shows both side by side and what will move, then
merge. Only roles the access table allows may merge; both records must be the user's to change."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cases import selectors, services
from cases.forms import PersonSearchForm
from cases.identity import looks_like_identity_number
from cases.models import Person
from cases.services.merge import person_merge_plan, visible_moves
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import identity_term_digest
from gvi.concurrency import StaleVersion
from gvi.pages import add_service_errors, audit_list, audit_shown_on, paginate, staff_of

PURPOSE = "casework"
SEARCH_RESULTS = 20


class MergeChoiceForm(forms.Form):
    """The other record, by its number; with the kept record's version when confirming."""

    keep_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, persons: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["remove"] = forms.ModelChoiceField(
            label=gettext_lazy("Record number"),
            queryset=persons,
            widget=forms.NumberInput(attrs={"min": 1}),
            help_text=gettext_lazy("The number at the end of the other record's page address."),
            error_messages={
                "invalid_choice": gettext_lazy("Choose another record of your agency that you may change."),
                "required": gettext_lazy("Choose the other record."),
            },
        )


def _candidates(user: Staff, keep: Person) -> QuerySet[Person]:
    """The records that may be merged into `keep`: the user's to change, of the same agency and program."""
    return (
        access.visible(user, Person, "change")
        .filter(owner_agency_id=keep.owner_agency_id, program_id=keep.program_id)
        .exclude(pk=keep.pk)
    )


def _search(request: HttpRequest, user: Staff, keep: Person) -> tuple[PersonSearchForm, list[Person] | None]:
    """A POSTed search over the records that may be merged (audited like the person search)."""
    search = PersonSearchForm(request.POST if request.POST.get("action") == "search" else None)
    if not (search.is_bound and search.is_valid()) or not search.cleaned_data["term"]:
        return search if search.is_bound else PersonSearchForm(), None
    term = search.cleaned_data["term"]
    candidates = _candidates(user, keep).values("pk")
    found = selectors.person_list(user=user, term=term).filter(pk__in=candidates)
    page = paginate(request, found, per_page=SEARCH_RESULTS)
    detail = (
        {"term_hmac": identity_term_digest(term)}
        if looks_like_identity_number(term)
        else {"term_words": len(term.split())}
    )
    audit_list(request, Person, page, purpose=PURPOSE, action=AuditAction.SEARCH, detail=detail)
    return search, list(page.object_list)


def _crumbs(keep: Person) -> list[tuple[str | None, str]]:
    return [
        (reverse("cases:person-list"), _("Persons")),
        (reverse("cases:person-detail", args=[keep.pk]), keep.full_name),
        (None, _("Merge")),
    ]


def _confirm(
    request: HttpRequest,
    user: Staff,
    keep: Person,
    remove: Person,
    form: MergeChoiceForm,
    *,
    conflict: Person | None = None,
) -> HttpResponse:
    """Both records side by side, what will move and what stops the merge."""
    audit_shown_on(request, Person, [remove.pk], on=keep, purpose=PURPOSE)
    plan = person_merge_plan(keep=keep, remove=remove)
    records = [
        (_("Record to keep"), keep, services.contact_visible(user, keep)),
        (_("Record to merge and delete"), remove, services.contact_visible(user, remove)),
    ]
    context = {
        "keep": keep,
        "remove": remove,
        "records": records,
        "plan_rows": plan.rows(visible_moves(user, remove)),
        "conflicts": plan.conflicts,
        "form": form,
        "keep_version": keep.version,
        "conflict": conflict,
        "crumbs": _crumbs(keep),
    }
    return render(request, "cases/merge/person_merge_confirm.html", context)


@require_http_methods(["GET", "POST"])
def person_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: find the other record. POST action=search: search; action=choose: the confirmation page;
    action=merge: merge and go to the kept record."""
    user = staff_of(request)
    if not access.role_allows(user, "merge", Person):
        raise Http404
    keep = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE)
    action = request.POST.get("action", "")
    form = MergeChoiceForm(request.POST if action in ("choose", "merge") else None, persons=_candidates(user, keep))
    if action in ("choose", "merge") and form.is_valid():
        remove = form.cleaned_data["remove"]
        if action == "choose":
            return _confirm(request, user, keep, remove, form)
        try:
            shown = visible_moves(user, remove)
            kept, _merge = services.person_merge(
                actor=user,
                keep=keep,
                remove=remove,
                keep_version=form.cleaned_data["keep_version"] or 0,
            )
        except StaleVersion as exc:
            messages.error(
                request, _("Someone else saved the record to keep meanwhile. Compare it again, then confirm.")
            )
            current = cast(Person, exc.current)
            return _confirm(request, user, current, remove, form, conflict=current)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _confirm(request, user, keep, remove, form)
        moved = sum(shown.values())
        messages.success(
            request,
            _("The records are merged: %(count)s linked rows moved to this record.") % {"count": moved},
        )
        return redirect("cases:person-detail", pk=kept.pk)
    search, results = _search(request, user, keep)
    context = {
        "keep": keep,
        "search": search,
        "results": results,
        "form": form,
        "crumbs": _crumbs(keep),
    }
    return render(request, "cases/merge/person_merge.html", context)
