"""The person timeline page: everything the viewer may see about the person, newest first, from every
app's timeline provider (gvi.timeline), over the viewer's own record and the records linked to it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cases import selectors
from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.pages import PAGE_SIZE
from gvi.timeline import TimelineItem, category_label, timeline_items

PURPOSE = "casework"
# The audit event's object type for a page of timeline items (their keys name the records shown).
AUDIT_OBJECT_TYPE = "timeline"


class TimelineFilterForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Show"), required=False)

    def __init__(self, data: Any, *, categories: Sequence[str]) -> None:
        super().__init__(data)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("Everything")),
            *((code, category_label(code)) for code in categories),
        ]


def person_timeline_data(user: Staff, pk: Any) -> tuple[Person, list[TimelineItem]]:
    """The person in full (identity-only viewers get 404, audited) and the items the user may see."""
    person = access.get_visible_or_404(user, Person, pk, purpose=PURPOSE)
    return person, timeline_items(user, selectors.person_record_ids(user, person))


def categories_of(items: Sequence[TimelineItem]) -> list[str]:
    return sorted({item.category for item in items}, key=category_label)


def audit_timeline(user: Staff, person: Person, shown: Iterable[TimelineItem], *, category: str) -> None:
    """One list event with the keys of the items shown."""
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=AUDIT_OBJECT_TYPE,
        object_ids=[item.key for item in shown],
        purpose=PURPOSE,
        detail={"shown_on": f"{person._meta.label_lower}:{person.pk}", "category": category},
    )


@require_GET
def person_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    person, items = person_timeline_data(user, pk)
    categories = categories_of(items)
    filters = TimelineFilterForm(request.GET if "category" in request.GET else None, categories=categories)
    category = ""
    if filters.is_bound and not filters.is_valid():
        # An unknown category is an error on the form, not a silently unfiltered timeline.
        items = []
    elif filters.is_bound and filters.cleaned_data["category"]:
        category = filters.cleaned_data["category"]
        items = [item for item in items if item.category == category]
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_timeline(user, person, page.object_list, category=category)
    context = {
        "person": person,
        "page": page,
        "filters": filters if filters.is_bound else TimelineFilterForm(None, categories=categories),
        "category": category,
        "rows": [(item, category_label(item.category)) for item in page.object_list],
        "crumbs": [
            (reverse("cases:person-list"), _("Persons")),
            (reverse("cases:person-detail", args=[person.pk]), person.full_name),
            (None, _("Timeline")),
        ],
    }
    return render(request, "cases/person_timeline.html", context)
