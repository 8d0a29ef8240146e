"""Second adversarial review of the issue-11 fixes (git diff 483c745..HEAD): each test names a defect, says what is
wrong and what is right, and asserts the right behaviour (it fails until the defect is fixed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from interventions.models import EnforcementAction, EnforcementRound
from interventions.services import rounds as round_services


def _clear_planned_future_actions(world: dict[str, Any], round_: EnforcementRound) -> None:
    """Grupp Vargen's round without its two actions planned after today (Kronofogden +5, supervision +2)."""
    for key in ("malmo_action_kronofogden", "malmo_action_supervision"):
        round_services.action_remove(actor=world["petra"], action=EnforcementAction.objects.get(pk=world[key].pk))


@pytest.mark.django_db
def test_a_round_cannot_end_before_an_action_it_carried_out(world: dict[str, Any]) -> None:
    """Defect: services/rounds.py round_end (lines 178-182, new in ba8f3ef) refuses an end before a *planned*
    action only. Grupp Vargen's round started 14 days ago and its arrest was carried out 12 days ago; ending the
    round 13 days ago is accepted, so the round is recorded as over a day before its own arrest. The reports then
    count that arrest in a period after the round's end (reports/metrics.py enforcement_metrics counts actions by
    `acted_on`, rounds by `ended_on`), and the round page shows an action outside its round. round_update and
    _action_errors already keep actions on or after the start. Right: an end before any of the round's actions
    (planned or carried out) is refused with a field error on `ended_on`."""
    round_ = EnforcementRound.objects.get(pk=world["malmo_round"].pk)
    _clear_planned_future_actions(world, round_)
    round_.refresh_from_db()
    arrest = EnforcementAction.objects.get(pk=world["malmo_action_arrest"].pk)
    assert arrest.status == EnforcementAction.Status.DONE
    with pytest.raises(ValidationError) as refused:
        round_services.round_end(
            actor=world["petra"],
            round_=round_,
            version=round_.version,
            ended_on=arrest.acted_on - timedelta(days=1),
            evaluation="Gripandena gav lugn i området.",
        )
    assert "ended_on" in refused.value.message_dict
    assert EnforcementRound.objects.get(pk=round_.pk).status == EnforcementRound.Status.ACTIVE


@pytest.mark.django_db
def test_a_result_recorded_after_the_end_cannot_date_the_action_after_the_round(world: dict[str, Any]) -> None:
    """Defect: services/rounds.py action_record_result (lines 333-338) checks a corrected `acted_on` against the
    round's start and today, not against its end. Kriminalvården's supervision was planned 5 days ago, the police
    ended the round 3 days ago (allowed: nothing planned after that day), and Karin then records the supervision
    as carried out yesterday: accepted, so the ended round gains an action after its end — exactly what the new
    rule in round_end ("a round ends only after its planned actions") is meant to prevent, reached through the
    result instead. Right: on an ended round the date of the action falls on or before the end (field error on
    `acted_on`), like it falls on or after the start."""
    petra, karin, today = world["petra"], world["karin"], timezone.localdate()
    round_ = EnforcementRound.objects.get(pk=world["malmo_round"].pk)
    # The new action first, so that Kriminalvården keeps the round's summary throughout.
    supervision = round_services.action_add(
        actor=petra,
        round_=round_,
        kind=EnforcementAction.Kind.SUPERVISION,
        acted_on=today - timedelta(days=5),
        acting_agency=karin.agency,
    )
    _clear_planned_future_actions(world, round_)
    round_.refresh_from_db()
    ended_on = today - timedelta(days=3)
    round_services.round_end(
        actor=petra, round_=round_, version=round_.version, ended_on=ended_on, evaluation="Lugnt i området."
    )
    supervision.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        round_services.action_record_result(
            actor=karin,
            action=supervision,
            version=supervision.version,
            status=EnforcementAction.Status.DONE,
            result="Tätare besök genomförda.",
            acted_on=today - timedelta(days=1),
        )
    assert "acted_on" in refused.value.message_dict
    assert EnforcementAction.objects.get(pk=supervision.pk).status == EnforcementAction.Status.PLANNED
