"""The services of call-ins and custom notifications (interventions/services), through the demo world,
forbidden paths included: scheduling and the schedule other agencies see, speakers, invitations and the
probation link, attendance (the issue's 12 / 8 / 1 / 3), the follow-up referral through the consent gate,
and every transition of a custom notification."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from cases.models import LegalBasis, Person, Share
from cases.services import person_create, share_revoke
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from gvi.concurrency import StaleVersion
from gvi.demo import identity_number
from gvi.mapping import services as mapping
from gvi.mapping.models import Group
from interventions import selectors, services
from interventions.models import CallIn, CallInInvitation, CustomNotification, Speaker
from outreach.models import Referral

PERSONAS = ("petra", "anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja")
Status = CustomNotification.Status


def now() -> datetime:
    return timezone.now()


def groups(world: dict[str, Any]) -> list[Group]:
    return [world["malmo_group"], world["malmo_other_group"]]


def new_person(world: dict[str, Any], n: int, *, given: str = "Testperson") -> Person:
    """A new police record with an identity number (so it can be referred), nobody's member yet."""
    return person_create(
        actor=world["petra"],
        given_name=f"{given}{n}",
        family_name="Lind",
        identity_number=identity_number(1998, 5, 5, 700 + n),
        purpose="test",
    )


def member(world: dict[str, Any], person: Person, group: Group | None = None, **dates: Any) -> None:
    """Add a membership through the mapping service (active from a year ago, confirmed today by default)."""
    values: dict[str, Any] = {"valid_from": timezone.localdate() - timedelta(days=365), **dates}
    mapping.membership_add(
        actor=world["anders"],
        group=group or world["malmo_group"],
        person=person,
        confidence="confirmed",
        source="spaning",
        purpose="test",
        **values,
    )


def schedule(world: dict[str, Any], *, starts_at: datetime | None = None, actor: str = "petra") -> CallIn:
    return services.call_in_create(
        actor=world[actor],
        starts_at=starts_at or now() + timedelta(days=7),
        place="Folkets hus, Rosengård",
        groups=groups(world),
    )


def held(world: dict[str, Any], call_in: CallIn) -> CallIn:
    return services.call_in_set_status(
        actor=world["petra"], call_in=call_in, version=call_in.version, status=CallIn.Status.HELD
    )


def fresh[M: (CallIn, CallInInvitation, CustomNotification)](obj: M) -> M:
    return type(obj)._default_manager.get(pk=obj.pk)


# --------------------------------------------------------------------------------------------------
# Scheduling a call-in


def test_petra_schedules_a_call_in_and_the_other_agencies_get_its_schedule_only(world: dict[str, Any]) -> None:
    call_in = schedule(world)
    assert call_in.status == CallIn.Status.PLANNED
    assert set(call_in.groups.all()) == set(groups(world))
    for name in ("petra", "anders"):
        assert access.visible(world[name], CallIn).filter(pk=call_in.pk).exists(), name
    for name in ("sara", "erik", "karin", "malin"):
        user = world[name]
        assert access.visible(user, CallIn, "view_schedule").filter(pk=call_in.pk).exists(), name
        assert not access.visible(user, CallIn).filter(pk=call_in.pk).exists(), name
        assert not access.visible(user, CallIn, "change").filter(pk=call_in.pk).exists(), name
    for name in ("sara", "karin"):
        assert not access.visible(world[name], CallIn, "view").exists(), name
    for name in ("lena", "olof", "ada", "nils", "maja"):
        for action in ("view", "view_schedule", "change"):
            assert not access.visible(world[name], CallIn, action).filter(pk=call_in.pk).exists(), (name, action)
    # Lena counts it and opens nothing.
    assert access.countable(world["lena"], CallIn).filter(pk=call_in.pk).exists()


@pytest.mark.parametrize("name", ["anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja"])
def test_only_the_police_coordinator_schedules(world: dict[str, Any], name: str) -> None:
    before = CallIn.objects.count()
    with pytest.raises(Http404):
        schedule(world, actor=name)
    assert CallIn.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param(
            {"starts_at": datetime(1850, 1, 1, tzinfo=timezone.get_current_timezone())}, "starts_at", id="date"
        ),
        pytest.param({"place": "   "}, "place", id="place"),
        pytest.param({"groups": []}, "groups", id="no-groups"),
    ],
)
def test_a_call_in_needs_a_date_in_range_a_place_and_groups(
    world: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "actor": world["petra"],
        "starts_at": now() + timedelta(days=3),
        "place": "Folkets hus",
        "groups": groups(world),
        **changes,
    }
    before = CallIn.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.call_in_create(**values)
    assert field in exc.value.message_dict
    assert CallIn.objects.count() == before


