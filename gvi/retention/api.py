"""Retention over the API, beside its pages (gvi/retention/urls.py), through the same selectors and services:

- `/api/retention/rules/`: every category with the rule that applies and what the next run culls (those who see
  the rules); `PATCH /api/retention/rules/<category>/` sets the program's own rule (the program lead, the
  administrator), with the version read (a stale one: 412).
- `/api/retention/due/<category>/`: the records of a category that the user keeps and the next run culls.
- `/api/legal-holds/`: the holds the user may see (`?lifted=true` for lifted ones); POST places one on a record the
  user keeps, `POST /api/legal-holds/<id>/lift/` lifts it. A reason is required for both.

Everyone else gets 404, the same answer as for what does not exist.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gvi import access
from gvi.api import MAX_ID, PreconditionFailed, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.concurrency import StaleVersion
from gvi.retention import categories, selectors, services
from gvi.retention.categories import Category
from gvi.retention.models import MAX_MONTHS, REASON_MIN_LENGTH, LegalHold, RetentionRule

PURPOSE = "retention (API)"


def _culled(key: str) -> Category:
    try:
        category = categories.get(key)
    except KeyError:
        raise NotFound from None
    if not category.culled:
        raise NotFound
    return category


class RuleSerializer(serializers.Serializer[Any]):
    category = serializers.CharField(source="category.key")
    name = serializers.CharField(source="category.label")
    clock = serializers.CharField(source="category.clock")
    culled = serializers.BooleanField(source="category.culled")
    months = serializers.IntegerField(allow_null=True, help_text="Months after the last entry; null: never culled.")
    min_months = serializers.IntegerField(source="category.min_months")
    rule = serializers.SerializerMethodField(help_text='Whose rule applies: "program", "default" or "kept".')
    version = serializers.SerializerMethodField(help_text="The version of the program's own rule (0: none yet).")
    due = serializers.IntegerField(allow_null=True, help_text="How many records the next run culls.")

    def get_rule(self, row: selectors.RuleRow) -> str:
        return "kept" if not row.category.culled else ("program" if row.rule else "default")

    def get_version(self, row: selectors.RuleRow) -> int:
        return row.rule.version if row.rule else 0


class RuleChangeSerializer(serializers.Serializer[Any]):
    months = serializers.IntegerField(min_value=1, max_value=MAX_MONTHS)
    version = serializers.IntegerField(
        min_value=0, max_value=MAX_ID, required=False, help_text="The version read (0 or absent: no rule yet)."
    )


@extend_schema(tags=["retention"])
class RuleListView(APIView):
    """Every category with the rule that applies in your program and what the next run culls."""

    @extend_schema(responses=RuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = staff_of(request)
        if not access.role_allows(user, "view", RetentionRule):
            raise NotFound
        assert user.program is not None
        audit_record(actor=user, action=AuditAction.LIST, object_type=RetentionRule._meta.label_lower, purpose=PURPOSE)
        return Response(RuleSerializer(selectors.rules(user.program), many=True).data)


@extend_schema(tags=["retention"])
class RuleDetailView(APIView):
    """Set your program's own rule for a category (at least the category's minimum)."""

    @extend_schema(request=RuleChangeSerializer, responses=RuleSerializer)
    def patch(self, request: Request, category: str) -> Response:
        user = staff_of(request)
        if not access.role_allows(user, "change", RetentionRule):
            raise NotFound
        kind = _culled(category)
        body = RuleChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = body.validated_data.get("version") or None
        try:
            services.rule_set(
                actor=user, category=kind.key, months=body.validated_data["months"], expected_version=version
            )
        except StaleVersion:
            raise PreconditionFailed from None
        assert user.program is not None
        row = next(row for row in selectors.rules(user.program) if row.category.key == kind.key)
        return Response(RuleSerializer(row).data)


class DueSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="record.pk")
    title = serializers.CharField()
    last_entry = serializers.DateField(source="record.last_entry")
    url = serializers.CharField(help_text="The record's page.")


@extend_schema(tags=["retention"])
class DueView(GenericAPIView[Any]):
    """The records of a category that you keep and the next run culls, oldest last entry first."""

    serializer_class = DueSerializer

    def get(self, request: Request, category: str) -> Response:
        user = staff_of(request)
        kind = _culled(category)
        if kind not in selectors.holdable(user):
            raise NotFound
        page = self.paginate_queryset(selectors.due_for(user, kind))
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=kind.model_label,
            object_ids=[record.pk for record in page],
            purpose=PURPOSE,
        )
        items = [
            {"record": record, "title": kind.title(record), "url": kind.url(record) if kind.url else ""}
            for record in page
        ]
        return self.get_paginated_response(DueSerializer(items, many=True).data)


class LegalHoldSerializer(serializers.ModelSerializer[LegalHold]):
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = LegalHold
        fields = [
            "id",
            "category",
            "object_type",
            "object_id",
            "reason",
            "placed_at",
            "placed_by",
            "lifted_at",
            "lifted_by",
            "lift_reason",
            "active",
        ]
        read_only_fields = fields


class HoldPlaceSerializer(serializers.Serializer[Any]):
    category = serializers.CharField(max_length=40)
    object_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reason = serializers.CharField(min_length=REASON_MIN_LENGTH, max_length=1000)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(min_length=REASON_MIN_LENGTH, max_length=1000)


class HoldFilterSerializer(serializers.Serializer[Any]):
    lifted = serializers.BooleanField(required=False, default=False)


@extend_schema(tags=["retention"])
class LegalHoldViewSet(viewsets.GenericViewSet):
    """Legal holds: each stops the culling of one record until it is lifted."""

    serializer_class = LegalHoldSerializer
    queryset = LegalHold.objects.none()
    lookup_value_regex = r"[0-9]+"

    def _require(self, user: Any) -> None:
        if not selectors.may_see_holds(user):
            raise NotFound

    @extend_schema(parameters=[HoldFilterSerializer])
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        self._require(user)
        query = HoldFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.holds(user, active=not query.validated_data["lifted"]))
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=LegalHold._meta.label_lower,
            object_ids=[hold.pk for hold in page],
            purpose=PURPOSE,
        )
        return self.get_paginated_response(LegalHoldSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        hold = selectors.hold_for(user, int(pk))
        if hold is None:
            access.audit_denied(user, LegalHold, pk, action="view", purpose=PURPOSE)
            raise NotFound
        audit_record(actor=user, action=AuditAction.VIEW, obj=hold, purpose=PURPOSE)
        return Response(LegalHoldSerializer(hold).data)

    @extend_schema(request=HoldPlaceSerializer, responses={201: LegalHoldSerializer})
    def create(self, request: Request) -> Response:
        """Place a hold on a record you keep (its category and id), with the reason."""
        user = staff_of(request)
        self._require(user)
        body = HoldPlaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        kind = _culled(body.validated_data["category"])
        if kind not in selectors.holdable(user):
            raise NotFound
        record = access.get_visible_or_404(
            user, kind.model, body.validated_data["object_id"], action="change", purpose=PURPOSE, audit=False
        )
        hold = services.hold_place(actor=user, record=record, reason=body.validated_data["reason"])
        return Response(LegalHoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=LegalHoldSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request: Request, pk: str) -> Response:
        """Lift a hold on a record you keep, with the reason."""
        user = staff_of(request)
        hold = selectors.hold_for(user, int(pk))
        if hold is None or hold.pk not in selectors.liftable(user, [hold]):
            access.audit_denied(user, LegalHold, pk, action="change", purpose=PURPOSE)
            raise NotFound
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fresh = services.hold_lift(actor=user, hold=hold, reason=body.validated_data["reason"])
        return Response(LegalHoldSerializer(fresh).data)
