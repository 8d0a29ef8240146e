"""Issue 16 in a real browser: the police coordinator's journey, from the network map to a held call-in and a
custom notification for a member who stayed away.

petra (police coordinator, Polisen Malmö):
1. opens the network map from the navigation: the map is drawn from the API (Cytoscape's canvas), and the plain
   table beside it lists the groups of her map (never Örebro's), each leading to its page;
2. opens Grupp Falken from the table: its page counts the members in force today, as the map does;
3. schedules a call-in for the group from its page (the group chosen in advance). It starts an hour ago: she
   registers it as it begins, so that it can be marked held at once (a call-in is held on or after its start,
   and invitations are sent while it is planned);
4. invites three active members of the group;
5. marks the call-in held (accepting the confirmation dialog) and records the attendance: attended, left early,
   absent; the counts on the call-in page follow;
6. opens the absent member's page from the call-in (the invitation is on it) and requests a custom notification
   for him: it is hers, on her agency's record of him, and awaits the legal-risk assessment;
7. finds it in the custom-notification list and on the member's page.

Assertions use URLs, ids, data-testid attributes, form field names and the data the test wrote or the demo holds,
not UI text (the language may be Swedish or English). Every page on the way is checked with axe-core and saved as
a screenshot (tests/browser/conftest.py), and the `browsing` fixture fails the test on CSP console messages,
script errors, static files that do not load and server errors.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Dialog, Locator, Page, expect

from gvi import access
from gvi.accounts.models import Staff
from gvi.mapping import selectors as mapping_selectors
from gvi.mapping.models import Group
from interventions import services
from interventions.models import CallIn, CallInInvitation, CustomNotification
from tests.browser.conftest import Browsing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GROUP = "Grupp Falken"
PLACE = "Webbtest: Rosengårds folkets hus, stora salen"
NOTES = "Webbtest: lokalen bokad, två poliser i entrén."
REASON = "Webbtest: uteblev från samtalet; hot mot honom efter skjutningen på Ystadvägen."
# What the three invitees did, in the order they are chosen: the last one stayed away.
ATTENDANCE = (
    CallInInvitation.Status.ATTENDED,
    CallInInvitation.Status.LEFT_EARLY,
    CallInInvitation.Status.ABSENT,
)


def _url(live_server: Any, path: str) -> str:
    return live_server.url + path


def _submitted[M: Model](page: Page, form: Locator, live_server: Any, path: str, model: type[M]) -> M:
    """Submit the form; the browser must land on the page of the record it made (`path` captures its id)."""
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    match = re.fullmatch(re.escape(live_server.url) + path, page.url)
    assert match, f"no {model._meta.verbose_name} was made (still on {page.url})"
    return model._default_manager.get(pk=int(match.group(1)))


def test_police_coordinator_from_the_network_map_to_a_held_call_in_and_a_custom_notification(
    browsing: Browsing, world: dict[str, Any], live_server: Any
) -> None:
    petra_staff: Staff = world["petra"]
    group: Group = world["malmo_group"]
    orebro_group: Group = world["orebro_group"]
    assert group.name == GROUP
    today = timezone.localdate()
    nodes = {node["id"]: node for node in mapping_selectors.network(user=petra_staff, as_of=today)["nodes"]}
    assert group.pk in nodes
    assert orebro_group.pk not in nodes, "Örebro's group exists (the world) but is not on petra's map"
    network_path = reverse("mapping:network")
    network_api_path = reverse("api:mapping-network")
    group_path = reverse("mapping:group-detail", args=[group.pk])
    create_path = reverse("interventions:callin-create")
    starts_at = (timezone.localtime() - timedelta(hours=1)).replace(second=0, microsecond=0)

    # --- 1. the network map from the navigation: drawn from the API, and the plain table ---
    petra = browsing.as_persona("petra")
    with (
        petra.expect_response(lambda response: urlsplit(response.url).path == network_api_path) as map_data,
        petra.expect_navigation(),
    ):
        petra.locator(f"nav a.nav-link[href='{network_path}']").click()
    expect(petra).to_have_url(_url(live_server, network_path))
    assert map_data.value.status == 200, map_data.value.status
    assert parse_qs(urlsplit(map_data.value.url).query)["as_of"] == [today.isoformat()]
    container = petra.locator("#network")
    expect(container.locator("canvas").first).to_be_attached()  # Cytoscape drew the map
    expect(container).to_be_visible()  # network.js hides it when the data cannot be loaded or drawn
    error_text = container.get_attribute("data-error-text")
    assert error_text
    expect(petra.locator("#network-status")).not_to_have_text(error_text)
    assert petra.evaluate("() => typeof window.cytoscape === 'function'")
    groups_table = petra.locator("section[aria-labelledby=nodes-heading] table")
    expect(groups_table.locator("tbody tr")).to_have_count(len(nodes))
    for pk in nodes:
        expect(groups_table.locator(f"a[href='{reverse('mapping:group-detail', args=[pk])}']")).to_have_count(1)
    expect(petra.locator(f"main a[href='{reverse('mapping:group-detail', args=[orebro_group.pk])}']")).to_have_count(0)
    browsing.assert_accessible(petra, "network map (petra)")

    # --- 2. the group from the table ---
    with petra.expect_navigation():
        groups_table.locator(f"a[href='{group_path}']").click()
    expect(petra).to_have_url(_url(live_server, group_path))
    expect(petra.get_by_test_id("active-members")).to_have_text(str(nodes[group.pk]["members"]))
    browsing.assert_accessible(petra, "group page (petra)")

    # --- 3. a call-in for the group, from the group's page: the form has the group chosen ---
    with petra.expect_navigation():
        petra.get_by_test_id("schedule-call-in").click()
    expect(petra).to_have_url(_url(live_server, f"{create_path}?group={group.pk}"))
    browsing.assert_accessible(petra, "new call-in form (petra)")
    form = petra.locator("main form[method=post]")
    expect(form.locator("select[name=groups]")).to_have_values([str(group.pk)])
    form.locator("input[name=starts_at]").fill(starts_at.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=place]").fill(PLACE)
    form.locator("textarea[name=notes]").fill(NOTES)
    call_in = _submitted(petra, form, live_server, r"/interventions/(\d+)/", CallIn)
    assert (call_in.place, call_in.notes, call_in.status) == (PLACE, NOTES, CallIn.Status.PLANNED)
    # Compared as typed (wall-clock minutes), which holds also in the hour the clocks go back.
    assert timezone.localtime(call_in.starts_at).strftime("%Y-%m-%d %H:%M") == starts_at.strftime("%Y-%m-%d %H:%M")
    assert list(call_in.groups.values_list("pk", flat=True)) == [group.pk]
    assert (call_in.owner_agency_id, call_in.created_by_id) == (petra_staff.agency_id, petra_staff.pk)
    detail_path = reverse("interventions:callin-detail", args=[call_in.pk])
    status_path = reverse("interventions:callin-status", args=[call_in.pk])
    attendance_path = reverse("interventions:callin-attendance", args=[call_in.pk])
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    expect(petra.get_by_test_id("callin-full")).to_contain_text(PLACE)
    expect(petra.get_by_test_id("callin-full").locator(f"a[href='{group_path}']")).to_have_count(1)
    expect(petra.locator("[data-testid=callin-counts] [data-count=invited]")).to_have_text("0")
    hold = petra.locator(f"main form[action='{status_path}'] button[name=status][value={CallIn.Status.HELD}]")
    expect(hold).to_be_visible()  # it has started
    browsing.assert_accessible(petra, "new call-in page (petra)")

    # --- 4. invite three active members of the group ---
    with petra.expect_navigation():
        petra.get_by_test_id("invite-members").click()
    expect(petra).to_have_url(_url(live_server, reverse("interventions:callin-invite", args=[call_in.pk])))
    candidates = services.invitation_candidates(petra_staff, call_in)
    assert len(candidates) >= len(ATTENDANCE), f"{GROUP} has {len(candidates)} active members"
    expect(petra.get_by_test_id("invite-candidates").locator("tbody tr")).to_have_count(len(candidates))
    chosen = candidates[: len(ATTENDANCE)]
    for person in chosen:
        petra.locator(f"label[for=invite_{person.pk}]").click()
        expect(petra.locator(f"#invite_{person.pk}")).to_be_checked()
    browsing.assert_accessible(petra, "invite members (petra)")
    with petra.expect_navigation():
        petra.get_by_test_id("invite-submit").click()
    expect(petra).to_have_url(_url(live_server, detail_path))
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    expect(petra.get_by_test_id("invitations").locator("tbody tr")).to_have_count(len(chosen))
    for person in chosen:
        expect(petra.locator(f"#invitee-{person.pk}")).to_have_count(1)
    expect(petra.locator("[data-testid=callin-counts] [data-count=invited]")).to_have_text(str(len(chosen)))
    invitations = {inv.person_id: inv for inv in CallInInvitation.objects.filter(call_in=call_in)}
    assert set(invitations) == {person.pk for person in chosen}
    assert {inv.status for inv in invitations.values()} == {CallInInvitation.Status.INVITED}
    browsing.assert_accessible(petra, "call-in page with the invitations (petra)")

    # --- 5. marked held (after the confirmation dialog), then the attendance ---
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    petra.once("dialog", accept)
    with petra.expect_navigation():
        hold.click()
    assert len(dialogs) == 1, "the data-confirm dialog asks before the call-in is marked held"
    expect(petra).to_have_url(_url(live_server, detail_path))
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    call_in.refresh_from_db()
    assert call_in.status == CallIn.Status.HELD
    expect(petra.locator(f"main form[action='{status_path}']")).to_have_count(0)
    expect(petra.get_by_test_id("invite-members")).to_have_count(0)
    attendance_link = petra.locator(f"main a[href='{attendance_path}']")
    expect(attendance_link).to_have_count(1)
    browsing.assert_accessible(petra, "held call-in (petra)")

    with petra.expect_navigation():
        attendance_link.click()
    expect(petra).to_have_url(_url(live_server, attendance_path))
    form = petra.locator("main form[method=post]")
    expect(form.locator("tbody tr")).to_have_count(len(chosen))
    for person, status in zip(chosen, ATTENDANCE, strict=True):
        radio = form.locator(f"input[name=status_{invitations[person.pk].pk}][value={status}]")
        petra.locator(f"label[for='{radio.get_attribute('id')}']").click()
        expect(radio).to_be_checked()
    browsing.assert_accessible(petra, "record attendance (petra)")
    with petra.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(petra).to_have_url(_url(live_server, detail_path))
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    counts = petra.get_by_test_id("callin-counts")
    for key, count in (("invited", 3), ("attended", 1), ("left_early", 1), ("absent", 1), ("came", 2)):
        expect(counts.locator(f"[data-count={key}]")).to_have_text(str(count))
    recorded = dict(CallInInvitation.objects.filter(call_in=call_in).values_list("person_id", "status"))
    assert recorded == {person.pk: status for person, status in zip(chosen, ATTENDANCE, strict=True)}
    browsing.assert_accessible(petra, "call-in page with the attendance (petra)")

    # --- 6. the absent member's page, from the call-in; a custom notification requested for him ---
    absent = chosen[ATTENDANCE.index(CallInInvitation.Status.ABSENT)]
    person_path = reverse("cases:person-detail", args=[absent.pk])
    request_path = reverse("interventions:notification-create", args=[absent.pk])
    earlier = set(CustomNotification.objects.filter(person=absent).values_list("pk", flat=True))
    with petra.expect_navigation():
        petra.locator(f"#invitee-{absent.pk} a[href='{person_path}']").click()
    expect(petra).to_have_url(_url(live_server, person_path))
    panel = petra.get_by_test_id("interventions")
    invitation_path = reverse("interventions:invitation-detail", args=[invitations[absent.pk].pk])
    expect(panel.locator(f"a[href='{invitation_path}']")).to_have_count(1)
    browsing.assert_accessible(petra, "the absent member's page (petra)")

    with petra.expect_navigation():
        panel.locator(f"a[href='{request_path}']").click()
    expect(petra).to_have_url(_url(live_server, request_path))
    browsing.assert_accessible(petra, "request a custom notification (petra)")
    form = petra.locator("main form[method=post]")
    form.locator("textarea[name=reason]").fill(REASON)
    notification = _submitted(petra, form, live_server, r"/interventions/notifications/(\d+)/", CustomNotification)
    assert notification.pk not in earlier
    assert notification.person_id == absent.pk
    assert notification.person_name == absent.full_name
    assert (notification.owner_agency_id, notification.program_id) == (absent.owner_agency_id, absent.program_id)
    assert notification.owner_agency_id == petra_staff.agency_id
    assert notification.created_by_id == petra_staff.pk
    assert (notification.status, notification.reason) == (CustomNotification.Status.REQUESTED, REASON)
    assert access.can(petra_staff, "change", notification), "the police hold the record"
    notification_path = reverse("interventions:notification-detail", args=[notification.pk])
    expect(petra.locator(".messages [class*='alert-success']")).to_have_count(1)
    full = petra.get_by_test_id("notification-full")
    expect(full).to_contain_text(REASON)
    expect(full.locator(f"a[href='{person_path}']")).to_have_count(1)
    expect(petra.get_by_test_id("notification-status")).to_be_visible()
    # The next step is the legal-risk assessment; the plan comes after it.
    assess_path = reverse("interventions:notification-assess", args=[notification.pk])
    plan_path = reverse("interventions:notification-plan", args=[notification.pk])
    expect(petra.locator(f"main form[action='{assess_path}'] select[name=risk_outcome]")).to_have_count(1)
    expect(petra.locator(f"main form[action='{plan_path}']")).to_have_count(0)
    browsing.assert_accessible(petra, "the requested custom notification (petra)")

    # --- 7. the list from the navigation, and the member's page ---
    notifications_path = reverse("interventions:notification-list")
    with petra.expect_navigation():
        petra.locator(f"nav a.nav-link[href='{notifications_path}']").click()
    expect(petra).to_have_url(_url(live_server, notifications_path))
    expect(petra.get_by_test_id("notification-list").locator(f"a[href='{notification_path}']")).to_have_count(1)
    browsing.assert_accessible(petra, "custom notification list (petra)")

    petra.goto(person_path)
    panel = petra.get_by_test_id("interventions")
    expect(panel.locator(f"a[href='{notification_path}']")).to_have_count(1)
    expect(panel.locator(f"a[href='{invitation_path}']")).to_have_count(1)
    browsing.assert_accessible(petra, "the absent member's page with the notification (petra)")
