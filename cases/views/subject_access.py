"""Subject access exports (registerutdrag) on the pages: request one for the agency's own record, review
the draft for secrecy (a checkbox and a reason per item), release it (GET confirms, POST releases), and
download the released PDF or JSON through a view that checks the policy and audits the export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cases import services
from cases.models import Person
from cases.models.disclosure import SubjectAccessExport
from cases.subject_access import LEGAL_BASIS, DraftItem, WithholdingReason, draft_items
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion
from gvi.pages import PAGE_SIZE, add_service_errors, audit_shown_on, paginate, staff_of

PURPOSE = "subject access request"
# The audit event's object type for a page of draft items (their keys name the records shown).
AUDIT_OBJECT_TYPE = "subject-access-draft"
FORMATS = {"pdf": "application/pdf", "json": "application/json"}


def _crumbs(person: Person, label: str) -> list[tuple[str | None, str]]:
    return [
        (reverse("cases:person-list"), _("Persons")),
        (reverse("cases:person-detail", args=[person.pk]), person.full_name),
        (None, label),
    ]


class ExportRequestForm(forms.Form):
    requested_on = forms.DateField(
        label=gettext_lazy("Requested on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The day the person asked for a copy of what is held about them."),
    )


def field_name(key: str) -> str:
    """A form field name for an item key ("cases.socialnote:12" -> "cases-socialnote-12")."""
    return key.replace(".", "-").replace(":", "-")


class ReviewForm(forms.Form):
    """A checkbox and a reason for each draft item on the page, and the version the review was read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data: Any, *, items: Sequence[DraftItem], redactions: dict[str, str], version: int) -> None:
        super().__init__(data, initial={"version": version})
        self.items = list(items)
        reasons = [("", _("Choose a reason")), *WithholdingReason.choices]
        for item in self.items:
            name = field_name(item.key)
            self.fields[f"withhold-{name}"] = forms.BooleanField(
                label=_("Withhold"), required=False, initial=item.key in redactions
            )
            self.fields[f"reason-{name}"] = forms.ChoiceField(
                label=_("Reason"), choices=reasons, required=False, initial=redactions.get(item.key, "")
            )

    def rows(self) -> list[tuple[DraftItem, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"withhold-{field_name(item.key)}"], self[f"reason-{field_name(item.key)}"])
            for item in self.items
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for item in self.items:
            name = field_name(item.key)
            if cleaned.get(f"withhold-{name}") and not cleaned.get(f"reason-{name}"):
                self.add_error(f"reason-{name}", _("Choose why this item is withheld."))
        return cleaned

    def page_redactions(self) -> dict[str, str]:
        """{key: reason} of the items on this page that are marked to be withheld."""
        return {
            item.key: self.cleaned_data[f"reason-{field_name(item.key)}"]
            for item in self.items
            if self.cleaned_data.get(f"withhold-{field_name(item.key)}")
        }


