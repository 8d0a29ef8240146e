"""The response after a shooting or an explosion over the API: the same policy, selectors, services and audit
as the pages.

The police open a response from an incident of their map and read it in full; each agency with tasks reads
the response's summary only (access.PARTIAL_FIELDS for `view_summary`: the incident's date, district and
kind, never the incident itself or the police's notes) — a different serializer, not fields hidden ad hoc —
and its own tasks, which it assigns and resolves. The police read their own tasks in full and follow another
agency's task by its status (access.PARTIAL_FIELDS for `view_status`: never its note, its assignee or who
resolved it), again through a serializer of its own. The routine behind the tasks is program structure: the
program lead and the administrator keep it, the police read it. Changes to a response or a task need
If-Match with the ETag of a read: 428 without it, 412 when someone saved in between. Routine tasks carry no
version (program structure, not case data) and change without one.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.base import program_agency, require_role
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import IF_MATCH, BoundedDateTimeField, etag, staff_of
from gvi.mapping.models import Incident, IncidentKind
from interventions import selectors
from interventions.api.base import InterventionViewSet, check_if_match, full_or_partial, id_field, saved_or_412
from interventions.models import IncidentResponse, ResponseTask, ResponseTemplateItem
from interventions.services import responses as response_services

PURPOSE = "response after an incident (API)"
ROUTINE_PURPOSE = "response routine (API)"

CHOOSE_INCIDENT = _("Choose an incident of your own group map.")
CHOOSE_RESPONSE = _("Choose an open response of your own agency.")
CHOOSE_ASSIGNEE = _("Choose staff of the agency that owns the task.")

SUMMARY_FIELDS = access.partial_fields(IncidentResponse, "view_summary")
TASK_STATUS_FIELDS = access.partial_fields(ResponseTask, "view_status")


def _name(staff: Staff | None) -> str:
    if staff is None:
        return ""
    return staff.get_full_name() or staff.get_username()


# --------------------------------------------------------------------------------------------------
# Responses


class IncidentResponseSerializer(serializers.ModelSerializer[IncidentResponse]):
    """A response in full: what the police see, with the task counts."""

    incident = serializers.IntegerField(source="incident_id", read_only=True)
    kind = serializers.ChoiceField(choices=IncidentKind.choices, read_only=True)
    owner_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)
    task_total = serializers.IntegerField(read_only=True)
    task_resolved = serializers.IntegerField(read_only=True, help_text="Done or not needed.")
    task_overdue = serializers.IntegerField(read_only=True, help_text="Still to do after the deadline.")

    class Meta:
        model = IncidentResponse
        fields = [
            "id",
            "incident",
            "occurred_at",
            "district",
            "kind",
            "status",
            "opened_at",
            "closed_at",
            "notes",
            "task_total",
            "task_resolved",
            "task_overdue",
            "owner_agency",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class IncidentResponseSummarySerializer(serializers.Serializer[IncidentResponse]):
    """What an agency with tasks sees (`view_summary`): the incident's date, district and kind, never the
    incident itself."""

    id = serializers.IntegerField(read_only=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    district = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=IncidentKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=IncidentResponse.Status.choices, read_only=True)
    opened_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, instance: IncidentResponse) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Exactly the declared fields of the partial view, whatever this class grows.
        return {name: data[name] for name in SUMMARY_FIELDS}


class ResponseOpenSerializer(serializers.Serializer[Any]):
    incident = id_field(help_text="An incident of your own group map without a response.")


class ResponseUpdateSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField(max_length=5000, allow_blank=True)


class ResponseFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=IncidentResponse.Status.choices, required=False)


@extend_schema(tags=["responses after incidents"])
class IncidentResponseViewSet(InterventionViewSet):
    """Responses after incidents: the police's in full; the agencies with tasks read the summary."""

    model = IncidentResponse
    serializer_class = IncidentResponseSerializer
    audit_purpose = PURPOSE

    @extend_schema(
        parameters=[ResponseFilterSerializer],
        description="The police's responses in full; for an agency with tasks only the summary fields: "
        + ", ".join(SUMMARY_FIELDS)
        + ".",
    )
    def list(self, request: Request) -> Response:
        user = staff_of(request)
        full = full_or_partial(user, IncidentResponse, "view_summary")
        wanted = self.filters(request, ResponseFilterSerializer).get("status", "")
        items = selectors.responses(user, status=wanted)
        if full:
            # The selector loads only the summary's columns (it serves both views): the police's rows in full.
            shown = partial(selectors.count_tasks, user)
            return self.audited_page(user, items.defer(None), on_page=shown)
        return self.audited_page(user, items, IncidentResponseSummarySerializer, detail={"access": "view_summary"})

    def _answer(self, user: Staff, response: IncidentResponse, code: int = status.HTTP_200_OK) -> Response:
        selectors.count_tasks(user, [response])
        return Response(self.get_serializer(response).data, status=code, headers={"ETag": etag(response)})

    @extend_schema(
        description="The response in full for the police; for an agency with tasks only the summary fields.",
        responses=IncidentResponseSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        response, full = selectors.response_for(user, pk, purpose=PURPOSE)
        if not full:
            return Response(IncidentResponseSummarySerializer(response).data)
        return self._answer(user, response)

    @extend_schema(request=ResponseOpenSerializer, responses={201: IncidentResponseSerializer})
    def create(self, request: Request) -> Response:
        """Open the response after an incident: the routine's tasks, each with its agency and a deadline
        counted from the time of the incident."""
        user = staff_of(request)
        require_role(user, "add", IncidentResponse)
        body = ResponseOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = access.visible(user, Incident).filter(pk=body.validated_data["incident"]).first()
        if incident is None:
            raise serializers.ValidationError({"incident": [CHOOSE_INCIDENT]})
        response = response_services.response_open(actor=user, incident=incident)
        return self._answer(user, response, status.HTTP_201_CREATED)

    def _for_change(self, request: Request, pk: str) -> IncidentResponse:
        response = access.get_visible_or_404(
            staff_of(request), IncidentResponse, pk, action="change", purpose=PURPOSE, audit=False
        )
        check_if_match(request, response)
        return response

    @extend_schema(parameters=[IF_MATCH], request=ResponseUpdateSerializer, responses=IncidentResponseSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the notes of an open response."""
        user = staff_of(request)
        response = self._for_change(request, pk)
        body = ResponseUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fresh = saved_or_412(
            lambda: response_services.response_update(
                actor=user, response=response, version=response.version, notes=body.validated_data["notes"]
            )
        )
        return self._answer(user, fresh)

    @extend_schema(parameters=[IF_MATCH], request=None, responses=IncidentResponseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Close the response once every task is done or not needed."""
        user = staff_of(request)
        response = self._for_change(request, pk)
        fresh = saved_or_412(
            lambda: response_services.response_close(actor=user, response=response, version=response.version)
        )
        return self._answer(user, fresh)


# --------------------------------------------------------------------------------------------------
# Tasks


class ResponseTaskSerializer(serializers.ModelSerializer[ResponseTask]):
    """A task of a response in full: its agency sees, assigns and resolves it (the police their own)."""

    response = serializers.IntegerField(source="response_id", read_only=True)
    owner_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)
    agency_name = serializers.CharField(source="owner_agency.name", read_only=True)
    assignee = serializers.IntegerField(source="assignee_id", read_only=True, allow_null=True)
    assignee_name = serializers.SerializerMethodField()
    resolved_by = serializers.IntegerField(source="resolved_by_id", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="Still to do after the deadline.")

    class Meta:
        model = ResponseTask
        fields = [
            "id",
            "response",
            "title",
            "description",
            "deadline",
            "owner_agency",
            "agency_name",
            "assignee",
            "assignee_name",
            "status",
            "note",
            "resolved_at",
            "resolved_by",
            "order",
            "overdue",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assignee_name(self, obj: ResponseTask) -> str:
        return _name(obj.assignee)

    def get_overdue(self, obj: ResponseTask) -> bool:
        return obj.is_overdue(self.context.get("now"))


class ResponseTaskStatusSerializer(serializers.Serializer[ResponseTask]):
    """Another agency's task as the police follow it (`view_status`): what, whose, by when and how far it got;
    never its note, its assignee or who resolved it."""

    id = serializers.IntegerField(read_only=True)
    response = serializers.IntegerField(source="response_id", read_only=True)
    title = serializers.CharField(read_only=True)
    owner_agency = serializers.IntegerField(source="owner_agency_id", read_only=True)
    deadline = serializers.DateTimeField(read_only=True)
    status = serializers.ChoiceField(choices=ResponseTask.Status.choices, read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    order = serializers.IntegerField(read_only=True)

    def to_representation(self, instance: ResponseTask) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Exactly the declared fields of the partial view, whatever this class grows.
        return {name: data[name] for name in TASK_STATUS_FIELDS}


class ResponseTaskRowSerializer(serializers.BaseSerializer[ResponseTask]):
    """A task of a list: in full where the user sees it in full, else its status only (`full` is marked by
    selectors.tasks_seen)."""

    def to_representation(self, instance: ResponseTask) -> dict[str, Any]:
        if instance.full:  # type: ignore[attr-defined]
            return dict(ResponseTaskSerializer(instance, context=self.context).data)
        return dict(ResponseTaskStatusSerializer(instance, context=self.context).data)


class TaskCreateSerializer(serializers.Serializer[Any]):
    response = id_field(help_text="An open response of your own agency.")
    title = serializers.CharField(max_length=200, allow_blank=True)
    agency = id_field(help_text="The agency of this program that owns the task.")
    deadline = BoundedDateTimeField(help_text="After the incident.")
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TaskAssignSerializer(serializers.Serializer[Any]):
    assignee = id_field(allow_null=True, help_text="Staff of the agency that owns the task; null takes it back.")


class TaskResolveSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[ResponseTask.Status.DONE, ResponseTask.Status.NOT_NEEDED])
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required when not needed."
    )


class TaskFilterSerializer(serializers.Serializer[Any]):
    response = id_field(required=False, help_text="Only the tasks of this response.")
    status = serializers.ChoiceField(choices=ResponseTask.Status.choices, required=False)
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only tasks still to do after the deadline."
    )


