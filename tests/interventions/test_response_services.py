"""The services of the response after an incident (interventions/services/responses.py) through the demo
world: the routine kept by the program lead and the administrator, a response opened from an incident with
the routine's tasks and deadlines counted from the incident (frozen time), who sees what (each agency its own
tasks and the response's summary, the police every task), assigning and resolving tasks, and closing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Agency, AgencyKind
from gvi.audit.models import AuditAction, AuditEvent
from gvi.concurrency import StaleVersion
from gvi.mapping import services as mapping
from gvi.mapping.models import Incident
from gvi.notifications.models import Notification
from interventions import selectors
from interventions.models import IncidentResponse, ResponseTask, ResponseTemplateItem
from interventions.services import responses
from interventions.services.responses import MAX_HOURS, PURPOSE, ROUTINE_PURPOSE, STANDARD_ROUTINE

TaskStatus = ResponseTask.Status
SUMMARY_FIELDS = access.PARTIAL_FIELDS[("interventions.incidentresponse", "view_summary")]


@pytest.fixture
def frozen() -> Iterator[datetime]:
    """The clock stands still at the current moment (the demo's dates are counted from it)."""
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def agency(slug: str) -> Agency:
    return Agency.objects.get(slug=slug)


def incident(
    world: dict[str, Any], *, hours_ago: float = 30, actor: str = "petra", place: str = "Ystadvägen 40"
) -> Any:
    return mapping.incident_create(
        actor=world[actor],
        kind="shooting",
        occurred_at=timezone.now() - timedelta(hours=hours_ago),
        place=place,
        district="Lindängen",
        notes="Polisens uppgifter om skytten.",
    )


def malmo_routine(world: dict[str, Any]) -> list[ResponseTemplateItem]:
    return list(selectors.routine(world["lena"]))


def fresh[M: (IncidentResponse, ResponseTask, ResponseTemplateItem)](obj: M) -> M:
    return type(obj)._default_manager.get(pk=obj.pk)


def events(obj: Any, action: str) -> Any:
    return AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk))


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(excinfo.value.message_dict)


def counted(user: Any, response: IncidentResponse) -> IncidentResponse:
    """The response as the list shows it to `user`, with the task counts computed for its page."""
    row = selectors.responses(user).get(pk=response.pk)
    selectors.count_tasks(user, [row])
    return row


def task_of(response: IncidentResponse, slug: str, order: int | None = None) -> ResponseTask:
    tasks = response.tasks.filter(owner_agency__slug=slug)
    if order is not None:
        tasks = tasks.filter(order=order)
    return tasks.order_by("order", "id").first()  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------
# The routine


def test_the_demo_routine_is_the_standard_one_per_program(world: dict[str, Any]) -> None:
    items = malmo_routine(world)
    assert [(i.agency.kind, i.deadline_hours) for i in items] == [(k, h) for _t, _d, k, h in STANDARD_ROUTINE]
    assert world["malmo_routine_item"] == items[0]
    assert all(i.program_id == world["lena"].program_id for i in items)
    # Örebro has no Kriminalvården: its routine leaves that task out.
    orebro = list(selectors.routine(world["maja"]))
    assert len(orebro) == len(STANDARD_ROUTINE) - 1
    assert AgencyKind.PRISON_SERVICE not in {i.agency.kind for i in orebro}
    assert {i.agency.slug for i in orebro} == {"orebro-kommun", "polisen-orebro"}


