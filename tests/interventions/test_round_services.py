"""The services of enforcement rounds (interventions/services/rounds.py) through the demo world: who starts,
changes and ends a round, what an agency asked to act is granted (the round's summary and its own actions,
never to social services), removing an action and the summary going with it, and recording results."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Agency
from gvi.audit.models import AuditAction, AuditEvent
from gvi.concurrency import StaleVersion
from gvi.mapping import services as mapping
from gvi.mapping.models import Incident
from interventions import selectors
from interventions.models import EnforcementAction, EnforcementRound
from interventions.services import rounds
from interventions.services.rounds import PURPOSE

Status = EnforcementAction.Status
ROUND = "interventions.enforcementround"
ACTION = "interventions.enforcementaction"
SUMMARY_FIELDS = access.PARTIAL_FIELDS[(ROUND, "view_summary")]
# Never in the summary of a round: who it is against, why, and what came of it.
POLICE_ONLY = ("group", "reason", "incidents", "evaluation")


def today() -> date:
    return timezone.localdate()


def start(world: dict[str, Any], *, actor: str = "petra", **values: Any) -> EnforcementRound:
    kwargs: dict[str, Any] = {
        "group": world["malmo_group"],
        "reason": "Gruppen sköt igen efter samtalet.",
        "incidents": [world["malmo_incident"]],
        "summary": "Ökat fokus i Rosengård under tre veckor.",
        "started_on": today() - timedelta(days=3),
        **values,
    }
    return rounds.round_start(actor=world[actor], **kwargs)


def fresh[M: (EnforcementRound, EnforcementAction)](obj: M) -> M:
    return type(obj)._default_manager.get(pk=obj.pk)


def events(obj: Any, action: str) -> Any:
    return AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk))


def orebro_incident(world: dict[str, Any]) -> Incident:
    """An incident on the Örebro police's map (another program)."""
    return mapping.incident_create(
        actor=world["olle"],
        kind="shooting",
        occurred_at=timezone.now() - timedelta(days=5),
        place="Vivallagatan",
        district="Vivalla",
    )


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(excinfo.value.message_dict)


def prison(world: dict[str, Any]) -> Agency:
    agency = world["karin"].agency
    assert agency is not None
    return agency


def police(world: dict[str, Any]) -> Agency:
    agency = world["petra"].agency
    assert agency is not None
    return agency


# --------------------------------------------------------------------------------------------------
# Starting, changing and ending a round


def test_petra_starts_a_round_held_by_the_police_and_audited(world: dict[str, Any]) -> None:
    petra = world["petra"]
    round_ = start(world)
    stored = fresh(round_)
    assert stored.status == EnforcementRound.Status.ACTIVE
    assert stored.group_id == world["malmo_group"].pk
    assert stored.started_on == today() - timedelta(days=3)
    assert (stored.program_id, stored.owner_agency_id, stored.created_by_id) == (
        petra.program_id,
        petra.agency_id,
        petra.pk,
    )
    assert list(stored.incidents.all()) == [world["malmo_incident"]]
    created = events(round_, AuditAction.CREATE).get()
    assert created.purpose == PURPOSE
    assert created.actor_id == petra.pk
    assert created.detail == {"group": world["malmo_group"].pk, "incidents": [world["malmo_incident"].pk]}
    granted = events(round_, AuditAction.GRANT).get()
    assert granted.legal_basis == "owner"
    assert f"accounts.agency:{petra.agency_id}" in granted.detail["to"]
    assert f"accounts.staff:{petra.pk}" in granted.detail["to"]
    # The police agency holds it: the coordinator changes it, the analyst reads it.
    assert access.visible(petra, EnforcementRound, "change").filter(pk=round_.pk).exists()
    assert access.visible(world["anders"], EnforcementRound).filter(pk=round_.pk).exists()
    assert not access.visible(world["anders"], EnforcementRound, "change").filter(pk=round_.pk).exists()
    # Nobody else, and no agency has been asked to act yet: not even Kriminalvården sees its summary.
    for name in ("sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja", "olle"):
        for action in ("view", "view_summary", "change"):
            assert not access.visible(world[name], EnforcementRound, action).filter(pk=round_.pk).exists(), name


