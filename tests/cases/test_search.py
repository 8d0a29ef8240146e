"""Finding persons, and being offered the record one already has before registering it again.

Search (on the persons page and over the API, both by POST) looks for names and aliases (partial, case- and
accent-insensitive), a personnummer in any common form, or a birth year, and finds only what the searcher
may see: Petra and Anders the police's records, Sara and Erik Malmö stad's, Karin Kriminalvården's, Nils
Örebro's and nothing of Malmö's. Every search writes one audit event; an identity number in it is a keyed
HMAC, never the number. Registering a person first offers the records the user may see with the same
number, or the same name and birth date, and never one the user may not see.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import serializers
from django.test import Client

from cases.models import Person
from cases.services import alias_add, person_create
from gvi.audit.models import AuditAction, AuditEvent
from gvi.audit.services import identity_term_digest
from gvi.demo import PERSONA_NAMES, identity_number
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
JSON = "application/json"

LIST_URL = "/persons/"
CREATE_URL = "/persons/new/"
API_PERSONS_URL = "/api/persons/"
API_SEARCH_URL = "/api/persons/search/"

# The example: stored from the ten-digit form, searched in the twelve-digit one.
NUMBER = "19900101-1239"
NUMBER_AS_TYPED = "900101-1239"
assert identity_number(1990, 1, 1, 123) == NUMBER

# Who may search persons at all (the others get 404, the same as for a missing page).
SEARCHERS = ("petra", "anders", "sara", "erik", "karin", "nils")

# Queries of one search (SQLite, warmed-up permission ids), the same for 5 and for 50 matches:
#   page: session, user, OTP device, count, page rows, their aliases (prefetched), search audit event
#   API:  session, user, OTP device, count, page rows, their aliases (prefetched), search audit event
# (the session is written at most once a minute, not on every request)
SEARCH_PAGE_QUERIES = 7
API_SEARCH_QUERIES = 7


def page_ids(response: Any) -> list[int]:
    return [p.pk for p in response.context["page"].object_list]


def api_ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [p["id"] for p in response.json()["results"]]


def api_search(client: Client, body: Any, query: str = "") -> Any:
    return client.post(API_SEARCH_URL + query, json.dumps(body), content_type=JSON)


def non_raising(client: Client) -> Client:
    client.raise_request_exception = False
    return client


def register(world: dict[str, Any], actor: str, given: str, family: str, **identity: Any) -> Person:
    return person_create(actor=world[actor], given_name=given, family_name=family, **identity)


@pytest.fixture
def ahmeds(world: dict[str, Any]) -> dict[str, Person]:
    """The same name written three ways, in the police's, Malmö stad's and Örebro's records."""
    return {
        "police": register(world, "petra", "Åhmed", "Rahimi", birth_year=1990),
        "police lower case": register(world, "anders", "ahmed", "Berg", birth_year=1993),
        "social": register(world, "sara", "AHMED", "Nilsson", birth_year=1992),
        "orebro": register(world, "nils", "Ahmed", "Lund", birth_year=1991),
        "not an ahmed": register(world, "petra", "Ahmad", "Rahimi", birth_year=1990),
    }


def search_event(username: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=AuditAction.SEARCH, actor_username=username).latest("id")


# --------------------------------------------------------------------------------------------------
# Names: partial, case- and accent-insensitive, within what the searcher may see


@pytest.mark.parametrize("term", ["Ahmed", "ahmed", "Åhmed", "ÅHMED", "hme", "  ahmed  "])
def test_ahmed_finds_ahmed_written_with_a_ring_or_in_any_case(
    ahmeds: dict[str, Person], as_user: ClientFor, term: str
) -> None:
    expected = sorted([ahmeds["police"].pk, ahmeds["police lower case"].pk])
    assert sorted(page_ids(as_user("petra").post(LIST_URL, {"term": term}))) == expected
    assert sorted(api_ids(api_search(as_user("petra"), {"term": term}))) == expected