@pytest.mark.parametrize("name", ["lena", "ada"])
def test_the_program_lead_and_the_admin_keep_the_routine(world: dict[str, Any], name: str) -> None:
    actor = world[name]
    last = max(i.order for i in malmo_routine(world))
    item = responses.routine_item_add(
        actor=actor, title="  Samordningsmöte  ", agency=agency("malmo-stad"), deadline_hours=12, description=" Möte. "
    )
    stored = fresh(item)
    assert (stored.title, stored.description, stored.deadline_hours, stored.order, stored.active) == (
        "Samordningsmöte",
        "Möte.",
        12,
        last + 1,
        True,
    )
    assert stored.program_id == actor.program_id
    created = events(item, AuditAction.CREATE).get()
    assert (created.actor_id, created.purpose) == (actor.pk, ROUTINE_PURPOSE)
    changed = responses.routine_item_update(actor=actor, item=item, deadline_hours=6, active=False)
    assert (fresh(item).deadline_hours, fresh(item).active, changed.title) == (6, False, "Samordningsmöte")
    assert events(item, AuditAction.UPDATE).get().detail == {"fields": ["active", "deadline_hours"]}
    pk = item.pk
    responses.routine_item_remove(actor=actor, item=item)
    assert not ResponseTemplateItem.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.DELETE, object_type="interventions.responsetemplateitem", object_id=str(pk)
    ).exists()


@pytest.mark.parametrize("name", ["petra", "anders", "sara", "erik", "karin", "olof", "nils", "olle"])
def test_others_do_not_change_the_routine(world: dict[str, Any], name: str) -> None:
    item = world["malmo_routine_item"]
    before = ResponseTemplateItem.objects.count()
    with pytest.raises(Http404):
        responses.routine_item_add(actor=world[name], title="Ny", agency=agency("malmo-stad"), deadline_hours=24)
    with pytest.raises(Http404):
        responses.routine_item_update(actor=world[name], item=item, deadline_hours=1)
    with pytest.raises(Http404):
        responses.routine_item_remove(actor=world[name], item=item)
    with pytest.raises(Http404):
        responses.routine_install_standard(actor=world[name])
    assert ResponseTemplateItem.objects.count() == before
    assert fresh(item).deadline_hours == item.deadline_hours


def test_the_lead_of_another_program_does_not_change_this_routine(world: dict[str, Any]) -> None:
    item = world["malmo_routine_item"]
    with pytest.raises(Http404):
        responses.routine_item_update(actor=world["maja"], item=item, title="Örebros")
    with pytest.raises(Http404):
        responses.routine_item_remove(actor=world["maja"], item=item)
    assert fresh(item).title == item.title
    assert item not in selectors.routine(world["maja"])


@pytest.mark.parametrize(
    ("actor", "slug"),
    [
        pytest.param("lena", "polisen-orebro", id="malmo-lead-orebro-police"),
        pytest.param("maja", "kriminalvarden-malmo", id="orebro-lead-malmo-prison-service"),
    ],
)
def test_an_agency_of_another_program_is_refused(world: dict[str, Any], actor: str, slug: str) -> None:
    before = ResponseTemplateItem.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        responses.routine_item_add(actor=world[actor], title="Ny", agency=agency(slug), deadline_hours=24)
    assert errors_of(excinfo) == {"agency"}
    assert ResponseTemplateItem.objects.count() == before
    item = selectors.routine(world[actor]).first()
    assert item is not None
    with pytest.raises(ValidationError) as excinfo:
        responses.routine_item_update(actor=world[actor], item=item, agency=agency(slug))
    assert errors_of(excinfo) == {"agency"}
    assert fresh(item).agency_id == item.agency_id


@pytest.mark.parametrize(
    ("hours", "accepted"),
    [(0, False), (1, True), (72, True), (MAX_HOURS, True), (MAX_HOURS + 1, False), (-5, False)],
)
def test_the_deadline_is_from_one_hour_to_sixty_days(world: dict[str, Any], hours: int, accepted: bool) -> None:
    assert MAX_HOURS == 24 * 60
    lena, item = world["lena"], world["malmo_routine_item"]
    if accepted:
        added = responses.routine_item_add(actor=lena, title="Ny", agency=agency("malmo-stad"), deadline_hours=hours)
        assert fresh(added).deadline_hours == hours
        assert responses.routine_item_update(actor=lena, item=item, deadline_hours=hours).deadline_hours == hours
        return
    before = ResponseTemplateItem.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        responses.routine_item_add(actor=lena, title="Ny", agency=agency("malmo-stad"), deadline_hours=hours)
    assert errors_of(excinfo) == {"deadline_hours"}
    with pytest.raises(ValidationError) as excinfo:
        responses.routine_item_update(actor=lena, item=item, deadline_hours=hours)
    assert errors_of(excinfo) == {"deadline_hours"}
    assert ResponseTemplateItem.objects.count() == before
    assert fresh(item).deadline_hours == item.deadline_hours