def test_a_round_starts_today_when_no_date_is_given(world: dict[str, Any]) -> None:
    round_ = start(world, started_on=None, incidents=[])
    assert fresh(round_).started_on == today()
    assert not fresh(round_).incidents.exists()


@pytest.mark.parametrize("name", ["anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja", "olle"])
def test_only_the_police_coordinator_starts_a_round(world: dict[str, Any], name: str) -> None:
    before = EnforcementRound.objects.count()
    with pytest.raises(Http404):
        start(world, actor=name)
    assert EnforcementRound.objects.count() == before


@pytest.mark.parametrize("name", ["anders", "sara", "karin", "lena", "ada", "nils", "olle"])
def test_only_the_police_coordinator_changes_or_ends_a_round(world: dict[str, Any], name: str) -> None:
    round_ = world["malmo_round"]
    with pytest.raises(Http404):
        rounds.round_update(actor=world[name], round_=round_, version=round_.version, summary="Ändrad.")
    with pytest.raises(Http404):
        rounds.round_end(
            actor=world[name], round_=round_, version=round_.version, ended_on=today(), evaluation="Klart."
        )
    stored = fresh(round_)
    assert (stored.version, stored.status, stored.summary) == (round_.version, round_.status, round_.summary)


def test_a_group_of_another_program_is_refused(world: dict[str, Any]) -> None:
    before = EnforcementRound.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        start(world, group=world["orebro_group"])
    assert errors_of(excinfo) == {"group"}
    assert EnforcementRound.objects.count() == before


def test_incidents_of_another_program_are_refused_on_start_and_on_change(world: dict[str, Any]) -> None:
    other = orebro_incident(world)
    before = EnforcementRound.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        start(world, incidents=[world["malmo_incident"], other])
    assert errors_of(excinfo) == {"incidents"}
    assert EnforcementRound.objects.count() == before
    round_ = world["malmo_round"]
    with pytest.raises(ValidationError) as excinfo:
        rounds.round_update(actor=world["petra"], round_=round_, version=round_.version, incidents=[other])
    assert errors_of(excinfo) == {"incidents"}
    assert list(fresh(round_).incidents.all()) == [world["malmo_incident"]]
    assert fresh(round_).version == round_.version


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param({"reason": "   "}, "reason", id="no-reason"),
        pytest.param({"started_on": date.today() + timedelta(days=2)}, "started_on", id="in-the-future"),
        pytest.param({"started_on": date(1850, 1, 1)}, "started_on", id="out-of-range"),
    ],
)
def test_a_round_is_refused_with_a_field_error(world: dict[str, Any], values: dict[str, Any], field: str) -> None:
    before = EnforcementRound.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        start(world, **values)
    assert errors_of(excinfo) == {field}
    assert EnforcementRound.objects.count() == before


def test_petra_changes_a_round_and_the_change_is_audited(world: dict[str, Any]) -> None:
    round_ = start(world)
    incident = world["malmo_incident"]
    second = Incident.objects.filter(owner_agency_id=world["petra"].agency_id).exclude(pk=incident.pk).first()
    assert second is not None
    changed = rounds.round_update(
        actor=world["petra"],
        round_=round_,
        version=round_.version,
        summary="  Ny sammanfattning.  ",
        incidents=[incident, second],
    )
    assert changed.version == round_.version + 1
    assert changed.summary == "Ny sammanfattning."
    assert changed.reason == round_.reason
    assert set(changed.incidents.all()) == {incident, second}
    update = events(round_, AuditAction.UPDATE).get()
    assert update.purpose == PURPOSE
    assert update.detail == {"fields": ["incidents", "summary"]}
    # The same incidents again: nothing changed, nothing named.
    again = rounds.round_update(
        actor=world["petra"], round_=changed, version=changed.version, incidents=[second, incident]
    )
    assert events(round_, AuditAction.UPDATE).order_by("-id").first().detail == {"fields": []}
    assert again.version == changed.version + 1


