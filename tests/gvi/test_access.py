"""The one access policy: role table × grants, fail closed, no superuser or model-permission bypass."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404

from cases.models import Person
from cases.services import person_create
from gvi import access
from gvi.accounts.models import Agency, AgencyKind, Role, Staff
from gvi.audit.models import AuditAction, AuditEvent


def _new_staff(world: dict[str, Any], username: str, **fields: Any) -> Staff:
    template: Staff = world["petra"]
    defaults = {"role": template.role, "program": template.program, "agency": template.agency, "team": template.team}
    return Staff.objects.create(username=username, **{**defaults, **fields})


def test_role_with_model_permission_but_no_grant_sees_nothing(world: dict[str, Any]) -> None:
    """Guardian's default would return every person to a holder of the model-level permission."""
    empty_agency = Agency.objects.create(name="Polisen Lund", slug="polisen-lund", kind=AgencyKind.POLICE)
    outsider = _new_staff(world, "outsider", role=Role.POLICE_ANALYST, agency=empty_agency, team=None)
    outsider.user_permissions.add(Permission.objects.get(codename="view_person"))
    outsider = Staff.objects.get(pk=outsider.pk)
    assert outsider.has_perm("cases.view_person")
    assert Person.objects.exists()
    assert not access.visible(outsider, Person).exists()


def test_superuser_sees_no_case_data(world: dict[str, Any]) -> None:
    root = _new_staff(world, "root", role=Role.ADMIN, agency=None, team=None, is_superuser=True, is_staff=True)
    assert not access.visible(root, Person).exists()
    with pytest.raises(Http404):
        access.get_visible_or_404(root, Person, world["malmo_police_person"].pk)


def test_superuser_flag_does_not_widen_a_case_role(world: dict[str, Any]) -> None:
    sara: Staff = world["sara"]
    Staff.objects.filter(pk=sara.pk).update(is_superuser=True)
    sara = Staff.objects.get(pk=sara.pk)
    visible_ids = set(access.visible(sara, Person).values_list("pk", flat=True))
    assert world["malmo_police_person"].pk not in visible_ids
    assert world["malmo_social_person"].pk in visible_ids