def test_a_routine_task_has_a_title(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as excinfo:
        responses.routine_item_add(actor=world["lena"], title="  ", agency=agency("malmo-stad"), deadline_hours=24)
    assert errors_of(excinfo) == {"title"}
    with pytest.raises(ValueError, match="program"):
        responses.routine_item_update(actor=world["lena"], item=world["malmo_routine_item"], program=None)


def test_the_standard_routine_is_installed_only_while_there_is_none(world: dict[str, Any]) -> None:
    maja = world["maja"]
    with pytest.raises(ValidationError):
        responses.routine_install_standard(actor=maja)
    with pytest.raises(ValidationError):
        responses.routine_install_standard(actor=world["lena"])
    for item in selectors.routine(maja):
        responses.routine_item_remove(actor=maja, item=item)
    assert not responses.routine_exists(maja)
    assert responses.routine_first(maja) is None
    installed = responses.routine_install_standard(actor=maja)
    standard = [(k, h) for _t, _d, k, h in STANDARD_ROUTINE if k != AgencyKind.PRISON_SERVICE]
    assert [(i.agency.kind, i.deadline_hours) for i in installed] == standard
    assert {i.agency.slug for i in installed} == {"orebro-kommun", "polisen-orebro"}
    assert list(selectors.routine(maja)) == installed
    assert all(i.program_id == maja.program_id and i.active for i in installed)
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE,
        object_type="interventions.responsetemplateitem",
        object_id__in=[str(i.pk) for i in installed],
        purpose=ROUTINE_PURPOSE,
    ).count() == len(installed)
    # Malmö's routine is untouched.
    assert len(malmo_routine(world)) == len(STANDARD_ROUTINE)


# --------------------------------------------------------------------------------------------------
# Opening a response


def test_a_response_opens_with_the_routines_tasks_and_deadlines_from_the_incident(
    world: dict[str, Any], frozen: datetime
) -> None:
    petra = world["petra"]
    shooting = incident(world, hours_ago=30)
    items = malmo_routine(world)
    response = responses.response_open(actor=petra, incident=shooting)
    stored = fresh(response)
    assert (stored.occurred_at, stored.district, stored.kind, stored.status) == (
        shooting.occurred_at,
        "Lindängen",
        "shooting",
        IncidentResponse.Status.OPEN,
    )
    assert (stored.program_id, stored.owner_agency_id, stored.incident_id) == (
        petra.program_id,
        petra.agency_id,
        shooting.pk,
    )
    tasks = list(response.tasks.order_by("order", "id"))
    assert len(tasks) == len(items)
    for task, item in zip(tasks, items, strict=True):
        assert (task.title, task.description, task.owner_agency_id, task.order) == (
            item.title,
            item.description,
            item.agency_id,
            item.order,
        )
        assert task.deadline == shooting.occurred_at + timedelta(hours=item.deadline_hours)
        assert (task.status, task.assignee_id, task.program_id) == (TaskStatus.OPEN, None, petra.program_id)
    created = events(response, AuditAction.CREATE).get()
    assert created.purpose == PURPOSE
    assert created.detail == {"incident": shooting.pk, "tasks": [t.pk for t in sorted(tasks, key=lambda t: t.pk)]}
    # Thirty hours after the incident the 24-hour tasks are overdue, the 48- and 72-hour tasks are not.
    overdue = set(selectors.overdue_tasks(world["sara"]).filter(response=response))
    assert overdue == {task_of(response, "malmo-stad", 1)}
    assert not selectors.overdue_tasks(world["karin"]).filter(response=response).exists()
    assert set(selectors.overdue_tasks(petra).filter(response=response)) == {task_of(response, "polisen-malmo", 2)}
    row = counted(world["sara"], response)
    assert (row.task_total, row.task_resolved, row.task_overdue) == (3, 0, 1)  # type: ignore[attr-defined]
    row = counted(petra, response)
    assert (row.task_total, row.task_resolved, row.task_overdue) == (6, 0, 2)  # type: ignore[attr-defined]
    # Forty-three hours later (73 hours after the incident) every task is overdue.
    with time_machine.travel(frozen + timedelta(hours=43), tick=False):
        assert selectors.overdue_tasks(world["sara"]).filter(response=response).count() == 3
        assert selectors.overdue_tasks(world["karin"]).filter(response=response).count() == 1
        row = counted(petra, response)
        assert row.task_overdue == 6  # type: ignore[attr-defined]