@pytest.mark.parametrize(
    ("persona", "finds"),
    [
        ("petra", ["police", "police lower case"]),
        ("anders", ["police", "police lower case"]),
        ("sara", ["social"]),
        ("erik", ["social"]),
        ("karin", []),
        ("nils", ["orebro"]),
    ],
)
def test_each_persona_finds_only_the_ahmeds_of_records_they_may_see(
    ahmeds: dict[str, Person], as_user: ClientFor, persona: str, finds: list[str]
) -> None:
    """Sara never finds the police's Ahmeds, Nils nothing of Malmö's, Karin none of the others'."""
    expected = sorted(ahmeds[key].pk for key in finds)
    assert sorted(page_ids(as_user(persona).post(LIST_URL, {"term": "ahmed"}))) == expected
    assert sorted(api_ids(api_search(as_user(persona), {"term": "ahmed"}))) == expected


@pytest.mark.parametrize("persona", sorted(set(PERSONA_NAMES) - set(SEARCHERS)))
def test_roles_without_person_records_cannot_search_at_all(
    ahmeds: dict[str, Person], as_user: ClientFor, persona: str
) -> None:
    client = non_raising(as_user(persona))
    assert client.post(LIST_URL, {"term": "ahmed"}).status_code == 404
    assert api_search(client, {"term": "ahmed"}).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.SEARCH, actor_username=persona).exists()


