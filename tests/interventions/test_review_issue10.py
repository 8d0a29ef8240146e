"""Adversarial review of issue 10 (call-ins and custom notifications): each test states a defect and asserts
the correct behaviour (it fails until the defect is fixed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from gvi.audit.models import AuditAction, AuditEvent
from interventions import services
from interventions.models import CallIn, CallInInvitation, Speaker

ClientFor = Callable[[str], Client]
JSON = "application/json"


def send(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(data if data is not None else {}), content_type=JSON, headers=headers
    )


def etag_of(record: Any) -> str:
    return f'"{record.pk}-{record.version}"'


def cancelled_with_speaker(world: dict[str, Any]) -> tuple[CallIn, Speaker]:
    call_in = world["malmo_callin"]
    speaker = Speaker.objects.filter(call_in=call_in).order_by("id").first()
    assert speaker is not None
    call_in = services.call_in_set_status(
        actor=world["petra"], call_in=call_in, version=call_in.version, status=CallIn.Status.CANCELLED
    )
    return call_in, speaker


@pytest.mark.django_db
def test_speaker_remove_on_cancelled_call_in_is_a_message_not_a_500(world: dict[str, Any], as_api_user: ClientFor):
    """Defect: views/callins.py speaker_remove does not catch the service's ValidationError ("the agenda of a
    held or cancelled call-in cannot be changed"): a POST (double submit, stale page) gives a 500."""
    _call_in, speaker = cancelled_with_speaker(world)
    response = as_api_user("petra").post(f"/interventions/speakers/{speaker.pk}/remove/")
    assert response.status_code in (302, 400)
    assert Speaker.objects.filter(pk=speaker.pk).exists()


def cancel(world: dict[str, Any]) -> CallIn:
    call_in = world["malmo_callin"]
    return services.call_in_set_status(
        actor=world["petra"], call_in=call_in, version=call_in.version, status=CallIn.Status.CANCELLED
    )


def fresh_invitation(world: dict[str, Any]) -> CallInInvitation:
    return CallInInvitation.objects.get(pk=world["malmo_invitation"].pk)


@pytest.mark.django_db
def test_police_api_does_not_name_the_probation_officer_of_a_summary_share(
    world: dict[str, Any], as_api_user: ClientFor
) -> None:
    """Defect (leak): services/callins.py invitations_create copies `section.probation_officer` onto the police's
    invitation although Kriminalvården shared only the summary (supervision type and period: access
    PARTIAL_FIELDS of ProbationSection view_summary, and the share's note says so); api/invitations.py
    InvitationSerializer then shows the police `probation_officer` (Karin's id) — a field of the probation
    section outside the shared summary."""
    assert world["malmo_share"].scope == "summary"
    invitation = world["malmo_invitation"]
    for url in (f"/api/invitations/{invitation.pk}/", "/api/invitations/"):
        body = as_api_user("petra").get(url).json()
        rows = body.get("results", [body])
        row = next(r for r in rows if r["id"] == invitation.pk)
        assert row.get("probation_officer") in (None, ""), row


@pytest.mark.django_db
def test_revoked_probation_share_no_longer_names_the_officer_to_the_police(
    world: dict[str, Any], as_api_user: ClientFor
) -> None:
    """Defect (leak after revocation): once Kriminalvården revokes the probation share, the police must not see
    anything of the probation section any more (supervision is hidden, correctly), yet the invitation made
    while it was shared keeps `probation_officer` / `probation_person` and the API still names the officer."""
    from cases.services import share_revoke

    share_revoke(actor=world["karin"], share=world["malmo_share"])
    body = as_api_user("petra").get(f"/api/invitations/{world['malmo_invitation'].pk}/").json()
    assert body["supervision"] is None
    assert body.get("probation_officer") in (None, ""), body


@pytest.mark.django_db
def test_refused_notification_step_on_the_page_is_audited_as_a_denial(
    world: dict[str, Any], as_api_user: ClientFor
) -> None:
    """Defect (audit): views/notifications.py _for_step loads the record with custom_notification_for (which
    writes a VIEW event for the plan) and then raises a bare 404 when the role may not take the step: Sara's
    POST to the police-only risk assessment leaves a VIEW event that never happened and no DENY event
    (the API's _for_transition audits the denial)."""
    notification = world["malmo_notification"]
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = as_api_user("sara").post(
        f"/interventions/notifications/{notification.pk}/assess/",
        {"risk_outcome": "proceed", "risk_reasoning": "x", "version": notification.version},
    )
    assert response.status_code == 404
    events = AuditEvent.objects.filter(
        pk__gt=last, actor_id=world["sara"].pk, object_type="interventions.customnotification"
    )
    assert events.filter(action=AuditAction.DENY).exists()
    assert not events.filter(action=AuditAction.VIEW).exists()


@pytest.mark.django_db
def test_invitation_status_of_a_cancelled_call_in_is_refused(world: dict[str, Any], as_api_user: ClientFor) -> None:
    """Defect (illegal transition): services/callins.py invitation_set_status only distinguishes held / not
    held, so an invitation of a cancelled call-in can still be set to confirmed (API 200; the page hides the
    form but accepts the POST): the record of a cancelled call-in changes."""
    cancel(world)
    invitation = fresh_invitation(world)
    response = send(
        as_api_user("petra"),
        "patch",
        f"/api/invitations/{invitation.pk}/",
        {"status": "confirmed"},
        **{"If-Match": etag_of(invitation)},
    )
    assert response.status_code == 400, response.content
    page = as_api_user("petra").post(
        f"/interventions/invitations/{invitation.pk}/status/", {"status": "confirmed", "version": invitation.version}
    )
    assert page.status_code in (200, 302)
    after = fresh_invitation(world)
    assert (after.status, after.version) == (invitation.status, invitation.version)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/interventions/invitations/{pk}/letter/", "/api/invitations/{pk}/letter/"])
def test_no_letter_is_printed_for_a_cancelled_call_in(url: str, world: dict[str, Any], as_api_user: ClientFor) -> None:
    """Defect: the batch (views/invitations.py callin_letters) refuses a cancelled call-in, but the single
    letter (invitation_letter, and the API's InvitationViewSet.letter) still renders a PDF inviting the
    person to a meeting that will not take place, and audits a PRINT."""
    cancel(world)
    invitation = fresh_invitation(world)
    response = as_api_user("petra").get(url.format(pk=invitation.pk))
    assert response.get("Content-Type") != "application/pdf"
    assert not AuditEvent.objects.filter(
        action=AuditAction.PRINT, object_type="interventions.callininvitation", object_id=str(invitation.pk)
    ).exists()
    assert fresh_invitation(world).letter_printed_at is None


@pytest.mark.django_db
def test_api_letter_is_not_cached(world: dict[str, Any], as_api_user: ClientFor) -> None:
    """Defect: the page's letter PDF is sent with `Cache-Control: private, no-store`, the API's
    (api/invitations.py InvitationViewSet.letter) without any: a PDF naming the invitee may be kept by a
    shared cache or the browser."""
    response = as_api_user("petra").get(f"/api/invitations/{world['malmo_invitation'].pk}/letter/")
    assert response.status_code == 200
    assert "no-store" in (response.get("Cache-Control") or "")
