"""User journeys in a real browser: login with TOTP, start page, persons, the audit trail, 404, language.

Assertions use URLs, ids, roles and data-testid attributes, not UI text: the language is Swedish or
English depending on the browser and on whether the catalogue is compiled. Each page on the way is checked
with axe-core (no serious or critical violation); the `browsing` fixture fails the test on CSP console
messages, uncaught script errors and static files that do not load.

Every test here is transactional (the live server), so the data is rebuilt after the previous test's flush:
`people` (personas and persons) for the journeys here, `world` (the whole demo) only where a journey needs it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import Browsing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _path(page: Page, live_server: Any) -> str:
    return page.url.removeprefix(live_server.url)


def test_social_worker_journey(browsing: Browsing, people: dict[str, Any], live_server: Any) -> None:
    """Journey 1, the base of the others: sara logs in, finds her person, and cannot open police data."""
    own = people["malmo_social_person"]
    police = people["malmo_police_person"]

    page = browsing.as_persona("sara")
    assert _path(page, live_server) == reverse("home")

    # Static files come from the live server (staticfiles' handler), and they are in effect.
    assert (live_server.url + "/static/vendor/bootstrap.min.css", 200) in browsing.responses
    expect(page.locator("nav.navbar")).to_have_css("display", "flex")
    assert page.evaluate("() => typeof window.htmx === 'object' && typeof window.bootstrap === 'object'")

    # The start page: the "Recently updated persons" panel lists her own record of the person.
    panel = page.locator("section[aria-labelledby='panel-recent-persons']")
    expect(panel.locator("h2#panel-recent-persons")).to_be_visible()
    expect(panel.locator(f"a[href='{reverse('cases:person-detail', args=[own.pk])}']")).to_be_visible()
    browsing.assert_accessible(page, "start page (sara)")

    # The person list: her team's records, not the police record of the same person.
    panel.locator(f"a[href='{reverse('cases:person-list')}']").click()
    expect(page).to_have_url(live_server.url + reverse("cases:person-list"))
    table = page.locator("main table")
    expect(table.locator(f"a[href='{reverse('cases:person-detail', args=[own.pk])}']")).to_be_visible()
    expect(table.locator(f"a[href='{reverse('cases:person-detail', args=[police.pk])}']")).to_have_count(0)
    browsing.assert_accessible(page, "person list (sara)")

    # Search by identity number: a POST, so the number stays out of the address.
    search = page.locator("main form[role=search]")
    search.locator("[name=term]").fill(own.identity_number)
    with page.expect_navigation():
        search.locator("button[type=submit]").click()
    expect(page).to_have_url(live_server.url + reverse("cases:person-list"))
    expect(table.locator("tbody tr")).to_have_count(1)
    browsing.assert_accessible(page, "person search result (sara)")

    # The detail page shows the identity number.
    table.locator(f"a[href='{reverse('cases:person-detail', args=[own.pk])}']").click()
    expect(page).to_have_url(live_server.url + reverse("cases:person-detail", args=[own.pk]))
    expect(page.get_by_test_id("identity-number")).to_have_text(own.identity_number)
    browsing.assert_accessible(page, "person detail (sara)")

    # The police record: the 404 page, which gives nothing away and leads back to the start page.
    response = page.goto(reverse("cases:person-detail", args=[police.pk]))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_test_id("identity-number")).to_have_count(0)
    expect(page.locator(f"main a[href='{reverse('home')}']")).to_be_visible()
    browsing.assert_accessible(page, "404 page (sara)")


def test_auditor_sees_the_social_workers_reading(browsing: Browsing, people: dict[str, Any], live_server: Any) -> None:
    """Journey 2: sara opens a person; olof, the auditor, finds her reading in the audit trail."""
    own = people["malmo_social_person"]
    sara = browsing.as_persona("sara")
    sara.goto(reverse("cases:person-detail", args=[own.pk]))
    expect(sara.get_by_test_id("identity-number")).to_have_text(own.identity_number)

    page = browsing.as_persona("olof")
    page.goto(reverse("audit:event-list"))
    expect(page).to_have_url(live_server.url + reverse("audit:event-list"))
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_be_visible()
    browsing.assert_accessible(page, "audit list (olof)")

    # Filtered to sara's views of the person: her one reading, in the user column (time, user, action, ...).
    filters = page.locator("main form[method=get]")
    filters.locator("[name=actor]").fill("sara")
    filters.locator("[name=action]").select_option("view")
    filters.locator("[name=object_id]").fill(str(own.pk))
    with page.expect_navigation():
        filters.locator("button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td:nth-child(2)")).to_have_text("sara")
    browsing.assert_accessible(page, "filtered audit list (olof)")

    # A second page for olof reuses the saved login instead of the form (the TOTP code is single use).
    again = browsing.as_persona("olof")
    response = again.goto(reverse("audit:event-list"))
    assert response is not None
    assert response.status == 200
    assert _path(again, live_server) == reverse("audit:event-list")


def test_login_page_is_accessible_also_with_errors(browsing: Browsing) -> None:
    page = browsing.new_page()
    page.goto(reverse("accounts:login"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    browsing.assert_accessible(page, "login page")

    form = page.locator("main form[method=post]")
    form.locator("[name=username]").fill("nobody")
    form.locator("[name=password]").fill("not-the-password")
    form.locator("[name=otp_token]").fill("12345")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    # Five digits: a field error, tied to the field.
    code = form.locator("[name=otp_token]")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".invalid-feedback")).to_have_count(1)
    browsing.assert_accessible(page, "login page with a field error")

    form.locator("[name=password]").fill("not-the-password")
    code.fill("123456")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    # Six digits but a wrong login: one error for the whole form, which says nothing about which part.
    expect(form.locator("[role=alert]")).to_be_visible()
    browsing.assert_accessible(page, "login page with a form error")


def test_language_switch_in_the_footer(browsing: Browsing) -> None:
    # With JavaScript the select submits itself.
    page = browsing.new_page()
    page.goto(reverse("accounts:login"))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "sv")
    with page.expect_navigation():
        page.locator("footer select[name=language]").select_option("en")
    expect(html).to_have_attribute("lang", "en")
    assert page.url.endswith(reverse("accounts:login"))

    # Without JavaScript the button does it.
    page = browsing.new_page(java_script_enabled=False)
    page.goto(reverse("accounts:login"))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "sv")
    footer_form = page.locator("footer form")
    footer_form.locator("select[name=language]").select_option("en")
    with page.expect_navigation():
        footer_form.locator("button[type=submit]").click()
    expect(html).to_have_attribute("lang", "en")
    assert page.url.endswith(reverse("accounts:login"))
