"""Shares between agencies and reports of concern: make a share, read it (the sender in full, the
recipient what was shared), revoke it, link it to the recipient's own record, list what was shared with
us; file a report of concern, and handle it at the municipality's social services, while the sender sees
only whether it was received. Thin: selectors read, services write, the policy decides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import selectors, services
from cases.forms import PersonSearchForm
from cases.forms.sharing import ConcernAssessForm, ConcernForm, PersonLinkForm, ShareForm
from cases.identity import looks_like_identity_number
from cases.models import ConcernReport, Person, Share
from cases.services.concern import PURPOSE as CONCERN_PURPOSE
from cases.services.concern import receiving_social_services
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import identity_term_digest
from gvi.pages import add_service_errors, audit_list, chosen_sort, form_values, paginate, staff_of, versioned_edit

PURPOSE = "casework"
# How many of the recipient's own persons a link search shows.
LINK_RESULTS = 20


def _person_crumbs(person: Person) -> list[tuple[str | None, str]]:
    return [
        (reverse("cases:person-list"), _("Persons")),
        (reverse("cases:person-detail", args=[person.pk]), person.full_name),
    ]


def _received_crumbs() -> list[tuple[str | None, str]]:
    return [(reverse("cases:shares-received"), _("Shared with us"))]


def _share_title(share: Share) -> str:
    return _("Share %(number)s") % {"number": share.pk}


def _share_crumbs(share: Share, *, sender: bool) -> list[tuple[str | None, str]]:
    first = _person_crumbs(share.person) if sender else _received_crumbs()
    return [*first, (reverse("cases:share-detail", args=[share.pk]), _share_title(share))]


# --- Shares --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def share_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    person = access.get_visible_or_404(user, Person, pk, purpose=PURPOSE)
    access.require(user, "add", Share)
    # What may be shared: the identity, and the sections of this record the user sees in full.
    kinds = [v.kind for v in selectors.person_sections(user, person) if v.full and v.section.person_id == person.pk]
    consents = selectors.person_consents(user, person).filter(revoked_at__isnull=True)
    form = ShareForm(request.POST or None, person=person, kinds=kinds, consents=consents)
    if request.method == "POST" and form.is_valid():
        try:
            share = services.share_create(actor=user, person=person, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The share is made. The recipient sees it until the end of its last day."))
            return redirect("cases:share-detail", pk=share.pk)
    context = {"form": form, "person": person, "crumbs": [*_person_crumbs(person), (None, _("Share"))]}
    return render(request, "cases/sharing/share_form.html", context)


@require_GET
def share_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The sender sees the share in full with its status; the recipient sees what was shared and how to
    read it, and the identity of the person (no contact data). The sender never learns whether the
    recipient linked it to a record of their own."""
    user = staff_of(request)
    share = access.get_visible_or_404(user, Share, pk, purpose=PURPOSE)
    sender = access.can(user, "change", share)
    context: dict[str, Any] = {
        "share": share,
        "sender": sender,
        "section_id": selectors.shared_section_id(user, share) if share.is_active() or sender else None,
    }
    if sender:
        context["can_revoke"] = share.ended_at is None
    else:
        person, _full = selectors.person_for(user, share.person_id, purpose=share.purpose)
        context["identity"] = {
            field: getattr(person, field) for field in access.partial_fields(Person, "view_identity")
        }
        context["can_link"] = share.receiving_agency_id == user.agency_id
        context["linked_visible"] = bool(selectors.visible_person_ids(user, [share.recipient_person_id]))
    first = _person_crumbs(share.person) if sender else _received_crumbs()
    context["crumbs"] = [*first, (None, _share_title(share))]
    return render(request, "cases/sharing/share_detail.html", context)


@require_http_methods(["GET", "POST"])
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST ends the share now (the recipient loses what it gave at once)."""
    user = staff_of(request)
    share = access.get_visible_or_404(user, Share, pk, action="change", purpose=PURPOSE)
    if request.method == "POST":
        services.share_revoke(actor=user, share=share)
        messages.success(request, _("The share is revoked. The recipient no longer sees it."))
        return redirect("cases:share-detail", pk=share.pk)
    crumbs = [*_share_crumbs(share, sender=True), (None, _("Revoke"))]
    return render(request, "cases/sharing/share_revoke.html", {"share": share, "crumbs": crumbs})


def _link_search(request: HttpRequest, user: Staff) -> tuple[PersonSearchForm, list[Person] | None]:
    """A POSTed search over the recipient's own records (audited like the person search)."""
    search = PersonSearchForm(request.POST if request.POST.get("action") == "search" else None)
    if not (search.is_bound and search.is_valid()) or not search.cleaned_data["term"]:
        return search if search.is_bound else PersonSearchForm(), None
    term = search.cleaned_data["term"]
    page = paginate(request, selectors.person_list(user=user, term=term), per_page=LINK_RESULTS)
    detail = (
        {"term_hmac": identity_term_digest(term)}
        if looks_like_identity_number(term)
        else {"term_words": len(term.split())}
    )
    audit_list(request, Person, page, purpose=PURPOSE, action=AuditAction.SEARCH, detail=detail)
    return search, list(page.object_list)


