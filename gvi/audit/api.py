"""Log review and access review over the API: the same selectors, services and audit as the pages
(gvi/audit/views.py).

- `/api/log-review/`: the checks with their unreviewed counts.
- `/api/log-review/<check>/`: a check's findings, newest first (`?status=new|reviewed-ok|followed-up`).
- `/api/log-review/<check>/<event id>/`: one finding with its review; POST or PATCH `status`, `comment` and the
  `version` read (0 for a finding never reviewed) to review it: 400 with field errors, 412 when someone
  reviewed it in between.
- `/api/access-review/`: who holds which grants and shares, with last use and staleness.
- `/api/access-review/revoke/`: POST `grants` (["<staff id>:<record kind>", ...]) and `reason`: revokes the
  selected stale holders' own grants, each revoke audited.

Only the auditor of the program gets answers; everyone else 404, the same as for a check that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gvi import access
from gvi.api import PreconditionFailed, staff_of
from gvi.audit import access_review, selectors, services
from gvi.audit.models import AuditAction, AuditEvent, LogCheck, LogReview, ReviewStatus
from gvi.audit.services import COMMENT_MAX, audit_record, audit_shown
from gvi.concurrency import StaleVersion
from gvi.drf import StandardPagination

PURPOSE = "log review (API)"
PURPOSE_ACCESS = "access review (API)"
REVIEW_STATUSES = "One of: " + ", ".join(ReviewStatus.values) + "."


class FindingSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_username = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    purpose = serializers.CharField()
    views = serializers.IntegerField(help_text="Views in a burst (1 for a single event).")
    ended_at = serializers.DateTimeField(allow_null=True, help_text="The last view of a burst.")
    status = serializers.CharField(help_text=REVIEW_STATUSES)
    comment = serializers.CharField()
    version = serializers.IntegerField(help_text="Send it back with a review; 0 for a finding never reviewed.")


class ReviewSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=20, help_text=REVIEW_STATUSES)
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(min_value=0)

    def validate_status(self, value: str) -> str:
        if value not in ReviewStatus.values:
            raise serializers.ValidationError(f"Choose one of {', '.join(ReviewStatus.values)}.")
        return value


class RevokeSerializer(serializers.Serializer):
    grants = serializers.ListField(child=serializers.CharField(max_length=120), allow_empty=False, max_length=500)
    reason = serializers.CharField(max_length=150)


def _check(user: Any, kind: str) -> LogCheck:
    if not access.role_allows(user, "view", LogReview) or kind not in LogCheck.values:
        raise NotFound
    return LogCheck(kind)


def _finding(item: Any, review: LogReview | None) -> dict[str, Any]:
    burst = isinstance(item, selectors.Burst)
    return {
        "event_id": item.event_id if burst else item.pk,
        "occurred_at": item.started_at if burst else item.occurred_at,
        "actor_id": item.actor_id,
        "actor_username": item.actor_username,
        "action": AuditAction.VIEW.value if burst else item.action,
        "object_type": "" if burst else item.object_type,
        "object_id": "" if burst else item.object_id,
        "purpose": "" if burst else item.purpose,
        "views": item.views if burst else 1,
        "ended_at": item.ended_at if burst else None,
        "status": review.status if review else ReviewStatus.NEW.value,
        "comment": review.comment if review else "",
        "version": review.version if review else 0,
    }


class LogReviewChecksView(APIView):
    """The log-review checks with the number of findings not reviewed yet."""

    @extend_schema(
        operation_id="log_review_checks",
        responses=inline_serializer(
            "LogReviewCheck",
            {
                "check": serializers.CharField(),
                "label": serializers.CharField(),
                "unreviewed": serializers.IntegerField(),
            },
            many=True,
        ),
    )
    def get(self, request: Request) -> Response:
        user = staff_of(request)
        if not access.role_allows(user, "view", LogReview):
            raise NotFound
        counts = selectors.unreviewed_counts(user)
        return Response([{"check": c.value, "label": str(c.label), "unreviewed": counts[c.value]} for c in LogCheck])


class LogReviewFindingsView(APIView):
    """A check's findings, newest first, with their review status."""

    pagination_class = StandardPagination

    @extend_schema(
        operation_id="log_review_findings",
        parameters=[OpenApiParameter("status", str, enum=ReviewStatus.values, required=False)],
        responses=FindingSerializer(many=True),
    )
    def get(self, request: Request, kind: str) -> Response:
        user = staff_of(request)
        check = _check(user, kind)
        status = request.query_params.get("status", "")
        if status and status not in ReviewStatus.values:
            raise serializers.ValidationError({"status": [f"Choose one of {', '.join(ReviewStatus.values)}."]})
        items: Any
        if check == LogCheck.BURST:
            items = selectors.bursts(user, status)
        else:
            items = selectors.with_review_status(user, check, selectors.check_events(user, check), status)
        paginator = StandardPagination()
        page: list[Any] = paginator.paginate_queryset(items, request, view=self) or []
        ids = [item.event_id if check == LogCheck.BURST else item.pk for item in page]
        audit_shown(actor=user, object_type=AuditEvent._meta.label_lower, ids=ids, purpose=PURPOSE)
        reviews = selectors.reviews_by_event(user, check, ids)
        data = [_finding(item, reviews.get(event_id)) for item, event_id in zip(page, ids, strict=True)]
        return paginator.get_paginated_response(FindingSerializer(data, many=True).data)