def test_a_call_in_is_for_groups_of_the_users_own_map(world: dict[str, Any]) -> None:
    before = CallIn.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.call_in_create(
            actor=world["petra"],
            starts_at=now() + timedelta(days=3),
            place="Folkets hus",
            groups=[world["malmo_group"], world["orebro_group"]],
        )
    assert set(exc.value.message_dict) == {"groups"}
    assert CallIn.objects.count() == before


def test_a_planned_call_in_is_updated_with_its_version(world: dict[str, Any]) -> None:
    call_in = schedule(world)
    updated = services.call_in_update(
        actor=world["petra"], call_in=call_in, version=call_in.version, place="Stadsbiblioteket"
    )
    assert updated.place == "Stadsbiblioteket"
    assert updated.version == call_in.version + 1
    with pytest.raises(StaleVersion):
        services.call_in_update(actor=world["petra"], call_in=call_in, version=call_in.version, place="Annat")
    assert fresh(call_in).place == "Stadsbiblioteket"
    with pytest.raises(ValidationError):
        services.call_in_update(actor=world["petra"], call_in=updated, version=updated.version, groups=[])
    with pytest.raises(ValidationError):
        services.call_in_update(
            actor=world["petra"], call_in=updated, version=updated.version, groups=[world["orebro_group"]]
        )
    assert set(fresh(call_in).groups.all()) == set(groups(world))
    for name in ("anders", "sara", "karin", "nils"):
        with pytest.raises(Http404):
            services.call_in_update(actor=world[name], call_in=updated, version=updated.version, place="X")
    assert fresh(call_in).version == updated.version


def test_only_a_planned_call_in_is_changed(world: dict[str, Any]) -> None:
    call_in = schedule(world)
    cancelled = services.call_in_set_status(
        actor=world["petra"], call_in=call_in, version=call_in.version, status=CallIn.Status.CANCELLED
    )
    with pytest.raises(ValidationError):
        services.call_in_update(actor=world["petra"], call_in=cancelled, version=cancelled.version, place="X")
    assert fresh(call_in).place == "Folkets hus, Rosengård"


def test_a_call_in_is_held_on_or_after_its_date_and_only_once(world: dict[str, Any]) -> None:
    upcoming = schedule(world)
    with pytest.raises(ValidationError) as exc:
        held(world, upcoming)
    assert set(exc.value.message_dict) == {"status"}
    assert fresh(upcoming).status == CallIn.Status.PLANNED

    today = schedule(world, starts_at=now() - timedelta(hours=2))
    done = held(world, today)
    assert done.status == CallIn.Status.HELD
    for status in (CallIn.Status.HELD, CallIn.Status.CANCELLED):
        with pytest.raises(ValidationError):
            services.call_in_set_status(actor=world["petra"], call_in=done, version=done.version, status=status)
    assert fresh(today).version == done.version


def test_a_call_in_is_cancelled_once_and_a_status_must_be_held_or_cancelled(world: dict[str, Any]) -> None:
    call_in = schedule(world)
    with pytest.raises(ValidationError) as exc:
        services.call_in_set_status(actor=world["petra"], call_in=call_in, version=call_in.version, status="planned")
    assert set(exc.value.message_dict) == {"status"}
    cancelled = services.call_in_set_status(
        actor=world["petra"], call_in=call_in, version=call_in.version, status=CallIn.Status.CANCELLED
    )
    with pytest.raises(ValidationError):
        services.call_in_set_status(
            actor=world["petra"], call_in=cancelled, version=cancelled.version, status=CallIn.Status.CANCELLED
        )
    with pytest.raises(Http404):
        services.call_in_set_status(
            actor=world["sara"],
            call_in=world["malmo_callin"],
            version=world["malmo_callin"].version,
            status="cancelled",
        )
    assert fresh(world["malmo_callin"]).status == CallIn.Status.PLANNED


# --------------------------------------------------------------------------------------------------
# Speakers


