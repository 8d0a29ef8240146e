"""The exit program in a real browser: sara's day with the fast contact form (keyboard only, htmx partial
save, a draft kept in the browser), the refusals she meets, and the police's view of a referral's status.

Assertions use URLs, ids, data-testid attributes and the data the test wrote, not UI text (the language may
be Swedish or English). Every page on the way is checked with axe-core, and the `browsing` fixture fails the
test on CSP console messages, script errors, static files that do not load and server errors.

TOTP codes are single use: a persona logs in through the form once per test (`browsing.as_persona`); the
second login of the draft test (after the session is lost) waits for the next time step when it has to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from gvi import demo
from outreach import selectors
from tests.browser.conftest import Browsing, _wait_for_unused_totp_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTACT_NOTE = "Webbtest: samtal om boendet, Hamza mår bättre."
NEXT_STEP = "Webbtest: boka möte med boendeenheten"
DRAFT_NOTE = "Webbtest: utkast som inte får försvinna."
SESSION_COOKIE = "sessionid"


def _url(live_server: Any, path: str) -> str:
    return live_server.url + path


def _today() -> str:
    return timezone.localdate().isoformat()


def _mark_document(page: Page) -> None:
    """A property on the window: still there later means the page was not reloaded in between."""
    page.evaluate("() => { window.__exitProgramTestMarker = 'kept'; }")


def _document_kept(page: Page) -> bool:
    return bool(page.evaluate("() => window.__exitProgramTestMarker === 'kept'"))


def _draft(page: Page) -> str | None:
    """The contact form's draft in the tab's sessionStorage (under the form's own key)."""
    result = page.evaluate(
        "() => { const f = document.getElementById('contact-form');"
        " return f ? window.sessionStorage.getItem(f.dataset.draftKey) : null; }"
    )
    return result if isinstance(result, str) else None


def _is_contact_save(case_pk: int) -> Any:
    create_path = reverse("outreach:contact-create", args=[case_pk])
    return lambda response: response.request.method == "POST" and response.url.endswith(create_path)


def test_social_worker_logs_a_contact_with_the_keyboard(
    browsing: Browsing, world: dict[str, Any], live_server: Any
) -> None:
    """sara: login, the header search, the person page, the exit case, a contact logged with the keyboard
    only (htmx, no reload), then her caseload with today's contact and her overdue follow-ups."""
    case = world["malmo_exit_case"]
    person = case.person
    sara_staff = world["sara"]
    case_path = reverse("outreach:case-detail", args=[case.pk])
    person_path = reverse("cases:person-detail", args=[person.pk])
    caseload_path = reverse("outreach:caseload")
    overdue_before = len(selectors.caseload(sara_staff).overdue)
    assert overdue_before >= 1, "the demo gives sara's Hamza an overdue follow-up"

    # --- the start page: her caseload in numbers, the overdue follow-up among them ---
    page = browsing.as_persona("sara")
    expect(page).to_have_url(_url(live_server, reverse("home")))
    expect(page.get_by_test_id("caseload-overdue")).to_contain_text(str(overdue_before))
    browsing.assert_accessible(page, "start page (sara)")

    # --- the header search by name (a POST: the name stays out of the address) ---
    header_search = page.locator("nav form[role=search] input[name=term]")
    header_search.fill(person.family_name)
    with page.expect_navigation():
        header_search.press("Enter")
    expect(page).to_have_url(_url(live_server, reverse("cases:person-list")))
    result = page.locator(f"main table a[href='{person_path}']")
    expect(result).to_have_count(1)
    browsing.assert_accessible(page, "person search results (sara)")

    # --- the person page: the exit-program box links to the case ---
    with page.expect_navigation():
        result.click()
    expect(page).to_have_url(_url(live_server, person_path))
    box = page.get_by_test_id("exit-program")
    case_link = box.locator(f"a[href='{case_path}']")
    expect(case_link).to_have_count(1)
    browsing.assert_accessible(page, "person page with the exit-program box (sara)")

    with page.expect_navigation():
        case_link.click()
    expect(page).to_have_url(_url(live_server, case_path))
    form = page.locator("#contact-form")
    note = form.locator("textarea[name=note]")
    expect(form).to_be_visible()
    browsing.assert_accessible(page, "exit case (sara)")

    # --- the fast form, keyboard only: the note has the focus when the page opens ---
    expect(note).to_be_focused()
    expect(form.locator("input[name=contact_on]")).to_have_value(_today())
    contacts_before = page.locator("#contact-list > li").count()
    _mark_document(page)
    page.keyboard.type(CONTACT_NOTE)
    # Back to the duration (the field before the note): 45 minutes instead of the default 30.
    page.keyboard.press("Shift+Tab")
    duration = form.locator("input[name=duration_minutes]")
    expect(duration).to_be_focused()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("45")
    # Back once more into the channel group (the checked radio, a meeting); the arrow key picks the phone.
    page.keyboard.press("Shift+Tab")
    expect(form.locator("input[name=channel][value=meeting]")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(form.locator("input[name=channel][value=phone]")).to_be_checked()
    # Forward through the duration and the note to the next step; Enter in that one-line field saves.
    page.keyboard.press("Tab")
    expect(duration).to_be_focused()
    page.keyboard.press("Tab")
    expect(note).to_be_focused()
    expect(note).to_have_value(CONTACT_NOTE)
    page.keyboard.press("Tab")
    expect(form.locator("input[name=next_step]")).to_be_focused()
    page.keyboard.type(NEXT_STEP)
    assert _draft(page) is not None, "the typed contact is kept as a draft while typing"
    with page.expect_response(_is_contact_save(case.pk)) as saved:
        page.keyboard.press("Enter")
    assert saved.value.status == 200
    assert saved.value.request.headers.get("hx-request") == "true", "the save went through htmx"

    # The new contact shows at the top of the list, without a reload; the form is fresh, the draft gone.
    new_row = page.locator("#contact-list > li").first
    expect(new_row).to_contain_text(CONTACT_NOTE)
    expect(new_row).to_contain_text(NEXT_STEP)
    expect(new_row).to_contain_text(_today())
    expect(page.locator("#contact-list > li")).to_have_count(contacts_before + 1)
    expect(page.locator("#contact-status")).not_to_be_empty()
    # The case summary follows the save (out-of-band swap): today's contact, no follow-up overdue any more.
    expect(page.locator("#case-last-contact")).to_have_text(_today())
    expect(page.locator("#case-next-follow-up .badge")).to_have_count(0)
    expect(page).to_have_url(_url(live_server, case_path))
    assert _document_kept(page), "the case page was reloaded: the save should be a partial (htmx) one"
    expect(page.locator("#contact-form textarea[name=note]")).to_have_value("")
    assert _draft(page) is None, "the draft is dropped once the server confirmed the save"
    saved_contact = case.contact_set.order_by("-id").first()
    assert saved_contact is not None
    assert (saved_contact.note, saved_contact.channel, saved_contact.duration_minutes) == (CONTACT_NOTE, "phone", 45)
    assert saved_contact.next_step == NEXT_STEP
    assert saved_contact.created_by_id == sara_staff.pk
    expect(page.locator(f"#contact-{saved_contact.pk}")).to_have_count(1)
    browsing.assert_accessible(page, "exit case after the htmx save (sara)")

    # --- her caseload: via the start page's panel ---
    with page.expect_navigation():
        page.locator(f"nav[aria-label] ol.breadcrumb a[href='{reverse('home')}']").click()
    with page.expect_navigation():
        page.locator(f"main a[href='{caseload_path}']").click()
    expect(page).to_have_url(_url(live_server, caseload_path))
    row = page.get_by_test_id("own-cases").locator(f"tbody tr[data-case='{case.pk}']")
    expect(row).to_have_count(1)
    expect(row.locator(f"a[href='{case_path}']").first).to_be_visible()
    expect(row.get_by_test_id("last-contact")).to_have_text(_today())
    # The contact set no follow-up date: the case's overdue follow-up is gone, and so is it from the count.
    overdue_after = len(selectors.caseload(sara_staff).overdue)
    assert overdue_after == overdue_before - 1
    expect(row).not_to_have_attribute("data-overdue", "1")
    expect(page.locator("tbody tr[data-overdue='1']")).to_have_count(overdue_after)
    overdue = page.get_by_test_id("caseload-overdue")
    if overdue_after:
        expect(overdue).to_contain_text(str(overdue_after))
    else:
        expect(overdue.locator("strong")).to_have_count(0)
        expect(page.get_by_test_id("overdue-alert")).to_have_count(0)
    browsing.assert_accessible(page, "caseload (sara)")


def _log_in_here(page: Page, username: str) -> None:
    """Log in on the login page the browser is on (keeping its ?next=), with the current TOTP code."""
    form = page.locator("main form[method=post]")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(demo.DEMO_PASSWORD)
    _wait_for_unused_totp_step(username)
    form.locator("[name=otp_token]").fill(demo.current_totp(username))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/accounts/login" not in page.url, f"{username} was not logged in (still on {page.url})"


def test_contact_draft_survives_a_reload_and_a_lost_session(
    browsing: Browsing, world: dict[str, Any], live_server: Any
) -> None:
    """The typed contact comes back after a reload and after the session ended mid-typing (the save goes to
    the login, which leads back to the case); once saved, the draft is gone."""
    case = world["malmo_exit_case"]
    case_path = reverse("outreach:case-detail", args=[case.pk])
    login_path = reverse("accounts:login")
    contacts_before = case.contact_set.count()

    page = browsing.as_persona("sara")
    page.goto(case_path)
    note = page.locator("#contact-form textarea[name=note]")
    notice = page.locator("#contact-form [data-draft-notice]")
    expect(note).to_be_focused()
    expect(notice).to_be_hidden()
    page.keyboard.type(DRAFT_NOTE)
    page.locator("#contact-form input[name=channel][value=home_visit]").check()

    # A reload: the note and the channel come back from the draft, with a notice saying so.
    page.reload()
    expect(note).to_have_value(DRAFT_NOTE)
    expect(page.locator("#contact-form input[name=channel][value=home_visit]")).to_be_checked()
    expect(notice).to_be_visible()
    browsing.assert_accessible(page, "exit case with a restored draft (sara)")

    # The session ends (the session cookie is gone); the save lands on the login page, with the way back.
    page.context.clear_cookies(name=SESSION_COOKIE)
    with page.expect_navigation(url=re.compile(re.escape(live_server.url + login_path))):
        note.press("ControlOrMeta+Enter")
    assert case.contact_set.count() == contacts_before, "nothing is saved without a session"
    expect(page.locator("main form[method=post] [name=otp_token]")).to_be_visible()
    assert "next=" in page.url, f"the login should lead back to the case: {page.url}"

    # Logged in again, back on the case page: the draft is there.
    _log_in_here(page, "sara")
    expect(page).to_have_url(re.compile(re.escape(_url(live_server, case_path)) + r"(#contacts)?$"))
    note = page.locator("#contact-form textarea[name=note]")
    expect(note).to_have_value(DRAFT_NOTE)
    expect(page.locator("#contact-form input[name=channel][value=home_visit]")).to_be_checked()
    expect(page.locator("#contact-form [data-draft-notice]")).to_be_visible()

    # Saved (Ctrl+Enter in the note) and reloaded: the saved contact is on the page, the form is empty.
    note.focus()
    with page.expect_response(_is_contact_save(case.pk)) as saved:
        page.keyboard.press("ControlOrMeta+Enter")
    assert saved.value.status == 200
    expect(page.locator("#contact-list > li").first).to_contain_text(DRAFT_NOTE)
    assert case.contact_set.count() == contacts_before + 1
    assert case.contact_set.order_by("-id").values_list("channel", flat=True).first() == "home_visit"
    page.reload()
    expect(page.locator("#contact-form textarea[name=note]")).to_have_value("")
    expect(page.locator("#contact-form [data-draft-notice]")).to_be_hidden()
    expect(page.locator("#contact-list > li").first).to_contain_text(DRAFT_NOTE)
    assert _draft(page) is None
    browsing.assert_accessible(page, "exit case after the draft was saved (sara)")


def test_social_worker_gets_not_found_for_police_data_and_the_field_teams_case(
    browsing: Browsing, world: dict[str, Any], live_server: Any
) -> None:
    """sara pastes addresses she may not open: a police section, and the exit case of Malmö's field team."""
    police_section = world["malmo_police_section"]
    field_case = world["malmo_field_case"]
    paths = {
        "police section": reverse("cases:section-detail", kwargs={"kind": "police", "pk": police_section.pk}),
        "field team's exit case": reverse("outreach:case-detail", args=[field_case.pk]),
    }
    page = browsing.as_persona("sara")
    for what, path in paths.items():
        response = page.goto(path)
        assert response is not None
        assert response.status == 404, f"{what}: {response.status}"
        expect(page).to_have_url(_url(live_server, path))
        # The not-found page: nothing of the object, a way back to the start page.
        expect(page.locator("#contact-form")).to_have_count(0)
        expect(page.get_by_test_id("journal")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text(field_case.person.family_name)
        expect(page.locator(f"main a[href='{reverse('home')}']")).to_be_visible()
        browsing.assert_accessible(page, f"404 for the {what} (sara)")


def test_police_follow_the_referral_status_without_the_reason(
    browsing: Browsing, world: dict[str, Any], live_server: Any
) -> None:
    """petra opens the referral she sent: its status, never the reason she gave or the assessment."""
    referral = world["malmo_referral"]
    detail = reverse("outreach:referral-detail", args=[referral.pk])
    sent = reverse("outreach:referral-sent")

    page = browsing.as_persona("petra")
    page.goto(sent)
    expect(page).to_have_url(_url(live_server, sent))
    link = page.locator(f"main a[href='{detail}']")
    expect(link).to_have_count(1)
    browsing.assert_accessible(page, "referrals sent (petra)")

    with page.expect_navigation():
        link.click()
    expect(page).to_have_url(_url(live_server, detail))
    status = page.get_by_test_id("referral-status")
    expect(status).to_be_visible()
    # The status, in the page's language (the label the server gives in Swedish, or English without the catalogue).
    language = page.locator("html").get_attribute("lang") or "sv"
    with translation.override(language):
        label = str(referral.get_status_display())
    expect(page.get_by_test_id("referral-status-value")).to_have_text(label)
    assert referral.reason, "the demo referral has a reason"
    html = page.content()
    assert referral.reason not in html, "the referrer must not see the reason"
    if referral.assessment:
        assert referral.assessment not in html, "the referrer must not see the assessment"
    # No forms of the receiving side.
    expect(page.locator("main form[method=post]")).to_have_count(0)
    browsing.assert_accessible(page, "referral status (petra)")
