"""Log review (loggkontroll): Olof, Malmö's auditor, is pointed at what to look at in the trail.

A fixture plants one anomaly per check among ordinary traffic; each check finds exactly its anomaly and nothing
else. Reviewing a finding is done through the service, refused with field errors when invalid, versioned and
audited; a reviewed finding leaves the unreviewed count. Nobody but the program's auditor sees any of it (the
program lead neither: she must not read the trail), and another program's auditor sees nothing of Malmö's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from cases.models import Person
from gvi.accounts.models import Agency, Program, Role, Staff
from gvi.audit import selectors
from gvi.audit.models import AuditAction, AuditEvent, LogCheck, LogReview, ReviewStatus
from gvi.audit.services import log_review_set
from gvi.concurrency import StaleVersion
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
NOT_AUDITORS = ("petra", "anders", "sara", "erik", "karin", "lena", "ada", "nils", "maja")
# Measured: session, user, OTP device, four checks' counts, the burst check's window query and its reviews, the
# session save (savepoint, update, release); the same with more traffic (test_a_check_page_...).
OVERVIEW_QUERIES = 12
# session, user, OTP device, count, page rows, the list's audit event, reviews of the page, session save.
CHECK_QUERIES = 10
# session, user, OTP device, is it a finding, the event, its review, the page's own audit event, session save.
FINDING_QUERIES = 10


def _event(actor: Staff, action: str, obj: Any = None, *, at: datetime, object_type: str = "") -> AuditEvent:
    """An audit event as audit_record writes it, at a chosen moment (the trail cannot be edited afterwards)."""
    return AuditEvent(
        occurred_at=at,
        actor_id=actor.pk,
        actor_username=actor.username,
        agency_id=actor.agency_id,
        program_id=actor.program_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else "",
        purpose="test",
    )


@pytest.fixture
def planted(world: dict[str, Any]) -> dict[str, Any]:
    """Ordinary traffic of a working day plus one anomaly per check. Returns the anomalies' event ids."""
    start = timezone.now() - timedelta(days=1)
    sara, erik, anders, petra, karin = (world[n] for n in ("sara", "erik", "anders", "petra", "karin"))
    own_person = world["malmo_social_person"]
    protected = Person.objects.get(given_name="Jonas", family_name="Pettersson")
    police_person = world["malmo_police_person"]
    field_team_person = world["malmo_field_team_person"]
    ordinary = [
        # Sara and Erik (her team) look at the exit team's records; Sara at her own protected person.
        *(_event(sara, AuditAction.VIEW, own_person, at=start + timedelta(minutes=i * 7)) for i in range(40)),
        *(_event(erik, AuditAction.VIEW, own_person, at=start + timedelta(minutes=i * 3)) for i in range(30)),
        _event(sara, AuditAction.VIEW, protected, at=start + timedelta(hours=2)),
        # Petra: 50 looks in 10 minutes is not more than 50.
        *(_event(petra, AuditAction.VIEW, police_person, at=start + timedelta(seconds=i * 11)) for i in range(50)),
        _event(petra, AuditAction.LIST, object_type="cases.person", at=start + timedelta(hours=3)),
        _event(karin, AuditAction.UPDATE, world["malmo_probation_person"], at=start + timedelta(hours=4)),
    ]
    AuditEvent.objects.bulk_create(ordinary)
    outside = _event(erik, AuditAction.VIEW, field_team_person, at=start + timedelta(hours=5))
    outside.save()
    burst_at = start + timedelta(hours=6)
    burst = [_event(anders, AuditAction.VIEW, police_person, at=burst_at + timedelta(seconds=i * 5)) for i in range(60)]
    AuditEvent.objects.bulk_create(burst)
    burst_first = AuditEvent.objects.filter(actor_id=anders.pk, action=AuditAction.VIEW).order_by("occurred_at", "id")[
        0
    ]
    look = _event(erik, AuditAction.VIEW, protected, at=start + timedelta(hours=7))
    look.save()
    export = _event(petra, AuditAction.EXPORT, object_type="mapping.group", at=start + timedelta(hours=8))
    export.save()
    emergency = _event(karin, AuditAction.EMERGENCY, field_team_person, at=start + timedelta(hours=9))
    emergency.save()
    return {
        "outside": outside.pk,
        "burst": burst_first.pk,
        "protected": look.pk,
        "export": export.pk,
        "emergency": emergency.pk,
        "burst_at": burst_at,
    }


def _found(user: Staff, kind: LogCheck) -> set[int]:
    if kind == LogCheck.BURST:
        return {b.event_id for b in selectors.bursts(user)}
    return set(selectors.check_events(user, kind).values_list("pk", flat=True))