@require_http_methods(["GET", "POST"])
def share_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The recipient links a share to one of its own records of the person, or unlinks it."""
    user = staff_of(request)
    share = access.get_visible_or_404(user, Share, pk, purpose=PURPOSE)
    if share.receiving_agency_id != user.agency_id:
        raise Http404
    action = request.POST.get("action", "")
    link_form = PersonLinkForm(request.POST if action == "link" else None, persons=selectors.person_list(user=user))
    if action in ("link", "unlink"):
        person = None
        if action == "link" and link_form.is_valid():
            person = link_form.cleaned_data["person"]
        if action == "unlink" or person is not None:
            try:
                services.share_link(actor=user, share=share, person=person)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("The share is linked.") if person else _("The link is removed."))
                return redirect("cases:share-detail", pk=share.pk)
    search, results = _link_search(request, user)
    linked = share.recipient_person
    if linked is not None and not access.can(user, "view", linked):
        linked = None
    context = {
        "share": share,
        "linked": linked,
        "search": search,
        "results": results,
        "link_form": link_form,
        "crumbs": [*_share_crumbs(share, sender=False), (None, _("Link to our record"))],
    }
    return render(request, "cases/sharing/share_link.html", context)


@require_GET
def shares_received(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "view", Share)
    sort = chosen_sort(request, selectors.SHARE_SORTS, "-created")
    include_ended = request.GET.get("ended") == "1"
    page = paginate(request, selectors.shares_received(user, sort=sort, include_ended=include_ended))
    audit_list(request, Share, page, purpose=PURPOSE)
    context = {
        "page": page,
        "sort": sort,
        "include_ended": include_ended,
        # A link shows only where the user may open the linked record (a colleague's record stays unknown).
        "visible_links": selectors.visible_person_ids(user, [share.recipient_person_id for share in page]),
        "crumbs": [(None, _("Shared with us"))],
    }
    return render(request, "cases/sharing/shares_received.html", context)


# --- Reports of concern --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def concern_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    person = access.get_visible_or_404(user, Person, pk, purpose=CONCERN_PURPOSE)
    access.require(user, "add", ConcernReport)
    form = ConcernForm(request.POST or None, agencies=receiving_social_services(person.program_id))
    if request.method == "POST" and form.is_valid():
        try:
            services.concern_file(actor=user, person=person, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The report of concern is sent. You will see here when social services have received it.")
            )
            return redirect("cases:person-detail", pk=person.pk)
    context = {
        "form": form,
        "person": person,
        "may_be_minor": person.may_be_minor(),
        "crumbs": [*_person_crumbs(person), (None, _("Report a concern"))],
    }
    return render(request, "cases/sharing/concern_form.html", context)


@require_GET
def concern_list(request: HttpRequest) -> HttpResponse:
    """Reports received by the user's social services: not yet received and urgent ones first."""
    user = staff_of(request)
    access.require(user, "view", ConcernReport)
    page = paginate(request, selectors.concern_reports_received(user))
    audit_list(request, ConcernReport, page, purpose=CONCERN_PURPOSE)
    return render(
        request, "cases/sharing/concern_list.html", {"page": page, "crumbs": [(None, _("Reports of concern"))]}
    )


def _concern_crumbs(full: bool) -> list[tuple[str | None, str]]:
    return [(reverse("cases:concern-list"), _("Reports of concern"))] if full else []


@require_GET
def concern_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    report, full = selectors.concern_for(user, pk, purpose=CONCERN_PURPOSE)
    title = _("Report of concern %(number)s") % {"number": report.pk}
    context: dict[str, Any] = {"full": full, "crumbs": [*_concern_crumbs(full), (None, title)], "title": title}
    if full:
        context |= {"report": report, "can_change": access.can(user, "change", report)}
    else:
        # The sender sees what the policy's partial view declares: when, to whom, whether received.
        context["status"] = {
            field: getattr(report, field) for field in access.partial_fields(ConcernReport, "view_status")
        }
    return render(request, "cases/sharing/concern_detail.html", context)


@require_POST
def concern_receive(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    report = access.get_visible_or_404(user, ConcernReport, pk, action="change", purpose=CONCERN_PURPOSE)
    services.concern_receive(actor=user, report=report)
    messages.success(request, _("Receipt is confirmed. The sender sees that the report was received."))
    return redirect("cases:concern-detail", pk=report.pk)


@require_http_methods(["GET", "POST"])
def concern_assess(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    report = access.get_visible_or_404(user, ConcernReport, pk, action="change", purpose=CONCERN_PURPOSE)
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            ConcernAssessForm,
            lambda form, version: services.concern_assess(
                actor=user, report=report, version=version, **form_values(form)
            ),
            conflict_message=_("Someone else saved an assessment meanwhile. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The assessment is recorded."))
            return redirect("cases:concern-detail", pk=report.pk)
        form, conflict = edit.form, edit.conflict
    else:
        form = ConcernAssessForm(
            initial={"outcome": report.outcome, "assessment": report.assessment, "version": report.version}
        )
    crumbs = [
        *_concern_crumbs(True),
        (reverse("cases:concern-detail", args=[report.pk]), _("Report of concern %(number)s") % {"number": report.pk}),
        (None, _("Record assessment")),
    ]
    context = {"form": form, "report": report, "conflict": conflict, "crumbs": crumbs}
    return render(request, "cases/sharing/concern_assess.html", context)