def test_social_worker_searching_a_number_only_the_police_hold_finds_nothing(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    police_only = register(world, "petra", "Zoran", "Qvist", identity_number=NUMBER)
    assert page_ids(as_user("petra").post(LIST_URL, {"term": NUMBER})) == [police_only.pk]
    response = as_user("sara").post(LIST_URL, {"term": NUMBER})
    assert page_ids(response) == []
    assert "No person you may see matches the search." in response.content.decode()
    assert api_ids(api_search(as_user("sara"), {"term": "Zoran"})) == []


def test_words_narrow_each_other(world: dict[str, Any], as_user: ClientFor) -> None:
    rahimi_90 = register(world, "petra", "Omar", "Rahimi", birth_year=1990)
    register(world, "petra", "Omar", "Rahimi", birth_year=1994)
    register(world, "petra", "Omar", "Svensson", birth_year=1990)
    petra = as_user("petra")
    assert page_ids(petra.post(LIST_URL, {"term": "omar rahimi 1990"})) == [rahimi_90.pk]
    assert page_ids(petra.post(LIST_URL, {"term": "rahimi omar 1990"})) == [rahimi_90.pk]
    assert page_ids(petra.post(LIST_URL, {"term": "omar rahim"})) != []


# --------------------------------------------------------------------------------------------------
# Aliases and birth years


def test_alias_search_finds_the_person_and_shows_the_alias(world: dict[str, Any], as_user: ClientFor) -> None:
    person = register(world, "petra", "Yousef", "Haddad", birth_year=1999)
    alias_add(actor=world["petra"], person=person, name="Kobran")
    alias_add(actor=world["petra"], person=person, name="Lilla Ögat")
    petra = as_user("petra")
    for term in ("kobran", "KOBR", "ogat", "Ögat"):
        response = petra.post(LIST_URL, {"term": term})
        assert page_ids(response) == [person.pk], term
        assert "Kobran" in response.content.decode()
        body = api_search(petra, {"term": term}).json()
        assert [p["id"] for p in body["results"]] == [person.pk]
        assert {a["name"] for a in body["results"][0]["aliases"]} == {"Kobran", "Lilla Ögat"}
    # The alias is the police's: the same word finds nothing for social services.
    assert page_ids(as_user("sara").post(LIST_URL, {"term": "kobran"})) == []


def test_birth_year_search_finds_those_born_that_year(world: dict[str, Any], as_user: ClientFor) -> None:
    born_1971 = [
        register(world, "petra", "Per", "Ekholm", birth_year=1971),
        register(world, "anders", "Pia", "Ekholm", identity_number=identity_number(1971, 5, 3, 111)),
    ]
    register(world, "petra", "Pål", "Ekholm", birth_year=1972)
    register(world, "sara", "Pontus", "Ekholm", birth_year=1971)
    petra = as_user("petra")
    expected = sorted(p.pk for p in born_1971)
    assert sorted(page_ids(petra.post(LIST_URL, {"term": "1971"}))) == expected
    assert sorted(api_ids(api_search(petra, {"term": "1971"}))) == expected


# --------------------------------------------------------------------------------------------------
# Identity numbers in any common form, audited only as a keyed HMAC


@pytest.mark.parametrize(
    "term",
    ["19900101-1239", "199001011239", "900101-1239", "9001011239", "900101 1239", "1990 0101 1239", "19900101"],
)
def test_a_number_stored_from_ten_digits_is_found_in_any_common_form(
    world: dict[str, Any], as_user: ClientFor, term: str
) -> None:
    person = register(world, "petra", "Zoran", "Qvist", identity_number=NUMBER_AS_TYPED)
    assert person.identity_number == NUMBER
    petra = as_user("petra")
    assert page_ids(petra.post(LIST_URL, {"term": term})) == [person.pk]
    assert api_ids(api_search(petra, {"term": term})) == [person.pk]


def test_a_number_with_a_wrong_check_digit_finds_nothing_and_is_no_error(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    register(world, "petra", "Zoran", "Qvist", identity_number=NUMBER)
    response = as_user("petra").post(LIST_URL, {"term": "19900101-1238"})
    assert response.status_code == 200
    assert page_ids(response) == []
    assert api_ids(api_search(as_user("petra"), {"term": "19900101-1238"})) == []


def _number_forms() -> list[str]:
    digits = NUMBER.replace("-", "")
    return [NUMBER, digits, NUMBER[2:], digits[2:], digits[:8], digits[2:8], digits[-4:] + digits[:2], digits[8:]]


@pytest.mark.parametrize("where", ["page", "API"])
def test_the_search_audit_event_holds_no_personnummer_in_clear(
    world: dict[str, Any], as_user: ClientFor, where: str
) -> None:
    person = register(world, "petra", "Zoran", "Qvist", identity_number=NUMBER_AS_TYPED)
    petra = as_user("petra")
    if where == "page":
        assert page_ids(petra.post(LIST_URL, {"term": NUMBER})) == [person.pk]
    else:
        assert api_ids(api_search(petra, {"term": NUMBER})) == [person.pk]

    event = search_event("petra")
    assert event.object_type == "cases.person"
    assert event.object_ids == [str(person.pk)]
    assert event.detail == {"term_hmac": identity_term_digest(NUMBER)}
    # Every field of the row, as stored: purpose, detail, object ids, and the rest.
    row = serializers.serialize("json", [event])
    fields = json.loads(row)[0]["fields"]
    for name, value in fields.items():
        for form in _number_forms()[:6]:
            assert form not in json.dumps(value), (name, form)
    for form in _number_forms():
        assert form not in fields["purpose"]
        assert form not in "".join(fields["object_ids"])
        assert form not in json.dumps({k: v for k, v in fields["detail"].items() if k != "term_hmac"})


def test_the_same_number_typed_differently_gives_the_same_hmac(world: dict[str, Any], as_user: ClientFor) -> None:
    """So an auditor can find every search for one number without ever storing it."""
    register(world, "petra", "Zoran", "Qvist", identity_number=NUMBER)
    petra = as_user("petra")
    petra.post(LIST_URL, {"term": "19900101-1239"})
    first = search_event("petra").detail["term_hmac"]
    api_search(petra, {"term": "19900101 1239"})
    assert search_event("petra").detail["term_hmac"] == first


def test_a_name_search_is_audited_by_its_number_of_words_only(ahmeds: dict[str, Person], as_user: ClientFor) -> None:
    api_search(as_user("petra"), {"term": "Åhmed Rahimi"})
    event = search_event("petra")
    assert event.detail == {"term_words": 2}
    assert event.object_ids == [str(ahmeds["police"].pk)]
    row = serializers.serialize("json", [event]).lower()
    for word in ("ahmed", "åhmed", "rahimi"):
        assert word not in row


# --------------------------------------------------------------------------------------------------
# Pages of results keep the search and its order; the API answers bad input with 400


def _many_ahmeds(world: dict[str, Any], total: int) -> list[Person]:
    return [
        register(world, "petra", "Ahmed", f"Testsson{i:03d}", birth_year=1960 + i % 40)
        for i in range(Person.objects.filter(given_name="Ahmed", family_name__startswith="Testsson").count(), total)
    ]


def test_the_pages_and_sort_of_a_search_are_asked_for_by_post_and_keep_the_term(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    _many_ahmeds(world, 60)
    petra = as_user("petra")
    first = petra.post(LIST_URL, {"term": "ahmed testsson", "sort": "-born"})
    content = first.content.decode()
    assert len(page_ids(first)) == 50
    assert 'formaction="?page=2"' in content  # a button of the search form: the term stays out of the URL
    assert "testsson" not in content.split('formaction="')[1].split('"')[0].lower()
    second = petra.post(f"{LIST_URL}?page=2", {"term": "ahmed testsson", "sort": "-born"})
    assert second.context["sort"] == "-born"
    shown = list(first.context["page"].object_list) + list(second.context["page"].object_list)
    assert len({p.pk for p in shown}) == 60
    assert all(p.given_name == "Ahmed" for p in shown)
    years = [p.birth_year for p in shown]
    assert years == sorted(years, reverse=True)
    # A column header of the results asks for its order with the same term.
    by_name = petra.post(f"{LIST_URL}?sort=name", {"term": "ahmed testsson", "sort": "-born"})
    assert by_name.context["sort"] == "name"
    names = [p.family_name for p in by_name.context["page"].object_list]
    assert names == sorted(names)
    assert len(names) == 50


def test_api_search_pages_like_the_lists(world: dict[str, Any], as_user: ClientFor) -> None:
    _many_ahmeds(world, 60)
    petra = as_user("petra")
    first = api_search(petra, {"term": "ahmed testsson", "sort": "-born"}).json()
    assert (first["count"], len(first["results"])) == (60, 50)
    assert first["next"] is not None
    assert "testsson" not in first["next"].lower()
    second = api_search(petra, {"term": "ahmed testsson", "sort": "-born"}, "?page=2").json()
    assert len(second["results"]) == 10
    years = [p["birth_year"] for p in first["results"] + second["results"]]
    assert years == sorted(years, reverse=True)
    assert len(api_search(petra, {"term": "ahmed testsson"}, "?page_size=5").json()["results"]) == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"term": "x" * 101}, "term", id="term too long"),
        pytest.param({"term": 1990}, "term", id="term a number"),
        pytest.param({"term": ["ahmed"]}, "term", id="term a list"),
        pytest.param({"term": {"name": "ahmed"}}, "term", id="term an object"),
        pytest.param({"term": None}, "term", id="term null"),
        pytest.param({"term": "   "}, "term", id="term blank"),
        pytest.param({}, "term", id="no term"),
        pytest.param({"term": "ahmed", "sort": "identity_number"}, "sort", id="unknown sort"),
        pytest.param(["ahmed"], "non_field_errors", id="body a list"),
    ],
)
def test_api_search_answers_bad_input_with_400_and_the_field(as_user: ClientFor, body: Any, field: str) -> None:
    response = api_search(non_raising(as_user("petra")), body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not AuditEvent.objects.filter(action=AuditAction.SEARCH, actor_username="petra").exists()


def test_api_search_answers_a_body_that_is_not_json_and_a_get_without_500(as_user: ClientFor) -> None:
    client = non_raising(as_user("petra"))
    assert client.post(API_SEARCH_URL, "{not json", content_type=JSON).status_code == 400
    assert client.get(API_SEARCH_URL, {"term": "ahmed"}).status_code == 405
    assert client.post(API_SEARCH_URL + "?page=99", json.dumps({"term": "ahmed"}), content_type=JSON).status_code == 404


def test_page_search_with_a_too_long_term_shows_the_error(as_user: ClientFor) -> None:
    response = as_user("petra").post(LIST_URL, {"term": "x" * 101})
    assert response.status_code == 200
    assert response.context["search"].errors["term"]
    assert "at most 100 characters" in response.content.decode()


# --------------------------------------------------------------------------------------------------
# Query counts: the same for 5 as for 50 matching persons


def _measure(run: Callable[[], Any], limit: int) -> int:
    run()  # warm up: per-process caches (permission ids, content types)
    with max_queries(limit) as captured:
        response = run()
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("where", ["page", "API"])
def test_search_runs_the_same_number_of_queries_for_5_and_50_matches(
    world: dict[str, Any], as_user: ClientFor, where: str
) -> None:
    petra = as_user("petra")
    body = {"term": "ahmed testsson"}
    if where == "page":
        limit = SEARCH_PAGE_QUERIES

        def run() -> Any:
            return petra.post(LIST_URL, body)
    else:
        limit = API_SEARCH_QUERIES

        def run() -> Any:
            return api_search(petra, body)

    few = _many_ahmeds(world, 5)
    alias_add(actor=world["petra"], person=few[0], name="Alias 1")
    with_few = _measure(run, limit)
    many = _many_ahmeds(world, 50)
    for person in many[:10]:
        alias_add(actor=world["petra"], person=person, name="Alias 2")
    with_many = _measure(run, limit)
    assert with_few == with_many == limit


# --------------------------------------------------------------------------------------------------
# Registering a person: the records one may already have are offered first


def registration(**overrides: Any) -> dict[str, Any]:
    return {"given_name": "Leila", "family_name": "Berg", "identity_number": "", "birth_year": "1995", **overrides}


def test_page_offers_the_same_name_and_birth_year_and_registers_only_when_told(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    existing = register(world, "petra", "Leïla", "Berg", birth_year=1995)
    anders = as_user("anders")
    before = Person.objects.count()

    offered = anders.post(CREATE_URL, registration())

    assert offered.status_code == 200
    assert offered.context["duplicates"] == [existing]
    content = offered.content.decode()
    assert "Is it one of these?" in content
    assert f'href="/persons/{existing.pk}/"' in content
    assert 'name="confirm_new"' in content
    assert "None of these: register a new person" in content
    assert Person.objects.count() == before
    event = AuditEvent.objects.filter(actor_username="anders", purpose="duplicate check").latest("id")
    assert (event.action, event.object_type, event.object_ids) == (AuditAction.LIST, "cases.person", [str(existing.pk)])

    confirmed = anders.post(CREATE_URL, registration(confirm_new="on"))

    assert confirmed.status_code == 302
    assert Person.objects.count() == before + 1
    assert Person.objects.filter(given_name="Leila", family_name="Berg", owner_agency=world["anders"].agency).exists()


def test_page_offers_a_record_with_only_a_birth_year_when_the_number_is_given(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    existing = register(world, "petra", "Zoran", "Qvist", birth_year=1990)
    other_year = register(world, "petra", "Zoran", "Qvist", birth_year=1991)
    response = as_user("petra").post(
        CREATE_URL,
        registration(given_name="zoran", family_name="QVIST", identity_number=NUMBER_AS_TYPED, birth_year=""),
    )
    assert response.context["duplicates"] == [existing]
    assert other_year not in response.context["duplicates"]


def test_page_shows_the_record_with_the_same_number_and_refuses_a_second_one(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    existing = register(world, "petra", "Zoran", "Qvist", identity_number=NUMBER)
    before = Person.objects.count()
    response = as_user("anders").post(
        CREATE_URL, registration(given_name="Z", family_name="Q", identity_number="9001011239", birth_year="")
    )
    assert response.context["duplicates"] == [existing]
    assert "already has a record with this identity number" in response.context["form"].errors["identity_number"][0]
    assert 'name="confirm_new"' not in response.content.decode()  # ticking it could not help
    assert Person.objects.count() == before


def test_a_different_person_of_the_same_name_is_registered_without_an_offer(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    register(world, "petra", "Leila", "Berg", birth_year=1980)
    register(world, "petra", "Leila", "Bergström", birth_year=1995)
    assert as_user("anders").post(CREATE_URL, registration()).status_code == 302


@pytest.mark.parametrize("where", ["page", "API"])
def test_another_agencys_record_of_the_same_person_is_never_offered(
    world: dict[str, Any], as_user: ClientFor, where: str
) -> None:
    """The police hold Leila Berg, born 1995; Sara registering her learns nothing of it."""
    police_record = register(world, "petra", "Leila", "Berg", birth_year=1995)
    sara = as_user("sara")
    if where == "page":
        response = sara.post(CREATE_URL, registration())
        assert response.status_code == 302
    else:
        response = sara.post(API_PERSONS_URL, registration(birth_year=1995, identity_number=None), content_type=JSON)
        assert response.status_code == 201
        assert "duplicates" not in response.json()
    assert Person.objects.filter(given_name="Leila", owner_agency=world["sara"].agency).count() == 1
    for event in AuditEvent.objects.filter(actor_username="sara"):
        assert str(police_record.pk) not in event.object_ids or event.object_type != "cases.person"


def test_api_answers_409_with_the_records_and_creates_only_with_confirm_new(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    existing = register(world, "sara", "Leila", "Berg", birth_year=1995)
    erik = as_user("erik")
    before = Person.objects.count()
    body = {"given_name": "leila", "family_name": "berg", "birth_year": 1995}

    conflict = erik.post(API_PERSONS_URL, body, content_type=JSON)

    assert conflict.status_code == 409
    answer = conflict.json()
    assert answer["duplicates"] == [
        {"id": existing.pk, "given_name": "Leila", "family_name": "Berg", "birth_year": 1995}
    ]
    assert "confirm_new" in answer["detail"]
    assert Person.objects.count() == before
    event = AuditEvent.objects.filter(actor_username="erik", purpose="duplicate check").latest("id")
    assert event.object_ids == [str(existing.pk)]

    created = erik.post(API_PERSONS_URL, {**body, "confirm_new": True}, content_type=JSON)

    assert created.status_code == 201, created.content
    assert "confirm_new" not in created.json()
    assert Person.objects.count() == before + 1


def test_api_refuses_a_second_record_with_the_same_number_with_400_not_409(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    register(world, "petra", "Zoran", "Qvist", identity_number=NUMBER)
    for confirm in (False, True):
        response = non_raising(as_user("anders")).post(
            API_PERSONS_URL,
            {"given_name": "Z", "family_name": "Q", "identity_number": NUMBER_AS_TYPED, "confirm_new": confirm},
            content_type=JSON,
        )
        assert response.status_code == 400
        assert "already has a record" in response.json()["identity_number"][0]


def test_api_confirm_new_must_be_a_boolean_and_is_ignored_on_update(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = non_raising(as_user("petra"))
    bad = petra.post(
        API_PERSONS_URL,
        {"given_name": "A", "family_name": "B", "birth_year": 1990, "confirm_new": "perhaps"},
        content_type=JSON,
    )
    assert bad.status_code == 400
    assert "confirm_new" in bad.json()
    person = register(world, "petra", "Zoran", "Qvist", birth_year=1990)
    patched = petra.patch(
        f"{API_PERSONS_URL}{person.pk}/",
        {"interpreter_language": "arabiska", "confirm_new": True},
        content_type=JSON,
        headers={"If-Match": f'"{person.pk}-{person.version}"'},
    )
    assert patched.status_code == 200, patched.content
