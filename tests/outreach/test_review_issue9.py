"""Adversarial review of issue 9 (the exit program).

Each test reproduces one defect found in review and asserts the correct behaviour: it fails now and passes
once the defect is fixed. A few cheap tests at the end pin paths that were probed and found right.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from gvi.audit.models import AuditAction, AuditEvent
from outreach.models import ExitCase, Referral
from outreach.services import cases as case_services
from outreach.services import referrals as referral_services

pytestmark = pytest.mark.django_db

HUGE = str(10**20)


def _today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _last_event_id() -> int:
    last = AuditEvent.objects.order_by("-id").first()
    return last.pk if last else 0


def _events_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=before).order_by("id"))


def _json(client: Any, method: str, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **headers)


# --------------------------------------------------------------------------------------------------
# 1. Bad input gives a 500


@pytest.mark.parametrize("field", ["staff", "agencies"])
def test_contact_form_participant_with_a_huge_id_is_a_form_error_not_a_500(
    world: dict[str, Any], as_api_user: Any, field: str
) -> None:
    """DEFECT (outreach/forms/entries.py ContactForm.staff / .agencies): the participant fields are plain
    ModelMultipleChoiceFields, so a hand-edited id beyond 64 bits reaches the database and overflows
    (OverflowError → 500 on the contact form, both the htmx partial save and the edit page). The project
    has gvi.formfields.IdsChoiceField for exactly this. Expected: a form error (200 with the form, or 400),
    never a 500."""
    case, contact = world["malmo_exit_case"], world["malmo_contact"]
    client = as_api_user("sara")
    body = {"note": "Träff.", "contact_on": _today(), "channel": "phone", "duration_minutes": "30", field: [HUGE]}
    created = client.post(reverse("outreach:contact-create", args=[case.pk]), body, HTTP_HX_REQUEST="true")
    assert created.status_code < 500
    edited = client.post(
        reverse("outreach:contact-edit", args=[contact.pk]),
        {**body, "contact_on": contact.contact_on.isoformat(), "version": str(contact.version)},
    )
    assert edited.status_code < 500


# --------------------------------------------------------------------------------------------------
# 2. Denials over the API are not audited


def test_api_change_of_an_exit_case_out_of_reach_is_audited_as_a_denial(
    world: dict[str, Any], as_api_user: Any
) -> None:
    """DEFECT (outreach/api/cases.py ExitCaseViewSet._for_change: get_visible_or_404(..., audit=False)):
    PATCH /api/exit-cases/{id}/ (and close/, reassign/) by someone who may not change the case answers 404
    but writes no audit event at all, while the same attempt on the page (outreach:case-phase) writes a DENY.
    DESIGN rule 4 / DOMAIN loggkontroll: a denied look or change must be in the trail."""
    case = world["malmo_exit_case"]
    for persona in ("petra", "nils", "malin"):
        before = _last_event_id()
        response = _json(
            as_api_user(persona),
            "patch",
            f"/api/exit-cases/{case.pk}/",
            {"phase": "establish"},
            HTTP_IF_MATCH=f'"{case.pk}-{case.version}"',
        )
        assert response.status_code == 404
        denials = [e for e in _events_since(before) if e.action == AuditAction.DENY]
        assert denials, f"{persona}: no DENY event for a refused change of exit case {case.pk}"
        assert denials[0].object_type == "outreach.exitcase"
        assert denials[0].object_id == str(case.pk)


def test_api_reassign_by_a_non_coordinator_is_audited_as_a_denial(world: dict[str, Any], as_api_user: Any) -> None:
    """DEFECT (outreach/api/cases.py ExitCaseViewSet.reassign: `raise NotFound` before anything is
    recorded): Sara (not a coordinator) asking to reassign her own case gets 404 with no audit event, while
    the page (outreach/views/caseload.py _reassignable) records a DENY for the same attempt."""
    case = world["malmo_exit_case"]
    before = _last_event_id()
    response = _json(
        as_api_user("sara"),
        "post",
        f"/api/exit-cases/{case.pk}/reassign/",
        {"responsible": world["erik"].pk},
        HTTP_IF_MATCH=f'"{case.pk}-{case.version}"',
    )
    assert response.status_code == 404
    assert any(e.action == AuditAction.DENY for e in _events_since(before))


def test_api_referral_step_by_the_referrer_is_audited_as_a_denial(world: dict[str, Any], as_api_user: Any) -> None:
    """DEFECT (outreach/api/referrals.py ReferralViewSet._for_change: audit=False): Karin, who sent the
    referral and holds only `view_status`, POSTs /api/referrals/{id}/assess/ and /decide/: 404, but no DENY
    event, although a referrer trying to handle (and so read the assessment of) a referral is exactly what
    log follow-up must see."""
    referral = world["malmo_probation_referral"]
    client = as_api_user("karin")
    for step, body in (("assess", {"assessment": "x"}), ("decide", {"accept": False, "decline_reason": "x"})):
        before = _last_event_id()
        response = _json(
            client,
            "post",
            f"/api/referrals/{referral.pk}/{step}/",
            body,
            HTTP_IF_MATCH=f'"{referral.pk}-{referral.version}"',
        )
        assert response.status_code == 404
        denials = [e for e in _events_since(before) if e.action == AuditAction.DENY]
        assert denials, f"no DENY event for {step}"
        assert denials[0].object_type == "outreach.referral"


def test_api_update_of_a_contact_out_of_reach_is_audited_as_a_denial(world: dict[str, Any], as_api_user: Any) -> None:
    """DEFECT (gvi/api.py RecordViewSet.update, used by /api/contacts/, /api/relatives/, /api/measures/:
    get_visible_or_404(..., audit=False)): a PATCH of another program's / another agency's contact is a 404
    with no audit event; the page (outreach:contact-edit) records the DENY."""
    contact = world["malmo_contact"]
    for persona in ("nils", "petra"):
        before = _last_event_id()
        response = _json(
            as_api_user(persona),
            "patch",
            f"/api/contacts/{contact.pk}/",
            {"note": "x"},
            HTTP_IF_MATCH=f'"{contact.pk}-{contact.version}"',
        )
        assert response.status_code == 404
        assert any(e.action == AuditAction.DENY for e in _events_since(before)), persona


# --------------------------------------------------------------------------------------------------
# 3. Protected relatives: contact details leak to others than the responsible worker


def test_protected_relative_phone_cannot_be_confirmed_by_guessing_over_the_api(
    world: dict[str, Any], as_api_user: Any
) -> None:
    """DEFECT (outreach/services/cases.py relative_update: the guard compares the submitted phone/address
    with the stored one and refuses only a *different* value): Erik (exit coordinator, not responsible, may
    not see the protected relative's contact details) PATCHes /api/relatives/{id}/ with a guessed phone. A
    wrong guess answers 400 "Only the responsible social worker ...", the right one 200 (and bumps the
    version): an oracle that confirms a protected identity's phone number or address. Expected: a user
    without `view_contact` is refused the same way whatever value they send for phone/address/protection."""
    relative = world["malmo_relative"]
    assert relative.protected_identity
    client = as_api_user("erik")
    answers = []
    for guess in ("070-000 00 00", relative.phone):
        relative.refresh_from_db()
        response = _json(
            client,
            "patch",
            f"/api/relatives/{relative.pk}/",
            {"phone": guess},
            HTTP_IF_MATCH=f'"{relative.pk}-{relative.version}"',
        )
        answers.append(response.status_code)
    assert answers[0] == answers[1] == 400, answers


def test_protected_relatives_relocation_destination_is_hidden_from_others(
    world: dict[str, Any], as_api_user: Any
) -> None:
    """DEFECT (templates/outreach/measures/_table.html, outreach/api/entries.py SupportMeasureSerializer):
    a relocation of a relative with protected identity names the municipality the relative moved to. That is
    the relative's whereabouts (address data), yet the case page, the relative's page and /api/measures/ show
    `to_municipality` to everyone who sees the case (the exit coordinator, the whole team), while the
    relative's phone and address are hidden from them. Expected: like phone and address, the destination of a
    protected relative's relocation is shown only to the holder of the case's `view_contact`."""
    relative = world["malmo_relative"]
    case_services.measure_add(
        actor=world["sara"],
        case=relative.exit_case,
        relative=relative,
        kind="relocation",
        from_municipality="Malmö",
        to_municipality="Hemligby",
        moved_on=timezone.localdate(),
    )
    erik = as_api_user("erik")
    assert erik.get(reverse("outreach:relative-detail", args=[relative.pk])).status_code == 200
    assert "Hemligby" not in erik.get(reverse("outreach:relative-detail", args=[relative.pk])).content.decode()
    assert "Hemligby" not in erik.get(reverse("outreach:case-detail", args=[relative.exit_case_id])).content.decode()
    assert "Hemligby" not in erik.get(f"/api/measures/?exit_case={relative.exit_case_id}").content.decode()
    # The responsible worker still sees it.
    assert (
        "Hemligby" in as_api_user("sara").get(reverse("outreach:relative-detail", args=[relative.pk])).content.decode()
    )


# --------------------------------------------------------------------------------------------------
# 4. Audit gaps


def test_case_page_audits_the_threat_assessments_and_relatives_it_shows(
    world: dict[str, Any], as_api_user: Any
) -> None:
    """DEFECT (outreach/views/entries.py entries_context): the case page lists the threat assessments (with
    their summaries) and the relatives (names, threat level, protected-identity flag), but writes LIST events
    only for the contacts and measures it shows. The relatives are other people; a look at them, and at the
    threat picture, leaves no trace. Expected: one LIST event per kind shown, naming the ids (as for
    contacts and measures)."""
    case = world["malmo_exit_case"]
    threat, relative = world["malmo_threat"], world["malmo_relative"]
    before = _last_event_id()
    assert as_api_user("erik").get(reverse("outreach:case-detail", args=[case.pk])).status_code == 200
    listed = {e.object_type: e.object_ids for e in _events_since(before) if e.action == AuditAction.LIST}
    assert str(threat.pk) in listed.get("outreach.threatassessment", [])
    assert str(relative.pk) in listed.get("outreach.relative", [])


# --------------------------------------------------------------------------------------------------
# 5. The referral loop breaks for a referral from another team of the same municipality


def test_exit_team_can_open_a_case_on_a_referral_from_another_team_of_the_municipality(
    world: dict[str, Any], as_api_user: Any
) -> None:
    """DEFECT (outreach/services/referrals.py _own_record): Malin (field team) refers her record of a person
    (with an identity number) to the exit team; Sara accepts it and opens the exit case. Sara's role reaches
    only her team's records, so _own_record finds none it may change and calls person_create with the same
    identity number, which the municipality already holds: the open-case form answers "Your agency already
    has a record with this identity number" and the loop can never close (only the exit coordinator could).
    The message also tells Sara that another team holds a record on that identity number. Expected: the
    case opens (the referral moves to "opened")."""
    from cases.services import person_create
    from gvi.demo import identity_number

    malin, sara = world["malin"], world["sara"]
    person = person_create(
        actor=malin, given_name="Test", family_name="Testsson", identity_number=identity_number(2004, 3, 3, 123)
    )
    referral = referral_services.referral_create(
        actor=malin,
        source_person=person,
        receiving_agency=malin.agency,
        receiving_team=sara.team,
        reason="Vill ut.",
        source=Referral.Source.SOCIAL_SERVICES,
    )
    referral = referral_services.referral_decide(actor=sara, referral=referral, version=referral.version, accept=True)
    response = as_api_user("sara").post(
        reverse("outreach:referral-open-case", args=[referral.pk]),
        {"responsible": sara.pk, "version": referral.version},
    )
    assert "already has a record with this identity number" not in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.OPENED
    assert ExitCase.objects.filter(referral=referral, responsible=sara).exists()


# --------------------------------------------------------------------------------------------------
# Paths probed and found right (kept because they are cheap)


def test_referrer_sees_no_reason_assessment_or_case_anywhere(world: dict[str, Any], as_api_user: Any) -> None:
    """Petra referred Hamza: pages, API, her person page and her timeline show the status only."""
    referral = world["malmo_referral"]
    case = world["malmo_exit_case"]
    secrets = [referral.reason[:20], referral.assessment[:15], "Mina Ali", "Växjö", "Hot från"]
    petra = as_api_user("petra")
    for url in (
        reverse("cases:person-detail", args=[referral.source_person_id]),
        reverse("outreach:referral-detail", args=[referral.pk]),
        reverse("outreach:referral-sent"),
        f"/api/referrals/{referral.pk}/",
        "/api/referrals/sent/",
        f"/api/persons/{referral.source_person_id}/timeline/",
    ):
        response = petra.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not [s for s in secrets if s in body], url
        assert reverse("outreach:case-detail", args=[case.pk]) not in body, url


def test_bad_ids_and_filters_never_give_a_500(world: dict[str, Any], as_api_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_api_user("sara")
    for url in (
        reverse("outreach:case-detail", args=[case.pk]) + "?contacts=" + HUGE,
        reverse("outreach:case-detail", args=[case.pk]) + "?contacts=%D9%A1",
        reverse("outreach:measure-create", args=[case.pk]) + "?relative=" + HUGE,
        reverse("outreach:measure-create", args=[case.pk]) + "?relative=%D9%A1",
        reverse("outreach:caseload") + "?worker=%D9%A1&page=x",
        "/api/contacts/?exit_case=%D9%A1",
        "/api/contacts/?exit_case=" + HUGE,
        "/api/exit-cases/?sort=x",
    ):
        assert client.get(url).status_code < 500, url


def test_contact_form_participant_with_unicode_digits_is_refused(world: dict[str, Any], as_api_user: Any) -> None:
    """Probed and right: "١" (an Arabic-Indic one) in the participants is refused, nothing is saved."""
    case = world["malmo_exit_case"]
    client = as_api_user("sara")
    before = case.contact_set.count()
    response = client.post(
        reverse("outreach:contact-create", args=[case.pk]),
        {"note": "Träff.", "contact_on": _today(), "channel": "phone", "duration_minutes": "30", "agencies": ["١"]},
    )
    assert response.status_code < 500
    assert case.contact_set.count() == before
