"""The contact log: the fast form on the case page, the htmx partial save, errors that keep what was typed,
a session that ended (the draft stays in the browser, the save points to the login), and two editors
saving the same contact (the second gets a conflict; neither text is lost)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from gvi.accounts.middleware import LOGIN_AT_SESSION_KEY
from outreach.models import Contact

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _data(**changes: Any) -> dict[str, Any]:
    return {
        "contact_on": timezone.localdate().isoformat(),
        "channel": "phone",
        "duration_minutes": "20",
        "note": "Ringde, mår bättre.",
        "next_step": "Träff på fredag",
        "follow_up_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        **changes,
    }


def test_the_form_is_on_the_case_page_with_its_defaults(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    content = as_user("sara").get(reverse("outreach:case-detail", args=[case.pk])).content.decode()
    assert 'id="contact-form"' in content
    assert f'hx-post="{reverse("outreach:contact-create", args=[case.pk])}"' in content
    assert f'data-draft-key="contact-draft:{world["sara"].pk}:{case.pk}"' in content
    assert "js/contact-draft.js" in content
    assert f'value="{timezone.localdate().isoformat()}"' in content
    assert 'value="meeting" id="id_channel_0" checked' in content
    assert 'value="30"' in content
    assert "autofocus" in content
    # Newest first.
    oldest = Contact.objects.filter(exit_case=case).order_by("contact_on", "id").first()
    assert oldest is not None
    assert content.index(f'id="contact-{world["malmo_contact"].pk}"') < content.index(f'id="contact-{oldest.pk}"')


def test_htmx_save_returns_the_new_row_and_a_fresh_form(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    before = Contact.objects.filter(exit_case=case).count()
    data = _data(staff=[world["erik"].pk], agencies=[world["karin"].agency_id])
    response = as_user("sara").post(reverse("outreach:contact-create", args=[case.pk]), data, headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert response["HX-Trigger"] == "contactSaved"
    assert "Ringde, mår bättre." in content  # the new row
    assert 'hx-swap-oob="afterbegin:#contact-list"' in content
    assert 'id="contact-form"' in content
    assert Contact.objects.filter(exit_case=case).count() == before + 1
    contact = Contact.objects.filter(exit_case=case).latest("id")
    assert contact.channel == "phone"
    assert contact.duration_minutes == 20
    assert list(contact.staff.all()) == [world["erik"]]
    case.refresh_from_db()
    assert case.next_follow_up_on == timezone.localdate() + timedelta(days=3)


def test_htmx_errors_return_the_form_with_what_was_typed(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    before = Contact.objects.count()
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = as_user("sara").post(
        reverse("outreach:contact-create", args=[case.pk]),
        _data(contact_on=future, note="Det här får inte försvinna"),
        headers=HTMX,
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "HX-Trigger" not in response
    assert "A contact cannot be logged in the future." in content
    assert "Det här får inte försvinna" in content
    assert "Träff på fredag" in content
    assert Contact.objects.count() == before


def test_an_empty_note_is_refused(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    response = as_user("sara").post(reverse("outreach:contact-create", args=[case.pk]), _data(note="  "), headers=HTMX)
    assert "This field is required." in response.content.decode() or "Write a short note." in response.content.decode()


def test_without_js_the_same_post_redirects_back(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:contact-create", args=[case.pk])
    response = client.post(url, _data(note="Utan JavaScript"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("outreach:case-detail", args=[case.pk]))
    assert Contact.objects.filter(exit_case=case, note="Utan JavaScript").exists()
    response = client.post(url, _data(duration_minutes="0", note="Behåll mig"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" in content
    assert "Behåll mig" in content
    assert "Ensure this value is greater than or equal to 1." in content


def test_a_logged_out_htmx_save_keeps_nothing_half_done_and_points_to_login(world: dict[str, Any]) -> None:
    case = world["malmo_exit_case"]
    before = Contact.objects.count()
    page = "http://testserver" + reverse("outreach:case-detail", args=[case.pk])
    response = Client().post(
        reverse("outreach:contact-create", args=[case.pk]), _data(), headers={**HTMX, "HX-Current-URL": page}
    )
    # htmx sends the browser to the login, and back to the case page afterwards (the draft is in the page).
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("accounts:login") + "?" + urlencode({"next": urlsplit(page).path})
    assert Contact.objects.count() == before
    foreign = Client().post(
        reverse("outreach:contact-create", args=[case.pk]),
        _data(),
        headers={**HTMX, "HX-Current-URL": "https://evil.example/phish"},
    )
    assert foreign["HX-Redirect"] == reverse("accounts:login"), "never back to another site"


def test_an_expired_session_points_to_login_and_saves_nothing(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = 0
    session.save()
    before = Contact.objects.count()
    response = client.post(reverse("outreach:contact-create", args=[case.pk]), _data(), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert Contact.objects.count() == before
    # The form tells the draft script where the login is and where to come back to.
    content = as_user("sara").get(reverse("outreach:case-detail", args=[case.pk])).content.decode()
    assert f'data-login-path="{reverse("accounts:login")}"' in content
    assert f'data-case-url="{reverse("outreach:case-detail", args=[case.pk])}"' in content


def test_the_draft_script_keeps_and_clears_the_draft_as_specified() -> None:
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "contact-draft.js").read_text()
    assert "sessionStorage" in script
    assert "contactSaved" in script
    assert "htmx:beforeSwap" in script
    assert "?next=" in script
    assert "ctrlKey" in script


@pytest.mark.parametrize("persona", ["petra", "anders", "karin", "lena", "olof", "nils"])
def test_police_and_others_get_404_on_contacts(persona: str, world: dict[str, Any], as_user: Any) -> None:
    client = as_user(persona)
    case = world["malmo_exit_case"]
    before = Contact.objects.count()
    assert client.get(reverse("outreach:contact-edit", args=[world["malmo_contact"].pk])).status_code == 404
    assert client.post(reverse("outreach:contact-create", args=[case.pk]), _data(), headers=HTMX).status_code == 404
    assert Contact.objects.count() == before


def _edit_data(contact: Contact, note: str, version: int) -> dict[str, Any]:
    return {
        "contact_on": contact.contact_on.isoformat(),
        "channel": contact.channel,
        "duration_minutes": contact.duration_minutes,
        "note": note,
        "next_step": contact.next_step,
        "follow_up_on": contact.follow_up_on.isoformat() if contact.follow_up_on else "",
        "version": version,
    }


def test_two_editors_the_second_gets_a_conflict_and_nothing_is_lost(world: dict[str, Any], as_user: Any) -> None:
    contact = world["malmo_contact"]
    url = reverse("outreach:contact-edit", args=[contact.pk])
    sara, erik = as_user("sara"), as_user("erik")
    # Both open the edit page at the same version.
    assert f'name="version" value="{contact.version}"' in sara.get(url).content.decode()
    assert f'name="version" value="{contact.version}"' in erik.get(url).content.decode()
    first = sara.post(url, _edit_data(contact, "Saras rättelse", contact.version))
    assert first.status_code == 302
    second = erik.post(url, _edit_data(contact, "Eriks rättelse", contact.version))
    assert second.status_code == 200
    content = second.content.decode()
    assert "Someone else saved this contact while you were editing." in content
    assert "Saras rättelse" in content  # the stored version
    assert "Eriks rättelse" in content  # the user's, kept in the form
    assert f'name="version" value="{contact.version + 1}"' in content
    contact.refresh_from_db()
    assert contact.note == "Saras rättelse"
    # Erik saves again from the conflict page: now his text is stored.
    assert erik.post(url, _edit_data(contact, "Eriks rättelse", contact.version)).status_code == 302
    contact.refresh_from_db()
    assert contact.note == "Eriks rättelse"


def test_edit_form_keeps_the_participants(world: dict[str, Any], as_user: Any) -> None:
    prison = Contact.objects.filter(exit_case=world["malmo_exit_case"], channel="in_prison").first()
    assert prison is not None
    content = as_user("sara").get(reverse("outreach:contact-edit", args=[prison.pk])).content.decode()
    assert f'<option value="{world["karin"].pk}" selected>' in content