def test_a_speaker_is_a_staff_member_of_the_program_or_a_named_community_speaker(world: dict[str, Any]) -> None:
    call_in = schedule(world)
    petra = world["petra"]
    staff = services.speaker_add(actor=petra, call_in=call_in, segment="help", staff=world["erik"])
    named = services.speaker_add(actor=petra, call_in=call_in, segment="community", name=" Leila ", organisation="X")
    assert (staff.staff, staff.name) == (world["erik"], "")
    assert (named.staff, named.name) == (None, "Leila")
    bad: list[dict[str, Any]] = [
        {"segment": "help", "staff": world["erik"], "name": "Both"},
        {"segment": "help"},
        {"segment": "help", "name": "   "},
        {"segment": "nonsense", "name": "Leila"},
        {"segment": "help", "staff": world["nils"]},
    ]
    for values in bad:
        with pytest.raises(ValidationError):
            services.speaker_add(actor=petra, call_in=call_in, **values)
    assert set(Speaker.objects.filter(call_in=call_in)) == {staff, named}
    for name in ("anders", "sara", "nils"):
        with pytest.raises(Http404):
            services.speaker_add(actor=world[name], call_in=call_in, segment="help", name="X")
        with pytest.raises(Http404):
            services.speaker_remove(actor=world[name], speaker=named)
    services.speaker_remove(actor=petra, speaker=named)
    assert list(Speaker.objects.filter(call_in=call_in)) == [staff]


# --------------------------------------------------------------------------------------------------
# Invitations


def test_invitees_are_active_members_of_the_target_groups(world: dict[str, Any]) -> None:
    petra = world["petra"]
    call_in = schedule(world)
    lapsed, elsewhere = new_person(world, 1), new_person(world, 2)
    today = timezone.localdate()
    member(
        world,
        lapsed,
        valid_from=today - timedelta(days=900),
        last_confirmed=today - timedelta(days=500),
    )
    ugglan = Group.objects.get(owner_agency_id=petra.agency_id, name="Grupp Ugglan")
    member(world, elsewhere, ugglan)
    candidates = services.invitation_candidates(petra, call_in)
    assert world["malmo_police_person"] in candidates
    assert lapsed not in candidates
    assert elsewhere not in candidates
    other_agency = world["malmo_social_person"]  # Sara's record of Adam
    for person in (lapsed, elsewhere, other_agency, world["orebro_person"]):
        with pytest.raises(ValidationError) as exc:
            services.invitations_create(actor=petra, call_in=call_in, persons=[world["malmo_police_person"], person])
        assert set(exc.value.message_dict) == {"persons"}
    with pytest.raises(ValidationError):
        services.invitations_create(actor=petra, call_in=call_in, persons=[])
    assert not CallInInvitation.objects.filter(call_in=call_in).exists()


def test_inviting_twice_does_not_duplicate(world: dict[str, Any]) -> None:
    petra, adam = world["petra"], world["malmo_police_person"]
    call_in = schedule(world)
    first = services.invitations_create(actor=petra, call_in=call_in, persons=[adam])
    again = services.invitations_create(actor=petra, call_in=call_in, persons=[adam, adam])
    assert len(first) == 1
    assert again == []
    assert CallInInvitation.objects.filter(call_in=call_in).count() == 1


def test_invitations_are_sent_for_a_planned_call_in_only(world: dict[str, Any]) -> None:
    petra = world["petra"]
    call_in = schedule(world)
    cancelled = services.call_in_set_status(
        actor=petra, call_in=call_in, version=call_in.version, status=CallIn.Status.CANCELLED
    )
    with pytest.raises(ValidationError):
        services.invitations_create(actor=petra, call_in=cancelled, persons=[world["malmo_police_person"]])


@pytest.mark.parametrize("name", ["anders", "sara", "erik", "karin", "lena", "nils", "maja"])
def test_only_the_coordinator_invites(world: dict[str, Any], name: str) -> None:
    call_in = schedule(world)
    with pytest.raises(Http404):
        services.invitations_create(actor=world[name], call_in=call_in, persons=[world["malmo_police_person"]])
    assert not CallInInvitation.objects.filter(call_in=call_in).exists()


def test_adams_invitation_names_karin_and_kriminalvardens_record(world: dict[str, Any]) -> None:
    petra, karin = world["petra"], world["karin"]
    call_in = schedule(world)
    bilal = Person.objects.get(owner_agency_id=petra.agency_id, given_name="Bilal", family_name="Hassan")
    assert bilal in services.invitation_candidates(petra, call_in)
    adams, bilals = services.invitations_create(
        actor=petra, call_in=call_in, persons=[world["malmo_police_person"], bilal]
    )
    assert adams.probation_officer == karin
    assert adams.probation_person == world["malmo_probation_person"]
    assert (bilals.probation_officer, bilals.probation_person) == (None, None)
    assert access.can(karin, "view_client", adams)
    assert access.can(karin, "confirm_attendance", adams)
    assert not access.can(karin, "view_client", bilals)
    assert not access.can(karin, "view", adams)


