"""`manage.py seed_scale` (gvi/scale): a tiny national-scale seed in the test database. The counts follow the
scale, the benchmark personas log in as the demo personas do, bench_least sees a handful and bench_most his whole
agency's records, and every kind of seeded record carries exactly the grant rows its service would have made."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from cases import services as case_services
from cases.models import Person, PersonAlias, ProbationSection
from gvi import access, scale
from gvi.accounts.models import Agency, Program, Staff
from gvi.demo import DEMO_PASSWORD, current_totp, totp_key_hex
from gvi.mapping import services as mapping_services
from gvi.mapping.models import Group, GroupMembership, Incident
from gvi.scale.world import BENCH_PERSONAS, PROGRAM_SLUG
from interventions import services as intervention_services
from interventions.models import CallIn, CallInInvitation, CustomNotification, EnforcementRound, IncidentResponse
from interventions.services import responses, rounds
from outreach import services as outreach_services
from outreach.models import Contact, ExitCase, Referral

SCALE = 0.002
VOLUMES = scale.Volumes.national(scale=SCALE)


@pytest.fixture
def seeded(world: dict[str, Any]) -> dict[str, Staff]:
    """The tiny seed next to the demo data; its personas by username."""
    call_command("seed_scale", scale=SCALE, seed=7, stdout=_Null())
    return {s.username: s for s in Staff.objects.filter(username__in=BENCH_PERSONAS)}


class _Null:
    def write(self, _text: str) -> None:
        """Swallow the summary."""


def _program() -> Program:
    return Program.objects.get(slug=PROGRAM_SLUG)


def test_volumes_follow_the_scale(seeded: dict[str, Staff]) -> None:
    program = _program()
    assert Person.objects.filter(program=program).count() == VOLUMES.persons == 124
    assert Group.objects.filter(program=program).count() == VOLUMES.groups
    assert GroupMembership.objects.filter(group__program=program).count() == VOLUMES.memberships
    assert Incident.objects.filter(program=program).count() == VOLUMES.incidents
    assert ExitCase.objects.filter(program=program).count() == VOLUMES.exit_cases
    assert Contact.objects.filter(exit_case__program=program).count() == VOLUMES.contacts
    assert CallIn.objects.filter(program=program).count() == VOLUMES.call_ins
    assert CustomNotification.objects.filter(program=program).count() == VOLUMES.notifications
    assert Agency.objects.filter(programs=program).count() == 8
    assert Staff.objects.filter(program=program).count() >= 40
    # Every kind the main pages list has rows.
    assert Referral.objects.filter(program=program).exists()
    assert ProbationSection.objects.filter(program=program).exists()
    assert CallInInvitation.objects.filter(program=program).exists()
    assert EnforcementRound.objects.filter(program=program).exists()
    assert IncidentResponse.objects.filter(program=program).exists()


def test_national_volumes_are_design_figures() -> None:
    national = scale.Volumes.national()
    assert (national.persons, national.contacts, national.notifications, national.staff) == (
        62_000,
        1_000_000,
        50_000,
        400,
    )
    assert scale.Volumes.national(scale=0.5, persons=1_000).persons == 1_000
    assert scale.Volumes.national(scale=0.5, persons=1_000).groups == 500


def test_personas_log_in_with_password_and_totp(seeded: dict[str, Staff]) -> None:
    assert set(seeded) == set(BENCH_PERSONAS)
    for username in BENCH_PERSONAS:
        assert seeded[username].check_password(DEMO_PASSWORD)
        assert seeded[username].is_active
        device = TOTPDevice.objects.get(user=seeded[username], confirmed=True)
        assert device.key == totp_key_hex(username)
        assert device.verify_token(current_totp(username))
    program_staff = Staff.objects.filter(program=_program())
    assert TOTPDevice.objects.filter(user__in=program_staff, confirmed=True).count() == program_staff.count()


def test_bench_least_sees_a_handful(seeded: dict[str, Staff]) -> None:
    least = seeded["bench_least"]
    program = _program()
    assert ExitCase.objects.filter(program=program).count() > 10  # the cases she must not see exist
    cases = access.visible(least, ExitCase)
    assert cases.count() == 4
    assert set(cases.values_list("responsible_id", flat=True)) == {least.pk}
    assert 1 <= access.visible(least, Person).count() <= 6
    assert access.visible(least, Contact).count() == Contact.objects.filter(exit_case__in=cases).count()
    assert not access.visible(least, Incident).exists()


def test_bench_most_sees_his_whole_agency(seeded: dict[str, Staff]) -> None:
    most = seeded["bench_most"]
    for model in (Person, Group, Incident, CallIn, CustomNotification):
        owned = model._default_manager.filter(owner_agency_id=most.agency_id)
        assert access.visible(most, model).count() == owned.count() > 0
    assert access.visible(most, Person).count() > Person.objects.filter(program=_program()).count() / 3


def test_bench_social_and_bench_lead(seeded: dict[str, Staff]) -> None:
    social, lead = seeded["bench_social"], seeded["bench_lead"]
    assert ExitCase.objects.filter(responsible=social).count() == 36  # 45 asked for, of the tiny seed's 40 cases
    assert access.visible(social, ExitCase).filter(responsible=social).count() == 36
    assert access.countable(lead, ExitCase).count() == VOLUMES.exit_cases
    assert not access.visible(lead, ExitCase).exists()


def test_a_second_run_refuses_and_reset_removes_only_the_seed(seeded: dict[str, Staff]) -> None:
    demo_persons = Person.objects.exclude(program__slug=PROGRAM_SLUG).count()
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_scale", scale=SCALE, stdout=_Null())
    # What was made in the seeded program since, through the app, goes with it.
    person = _seeded(Person)
    case_services.alias_add(actor=person.created_by, person=person, name="Lillen", kind="nickname")
    scale.reset()
    assert not PersonAlias.objects.filter(name="Lillen").exists()
    assert not Program.objects.filter(slug=PROGRAM_SLUG).exists()
    assert not Staff.objects.filter(username__in=BENCH_PERSONAS).exists()
    assert Person.objects.count() == demo_persons > 0
    # Seeded again the way the national set is (on PostgreSQL: indexes and foreign keys dropped for the load and
    # built again after it), in the same transaction as the reset.
    scale.seed(volumes=VOLUMES, bulk_load=True)
    assert Person.objects.filter(program__slug=PROGRAM_SLUG).count() == VOLUMES.persons
    assert access.visible(Staff.objects.get(username="bench_least"), ExitCase).count() == 4


def test_the_reset_option_seeds_anew(seeded: dict[str, Staff]) -> None:
    before = _program().pk
    call_command("seed_scale", scale=SCALE, reset=True, stdout=_Null())
    assert _program().pk != before
    assert Person.objects.filter(program__slug=PROGRAM_SLUG).count() == VOLUMES.persons


# --------------------------------------------------------------------------------------------------
# Grant equivalence: a seeded record's grant rows against those of the same kind of record made by its service,
# by the same actor.


def grant_rows(obj: models.Model) -> set[tuple[str, int, str]]:
    """(grantee kind, grantee id, permission codename) of every grant on the object."""
    model = type(obj)
    users = get_user_obj_perms_model(model)._default_manager.filter(content_object_id=obj.pk)  # type: ignore[arg-type]
    groups = get_group_obj_perms_model(model)._default_manager.filter(content_object_id=obj.pk)  # type: ignore[arg-type]
    found = [
        *(("user", *row) for row in users.values_list("user_id", "permission__codename", "expires_at")),
        *(("group", *row) for row in groups.values_list("group_id", "permission__codename", "expires_at")),
    ]
    assert all(expires is None for *_grant, expires in found)
    return {(kind, grantee, codename) for kind, grantee, codename, _expires in found}


def _seeded(model: type[models.Model], **lookup: Any) -> Any:
    return model._default_manager.filter(program=_program(), **lookup).order_by("pk").first()


def _person(actor: Staff, given: str = "Testa") -> Person:
    return case_services.person_create(actor=actor, given_name=given, family_name="Testsson", birth_year=2001)


def test_person_section_group_and_incident_grants_match_the_services(seeded: dict[str, Staff]) -> None:
    police_person = _seeded(Person, owner_agency__kind="police")
    made = _person(police_person.created_by)
    assert grant_rows(police_person) == grant_rows(made)

    section = _seeded(ProbationSection)
    officer = section.created_by
    client = _person(officer)
    twin = case_services.section_create(actor=officer, person=client, kind="probation", probation_officer=officer)
    assert grant_rows(section) == grant_rows(twin)

    group = _seeded(Group)
    assert grant_rows(group) == grant_rows(mapping_services.group_create(actor=group.created_by, name="Testgruppen"))

    incident = _seeded(Incident)
    twin_incident = mapping_services.incident_create(
        actor=incident.created_by, kind="shooting", occurred_at=timezone.now(), place="Testgatan 1"
    )
    assert grant_rows(incident) == grant_rows(twin_incident)


def test_referral_and_exit_case_grants_match_the_services(seeded: dict[str, Staff]) -> None:
    referral = _seeded(Referral, status="opened")
    referrer = referral.referred_by
    twin = outreach_services.referral_create(
        actor=referrer,
        source_person=_person(referrer),
        receiving_agency=referral.owner_agency,
        receiving_team=referral.receiving_team,
        reason="Vill ut.",
        source="self",
    )
    assert grant_rows(referral) == grant_rows(twin)

    for case in (_seeded(ExitCase, referral__isnull=True), _seeded(ExitCase, referral__isnull=False)):
        opener, responsible = case.created_by, case.responsible
        made = outreach_services.exit_case_open(actor=opener, person=_person(responsible), responsible=responsible)
        assert grant_rows(case) == grant_rows(made)


def test_person_grants_after_a_referral_match_the_service(seeded: dict[str, Staff]) -> None:
    """`referral_open_case` grants the person's record to the opener's and the responsible's teams."""
    case = _seeded(ExitCase, referral__isnull=False)
    referral = case.referral
    assert referral is not None
    person = _person(referral.referred_by)
    twin = outreach_services.referral_create(
        actor=referral.referred_by,
        source_person=person,
        receiving_agency=referral.owner_agency,
        receiving_team=referral.receiving_team,
        reason="Vill ut.",
        source="self",
    )
    accepted = outreach_services.referral_decide(
        actor=case.created_by, referral=twin, version=twin.version, accept=True
    )
    outreach_services.referral_open_case(
        actor=case.created_by, referral=accepted, version=accepted.version, responsible=case.responsible
    )
    assert grant_rows(case.person) == grant_rows(person)


