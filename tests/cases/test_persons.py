"""Registering, finding and editing persons, on the pages and over the API.

Each agency keeps its own record of a person; what another agency holds never shows, not even in an
error message. Edits never overwrite each other silently. Bad input gets a clear error, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import serializers
from django.test import Client

from cases.models import Person
from cases.services import alias_add, person_create
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import identity_number
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

LIST_URL = "/persons/"
CREATE_URL = "/persons/new/"
API_LIST_URL = "/api/persons/"

# Queries a request runs, measured with a warmed-up process (permission ids cached) and found to be
# the same for a handful of persons and for a full page of 50. The session is written at most once a minute,
# and a page's audit events are written together in one INSERT (gvi.audit.middleware):
#   list page:   session, user, OTP device, count, page rows, list audit event
#   detail page (Petra on Adam, with his police section and Karin's probation summary, the same for 5 and
#                50 aliases): session, user, OTP device, the person, shares received, five section look-ups,
#                aliases, guardians, consents, shares made, reports sent, may-change check, the user's agency
#                (which sections may be opened), the audit events (view, shared and own sections: one INSERT)
#   API list:    session, user, OTP device, count, page rows, their aliases (prefetched), list audit event
LIST_PAGE_QUERIES = 6
DETAIL_PAGE_QUERIES = 21
API_LIST_QUERIES = 7

# Numbers no demo record holds.
FRESH_NUMBER = identity_number(1998, 7, 7, 777)
OTHER_FRESH_NUMBER = identity_number(1997, 3, 21, 555)


def detail_url(person: Person) -> str:
    return f"/persons/{person.pk}/"


def edit_url(person: Person) -> str:
    return f"/persons/{person.pk}/edit/"


def api_detail_url(person: Person) -> str:
    return f"/api/persons/{person.pk}/"


def page_ids(response: Any) -> list[int]:
    return [p.pk for p in response.context["page"].object_list]


def non_raising(client: Client) -> Client:
    """A client that returns the 500 page instead of re-raising, so a test can assert 'never 500'."""
    client.raise_request_exception = False
    return client


def registration(**overrides: Any) -> dict[str, Any]:
    data = {
        "given_name": "Noah",
        "family_name": "Svensson",
        "identity_number": "",
        "birth_year": "",
        "interpreter_language": "",
    }
    data.update(overrides)
    return data


def top_up_visible_persons(world: dict[str, Any], user: str, total: int) -> None:
    """Register persons (as petra, the police coordinator) until `user` sees `total` of them."""
    viewer: Staff = world[user]
    have = access.visible(viewer, Person).count()
    assert have <= total, f"{user} already sees {have} persons"
    for i in range(total - have):
        person_create(
            actor=world["petra"], given_name=f"Extra{i:03d}", family_name=f"Testperson{i:03d}", birth_year=1980 + i % 25
        )
    assert access.visible(viewer, Person).count() == total


# --------------------------------------------------------------------------------------------------
# Registering on the page


def test_create_page_with_a_bad_check_digit_shows_the_error_and_registers_nobody(as_user: ClientFor) -> None:
    petra = as_user("petra")
    before = Person.objects.count()
    create_events_before = AuditEvent.objects.filter(action=AuditAction.CREATE).count()
    bad = FRESH_NUMBER[:-1] + str((int(FRESH_NUMBER[-1]) + 1) % 10)

    response = petra.post(CREATE_URL, registration(identity_number=bad))

    assert response.status_code == 200
    assert "check the date and the last digit" in response.context["form"].errors["identity_number"][0]
    assert "check the date and the last digit" in response.content.decode()
    assert Person.objects.count() == before
    assert AuditEvent.objects.filter(action=AuditAction.CREATE).count() == create_events_before


def test_create_page_registers_a_valid_person_in_canonical_form(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    ten_digit = FRESH_NUMBER[2:].replace("-", "")

    response = petra.post(CREATE_URL, registration(identity_number=ten_digit))

    person = Person.objects.get(owner_agency=world["petra"].agency, identity_number=FRESH_NUMBER)
    assert response.status_code == 302
    assert response["Location"] == detail_url(person)
    assert person.birth_year == 1998
    assert person.created_by == world["petra"]


def test_create_page_without_number_or_birth_year_asks_for_one(as_user: ClientFor) -> None:
    before = Person.objects.count()
    response = as_user("sara").post(CREATE_URL, registration())
    assert response.status_code == 200
    assert "Give the identity number or at least the birth year." in response.context["form"].non_field_errors()
    assert Person.objects.count() == before


def test_create_page_refuses_a_birth_year_that_contradicts_the_number(as_user: ClientFor) -> None:
    before = Person.objects.count()
    response = as_user("sara").post(CREATE_URL, registration(identity_number=FRESH_NUMBER, birth_year=2001))
    assert response.status_code == 200
    assert response.context["form"].errors["birth_year"] == ["The birth year does not match the identity number."]
    assert Person.objects.count() == before


def test_create_page_refuses_a_birth_year_in_the_future(as_user: ClientFor) -> None:
    response = as_user("sara").post(CREATE_URL, registration(birth_year=2999))
    assert response.status_code == 200
    assert "future" in response.context["form"].errors["birth_year"][0]


def test_same_agency_cannot_register_the_same_number_twice(world: dict[str, Any], as_user: ClientFor) -> None:
    """Anders (police) tries to register Adam, whom his colleague Petra already registered."""
    adam = world["malmo_police_person"]
    before = Person.objects.filter(identity_number=adam.identity_number).count()

    response = as_user("anders").post(CREATE_URL, registration(identity_number=adam.identity_number))

    assert response.status_code == 200
    errors = response.context["form"].errors["identity_number"]
    assert any("Your agency already has a record with this identity number" in e for e in errors)
    assert Person.objects.filter(identity_number=adam.identity_number).count() == before


def test_police_and_social_services_each_keep_their_own_record_of_the_same_number(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    petra, sara = as_user("petra"), as_user("sara")

    assert petra.post(CREATE_URL, registration(identity_number=FRESH_NUMBER)).status_code == 302
    assert sara.post(CREATE_URL, registration(identity_number=FRESH_NUMBER)).status_code == 302

    records = Person.objects.filter(identity_number=FRESH_NUMBER)
    assert {p.owner_agency_id for p in records} == {world["petra"].agency_id, world["sara"].agency_id}
    police_record = records.get(owner_agency_id=world["petra"].agency_id)
    social_record = records.get(owner_agency_id=world["sara"].agency_id)
    assert petra.get(detail_url(police_record)).status_code == 200
    assert petra.get(detail_url(social_record)).status_code == 404
    assert sara.get(detail_url(social_record)).status_code == 200
    assert sara.get(detail_url(police_record)).status_code == 404


def test_registering_a_number_only_the_police_hold_reveals_nothing_to_social_services(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """Bilal is only in the police's records; Erik registering him must not learn that."""
    police_only = identity_number(2001, 9, 3, 245)
    assert Person.objects.filter(identity_number=police_only, owner_agency_id=world["petra"].agency_id).exists()
    assert not Person.objects.filter(identity_number=police_only, owner_agency_id=world["erik"].agency_id).exists()

    response = as_user("erik").post(CREATE_URL, registration(identity_number=police_only))

    assert response.status_code == 302
    assert Person.objects.filter(identity_number=police_only, owner_agency_id=world["erik"].agency_id).count() == 1


