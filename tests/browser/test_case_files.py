"""Person case files in a real browser: a journal note, a share of a police section to the municipality's
exit team, and the recipient reading it (shares received, the section, the timeline of her own record);
then the search, merge and subject access pages.

Assertions use URLs, ids, roles and data-testid attributes, not UI text (the language may be Swedish or
English); the texts checked are data the test wrote. Every page on the way is checked with axe-core, and
the `browsing` fixture fails the test on CSP console messages, script errors and static files that do not load.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import Browsing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE_TEXT = "Webbtest: hotbilden kvarstår, samtal bokat."
PURPOSE_TEXT = "Webbtest: planering av avhopparstöd"
RECIPIENT_NOTE = "Webbtest: hela polisdelen med journal."


def _url(live_server: Any, path: str) -> str:
    return live_server.url + path


def test_police_section_shared_with_the_exit_team(browsing: Browsing, world: dict[str, Any], live_server: Any) -> None:
    """petra writes a journal note on her Adam's police section and shares the whole section with the exit
    team; sara finds it among the shares received, reads the note, and sees the section on her Adam's
    timeline (the share is linked to her record by the identity number)."""
    police_person = world["malmo_police_person"]
    police_section = world["malmo_police_section"]
    social_person = world["malmo_social_person"]
    sara_staff = world["sara"]
    section_path = reverse("cases:section-detail", kwargs={"kind": "police", "pk": police_section.pk})

    # --- petra: the person page, then the police section ---
    petra = browsing.as_persona("petra")
    petra.goto(reverse("cases:person-detail", args=[police_person.pk]))
    expect(petra).to_have_url(_url(live_server, reverse("cases:person-detail", args=[police_person.pk])))
    expect(petra.get_by_test_id("identity-number")).to_have_text(police_person.identity_number)
    card = petra.get_by_test_id("section-police")
    expect(card).to_have_count(1)
    browsing.assert_accessible(petra, "person page (petra, police Adam)")

    with petra.expect_navigation():
        card.locator(f"a[href='{section_path}']").click()
    expect(petra).to_have_url(_url(live_server, section_path))
    expect(petra.locator("h2#journal-heading")).to_be_visible()
    browsing.assert_accessible(petra, "police section (petra)")

    # A journal note, written and sent with the keyboard.
    note_form = petra.locator(f"main form[action='{reverse('cases:note-add', args=['police', police_section.pk])}']")
    text = note_form.locator("textarea[name=text]")
    text.focus()
    petra.keyboard.type(NOTE_TEXT)
    with petra.expect_navigation():
        note_form.locator("button[type=submit]").press("Enter")
    expect(petra).to_have_url(_url(live_server, section_path))
    journal = petra.get_by_test_id("journal")
    expect(journal.locator("li.card").filter(has_text=NOTE_TEXT)).to_have_count(1)
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    browsing.assert_accessible(petra, "police section with the new note (petra)")

    # --- petra: share the whole police section with Malmö stad's exit team, OSL 10 kap. 2 § ---
    share_create = reverse("cases:share-create", args=[police_person.pk])
    petra.goto(reverse("cases:person-detail", args=[police_person.pk]))
    with petra.expect_navigation():
        petra.locator(f"main a[href='{share_create}']").click()
    expect(petra).to_have_url(_url(live_server, share_create))
    browsing.assert_accessible(petra, "share form (petra)")

    form = petra.locator("main form[method=post]")
    form.locator("select[name=subject]").select_option("police")
    form.locator("select[name=scope]").select_option("full")
    form.locator("select[name=receiving_agency]").select_option(str(sara_staff.agency_id))
    form.locator("select[name=receiving_team]").select_option(str(sara_staff.team_id))
    form.locator("select[name=legal_basis]").select_option("osl_10_2")
    expect(form.locator("select[name=consent]")).to_have_value("")  # no consent on this legal basis
    form.locator("input[name=purpose]").fill(PURPOSE_TEXT)
    form.locator("textarea[name=note_to_recipient]").fill(RECIPIENT_NOTE)
    expect(form.locator("input[name=valid_until]")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    with petra.expect_navigation():
        form.locator("button[type=submit]").click()
    match = re.fullmatch(re.escape(live_server.url) + r"/.*/shares/(\d+)/", petra.url)
    assert match, f"the share was not made (still on {petra.url})"
    share_pk = int(match.group(1))
    share_path = reverse("cases:share-detail", args=[share_pk])
    expect(petra).to_have_url(_url(live_server, share_path))
    expect(petra.locator("main")).to_contain_text(PURPOSE_TEXT)
    browsing.assert_accessible(petra, "share detail (petra, sender)")

    # --- sara: shares received, the share, the shared section with petra's note ---
    sara = browsing.as_persona("sara")
    received = reverse("cases:shares-received")
    # The start page's inbox panel leads to the shares received.
    with sara.expect_navigation():
        sara.locator(f"main a[href='{received}'][data-testid=inbox-shares]").click()
    expect(sara).to_have_url(_url(live_server, received))
    row_link = sara.locator(f"main table a[href='{share_path}']")
    expect(row_link).to_have_count(1)
    browsing.assert_accessible(sara, "shares received (sara)")

    with sara.expect_navigation():
        row_link.click()
    expect(sara).to_have_url(_url(live_server, share_path))
    expect(sara.get_by_test_id("shared-identity")).to_contain_text(police_person.given_name)
    # Linked to her own record by the identity number.
    expect(sara.locator(f"main a[href='{reverse('cases:person-detail', args=[social_person.pk])}']")).to_have_count(1)
    browsing.assert_accessible(sara, "share detail (sara, recipient)")

    with sara.expect_navigation():
        sara.locator(f"main a[href='{section_path}']").click()
    expect(sara).to_have_url(_url(live_server, section_path))
    expect(sara.get_by_test_id("journal").locator("li.card").filter(has_text=NOTE_TEXT)).to_have_count(1)
    browsing.assert_accessible(sara, "shared police section (sara)")

    # --- sara: the timeline of her own Adam shows the shared police section ---
    timeline = reverse("cases:person-timeline", args=[social_person.pk])
    sara.goto(reverse("cases:person-detail", args=[social_person.pk]))
    with sara.expect_navigation():
        sara.locator(f"main a[href='{timeline}']").click()
    expect(sara).to_have_url(_url(live_server, timeline))
    item = sara.locator(f"main li[data-key='{police_section._meta.label_lower}:{police_section.pk}:opened']")
    expect(item).to_have_count(1)
    expect(item.locator(f"a[href='{section_path}']")).to_be_visible()
    # The note came with the whole section.
    expect(sara.locator("main ol li").filter(has_text=NOTE_TEXT)).to_have_count(1)
    browsing.assert_accessible(sara, "timeline of sara's Adam")


def test_search_merge_and_subject_access_pages(browsing: Browsing, people: dict[str, Any], live_server: Any) -> None:
    """The search results (header search, sent with Enter), the merge page on petra's Adam with a search,
    and the subject access export page of sara's Adam are accessible."""
    police_person = people["malmo_police_person"]
    social_person = people["malmo_social_person"]

    petra = browsing.as_persona("petra")
    header_search = petra.locator("nav form[role=search] input[name=term]")
    header_search.fill(police_person.family_name)
    with petra.expect_navigation():
        header_search.press("Enter")
    expect(petra).to_have_url(_url(live_server, reverse("cases:person-list")))
    person_path = reverse("cases:person-detail", args=[police_person.pk])
    expect(petra.locator(f"main table a[href='{person_path}']")).to_have_count(1)
    browsing.assert_accessible(petra, "search results (petra)")

    merge = reverse("cases:person-merge", args=[police_person.pk])
    petra.goto(person_path)
    with petra.expect_navigation():
        petra.locator(f"main a[href='{merge}']").click()
    expect(petra).to_have_url(_url(live_server, merge))
    browsing.assert_accessible(petra, "merge page (petra)")
    search = petra.locator("main form[role=search]")
    search.locator("[name=term]").fill(police_person.given_name)
    with petra.expect_navigation():
        search.locator("[name=term]").press("Enter")
    expect(petra.locator("h2#find-heading")).to_be_visible()
    browsing.assert_accessible(petra, "merge page with search results (petra)")

    sara = browsing.as_persona("sara")
    export = reverse("cases:subject-access-create", args=[social_person.pk])
    sara.goto(reverse("cases:person-detail", args=[social_person.pk]))
    with sara.expect_navigation():
        sara.locator(f"main a[href='{export}']").click()
    expect(sara).to_have_url(_url(live_server, export))
    expect(sara.locator("main form[method=post] button[type=submit]")).to_be_visible()
    browsing.assert_accessible(sara, "subject access export page (sara)")
