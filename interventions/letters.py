"""Invitation letters (kallelser) as PDF, rendered by WeasyPrint from a Django template.

The letter goes to the invitee, so its text is Swedish whatever the UI language of the coordinator who
prints it. Nothing is fetched while rendering: the template embeds its style, the font is the system's
DejaVu Sans (it renders å, ä, ö) and the URL fetcher refuses every URL. Printing is audited by the caller
through interventions.services.letters_printed (a PRINT event per letter)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from interventions.models import CallInInvitation

LETTER_TEMPLATE = "interventions/letters/invitation.html"
# The letter speaks Swedish: dates and month names are formatted in it.
LETTER_LANGUAGE = "sv"


def refusing_fetcher() -> Any:
    """A WeasyPrint URL fetcher that fetches nothing at all: no network, no files, no data: URLs."""
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"an invitation letter fetches nothing: {url[:80]}")

    return RefuseAll(allowed_protocols=(), allow_redirects=False)


def letter_context(invitation: CallInInvitation) -> dict[str, Any]:
    """What one letter says: to whom, when and where, and who sends it."""
    starts_at = timezone.localtime(invitation.call_in.starts_at)
    return {
        "name": invitation.person.full_name,
        "date": starts_at.date(),
        "time": starts_at.time(),
        "place": invitation.call_in.place,
        "sender": invitation.owner_agency.name,
    }


def render_letters(invitations: Sequence[CallInInvitation]) -> bytes:
    """One PDF with a page per invitation (each with its person, call-in and owner agency loaded)."""
    from weasyprint import HTML

    with translation.override(LETTER_LANGUAGE):
        html = render_to_string(LETTER_TEMPLATE, {"letters": [letter_context(i) for i in invitations]})
    pdf = HTML(string=html, url_fetcher=refusing_fetcher()).write_pdf()
    assert pdf is not None
    return bytes(pdf)