def test_each_agency_sees_its_own_tasks_and_the_police_follow_the_others_by_status(world: dict[str, Any]) -> None:
    petra, sara, karin = world["petra"], world["sara"], world["karin"]
    response = responses.response_open(actor=petra, incident=incident(world))
    by_agency = {
        slug: set(response.tasks.filter(owner_agency__slug=slug))
        for slug in ("polisen-malmo", "malmo-stad", "kriminalvarden-malmo")
    }
    assert [len(by_agency[s]) for s in ("polisen-malmo", "malmo-stad", "kriminalvarden-malmo")] == [2, 3, 1]
    everything = set().union(*by_agency.values())

    def seen(name: str, action: str = "view") -> set[ResponseTask]:
        return set(access.visible(world[name], ResponseTask, action).filter(response=response))

    # The police: their own tasks in full; the other agencies' by their status only (never the note).
    others = everything - by_agency["polisen-malmo"]
    assert seen("petra") == seen("anders") == by_agency["polisen-malmo"]
    assert seen("petra", "view_status") == seen("anders", "view_status") == others
    marked = {t.pk: t.full for t in selectors.tasks_seen(petra).filter(response=response)}  # type: ignore[attr-defined]
    assert marked == {t.pk: t.owner_agency_id == petra.agency_id for t in everything}
    assert set(selectors.response_tasks(petra, response)) == everything
    assert seen("petra", "change") == by_agency["polisen-malmo"]
    assert seen("anders", "change") == set()
    for name in ("sara", "erik", "malin"):
        assert seen(name) == seen(name, "change") == by_agency["malmo-stad"], name
        assert seen(name, "view_status") == set(), name
    assert seen("karin") == seen("karin", "change") == by_agency["kriminalvarden-malmo"]
    assert seen("karin", "view_status") == set()
    for name in ("lena", "olof", "ada", "nils", "maja", "olle"):
        assert seen(name) == seen(name, "view_status") == set(), name
    status_grants = {
        e.object_id: e.detail
        for e in AuditEvent.objects.filter(
            action=AuditAction.GRANT,
            object_type="interventions.responsetask",
            object_id__in=[str(t.pk) for t in everything],
            legal_basis="owner of the response",
        )
    }
    assert set(status_grants) == {str(t.pk) for t in others}
    assert all(detail["permissions"] == ["view_responsetask_status"] for detail in status_grants.values())
    assert set(selectors.response_tasks(sara, response)) == by_agency["malmo-stad"]
    assert set(selectors.open_tasks(petra).filter(response=response)) == by_agency["polisen-malmo"]
    # The response: in full for the police; its summary for the agencies with tasks; nothing for the rest.
    for name in ("petra", "anders"):
        assert access.visible(world[name], IncidentResponse).filter(pk=response.pk).exists(), name
    assert access.visible(petra, IncidentResponse, "change").filter(pk=response.pk).exists()
    for name in ("sara", "erik", "malin", "karin"):
        assert access.visible(world[name], IncidentResponse, "view_summary").filter(pk=response.pk).exists(), name
        assert not access.visible(world[name], IncidentResponse).filter(pk=response.pk).exists(), name
    for name in ("lena", "olof", "ada", "nils", "maja", "olle"):
        for action in ("view", "view_summary"):
            assert not access.visible(world[name], IncidentResponse, action).filter(pk=response.pk).exists()
    summary_grants = events(response, AuditAction.GRANT).filter(legal_basis="task after an incident")
    granted_to = {label for e in summary_grants for label in e.detail["to"]}
    assert granted_to == {f"accounts.agency:{sara.agency_id}", f"accounts.agency:{karin.agency_id}"}


