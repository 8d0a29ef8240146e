"""Call-in pages: Petra schedules a call-in for two groups, invites twelve members (seeing the supervision of
exactly those whose probation section she may see), marks it held and records attendance; the counts show on
the page and reach the reports. The other agencies see the schedule only; the rest nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Person
from gvi.mapping import services as mapping_services
from gvi.mapping.models import Group
from interventions import selectors, services
from interventions.models import CallIn, CallInInvitation, Speaker
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured warm, the same for few and many: session, user, device, count, rows, groups (prefetch), list audit
# event, session save. The call-in page: the call-in and its view event, speakers, invitations with persons
# and referrals, the supervision look-ups, the persons-shown event, counts, groups, the change check.
LIST_QUERIES = 10
DETAIL_QUERIES = 18

SECRET_NOTE = "Nyckel hos vaktmästaren Gösta"


def _detail(call_in: CallIn) -> str:
    return reverse("interventions:callin-detail", args=[call_in.pk])


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _groups(world: dict[str, Any]) -> list[Group]:
    return list(
        Group.objects.filter(owner_agency_id=world["petra"].agency_id, name__in=["Grupp Falken", "Grupp Vargen"])
    )


def _add_members(world: dict[str, Any], count: int) -> list[Person]:
    """More active members of Grupp Falken (the demo has 9 in Falken and Vargen together)."""
    falken = next(g for g in _groups(world) if g.name == "Grupp Falken")
    today = timezone.localdate()
    persons = []
    for n in range(count):
        person = case_services.person_create(
            actor=world["petra"], given_name=f"Åke{n}", family_name="Öberg", birth_year=2003
        )
        mapping_services.membership_add(
            actor=world["anders"],
            group=falken,
            person=person,
            confidence="confirmed",
            source="spaning",
            valid_from=today - timedelta(days=60),
            last_confirmed=today - timedelta(days=10),
        )
        persons.append(person)
    return persons


def _schedule(client: Client, world: dict[str, Any], *, starts_at: Any, notes: str = SECRET_NOTE) -> CallIn:
    response = client.post(
        reverse("interventions:callin-create"),
        {
            "starts_at": _local(starts_at),
            "place": "Folkets hus, Möllevången",
            "groups": [g.pk for g in _groups(world)],
            "notes": notes,
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    call_in = CallIn.objects.get(place="Folkets hus, Möllevången")
    assert response["Location"] == _detail(call_in)
    return call_in


def _counts(html: str) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(r'data-count="(\w+)">(\d+)<', html)}


# --- The story ------------------------------------------------------------------------------------


def test_petra_schedules_invites_twelve_holds_and_records_attendance(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    _add_members(world, 4)
    call_in = _schedule(petra, world, starts_at=timezone.now() - timedelta(hours=2))
    assert {g.name for g in call_in.groups.all()} == {"Grupp Falken", "Grupp Vargen"}

    # The invite page: 13 active members; the supervision shows for Adam only (the shared probation section).
    invite_url = reverse("interventions:callin-invite", args=[call_in.pk])
    page = petra.get(invite_url)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert len(rows) == 13
    adam = world["malmo_police_person"]
    assert {row["person"].pk for row in rows if row["supervision"] is not None} == {adam.pk}
    assert page.content.decode().count('class="supervision"') == 1
    chosen = [adam.pk, *(row["person"].pk for row in rows if row["person"].pk != adam.pk)][:12]
    response = petra.post(invite_url, {"persons": chosen})
    assert response.status_code == 302
    assert set(CallInInvitation.objects.filter(call_in=call_in).values_list("person_id", flat=True)) == set(chosen)
    # Adam's invitation brings Karin in: she sees and confirms it.
    adams = CallInInvitation.objects.get(call_in=call_in, person=adam)
    assert adams.probation_officer_id == world["karin"].pk

    # Invited ones are marked and cannot be chosen again.
    again = petra.get(invite_url)
    assert sum(row["invited"] for row in again.context["rows"]) == 12
    assert again.content.decode().count("checked disabled") == 12

    # Marked held once; the second submit (same version) is refused with the service's message.
    status_url = reverse("interventions:callin-status", args=[call_in.pk])
    version = call_in.version
    assert petra.post(status_url, {"status": "held", "version": version}).status_code == 302
    call_in.refresh_from_db()
    assert call_in.status == CallIn.Status.HELD
    refused = petra.post(status_url, {"status": "held", "version": version}, follow=True)
    assert "The call-in is already Held." in refused.content.decode()
    assert CallIn.objects.get(pk=call_in.pk).version == call_in.version

    # Attendance: 8 attended, 1 left early, 3 absent.
    invitations = list(CallInInvitation.objects.filter(call_in=call_in).order_by("id"))
    outcomes = ["attended"] * 8 + ["left_early"] + ["absent"] * 3
    attendance_url = reverse("interventions:callin-attendance", args=[call_in.pk])
    assert petra.get(attendance_url).status_code == 200
    response = petra.post(
        attendance_url, {f"status_{inv.pk}": status for inv, status in zip(invitations, outcomes, strict=True)}
    )
    assert response.status_code == 302

    page = petra.get(_detail(call_in))
    html = page.content.decode()
    assert _counts(html) == {"invited": 12, "confirmed": 0, "attended": 8, "left_early": 1, "absent": 3, "came": 9}
    expected = selectors.Attendance(invited=12, confirmed=0, attended=8, left_early=1, absent=3)
    assert page.context["counts"] == expected
    # The reports count the same through countable; Lena cannot open the call-in.
    assert selectors.attendance_counts(world["lena"], call_in=call_in) == expected
    assert selectors.attendance_counts(world["lena"], call_in=call_in).came == 9
    assert as_user("lena").get(_detail(call_in)).status_code == 404

    # The social workers see when and where, nothing else.
    for name in ("sara", "erik"):
        schedule = as_user(name).get(_detail(call_in))
        assert schedule.status_code == 200
        text = schedule.content.decode()
        assert "Folkets hus, Möllevången" in text
        for hidden in (SECRET_NOTE, "Grupp Falken", "Grupp Vargen", adam.full_name, "Öberg", "Invitations"):
            assert hidden not in text, (name, hidden)
    for name in ("nils", "maja", "olof", "ada"):
        assert as_user(name).get(_detail(call_in)).status_code == 404


def test_the_schedule_page_shows_only_the_declared_fields(world: dict[str, Any], as_user: ClientFor) -> None:
    page = as_user("karin").get(_detail(world["malmo_callin"]))
    assert page.status_code == 200
    assert set(page.context["schedule"]) == {"id", "starts_at", "place", "status", "status_label"}
    assert "call_in" not in page.context
    text = page.content.decode()
    for hidden in ("Leila Haddad", "Adam", "Grupp Falken", "Agenda"):
        assert hidden not in text


# --- Attendance: all or nothing -------------------------------------------------------------------


def test_attendance_with_a_missing_row_saves_nothing_and_keeps_the_input(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    past = world["malmo_callin_past"]
    invitations = list(CallInInvitation.objects.filter(call_in=past).order_by("id"))
    before = {inv.pk: inv.status for inv in invitations}
    data = {f"status_{inv.pk}": "absent" for inv in invitations[1:]}
    response = as_user("petra").post(reverse("interventions:callin-attendance", args=[past.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose attended, left early or absent." in html
    assert "Nothing is saved yet" in html
    assert {inv.pk: inv.status for inv in CallInInvitation.objects.filter(call_in=past)} == before
    # What was chosen stays chosen.
    assert html.count('value="absent" id=') == len(invitations)
    assert len(re.findall(r'value="absent" id="[^"]+" checked', html)) == len(invitations) - 1


def test_attendance_waits_until_the_call_in_is_held(world: dict[str, Any], as_user: ClientFor) -> None:
    upcoming = world["malmo_callin"]
    url = reverse("interventions:callin-attendance", args=[upcoming.pk])
    page = as_user("petra").get(url)
    assert "Attendance is recorded once the call-in is marked held." in page.content.decode()
    invitation = CallInInvitation.objects.filter(call_in=upcoming).first()
    assert invitation is not None
    refused = as_user("petra").post(url, {f"status_{invitation.pk}": "attended"})
    assert refused.status_code == 200
    assert CallInInvitation.objects.get(pk=invitation.pk).status == invitation.status


# --- Scheduling and editing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": "9999-01-01T10:00"}, "starts_at"),
        ({"groups": ["99999999999999999999999"]}, "groups"),
        ({"groups": []}, "groups"),
        ({"place": ""}, "place"),
    ],
)
def test_bad_input_is_a_form_error(
    world: dict[str, Any], as_user: ClientFor, changes: dict[str, Any], field: str
) -> None:
    data = {
        "starts_at": _local(timezone.now() + timedelta(days=3)),
        "place": "Stadshuset",
        "groups": [g.pk for g in _groups(world)],
        "notes": "",
        **changes,
    }
    response = as_user("petra").post(reverse("interventions:callin-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not CallIn.objects.filter(place="Stadshuset").exists()


def test_another_programs_group_cannot_be_targeted(world: dict[str, Any], as_user: ClientFor) -> None:
    foreign = Group.objects.exclude(program_id=world["petra"].program_id).first()
    if foreign is None:
        pytest.skip("the demo has no group outside Malmö")
    data = {"starts_at": _local(timezone.now() + timedelta(days=3)), "place": "Stadshuset", "groups": [foreign.pk]}
    response = as_user("petra").post(reverse("interventions:callin-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["groups"]


def test_a_stale_edit_shows_both_versions_and_keeps_the_input(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    stale = call_in.version
    services.call_in_update(actor=world["petra"], call_in=call_in, version=stale, place="Nya platsen")
    data = {
        "starts_at": _local(call_in.starts_at),
        "place": "Min plats",
        "groups": [g.pk for g in _groups(world)],
        "notes": "",
        "version": stale,
    }
    response = as_user("petra").post(reverse("interventions:callin-edit", args=[call_in.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved by someone else meanwhile" in html
    assert "Nya platsen" in html
    assert 'value="Min plats"' in html
    assert CallIn.objects.get(pk=call_in.pk).place == "Nya platsen"
    # Saving again (now at the current version) wins.
    data["version"] = response.context["form"]["version"].value()
    assert as_user("petra").post(reverse("interventions:callin-edit", args=[call_in.pk]), data).status_code == 302
    assert CallIn.objects.get(pk=call_in.pk).place == "Min plats"


def test_a_held_call_in_cannot_be_edited(world: dict[str, Any], as_user: ClientFor) -> None:
    past = world["malmo_callin_past"]
    data = {
        "starts_at": _local(past.starts_at),
        "place": "Annan",
        "groups": [g.pk for g in _groups(world)],
        "version": past.version,
    }
    response = as_user("petra").post(reverse("interventions:callin-edit", args=[past.pk]), data)
    assert response.status_code == 200
    assert "Only a planned call-in can be changed." in response.content.decode()


def test_a_future_call_in_is_not_marked_held_but_can_be_cancelled(world: dict[str, Any], as_user: ClientFor) -> None:
    upcoming = world["malmo_callin"]
    url = reverse("interventions:callin-status", args=[upcoming.pk])
    client = as_user("petra")
    page = client.post(url, {"status": "held", "version": upcoming.version}, follow=True)
    assert "A call-in is held on or after its date." in page.content.decode()
    assert client.post(url, {"status": "cancelled", "version": upcoming.version}).status_code == 302
    assert CallIn.objects.get(pk=upcoming.pk).status == CallIn.Status.CANCELLED
    again = client.post(url, {"status": "cancelled", "version": upcoming.version}, follow=True)
    assert "The call-in is already Cancelled." in again.content.decode()


# --- Speakers -------------------------------------------------------------------------------------


def test_speakers_are_added_to_segments_and_removed(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    client = as_user("petra")
    add = reverse("interventions:speaker-add", args=[call_in.pk])
    response = client.post(
        add, {"segment": "community", "staff": "", "name": "Imam Yusuf", "organisation": "Moskén", "order": 2}
    )
    assert response.status_code == 302
    response = client.post(add, {"segment": "help", "staff": world["erik"].pk, "name": "", "order": 1})
    assert response.status_code == 302
    page = client.get(_detail(call_in)).content.decode()
    assert "Imam Yusuf" in page
    assert "Moskén" in page
    assert world["erik"].get_full_name() in page

    # Both or neither: a form error, the input kept.
    both = client.post(add, {"segment": "help", "staff": world["erik"].pk, "name": "Någon", "order": 1})
    assert both.status_code == 200
    assert "one of them" in both.content.decode()
    assert 'value="Någon"' in both.content.decode()
    # Staff of another program: not a choice.
    foreign = client.post(add, {"segment": "help", "staff": world["nils"].pk, "name": "", "order": 1})
    assert foreign.status_code == 200
    assert foreign.context["speaker_form"].errors["staff"]

    speaker = Speaker.objects.get(call_in=call_in, name="Imam Yusuf")
    assert client.post(reverse("interventions:speaker-remove", args=[speaker.pk])).status_code == 302
    assert not Speaker.objects.filter(pk=speaker.pk).exists()
    assert as_user("sara").post(reverse("interventions:speaker-remove", args=[speaker.pk + 1])).status_code == 404


# --- Inviting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["99999999999999999999", "abc", "-1"])
def test_invite_refuses_what_is_not_a_candidate(world: dict[str, Any], as_user: ClientFor, value: str) -> None:
    call_in = world["malmo_callin"]
    before = CallInInvitation.objects.filter(call_in=call_in).count()
    response = as_user("petra").post(reverse("interventions:callin-invite", args=[call_in.pk]), {"persons": [value]})
    assert response.status_code == 200
    assert response.context["form"].errors["persons"]
    assert CallInInvitation.objects.filter(call_in=call_in).count() == before


def test_invite_with_nobody_chosen_says_so(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    response = as_user("petra").post(reverse("interventions:callin-invite", args=[call_in.pk]), {})
    assert "Choose whom to invite." in response.content.decode()


# --- The list -------------------------------------------------------------------------------------


def test_the_police_list_in_full_and_the_others_the_schedule(world: dict[str, Any], as_user: ClientFor) -> None:
    url = reverse("interventions:callin-list")
    police = as_user("petra").get(url)
    assert police.context["full"]
    assert "Grupp Falken" in police.content.decode()
    for name in ("sara", "karin"):
        schedule = as_user(name).get(url)
        assert schedule.status_code == 200
        assert not schedule.context["full"]
        text = schedule.content.decode()
        assert "Polishuset, Davidshallstorg" in text
        assert "Rosengårds bibliotek" in text
        assert "Grupp Falken" not in text
        assert all(
            set(row) == {"id", "starts_at", "place", "status", "status_label"} for row in schedule.context["rows"]
        )
    for name in ("lena", "olof", "ada", "maja"):
        assert as_user(name).get(url).status_code == 404
    empty = as_user("nils").get(url)
    assert "The police have scheduled no call-ins in your program yet." in empty.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"when": "upcoming"}, {"malmo_callin"}),
        ({"when": "past"}, {"malmo_callin_past"}),
        ({"status": "held"}, {"malmo_callin_past"}),
        ({"status": "cancelled"}, set()),
        ({"when": "bogus"}, {"malmo_callin", "malmo_callin_past"}),
    ],
)
def test_the_list_filters(world: dict[str, Any], as_user: ClientFor, query: dict[str, str], expected: set[str]) -> None:
    response = as_user("petra").get(reverse("interventions:callin-list"), query)
    assert {c.pk for c in response.context["page"].object_list} == {world[name].pk for name in expected}
    if not expected:
        assert "No call-ins match the filter." in response.content.decode()


def test_the_list_sorts(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("petra").get(reverse("interventions:callin-list"), {"sort": "date"})
    assert [c.pk for c in response.context["page"].object_list] == [
        world["malmo_callin_past"].pk,
        world["malmo_callin"].pk,
    ]


# --- Query counts ---------------------------------------------------------------------------------


def _more_call_ins(world: dict[str, Any], count: int) -> None:
    for n in range(count):
        services.call_in_create(
            actor=world["petra"],
            starts_at=timezone.now() + timedelta(days=40 + n),
            place=f"Lokal {n}",
            groups=_groups(world),
        )


@pytest.mark.parametrize("persona", ["petra", "sara"])
def test_the_list_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    client = as_user(persona)
    url = reverse("interventions:callin-list")
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert len(client.get(url).context["page"].object_list) == 2
    _more_call_ins(world, 30)
    with max_queries(LIST_QUERIES) as after:
        assert len(client.get(url).context["page"].object_list) == 32
    assert len(before.captured_queries) == len(after.captured_queries)


def test_the_call_in_page_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    client = as_user("petra")
    url = _detail(call_in)
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert len(client.get(url).context["rows"]) == 1
    _add_members(world, 6)
    services.invitations_create(
        actor=world["petra"], call_in=call_in, persons=services.invitation_candidates(world["petra"], call_in)[:14]
    )
    with max_queries(DETAIL_QUERIES) as after:
        assert len(client.get(url).context["rows"]) >= 14
    assert len(before.captured_queries) == len(after.captured_queries)


def test_a_groups_page_schedules_a_call_in_for_that_group(world: dict[str, Any], as_user: ClientFor) -> None:
    """The group page links to the call-in form with the group chosen; a group outside the user's map (another
    program's, or a number that is no group) is simply not chosen, and nothing about it is shown."""
    group = _groups(world)[0]
    page = as_user("petra").get(reverse("mapping:group-detail", args=[group.pk]))
    link = f"{reverse('interventions:callin-create')}?group={group.pk}"
    assert link in page.content.decode()
    form = as_user("petra").get(link).context["form"]
    assert form["groups"].value() == [group.pk]
    assert f'<option value="{group.pk}" selected>' in str(form["groups"])
    foreign = Group.objects.exclude(program_id=world["petra"].program_id).first()
    for other in ([str(foreign.pk)] if foreign else []) + ["99999999", "x", "1" * 30]:
        response = as_user("petra").get(f"{reverse('interventions:callin-create')}?group={other}")
        assert response.status_code == 200
        assert " selected" not in str(response.context["form"]["groups"])
        if foreign:
            assert foreign.name not in response.content.decode()
    # Who may not schedule call-ins gets no link (the social worker does not see the group page at all).
    assert as_user("sara").get(reverse("mapping:group-detail", args=[group.pk])).status_code == 404