def test_a_stale_change_of_a_round_is_refused(world: dict[str, Any]) -> None:
    round_ = start(world)
    rounds.round_update(actor=world["petra"], round_=round_, version=round_.version, summary="Först.")
    with pytest.raises(StaleVersion):
        rounds.round_update(actor=world["petra"], round_=round_, version=round_.version, summary="Sist.")
    with pytest.raises(StaleVersion):
        rounds.round_end(actor=world["petra"], round_=round_, version=round_.version, ended_on=today(), evaluation="X")
    stored = fresh(round_)
    assert (stored.summary, stored.status, stored.version) == ("Först.", EnforcementRound.Status.ACTIVE, 2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"reason": ""}, "reason", id="no-reason"),
        pytest.param({"started_on": date.today() + timedelta(days=1)}, "started_on", id="in-the-future"),
    ],
)
def test_a_change_of_a_round_is_refused_with_a_field_error(
    world: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    round_ = world["malmo_round"]
    with pytest.raises(ValidationError) as excinfo:
        rounds.round_update(actor=world["petra"], round_=round_, version=round_.version, **changes)
    assert errors_of(excinfo) == {field}
    assert fresh(round_).version == round_.version


def test_the_group_of_a_round_is_not_changed_through_an_update(world: dict[str, Any]) -> None:
    round_ = world["malmo_round"]
    with pytest.raises(ValueError, match="group"):
        rounds.round_update(actor=world["petra"], round_=round_, version=round_.version, group=world["malmo_group"])
    assert fresh(round_).group_id == round_.group_id


@pytest.mark.parametrize(
    ("ended", "evaluation", "fields"),
    [
        pytest.param(-4, "Lugnt.", {"ended_on"}, id="before-the-start"),
        pytest.param(1, "Lugnt.", {"ended_on"}, id="in-the-future"),
        pytest.param(0, "   ", {"evaluation"}, id="no-evaluation"),
        pytest.param(-4, "", {"ended_on", "evaluation"}, id="both"),
    ],
)
def test_ending_a_round_is_validated(world: dict[str, Any], ended: int, evaluation: str, fields: set[str]) -> None:
    round_ = start(world)  # started three days ago
    with pytest.raises(ValidationError) as excinfo:
        rounds.round_end(
            actor=world["petra"],
            round_=round_,
            version=round_.version,
            ended_on=today() + timedelta(days=ended),
            evaluation=evaluation,
        )
    assert errors_of(excinfo) == fields
    stored = fresh(round_)
    assert (stored.status, stored.ended_on, stored.version) == (EnforcementRound.Status.ACTIVE, None, round_.version)


def test_an_ended_round_no_longer_changes(world: dict[str, Any]) -> None:
    petra = world["petra"]
    round_ = start(world)
    planned = rounds.action_add(
        actor=petra,
        round_=round_,
        kind="supervision",
        acted_on=today() + timedelta(days=3),
        acting_agency=prison(world),
    )
    # The action planned after the end day keeps the round from ending until it moves.
    with pytest.raises(ValidationError) as refused:
        rounds.round_end(
            actor=petra, round_=round_, version=round_.version, ended_on=round_.started_on, evaluation="Lugnare."
        )
    assert "ended_on" in refused.value.message_dict
    planned = rounds.action_update(actor=petra, action=planned, version=planned.version, acted_on=round_.started_on)
    round_ = fresh(round_)
    ended = rounds.round_end(
        actor=petra, round_=round_, version=round_.version, ended_on=round_.started_on, evaluation="  Lugnare.  "
    )
    assert (ended.status, ended.ended_on, ended.evaluation) == (
        EnforcementRound.Status.ENDED,
        round_.started_on,
        "Lugnare.",
    )
    end_event = events(round_, AuditAction.UPDATE).get()
    assert (end_event.purpose, end_event.detail) == (PURPOSE, {"status": "ended"})
    with pytest.raises(ValidationError):
        rounds.round_update(actor=petra, round_=ended, version=ended.version, summary="Efteråt.")
    with pytest.raises(ValidationError):
        rounds.round_end(actor=petra, round_=ended, version=ended.version, ended_on=today(), evaluation="Igen.")
    with pytest.raises(ValidationError):
        rounds.action_add(actor=petra, round_=ended, kind="arrest", acted_on=today(), acting_agency=police(world))
    planned = fresh(planned)
    with pytest.raises(ValidationError):
        rounds.action_update(actor=petra, action=planned, version=planned.version, description="Senare.")
    with pytest.raises(ValidationError):
        rounds.action_remove(actor=petra, action=planned)
    stored = fresh(ended)
    assert (stored.version, stored.summary, stored.evaluation) == (ended.version, round_.summary, "Lugnare.")
    assert list(stored.actions.all()) == [planned]
    # Kriminalvården still records what came of its action once the round has ended.
    recorded = rounds.action_record_result(
        actor=world["karin"], action=planned, version=planned.version, status=Status.NOT_DONE, result="Ej aktuellt."
    )
    assert recorded.status == Status.NOT_DONE


def test_the_demo_round_that_ended_refuses_changes(world: dict[str, Any]) -> None:
    round_ = world["malmo_round_ended"]
    assert round_.status == EnforcementRound.Status.ENDED
    with pytest.raises(ValidationError):
        rounds.round_update(actor=world["petra"], round_=round_, version=round_.version, reason="Ny.")
    assert fresh(round_).reason == round_.reason


# --------------------------------------------------------------------------------------------------
# Actions


def test_the_agencies_that_may_act_are_the_police_and_kriminalvarden_of_the_program(world: dict[str, Any]) -> None:
    assert set(rounds.acting_agencies(world["petra"])) == {police(world), prison(world)}
    # Örebro has no Kriminalvården.
    assert [a.slug for a in rounds.acting_agencies(world["olle"])] == ["polisen-orebro"]


def test_a_police_action_stays_with_the_police(world: dict[str, Any]) -> None:
    petra = world["petra"]
    round_ = start(world)
    action = rounds.action_add(
        actor=petra,
        round_=round_,
        kind="search",
        acted_on=today() + timedelta(days=1),
        acting_agency=police(world),
        description="  Husrannsakan.  ",
    )
    stored = fresh(action)
    assert (stored.kind, stored.status, stored.description, stored.external_agency) == (
        "search",
        Status.PLANNED,
        "Husrannsakan.",
        "",
    )
    assert (stored.round_id, stored.program_id, stored.owner_agency_id) == (
        round_.pk,
        petra.program_id,
        petra.agency_id,
    )
    created = events(action, AuditAction.CREATE).get()
    assert (created.purpose, created.detail) == (PURPOSE, {"round": round_.pk, "acting_agency": petra.agency_id})
    for verb in ("view", "change", "record_result"):
        assert access.visible(petra, EnforcementAction, verb).filter(pk=action.pk).exists(), verb
    assert access.visible(world["anders"], EnforcementAction).filter(pk=action.pk).exists()
    for name in ("karin", "sara", "lena", "olle"):
        assert not access.visible(world[name], EnforcementAction).filter(pk=action.pk).exists(), name
    # The police acting themselves grants no summary to anyone.
    assert not access.visible(world["karin"], EnforcementRound, "view_summary").filter(pk=round_.pk).exists()


def test_kriminalvarden_asked_to_act_gets_the_summary_and_its_action(world: dict[str, Any]) -> None:
    petra, karin, sara = world["petra"], world["karin"], world["sara"]
    round_ = start(world)
    action = rounds.action_add(
        actor=petra,
        round_=round_,
        kind="supervision",
        acted_on=today() + timedelta(days=2),
        acting_agency=prison(world),
    )
    assert fresh(action).acting_agency_id == karin.agency_id
    # Karin: the round's summary (not the round), her action to see and record, not to change.
    assert access.visible(karin, EnforcementRound, "view_summary").filter(pk=round_.pk).exists()
    assert not access.visible(karin, EnforcementRound).filter(pk=round_.pk).exists()
    assert access.visible(karin, EnforcementAction).filter(pk=action.pk).exists()
    assert access.visible(karin, EnforcementAction, "record_result").filter(pk=action.pk).exists()
    assert not access.visible(karin, EnforcementAction, "change").filter(pk=action.pk).exists()
    assert list(selectors.round_actions(karin, round_)) == [action]
    # The police hold the action too, but the result is Kriminalvården's to record.
    assert access.visible(petra, EnforcementAction, "change").filter(pk=action.pk).exists()
    assert not access.visible(petra, EnforcementAction, "record_result").filter(pk=action.pk).exists()
    grants = events(action, AuditAction.GRANT)
    assert any(f"accounts.agency:{karin.agency_id}" in e.detail["to"] for e in grants)
    summary_grant = events(round_, AuditAction.GRANT).filter(legal_basis="asked to act in an enforcement round").get()
    assert summary_grant.detail["to"] == [f"accounts.agency:{karin.agency_id}"]
    # Social services never see a round, by role: not even when their agency were granted one.
    for name in ("sara", "erik", "malin"):
        for verb in ("view", "view_summary", "change"):
            assert not access.role_allows(world[name], verb, EnforcementRound), (name, verb)
            assert not access.visible(world[name], EnforcementRound, verb).exists(), (name, verb)
        assert not access.visible(world[name], EnforcementAction).exists(), name
    access.grant(round_, to=sara.agency, actions=("view_summary",), basis="test", actor=petra)
    assert not access.visible(sara, EnforcementRound, "view_summary").exists()


def test_karins_summary_of_a_round_holds_exactly_the_partial_fields(world: dict[str, Any]) -> None:
    karin, round_ = world["karin"], world["malmo_round"]
    assert set(SUMMARY_FIELDS) == {"id", "started_on", "status", "ended_on", "summary"}
    assert not set(POLICE_ONLY) & set(SUMMARY_FIELDS)
    listed = list(selectors.round_summaries(karin))
    assert listed == [round_]
    concrete = {f.attname for f in EnforcementRound._meta.concrete_fields}
    loaded = concrete - listed[0].get_deferred_fields()
    assert loaded == {*SUMMARY_FIELDS, "program_id"}
    assert selectors.enforcement_rounds(karin).count() == 0
    shown, full = selectors.round_for(karin, round_.pk, purpose="test")
    assert not full
    assert set(selectors.partial_values(shown, "view_summary")) == set(SUMMARY_FIELDS)
    assert events(round_, AuditAction.VIEW).filter(actor_id=karin.pk).exists()
    # The police see it in full; Sara gets the audited 404.
    assert selectors.round_for(world["petra"], round_.pk, purpose="test")[1]
    with pytest.raises(Http404):
        selectors.round_for(world["sara"], round_.pk, purpose="test")
    assert events(round_, AuditAction.DENY).filter(actor_id=world["sara"].pk).exists()


@pytest.mark.parametrize(
    ("kind", "named", "expected"),
    [
        pytest.param("kronofogden", "", "Kronofogden", id="kronofogden-by-default"),
        pytest.param("skatteverket", "", "Skatteverket", id="skatteverket-by-default"),
        pytest.param("other", "  Tullverket ", "Tullverket", id="named"),
    ],
)
def test_an_outside_authority_acts_and_the_police_record_its_result(
    world: dict[str, Any], kind: str, named: str, expected: str
) -> None:
    petra = world["petra"]
    round_ = start(world)
    action = rounds.action_add(
        actor=petra, round_=round_, kind=kind, acted_on=today() + timedelta(days=5), external_agency=named
    )
    stored = fresh(action)
    assert (stored.acting_agency_id, stored.external_agency, stored.actor_name) == (None, expected, expected)
    assert access.visible(petra, EnforcementAction, "record_result").filter(pk=action.pk).exists()
    assert not access.visible(world["karin"], EnforcementAction).filter(pk=action.pk).exists()
    assert not access.visible(world["karin"], EnforcementRound, "view_summary").filter(pk=round_.pk).exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param({"kind": "arrest"}, "acting_agency", id="nobody-acts"),
        pytest.param({"kind": "other", "external_agency": "   "}, "acting_agency", id="blank-outside-name"),
        pytest.param(
            {"kind": "arrest", "agency": "police", "external_agency": "Tullverket"}, "acting_agency", id="both"
        ),
        pytest.param({"kind": "supervision", "agency": "municipality"}, "acting_agency", id="social-services"),
        pytest.param({"kind": "arrest", "agency": "orebro"}, "acting_agency", id="another-program"),
        pytest.param({"kind": "parade", "agency": "police"}, "kind", id="unknown-kind"),
        pytest.param({"kind": "arrest", "agency": "police", "acted_on": -10}, "acted_on", id="before-the-round"),
        pytest.param({"kind": "arrest", "agency": "police", "acted_on": date(2200, 1, 1)}, "acted_on", id="range"),
    ],
)
def test_an_action_is_refused_with_a_field_error(world: dict[str, Any], values: dict[str, Any], field: str) -> None:
    round_ = start(world)  # started three days ago
    agencies = {
        "police": police(world),
        "municipality": world["sara"].agency,
        "orebro": Agency.objects.get(slug="polisen-orebro"),
    }
    acted_on = values.get("acted_on", 1)
    kwargs: dict[str, Any] = {
        "kind": values["kind"],
        "acted_on": acted_on if isinstance(acted_on, date) else today() + timedelta(days=acted_on),
        "acting_agency": agencies.get(values.get("agency", "")),
        "external_agency": values.get("external_agency", ""),
    }
    with pytest.raises(ValidationError) as excinfo:
        rounds.action_add(actor=world["petra"], round_=round_, **kwargs)
    assert field in errors_of(excinfo)
    assert not round_.actions.exists()
    assert not access.visible(world["sara"], EnforcementRound, "view_summary").exists()


