"""The person timeline over the API: the same items as the page, paginated and audited the same way."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.views.timeline import audit_timeline, categories_of, person_timeline_data
from gvi.api import staff_of
from gvi.drf import StandardPagination


class TimelineItemSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="Stable and unique: <model label>:<id>[:<event>].")
    when = serializers.DateTimeField()
    date_only = serializers.BooleanField(help_text="Known to the day only: `when` is the start of that day.")
    category = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField(help_text="The page of the record, when the user may open it; empty otherwise.")
    owner_agency = serializers.IntegerField(source="owner_agency_id", allow_null=True)


class TimelinePageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TimelineItemSerializer(many=True)


class TimelineQuerySerializer(serializers.Serializer[Any]):
    category = serializers.CharField(required=False, allow_blank=True, max_length=50)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1)


class PersonTimelineView(APIView):
    """Everything the user may see about the person, newest first; identity-only viewers get 404."""

    pagination_class = StandardPagination

    @extend_schema(tags=["persons"], parameters=[TimelineQuerySerializer], responses=TimelinePageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        user = staff_of(request)
        person, items = person_timeline_data(user, pk)
        query = TimelineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        category = query.validated_data.get("category", "")
        if category:
            if category not in categories_of(items):
                raise serializers.ValidationError({"category": [_("Choose one of the categories on this timeline.")]})
            items = [item for item in items if item.category == category]
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        assert page is not None
        audit_timeline(user, person, page, category=category)
        return paginator.get_paginated_response(TimelineItemSerializer(page, many=True).data)