def test_after_the_share_is_revoked_a_new_invitation_names_no_probation_officer(world: dict[str, Any]) -> None:
    share_revoke(actor=world["karin"], share=world["malmo_share"])
    call_in = schedule(world)
    (invitation,) = services.invitations_create(
        actor=world["petra"], call_in=call_in, persons=[world["malmo_police_person"]]
    )
    assert (invitation.probation_officer, invitation.probation_person) == (None, None)
    assert not access.can(world["karin"], "view_client", invitation)


def test_karin_sees_her_clients_invitations_only_and_confirms_once(world: dict[str, Any]) -> None:
    karin, petra = world["karin"], world["petra"]
    adam = world["malmo_police_person"]
    clients = access.visible(karin, CallInInvitation, "view_client")
    assert clients.exists()
    assert set(clients.values_list("person_id", flat=True)) == {adam.pk}
    assert not access.visible(karin, CallInInvitation).exists()
    invitation = world["malmo_invitation"]
    confirmed = services.invitation_confirm(actor=karin, invitation=invitation)
    assert confirmed.status == CallInInvitation.Status.CONFIRMED
    assert confirmed.confirmed_at is not None
    with pytest.raises(ValidationError):
        services.invitation_confirm(actor=karin, invitation=confirmed)
    assert fresh(invitation).version == confirmed.version
    # Another invitee's invitation: not hers (the same 404 as a missing one); Sara and Nils none.
    other = CallInInvitation.objects.filter(call_in=world["malmo_callin_past"]).exclude(person=adam).first()
    assert other is not None
    for name in ("karin", "sara", "nils", "petra"):
        with pytest.raises(Http404):
            services.invitation_confirm(actor=world[name], invitation=other)
    # Petra sets statuses through invitation_set_status (she holds the record), not through confirm.
    assert access.can(petra, "change", invitation)


@pytest.mark.parametrize("name", ["sara", "erik", "lena", "olof", "ada", "nils", "maja"])
def test_invitations_are_hidden_from_others(world: dict[str, Any], name: str) -> None:
    for action in ("view", "view_client", "change", "confirm_attendance"):
        assert not access.visible(world[name], CallInInvitation, action).exists(), action
    assert selectors.call_in_invitations(world[name], world["malmo_callin"]) == []


def test_invitation_status_before_and_after_the_call_in(world: dict[str, Any]) -> None:
    petra = world["petra"]
    invitation = world["malmo_invitation"]
    with pytest.raises(ValidationError):
        services.invitation_set_status(
            actor=petra, invitation=invitation, version=invitation.version, status="attended"
        )
    with pytest.raises(ValidationError):
        services.invitation_set_status(actor=petra, invitation=invitation, version=invitation.version, status="bogus")
    confirmed = services.invitation_set_status(
        actor=petra, invitation=invitation, version=invitation.version, status="confirmed"
    )
    with pytest.raises(StaleVersion):
        services.invitation_set_status(actor=petra, invitation=invitation, version=invitation.version, status="invited")
    assert fresh(invitation).status == confirmed.status == "confirmed"
    with pytest.raises(Http404):
        services.invitation_set_status(
            actor=world["karin"], invitation=confirmed, version=confirmed.version, status="invited"
        )


def test_attendance_is_recorded_only_when_held_and_all_or_nothing(world: dict[str, Any]) -> None:
    petra = world["petra"]
    call_in = schedule(world, starts_at=now() - timedelta(hours=1))
    invited = services.invitations_create(
        actor=petra, call_in=call_in, persons=services.invitation_candidates(petra, call_in)[:3]
    )
    statuses = {inv.pk: "attended" for inv in invited}
    with pytest.raises(ValidationError):
        services.attendance_record(actor=petra, call_in=call_in, statuses=statuses)
    call_in = held(world, call_in)
    other = CallInInvitation.objects.filter(call_in=world["malmo_callin"]).first()
    assert other is not None
    for bad in (
        {**statuses, invited[-1].pk: "confirmed"},
        {**statuses, invited[-1].pk: "nonsense"},
        {**statuses, other.pk: "attended"},
        {**statuses, 2**62: "attended"},
    ):
        with pytest.raises(ValidationError):
            services.attendance_record(actor=petra, call_in=call_in, statuses=bad)
        assert set(CallInInvitation.objects.filter(call_in=call_in).values_list("status", flat=True)) == {"invited"}
    for name in ("anders", "sara", "karin", "nils"):
        with pytest.raises(Http404):
            services.attendance_record(actor=world[name], call_in=call_in, statuses=statuses)
    assert services.attendance_record(actor=petra, call_in=call_in, statuses=statuses) == 3
    assert services.attendance_record(actor=petra, call_in=call_in, statuses=statuses) == 0


