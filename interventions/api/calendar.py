"""The calendar over the API: the same events as the calendar page (interventions.calendar.events), as far as
the policy lets the caller see them, for at most 92 days at a time (the next 30 days when no days are
asked for).

An event's `title` names no one; `detail` (a task's name) is what the page shows after it. Each event links
to its page (`url`), where access is checked again. A page of events writes one LIST audit event with the
uids it shows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from gvi.api import BoundedDateField, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from interventions import calendar

PURPOSE = "calendar (API)"
MAX_DAYS = 92
DEFAULT_DAYS = 30

END_BEFORE_START = _("The end must be on or after the start.")
TOO_LONG = _("Ask for at most %(days)s days at a time.")


class CalendarQuerySerializer(serializers.Serializer[Any]):
    start = BoundedDateField(required=False, help_text="The first day (YYYY-MM-DD); today if not given.")
    end = BoundedDateField(
        required=False,
        help_text=f"The last day (YYYY-MM-DD), at most {MAX_DAYS} days from the first counting both; "
        f"{DEFAULT_DAYS} days from the first if not given.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start: date = attrs.get("start") or timezone.localdate()
        end: date = attrs.get("end") or start + timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise serializers.ValidationError({"end": [END_BEFORE_START]})
        if end - start >= timedelta(days=MAX_DAYS):
            raise serializers.ValidationError({"end": [TOO_LONG % {"days": MAX_DAYS}]})
        return {"start": start, "end": end}


class CalendarEventSerializer(serializers.Serializer[calendar.Event]):
    uid = serializers.CharField(help_text="Stable and unique: <kind>-<id>.")
    kind = serializers.CharField(
        help_text="callin · notification · task · action · follow_up · threat_review",
    )
    title = serializers.CharField(help_text="Names no one.")
    start = serializers.DateTimeField(help_text="An all-day event starts at local midnight.")
    all_day = serializers.BooleanField()
    place = serializers.CharField(help_text="A call-in's venue; empty otherwise.")
    url = serializers.CharField(help_text="The event's page, where access is checked again.")
    detail = serializers.CharField(help_text="What the page shows after the title (a task's name).")
    overdue = serializers.BooleanField()


@extend_schema(tags=["calendar"])
class CalendarEventViewSet(viewsets.GenericViewSet):
    """The caller's calendar: call-ins, planned custom notifications, deadlines of tasks after incidents,
    planned enforcement actions and the follow-ups of exit cases."""

    filter_backends = ()
    serializer_class = CalendarEventSerializer

    @extend_schema(parameters=[CalendarQuerySerializer], responses=CalendarEventSerializer(many=True))
    def list(self, request: Request) -> Response:
        """The events from `start` through `end`, in time order."""
        user = staff_of(request)
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        first, last = query.validated_data["start"], query.validated_data["end"]
        found = calendar.events(user, first, last)
        page = self.paginate_queryset(found)
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type="calendar",  # as the calendar page: the uids of events of several kinds
            object_ids=[event.uid for event in page],
            purpose=PURPOSE,
            detail={"start": first.isoformat(), "end": last.isoformat(), "count": len(found)},
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


__all__ = ["CalendarEventSerializer", "CalendarEventViewSet"]
