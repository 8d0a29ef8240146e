"""The group map over the API: the same policy, services and audit as the pages.

Petra (police coordinator) and Anders (police analyst) keep the map; everyone else gets 404 (the
permission matrix runs every route for every persona). Here: the round trip of every resource, edits that
never overwrite each other (If-Match), bad input answered with 400 and the field, the network as of a day,
and query counts that do not grow with the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Person
from cases.services import person_create
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping import services
from gvi.mapping.models import Group, GroupMembership, GroupRelation, Incident
from tests.conftest import max_queries
from tests.gvi.mapping.matrix import MAPPING_SUBJECTS

ClientFor = Callable[[str], Client]
JSON = "application/json"

# Queries a request runs, measured with a warmed-up process (permission ids cached), the same on SQLite
# and PostgreSQL, and the same for 5 and for 50 extra rows:
#   group list:    session, user, OTP device, team, agency, count, page rows (members counted in the
#                  same query), list audit event
#   incident list: the same, plus the groups and the involvements of the page's incidents
#   network:       session, user, OTP device, team, agency, nodes (members counted in the same query),
#                  edges, list audit event
# (the session is written at most once a minute, not on every request)
GROUP_LIST_QUERIES = 6
INCIDENT_LIST_QUERIES = 8
NETWORK_QUERIES = 6
QUERY_LIMIT = 15  # DESIGN.md: every API list runs at most 15 queries


@pytest.fixture
def as_user(as_api_user: ClientFor) -> ClientFor:
    return as_api_user


def send(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    return getattr(client, method)(url, data=json.dumps(data or {}), content_type=JSON, headers=headers)


def today() -> date:
    return timezone.localdate()


def last_event(user: Staff, action: str) -> AuditEvent:
    return AuditEvent.objects.filter(actor_id=user.pk, action=action).latest("id")


def test_the_scope_objects_of_the_matrix_exist(world: dict[str, Any]) -> None:
    """The matrix proves something only if what it hides is really there."""
    for name in MAPPING_SUBJECTS:
        obj = world[name]
        assert obj is not None, name
        assert type(obj)._default_manager.filter(pk=obj.pk).exists(), name
    assert world["orebro_group"].owner_agency_id not in (world["petra"].agency_id, world["anders"].agency_id)
    assert world["orebro_group"].program_id != world["petra"].program_id


# --------------------------------------------------------------------------------------------------
# The round trip: create, read, list, update


@dataclass(frozen=True)
class Resource:
    url: str
    model: type[Any]
    create: Callable[[dict[str, Any]], dict[str, Any]]
    change: dict[str, Any]
    subject: str  # the demo record used for the If-Match tests


def _person(world: dict[str, Any], given: str = "Api") -> Person:
    return person_create(actor=world["anders"], given_name=given, family_name="Testsson", birth_year=2002)


RESOURCES = {
    "groups": Resource(
        "/api/groups/",
        Group,
        lambda w: {"name": "Grupp API", "aliases": "API-gänget, Apan", "district": "Centrum", "status": "active"},
        {"status": "dormant", "notes": "tyst sedan i våras"},
        "malmo_group",
    ),
    "memberships": Resource(
        "/api/memberships/",
        GroupMembership,
        lambda w: {
            "group": w["malmo_other_group"].pk,
            "person": _person(w).pk,
            "confidence": "probable",
            "source": "spaning",
            "valid_from": str(today() - timedelta(days=60)),
        },
        {"confidence": "confirmed", "valid_to": str(today())},
        "malmo_membership",
    ),
    "relations": Resource(
        "/api/relations/",
        GroupRelation,
        lambda w: {
            "group": w["malmo_group"].pk,
            "other_group": w["malmo_other_group"].pk,
            "kind": "rivalry",
            "intensity": 1,
            "valid_from": str(today() - timedelta(days=5)),
        },
        {"intensity": 3, "notes": "trappas upp"},
        "malmo_relation",
    ),
    "incidents": Resource(
        "/api/incidents/",
        Incident,
        lambda w: {
            "kind": "explosion",
            "occurred_at": (timezone.now() - timedelta(days=1)).isoformat(),
            "place": "Amiralsgatan 20",
            "district": "Möllevången",
            "latitude": 55.59147,
            "longitude": 13.00823,
            "injured": 2,
            "gmi": "suspected",
            "police_case_number": "5000-K888-88",
            "groups": [w["malmo_group"].pk],
        },
        {"killed": 1, "groups": []},
        "malmo_incident",
    ),
}


@pytest.mark.parametrize("name", RESOURCES)
def test_police_create_read_list_and_update_over_the_api(name: str, world: dict[str, Any], as_user: ClientFor) -> None:
    resource = RESOURCES[name]
    petra = as_user("petra")
    payload = resource.create(world)

    created = send(petra, "post", resource.url, payload)
    assert created.status_code == 201, created.content
    body = created.json()
    record = resource.model.objects.get(pk=body["id"])
    assert body["version"] == record.version == 1
    assert created["ETag"] == f'"{record.pk}-1"'
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(record.pk)).exists()

    detail_url = f"{resource.url}{record.pk}/"
    read = petra.get(detail_url)
    assert read.status_code == 200
    assert read.json() == body
    assert last_event(world["petra"], AuditAction.VIEW).object_id == str(record.pk)

    listed = petra.get(resource.url, {"page_size": 200})
    assert listed.status_code == 200
    assert body in listed.json()["results"]

    updated = send(petra, "patch", detail_url, resource.change, **{"If-Match": read["ETag"]})
    assert updated.status_code == 200, updated.content
    assert updated.json()["version"] == 2
    for field, value in resource.change.items():
        assert updated.json()[field] == value, field
    assert updated["ETag"] == f'"{record.pk}-2"'
    assert petra.get(detail_url).json() == updated.json()


def test_a_group_created_over_the_api_is_the_agencys(world: dict[str, Any], as_user: ClientFor) -> None:
    response = send(as_user("anders"), "post", "/api/groups/", {"name": "  Grupp Nybyggd ", "aliases": "b, a, b"})
    group = Group.objects.get(pk=response.json()["id"])
    assert (group.name, group.aliases, group.status) == ("Grupp Nybyggd", "a, b", "active")
    assert (group.owner_agency_id, group.program_id) == (world["anders"].agency_id, world["anders"].program_id)
    # Petra, in the same agency, sees and edits it; the active-member count is part of every answer.
    read = as_user("petra").get(f"/api/groups/{group.pk}/")
    assert read.json()["active_members"] == 0


def test_a_membership_gets_its_review_date_from_the_last_confirmation(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    payload = {**RESOURCES["memberships"].create(world), "last_confirmed": "2025-02-28"}
    body = send(as_user("anders"), "post", "/api/memberships/", payload).json()
    assert (body["last_confirmed"], body["review_due"]) == ("2025-02-28", "2026-02-28")
    assert body["active"] is (today() <= date(2026, 2, 28))


def test_a_put_replaces_the_editable_fields_and_leaves_group_and_person(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    membership = world["malmo_membership"]
    petra = as_user("petra")
    etag = petra.get(f"/api/memberships/{membership.pk}/")["ETag"]
    payload = {
        "group": world["malmo_other_group"].pk,  # read-only once recorded: ignored
        "person": 1,
        "role": "leader",
        "confidence": "possible",
        "source": "tips",
        "valid_from": str(membership.valid_from),
        "last_confirmed": str(today()),
    }
    response = send(petra, "put", f"/api/memberships/{membership.pk}/", payload, **{"If-Match": etag})
    assert response.status_code == 200, response.content
    fresh = GroupMembership.objects.get(pk=membership.pk)
    assert (fresh.group_id, fresh.person_id) == (membership.group_id, membership.person_id)
    assert (fresh.role, fresh.confidence, fresh.source, fresh.last_confirmed) == ("leader", "possible", "tips", today())


def test_an_incidents_groups_and_involvements_are_shown_by_id(world: dict[str, Any], as_user: ClientFor) -> None:
    incident = world["malmo_incident"]
    body = as_user("anders").get(f"/api/incidents/{incident.pk}/").json()
    assert sorted(body["groups"]) == sorted(g.pk for g in incident.groups.all())
    assert {(i["person"], i["role"]) for i in body["involvements"]} == set(
        incident.involvements.values_list("person_id", "role")
    )


# --------------------------------------------------------------------------------------------------
# Edits never overwrite each other: If-Match


@pytest.mark.parametrize("name", RESOURCES)
def test_an_update_without_if_match_is_428_and_changes_nothing(
    name: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    resource = RESOURCES[name]
    record = world[resource.subject]
    for method in ("patch", "put"):
        response = send(as_user("petra"), method, f"{resource.url}{record.pk}/", resource.change)
        assert response.status_code == 428, (method, response.content)
    assert resource.model.objects.get(pk=record.pk).version == record.version


@pytest.mark.parametrize("name", RESOURCES)
def test_an_update_with_a_stale_etag_is_412_and_keeps_the_other_edit(
    name: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    resource = RESOURCES[name]
    record = world[resource.subject]
    url = f"{resource.url}{record.pk}/"
    petra, anders = as_user("petra"), as_user("anders")
    etag_read_by_both = petra.get(url)["ETag"]
    assert anders.get(url)["ETag"] == etag_read_by_both

    first = send(anders, "patch", url, resource.change, **{"If-Match": etag_read_by_both})
    second = send(petra, "patch", url, {"notes": "petras"}, **{"If-Match": etag_read_by_both})

    assert first.status_code == 200
    assert second.status_code == 412
    assert resource.model.objects.get(pk=record.pk).version == record.version + 1
    assert petra.get(url).json() == first.json()


def test_an_etag_guessed_for_another_agencys_group_gets_404(world: dict[str, Any], as_user: ClientFor) -> None:
    group = world["orebro_group"]
    response = send(
        as_user("petra"), "patch", f"/api/groups/{group.pk}/", {"notes": "x"}, **{"If-Match": f'"{group.pk}-1"'}
    )
    assert response.status_code == 404
    assert Group.objects.get(pk=group.pk).version == group.version


# --------------------------------------------------------------------------------------------------
# Bad input: 400 with the field, never 500


BAD_WRITES = [
    ("groups", {"name": ""}, "name"),
    ("groups", {"name": "Grupp X", "status": "sleeping"}, "status"),
    ("groups", {"name": "Grupp Vargen"}, "name"),  # taken in the agency
    ("memberships", {"confidence": "sure"}, "confidence"),
    ("memberships", {"role": "boss"}, "role"),
    ("memberships", {"valid_from": "2024-13-01"}, "valid_from"),
    ("memberships", {"valid_from": "yesterday"}, "valid_from"),
    ("memberships", {"valid_from": "2024-05-01", "valid_to": "2024-04-01"}, "valid_to"),
    ("memberships", {"last_confirmed": "2024-05-01", "review_due": "2024-04-01"}, "review_due"),
    ("memberships", {"group": "abc"}, "group"),
    ("memberships", {"source": ""}, "source"),
    ("relations", {"kind": "war"}, "kind"),
    ("relations", {"intensity": 7}, "intensity"),
    ("relations", {"valid_from": "2024-02-30"}, "valid_from"),
    ("relations", {"valid_from": "2024-05-01", "valid_to": "2024-04-01"}, "valid_to"),
    ("relations", {"other_group": "same"}, "other_group"),
    ("incidents", {"kind": "bombing"}, "kind"),
    ("incidents", {"gmi": "maybe"}, "gmi"),
    ("incidents", {"occurred_at": "not a time"}, "occurred_at"),
    ("incidents", {"occurred_at": "tomorrow"}, "occurred_at"),
    ("incidents", {"killed": -1}, "killed"),
    ("incidents", {"injured": 40000}, "injured"),
    ("incidents", {"latitude": 91}, "latitude"),
    ("incidents", {"groups": ["x"]}, "groups"),
    ("incidents", {"groups": "orebro"}, "groups"),
    ("incidents", {"police_case_number": "taken"}, "police_case_number"),
]


def _bad_payload(name: str, changes: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    payload = {**RESOURCES[name].create(world), **changes}
    for field, value in changes.items():
        if value == "same":
            payload[field] = payload["group"]
        elif value == "tomorrow":
            payload[field] = (timezone.now() + timedelta(days=1)).isoformat()
        elif value == "orebro":
            payload[field] = [world["orebro_group"].pk]
        elif value == "taken":  # by a demo incident other than the one the update tests edit
            payload[field] = (
                Incident.objects.filter(owner_agency_id=world["petra"].agency_id)
                .exclude(pk=world["malmo_incident"].pk)
                .exclude(police_case_number="")
                .values_list("police_case_number", flat=True)
                .first()
            )
    return payload


@pytest.mark.parametrize(("name", "changes", "field"), BAD_WRITES)
def test_a_bad_value_is_answered_with_400_and_the_field(
    name: str, changes: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    model = RESOURCES[name].model
    before = model.objects.count()
    response = send(as_user("anders"), "post", RESOURCES[name].url, _bad_payload(name, changes, world))
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert model.objects.count() == before


@pytest.mark.parametrize(("name", "changes", "field"), [w for w in BAD_WRITES if w[2] not in ("group", "other_group")])
def test_a_bad_value_in_an_update_is_400_and_keeps_the_version(
    name: str, changes: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    resource = RESOURCES[name]
    record = world[resource.subject]
    url = f"{resource.url}{record.pk}/"
    petra = as_user("petra")
    etag = petra.get(url)["ETag"]
    changes = {key: value for key, value in _bad_payload(name, changes, world).items() if key in changes}
    response = send(petra, "patch", url, changes, **{"If-Match": etag})
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert resource.model.objects.get(pk=record.pk).version == record.version


def test_a_body_that_is_not_json_is_400(as_user: ClientFor) -> None:
    response = as_user("petra").post("/api/groups/", data="{not json", content_type=JSON)
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["group", "person"])
def test_a_hidden_group_or_person_is_refused_like_a_missing_one(
    field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    """Guessing ids tells nothing: Örebro's group and the municipality's person read like nonexistent ones."""
    hidden = {"group": world["orebro_group"].pk, "person": world["malmo_social_person"].pk}[field]
    missing = hidden + 1_000_000
    anders = as_user("anders")
    answers = [
        send(anders, "post", "/api/memberships/", {**RESOURCES["memberships"].create(world), field: pk})
        for pk in (hidden, missing)
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert list(answers[0].json()) == [field]


def test_another_agencys_group_cannot_be_named_in_a_relation_or_incident(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    anders, orebro = as_user("anders"), world["orebro_group"].pk
    relation = {**RESOURCES["relations"].create(world), "other_group": orebro}
    assert send(anders, "post", "/api/relations/", relation).status_code == 400
    on_orebro = {**RESOURCES["relations"].create(world), "group": orebro}
    assert list(send(anders, "post", "/api/relations/", on_orebro).json()) == ["group"]
    assert not GroupRelation.objects.filter(other_group_id=orebro).exists()


BAD_FILTERS = [
    ("/api/groups/", {"status": "sleeping"}, "status"),
    ("/api/groups/", {"sort": "bogus"}, "sort"),
    ("/api/memberships/", {"as_of": "2024-02-30"}, "as_of"),
    ("/api/memberships/", {"confidence": "sure"}, "confidence"),
    ("/api/memberships/", {"group": "abc"}, "group"),
    ("/api/relations/", {"kind": "war"}, "kind"),
    ("/api/relations/", {"group": "-1"}, "group"),
    ("/api/incidents/", {"date_from": "01/05/2024"}, "date_from"),
    ("/api/incidents/", {"date_to": "2024-13-01"}, "date_to"),
    ("/api/incidents/", {"date_from": "2024-05-01", "date_to": "2024-04-30"}, "date_to"),
    ("/api/incidents/", {"kind": ["shooting", "bombing"]}, "kind"),
    ("/api/incidents/", {"gmi": "maybe"}, "gmi"),
    ("/api/incidents/", {"group": "falken"}, "group"),
    ("/api/incidents/", {"sort": "place"}, "sort"),
    ("/api/mapping/network/", {"as_of": "yesterday"}, "as_of"),
]


@pytest.mark.parametrize(("url", "params", "field"), BAD_FILTERS)
def test_a_bad_filter_is_answered_with_400_and_the_parameter(
    url: str, params: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    response = as_user("petra").get(url, params)
    assert response.status_code == 400, response.content
    assert field in response.json()


# --------------------------------------------------------------------------------------------------
# Filters matching the pages


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_group_filters(world: dict[str, Any], as_user: ClientFor) -> None:
    anders = world["anders"]
    dormant = services.group_create(actor=anders, name="Grupp Sovande", aliases="Sömntutorna", status="dormant")
    client = as_user("anders")
    assert ids(client.get("/api/groups/", {"status": "dormant"})) == {dormant.pk}
    assert ids(client.get("/api/groups/", {"search": "sömntut"})) == {dormant.pk}
    assert ids(client.get("/api/groups/", {"district": "rosengård"})) == {world["malmo_group"].pk}
    names = [row["name"] for row in client.get("/api/groups/", {"sort": "-name"}).json()["results"]]
    assert names == sorted(names, reverse=True)
    assert world["orebro_group"].pk not in ids(client.get("/api/groups/", {"search": "Gäddan"}))


def test_membership_filters(world: dict[str, Any], as_user: ClientFor) -> None:
    anders, group = world["anders"], world["malmo_group"]
    lapsed = services.membership_add(
        actor=anders,
        group=group,
        person=_person(world),
        confidence="possible",
        source="tips",
        valid_from=today() - timedelta(days=800),
        last_confirmed=today() - timedelta(days=500),
    )
    client = as_user("anders")
    in_group = ids(client.get("/api/memberships/", {"group": group.pk}))
    assert in_group == set(GroupMembership.objects.filter(group=group).values_list("pk", flat=True))
    active_now = ids(client.get("/api/memberships/", {"group": group.pk, "as_of": str(today())}))
    assert lapsed.pk in in_group - active_now
    assert lapsed.pk in ids(client.get("/api/memberships/", {"as_of": str(today() - timedelta(days=600))}))
    possible = ids(client.get("/api/memberships/", {"confidence": "possible"}))
    assert possible == set(
        GroupMembership.objects.filter(group__owner_agency_id=anders.agency_id, confidence="possible").values_list(
            "pk", flat=True
        )
    )
    assert client.get(f"/api/memberships/{lapsed.pk}/").json()["active"] is False


def test_relation_filters(world: dict[str, Any], as_user: ClientFor) -> None:
    client, vargen = as_user("anders"), world["malmo_other_group"]
    naming_vargen = ids(client.get("/api/relations/", {"group": vargen.pk}))
    assert naming_vargen == set(
        GroupRelation.objects.filter(group=vargen).values_list("pk", flat=True)
        | GroupRelation.objects.filter(other_group=vargen).values_list("pk", flat=True)
    )
    assert len(naming_vargen) == 2  # the conflict recorded on Falken and the alliance recorded on Vargen
    conflicts = client.get("/api/relations/", {"kind": "conflict"}).json()["results"]
    assert conflicts
    assert {row["kind"] for row in conflicts} == {"conflict"}


def test_incident_filters(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = world["petra"]
    falken = world["malmo_group"]

    def incident(days_ago: int, kind: str, gmi: str, groups: list[Group]) -> Incident:
        return services.incident_create(
            actor=petra,
            kind=kind,
            occurred_at=timezone.now() - timedelta(days=days_ago),
            place="Filtergatan 1",
            district="Filterdistriktet",
            gmi=gmi,
            groups=groups,
        )

    old = incident(100, "shooting", "confirmed", [falken])
    recent = incident(10, "explosion", "none", [])
    other = incident(5, "other", "suspected", [falken])
    client = as_user("petra")
    here = {"district": "filterdistriktet"}
    assert ids(client.get("/api/incidents/", here)) == {old.pk, recent.pk, other.pk}
    since = str(today() - timedelta(days=20))
    assert ids(client.get("/api/incidents/", {**here, "date_from": since})) == {recent.pk, other.pk}
    until = str(today() - timedelta(days=10))
    assert ids(client.get("/api/incidents/", {**here, "date_from": since, "date_to": until})) == {recent.pk}
    assert ids(client.get("/api/incidents/", {**here, "kind": ["shooting", "other"]})) == {old.pk, other.pk}
    assert ids(client.get("/api/incidents/", {**here, "gmi": "suspected"})) == {other.pk}
    assert ids(client.get("/api/incidents/", {**here, "group": falken.pk})) == {old.pk, other.pk}
    oldest_first = client.get("/api/incidents/", {**here, "sort": "date"}).json()["results"]
    assert [row["id"] for row in oldest_first] == [old.pk, recent.pk, other.pk]
    # Another agency's group filters to nothing rather than to an error that tells it exists.
    assert ids(client.get("/api/incidents/", {"group": world["orebro_group"].pk})) == set()


# --------------------------------------------------------------------------------------------------
# Audit: every list one event with the ids shown; every read one view event


@pytest.mark.parametrize("url", [r.url for r in RESOURCES.values()])
def test_every_list_writes_one_audit_event_with_the_ids_it_shows(
    url: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    petra = world["petra"]
    before = AuditEvent.objects.filter(actor_id=petra.pk, action=AuditAction.LIST).count()
    response = as_user("petra").get(url, {"page_size": 3})
    assert AuditEvent.objects.filter(actor_id=petra.pk, action=AuditAction.LIST).count() == before + 1
    event = last_event(petra, AuditAction.LIST)
    assert event.object_ids == [str(row["id"]) for row in response.json()["results"]]
    assert len(event.object_ids) == 3


def test_a_refused_read_is_audited_as_denied(world: dict[str, Any], as_user: ClientFor) -> None:
    group = world["malmo_group"]
    assert as_user("sara").get(f"/api/groups/{group.pk}/").status_code == 404
    denied = last_event(world["sara"], AuditAction.DENY)
    assert (denied.object_type, denied.object_id) == ("mapping.group", str(group.pk))


# --------------------------------------------------------------------------------------------------
# The network as of a day


def test_the_network_as_of_a_past_day_leaves_out_later_relations_and_lapsed_memberships(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    anders = world["anders"]
    north = services.group_create(actor=anders, name="Grupp Norr", district="Norr")
    south = services.group_create(actor=anders, name="Grupp Söder", district="Söder")
    relation = services.relation_add(
        actor=anders, group=north, other_group=south, kind="conflict", intensity=3, valid_from=today() - timedelta(50)
    )
    # Lapsed 135 days ago: reviewed 500 days ago and never again.
    services.membership_add(
        actor=anders,
        group=north,
        person=_person(world, "Lapsad"),
        confidence="confirmed",
        source="spaning",
        valid_from=today() - timedelta(800),
        last_confirmed=today() - timedelta(500),
    )
    services.membership_add(
        actor=anders,
        group=north,
        person=_person(world, "Aktiv"),
        confidence="confirmed",
        source="spaning",
        valid_from=today() - timedelta(300),
        last_confirmed=today() - timedelta(10),
    )
    client = as_user("anders")

    def network(**params: str) -> dict[str, Any]:
        response = client.get("/api/mapping/network/", params)
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body

    def members_of_north(body: dict[str, Any]) -> int:
        return next(node["members"] for node in body["nodes"] if node["id"] == north.pk)

    def relation_shown(body: dict[str, Any]) -> bool:
        return relation.pk in {edge["id"] for edge in body["edges"]}

    long_ago = network(as_of=str(today() - timedelta(200)))
    assert (long_ago["as_of"], members_of_north(long_ago), relation_shown(long_ago)) == (
        str(today() - timedelta(200)),
        2,
        False,
    )
    after_the_lapse = network(as_of=str(today() - timedelta(100)))
    assert (members_of_north(after_the_lapse), relation_shown(after_the_lapse)) == (1, False)
    now = network()
    assert now["as_of"] == str(today())
    assert (members_of_north(now), relation_shown(now)) == (1, True)
    edge = next(e for e in now["edges"] if e["id"] == relation.pk)
    assert edge == {"id": relation.pk, "source": north.pk, "target": south.pk, "kind": "conflict", "intensity": 3}
    assert network(as_of=str(today())) == now

    event = last_event(anders, AuditAction.LIST)
    assert (event.object_type, event.detail) == ("mapping.group", {"as_of": str(today())})
    assert set(event.object_ids) == {str(node["id"]) for node in now["nodes"]}
    assert str(world["orebro_group"].pk) not in event.object_ids


# --------------------------------------------------------------------------------------------------
# Query counts: the same for 5 and for 50 extra rows


def add_groups(world: dict[str, Any], count: int, start: int) -> None:
    """Groups with a member and a relation each, through the services."""
    anders, person, previous = world["anders"], world["malmo_police_person"], world["malmo_group"]
    for n in range(start, start + count):
        group = services.group_create(actor=anders, name=f"Grupp Mätning {n}", district="Mätdistriktet")
        services.membership_add(
            actor=anders, group=group, person=person, confidence="possible", source="mätning", valid_from=today()
        )
        services.relation_add(actor=anders, group=group, other_group=previous, kind="conflict", valid_from=today())
        previous = group


def add_incidents(world: dict[str, Any], count: int, start: int) -> None:
    """Incidents with two groups and a victim each, through the services."""
    groups = [world["malmo_group"], world["malmo_other_group"]]
    for n in range(start, start + count):
        services.incident_create(
            actor=world["anders"],
            kind="shooting",
            occurred_at=timezone.now() - timedelta(hours=n + 1),
            place=f"Mätgatan {n}",
            district="Mätdistriktet",
            groups=groups,
            involvements=[(world["malmo_police_person"], "victim")],
        )


MEASURED = [
    ("/api/groups/", {"district": "Mätdistriktet"}, add_groups, GROUP_LIST_QUERIES),
    ("/api/incidents/", {"district": "Mätdistriktet"}, add_incidents, INCIDENT_LIST_QUERIES),
    ("/api/mapping/network/", {}, add_groups, NETWORK_QUERIES),
]


@pytest.mark.parametrize(
    ("url", "params", "add_rows", "expected"), MEASURED, ids=["group list", "incident list", "network"]
)
def test_query_counts_do_not_grow_with_the_rows(
    url: str,
    params: dict[str, str],
    add_rows: Callable[[dict[str, Any], int, int], None],
    expected: int,
    world: dict[str, Any],
    as_user: ClientFor,
) -> None:
    client = as_user("anders")
    client.get(url, params)  # warm the permission-id cache

    def measure(rows: int) -> int:
        with max_queries(QUERY_LIMIT) as captured:
            response = client.get(url, params)
        assert response.status_code == 200
        shown = response.json().get("results", response.json().get("nodes"))
        assert len(shown) >= rows
        return len(captured.captured_queries)

    add_rows(world, 5, 0)
    with_5 = measure(5)
    add_rows(world, 45, 5)
    with_50 = measure(50)
    assert with_5 == with_50 == expected