def test_the_issues_scenario_twelve_invited_eight_attended_one_left_early_three_absent(world: dict[str, Any]) -> None:
    petra = world["petra"]
    call_in = schedule(world, starts_at=now() - timedelta(hours=1))
    candidates = services.invitation_candidates(petra, call_in)
    n = 0
    while len(candidates) < 12:
        n += 1
        member(world, new_person(world, n), groups(world)[n % 2])
        candidates = services.invitation_candidates(petra, call_in)
    invited = services.invitations_create(actor=petra, call_in=call_in, persons=candidates[:12])
    assert len(invited) == 12
    call_in = held(world, call_in)
    outcomes = ["attended"] * 8 + ["left_early"] + ["absent"] * 3
    services.attendance_record(
        actor=petra, call_in=call_in, statuses={inv.pk: s for inv, s in zip(invited, outcomes, strict=True)}
    )
    for counts in (
        selectors.call_in_attendance(petra, call_in),
        selectors.attendance_counts(world["lena"], call_in=call_in),
    ):
        assert (counts.invited, counts.attended, counts.left_early, counts.absent) == (12, 8, 1, 3)
        assert counts.came == 9
    # The program lead counts and opens nothing; Maja counts nothing of Malmö's.
    assert not access.visible(world["lena"], CallInInvitation).exists()
    assert not access.visible(world["lena"], CallIn).exists()
    assert selectors.attendance_counts(world["maja"], call_in=call_in).invited == 0
    assert selectors.attendance_counts(world["sara"], call_in=call_in).invited == 0


# --------------------------------------------------------------------------------------------------
# The follow-up: a referral to the exit program through the consent gate


def invitee_who_came(world: dict[str, Any]) -> CallInInvitation:
    petra = world["petra"]
    person = new_person(world, 40, given="Hjälp")
    member(world, person)
    call_in = schedule(world, starts_at=now() - timedelta(hours=1))
    (invitation,) = services.invitations_create(actor=petra, call_in=call_in, persons=[person])
    held(world, call_in)
    return invitation


def test_a_follow_up_referral_goes_through_the_consent_gate(world: dict[str, Any]) -> None:
    petra, sara = world["petra"], world["sara"]
    invitation = invitee_who_came(world)
    refer: dict[str, Any] = {
        "actor": petra,
        "receiving_agency": sara.agency,
        "receiving_team": sara.team,
        "reason": "Bad om hjälp efter samtalet.",
    }
    before = (Referral.objects.count(), Share.objects.count())
    with pytest.raises(ValidationError):
        services.invitation_refer(invitation=invitation, **refer)
    assert (Referral.objects.count(), Share.objects.count()) == before

    invitation = services.invitation_help(
        actor=petra, invitation=invitation, version=invitation.version, asked_for_help=True, help_note=" Jobb "
    )
    assert invitation.help_note == "Jobb"
    with pytest.raises(ValidationError) as exc:
        services.invitation_refer(invitation=invitation, **refer)
    assert "legal_basis" in exc.value.message_dict
    assert (Referral.objects.count(), Share.objects.count()) == before
    assert fresh(invitation).referral_id is None

    for name in ("sara", "anders", "karin", "nils"):
        with pytest.raises(Http404):
            services.invitation_refer(invitation=invitation, **{**refer, "actor": world[name]}, legal_basis="osl_10_2")

    referred = services.invitation_refer(invitation=invitation, legal_basis=LegalBasis.OSL_10_2, **refer)
    assert referred.referral is not None
    assert referred.referral.source_person == invitation.person
    assert Referral.objects.count() == before[0] + 1
    assert Share.objects.filter(person=invitation.person, receiving_agency=sara.agency).exists()
    assert access.visible(sara, Referral).filter(pk=referred.referral.pk).exists()
    assert not access.visible(world["nils"], Referral).filter(pk=referred.referral.pk).exists()

    with pytest.raises(ValidationError):
        services.invitation_refer(invitation=referred, legal_basis=LegalBasis.OSL_10_2, **refer)
    assert Referral.objects.count() == before[0] + 1


# --------------------------------------------------------------------------------------------------
# Custom notifications


def requested(world: dict[str, Any], n: int = 60) -> CustomNotification:
    return services.notification_request(
        actor=world["petra"], person=new_person(world, n), reason=" Hot efter skjutning "
    )


def assessed(world: dict[str, Any], notification: CustomNotification, risk: str = "proceed") -> CustomNotification:
    return services.notification_assess(
        actor=world["petra"],
        notification=notification,
        version=notification.version,
        risk_outcome=risk,
        risk_reasoning="Ingen pågående förundersökning påverkas.",
    )


