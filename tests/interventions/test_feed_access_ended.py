"""A feed address outlives no change of access: deactivation or an administrator's change of role, program,
agency or team stops it at once, audited, and reactivating the account does not bring it back."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from gvi.accounts import services as account_services
from gvi.accounts.models import Role, Staff
from gvi.audit.models import AuditAction, AuditEvent
from interventions.models import CalendarFeed
from interventions.services.feeds import feed_create


def _fetch(token: str) -> int:
    return Client().get(reverse("interventions:calendar-ics", kwargs={"token": token})).status_code


def test_deactivation_stops_the_feed_for_good(world: dict[str, Any]) -> None:
    karin = world["karin"]
    feed, token = feed_create(actor=karin)
    assert _fetch(token) == 200
    account_services.staff_deactivate(actor=world["ada"], staff=karin)
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
    assert AuditEvent.objects.filter(
        actor_id=world["ada"].pk, action=AuditAction.REVOKE, object_type="interventions.calendarfeed"
    ).exists()
    Staff.objects.filter(pk=karin.pk).update(is_active=True)
    assert _fetch(token) == 404


def test_a_change_of_role_stops_the_feed(world: dict[str, Any]) -> None:
    sara = world["sara"]
    _feed, token = feed_create(actor=sara)
    before = {field: getattr(sara, field) for field in account_services.ACCESS_FIELDS}
    sara.role = Role.EXIT_COORDINATOR
    sara.save()
    account_services.staff_access_changed(actor=world["ada"], staff=sara, before=before)
    assert _fetch(token) == 404


def test_no_change_leaves_the_feed_working(world: dict[str, Any]) -> None:
    sara = world["sara"]
    _feed, token = feed_create(actor=sara)
    before = {field: getattr(sara, field) for field in account_services.ACCESS_FIELDS}
    account_services.staff_access_changed(actor=world["ada"], staff=sara, before=before)
    assert _fetch(token) == 200