@pytest.mark.parametrize("name", ["anders", "sara", "karin", "lena", "ada", "olle"])
def test_only_the_police_coordinator_adds_an_action(world: dict[str, Any], name: str) -> None:
    round_ = world["malmo_round"]
    before = round_.actions.count()
    with pytest.raises(Http404):
        rounds.action_add(
            actor=world[name], round_=round_, kind="supervision", acted_on=today(), acting_agency=prison(world)
        )
    assert round_.actions.count() == before


def test_a_planned_action_is_changed_by_the_police_only(world: dict[str, Any]) -> None:
    action = world["malmo_action_supervision"]
    with pytest.raises(Http404):
        rounds.action_update(actor=world["karin"], action=action, version=action.version, description="Ändrat.")
    with pytest.raises(ValueError, match="acting_agency"):
        rounds.action_update(actor=world["petra"], action=action, version=action.version, acting_agency=police(world))
    changed = rounds.action_update(
        actor=world["petra"], action=action, version=action.version, acted_on=today() + timedelta(days=4)
    )
    assert (changed.acted_on, changed.version, changed.acting_agency_id) == (
        today() + timedelta(days=4),
        action.version + 1,
        world["karin"].agency_id,
    )
    assert events(action, AuditAction.UPDATE).get().detail == {"fields": ["acted_on"]}
    with pytest.raises(StaleVersion):
        rounds.action_update(actor=world["petra"], action=action, version=action.version, description="Gammal.")
    done = world["malmo_action_arrest"]
    with pytest.raises(ValidationError):
        rounds.action_update(actor=world["petra"], action=done, version=done.version, description="Efteråt.")