def test_saras_view_of_a_response_is_its_summary(world: dict[str, Any]) -> None:
    response = world["malmo_response"]
    sara, karin = world["sara"], world["karin"]
    assert set(SUMMARY_FIELDS) == {"id", "occurred_at", "district", "kind", "status", "opened_at", "closed_at"}
    assert not {"incident", "incident_id", "notes"} & set(SUMMARY_FIELDS)
    shown, full = selectors.response_for(sara, response.pk, purpose="test")
    assert not full
    values = selectors.partial_values(shown, "view_summary")
    assert set(values) == set(SUMMARY_FIELDS)
    assert (values["district"], values["occurred_at"]) == ("Rosengård", world["malmo_incident"].occurred_at)
    assert events(response, AuditAction.VIEW).filter(actor_id=sara.pk).exists()
    # The list loads the summary's columns only: not the incident, not the notes.
    row = counted(sara, response)
    concrete = {f.attname for f in IncidentResponse._meta.concrete_fields}
    assert concrete - row.get_deferred_fields() == {*SUMMARY_FIELDS, "program_id"}
    # Her agency's three tasks (crisis support done, the offer of exit and the information to do).
    assert (row.task_total, row.task_resolved, row.task_overdue) == (3, 1, 2)  # type: ignore[attr-defined]
    row = counted(karin, response)
    assert (row.task_total, row.task_resolved, row.task_overdue) == (1, 0, 1)  # type: ignore[attr-defined]
    row = counted(world["petra"], response)
    assert row.incident_id == world["malmo_incident"].pk
    assert (row.task_total, row.task_resolved, row.task_overdue) == (6, 3, 3)  # type: ignore[attr-defined]
    assert selectors.response_for(world["petra"], response.pk, purpose="test")[1]
    for name in ("lena", "nils", "olle"):
        with pytest.raises(Http404):
            selectors.response_for(world[name], response.pk, purpose="test")
        assert not selectors.responses(world[name]).exists()


def test_inactive_routine_tasks_are_left_out(world: dict[str, Any]) -> None:
    lena = world["lena"]
    items = malmo_routine(world)
    responses.routine_item_update(actor=lena, item=items[-1], active=False)  # Kriminalvården's
    responses.routine_item_update(actor=lena, item=items[0], active=False)  # the crisis support
    response = responses.response_open(actor=world["petra"], incident=incident(world))
    assert sorted(response.tasks.values_list("order", flat=True)) == sorted(i.order for i in items[1:-1])
    assert not response.tasks.filter(owner_agency__slug="kriminalvarden-malmo").exists()
    # Kriminalvården has no task, so no summary of the response either.
    assert not access.visible(world["karin"], IncidentResponse, "view_summary").filter(pk=response.pk).exists()
    assert access.visible(world["sara"], IncidentResponse, "view_summary").filter(pk=response.pk).exists()


def test_a_second_response_to_an_incident_is_refused(world: dict[str, Any]) -> None:
    before = IncidentResponse.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        responses.response_open(actor=world["petra"], incident=world["malmo_incident"])
    assert errors_of(excinfo) == {"incident"}
    shooting = incident(world)
    responses.response_open(actor=world["petra"], incident=shooting)
    tasks = ResponseTask.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        responses.response_open(actor=world["petra"], incident=shooting)
    assert errors_of(excinfo) == {"incident"}
    assert IncidentResponse.objects.count() == before + 1
    assert ResponseTask.objects.count() == tasks


def test_no_response_without_a_routine_in_use(world: dict[str, Any]) -> None:
    lena = world["lena"]
    shooting = incident(world)
    for item in malmo_routine(world):
        responses.routine_item_update(actor=lena, item=item, active=False)
    with pytest.raises(ValidationError) as excinfo:
        responses.response_open(actor=world["petra"], incident=shooting)
    assert not hasattr(excinfo.value, "error_dict")  # a message for the page, not a field's
    for item in malmo_routine(world):
        responses.routine_item_remove(actor=lena, item=item)
    with pytest.raises(ValidationError):
        responses.response_open(actor=world["petra"], incident=shooting)
    assert not IncidentResponse.objects.filter(incident=shooting).exists()
    assert not ResponseTask.objects.filter(response__incident=shooting).exists()


