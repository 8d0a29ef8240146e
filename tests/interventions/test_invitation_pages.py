"""Invitation pages: the police's full view with status, help and the one-click referral to the exit program
(through the outreach consent gate), and the probation officer's partial view of her own clients'
invitations with the confirmation of attendance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Share
from gvi.access import partial_fields
from gvi.audit.models import AuditAction, AuditEvent
from interventions import services
from interventions.models import CallIn, CallInInvitation
from outreach.models import Referral
from outreach.services.referrals import gate_message
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured with a warmed-up process, the same for few and many invitations: session, user, device, the
# count, the page rows (with call-in and the client's record), the confirm grants, the list audit event,
# session save.
CLIENT_LIST_QUERIES = 10


def _detail(invitation: CallInInvitation) -> str:
    return reverse("interventions:invitation-detail", args=[invitation.pk])


def _helped(world: dict[str, Any]) -> CallInInvitation:
    """The invitee of the past call-in who asked for help (the demo's)."""
    return CallInInvitation.objects.get(call_in=world["malmo_callin_past"], asked_for_help=True)


def _shown_ids(user: Any) -> set[str]:
    event = AuditEvent.objects.filter(actor_id=user.pk, action=AuditAction.LIST).order_by("-id").first()
    assert event is not None
    return set(event.object_ids)


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- The police's full view -----------------------------------------------------------------------


def test_police_see_the_invitation_in_full_with_its_forms(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    response = as_user("petra").get(_detail(invitation))
    assert response.status_code == 200
    page = response.content.decode()
    assert invitation.person.full_name in page
    assert reverse("cases:person-detail", args=[invitation.person_id]) in page
    assert reverse("interventions:invitation-status", args=[invitation.pk]) in page
    assert reverse("interventions:invitation-letter", args=[invitation.pk]) in page
    # Adam's probation section is shared with the police: the supervision shows.
    assert response.context["supervision"] is not None
    assert AuditEvent.objects.filter(
        actor_id=world["petra"].pk, action=AuditAction.VIEW, object_id=str(invitation.pk)
    ).exists()


def test_the_analyst_reads_but_has_no_forms_and_no_letter(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    response = as_user("anders").get(_detail(invitation))
    assert response.status_code == 200
    assert response.context["status_form"] is None
    page = response.content.decode()
    assert reverse("interventions:invitation-letter", args=[invitation.pk]) not in page
    assert (
        as_user("anders")
        .post(reverse("interventions:invitation-status", args=[invitation.pk]), {"status": "confirmed", "version": 1})
        .status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["sara", "erik", "lena", "olof", "ada", "nils", "maja"])
def test_others_get_404(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    assert as_user(persona).get(_detail(world["malmo_invitation"])).status_code == 404
    assert as_user(persona).get(_detail(_helped(world))).status_code == 404


def test_status_is_saved_and_a_stale_edit_shows_both_versions(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    client = as_user("petra")
    url = reverse("interventions:invitation-status", args=[invitation.pk])
    response = client.post(url, {"status": "confirmed", "version": invitation.version})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == CallInInvitation.Status.CONFIRMED
    # The same form again at the old version: a conflict, nothing overwritten, both versions shown.
    response = client.post(url, {"status": "invited", "version": invitation.version - 1})
    assert response.status_code == 200
    assert response.context["conflict"].status == CallInInvitation.Status.CONFIRMED
    assert "Someone else changed this invitation" in " ".join(_messages(response))
    invitation.refresh_from_db()
    assert invitation.status == CallInInvitation.Status.CONFIRMED


def test_attendance_before_the_call_in_is_a_field_error(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    response = as_user("petra").post(
        reverse("interventions:invitation-status", args=[invitation.pk]),
        {"status": "attended", "version": invitation.version},
    )
    assert response.status_code == 200
    assert response.context["status_form"].errors["status"]
    invitation.refresh_from_db()
    assert invitation.status == CallInInvitation.Status.INVITED


def test_help_is_recorded_after_the_call_in(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = CallInInvitation.objects.filter(call_in=world["malmo_callin_past"], asked_for_help=False).first()
    assert invitation is not None
    client = as_user("petra")
    assert client.get(_detail(invitation)).context["help_form"] is not None
    response = client.post(
        reverse("interventions:invitation-help", args=[invitation.pk]),
        {"asked_for_help": "on", "help_note": "Vill ha hjälp med bostad.", "version": invitation.version},
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.asked_for_help
    assert invitation.help_note == "Vill ha hjälp med bostad."
    # Now the referral button shows.
    page = client.get(_detail(invitation)).content.decode()
    assert reverse("interventions:invitation-refer", args=[invitation.pk]) in page


# --- The probation officer's partial view ---------------------------------------------------------


def _police_only_strings(world: dict[str, Any]) -> list[str]:
    """What Karin must never see of the police's records: their person ids, the target groups, the other
    invitees."""
    invitation = world["malmo_invitation"]
    others = CallInInvitation.objects.exclude(probation_officer=world["karin"]).select_related("person")
    return [
        reverse("cases:person-detail", args=[invitation.person_id]),
        *(group.name for group in invitation.call_in.groups.all()),
        *(other.person.full_name for other in others),
        *(reverse("cases:person-detail", args=[other.person_id]) for other in others),
    ]


def test_karin_sees_her_clients_invitation_partially(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    assert invitation.probation_officer_id == world["karin"].pk
    response = as_user("karin").get(_detail(invitation))
    assert response.status_code == 200
    client = response.context["client"]
    assert set(client) == {*partial_fields(CallInInvitation, "view_client"), "status_label", "may_confirm"}
    page = response.content.decode()
    assert invitation.call_in.place in page
    assert reverse("cases:person-detail", args=[invitation.probation_person_id]) in page
    assert reverse("interventions:invitation-confirm", args=[invitation.pk]) in page
    for hidden in _police_only_strings(world):
        assert hidden not in page, hidden
    assert "invitation" not in response.context  # the full object never reaches the template


def test_karin_confirms_once(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    client = as_user("karin")
    url = reverse("interventions:invitation-confirm", args=[invitation.pk])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == _detail(invitation)
    assert "Attendance is confirmed" in " ".join(_messages(response))
    invitation.refresh_from_db()
    assert invitation.status == CallInInvitation.Status.CONFIRMED
    assert invitation.confirmed_at is not None
    version = invitation.version
    # The double submit is refused with a message and changes nothing; the button is gone.
    response = client.post(url, {"back": "list"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("interventions:client-invitations")
    assert "already Confirmed" in " ".join(_messages(response))
    invitation.refresh_from_db()
    assert invitation.version == version
    assert (
        reverse("interventions:invitation-confirm", args=[invitation.pk])
        not in client.get(_detail(invitation)).content.decode()
    )


@pytest.mark.parametrize("persona", ["petra", "anders", "sara", "nils"])
def test_only_the_probation_officer_confirms(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    invitation = world["malmo_invitation"]
    response = as_user(persona).post(reverse("interventions:invitation-confirm", args=[invitation.pk]))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == CallInInvitation.Status.INVITED


def test_client_list_shows_only_karins_clients_and_only_the_declared_fields(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    response = as_user("karin").get(reverse("interventions:client-invitations"))
    assert response.status_code == 200
    mine = set(CallInInvitation.objects.filter(probation_officer=world["karin"]).values_list("pk", flat=True))
    assert world["malmo_invitation"].pk in mine
    assert _shown_ids(world["karin"]) == {str(pk) for pk in mine}
    declared = {*partial_fields(CallInInvitation, "view_client"), "status_label", "may_confirm"}
    assert all(set(row) == declared for row in response.context["rows"])
    page = response.content.decode()
    for hidden in _police_only_strings(world):
        assert hidden not in page, hidden
    assert reverse("interventions:invitation-confirm", args=[world["malmo_invitation"].pk]) in page


@pytest.mark.parametrize("persona", ["petra", "sara", "nils", "lena"])
def test_client_list_is_for_probation_officers(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    assert as_user(persona).get(reverse("interventions:client-invitations")).status_code == 404


def _invite_adam_again(world: dict[str, Any], count: int) -> None:
    petra = world["petra"]
    groups = list(world["malmo_callin"].groups.all())
    for day in range(count):
        call_in = services.call_in_create(
            actor=petra,
            starts_at=timezone.now() + timedelta(days=30 + day),
            place=f"Lokal {day}",
            groups=groups,
        )
        services.invitations_create(actor=petra, call_in=call_in, persons=[world["malmo_police_person"]])


def test_client_list_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("karin")
    url = reverse("interventions:client-invitations")
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        few = len(client.get(url).context["rows"])
    _invite_adam_again(world, 6)
    with max_queries(CLIENT_LIST_QUERIES) as after:
        assert len(client.get(url).context["rows"]) == few + 6
    assert len(before.captured_queries) == len(after.captured_queries)


def test_client_list_has_an_empty_state(world: dict[str, Any], as_user: ClientFor) -> None:
    CallInInvitation.objects.filter(probation_officer=world["karin"]).delete()
    response = as_user("karin").get(reverse("interventions:client-invitations"))
    assert response.status_code == 200
    assert "None of your clients is invited" in response.content.decode()


# --- The follow-up: a referral to the exit program --------------------------------------------------


def _refer_url(invitation: CallInInvitation) -> str:
    return reverse("interventions:invitation-refer", args=[invitation.pk])


def test_the_referral_form_is_prefilled_for_the_exit_team(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = _helped(world)
    response = as_user("petra").get(_refer_url(invitation))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["reason"] == invitation.help_note
    assert form.initial["receiving_agency"] == world["sara"].agency_id
    assert form.initial["receiving_team"] == world["sara"].team_id
    assert "urgency" not in form.fields
    assert "source" not in form.fields
    assert {"legal_basis", "consent"} <= set(form.fields)


def _refer_data(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "receiving_agency": world["sara"].agency_id,
        "receiving_team": world["sara"].team_id,
        "reason": "Vill ha hjälp med jobb och att flytta.",
        "legal_basis": "",
        "consent": "",
        **changes,
    }


def test_the_consent_gate_refuses_without_a_basis_and_keeps_the_input(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    invitation = _helped(world)
    referrals, shares = Referral.objects.count(), Share.objects.count()
    response = as_user("petra").post(_refer_url(invitation), _refer_data(world))
    assert response.status_code == 200
    form = response.context["form"]
    assert gate_message() in form.errors["legal_basis"]
    assert "Vill ha hjälp med jobb och att flytta." in response.content.decode()
    assert (Referral.objects.count(), Share.objects.count()) == (referrals, shares)
    invitation.refresh_from_db()
    assert invitation.referral_id is None


def test_a_referral_with_a_basis_reaches_the_exit_team(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = _helped(world)
    shares = Share.objects.count()
    response = as_user("petra").post(_refer_url(invitation), _refer_data(world, legal_basis="osl_10_2"))
    assert response.status_code == 302
    assert response["Location"] == _detail(invitation)
    invitation.refresh_from_db()
    referral = invitation.referral
    assert referral is not None
    assert referral.source_person_id == invitation.person_id
    assert referral.receiving_team_id == world["sara"].team_id
    assert Share.objects.count() == shares + 1
    # The status shows on the invitation; the button is gone; a second referral is refused.
    client = as_user("petra")
    page = client.get(_detail(invitation)).content.decode()
    assert reverse("outreach:referral-detail", args=[referral.pk]) in page
    assert _refer_url(invitation) not in page
    assert client.post(_refer_url(invitation), _refer_data(world, legal_basis="osl_10_2")).status_code == 302
    assert Referral.objects.filter(source_person_id=invitation.person_id).count() == 1
    # Sara's exit team receives it.
    assert as_user("sara").get(reverse("outreach:referral-list")).status_code == 200
    assert str(referral.pk) in _shown_ids(world["sara"])


def test_no_referral_before_the_person_asked_for_help(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    response = as_user("petra").post(_refer_url(invitation), _refer_data(world, legal_basis="osl_10_2"), follow=True)
    assert "Record that the person asked for help first." in " ".join(_messages(response))
    invitation.refresh_from_db()
    assert invitation.referral_id is None


@pytest.mark.parametrize("persona", ["anders", "sara", "karin", "nils"])
def test_only_the_police_coordinator_refers(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    assert as_user(persona).get(_refer_url(_helped(world))).status_code == 404


def test_detail_page_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    url = _detail(world["malmo_invitation"])
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    _invite_adam_again(world, 3)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(before.captured_queries) == len(after.captured_queries)


def test_a_cancelled_call_in_offers_no_status_form(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    services.call_in_set_status(actor=world["petra"], call_in=call_in, version=call_in.version, status="cancelled")
    assert CallIn.objects.get(pk=call_in.pk).status == CallIn.Status.CANCELLED
    response = as_user("petra").get(_detail(world["malmo_invitation"]))
    assert response.context["status_form"] is None
