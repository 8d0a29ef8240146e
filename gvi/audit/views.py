"""The auditor's view of the trail: filtered, paginated, exportable (the export is audited too)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit import access_review, selectors, services
from gvi.audit.forms import AuditFilterForm, FindingFilterForm, LogReviewForm, RevokeForm
from gvi.audit.models import AuditAction, AuditEvent, LogCheck, LogReview, ReviewStatus
from gvi.audit.selectors import audit_events
from gvi.audit.services import audit_record, audit_shown
from gvi.concurrency import StaleVersion
from gvi.pages import PAGE_SIZE, add_service_errors, audit_list, paginate, staff_of
from gvi.spreadsheet import spreadsheet_safe

EXPORT_LIMIT = 100_000
PURPOSE = "log review"
PURPOSE_ACCESS = "access review"
EXPORT_COLUMNS = (
    "occurred_at",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_ids",
    "purpose",
    "legal_basis",
    "request_id",
    "ip",
)


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict[str, object]]:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, filters


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    access.require(user, "view", AuditEvent)
    form, filters = _filters(request)
    page = paginate(request, audit_events(user=user, filters=filters))
    audit_list(request, AuditEvent, page, purpose="log review")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "crumbs": [(None, _("Audit trail"))]},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def event_export(request: HttpRequest) -> StreamingHttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    access.require(user, "export", AuditEvent)
    _form, filters = _filters(request)
    events = audit_events(user=user, filters=filters)[:EXPORT_LIMIT]
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type=AuditEvent._meta.label_lower,
        purpose="log review",
        detail={"filters": {k: str(v) for k, v in filters.items() if v}},
    )
    writer = csv.writer(_Echo())

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(EXPORT_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            cells = [
                event.occurred_at.isoformat(),
                event.actor_username,
                event.action,
                event.object_type,
                event.object_id,
                " ".join(event.object_ids),
                event.purpose,
                event.legal_basis,
                event.request_id,
                event.ip or "",
            ]
            # Users choose some of these values (a probed URL becomes an object id): never a formula.
            yield writer.writerow([spreadsheet_safe(cell) for cell in cells])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


# --------------------------------------------------------------------------------------------------
# Log review (loggkontroll): the checks, their findings and the review of one finding


def _check_or_404(user: Staff, kind: str) -> LogCheck:
    access.require(user, "view", LogReview)
    if kind not in LogCheck.values:
        raise Http404
    return LogCheck(kind)


def _check_crumbs(check: LogCheck | None = None) -> list[tuple[str | None, str]]:
    crumbs: list[tuple[str | None, str]] = [(reverse("audit:event-list"), _("Audit trail"))]
    if check is None:
        return [*crumbs, (None, _("Log review"))]
    return [*crumbs, (reverse("audit:log-review"), _("Log review"))]


@require_GET
def log_review(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "view", LogReview)
    counts = selectors.unreviewed_counts(user)
    checks = [{"kind": check.value, "label": check.label, "unreviewed": counts[check.value]} for check in LogCheck]
    return render(
        request,
        "audit/log_review.html",
        {
            "checks": checks,
            "burst_views": selectors.BURST_VIEWS,
            "burst_minutes": int(selectors.BURST_WINDOW.total_seconds() // 60),
            "crumbs": _check_crumbs(),
        },
    )


@require_GET
def log_review_check(request: HttpRequest, kind: str) -> HttpResponse:
    user = staff_of(request)
    check = _check_or_404(user, kind)
    form = FindingFilterForm(request.GET or {"status": ReviewStatus.NEW})
    status = form.cleaned_data["status"] if form.is_valid() else ReviewStatus.NEW.value
    page: Page[Any]
    if check == LogCheck.BURST:
        page = Paginator(selectors.bursts(user, status), PAGE_SIZE).get_page(request.GET.get("page"))
        event_ids = [burst.event_id for burst in page.object_list]
    else:
        events = selectors.with_review_status(user, check, selectors.check_events(user, check), status)
        page = paginate(request, events)
        event_ids = [event.pk for event in page.object_list]
    audit_shown(actor=user, object_type=AuditEvent._meta.label_lower, ids=event_ids, purpose=PURPOSE)
    reviews = selectors.reviews_by_event(user, check, event_ids)
    findings = [
        (item, reviews.get(event_id), event_id) for item, event_id in zip(page.object_list, event_ids, strict=True)
    ]
    return render(
        request,
        "audit/log_review_check.html",
        {
            "check": check,
            "form": form,
            "page": page,
            "findings": findings,
            "crumbs": [*_check_crumbs(check), (None, check.label)],
        },
    )


@require_http_methods(["GET", "POST"])
def log_review_finding(request: HttpRequest, kind: str, event_id: int) -> HttpResponse:
    user = staff_of(request)
    check = _check_or_404(user, kind)
    if not selectors.is_finding(user, check, event_id):
        raise Http404
    event = access.visible(user, AuditEvent).get(pk=event_id)
    burst = (
        next((b for b in selectors.bursts(user) if b.event_id == event_id), None) if check == LogCheck.BURST else None
    )
    review = selectors.log_review(user, check, event_id)
    version = review.version if review else 0
    initial = {
        "status": review.status if review else ReviewStatus.REVIEWED_OK,
        "comment": review.comment if review else "",
    }
    form = LogReviewForm(initial={**initial, "version": version})
    if request.method == "POST":
        form = LogReviewForm(request.POST)
        if form.is_valid():
            try:
                services.log_review_set(
                    actor=user,
                    kind=check,
                    event_id=event_id,
                    status=form.cleaned_data["status"],
                    comment=form.cleaned_data["comment"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion:
                messages.error(request, _("Someone reviewed this finding while you were reading it. Here it is now."))
                return redirect("audit:log-review-finding", kind=check.value, event_id=event_id)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The review is saved."))
                return redirect("audit:log-review-check", kind=check.value)
    else:
        audit_record(actor=user, action=AuditAction.VIEW, obj=event, purpose=PURPOSE)
    return render(
        request,
        "audit/log_review_finding.html",
        {
            "check": check,
            "event": event,
            "burst": burst,
            "review": review,
            "form": form,
            "crumbs": [
                *_check_crumbs(check),
                (reverse("audit:log-review-check", kwargs={"kind": check.value}), check.label),
                (None, _("Finding")),
            ],
        },
    )


# --------------------------------------------------------------------------------------------------
# Access review: who holds which grants and shares, last use, bulk revoke of stale holders' own grants


@require_GET
def access_review_page(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    found = sorted(access_review.holders(user), key=access_review.last_use_order)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_shown(
        actor=user,
        object_type=Staff._meta.label_lower,
        ids=[h.staff.pk for h in page.object_list],
        purpose=PURPOSE_ACCESS,
    )
    kinds = access_review.kind_names()
    return render(
        request,
        "audit/access_review.html",
        {
            "page": page,
            "holders": [(holder, holder.rows(kinds)) for holder in page.object_list],
            "stale_days": access_review.STALE_AFTER.days,
            "crumbs": [(reverse("audit:event-list"), _("Audit trail")), (None, _("Access review"))],
        },
    )


@require_POST
def access_review_revoke(request: HttpRequest) -> HttpResponse:
    """A confirmation page for the selected grants; revoking happens only on the confirmed POST."""
    user = staff_of(request)
    access.require(user, "revoke_stale", AuditEvent)
    values = request.POST.getlist("grants")
    form = RevokeForm(request.POST if "confirm" in request.POST else None)
    try:
        selections = [access_review.Selection.parse(value) for value in values]
        if form.is_bound and form.is_valid():
            revoked = access_review.grants_revoke_stale(
                actor=user, selections=selections, reason=form.cleaned_data["reason"]
            )
            messages.success(
                request, ngettext("%(count)d grant revoked.", "%(count)d grants revoked.", revoked) % {"count": revoked}
            )
            return redirect("audit:access-review")
        if not selections:
            raise ValidationError({"grants": _("Choose at least one holder's grants to revoke.")})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("audit:access-review")
    found = {h.staff.pk: h for h in access_review.holders(user)}
    kinds = access_review.kind_names()
    chosen = [
        {
            "value": s.value,
            "staff": found[s.staff_id].staff,
            "kind": kinds[s.kind],
            "records": found[s.staff_id].direct.get(s.kind, 0),
        }
        for s in selections
        if s.staff_id in found
    ]
    return render(
        request,
        "audit/access_review_revoke.html",
        {
            "form": form,
            "chosen": chosen,
            "crumbs": [
                (reverse("audit:event-list"), _("Audit trail")),
                (reverse("audit:access-review"), _("Access review")),
                (None, _("Revoke grants")),
            ],
        },
    )