def test_an_incident_of_another_program_is_refused(world: dict[str, Any]) -> None:
    orebro = incident(world, actor="olle", place="Vivallagatan 3")
    with pytest.raises(ValidationError) as excinfo:
        responses.response_open(actor=world["petra"], incident=orebro)
    assert errors_of(excinfo) == {"incident"}
    assert not IncidentResponse.objects.filter(incident=orebro).exists()


@pytest.mark.parametrize("name", ["anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja", "olle"])
def test_only_the_police_coordinator_opens_a_response(world: dict[str, Any], name: str) -> None:
    shooting = Incident.objects.filter(owner_agency_id=world["petra"].agency_id, response__isnull=True).first()
    assert shooting is not None
    with pytest.raises(Http404):
        responses.response_open(actor=world[name], incident=shooting)
    assert not IncidentResponse.objects.filter(incident=shooting).exists()


# --------------------------------------------------------------------------------------------------
# Tasks


def test_a_task_is_given_to_staff_of_its_agency_who_is_told_in_the_inbox(world: dict[str, Any]) -> None:
    sara, erik = world["sara"], world["erik"]
    task = task_of(world["malmo_response"], "malmo-stad", 5)  # the information to residents, open
    assert task.status == TaskStatus.OPEN
    assert task.assignee_id is None
    assert {s.username for s in responses.assignable_staff(task)} == {"sara", "erik", "malin"}
    given = responses.task_assign(actor=sara, task=task, version=task.version, assignee=erik)
    assert (given.assignee_id, given.version) == (erik.pk, task.version + 1)
    update = events(task, AuditAction.UPDATE).get()
    assert (update.actor_id, update.purpose, update.detail) == (sara.pk, PURPOSE, {"assignee": erik.pk})
    note = Notification.objects.get(recipient=erik, key=f"response-task-{task.pk}-assigned-{given.version}")
    assert note.url.endswith(f"#task-{task.pk}")
    assert str(world["malmo_response"].pk) in note.url
    # The title names no one.
    for person_name in ("Sara", "Erik", "Rosengård", "Ystadvägen"):
        assert person_name not in note.title
    # Taken back, and given to herself: nobody is told.
    before = Notification.objects.count()
    back = responses.task_assign(actor=sara, task=given, version=given.version, assignee=None)
    assert back.assignee_id is None
    mine = responses.task_assign(actor=sara, task=back, version=back.version, assignee=sara)
    assert mine.assignee_id == sara.pk
    assert Notification.objects.count() == before
    with pytest.raises(StaleVersion):
        responses.task_assign(actor=sara, task=task, version=task.version, assignee=erik)
    assert fresh(task).assignee_id == sara.pk


@pytest.mark.parametrize("name", ["karin", "petra", "lena", "olof", "nils"])
def test_a_task_is_given_only_to_staff_of_its_agency(world: dict[str, Any], name: str) -> None:
    task = task_of(world["malmo_response"], "malmo-stad", 5)
    with pytest.raises(ValidationError) as excinfo:
        responses.task_assign(actor=world["sara"], task=task, version=task.version, assignee=world[name])
    assert errors_of(excinfo) == {"assignee"}
    assert fresh(task).assignee_id is None
    assert not Notification.objects.filter(recipient=world[name], key__startswith=f"response-task-{task.pk}-").exists()


def test_a_police_task_is_given_to_the_coordinator_not_the_analyst(world: dict[str, Any]) -> None:
    petra = world["petra"]
    response = responses.response_open(actor=petra, incident=incident(world))
    task = task_of(response, "polisen-malmo")
    assert [s.username for s in responses.assignable_staff(task)] == ["petra"]
    with pytest.raises(ValidationError) as excinfo:
        responses.task_assign(actor=petra, task=task, version=task.version, assignee=world["anders"])
    assert errors_of(excinfo) == {"assignee"}
    assert responses.task_assign(actor=petra, task=task, version=task.version, assignee=petra).assignee_id == petra.pk
    probation = world["malmo_task_probation"]
    assert [s.username for s in responses.assignable_staff(probation)] == ["karin"]