class LogReviewFindingView(APIView):
    """One finding and its review; POST or PATCH reviews it."""

    def _load(self, request: Request, kind: str, event_id: int) -> tuple[Any, LogCheck, Any]:
        user = staff_of(request)
        check = _check(user, kind)
        if not selectors.is_finding(user, check, event_id):
            raise NotFound
        if check == LogCheck.BURST:
            item: Any = next(b for b in selectors.bursts(user) if b.event_id == event_id)
        else:
            item = access.visible(user, AuditEvent).get(pk=event_id)
        return user, check, item

    @extend_schema(responses=FindingSerializer)
    def get(self, request: Request, kind: str, event_id: int) -> Response:
        user, check, item = self._load(request, kind, event_id)
        audit_record(
            actor=user, action=AuditAction.VIEW, object_type="audit.auditevent", object_id=event_id, purpose=PURPOSE
        )
        return Response(FindingSerializer(_finding(item, selectors.log_review(user, check, event_id))).data)

    @extend_schema(request=ReviewSerializer, responses=FindingSerializer)
    def post(self, request: Request, kind: str, event_id: int) -> Response:
        user, check, item = self._load(request, kind, event_id)
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            review = services.log_review_set(
                actor=user,
                kind=check,
                event_id=event_id,
                status=body.validated_data["status"],
                comment=body.validated_data["comment"],
                expected_version=body.validated_data["version"],
            )
        except StaleVersion:
            raise PreconditionFailed from None
        return Response(FindingSerializer(_finding(item, review)).data)

    @extend_schema(request=ReviewSerializer, responses=FindingSerializer)
    def patch(self, request: Request, kind: str, event_id: int) -> Response:
        return self.post(request, kind, event_id)


class AccessReviewView(APIView):
    """Per staff member: role, team, agency, grants held directly and through team and agency per record kind,
    active shares, last use, and whether they are stale."""

    pagination_class = StandardPagination

    @extend_schema(
        responses=inline_serializer(
            "AccessReviewHolder",
            {
                "staff_id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "name": serializers.CharField(),
                "role": serializers.CharField(),
                "team": serializers.CharField(allow_null=True),
                "agency": serializers.CharField(allow_null=True),
                "is_active": serializers.BooleanField(),
                "last_login": serializers.DateTimeField(allow_null=True),
                "last_event_at": serializers.DateTimeField(allow_null=True),
                "stale": serializers.BooleanField(),
                "grants": serializers.DictField(child=serializers.DictField(child=serializers.IntegerField())),
                "shares_made": serializers.IntegerField(),
                "shares_received": serializers.IntegerField(),
            },
            many=True,
        )
    )
    def get(self, request: Request) -> Response:
        user = staff_of(request)
        if not access.role_allows(user, "review_access", AuditEvent):
            raise NotFound
        found = sorted(access_review.holders(user), key=access_review.last_use_order)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(found, request, view=self) or []
        audit_shown(actor=user, object_type="accounts.staff", ids=[h.staff.pk for h in page], purpose=PURPOSE_ACCESS)
        data = [
            {
                "staff_id": h.staff.pk,
                "username": h.staff.username,
                "name": h.staff.get_full_name(),
                "role": h.staff.role,
                "team": h.staff.team.name if h.staff.team else None,
                "agency": h.staff.agency.name if h.staff.agency else None,
                "is_active": h.staff.is_active,
                "last_login": h.staff.last_login,
                "last_event_at": h.last_event_at,
                "stale": h.stale,
                "grants": {
                    label: {
                        "direct": h.direct.get(label, 0),
                        "team": h.team.get(label, 0),
                        "agency": h.agency.get(label, 0),
                    }
                    for label in sorted(set(h.direct) | set(h.team) | set(h.agency))
                },
                "shares_made": h.shares_made,
                "shares_received": h.shares_received,
            }
            for h in page
        ]
        return paginator.get_paginated_response(data)


class AccessReviewRevokeView(APIView):
    """Revoke the selected stale holders' own grants (each revoke audited with the reason)."""

    @extend_schema(
        request=RevokeSerializer,
        responses=inline_serializer("AccessReviewRevoked", {"revoked": serializers.IntegerField()}),
    )
    def post(self, request: Request) -> Response:
        user = staff_of(request)
        if not access.role_allows(user, "revoke_stale", AuditEvent):
            raise NotFound
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            selections = [access_review.Selection.parse(value) for value in body.validated_data["grants"]]
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        revoked = access_review.grants_revoke_stale(
            actor=user, selections=selections, reason=body.validated_data["reason"]
        )
        return Response({"revoked": revoked})