def test_removing_kriminalvardens_last_action_revokes_the_summary(world: dict[str, Any]) -> None:
    petra, karin = world["petra"], world["karin"]
    round_ = start(world)
    first, second = (
        rounds.action_add(
            actor=petra, round_=round_, kind=kind, acted_on=today() + timedelta(days=1), acting_agency=prison(world)
        )
        for kind in ("supervision", "other")
    )
    summaries = access.visible(karin, EnforcementRound, "view_summary")
    with pytest.raises(Http404):
        rounds.action_remove(actor=karin, action=first)
    first_pk = first.pk
    rounds.action_remove(actor=petra, action=first)
    assert not EnforcementAction.objects.filter(pk=first_pk).exists()
    deleted = AuditEvent.objects.get(action=AuditAction.DELETE, object_type=ACTION, object_id=str(first_pk))
    assert (deleted.purpose, deleted.detail) == (PURPOSE, {"round": round_.pk})
    # One action left: Kriminalvården keeps the summary.
    assert summaries.filter(pk=round_.pk).exists()
    assert not events(round_, AuditAction.REVOKE).exists()
    assert list(access.visible(karin, EnforcementAction).filter(round=round_)) == [second]
    rounds.action_remove(actor=petra, action=second)
    assert not summaries.filter(pk=round_.pk).exists()
    revoke = events(round_, AuditAction.REVOKE).get()
    assert revoke.detail["from"] == [f"accounts.agency:{karin.agency_id}"]
    # The police still hold the round.
    assert access.visible(petra, EnforcementRound, "change").filter(pk=round_.pk).exists()