@pytest.mark.parametrize("name", ["petra", "anders", "karin", "lena", "nils"])
def test_only_the_owning_agency_assigns_its_task(world: dict[str, Any], name: str) -> None:
    task = task_of(world["malmo_response"], "malmo-stad", 5)
    with pytest.raises(Http404):
        responses.task_assign(actor=world[name], task=task, version=task.version, assignee=world["erik"])
    assert fresh(task).assignee_id is None


def test_tasks_are_resolved_by_their_agency_once(world: dict[str, Any]) -> None:
    sara, petra = world["sara"], world["petra"]
    task = world["malmo_task_exit"]
    assert task.status == TaskStatus.OPEN
    with pytest.raises(ValidationError) as excinfo:
        responses.task_resolve(actor=sara, task=task, version=task.version, status=TaskStatus.NOT_NEEDED, note=" ")
    assert errors_of(excinfo) == {"note"}
    with pytest.raises(ValidationError) as excinfo:
        responses.task_resolve(actor=sara, task=task, version=task.version, status=TaskStatus.OPEN)
    assert errors_of(excinfo) == {"status"}
    # The police see the task but do not resolve Malmö stad's; Kriminalvården does not see it.
    for name in ("petra", "anders", "karin", "lena"):
        with pytest.raises(Http404):
            responses.task_resolve(actor=world[name], task=task, version=task.version, status=TaskStatus.DONE)
    assert fresh(task).status == TaskStatus.OPEN
    resolved = responses.task_resolve(
        actor=sara, task=task, version=task.version, status=TaskStatus.NOT_NEEDED, note="  Erbjudet via polisen. "
    )
    assert (resolved.status, resolved.note, resolved.resolved_by_id) == (
        TaskStatus.NOT_NEEDED,
        "Erbjudet via polisen.",
        sara.pk,
    )
    assert resolved.resolved_at is not None
    update = events(task, AuditAction.UPDATE).order_by("-id").first()
    assert (update.actor_id, update.purpose, update.detail) == (sara.pk, PURPOSE, {"status": TaskStatus.NOT_NEEDED})
    with pytest.raises(ValidationError):
        responses.task_resolve(actor=sara, task=resolved, version=resolved.version, status=TaskStatus.DONE)
    with pytest.raises(ValidationError):
        responses.task_assign(actor=sara, task=resolved, version=resolved.version, assignee=world["erik"])
    with pytest.raises(StaleVersion):
        responses.task_resolve(actor=sara, task=task, version=task.version, status=TaskStatus.DONE)
    assert fresh(task).status == TaskStatus.NOT_NEEDED
    assert task not in selectors.open_tasks(sara)
    # Karin resolves her own; Sara cannot.
    probation = world["malmo_task_probation"]
    with pytest.raises(Http404):
        responses.task_resolve(actor=sara, task=probation, version=probation.version, status=TaskStatus.DONE)
    done = responses.task_resolve(
        actor=world["karin"], task=probation, version=probation.version, status=TaskStatus.DONE
    )
    assert (done.status, done.note) == (TaskStatus.DONE, "")
    assert petra.pk not in {done.resolved_by_id, resolved.resolved_by_id}