def test_call_in_invitation_and_notification_grants_match_the_services(seeded: dict[str, Staff]) -> None:
    invitation = _seeded(CallInInvitation)
    actor, call_in = invitation.created_by, invitation.call_in
    group = mapping_services.group_create(actor=actor, name="Inbjudna")
    member = _person(actor)
    mapping_services.membership_add(
        actor=actor,
        group=group,
        person=member,
        confidence="confirmed",
        source="spaning",
        valid_from=timezone.localdate(),
    )
    twin = intervention_services.call_in_create(
        actor=actor, starts_at=timezone.now() + timedelta(days=5), place="Medborgarhuset", groups=[group]
    )
    assert grant_rows(call_in) == grant_rows(twin)
    [made] = intervention_services.invitations_create(actor=actor, call_in=twin, persons=[member])
    assert grant_rows(invitation) == grant_rows(made)

    planned = _seeded(CustomNotification, status="planned")
    creator = planned.created_by
    request = intervention_services.notification_request(actor=creator, person=_person(creator), reason="Hot.")
    assessed = intervention_services.notification_assess(
        actor=creator, notification=request, version=request.version, risk_outcome="proceed", risk_reasoning="Ok."
    )
    twin_plan = intervention_services.notification_plan(
        actor=creator,
        notification=assessed,
        version=assessed.version,
        deliverers=list(planned.deliverers.all()),
        place="home",
        message_points="Våldet måste upphöra.",
    )
    assert grant_rows(planned) == grant_rows(twin_plan)


def test_round_and_response_grants_match_the_services(seeded: dict[str, Staff]) -> None:
    round_ = _seeded(EnforcementRound)
    actor = round_.created_by
    group = mapping_services.group_create(actor=actor, name="Ökat fokus")
    twin = rounds.round_start(actor=actor, group=group, reason="Skjutningar.")
    for action in round_.actions.order_by("pk"):
        made = rounds.action_add(
            actor=actor,
            round_=twin,
            kind=action.kind,
            acted_on=timezone.localdate(),
            acting_agency=action.acting_agency,
        )
        assert grant_rows(action) == grant_rows(made)
    assert grant_rows(round_) == grant_rows(twin)

    response = _seeded(IncidentResponse)
    opener = response.created_by
    incident = mapping_services.incident_create(
        actor=opener, kind="shooting", occurred_at=timezone.now(), place="Testgatan 2"
    )
    made_response = responses.response_open(actor=opener, incident=incident)
    assert grant_rows(response) == grant_rows(made_response)
    seeded_tasks = [grant_rows(t) for t in response.tasks.order_by("order", "pk")]
    assert seeded_tasks == [grant_rows(t) for t in made_response.tasks.order_by("order", "pk")]