def test_removing_a_police_action_revokes_nothing(world: dict[str, Any]) -> None:
    petra = world["petra"]
    round_ = world["malmo_round"]
    action = rounds.action_add(actor=petra, round_=round_, kind="arrest", acted_on=today(), acting_agency=police(world))
    rounds.action_remove(actor=petra, action=action)
    assert not events(round_, AuditAction.REVOKE).exists()
    assert access.visible(world["karin"], EnforcementRound, "view_summary").filter(pk=round_.pk).exists()


def test_a_recorded_action_is_not_removed(world: dict[str, Any]) -> None:
    done = world["malmo_action_arrest"]
    with pytest.raises(ValidationError):
        rounds.action_remove(actor=world["petra"], action=done)
    assert EnforcementAction.objects.filter(pk=done.pk).exists()


def test_karin_records_the_result_of_her_action_once(world: dict[str, Any]) -> None:
    karin = world["karin"]
    action = world["malmo_action_supervision"]  # planned two days from now
    # Done in the future: refused unless she gives the day it was done.
    with pytest.raises(ValidationError) as excinfo:
        rounds.action_record_result(
            actor=karin, action=action, version=action.version, status=Status.DONE, result="Tätare besök."
        )
    assert errors_of(excinfo) == {"acted_on"}
    with pytest.raises(ValidationError) as excinfo:
        rounds.action_record_result(actor=karin, action=action, version=action.version, status=Status.DONE, result=" ")
    assert "result" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        rounds.action_record_result(
            actor=karin, action=action, version=action.version, status=Status.PLANNED, result="X", acted_on=today()
        )
    assert errors_of(excinfo) == {"status"}
    assert fresh(action).status == Status.PLANNED
    recorded = rounds.action_record_result(
        actor=karin,
        action=action,
        version=action.version,
        status=Status.DONE,
        result="  Tätare besök och drogtester.  ",
        acted_on=today(),
    )
    assert (recorded.status, recorded.result, recorded.acted_on, recorded.version) == (
        Status.DONE,
        "Tätare besök och drogtester.",
        today(),
        action.version + 1,
    )
    assert recorded.result_recorded_at is not None
    update = events(action, AuditAction.UPDATE).get()
    assert (update.actor_id, update.purpose, update.detail) == (karin.pk, PURPOSE, {"status": Status.DONE})
    assert not selectors.actions_to_record(karin).exists()
    with pytest.raises(ValidationError):
        rounds.action_record_result(
            actor=karin, action=recorded, version=recorded.version, status=Status.NOT_DONE, result="Igen."
        )
    with pytest.raises(StaleVersion):
        rounds.action_record_result(
            actor=karin, action=action, version=action.version, status=Status.NOT_DONE, result="Gammal."
        )
    assert fresh(action).result == "Tätare besök och drogtester."