def test_the_police_add_a_task_beyond_the_routine(world: dict[str, Any]) -> None:
    petra, response = world["petra"], world["malmo_response"]
    deadline = response.occurred_at + timedelta(days=7)
    task = responses.response_task_add(
        actor=petra, response=response, title=" Trygghetsvandring ", agency=agency("malmo-stad"), deadline=deadline
    )
    assert (task.title, task.deadline, task.owner_agency_id, task.order) == (
        "Trygghetsvandring",
        deadline,
        world["sara"].agency_id,
        len(STANDARD_ROUTINE) + 1,
    )
    assert access.visible(world["sara"], ResponseTask, "change").filter(pk=task.pk).exists()
    assert access.visible(petra, ResponseTask, "view_status").filter(pk=task.pk).exists()
    assert not access.visible(petra, ResponseTask).filter(pk=task.pk).exists()
    assert not access.visible(petra, ResponseTask, "change").filter(pk=task.pk).exists()
    assert not access.visible(world["karin"], ResponseTask).filter(pk=task.pk).exists()
    assert events(task, AuditAction.CREATE).get().detail == {"response": response.pk}
    with pytest.raises(ValidationError) as excinfo:
        responses.response_task_add(
            actor=petra,
            response=response,
            title="",
            agency=agency("orebro-kommun"),
            deadline=response.occurred_at - timedelta(hours=1),
        )
    assert errors_of(excinfo) == {"title", "agency", "deadline"}
    for name in ("anders", "sara", "karin"):
        with pytest.raises(Http404):
            responses.response_task_add(
                actor=world[name], response=response, title="X", agency=agency("malmo-stad"), deadline=deadline
            )


def test_a_response_closes_when_every_task_is_resolved_and_then_no_longer_changes(world: dict[str, Any]) -> None:
    petra, sara, karin = world["petra"], world["sara"], world["karin"]
    response = world["malmo_response"]
    with pytest.raises(ValidationError) as excinfo:
        responses.response_close(actor=petra, response=response, version=response.version)
    assert "3" in excinfo.value.messages[0]
    assert fresh(response).status == IncidentResponse.Status.OPEN
    for name in ("sara", "karin", "anders"):
        with pytest.raises(Http404):
            responses.response_close(actor=world[name], response=response, version=response.version)
    for task in access.visible(sara, ResponseTask, "change").filter(response=response, status=TaskStatus.OPEN):
        responses.task_resolve(actor=sara, task=task, version=task.version, status=TaskStatus.DONE)
    with pytest.raises(ValidationError) as excinfo:
        responses.response_close(actor=petra, response=response, version=response.version)
    assert "1" in excinfo.value.messages[0]
    probation = world["malmo_task_probation"]
    responses.task_resolve(actor=karin, task=probation, version=probation.version, status=TaskStatus.DONE)
    noted = responses.response_update(actor=petra, response=response, version=response.version, notes=" Lugnt. ")
    assert noted.notes == "Lugnt."
    with pytest.raises(StaleVersion):
        responses.response_close(actor=petra, response=response, version=response.version)
    closed = responses.response_close(actor=petra, response=response, version=noted.version)
    assert closed.status == IncidentResponse.Status.CLOSED
    assert closed.closed_at is not None
    assert events(response, AuditAction.UPDATE).filter(detail={"status": "closed"}).exists()
    with pytest.raises(ValidationError):
        responses.response_close(actor=petra, response=closed, version=closed.version)
    with pytest.raises(ValidationError):
        responses.response_update(actor=petra, response=closed, version=closed.version, notes="Efteråt.")
    with pytest.raises(ValidationError):
        responses.response_task_add(
            actor=petra,
            response=closed,
            title="Efteråt",
            agency=agency("malmo-stad"),
            deadline=closed.occurred_at + timedelta(days=1),
        )
    # A copy read before the close does not slip a task in either.
    with pytest.raises(ValidationError):
        responses.response_task_add(
            actor=petra,
            response=noted,
            title="Efteråt",
            agency=agency("malmo-stad"),
            deadline=closed.occurred_at + timedelta(days=1),
        )
    stored = fresh(response)
    assert (stored.status, stored.notes, stored.version) == (IncidentResponse.Status.CLOSED, "Lugnt.", closed.version)
    assert stored.tasks.count() == len(STANDARD_ROUTINE)
    assert not selectors.open_tasks(sara).filter(response=response).exists()
    # Sara still sees the summary, now closed.
    shown, full = selectors.response_for(sara, response.pk, purpose="test")
    assert (full, shown.status) == (False, IncidentResponse.Status.CLOSED)
