"""The notification pages (gvi/notifications/views.py) and the header badge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gvi.accounts.models import Staff
from gvi.notifications.models import Notification
from gvi.notifications.services import notify
from gvi.notifications.views import is_local_path
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured, the same for 5 and 50 notifications: session, user, device, count, unread count, page rows,
# session save (3).
LIST_QUERIES = 9


def make(user: Staff, n: int, *, url: str = "/outreach/", start: int = 0) -> list[Notification]:
    made = []
    for i in range(start, start + n):
        notification = notify(recipient=user, key=f"test:{i}", title=f"Follow-up due {i}", url=url, email=False)
        assert notification is not None
        made.append(notification)
    return made


def test_header_loads_the_badge_after_the_page(world: dict[str, Any], as_user: ClientFor) -> None:
    make(world["sara"], 2)
    client = as_user("sara")
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("notifications:list")}"' in html
    assert f'hx-get="{reverse("notifications:unread")}" hx-trigger="load"' in html
    badge = client.get(reverse("notifications:unread"))
    assert badge.status_code == 200
    text = badge.content.decode()
    assert 'data-testid="unread-badge">2<' in text
    assert "(2 unread)" in text
    # The accessible name of the link, once the badge is in: "Notifications (2 unread)" (the number is hidden).
    assert 'aria-hidden="true"' in text


def test_the_badge_is_empty_without_unread(world: dict[str, Any], as_user: ClientFor) -> None:
    (notification,) = make(world["sara"], 1)
    client = as_user("sara")
    client.post(reverse("notifications:open", args=[notification.pk]))
    assert client.get(reverse("notifications:unread")).content.decode().strip() == ""


def test_the_badge_costs_one_count(world: dict[str, Any], as_user: ClientFor) -> None:
    make(world["sara"], 3)
    client = as_user("sara")
    client.get(reverse("notifications:unread"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("notifications:unread"))
    assert sum("notifications_notification" in q["sql"] for q in captured.captured_queries) == 1


def test_a_page_pays_no_query_for_the_badge(world: dict[str, Any], as_user: ClientFor) -> None:
    make(world["sara"], 3)
    client = as_user("sara")
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("home"))
    assert not any("notifications_notification" in q["sql"] for q in captured.captured_queries)


def test_the_list_shows_own_notifications_newest_first(world: dict[str, Any], as_user: ClientFor) -> None:
    first, second = make(world["sara"], 2)
    make(world["erik"], 1, start=10)
    response = as_user("sara").get(reverse("notifications:list"))
    assert response.status_code == 200
    assert [n.pk for n in response.context["page"].object_list] == [second.pk, first.pk]
    html = response.content.decode()
    assert "Follow-up due 10" not in html
    assert html.count('data-unread="1"') == 2
    assert "2 unread" in html
    assert "Mark all as read" in html


def test_empty_inbox(as_user: ClientFor) -> None:
    response = as_user("ada").get(reverse("notifications:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have no notifications." in html
    assert "Mark all as read" not in html


def test_opening_marks_read_and_follows_the_link(world: dict[str, Any], as_user: ClientFor) -> None:
    (notification,) = make(world["sara"], 1, url="/outreach/cases/1/")
    client = as_user("sara")
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/outreach/cases/1/"
    notification.refresh_from_db()
    assert notification.is_read
    html = client.get(reverse("notifications:list")).content.decode()
    assert 'data-unread="1"' not in html


def test_opening_needs_a_post(world: dict[str, Any], as_user: ClientFor) -> None:
    (notification,) = make(world["sara"], 1)
    assert as_user("sara").get(reverse("notifications:open", args=[notification.pk])).status_code == 405
    notification.refresh_from_db()
    assert not notification.is_read


def test_another_users_notification_is_404(world: dict[str, Any], as_user: ClientFor) -> None:
    (notification,) = make(world["sara"], 1)
    for persona in ("erik", "petra", "nils", "ada"):
        response = as_user(persona).post(reverse("notifications:open", args=[notification.pk]))
        assert response.status_code == 404, persona
    assert as_user("erik").post(reverse("notifications:open", args=[999999])).status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


def test_a_link_off_the_site_is_refused(world: dict[str, Any], as_user: ClientFor) -> None:
    bad = ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "outreach/")
    client = as_user("sara")
    for i, url in enumerate(bad):
        (notification,) = make(world["sara"], 1, url=url, start=100 + i)
        response = client.post(reverse("notifications:open", args=[notification.pk]), follow=True)
        assert response.redirect_chain == [(reverse("notifications:list"), 302)], url
        assert "The link of this notification cannot be opened here." in response.content.decode()
    assert is_local_path("/outreach/cases/3/?tab=contacts#contact-form")


def test_mark_all_read_touches_only_own(world: dict[str, Any], as_user: ClientFor) -> None:
    make(world["sara"], 3)
    make(world["erik"], 2, start=10)
    response = as_user("sara").post(reverse("notifications:read-all"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("notifications:list")
    assert "All notifications are marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=world["sara"], read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world["erik"], read_at__isnull=True).count() == 2
    assert as_user("sara").get(reverse("notifications:read-all")).status_code == 405


def test_list_query_count_is_the_same_for_5_and_50(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    url = reverse("notifications:list")
    client.get(url)
    make(world["sara"], 5)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).context["page"].object_list) == 5
    make(world["sara"], 45, start=5)
    with max_queries(LIST_QUERIES) as many:
        page = client.get(url).context["page"]
        assert page.paginator.count == 50
        assert page.paginator.num_pages == 2
    assert len(few.captured_queries) == len(many.captured_queries)