@require_http_methods(["GET", "POST"])
def export_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a draft for the agency's own record; the page also lists the earlier exports of the record."""
    user = staff_of(request)
    person = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE)
    if not access.role_allows(user, "add", SubjectAccessExport):
        raise Http404
    form = ExportRequestForm(
        request.POST if request.method == "POST" else None, initial={"requested_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            export = services.subject_access_create(
                actor=user, person=person, requested_on=form.cleaned_data["requested_on"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The draft is ready for the secrecy review."))
            return redirect("cases:subject-access-review", pk=export.pk)
    page = paginate(
        request, access.visible(user, SubjectAccessExport).filter(person=person).select_related("created_by")
    )
    audit_shown_on(request, SubjectAccessExport, [e.pk for e in page.object_list], on=person, purpose=PURPOSE)
    context = {
        "person": person,
        "form": form,
        "page": page,
        "crumbs": _crumbs(person, _("Subject access export")),
    }
    return render(request, "cases/subject_access/create.html", context, status=400 if request.method == "POST" else 200)


def _review_page(
    request: HttpRequest, user: Staff, export: SubjectAccessExport, *, form: ReviewForm | None = None, status: int = 200
) -> HttpResponse:
    person = export.person
    items = draft_items(user, person)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    draft = export.status == SubjectAccessExport.Status.DRAFT
    if form is None:
        form = ReviewForm(None, items=list(page.object_list), redactions=export.redactions, version=export.version)
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=AUDIT_OBJECT_TYPE,
        object_ids=[item.key for item in page.object_list],
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        detail={"shown_on": f"{export._meta.label_lower}:{export.pk}"},
    )
    context = {
        "export": export,
        "person": person,
        "page": page,
        "form": form,
        "draft": draft,
        "can_change": draft and access.can(user, "change", export),
        "rows": form.rows(),
        "withheld_count": len(export.redactions),
        "item_count": len(items),
        "crumbs": _crumbs(person, _("Subject access export")),
    }
    return render(request, "cases/subject_access/review.html", context, status=status)


def _export(user: Staff, pk: int, *, action: str = "view") -> SubjectAccessExport:
    return access.get_visible_or_404(user, SubjectAccessExport, pk, action=action, purpose=PURPOSE)


@require_http_methods(["GET", "POST"])
def export_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft items with a checkbox and a reason each; POST saves the marks of the items on this page."""
    user = staff_of(request)
    export = _export(user, pk, action="change" if request.method == "POST" else "view")
    if request.method != "POST":
        return _review_page(request, user, export)
    items = draft_items(user, export.person)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    form = ReviewForm(request.POST, items=list(page.object_list), redactions=export.redactions, version=export.version)
    if form.is_valid():
        shown = {item.key for item in page.object_list}
        redactions = {k: v for k, v in export.redactions.items() if k not in shown} | form.page_redactions()
        try:
            services.subject_access_redact(
                actor=user,
                export=export,
                version=form.cleaned_data["version"],
                redactions=redactions,
                reviewed=shown,
            )
        except StaleVersion:
            messages.error(
                request, _("Someone else saved this review in the meantime. It is shown as saved now: mark again.")
            )
            return _review_page(request, user, _export(user, pk), status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The secrecy review is saved."))
            return redirect(f"{reverse('cases:subject-access-review', args=[export.pk])}?page={page.number}")
    return _review_page(request, user, export, form=form, status=400)


@require_http_methods(["GET", "POST"])
def export_release(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm (how many items, how many withheld); POST renders and stores the files."""
    user = staff_of(request)
    export = _export(user, pk, action="change")
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.subject_access_release(actor=user, export=export)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("The export is released. Download it to send to the person."))
            return redirect("cases:subject-access-review", pk=export.pk)
    draft_keys = {item.key for item in draft_items(user, export.person)}
    context = {
        "export": export,
        "person": export.person,
        "errors": errors,
        "item_count": len(draft_keys),
        "unreviewed_count": len(draft_keys - set(export.reviewed_keys)),
        "withheld_count": len(export.redactions),
        "crumbs": _crumbs(export.person, _("Release the subject access export")),
    }
    return render(request, "cases/subject_access/release.html", context, status=400 if errors else 200)


@require_GET
def export_download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """The released PDF or JSON; audited as an export."""
    user = staff_of(request)
    export = access.get_visible_or_404(user, SubjectAccessExport, pk, purpose=PURPOSE)
    return released_file(user, export, fmt)


def released_file(user: Staff, export: SubjectAccessExport, fmt: str) -> FileResponse:
    """A released file as a download (404 for an unknown format or a draft), audited as an export."""
    if fmt not in FORMATS or export.status != SubjectAccessExport.Status.RELEASED:
        raise Http404
    field = export.pdf if fmt == "pdf" else export.data
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=export,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        detail={"person": export.person_id, "step": "download", "format": fmt},
    )
    response = FileResponse(
        handle, content_type=FORMATS[fmt], as_attachment=True, filename=f"registerutdrag-{export.pk}.{fmt}"
    )
    response["Cache-Control"] = "private, no-store"
    return response