def test_unknown_role_is_denied_and_logged(world: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    stranger = _new_staff(world, "stranger")
    Staff.objects.filter(pk=stranger.pk).update(role="janitor")
    stranger = Staff.objects.get(pk=stranger.pk)
    with caplog.at_level(logging.WARNING, logger="gvi.access"):
        assert not access.visible(stranger, Person).exists()
    assert "unknown role" in caplog.text


def test_unknown_model_is_denied_and_logged(world: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gvi.access"):
        assert not access.visible(world["petra"], Permission).exists()
    assert "unknown model" in caplog.text


def test_unknown_action_is_denied(world: dict[str, Any]) -> None:
    assert not access.visible(world["petra"], Person, "obliterate").exists()
    assert not access.can(world["petra"], "delete", world["malmo_police_person"])


def test_inactive_user_sees_nothing(world: dict[str, Any]) -> None:
    petra: Staff = world["petra"]
    petra.is_active = False
    assert not access.visible(petra, Person).exists()


def test_scopes_own_team_agency(world: dict[str, Any]) -> None:
    """Sara (team scope) sees her team's records; Erik (agency) sees the whole municipality's;
    Karin (own) only what is granted to her personally."""

    def ids(name: str) -> set[int]:
        return set(access.visible(world[name], Person).values_list("pk", flat=True))

    assert world["malmo_social_person"].pk in ids("sara")
    assert world["malmo_field_team_person"].pk not in ids("sara")
    assert {world["malmo_social_person"].pk, world["malmo_field_team_person"].pk} <= ids("erik")
    assert ids("karin") == set(
        Person.objects.filter(owner_agency=world["karin"].agency, created_by=world["karin"]).values_list(
            "pk", flat=True
        )
    )


def test_probation_officer_does_not_see_a_colleagues_clients(world: dict[str, Any]) -> None:
    colleague = _new_staff(
        world, "colleague", role=Role.PROBATION_OFFICER, agency=world["karin"].agency, team=world["karin"].team
    )
    theirs = person_create(actor=colleague, given_name="Tor", family_name="Lund", birth_year=2001)
    assert not access.visible(world["karin"], Person).filter(pk=theirs.pk).exists()
    assert access.visible(colleague, Person).filter(pk=theirs.pk).exists()


def test_nothing_crosses_programs(world: dict[str, Any]) -> None:
    nils: Staff = world["nils"]
    malmo_ids = set(Person.objects.filter(program=world["sara"].program).values_list("pk", flat=True))
    assert malmo_ids
    assert not set(access.visible(nils, Person).values_list("pk", flat=True)) & malmo_ids
    for pk in malmo_ids:
        with pytest.raises(Http404):
            access.get_visible_or_404(nils, Person, pk)


def test_a_grant_in_another_program_gives_nothing(world: dict[str, Any]) -> None:
    """Even a direct grant does not cross the program boundary."""
    access.grant(world["malmo_social_person"], to=world["nils"], actions=["view"], basis="test", actor=world["erik"])
    assert not access.visible(world["nils"], Person).filter(pk=world["malmo_social_person"].pk).exists()


def test_grant_and_revoke_are_audited_with_basis(world: dict[str, Any]) -> None:
    person = world["malmo_social_person"]
    anders: Staff = world["anders"]
    # Anders' role has agency scope: a grant to him personally counts.
    access.grant(person, to=anders, actions=["view"], basis="OSL 10 kap. 18 a §", actor=world["erik"])
    assert access.visible(anders, Person).filter(pk=person.pk).exists()
    access.revoke(person, to=anders, actions=["view"], basis="OSL 10 kap. 18 a §", actor=world["erik"])
    assert not access.visible(anders, Person).filter(pk=person.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="cases.person", object_id=str(person.pk), action__in=["grant", "revoke"])
        .order_by("id")
        .values_list("action", "legal_basis")
    )
    assert actions[-2:] == [("grant", "OSL 10 kap. 18 a §"), ("revoke", "OSL 10 kap. 18 a §")]


def test_grants_sit_on_root_objects_only(world: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not a root object"):
        access.grant(world["petra"], to=world["anders"], actions=["view"], basis="x", actor=world["ada"])


def test_partial_permission_shows_declared_fields_only(world: dict[str, Any]) -> None:
    person = world["malmo_social_person"]
    karin: Staff = world["karin"]
    access.grant(person, to=karin, actions=["view_identity"], basis="referral", actor=world["sara"])
    assert access.visible(karin, Person, "view_identity").filter(pk=person.pk).exists()
    assert not access.visible(karin, Person, "view").filter(pk=person.pk).exists()
    assert "identity_number" not in access.partial_fields(Person, "view_identity")
    assert access.partial_fields(Person, "view") == ()


def test_countable_counts_the_program_without_opening_rows(world: dict[str, Any]) -> None:
    lena: Staff = world["lena"]
    program_total = Person.objects.filter(program=lena.program).count()
    assert access.countable(lena, Person).count() == program_total
    assert not access.visible(lena, Person).exists()
    assert (
        access.countable(world["maja"], Person).count() == Person.objects.filter(program=world["maja"].program).count()
    )
    assert not access.countable(world["sara"], Person).exists()


def test_missing_and_forbidden_give_the_same_404(world: dict[str, Any]) -> None:
    sara: Staff = world["sara"]
    missing = Person.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    for pk in (missing, world["malmo_police_person"].pk, "not-a-number"):
        with pytest.raises(Http404):
            access.get_visible_or_404(sara, Person, pk)
    denials = AuditEvent.objects.filter(actor_id=sara.pk, action=AuditAction.DENY).count()
    assert denials == 3


def test_system_actor_is_named_and_audited(world: dict[str, Any]) -> None:
    program = world["sara"].program
    system = access.system_actor(program)
    assert system.role == Role.SYSTEM
    assert not system.has_usable_password()
    assert access.system_actor(program).pk == system.pk
    assert access.countable(system, Person).count() == Person.objects.filter(program=program).count()
    assert not access.visible(system, Person).exists()


def test_codename_of_partial_action() -> None:
    assert access.codename(Person, "view") == "view_person"
    assert access.codename(Person, "view_identity") == "view_person_identity"


NARROWED_MODELS = (
    "cases.person",
    "cases.policesection",
    "mapping.incident",
    "mapping.groupmembership",  # a child: its group's grants decide
    "outreach.exitcase",
    "outreach.contact",  # a child of the exit case
    "interventions.customnotification",
    "interventions.callininvitation",
)
NARROWED_ACTIONS = ("view", "change", "view_summary", "view_identity", "view_plan")


@pytest.mark.parametrize("label", NARROWED_MODELS)
def test_narrowed_reads_answer_as_the_whole_policy_does(world: dict[str, Any], label: str) -> None:
    """visible(pk=...) looks grants up by the objects' ids: for every persona, action and object, one id and a
    queryset of ids give exactly what visible() filtered afterwards gives, and no more. For a child model,
    visible_through_parents() (the parents' ids read first) gives exactly visible()'s rows."""
    from django.apps import apps

    model = apps.get_model(label)
    all_ids = list(model._default_manager.values_list("pk", flat=True))
    assert all_ids, f"the demo holds no {label}"
    checked = 0
    for user in Staff.objects.filter(program__isnull=False, is_active=True):
        for action in NARROWED_ACTIONS:
            if access.scope_for(user, model, action) is None:
                continue
            whole = set(access.visible(user, model, action).values_list("pk", flat=True))
            among = model._default_manager.filter(pk__in=all_ids[::2]).values("pk")
            narrowed = set(access.visible(user, model, action, pk=among).values_list("pk", flat=True))
            assert narrowed == whole & set(all_ids[::2]), (user.username, action)
            for pk in all_ids:
                assert access.visible(user, model, action, pk=pk).exists() == (pk in whole), (user.username, action, pk)
            assert not access.visible(user, model, action, pk=None).exists()
            if label in access.CHILD_MODELS:
                for few in (1, 1000):  # above and below the user's number of parents
                    through = access.visible_through_parents(user, model, action, few=few)
                    assert set(through.values_list("pk", flat=True)) == whole, (user.username, action, few)
            checked += 1
    assert checked