def planned(world: dict[str, Any], notification: CustomNotification, *deliverers: str) -> CustomNotification:
    return services.notification_plan(
        actor=world["petra"],
        notification=notification,
        version=notification.version,
        deliverers=[world[name] for name in deliverers or ("petra", "sara")],
        place="home",
        message_points="Våldet måste upphöra. Hjälp finns.",
        planned_for=now() + timedelta(days=1),
    )


def unchanged(notification: CustomNotification) -> None:
    current = fresh(notification)
    assert (current.status, current.version) == (notification.status, notification.version)


def test_the_whole_flow_of_a_custom_notification(world: dict[str, Any]) -> None:
    petra, sara = world["petra"], world["sara"]
    notification = requested(world)
    assert notification.status == Status.REQUESTED
    assert notification.reason == "Hot efter skjutning"
    assert notification.person_name == "Testperson60 Lind"
    notification = assessed(world, notification, "with_care")
    assert notification.status == Status.ASSESSED
    assert notification.assessed_by == petra
    notification = planned(world, notification, "petra", "sara")
    assert notification.status == Status.PLANNED
    assert set(selectors.notification_deliverers(notification)) == {petra, sara}
    assert selectors.notifications_to_deliver(sara).filter(pk=notification.pk).exists()
    notification = services.notification_record_outcome(
        actor=sara, notification=notification, version=notification.version, outcome="delivered", outcome_note=" Ok "
    )
    assert notification.status == Status.OUTCOME
    assert notification.first_contact_at == notification.outcome_at
    assert notification.hours_to_contact is not None
    assert notification.hours_to_contact >= 0
    notification = services.notification_follow_up(
        actor=sara, notification=notification, version=notification.version, help_offered=True, help_accepted=True
    )
    assert notification.status == Status.CLOSED
    assert notification.help_accepted


def test_illegal_transitions_are_refused_and_change_nothing(world: dict[str, Any]) -> None:
    petra = world["petra"]
    notification = requested(world)
    with pytest.raises(ValidationError):
        planned(world, notification)
    unchanged(notification)
    for call in (
        lambda: services.notification_record_outcome(
            actor=petra, notification=notification, version=notification.version, outcome="delivered"
        ),
        lambda: services.notification_follow_up(
            actor=petra, notification=notification, version=notification.version, help_offered=True
        ),
    ):
        with pytest.raises(ValidationError):
            call()
        unchanged(notification)
    done = assessed(world, notification)
    with pytest.raises(ValidationError):
        assessed(world, done)  # the same submit twice
    unchanged(done)
    done = planned(world, done)
    with pytest.raises(ValidationError):
        services.notification_follow_up(actor=petra, notification=done, version=done.version, help_offered=False)
    unchanged(done)
    done = services.notification_record_outcome(actor=petra, notification=done, version=done.version, outcome="refused")
    with pytest.raises(ValidationError):
        services.notification_record_outcome(actor=petra, notification=done, version=done.version, outcome="delivered")
    unchanged(done)
    with pytest.raises(ValidationError):
        services.notification_cancel(actor=petra, notification=done, version=done.version)
    unchanged(done)
    with pytest.raises(ValidationError):
        services.notification_follow_up(
            actor=petra, notification=done, version=done.version, help_offered=False, help_accepted=True
        )
    unchanged(done)


@pytest.mark.parametrize("name", ["anders", "sara", "erik", "karin", "lena", "nils", "maja"])
def test_only_the_police_coordinator_assesses(world: dict[str, Any], name: str) -> None:
    notification = requested(world)
    with pytest.raises(Http404):
        services.notification_assess(
            actor=world[name],
            notification=notification,
            version=notification.version,
            risk_outcome="proceed",
            risk_reasoning="x",
        )
    unchanged(notification)


@pytest.mark.parametrize("name", ["anders", "sara", "karin", "nils"])
def test_only_the_police_coordinator_plans_and_cancels(world: dict[str, Any], name: str) -> None:
    notification = assessed(world, requested(world))
    with pytest.raises(Http404):
        services.notification_plan(
            actor=world[name],
            notification=notification,
            version=notification.version,
            deliverers=[world["petra"], world["sara"]],
            place="home",
            message_points="x",
        )
    with pytest.raises(Http404):
        services.notification_cancel(actor=world[name], notification=notification, version=notification.version)
    unchanged(notification)


def test_the_analyst_requests_but_nobody_outside_the_police_does(world: dict[str, Any]) -> None:
    person = new_person(world, 61)
    by_anders = services.notification_request(actor=world["anders"], person=person, reason="Hot.")
    assert by_anders.status == Status.REQUESTED
    for name in ("sara", "karin", "lena", "nils"):
        with pytest.raises(Http404):
            services.notification_request(actor=world[name], person=person, reason="Hot.")
    with pytest.raises(ValidationError) as exc:
        services.notification_request(actor=world["petra"], person=person, reason="   ")
    assert set(exc.value.message_dict) == {"reason"}