def test_each_check_finds_exactly_its_planted_anomaly(world: dict[str, Any], planted: dict[str, Any]) -> None:
    olof = world["olof"]
    assert _found(olof, LogCheck.OUTSIDE_TEAM) == {planted["outside"]}
    assert _found(olof, LogCheck.BURST) == {planted["burst"]}
    assert _found(olof, LogCheck.PROTECTED) == {planted["protected"]}
    assert _found(olof, LogCheck.EXPORTS) == {planted["export"]}
    assert _found(olof, LogCheck.EMERGENCY) == {planted["emergency"]}
    assert selectors.unreviewed_counts(olof) == dict.fromkeys(LogCheck.values, 1)


def test_a_burst_counts_its_views_and_spans_its_time(world: dict[str, Any], planted: dict[str, Any]) -> None:
    (burst,) = selectors.bursts(world["olof"])
    assert burst.actor_username == "anders"
    assert burst.views == 60
    assert burst.started_at == planted["burst_at"]
    assert burst.ended_at == planted["burst_at"] + timedelta(seconds=59 * 5)


def test_a_review_is_audited_and_leaves_the_unreviewed_count(world: dict[str, Any], planted: dict[str, Any]) -> None:
    olof = world["olof"]
    review = log_review_set(
        actor=olof,
        kind=LogCheck.EXPORTS,
        event_id=planted["export"],
        status=ReviewStatus.REVIEWED_OK,
        comment="Quarterly map export for the steering group.",
        expected_version=0,
    )
    assert review.version == 1
    event = AuditEvent.objects.filter(actor_id=olof.pk, action=AuditAction.UPDATE).latest("id")
    assert (event.object_type, event.object_id, event.purpose) == ("audit.logreview", str(review.pk), "log review")
    assert event.detail == {"check": "exports", "event_id": planted["export"], "status": "reviewed-ok"}
    assert selectors.unreviewed_counts(olof)[LogCheck.EXPORTS] == 0
    assert (
        list(
            selectors.with_review_status(olof, LogCheck.EXPORTS, selectors.check_events(olof, LogCheck.EXPORTS), "new")
        )
        == []
    )
    # a second review names the version it read; an older one is stale
    again = log_review_set(
        actor=olof,
        kind=LogCheck.EXPORTS,
        event_id=planted["export"],
        status=ReviewStatus.FOLLOWED_UP,
        comment="Asked Petra for the recipient list.",
        expected_version=1,
    )
    assert (again.version, again.status) == (2, ReviewStatus.FOLLOWED_UP)
    with pytest.raises(StaleVersion):
        log_review_set(
            actor=olof, kind=LogCheck.EXPORTS, event_id=planted["export"], status="new", comment="", expected_version=1
        )
    # the emergency access stays listed until reviewed, then leaves the unreviewed list
    log_review_set(
        actor=olof,
        kind=LogCheck.EMERGENCY,
        event_id=planted["emergency"],
        status=ReviewStatus.REVIEWED_OK,
        comment="",
        expected_version=0,
    )
    assert selectors.unreviewed_counts(olof)[LogCheck.EMERGENCY] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "fine"}, "status"),
        ({"status": ReviewStatus.FOLLOWED_UP, "comment": ""}, "comment"),
        ({"comment": "x" * 2001}, "comment"),
        ({"kind": "everything"}, "kind"),
        ({"event_id": 0}, "event_id"),
    ],
)
def test_an_invalid_review_is_refused_with_a_field_error(
    world: dict[str, Any], planted: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    values = {"kind": LogCheck.EXPORTS, "event_id": planted["export"], "status": "reviewed-ok", "comment": "ok"}
    with pytest.raises(ValidationError) as refused:
        log_review_set(actor=world["olof"], expected_version=0, **{**values, **changes})
    assert field in refused.value.message_dict
    assert not LogReview.objects.exists()


def test_a_review_of_an_event_that_is_not_a_finding_is_refused(world: dict[str, Any], planted: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        log_review_set(
            actor=world["olof"],
            kind=LogCheck.EXPORTS,
            event_id=planted["outside"],
            status="reviewed-ok",
            comment="",
            expected_version=0,
        )
    assert "event_id" in refused.value.message_dict


@pytest.mark.parametrize("persona", NOT_AUDITORS)
def test_nobody_but_the_auditor_reviews(world: dict[str, Any], planted: dict[str, Any], persona: str) -> None:
    with pytest.raises(Http404):
        log_review_set(
            actor=world[persona],
            kind=LogCheck.EXPORTS,
            event_id=planted["export"],
            status="reviewed-ok",
            comment="",
            expected_version=0,
        )
    assert selectors.unreviewed_counts(world[persona]) == dict.fromkeys(LogCheck.values, 0)


def test_another_programs_auditor_sees_nothing_of_malmo(world: dict[str, Any], planted: dict[str, Any]) -> None:
    orebro_auditor = Staff.objects.create(
        username="orebro-auditor",
        role=Role.AUDITOR,
        program=Program.objects.get(slug="orebro"),
        agency=Agency.objects.get(slug="orebro-kommun"),
    )
    nils = world["nils"]
    orebro_export = _event(nils, AuditAction.EXPORT, object_type="cases.person", at=timezone.now())
    orebro_export.save()
    assert _found(orebro_auditor, LogCheck.EXPORTS) == {orebro_export.pk}
    assert _found(world["olof"], LogCheck.EXPORTS) == {planted["export"]}
    for kind in (LogCheck.OUTSIDE_TEAM, LogCheck.BURST, LogCheck.PROTECTED, LogCheck.EMERGENCY):
        assert _found(orebro_auditor, kind) == set()
    with pytest.raises(ValidationError):
        log_review_set(
            actor=orebro_auditor,
            kind=LogCheck.EXPORTS,
            event_id=planted["export"],
            status="reviewed-ok",
            comment="",
            expected_version=0,
        )
    review = log_review_set(
        actor=world["olof"],
        kind=LogCheck.EXPORTS,
        event_id=planted["export"],
        status="reviewed-ok",
        comment="",
        expected_version=0,
    )
    assert not selectors.log_review(orebro_auditor, LogCheck.EXPORTS, planted["export"])
    assert selectors.log_review(world["olof"], LogCheck.EXPORTS, planted["export"]) == review


# --- Pages --------------------------------------------------------------------------------------------------


def test_the_overview_lists_the_checks_with_unreviewed_counts(as_user: ClientFor, planted: dict[str, Any]) -> None:
    client = as_user("olof")
    client.get("/audit/log-review/")
    with max_queries(OVERVIEW_QUERIES):
        response = client.get("/audit/log-review/")
    assert response.status_code == 200
    assert response.context["checks"][0] == {
        "kind": "outside-team",
        "label": LogCheck.OUTSIDE_TEAM.label,
        "unreviewed": 1,
    }
    assert [c["unreviewed"] for c in response.context["checks"]] == [1] * 5


@pytest.mark.parametrize("kind", LogCheck.values)
def test_a_check_page_lists_its_findings_in_constant_queries(
    as_user: ClientFor, world: dict[str, Any], planted: dict[str, Any], kind: str
) -> None:
    client = as_user("olof")
    client.get(f"/audit/log-review/{kind}/")
    with max_queries(CHECK_QUERIES) as captured:
        response = client.get(f"/audit/log-review/{kind}/?status=")
    measured = len(captured.captured_queries)
    assert response.status_code == 200
    assert len(response.context["findings"]) == 1
    # more ordinary traffic and more exports: the same number of queries
    petra = world["petra"]
    at = timezone.now() - timedelta(days=3)
    AuditEvent.objects.bulk_create(
        [_event(petra, AuditAction.EXPORT, object_type="mapping.group", at=at + timedelta(hours=i)) for i in range(30)]
        + [
            _event(petra, AuditAction.VIEW, world["malmo_police_person"], at=at + timedelta(hours=i))
            for i in range(200)
        ]
    )
    with max_queries(measured):
        assert client.get(f"/audit/log-review/{kind}/?status=").status_code == 200


def test_the_check_page_filters_by_status(as_user: ClientFor, world: dict[str, Any], planted: dict[str, Any]) -> None:
    client = as_user("olof")
    assert len(client.get("/audit/log-review/exports/").context["findings"]) == 1  # unreviewed by default
    log_review_set(
        actor=world["olof"],
        kind="exports",
        event_id=planted["export"],
        status="followed-up",
        comment="Asked why.",
        expected_version=0,
    )
    assert client.get("/audit/log-review/exports/").context["findings"] == []
    shown = client.get("/audit/log-review/exports/?status=followed-up").context["findings"]
    assert [(event.pk, review.comment) for event, review, _id in shown] == [(planted["export"], "Asked why.")]
    assert client.get("/audit/log-review/exports/?status=reviewed-ok").context["findings"] == []


def test_reviewing_a_finding_on_its_page(as_user: ClientFor, world: dict[str, Any], planted: dict[str, Any]) -> None:
    client = as_user("olof")
    url = f"/audit/log-review/burst/{planted['burst']}/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["burst"].views == 60
    refused = client.post(url, {"status": "followed-up", "comment": "", "version": 0})
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"comment": ["Say how the finding was followed up."]}
    invalid = client.post(url, {"status": "maybe", "version": 0})
    assert "status" in invalid.context["form"].errors
    saved = client.post(url, {"status": "followed-up", "comment": "Spoke with Anders: a batch check.", "version": 0})
    assert saved.status_code == 302
    review = LogReview.objects.get(kind="burst", event_id=planted["burst"])
    assert (review.status, review.reviewed_by) == ("followed-up", world["olof"])
    stale = client.post(url, {"status": "reviewed-ok", "comment": "", "version": 0}, follow=True)
    assert "Someone reviewed this finding" in stale.content.decode()
    assert LogReview.objects.get(pk=review.pk).status == "followed-up"


def test_a_finding_page_of_a_non_finding_or_unknown_check_is_404(as_user: ClientFor, planted: dict[str, Any]) -> None:
    client = as_user("olof")
    assert client.get(f"/audit/log-review/exports/{planted['outside']}/").status_code == 404
    assert client.get("/audit/log-review/everything/").status_code == 404
    assert client.get(f"/audit/log-review/everything/{planted['export']}/").status_code == 404


@pytest.mark.parametrize("persona", NOT_AUDITORS)
def test_everyone_else_gets_404_on_the_log_review(as_user: ClientFor, planted: dict[str, Any], persona: str) -> None:
    client = as_user(persona)
    for url in ("/audit/log-review/", "/audit/log-review/exports/", f"/audit/log-review/exports/{planted['export']}/"):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/audit/log-review/exports/{planted['export']}/", {"status": "reviewed-ok", "version": 0}
        ).status_code
        == 404
    )


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_lists_findings_and_takes_reviews(as_api_user: ClientFor, planted: dict[str, Any]) -> None:
    client = as_api_user("olof")
    checks = client.get("/api/log-review/").json()
    assert {c["check"]: c["unreviewed"] for c in checks} == dict.fromkeys(LogCheck.values, 1)
    listed = client.get("/api/log-review/protected/").json()
    assert [f["event_id"] for f in listed["results"]] == [planted["protected"]]
    assert listed["results"][0]["status"] == "new"
    url = f"/api/log-review/protected/{planted['protected']}/"
    bad = client.patch(url, {"status": "fine", "version": "x"}, content_type="application/json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "version"}
    missing = client.post(url, {"status": "followed-up", "comment": "", "version": 0}, content_type="application/json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"comment"}
    ok = client.post(
        url,
        {"status": "followed-up", "comment": "Erik's manager asked.", "version": 0},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert (ok.json()["status"], ok.json()["version"]) == ("followed-up", 1)
    assert (
        client.patch(url, {"status": "reviewed-ok", "version": 0}, content_type="application/json").status_code == 412
    )
    assert client.get("/api/log-review/protected/?status=new").json()["results"] == []
    assert client.get("/api/log-review/protected/?status=nonsense").status_code == 400
    assert client.get(url).json()["comment"] == "Erik's manager asked."
    bursts = client.get("/api/log-review/burst/").json()["results"]
    assert [(b["event_id"], b["views"]) for b in bursts] == [(planted["burst"], 60)]


@pytest.mark.parametrize("persona", NOT_AUDITORS)
def test_the_api_answers_404_to_everyone_else(as_api_user: ClientFor, planted: dict[str, Any], persona: str) -> None:
    client = as_api_user(persona)
    for url in ("/api/log-review/", "/api/log-review/exports/", f"/api/log-review/exports/{planted['export']}/"):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/api/log-review/exports/{planted['export']}/",
        {"status": "reviewed-ok", "version": 0},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_a_finding_page_runs_constant_queries(
    as_user: ClientFor, world: dict[str, Any], planted: dict[str, Any]
) -> None:
    client = as_user("olof")
    url = f"/audit/log-review/exports/{planted['export']}/"
    client.get(url)
    with max_queries(FINDING_QUERIES) as captured:
        assert client.get(url).status_code == 200
    petra = world["petra"]
    at = timezone.now() - timedelta(days=3)
    AuditEvent.objects.bulk_create(
        [_event(petra, AuditAction.EXPORT, object_type="mapping.group", at=at + timedelta(hours=i)) for i in range(30)]
    )
    with max_queries(len(captured.captured_queries)):
        assert client.get(url).status_code == 200