@extend_schema(tags=["responses after incidents"])
class ResponseTaskViewSet(InterventionViewSet):
    """Tasks after incidents: the police add them; the owning agency assigns and resolves them."""

    model = ResponseTask
    serializer_class = ResponseTaskSerializer
    audit_purpose = PURPOSE

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        parameters=[TaskFilterSerializer],
        description="The tasks you see, soonest deadline first: your agency's in full; for the police also the "
        "other agencies' tasks, each with only the status fields: " + ", ".join(TASK_STATUS_FIELDS) + ".",
    )
    def list(self, request: Request) -> Response:
        """The tasks you see, soonest deadline first: every task for the police (another agency's by its status
        only), your agency's for the others."""
        user = staff_of(request)
        require_role(user, "view", ResponseTask)
        filters = self.filters(request, TaskFilterSerializer)
        items = selectors.tasks_seen(user).select_related("owner_agency", "assignee")
        if "response" in filters:
            items = items.filter(response_id=filters["response"])
        if "status" in filters:
            items = items.filter(status=filters["status"])
        overdue = filters.get("overdue")
        if overdue is not None:
            late = {"status": ResponseTask.Status.OPEN, "deadline__lt": timezone.now()}
            items = items.filter(**late) if overdue else items.exclude(**late)
        return self.audited_page(user, items.order_by("deadline", "order", "id"), ResponseTaskRowSerializer)

    def _answer(self, task: ResponseTask, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(task).data, status=code, headers={"ETag": etag(task)})

    @extend_schema(
        description="The task in full for its agency; for the police following another agency's task only the "
        "status fields: " + ", ".join(TASK_STATUS_FIELDS) + ".",
        responses=ResponseTaskSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        task, full = selectors.task_for(staff_of(request), pk, purpose=PURPOSE)
        if not full:
            return Response(ResponseTaskStatusSerializer(task).data)
        return self._answer(task)

    @extend_schema(request=TaskCreateSerializer, responses={201: ResponseTaskSerializer})
    def create(self, request: Request) -> Response:
        """Add a task beyond the routine to an open response; its agency is told through the summary."""
        user = staff_of(request)
        require_role(user, "add", ResponseTask)
        body = TaskCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        response = access.visible(user, IncidentResponse, "change").filter(pk=data.pop("response")).first()
        if response is None:
            raise serializers.ValidationError({"response": [CHOOSE_RESPONSE]})
        agency = program_agency(user, data.pop("agency"), field="agency")
        task = response_services.response_task_add(actor=user, response=response, agency=agency, **data)
        return self._answer(task, status.HTTP_201_CREATED)

    def _for_change(self, request: Request, pk: str) -> ResponseTask:
        task = access.get_visible_or_404(
            staff_of(request), ResponseTask, pk, action="change", purpose=PURPOSE, audit=False
        )
        check_if_match(request, task)
        return task

    @extend_schema(parameters=[IF_MATCH], request=TaskAssignSerializer, responses=ResponseTaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Give an open task to a staff member of its agency, or take it back (null)."""
        user = staff_of(request)
        task = self._for_change(request, pk)
        body = TaskAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = body.validated_data["assignee"]
        assignee = None
        if wanted is not None:
            assignee = next((s for s in response_services.assignable_staff(task) if s.pk == wanted), None)
            if assignee is None:
                raise serializers.ValidationError({"assignee": [CHOOSE_ASSIGNEE]})
        fresh = saved_or_412(
            lambda: response_services.task_assign(actor=user, task=task, version=task.version, assignee=assignee)
        )
        return self._answer(fresh)

    @extend_schema(parameters=[IF_MATCH], request=TaskResolveSerializer, responses=ResponseTaskSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Mark an open task done, or not needed (with the reason)."""
        user = staff_of(request)
        task = self._for_change(request, pk)
        body = TaskResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fresh = saved_or_412(
            lambda: response_services.task_resolve(actor=user, task=task, version=task.version, **body.validated_data)
        )
        return self._answer(fresh)


# --------------------------------------------------------------------------------------------------
# The routine


class RoutineItemSerializer(serializers.ModelSerializer[ResponseTemplateItem]):
    """A task of the program's routine: what, which agency, the deadline in hours after the incident."""

    agency = serializers.IntegerField(source="agency_id", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = ResponseTemplateItem
        fields = ["id", "title", "description", "agency", "agency_name", "deadline_hours", "order", "active"]
        read_only_fields = fields


class RoutineItemWriteSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    agency = id_field(help_text="The agency of this program responsible for the task.")
    deadline_hours = serializers.IntegerField(min_value=1, max_value=response_services.MAX_HOURS)
    order = serializers.IntegerField(
        min_value=0, max_value=1000, required=False, help_text="After the last task if not given."
    )
    active = serializers.BooleanField(required=False, default=True, help_text="In use for new responses.")


@extend_schema(tags=["responses after incidents"])
class RoutineItemViewSet(InterventionViewSet):
    """The program's response routine: the program lead and the administrator keep it; the police read it.
    Responses already opened keep the tasks they were opened with."""

    model = ResponseTemplateItem
    serializer_class = RoutineItemSerializer
    audit_purpose = ROUTINE_PURPOSE

    def list(self, request: Request) -> Response:
        """The routine's tasks, in order."""
        user = staff_of(request)
        require_role(user, "view", ResponseTemplateItem)
        return self.audited_page(user, selectors.routine(user))

    def retrieve(self, request: Request, pk: str) -> Response:
        item = access.get_visible_or_404(staff_of(request), ResponseTemplateItem, pk, purpose=ROUTINE_PURPOSE)
        return Response(self.get_serializer(item).data)

    def _values(self, user: Staff, body: RoutineItemWriteSerializer) -> dict[str, Any]:
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "agency" in data:
            data["agency"] = program_agency(user, data["agency"], field="agency")
        return data

    @extend_schema(request=RoutineItemWriteSerializer, responses={201: RoutineItemSerializer})
    def create(self, request: Request) -> Response:
        """Add a task to the routine."""
        user = staff_of(request)
        require_role(user, "add", ResponseTemplateItem)
        data = self._values(user, RoutineItemWriteSerializer(data=request.data))
        item = response_services.routine_item_add(actor=user, **data)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoutineItemWriteSerializer, responses=RoutineItemSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a task of the routine."""
        user = staff_of(request)
        item = access.get_visible_or_404(
            user, ResponseTemplateItem, pk, action="change", purpose=ROUTINE_PURPOSE, audit=False
        )
        data = self._values(user, RoutineItemWriteSerializer(data=request.data, partial=True))
        item = response_services.routine_item_update(actor=user, item=item, **data)
        return Response(self.get_serializer(item).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Take a task out of the routine."""
        user = staff_of(request)
        item = access.get_visible_or_404(
            user, ResponseTemplateItem, pk, action="delete", purpose=ROUTINE_PURPOSE, audit=False
        )
        response_services.routine_item_remove(actor=user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = [
    "IncidentResponseSerializer",
    "IncidentResponseSummarySerializer",
    "IncidentResponseViewSet",
    "ResponseTaskSerializer",
    "ResponseTaskStatusSerializer",
    "ResponseTaskViewSet",
    "RoutineItemSerializer",
    "RoutineItemViewSet",
]