def test_a_stale_version_is_refused(world: dict[str, Any]) -> None:
    notification = assessed(world, requested(world))
    with pytest.raises(StaleVersion):
        services.notification_plan(
            actor=world["petra"],
            notification=notification,
            version=notification.version - 1,
            deliverers=[world["petra"], world["sara"]],
            place="home",
            message_points="x",
        )
    unchanged(notification)
    assert not fresh(notification).deliverers.exists()


def test_do_not_deliver_ends_it(world: dict[str, Any]) -> None:
    notification = assessed(world, requested(world), "do_not")
    assert notification.status == Status.CANCELLED
    assert notification.risk_outcome == "do_not"
    with pytest.raises(ValidationError):
        planned(world, notification)
    unchanged(notification)


def test_an_assessment_needs_an_outcome_and_reasoning(world: dict[str, Any]) -> None:
    notification = requested(world)
    with pytest.raises(ValidationError) as exc:
        services.notification_assess(
            actor=world["petra"],
            notification=notification,
            version=notification.version,
            risk_outcome="x",
            risk_reasoning=" ",
        )
    assert set(exc.value.message_dict) == {"risk_outcome", "risk_reasoning"}
    unchanged(notification)


@pytest.mark.parametrize(
    "deliverers",
    [
        pytest.param(("petra",), id="police-only"),
        pytest.param(("sara",), id="social-worker-only"),
        pytest.param(("petra", "karin"), id="no-social-worker"),
        pytest.param(("petra", "nils"), id="another-program"),
        pytest.param(("petra", "sara", "lena"), id="program-lead"),
        pytest.param(("petra", "sara", "olle"), id="another-programs-police"),
    ],
)
def test_a_plan_needs_police_and_a_social_worker_of_the_program(
    world: dict[str, Any], deliverers: tuple[str, ...]
) -> None:
    notification = assessed(world, requested(world))
    with pytest.raises(ValidationError) as exc:
        planned(world, notification, *deliverers)
    assert set(exc.value.message_dict) == {"deliverers"}
    unchanged(notification)
    assert not fresh(notification).deliverers.exists()


def test_a_plan_checks_place_message_and_date(world: dict[str, Any]) -> None:
    notification = assessed(world, requested(world))
    with pytest.raises(ValidationError) as exc:
        services.notification_plan(
            actor=world["petra"],
            notification=notification,
            version=notification.version,
            deliverers=[world["petra"], world["sara"]],
            place="moon",
            message_points=" ",
            planned_for=datetime(1850, 1, 1, tzinfo=timezone.get_current_timezone()),
        )
    assert set(exc.value.message_dict) == {"place", "message_points", "planned_for"}
    unchanged(notification)


def test_deliverers_get_the_plan_never_the_record(world: dict[str, Any]) -> None:
    notification = planned(world, assessed(world, requested(world)), "petra", "sara", "karin")
    for name in ("sara", "karin"):
        user: Staff = world[name]
        assert access.visible(user, CustomNotification, "view_plan").filter(pk=notification.pk).exists()
        assert not access.visible(user, CustomNotification).filter(pk=notification.pk).exists()
        assert not access.visible(user, CustomNotification, "change").filter(pk=notification.pk).exists()
    for name in ("erik", "malin", "lena", "nils", "maja"):
        for action in ("view", "view_plan"):
            assert not access.visible(world[name], CustomNotification, action).filter(pk=notification.pk).exists()
    values = selectors.partial_values(notification, "view_plan")
    assert not {"risk_outcome", "risk_reasoning", "reason", "person"} & set(values)


def test_sara_records_the_outcome_and_follow_up_of_one_she_delivers_only(world: dict[str, Any]) -> None:
    sara = world["sara"]
    hers = planned(world, assessed(world, requested(world, 62)), "petra", "sara")
    not_hers = planned(world, assessed(world, requested(world, 63)), "petra", "malin")
    with pytest.raises(Http404):
        services.notification_record_outcome(
            actor=sara, notification=not_hers, version=not_hers.version, outcome="delivered"
        )
    unchanged(not_hers)
    assert services.may(sara, "record_outcome", hers)
    assert not services.may(sara, "record_outcome", not_hers)
    assert not services.may(sara, "assess", hers)
    assert not services.may(sara, "plan", hers)
    hers = services.notification_record_outcome(
        actor=sara, notification=hers, version=hers.version, outcome="delivered"
    )
    not_hers = services.notification_record_outcome(
        actor=world["petra"], notification=not_hers, version=not_hers.version, outcome="delivered"
    )
    with pytest.raises(Http404):
        services.notification_follow_up(actor=sara, notification=not_hers, version=not_hers.version, help_offered=True)
    unchanged(not_hers)
    with pytest.raises(Http404):
        services.notification_cancel(actor=sara, notification=hers, version=hers.version)
    closed = services.notification_follow_up(actor=sara, notification=hers, version=hers.version, help_offered=True)
    assert closed.status == Status.CLOSED


