"""Enforcement-round pages: Petra starts a round against a group from its page, logs actions for the police,
for Kriminalvården and for Kronofogden, changes and removes planned ones, and ends the round with an
evaluation. Karin (Kriminalvården) sees the round's summary and her agency's action, records its result, and
never the group, the reason, the incidents or the evaluation. Sara and everyone outside get 404 on every
route; lists and pages run a fixed, small number of queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping.models import Group, Incident
from gvi.mapping.services import group_create
from interventions.models import EnforcementAction, EnforcementRound
from interventions.services import rounds as services
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured warm, the same for few and many rounds and actions, for the police and for Karin (the budget of
# every page is 15). The list: session, user, device, the actions to record and their event, count, rows, the
# list event, session save (with its savepoint). The page: the same three, the round and its view event, the
# actions, the recordable ones, the change check (the police), the incidents (the police), session save.
LIST_QUERIES = 11
DETAIL_QUERIES = 13

SECRET_REASON = "Informatören Kalle berättade om vapengömman"
SECRET_EVALUATION = "Vapengömman i källaren på Ystadvägen tömdes"
SUMMARY = "Ökat fokus i Lindängen under fyra veckor."

ROUTES_ON_ROUND = ("round-detail", "round-edit", "round-end", "action-add")
ROUTES_ON_ACTION = ("action-edit", "action-remove", "action-result")


def _url(name: str, *args: Any) -> str:
    return reverse(f"interventions:{name}", args=args)


def _today() -> date:
    return timezone.localdate()


def _fresh[M: (EnforcementRound, EnforcementAction)](obj: M) -> M:
    return type(obj)._default_manager.get(pk=obj.pk)


def _start(world: dict[str, Any], **values: Any) -> EnforcementRound:
    arguments: dict[str, Any] = {
        "actor": world["petra"],
        "group": world["malmo_group"],
        "reason": SECRET_REASON,
        "summary": SUMMARY,
        "incidents": [world["malmo_incident"]],
        "started_on": _today() - timedelta(days=3),
    }
    return services.round_start(**(arguments | values))


def _ask_karin(world: dict[str, Any], round_: EnforcementRound, *, days: int = 1) -> EnforcementAction:
    return services.action_add(
        actor=world["petra"],
        round_=round_,
        kind="supervision",
        acted_on=_today() + timedelta(days=days),
        acting_agency=world["karin"].agency,
        description="Tätare besök hos klienterna.",
    )


# --- Starting a round -------------------------------------------------------------------------------


def test_petra_starts_a_round_from_the_groups_page(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    group, incident = world["malmo_group"], world["malmo_incident"]
    page = petra.get(_url("round-create") + f"?group={group.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["group"].value() == group.pk
    assert f'<option value="{group.pk}" selected>' in page.content.decode()
    assert incident.pk in {choice.pk for choice in form.fields["incidents"].queryset}

    response = petra.post(
        _url("round-create"),
        {
            "group": group.pk,
            "reason": SECRET_REASON,
            "summary": SUMMARY,
            "started_on": _today().isoformat(),
            "incidents": [incident.pk],
        },
    )
    round_ = EnforcementRound.objects.exclude(pk__in=[world["malmo_round"].pk, world["malmo_round_ended"].pk]).get()
    assert response.status_code == 302
    assert response["Location"] == _url("round-detail", round_.pk)
    assert round_.group == group
    assert list(round_.incidents.all()) == [incident]

    body = petra.get(response["Location"]).content.decode()
    assert group.name in body
    assert SECRET_REASON in body
    assert _url("action-add", round_.pk) in body
    assert reverse("mapping:incident-detail", args=[incident.pk]) in body


def test_the_form_offers_only_the_last_years_incidents(world: dict[str, Any], as_user: ClientFor) -> None:
    old = world["malmo_incident"]
    Incident.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=400))
    page = as_user("petra").get(_url("round-create"))
    assert old.pk not in {incident.pk for incident in page.context["form"].fields["incidents"].queryset}
    # Changing a round that names it keeps it on offer.
    edit = as_user("petra").get(_url("round-edit", world["malmo_round"].pk))
    assert old.pk in {incident.pk for incident in edit.context["form"].fields["incidents"].queryset}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"started_on": "2999-01-01"}, "started_on"),
        ({"started_on": "0001-01-01"}, "started_on"),
        ({"started_on": "not a date"}, "started_on"),
        ({"group": "99999999999999999999"}, "group"),
        ({"incidents": ["99999999999999999999"]}, "incidents"),
        ({"incidents": ["abc"]}, "incidents"),
    ],
)
def test_bad_input_on_the_start_form_is_a_field_error(
    world: dict[str, Any], as_user: ClientFor, change: dict[str, Any], field: str
) -> None:
    data = {"group": world["malmo_group"].pk, "reason": "Skäl.", "started_on": _today().isoformat()} | change
    response = as_user("petra").post(_url("round-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert EnforcementRound.objects.count() == 2


def test_the_groups_page_offers_to_start_a_round_to_whoever_may(world: dict[str, Any], as_user: ClientFor) -> None:
    group = world["malmo_group"]
    link = _url("round-create") + f"?group={group.pk}"
    for username, shown in (("petra", True), ("anders", False)):
        page = as_user(username).get(reverse("mapping:group-detail", args=[group.pk]))
        assert (link in page.content.decode()) is shown, username


# --- The police's page and list ---------------------------------------------------------------------


def test_the_police_see_everything_and_only_petra_changes(world: dict[str, Any], as_user: ClientFor) -> None:
    round_ = world["malmo_round"]
    for username in ("petra", "anders"):
        page = as_user(username).get(_url("round-detail", round_.pk))
        body = page.content.decode()
        assert page.status_code == 200
        assert page.context["round"] == round_
        assert round_.group.name in body
        assert round_.reason in body
        assert round_.summary in body
        assert reverse("mapping:incident-detail", args=[world["malmo_incident"].pk]) in body
        assert {row["action"] for row in page.context["rows"]} == {
            world["malmo_action_arrest"],
            world["malmo_action_kronofogden"],
            world["malmo_action_supervision"],
        }
        may = username == "petra"
        assert (_url("round-edit", round_.pk) in body) is may
        assert (_url("round-end", round_.pk) in body) is may
        assert (_url("action-add", round_.pk) in body) is may
        assert (_url("action-remove", world["malmo_action_kronofogden"].pk) in body) is may
        # The police record the outside authority's result, never Kriminalvården's.
        assert (_url("action-result", world["malmo_action_kronofogden"].pk) in body) is may
        assert _url("action-result", world["malmo_action_supervision"].pk) not in body
        # A done action no longer changes.
        assert _url("action-edit", world["malmo_action_arrest"].pk) not in body


def test_the_police_list_filters_sorts_and_counts_actions(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    listing = petra.get(_url("round-list"))
    rows = {round_.pk: round_ for round_ in listing.context["rows"]}
    assert set(rows) == {world["malmo_round"].pk, world["malmo_round_ended"].pk}
    assert rows[world["malmo_round"].pk].action_count == 3
    assert "Grupp Vargen" in listing.content.decode()
    # Petra records the outside authority's result: it waits on her list too.
    assert [a.pk for a in listing.context["to_record"]] == [world["malmo_action_kronofogden"].pk]

    active = petra.get(_url("round-list") + "?status=active")
    assert [r.pk for r in active.context["rows"]] == [world["malmo_round"].pk]
    by_group = petra.get(_url("round-list") + "?sort=group")
    assert [r.group.name for r in by_group.context["rows"]] == ["Grupp Falken", "Grupp Vargen"]
    reverse_group = petra.get(_url("round-list") + "?sort=-group")
    assert [r.group.name for r in reverse_group.context["rows"]] == ["Grupp Vargen", "Grupp Falken"]
    # A hand-edited filter or sort is ignored, never an error.
    odd = petra.get(_url("round-list") + "?status=nonsense&sort=reason&page=999999999999999999999")
    assert odd.status_code == 200
    assert len(odd.context["rows"]) == 2
    empty = petra.get(_url("round-list") + "?status=ended&sort=started")
    assert [r.pk for r in empty.context["rows"]] == [world["malmo_round_ended"].pk]


def test_the_list_writes_one_event_with_the_rounds_it_shows(world: dict[str, Any], as_user: ClientFor) -> None:
    as_user("karin").get(_url("round-list"))
    events = list(AuditEvent.objects.filter(actor_id=world["karin"].pk, action=AuditAction.LIST).order_by("id"))
    assert [(e.object_type, e.object_ids) for e in events] == [
        ("interventions.enforcementaction", [str(world["malmo_action_supervision"].pk)]),
        ("interventions.enforcementround", [str(world["malmo_round"].pk)]),
    ]
    assert events[-1].detail["access"] == "view_summary"


def _group(world: dict[str, Any], number: int) -> Group:
    """Another group of the police's map: a group has one active round at a time."""
    return group_create(actor=world["anders"], name=f"Grupp Test {number}", district="Fosie")


