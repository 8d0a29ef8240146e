"""Invitation letters as PDF: Swedish text with å, ä, ö and the invitee's name (read back from the PDF),
one page per invitee for a call-in, a PRINT audit event per letter, for the police coordinator only, and
nothing fetched while rendering."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gvi.audit.models import AuditAction, AuditEvent
from interventions import services
from interventions.letters import refusing_fetcher, render_letters
from interventions.models import CallIn, CallInInvitation

ClientFor = Callable[[str], Client]


def pdf_text(content: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot read the PDF's text")
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    command = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, check=True, capture_output=True).stdout.decode()


def _prints(user: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor_id=user.pk, action=AuditAction.PRINT).order_by("id"))


def _assert_download(response: Any, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")


def test_one_letter_renders_swedish_text_and_the_name_and_is_audited(
    world: dict[str, Any], as_user: ClientFor, tmp_path: Path
) -> None:
    invitation = world["malmo_invitation"]
    response = as_user("petra").get(reverse("interventions:invitation-letter", args=[invitation.pk]))
    _assert_download(response, f"kallelse-{invitation.pk}.pdf")
    text = " ".join(pdf_text(response.content, tmp_path).split())
    assert invitation.person.full_name in text
    assert "Du är inbjuden till ett samtal" in text
    assert "Du är välkommen till mötet på den tid och plats" in text
    assert all(letter in text for letter in "åäö")
    assert invitation.call_in.place in text  # "Polishuset, Davidshallstorg"
    assert "Polisen Malmö" in text  # the sender
    events = _prints(world["petra"])
    assert [(e.object_type, e.object_id) for e in events] == [("interventions.callininvitation", str(invitation.pk))]
    assert events[0].detail["person"] == invitation.person_id
    invitation.refresh_from_db()
    assert invitation.letter_printed_at is not None


def test_the_call_ins_letters_are_one_pdf_with_a_page_per_invitee(
    world: dict[str, Any], as_user: ClientFor, tmp_path: Path
) -> None:
    call_in = world["malmo_callin_past"]
    invitations = list(CallInInvitation.objects.filter(call_in=call_in).select_related("person"))
    assert len(invitations) == 6
    response = as_user("petra").get(reverse("interventions:callin-letters", args=[call_in.pk]))
    _assert_download(response, f"kallelser-{call_in.pk}.pdf")
    text = pdf_text(response.content, tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) == 6
    for invitation in invitations:
        assert sum(invitation.person.full_name in page for page in pages) == 1
    printed = {e.object_id for e in _prints(world["petra"])}
    assert printed == {str(i.pk) for i in invitations}


@pytest.mark.parametrize("persona", ["anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja"])
def test_letters_are_for_the_police_coordinator_only(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    client = as_user(persona)
    letter = reverse("interventions:invitation-letter", args=[world["malmo_invitation"].pk])
    assert client.get(letter).status_code == 404
    assert client.get(reverse("interventions:callin-letters", args=[world["malmo_callin"].pk])).status_code == 404
    assert _prints(world[persona]) == []
    assert AuditEvent.objects.filter(actor_id=world[persona].pk, action=AuditAction.DENY).exists()


def test_no_letters_for_a_cancelled_call_in(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    services.call_in_set_status(actor=world["petra"], call_in=call_in, version=call_in.version, status="cancelled")
    response = as_user("petra").get(reverse("interventions:callin-letters", args=[call_in.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("interventions:callin-detail", args=[call_in.pk])
    assert CallIn.objects.get(pk=call_in.pk).status == CallIn.Status.CANCELLED
    assert _prints(world["petra"]) == []


def test_rendering_fetches_nothing(world: dict[str, Any]) -> None:
    fetcher = refusing_fetcher()
    for url in ("https://example.com/logo.png", "file:///etc/passwd", "data:text/plain,x"):
        with pytest.raises(ValueError, match="fetches nothing"):
            fetcher.fetch(url)


def test_a_name_is_text_never_markup(world: dict[str, Any], tmp_path: Path) -> None:
    invitation = CallInInvitation.objects.select_related("person", "call_in", "owner_agency").get(
        pk=world["malmo_invitation"].pk
    )
    invitation.person.given_name = '<img src="https://example.com/x.png">Åsa'
    text = pdf_text(render_letters([invitation]), tmp_path)
    assert '<img src="https://example.com/x.png">Åsa' in text