def test_karin_records_the_outcome_but_not_the_follow_up(world: dict[str, Any]) -> None:
    karin = world["karin"]
    notification = planned(world, assessed(world, requested(world)), "petra", "sara", "karin")
    notification = services.notification_record_outcome(
        actor=karin, notification=notification, version=notification.version, outcome="refused"
    )
    with pytest.raises(Http404):
        services.notification_follow_up(
            actor=karin, notification=notification, version=notification.version, help_offered=True
        )
    unchanged(notification)


@pytest.mark.parametrize(
    ("outcome", "reached"),
    [("delivered", True), ("refused", True), ("not_found", False)],
)
def test_first_contact_is_set_when_the_person_was_reached(world: dict[str, Any], outcome: str, reached: bool) -> None:
    notification = planned(world, assessed(world, requested(world)))
    CustomNotification.objects.filter(pk=notification.pk).update(requested_at=now() - timedelta(hours=30))
    notification = fresh(notification)
    at = notification.requested_at + timedelta(hours=24)
    done = services.notification_record_outcome(
        actor=world["sara"], notification=notification, version=notification.version, outcome=outcome, outcome_at=at
    )
    assert done.outcome_at == at
    if reached:
        assert done.first_contact_at == at
        assert done.hours_to_contact == 24.0
    else:
        assert done.first_contact_at is None
        assert done.hours_to_contact is None


@pytest.mark.parametrize(
    "offset",
    [pytest.param(timedelta(hours=-1), id="before-the-request"), pytest.param(timedelta(days=2), id="in-the-future")],
)
def test_the_outcome_time_lies_between_the_request_and_now(world: dict[str, Any], offset: timedelta) -> None:
    notification = planned(world, assessed(world, requested(world)))
    base = notification.requested_at if offset < timedelta(0) else now()
    with pytest.raises(ValidationError) as exc:
        services.notification_record_outcome(
            actor=world["petra"],
            notification=notification,
            version=notification.version,
            outcome="delivered",
            outcome_at=base + offset,
        )
    assert set(exc.value.message_dict) == {"outcome_at"}
    unchanged(notification)


def test_the_demo_notifications_are_seen_as_documented(world: dict[str, Any]) -> None:
    ids = {world[key].pk for key in ("malmo_notification", "malmo_notification_done", "malmo_notification_new")}
    for name in ("petra", "anders"):
        assert set(access.visible(world[name], CustomNotification).values_list("pk", flat=True)) >= ids
    assert set(access.visible(world["sara"], CustomNotification, "view_plan").values_list("pk", flat=True)) == {
        world["malmo_notification"].pk,
        world["malmo_notification_done"].pk,
    }
    assert set(access.visible(world["karin"], CustomNotification, "view_plan").values_list("pk", flat=True)) == {
        world["malmo_notification_done"].pk
    }
    for name in ("lena", "olof", "ada", "nils", "maja"):
        for action in ("view", "view_plan"):
            assert not access.visible(world[name], CustomNotification, action).exists(), (name, action)


def test_attendance_is_not_confirmed_for_a_cancelled_call_in(world: dict[str, Any]) -> None:
    call_in = world["malmo_callin"]
    services.call_in_set_status(
        actor=world["petra"], call_in=call_in, version=call_in.version, status=CallIn.Status.CANCELLED
    )
    invitation = world["malmo_invitation"]
    with pytest.raises(ValidationError):
        services.invitation_confirm(actor=world["karin"], invitation=invitation)
    assert fresh(invitation).status == CallInInvitation.Status.INVITED


def test_letters_are_printed_by_the_coordinator_and_audited_per_letter(world: dict[str, Any]) -> None:
    invitation = world["malmo_invitation"]
    for name in ("anders", "sara", "karin", "lena", "nils"):
        with pytest.raises(Http404):
            services.letters_printed(actor=world[name], invitations=[invitation])
    assert fresh(invitation).letter_printed_at is None
    services.letters_printed(actor=world["petra"], invitations=[invitation])
    assert fresh(invitation).letter_printed_at is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.PRINT, object_type="interventions.callininvitation", object_id=str(invitation.pk)
    ).exists()