# --------------------------------------------------------------------------------------------------
# Registering over the API: 400 with field errors, never 500


def test_api_refuses_a_bad_identity_number_with_a_field_error(as_user: ClientFor) -> None:
    before = Person.objects.count()
    response = non_raising(as_user("petra")).post(
        API_LIST_URL,
        {"given_name": "Noah", "family_name": "Svensson", "identity_number": "20030412-1230"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["identity_number"]
    assert "check the date and the last digit" in body["identity_number"][0]
    assert Person.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"identity_number": "not a number"}, "identity_number", id="garbage number"),
        pytest.param({"identity_number": 12345}, "identity_number", id="number as integer"),
        pytest.param({"identity_number": ["20030412-1239"]}, "identity_number", id="number as list"),
        pytest.param({"identity_number": {"x": 1}}, "identity_number", id="number as object"),
        pytest.param({"identity_number": "1" * 40}, "identity_number", id="number too long"),
        pytest.param({"identity_number": "20030230-1234"}, "identity_number", id="30 February"),
        pytest.param({"birth_year": "abc"}, "birth_year", id="birth year not a number"),
        pytest.param({"birth_year": 1800}, "birth_year", id="birth year too early"),
        pytest.param({"birth_year": 3000}, "birth_year", id="birth year too late"),
        pytest.param({"birth_year": 2004, "given_name": ""}, "given_name", id="empty name"),
        pytest.param({"birth_year": 2004, "given_name": "x" * 101}, "given_name", id="name too long"),
        pytest.param({"birth_year": 2004, "protected_identity": "maybe"}, "protected_identity", id="bad boolean"),
    ],
)
def test_api_answers_bad_input_with_400_and_the_field(as_user: ClientFor, payload: dict[str, Any], field: str) -> None:
    before = Person.objects.count()
    data = {"given_name": "Noah", "family_name": "Svensson", **payload}
    response = non_raising(as_user("petra")).post(API_LIST_URL, data, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Person.objects.count() == before


def test_api_answers_a_body_that_is_not_json_with_400(as_user: ClientFor) -> None:
    response = non_raising(as_user("petra")).post(API_LIST_URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_api_asks_for_the_number_or_the_birth_year(as_user: ClientFor) -> None:
    response = non_raising(as_user("petra")).post(
        API_LIST_URL, {"given_name": "Noah", "family_name": "Svensson"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"birth_year": ["Give the identity number or at least the birth year."]}


def test_api_refuses_a_birth_year_that_contradicts_the_number(as_user: ClientFor) -> None:
    response = non_raising(as_user("petra")).post(
        API_LIST_URL,
        {"given_name": "Noah", "family_name": "Svensson", "identity_number": FRESH_NUMBER, "birth_year": 2001},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"birth_year": ["The birth year does not match the identity number."]}


def test_api_refuses_a_duplicate_in_the_same_agency(world: dict[str, Any], as_user: ClientFor) -> None:
    response = non_raising(as_user("anders")).post(
        API_LIST_URL,
        {
            "given_name": "Adam",
            "family_name": "Karlsson",
            "identity_number": world["malmo_police_person"].identity_number,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "already has a record" in response.json()["identity_number"][0]


def test_api_registers_a_person_and_returns_its_etag(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("sara").post(
        API_LIST_URL,
        {"given_name": "Noah", "family_name": "Svensson", "identity_number": FRESH_NUMBER[2:]},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert body["identity_number"] == FRESH_NUMBER
    assert body["birth_year"] == 1998
    assert person.owner_agency_id == world["sara"].agency_id
    assert response["ETag"] == f'"{person.pk}-1"'


@pytest.mark.parametrize("where", ["api", "create page", "search"])
def test_superscript_digit_in_a_number_is_a_clear_error_not_a_500(as_user: ClientFor, where: str) -> None:
    client = non_raising(as_user("petra"))
    typed = "200304²2-1239"
    if where == "api":
        response = client.post(
            API_LIST_URL,
            {"given_name": "N", "family_name": "S", "identity_number": typed},
            content_type="application/json",
        )
        assert response.status_code == 400
    elif where == "create page":
        response = client.post(CREATE_URL, registration(identity_number=typed))
        assert response.status_code == 200
        assert response.context["form"].errors["identity_number"]
    else:
        response = client.post(LIST_URL, {"term": typed})
        assert response.status_code == 200


# --------------------------------------------------------------------------------------------------
# Who sees a new record


def test_person_registered_by_a_social_worker_is_seen_by_her_agency_not_by_another_team(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """Sara's record is the municipality's: Erik (exit coordinator, agency scope) sees it; Malin, a social
    worker in the municipality's field team (team scope), does not; nor do the police or probation."""
    assert as_user("sara").post(CREATE_URL, registration(birth_year=2006)).status_code == 302
    person = Person.objects.get(created_by=world["sara"], given_name="Noah")

    assert as_user("sara").get(detail_url(person)).status_code == 200
    assert as_user("erik").get(detail_url(person)).status_code == 200
    for outsider in ("malin", "petra", "anders", "karin", "nils"):
        assert as_user(outsider).get(detail_url(person)).status_code == 404, outsider
    erik_list = as_user("erik").get(LIST_URL)
    malin_list = as_user("malin").get(LIST_URL)
    assert person.pk in page_ids(erik_list)
    assert person.pk not in page_ids(malin_list)


def test_program_lead_and_admin_cannot_open_any_person(world: dict[str, Any], as_user: ClientFor) -> None:
    for user in ("lena", "ada", "olof"):
        client = as_user(user)
        assert client.get(detail_url(world["malmo_social_person"])).status_code == 404, user
        assert client.get(LIST_URL).status_code == 404, user


# --------------------------------------------------------------------------------------------------
# Two people editing the same person (page)


def edit_form(person: Person, **changes: Any) -> dict[str, Any]:
    data = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "identity_number": person.identity_number or "",
        "birth_year": person.birth_year,
        "interpreter_language": person.interpreter_language,
        "version": person.version,
    }
    data.update(changes)
    return data


def test_second_editor_from_the_same_version_gets_the_conflict_message_and_nothing_is_lost(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    adam = world["malmo_police_person"]
    petra, anders = as_user("petra"), as_user("anders")
    read_by_both = edit_form(adam)

    first = petra.post(edit_url(adam), {**read_by_both, "interpreter_language": "arabiska"})
    second = anders.post(edit_url(adam), {**read_by_both, "interpreter_language": "somaliska"})

    assert first.status_code == 302
    assert second.status_code == 200
    page = second.content.decode()
    assert "Someone else saved this person while you were editing" in page
    assert second.context["conflict"].interpreter_language == "arabiska"
    assert "arabiska" in page, "the page shows the version saved meanwhile"
    adam.refresh_from_db()
    assert adam.interpreter_language == "arabiska", "the first edit stays"
    assert adam.version == 2
    assert (
        AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="cases.person", object_id=str(adam.pk)).count()
        == 1
    )


def test_conflict_page_keeps_the_second_editors_input_ready_to_save(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    petra, anders = as_user("petra"), as_user("anders")
    read_by_both = edit_form(adam)
    petra.post(edit_url(adam), {**read_by_both, "interpreter_language": "arabiska"})

    second = anders.post(edit_url(adam), {**read_by_both, "interpreter_language": "somaliska"})

    form = second.context["form"]
    assert form["interpreter_language"].value() == "somaliska"
    assert int(form["version"].value()) == 2
    assert not form.errors
    resubmit = anders.post(edit_url(adam), {**read_by_both, "interpreter_language": "somaliska", "version": 2})
    assert resubmit.status_code == 302


def test_edit_with_the_current_version_saves_and_bumps_the_version(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    response = as_user("petra").post(edit_url(adam), edit_form(adam, family_name="Karlsson-Berg"))
    assert response.status_code == 302
    adam.refresh_from_db()
    assert (adam.family_name, adam.version) == ("Karlsson-Berg", 2)


# --------------------------------------------------------------------------------------------------
# Editing over the API: If-Match


def patch(client: Client, person: Person, data: dict[str, Any], **headers: str) -> Any:
    return non_raising(client).patch(
        api_detail_url(person), json.dumps(data), content_type="application/json", headers=headers
    )


def test_api_patch_without_if_match_is_428_and_changes_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    response = patch(as_user("petra"), adam, {"interpreter_language": "arabiska"})
    assert response.status_code == 428
    adam.refresh_from_db()
    assert (adam.interpreter_language, adam.version) == ("", 1)


def test_api_patch_with_a_stale_etag_is_412_and_keeps_the_other_edit(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    petra, anders = as_user("petra"), as_user("anders")
    etag_read_by_both = petra.get(api_detail_url(adam))["ETag"]
    assert anders.get(api_detail_url(adam))["ETag"] == etag_read_by_both

    first = patch(petra, adam, {"interpreter_language": "arabiska"}, **{"If-Match": etag_read_by_both})
    second = patch(anders, adam, {"interpreter_language": "somaliska"}, **{"If-Match": etag_read_by_both})

    assert first.status_code == 200
    assert second.status_code == 412
    adam.refresh_from_db()
    assert (adam.interpreter_language, adam.version) == ("arabiska", 2)


def test_api_patch_with_the_current_etag_saves_and_returns_a_new_etag(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    adam = world["malmo_police_person"]
    petra = as_user("petra")
    etag = petra.get(api_detail_url(adam))["ETag"]

    response = patch(petra, adam, {"interpreter_language": "arabiska"}, **{"If-Match": etag})

    assert response.status_code == 200
    assert response.json()["interpreter_language"] == "arabiska"
    assert response.json()["version"] == 2
    assert response["ETag"] != etag
    assert response["ETag"] == petra.get(api_detail_url(adam))["ETag"]


def test_api_patch_with_bad_data_is_400_and_keeps_the_version(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    petra = as_user("petra")
    etag = petra.get(api_detail_url(adam))["ETag"]
    response = patch(petra, adam, {"identity_number": "20030412-1230"}, **{"If-Match": etag})
    assert response.status_code == 400
    assert "identity_number" in response.json()
    adam.refresh_from_db()
    assert adam.version == 1


def test_api_patch_on_another_agencys_person_is_404_even_with_a_guessed_etag(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    adam = world["malmo_police_person"]
    response = patch(as_user("sara"), adam, {"interpreter_language": "x"}, **{"If-Match": f'"{adam.pk}-1"'})
    assert response.status_code == 404


# --------------------------------------------------------------------------------------------------
# Search (POST, so terms stay out of URLs and logs)


def test_name_search_finds_only_the_persons_the_searcher_may_see(world: dict[str, Any], as_user: ClientFor) -> None:
    """Three agencies each hold an "Adam Karlsson"; each user finds only their own agency's."""
    assert Person.objects.filter(family_name="Karlsson").count() >= 3
    expected = {"petra": "malmo_police_person", "sara": "malmo_social_person", "karin": "malmo_probation_person"}
    for user, own in expected.items():
        response = as_user(user).post(LIST_URL, {"term": "karlsson"})
        assert response.status_code == 200
        assert page_ids(response) == [world[own].pk], user
    assert page_ids(as_user("nils").post(LIST_URL, {"term": "Karlsson"})) == []


def test_name_search_is_audited_without_the_term(world: dict[str, Any], as_user: ClientFor) -> None:
    as_user("petra").post(LIST_URL, {"term": "Adam Karlsson"})
    event = AuditEvent.objects.get(action=AuditAction.SEARCH, actor_username="petra")
    assert event.object_ids == [str(world["malmo_police_person"].pk)]
    assert event.detail == {"term_words": 2}
    assert "Karlsson" not in serializers.serialize("json", [event])


@pytest.mark.parametrize("typed", ["full", "ten digits"])
def test_identity_number_search_finds_the_person_and_audits_only_an_hmac(
    world: dict[str, Any], as_user: ClientFor, typed: str
) -> None:
    adam = world["malmo_police_person"]
    number = adam.identity_number
    term = number if typed == "full" else number[2:].replace("-", "")

    response = as_user("petra").post(LIST_URL, {"term": term})

    assert response.status_code == 200
    assert page_ids(response) == [adam.pk]
    event = AuditEvent.objects.get(action=AuditAction.SEARCH, actor_username="petra")
    digits = "".join(ch for ch in term if ch.isdigit())
    expected_hmac = hmac.new(settings.AUDIT_HMAC_KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()
    assert event.detail == {"term_hmac": expected_hmac}
    assert event.object_ids == [str(adam.pk)]
    row = serializers.serialize("json", [event])
    for form_of_number in (
        number,
        number.replace("-", ""),
        number[2:],
        number[2:].replace("-", ""),
        number[:8],
        number[2:8] + number[9:],
    ):
        assert form_of_number not in row, form_of_number


def test_search_for_a_number_held_by_another_agency_finds_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    police_only = identity_number(2001, 9, 3, 245)
    response = as_user("sara").post(LIST_URL, {"term": police_only})
    assert response.status_code == 200
    assert page_ids(response) == []
    assert "No person you may see matches the search." in response.content.decode()


def test_search_form_posts_so_terms_stay_out_of_the_url(as_user: ClientFor) -> None:
    response = as_user("petra").get(LIST_URL)
    assert f'<form method="post" action="{LIST_URL}" role="search"' in response.content.decode()


def test_a_term_in_the_query_string_is_not_a_search(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("petra").get(LIST_URL, {"term": "Karlsson"})
    assert len(page_ids(response)) == access.visible(world["petra"], Person).count() > 1
    assert not AuditEvent.objects.filter(action=AuditAction.SEARCH).exists()


# --------------------------------------------------------------------------------------------------
# Pagination and sorting never fail


# page asked for -> page shown, with 60 persons (two pages of 50 and 10)
PAGE_FALLBACKS = {"1": 1, "2": 2, "abc": 1, "999": 2, "-1": 2, "0": 2, "": 1, "1.5": 1, "9" * 30: 2}


def test_person_list_pages_and_any_bad_page_number_still_gives_a_page(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    top_up_visible_persons(world, "petra", 60)
    petra = as_user("petra")
    for asked, shown in PAGE_FALLBACKS.items():
        response = petra.get(LIST_URL, {"page": asked})
        assert response.status_code == 200, asked
        assert response.context["page"].number == shown, asked
        assert len(page_ids(response)) == (50 if shown == 1 else 10), asked
    first, second = (set(page_ids(petra.get(LIST_URL, {"page": n}))) for n in (1, 2))
    assert not first & second


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("name", lambda p: (p.family_name, p.given_name, p.pk), False),
        ("-name", lambda p: (p.family_name, p.given_name, p.pk), True),
        ("born", lambda p: (p.birth_year, p.pk), False),
        ("-born", lambda p: (p.birth_year, p.pk), True),
        ("-created", lambda p: (p.created_at, p.pk), True),
        ("identity_number", lambda p: (p.family_name, p.given_name, p.pk), False),
        ("'; DROP TABLE cases_person; --", lambda p: (p.family_name, p.given_name, p.pk), False),
    ],
)
def test_person_list_sorts_and_ignores_unknown_sorts(
    world: dict[str, Any], as_user: ClientFor, sort: str, key: Any, reverse: bool
) -> None:
    response = as_user("petra").get(LIST_URL, {"sort": sort})
    assert response.status_code == 200
    shown = list(response.context["page"].object_list)
    assert len(shown) == access.visible(world["petra"], Person).count() > 1
    assert shown == sorted(shown, key=key, reverse=reverse)


def test_api_list_sorts_by_an_allowed_key_and_refuses_others(as_user: ClientFor) -> None:
    petra = as_user("petra")
    years = [p["birth_year"] for p in petra.get(API_LIST_URL, {"sort": "-born"}).json()["results"]]
    assert years == sorted(years, reverse=True)
    assert len(set(years)) > 1
    names = [(p["family_name"], p["given_name"]) for p in petra.get(API_LIST_URL).json()["results"]]
    assert names == sorted(names)
    refused = petra.get(API_LIST_URL, {"sort": "identity_number"})
    assert refused.status_code == 400
    assert "sort" in refused.json()


@pytest.mark.parametrize("asked", ["abc", "999", "0", "-1"])
def test_api_list_answers_a_bad_page_with_404_json_not_500(as_user: ClientFor, asked: str) -> None:
    response = non_raising(as_user("petra")).get(API_LIST_URL, {"page": asked})
    assert response.status_code == 404
    assert "detail" in response.json()


def test_api_list_page_size_is_a_hint_and_a_bad_one_falls_back(world: dict[str, Any], as_user: ClientFor) -> None:
    top_up_visible_persons(world, "petra", 60)
    petra = as_user("petra")
    small = petra.get(API_LIST_URL, {"page_size": "3"}).json()
    assert (small["count"], len(small["results"])) == (60, 3)
    assert small["next"] is not None
    assert len(petra.get(API_LIST_URL, {"page_size": "abc"}).json()["results"]) == 50
    assert len(petra.get(API_LIST_URL, {"page_size": "-5"}).json()["results"]) == 50
    assert len(petra.get(API_LIST_URL, {"page_size": "10000"}).json()["results"]) == 60
    assert len(petra.get(API_LIST_URL, {"page": "2"}).json()["results"]) == 10


# --------------------------------------------------------------------------------------------------
# Query counts: bounded, and the same for a few persons as for a full page


def _measure(client: Client, url: str, limit: int) -> int:
    client.get(url)  # warm up: per-process caches (permission ids, content types)
    with max_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        pytest.param(LIST_URL, LIST_PAGE_QUERIES, id="list page"),
        pytest.param(API_LIST_URL, API_LIST_QUERIES, id="API list"),
    ],
)
def test_person_lists_run_the_same_number_of_queries_for_few_and_many_persons(
    world: dict[str, Any], as_user: ClientFor, url: str, limit: int
) -> None:
    petra = as_user("petra")
    few = access.visible(world["petra"], Person).count()
    assert 1 < few < 50
    with_few = _measure(petra, url, limit)
    top_up_visible_persons(world, "petra", 50)
    with_many = _measure(petra, url, limit)
    assert with_few == with_many == limit


def add_aliases(world: dict[str, Any], person: Person, total: int) -> None:
    for i in range(person.aliases.count(), total):
        alias_add(actor=world["petra"], person=person, name=f"Alias {i:03d}")


def test_person_detail_page_runs_the_same_queries_for_5_and_50_aliases(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """Adam's police record: its police section and the probation summary Karin shared with the police."""
    petra = as_user("petra")
    adam = world["malmo_police_person"]
    url = detail_url(adam)
    add_aliases(world, adam, 5)
    with_few = _measure(petra, url, DETAIL_PAGE_QUERIES)
    add_aliases(world, adam, 50)
    with_many = _measure(petra, url, DETAIL_PAGE_QUERIES)
    assert len(petra.get(url).context["aliases"]) == 50
    assert with_few == with_many == DETAIL_PAGE_QUERIES