def test_results_are_recorded_by_the_acting_agency_only(world: dict[str, Any]) -> None:
    supervision, kronofogden = world["malmo_action_supervision"], world["malmo_action_kronofogden"]
    police_action = rounds.action_add(
        actor=world["petra"],
        round_=world["malmo_round"],
        kind="detention",
        acted_on=today(),
        acting_agency=police(world),
    )
    cases = [
        ("karin", police_action),
        ("karin", kronofogden),
        ("petra", supervision),
        ("anders", police_action),
        ("sara", supervision),
        ("lena", supervision),
    ]
    for name, action in cases:
        with pytest.raises(Http404):
            rounds.action_record_result(
                actor=world[name], action=action, version=action.version, status=Status.NOT_DONE, result="Nej."
            )
        assert fresh(action).status == Status.PLANNED, (name, action)
    assert set(selectors.actions_to_record(world["karin"])) == {supervision}
    assert set(selectors.actions_to_record(world["petra"])) == {kronofogden, police_action}
    recorded = rounds.action_record_result(
        actor=world["petra"], action=kronofogden, version=kronofogden.version, status=Status.NOT_DONE, result="Nej."
    )
    assert recorded.status == Status.NOT_DONE


def test_an_action_is_not_added_to_a_round_ended_since_the_caller_read_it(world: dict[str, Any]) -> None:
    petra = world["petra"]
    round_ = start(world)
    read_before = fresh(round_)
    rounds.round_end(actor=petra, round_=round_, version=round_.version, ended_on=today(), evaluation="Klart.")
    assert read_before.status == EnforcementRound.Status.ACTIVE  # the caller's copy
    with pytest.raises(ValidationError):
        rounds.action_add(
            actor=petra, round_=read_before, kind="supervision", acted_on=today(), acting_agency=prison(world)
        )
    assert not round_.actions.exists()
    assert not access.visible(world["karin"], EnforcementRound, "view_summary").filter(pk=round_.pk).exists()