def test_the_list_is_paginated(world: dict[str, Any], as_user: ClientFor) -> None:
    for n in range(51):
        _start(world, group=_group(world, n))
    petra = as_user("petra")
    first = petra.get(_url("round-list"))
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 53
    second = petra.get(_url("round-list") + "?page=2")
    assert len(second.context["rows"]) == 3


# --- What Kriminalvården sees -----------------------------------------------------------------------


def test_karin_never_sees_the_group_the_reason_the_incidents_or_the_evaluation(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    round_ = _start(world)
    _ask_karin(world, round_, days=-1)
    services.round_end(
        actor=world["petra"],
        round_=round_,
        version=_fresh(round_).version,
        ended_on=_today(),
        evaluation=SECRET_EVALUATION,
    )
    incident = world["malmo_incident"]
    karin = as_user("karin")
    page = karin.get(_url("round-detail", round_.pk))
    assert page.status_code == 200
    assert "round" not in page.context
    assert set(page.context["summary"]) == {"id", "started_on", "status", "ended_on", "summary", "status_label"}
    body = page.content.decode()
    assert SUMMARY in body
    assert "Tätare besök hos klienterna." in body
    assert incident.place
    assert incident.district
    for secret in (
        round_.group.name,
        SECRET_REASON,
        SECRET_EVALUATION,
        incident.place,
        incident.district,
        reverse("mapping:group-detail", args=[round_.group_id]),
        reverse("mapping:incident-detail", args=[incident.pk]),
    ):
        assert secret not in body, secret
    listing = karin.get(_url("round-list")).content.decode()
    assert SUMMARY in listing
    for secret in (round_.group.name, "Grupp Vargen", SECRET_REASON, SECRET_EVALUATION):
        assert secret not in listing, secret
    # The police see all of it.
    police = as_user("petra").get(_url("round-detail", round_.pk)).content.decode()
    assert SECRET_EVALUATION in police
    assert SECRET_REASON in police


def test_karin_sees_only_her_agencys_actions(world: dict[str, Any], as_user: ClientFor) -> None:
    page = as_user("karin").get(_url("round-detail", world["malmo_round"].pk))
    actions = [action for action, _form, _step in page.context["rows"]]
    assert actions == [world["malmo_action_supervision"]]
    body = page.content.decode()
    assert world["malmo_action_arrest"].result not in body
    assert "Kronofogden" not in body
    assert as_user("karin").get(_url("round-detail", world["malmo_round_ended"].pk)).status_code == 404


def test_karin_records_the_result_of_her_action(world: dict[str, Any], as_user: ClientFor) -> None:
    karin = as_user("karin")
    action = world["malmo_action_supervision"]
    page = karin.get(_url("round-detail", world["malmo_round"].pk))
    (_action, form, _step) = page.context["rows"][0]
    assert form is not None
    assert _url("action-result", action.pk) in page.content.decode()
    listing = karin.get(_url("round-list"))
    assert [a.pk for a in listing.context["to_record"]] == [action.pk]

    # Refused: no result; the page shows the form's error and changes nothing.
    refused = karin.post(_url("action-result", action.pk), {"status": "done", "result": " ", "version": action.version})
    assert refused.status_code == 200
    assert refused.context["form"].errors["result"]
    assert _fresh(action).status == EnforcementAction.Status.PLANNED
    # Refused: a day ahead.
    ahead = (_today() + timedelta(days=1)).isoformat()
    refused = karin.post(
        _url("action-result", action.pk),
        {"status": "done", "result": "Klart.", "acted_on": ahead, "version": action.version},
    )
    assert refused.context["form"].errors["acted_on"]

    response = karin.post(
        _url("action-result", action.pk),
        {
            "status": "done",
            "result": "Två klienter lämnade positiva prov.",
            "acted_on": _today().isoformat(),
            "version": action.version,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _url("round-detail", world["malmo_round"].pk)
    action = _fresh(action)
    assert action.status == EnforcementAction.Status.DONE
    assert action.acted_on == _today()
    page = karin.get(_url("round-detail", world["malmo_round"].pk))
    assert page.context["rows"][0][1] is None
    assert "Två klienter lämnade positiva prov." in page.content.decode()
    assert not karin.get(_url("round-list")).context["to_record"]
    # A second submit goes back to the round with the reason.
    again = karin.post(
        _url("action-result", action.pk), {"status": "not_done", "result": "Nej.", "version": action.version}
    )
    assert again.status_code == 302
    assert _fresh(action).result == "Två klienter lämnade positiva prov."


def test_karin_sees_a_round_once_asked_and_no_longer_once_her_action_is_removed(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    round_ = _start(world)
    karin, petra = as_user("karin"), as_user("petra")
    assert karin.get(_url("round-detail", round_.pk)).status_code == 404

    response = petra.post(
        _url("action-add", round_.pk),
        {
            "kind": "supervision",
            "acted_on": _today().isoformat(),
            "acting_agency": world["karin"].agency_id,
            "description": "Drogtester.",
        },
    )
    assert response.status_code == 302
    action = EnforcementAction.objects.get(round=round_)
    assert action.acting_agency_id == world["karin"].agency_id
    assert karin.get(_url("round-detail", round_.pk)).status_code == 200

    confirm = petra.get(_url("action-remove", action.pk))
    assert confirm.status_code == 200
    assert "Remove the planned action" in confirm.content.decode()
    assert EnforcementAction.objects.filter(pk=action.pk).exists()
    response = petra.post(_url("action-remove", action.pk))
    assert response["Location"] == _url("round-detail", round_.pk)
    assert not EnforcementAction.objects.filter(pk=action.pk).exists()
    assert karin.get(_url("round-detail", round_.pk)).status_code == 404


# --- Actions ------------------------------------------------------------------------------------------


def test_petra_logs_an_outside_authoritys_action_and_records_its_result(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    round_ = _start(world)
    petra = as_user("petra")
    page = petra.get(_url("action-add", round_.pk))
    agencies = {agency.pk for agency in page.context["form"].fields["acting_agency"].queryset}
    assert agencies == {world["petra"].agency_id, world["karin"].agency_id}
    assert world["sara"].agency_id not in agencies

    # Refused: an agency and an outside authority both; social services are not on offer.
    for refused_data in (
        {"acting_agency": world["petra"].agency_id, "external_agency": "Skatteverket"},
        {"acting_agency": world["sara"].agency_id},
        {"kind": "other"},
    ):
        data = {"kind": "skatteverket", "acted_on": _today().isoformat(), "description": ""} | refused_data
        refused = petra.post(_url("action-add", round_.pk), data)
        assert refused.status_code == 200
        assert refused.context["form"].errors
    assert not EnforcementAction.objects.filter(round=round_).exists()

    response = petra.post(
        _url("action-add", round_.pk), {"kind": "skatteverket", "acted_on": _today().isoformat(), "description": ""}
    )
    assert response.status_code == 302
    action = EnforcementAction.objects.get(round=round_)
    assert action.external_agency == "Skatteverket"

    response = petra.post(
        _url("action-edit", action.pk),
        {
            "kind": "skatteverket",
            "acted_on": _today().isoformat(),
            "description": "Granskning.",
            "version": action.version,
        },
    )
    assert response.status_code == 302
    action = _fresh(action)
    assert action.description == "Granskning."

    response = petra.post(
        _url("action-result", action.pk),
        {"status": "not_done", "result": "Inget att hämta.", "version": action.version},
    )
    assert response.status_code == 302
    action = _fresh(action)
    assert action.status == EnforcementAction.Status.NOT_DONE
    # Done or not carried out, it no longer changes: back to the round with the reason.
    for name in ("action-edit", "action-remove"):
        response = petra.get(_url(name, action.pk), follow=True)
        assert "no longer changes" in response.content.decode()


def test_a_stale_action_edit_shows_the_saved_version(world: dict[str, Any], as_user: ClientFor) -> None:
    action = world["malmo_action_kronofogden"]
    services.action_update(actor=world["petra"], action=action, version=action.version, description="Utmätning.")
    response = as_user("petra").post(
        _url("action-edit", action.pk),
        {
            "kind": "kronofogden",
            "acted_on": _today().isoformat(),
            "description": "Min text.",
            "version": action.version,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Someone else saved this action" in body
    assert "Utmätning." in body
    assert "Min text." in body
    assert response.context["form"]["version"].value() == str(_fresh(action).version)
    assert _fresh(action).description == "Utmätning."


# --- Changing and ending a round ---------------------------------------------------------------------


def test_a_stale_round_edit_shows_both_versions_and_saves_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    round_ = world["malmo_round"]
    petra = as_user("petra")
    page = petra.get(_url("round-edit", round_.pk))
    assert "group" not in page.context["form"].fields
    services.round_update(actor=world["petra"], round_=round_, version=round_.version, reason="Ändrat av Anna.")
    response = petra.post(
        _url("round-edit", round_.pk),
        {
            "reason": "Petras skäl.",
            "summary": round_.summary,
            "started_on": round_.started_on.isoformat(),
            "version": round_.version,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Someone else saved this round" in body
    assert "Ändrat av Anna." in body
    assert "Petras skäl." in body
    assert _fresh(round_).reason == "Ändrat av Anna."
    # Sent again at the version now shown, it saves.
    data = {
        "reason": "Petras skäl.",
        "summary": round_.summary,
        "started_on": round_.started_on.isoformat(),
        "incidents": [world["malmo_incident"].pk],
        "version": response.context["form"]["version"].value(),
    }
    assert petra.post(_url("round-edit", round_.pk), data).status_code == 302
    assert _fresh(round_).reason == "Petras skäl."


def test_petra_ends_the_round_after_a_confirmation(world: dict[str, Any], as_user: ClientFor) -> None:
    round_ = world["malmo_round"]
    petra = as_user("petra")
    page = petra.get(_url("round-end", round_.pk))
    body = page.content.decode()
    assert "Ending it is final" in body
    assert "data-confirm=" in body
    refused = petra.post(
        _url("round-end", round_.pk),
        {"ended_on": (round_.started_on - timedelta(days=1)).isoformat(), "evaluation": "X", "version": round_.version},
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors["ended_on"]
    # Kronofogden (+5 days) and Kriminalvården (+2 days) are still planned after today: refused until they move.
    planned_later = petra.post(
        _url("round-end", round_.pk),
        {"ended_on": _today().isoformat(), "evaluation": SECRET_EVALUATION, "version": round_.version},
    )
    assert planned_later.status_code == 200
    assert planned_later.context["form"].errors["ended_on"]
    for key in ("malmo_action_kronofogden", "malmo_action_supervision"):
        action = _fresh(world[key])
        services.action_update(actor=world["petra"], action=action, version=action.version, acted_on=_today())
    response = petra.post(
        _url("round-end", round_.pk),
        {"ended_on": _today().isoformat(), "evaluation": SECRET_EVALUATION, "version": round_.version},
    )
    assert response.status_code == 302
    round_ = _fresh(round_)
    assert round_.status == EnforcementRound.Status.ENDED
    page = petra.get(_url("round-detail", round_.pk))
    assert SECRET_EVALUATION in page.content.decode()
    assert not page.context["can_change"]
    # It no longer changes: each change page sends back to the round with the reason.
    for name in ("round-edit", "round-end", "action-add"):
        response = petra.get(_url(name, round_.pk), follow=True)
        assert response.redirect_chain[-1][0] == _url("round-detail", round_.pk)
        assert "The round has ended" in response.content.decode()
    # The outside authority's planned action still gets its result.
    kronofogden = world["malmo_action_kronofogden"]
    assert petra.get(_url("action-result", kronofogden.pk)).status_code == 200


# --- Nobody else --------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["sara", "erik", "lena", "olof", "ada", "nils", "maja"])
def test_everyone_outside_gets_404_on_every_round_route(
    world: dict[str, Any], as_user: ClientFor, username: str
) -> None:
    client = as_user(username)
    urls = [_url("round-list"), _url("round-create")]
    for subject in ("malmo_round", "malmo_round_ended"):
        urls += [_url(name, world[subject].pk) for name in ROUTES_ON_ROUND]
    for subject in ("malmo_action_arrest", "malmo_action_kronofogden", "malmo_action_supervision"):
        urls += [_url(name, world[subject].pk) for name in ROUTES_ON_ACTION]
    for url in urls:
        assert client.get(url).status_code == 404, url
        if not url.endswith(("/rounds/", f"/rounds/{world['malmo_round'].pk}/")):
            assert client.post(url, {"reason": "X", "result": "X", "status": "done"}).status_code in (404, 405), url
    assert EnforcementRound.objects.count() == 2
    assert _fresh(world["malmo_action_supervision"]).status == EnforcementAction.Status.PLANNED


def test_a_missing_round_or_action_is_404(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    for name in ROUTES_ON_ROUND:
        assert petra.get(_url(name, 999999)).status_code == 404
    for name in ROUTES_ON_ACTION:
        assert petra.get(_url(name, 999999)).status_code == 404


# --- Query counts -------------------------------------------------------------------------------------


def _more_rounds(world: dict[str, Any], count: int) -> None:
    for n in range(count):
        round_ = _start(world, group=_group(world, n))
        _ask_karin(world, round_)
        services.action_add(actor=world["petra"], round_=round_, kind="kronofogden", acted_on=_today())


@pytest.mark.parametrize("username", ["petra", "karin"])
def test_the_list_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor, username: str) -> None:
    client = as_user(username)
    url = _url("round-list")
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        first = len(client.get(url).context["rows"])
    _more_rounds(world, 12)
    with max_queries(LIST_QUERIES) as after:
        assert len(client.get(url).context["rows"]) == first + 12
    assert len(before.captured_queries) == len(after.captured_queries)


@pytest.mark.parametrize("username", ["petra", "karin"])
def test_the_round_page_runs_a_fixed_number_of_queries(
    world: dict[str, Any], as_user: ClientFor, username: str
) -> None:
    round_ = world["malmo_round"]
    client = as_user(username)
    url = _url("round-detail", round_.pk)
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        first = len(client.get(url).context["rows"])
    for _n in range(6):
        _ask_karin(world, round_)
        services.action_add(actor=world["petra"], round_=round_, kind="kronofogden", acted_on=_today())
    services.round_update(
        actor=world["petra"],
        round_=round_,
        version=_fresh(round_).version,
        incidents=list(Incident.objects.filter(owner_agency_id=world["petra"].agency_id)),
    )
    with max_queries(DETAIL_QUERIES) as after:
        assert len(client.get(url).context["rows"]) == first + (6 if username == "karin" else 12)
    assert len(before.captured_queries) == len(after.captured_queries)