def test_an_action_recorded_since_the_caller_read_it_is_not_removed(world: dict[str, Any]) -> None:
    action = world["malmo_action_supervision"]
    read_before = fresh(action)
    rounds.action_record_result(
        actor=world["karin"],
        action=action,
        version=action.version,
        status=Status.DONE,
        result="Tätare besök.",
        acted_on=today(),
    )
    assert read_before.status == Status.PLANNED  # the caller's copy
    with pytest.raises(ValidationError):
        rounds.action_remove(actor=world["petra"], action=read_before)
    assert fresh(action).result == "Tätare besök."
    assert not AuditEvent.objects.filter(action=AuditAction.DELETE, object_type=ACTION, object_id=str(action.pk))
    assert access.visible(world["karin"], EnforcementRound, "view_summary").filter(pk=action.round_id).exists()


def test_a_round_does_not_move_its_start_past_its_actions(world: dict[str, Any]) -> None:
    round_ = world["malmo_round"]  # started 14 days ago, the arrest 12 days ago
    arrest = world["malmo_action_arrest"]
    assert arrest.acted_on == today() - timedelta(days=12)
    with pytest.raises(ValidationError) as excinfo:
        rounds.round_update(
            actor=world["petra"], round_=round_, version=round_.version, started_on=today() - timedelta(days=11)
        )
    assert errors_of(excinfo) == {"started_on"}
    assert fresh(round_).started_on == round_.started_on
    moved = rounds.round_update(actor=world["petra"], round_=round_, version=round_.version, started_on=arrest.acted_on)
    assert moved.started_on == arrest.acted_on
