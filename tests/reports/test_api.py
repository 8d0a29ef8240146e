"""Reports over the API: the same policy, services and audit as the report pages.

The permission matrix runs every route for every persona (tests/reports/matrix_api.py); here: ordering (201, and
a 400 naming the field for a period that has not begun, a baseline after the period, a missing quarter and junk
types), a built report is immutable (405), only a failed build is retried, a rebuild is a new edition, the detail
carries exactly the stored cells, every download is audited, indicators with their checks and If-Match, the
report plan, and lists whose query count does not grow with the data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gvi.audit.models import AuditAction, AuditEvent
from reports import services
from reports.metrics import Period
from reports.models import Indicator, IndicatorKind, Report, ReportKind, ReportPlan
from tests.conftest import api_list_counts

ClientFor = Callable[[str], Client]
JSON = "application/json"
QUERY_LIMIT = 15  # DESIGN.md: every API list runs a bounded number of queries
OUTSIDERS = ("sara", "anders", "karin", "olof", "ada", "nils")


@pytest.fixture
def as_user(as_api_user: ClientFor) -> ClientFor:
    return as_api_user


def send(client: Client, method: str, url: str, data: Any = None, *, if_match: str | None = None) -> Any:
    headers = {"If-Match": if_match} if if_match else {}
    if method == "get":
        return client.get(url, headers=headers)
    return getattr(client, method)(
        url, data=json.dumps(data if data is not None else {}), content_type=JSON, headers=headers
    )


def etag_of(record: Any) -> str:
    return f'"{record.pk}-{record.version}"'


def fresh[M](record: M) -> M:
    return type(record)._default_manager.get(pk=record.pk)  # type: ignore[attr-defined]


def events(user: Any, action: str) -> Any:
    return AuditEvent.objects.filter(actor_id=user.pk, action=action).order_by("-id")


def last_quarter() -> Period:
    return services.last_finished_quarter(timezone.localdate())


def next_quarter() -> Period:
    today = timezone.localdate()
    quarter = (today.month + 2) // 3
    return Period.quarter(today.year + 1, 1) if quarter == 4 else Period.quarter(today.year, quarter + 1)


def reports_of(world: dict[str, Any]) -> int:
    return Report.objects.filter(program_id=world["lena"].program_id).count()


# --------------------------------------------------------------------------------------------------
# Ordering


def test_lena_orders_a_quarterly_report_and_it_is_queued(world: dict[str, Any], as_user: ClientFor) -> None:
    quarter = last_quarter()
    lena = world["lena"]
    response = send(
        as_user("lena"),
        "post",
        "/api/reports/",
        {"kind": "quarterly", "year": quarter.first.year, "quarter": quarter.quarter_number},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    report = Report.objects.get(pk=data["id"])
    assert report.program_id == lena.program_id
    assert data["kind"] == "quarterly"
    assert data["label"] == quarter.label
    assert data["period_first"] == quarter.first.isoformat()
    assert data["period_last"] == quarter.last.isoformat()
    assert data["baseline_year"] == 2019  # the plan's
    assert data["edition"] == 2  # the demo built the first
    assert data["status"] == "queued"
    assert data["ordered_by"] == lena.pk
    assert data["ordered_by_name"] == lena.get_full_name()
    assert data["scheduled"] is False
    assert data["results"] is None
    assert data["pdf_url"] is data["csv_url"] is data["xlsx_url"] is None
    assert events(lena, AuditAction.CREATE).first().object_id == str(report.pk)
    # A yearly report with its own baseline.
    yearly = send(
        as_user("lena"),
        "post",
        "/api/reports/",
        {"kind": "yearly", "year": quarter.first.year - 1, "baseline_year": 2018},
    )
    assert yearly.status_code == 201, yearly.content
    assert yearly.json()["baseline_year"] == 2018
    assert yearly.json()["label"] == str(quarter.first.year - 1)


def test_ordering_bad_periods_is_a_400_naming_the_field(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    today = timezone.localdate()
    quarter = last_quarter()
    upcoming = next_quarter()
    before = reports_of(world)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"kind": "quarterly", "year": upcoming.first.year, "quarter": upcoming.quarter_number},
            "quarter" if upcoming.first.year == today.year else "year",
            "That period has not begun." if upcoming.first.year == today.year else "Give a year from 2000 to",
        ),
        ({"kind": "yearly", "year": today.year + 1}, "year", f"Give a year from 2000 to {today.year}."),
        ({"kind": "quarterly", "year": quarter.first.year}, "quarter", "Choose a quarter, 1 to 4."),
        ({"kind": "quarterly", "year": quarter.first.year, "quarter": None}, "quarter", "Choose a quarter, 1 to 4."),
        (
            {"kind": "yearly", "year": quarter.first.year, "quarter": 2},
            "quarter",
            "A yearly report covers the whole year: leave the quarter empty.",
        ),
        (
            {"kind": "yearly", "year": 2020, "baseline_year": 2020},
            "baseline_year",
            "The baseline year comes before the report's year",
        ),
        (
            {"kind": "quarterly", "year": 2020, "quarter": 1, "baseline_year": 2024},
            "baseline_year",
            "The baseline year comes before the report's year",
        ),
    ]
    for body, field, message in cases:
        response = send(lena, "post", "/api/reports/", body)
        assert response.status_code == 400, (body, response.status_code, response.content)
        errors = response.json()
        assert list(errors) == [field], (body, errors)
        assert errors[field][0].startswith(message), (body, errors)
    assert reports_of(world) == before


def test_ordering_junk_is_a_400_never_a_500(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    before = reports_of(world)
    cases: list[tuple[Any, str]] = [
        ({"kind": "monthly", "year": 2024}, "kind"),
        ({"year": 2024}, "kind"),
        ({"kind": "yearly"}, "year"),
        ({"kind": "yearly", "year": "twenty"}, "year"),
        ({"kind": "yearly", "year": "٢٠٢٤"}, "year"),  # Arabic-Indic digits: not an ASCII number
        ({"kind": "yearly", "year": 2024.5}, "year"),
        ({"kind": "yearly", "year": [2024]}, "year"),
        ({"kind": "yearly", "year": True}, "year"),
        ({"kind": "yearly", "year": 10**30}, "year"),
        ({"kind": "yearly", "year": 1999}, "year"),
        ({"kind": "quarterly", "year": 2024, "quarter": "first"}, "quarter"),
        ({"kind": "quarterly", "year": 2024, "quarter": 5}, "quarter"),
        ({"kind": "quarterly", "year": 2024, "quarter": 0}, "quarter"),
        ({"kind": "yearly", "year": 2024, "baseline_year": {"year": 2019}}, "baseline_year"),
        ({"kind": ["yearly"], "year": 2024}, "kind"),
        ([{"kind": "yearly", "year": 2024}], "non_field_errors"),
    ]
    for body, field in cases:
        response = send(lena, "post", "/api/reports/", body)
        assert response.status_code == 400, (body, response.status_code, response.content)
        assert field in response.json(), (body, response.json())
    assert lena.post("/api/reports/", data="{not json", content_type=JSON).status_code == 400
    assert reports_of(world) == before


def test_only_the_program_lead_orders(world: dict[str, Any], as_user: ClientFor) -> None:
    quarter = last_quarter()
    body = {"kind": "quarterly", "year": quarter.first.year, "quarter": quarter.quarter_number}
    before = Report.objects.count()
    for name in ("petra", "erik", *OUTSIDERS):
        # Refused before the body is read: junk gets the same 404.
        assert send(as_user(name), "post", "/api/reports/", body).status_code == 404, name
        assert send(as_user(name), "post", "/api/reports/", {"kind": "junk"}).status_code == 404, name
    assert Report.objects.count() == before
    # Maja orders Örebro's.
    response = send(as_user("maja"), "post", "/api/reports/", body)
    assert response.status_code == 201
    assert Report.objects.get(pk=response.json()["id"]).program_id == world["maja"].program_id


# --------------------------------------------------------------------------------------------------
# Reading: the list, the detail and its cells


def test_the_detail_carries_exactly_the_stored_cells(world: dict[str, Any], as_user: ClientFor) -> None:
    report = fresh(world["malmo_report"])
    assert report.status == Report.Status.DONE
    assert report.results
    for name in ("lena", "petra", "erik"):
        response = as_user(name).get(f"/api/reports/{report.pk}/")
        assert response.status_code == 200
        data = response.json()
        assert data["results"] == json.loads(json.dumps(report.results))
        assert data["status"] == "done"
        assert data["data_as_of"] is not None
        assert data["finished_at"] is not None
        assert data["pdf_url"] == f"/api/reports/{report.pk}/pdf/"
        assert data["csv_url"] == f"/api/reports/{report.pk}/csv/"
        assert data["xlsx_url"] == f"/api/reports/{report.pk}/xlsx/"
        event = events(world[name], AuditAction.VIEW).first()
        assert event.object_id == str(report.pk)
        assert event.object_type == "reports.report"
    # A failed build: its error for the reader, no cells and no downloads.
    failed = world["malmo_report_failed"]
    data = as_user("petra").get(f"/api/reports/{failed.pk}/").json()
    assert data["status"] == "failed"
    assert data["error"] == "OperationalError: the database connection was lost"
    assert data["results"] is None
    assert data["pdf_url"] is data["csv_url"] is data["xlsx_url"] is None


def test_a_queued_report_shows_no_cells_even_if_some_are_stored(world: dict[str, Any], as_user: ClientFor) -> None:
    """Only a done report's cells are published: a build under way shows none."""
    report = world["malmo_report_failed"]
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, results={"metrics": []})
    data = as_user("lena").get(f"/api/reports/{report.pk}/").json()
    assert data["status"] == "running"
    assert data["results"] is None


def test_the_list_filters_sorts_and_is_audited(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    done, failed = world["malmo_report"], world["malmo_report_failed"]
    response = lena.get("/api/reports/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {done.pk, failed.pk}
    assert all("results" not in row for row in rows)  # the cells are the detail's
    event = events(world["lena"], AuditAction.LIST).first()
    assert event.object_type == "reports.report"
    assert set(event.object_ids) == {str(done.pk), str(failed.pk)}

    def ids(query: str) -> list[int]:
        answer = lena.get(f"/api/reports/?{query}")
        assert answer.status_code == 200, (query, answer.content)
        return [row["id"] for row in answer.json()["results"]]

    assert ids("kind=quarterly") == [done.pk]
    assert ids("kind=yearly") == [failed.pk]
    assert ids("status=failed") == [failed.pk]
    assert ids("status=queued") == []
    assert ids(f"year={done.period_first.year}") == [done.pk] + (
        [failed.pk] if failed.period_first.year == done.period_first.year else []
    )
    assert ids("year=2001") == []
    assert ids("sort=period")[0] == min((done, failed), key=lambda r: r.period_first).pk
    assert ids("sort=-period")[0] == max((done, failed), key=lambda r: r.period_first).pk
    newest_order = sorted((fresh(done), fresh(failed)), key=lambda r: (r.ordered_at, r.pk), reverse=True)
    assert ids("sort=-ordered") == [r.pk for r in newest_order]
    assert ids("sort=ordered") == [r.pk for r in reversed(newest_order)]
    for bad in ("kind=monthly", "status=lost", "year=abc", "year=1999", "sort=price"):
        answer = lena.get(f"/api/reports/?{bad}")
        assert answer.status_code == 400, bad
        assert set(answer.json()) == {bad.split("=")[0]}, bad
    assert lena.get("/api/reports/?page=0").status_code == 404  # as every paginated list answers


def test_others_see_no_report(world: dict[str, Any], as_user: ClientFor) -> None:
    report = world["malmo_report"]
    for name in OUTSIDERS:
        client = as_user(name)
        assert client.get("/api/reports/").status_code == 404, name
        assert client.get(f"/api/reports/{report.pk}/").status_code == 404, name
        for fmt in ("pdf", "csv", "xlsx"):
            assert client.get(f"/api/reports/{report.pk}/{fmt}/").status_code == 404, (name, fmt)
    # Maja: her list answers, with Örebro's only; Malmö's report is not there for her.
    maja = as_user("maja")
    assert [row["id"] for row in maja.get("/api/reports/").json()["results"]] == [world["orebro_report"].pk]
    assert maja.get(f"/api/reports/{report.pk}/").status_code == 404
    assert as_user("lena").get(f"/api/reports/{world['orebro_report'].pk}/").status_code == 404
    # A missing report reads the same.
    assert as_user("lena").get("/api/reports/999999999/").status_code == 404


# --------------------------------------------------------------------------------------------------
# Immutable; retry and rebuild


def test_a_report_cannot_be_changed_or_deleted(world: dict[str, Any], as_user: ClientFor) -> None:
    report = fresh(world["malmo_report"])
    lena = as_user("lena")
    for method in ("put", "patch", "delete"):
        response = send(lena, method, f"/api/reports/{report.pk}/", {"baseline_year": 2018, "label": "x"})
        assert response.status_code == 405, (method, response.status_code)
    assert send(lena, "put", "/api/reports/", {}).status_code == 405
    after = fresh(report)
    assert (after.baseline_year, after.label, after.results, after.status) == (
        report.baseline_year,
        report.label,
        report.results,
        report.status,
    )


def test_only_a_failed_build_is_retried(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    done = world["malmo_report"]
    response = send(lena, "post", f"/api/reports/{done.pk}/retry/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only a report whose build failed or stalled can be retried."]}
    assert fresh(done).status == Report.Status.DONE
    failed = world["malmo_report_failed"]
    for name in ("petra", "erik", "maja", *OUTSIDERS):
        assert send(as_user(name), "post", f"/api/reports/{failed.pk}/retry/").status_code == 404, name
    assert fresh(failed).status == Report.Status.FAILED
    response = send(lena, "post", f"/api/reports/{failed.pk}/retry/")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["id"] == failed.pk  # the same edition: it was never published
    assert data["status"] == "queued"
    assert data["error"] == ""
    # Queued now: a second retry is refused.
    assert send(lena, "post", f"/api/reports/{failed.pk}/retry/").status_code == 400


def test_a_rebuild_is_a_new_edition_and_the_old_stays(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    old = fresh(world["malmo_report"])
    for name in ("petra", "erik", "maja", *OUTSIDERS):
        assert send(as_user(name), "post", f"/api/reports/{old.pk}/rebuild/").status_code == 404, name
    response = send(lena, "post", f"/api/reports/{old.pk}/rebuild/")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id"] != old.pk
    assert data["edition"] == old.edition + 1
    assert (data["label"], data["kind"], data["baseline_year"]) == (old.label, old.kind, old.baseline_year)
    assert data["status"] == "queued"
    assert data["results"] is None
    assert data["ordered_by"] == world["lena"].pk
    kept = fresh(old)
    assert (kept.status, kept.results, kept.pdf_sha256, kept.edition) == (
        old.status,
        old.results,
        old.pdf_sha256,
        old.edition,
    )
    # Only a finished report is built again; a failed one is retried.
    response = send(lena, "post", f"/api/reports/{world['malmo_report_failed'].pk}/rebuild/")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# --------------------------------------------------------------------------------------------------
# Downloads


def test_every_download_is_audited(world: dict[str, Any], as_user: ClientFor) -> None:
    report = fresh(world["malmo_report"])
    for name in ("lena", "petra", "erik"):
        client = as_user(name)
        pdf = client.get(f"/api/reports/{report.pk}/pdf/")
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert "attachment" in pdf["Content-Disposition"]
        assert ".pdf" in pdf["Content-Disposition"]
        assert pdf["Cache-Control"] == "private, no-store"
        body = pdf.getvalue()
        assert body.startswith(b"%PDF-")
        with report.pdf.open("rb") as stored:
            assert body == stored.read()
        csv = client.get(f"/api/reports/{report.pk}/csv/")
        assert csv.status_code == 200
        assert csv["Content-Type"].startswith("text/csv")
        assert f"{report.label}-v{report.edition}.csv" in csv["Content-Disposition"]
        assert report.label in csv.content.decode("utf-8-sig")
        xlsx = client.get(f"/api/reports/{report.pk}/xlsx/")
        assert xlsx.status_code == 200
        assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert xlsx.content.startswith(b"PK")
        exports = list(events(world[name], AuditAction.EXPORT)[:3])
        assert [(e.object_id, e.detail["format"]) for e in exports] == [
            (str(report.pk), "xlsx"),
            (str(report.pk), "csv"),
            (str(report.pk), "pdf"),
        ]


def test_the_csv_shows_the_stored_cells(world: dict[str, Any], as_user: ClientFor) -> None:
    """The export reads the same stored cells as the detail: the incident count of the period is in both."""
    import csv as csv_module

    report = fresh(world["malmo_report"])
    detail = as_user("lena").get(f"/api/reports/{report.pk}/").json()["results"]
    shootings = next(row for row in detail["metrics"] if row["key"] == "incidents.shootings")
    text = as_user("lena").get(f"/api/reports/{report.pk}/csv/").content.decode("utf-8-sig")
    rows = list(csv_module.reader(io.StringIO(text), delimiter=";"))
    row = next(row for row in rows if row and row[-1] == "incidents.shootings")
    assert row[2] == str(shootings["value"])


def test_no_download_until_the_report_is_done(world: dict[str, Any], as_user: ClientFor) -> None:
    failed = world["malmo_report_failed"]
    queued = services.order_report(world["lena"], kind=ReportKind.YEARLY, year=2024, enqueue=False)
    for report in (failed, queued):
        for fmt in ("pdf", "csv", "xlsx"):
            assert as_user("lena").get(f"/api/reports/{report.pk}/{fmt}/").status_code == 404, (report, fmt)
    assert not events(world["lena"], AuditAction.EXPORT).exists()


# --------------------------------------------------------------------------------------------------
# Indicators


def _indicator_body(period: Period, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "health_care_admissions",
        "period_first": period.first.isoformat(),
        "period_last": period.last.isoformat(),
        "value": "3",
        "source": "Region Skåne, slutenvård",
        "source_date": timezone.localdate().isoformat(),
        **changes,
    }


def test_lena_enters_corrects_and_removes_an_indicator(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    period = last_quarter()
    response = send(lena, "post", "/api/report-indicators/", _indicator_body(period, note="Två patienter."))
    assert response.status_code == 201, response.content
    data = response.json()
    indicator = Indicator.objects.get(pk=data["id"])
    assert response["ETag"] == etag_of(indicator)
    assert (data["goal"], data["unit"], data["label"]) == (4, "persons", period.label)
    assert data["value"] == "3.0"
    assert data["entered_by"] == world["lena"].pk
    assert data["version"] == 1
    assert indicator.program_id == world["lena"].program_id
    url = f"/api/report-indicators/{indicator.pk}/"
    # Read, then correct with the ETag of the read.
    read = lena.get(url)
    assert read.status_code == 200
    assert read["ETag"] == etag_of(indicator)
    patched = send(lena, "patch", url, {"value": "4"}, if_match=read["ETag"])
    assert patched.status_code == 200, patched.content
    assert patched.json()["value"] == "4.0"
    assert patched["ETag"] == etag_of(fresh(indicator)) != read["ETag"]
    # The old ETag is stale now: 412, nothing changes.
    stale = send(lena, "patch", url, {"value": "9"}, if_match=read["ETag"])
    assert stale.status_code == 412
    assert fresh(indicator).value == Decimal(4)
    assert send(lena, "patch", url, {"value": "9"}).status_code == 428
    # PUT replaces every field (the whole year now).
    year = Period.year(period.first.year - 1)
    body = _indicator_body(year, kind="health_care_cost", value="812.3", source="Region Skåne, kostnader")
    put = send(lena, "put", url, body, if_match=patched["ETag"])
    assert put.status_code == 200, put.content
    assert (put.json()["kind"], put.json()["label"], put.json()["goal"], put.json()["note"]) == (
        "health_care_cost",
        year.label,
        4,
        "",
    )
    assert send(lena, "put", url, {"value": "1"}, if_match=put["ETag"]).status_code == 400  # fields missing
    # Removal needs the ETag too.
    assert send(lena, "delete", url).status_code == 428
    assert send(lena, "delete", url, if_match=read["ETag"]).status_code == 412
    assert send(lena, "delete", url, if_match=put["ETag"]).status_code == 204
    assert not Indicator.objects.filter(pk=indicator.pk).exists()
    assert lena.get(url).status_code == 404
    actions = set(
        AuditEvent.objects.filter(actor_id=world["lena"].pk, object_id=str(indicator.pk)).values_list(
            "action", flat=True
        )
    )
    assert {AuditAction.CREATE, AuditAction.VIEW, AuditAction.UPDATE, AuditAction.DELETE} <= actions


def test_indicator_checks_are_a_400_naming_the_field(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    period = last_quarter()
    today = timezone.localdate()
    existing = world["malmo_indicator"]
    before = Indicator.objects.count()
    month_last = period.first.replace(day=28)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            _indicator_body(period, period_last=month_last.isoformat()),
            "period_first",
            "An indicator is entered for a quarter or a year.",
        ),
        (
            _indicator_body(period, period_last=(period.first - timedelta(days=1)).isoformat()),
            "period_last",
            "The period ends on or after its first day.",
        ),
        (
            _indicator_body(period, source_date=(today + timedelta(days=1)).isoformat()),
            "source_date",
            "The source's date cannot be in the future.",
        ),
        (
            _indicator_body(
                Period.between(existing.period_first, existing.period_last), kind="police_hours", value="10"
            ),
            "period_first",
            "A value for this indicator and period is entered already.",
        ),
        (_indicator_body(period, kind="crime_rate"), "kind", ""),
        (_indicator_body(period, value="-1"), "value", ""),
        (_indicator_body(period, value="1.25"), "value", ""),
        (_indicator_body(period, value="2.5"), "value", "A number of persons is a whole number."),
        (_indicator_body(period, value="NaN"), "value", ""),
        (_indicator_body(period, value="1e20"), "value", ""),
        (_indicator_body(period, value=[1]), "value", ""),
        (_indicator_body(period, source=""), "source", ""),
        (_indicator_body(period, source="x" * 301), "source", ""),
        (_indicator_body(period, period_first="2025-13-01"), "period_first", ""),
        (_indicator_body(period, period_first="0001-01-01"), "period_first", ""),
        (_indicator_body(period, source_date=None), "source_date", ""),
        (_indicator_body(period, note="x" * 2001), "note", ""),
    ]
    for body, field, message in cases:
        response = send(lena, "post", "/api/report-indicators/", body)
        assert response.status_code == 400, (body, response.status_code, response.content)
        errors = response.json()
        assert field in errors, (body, errors)
        assert errors[field][0].startswith(message), (body, errors)
    assert Indicator.objects.count() == before
    # A correction into a period that has a value already: 400, nothing changes.
    other = services.add_indicator(
        world["lena"],
        {
            "kind": IndicatorKind.POLICE_HOURS,
            "period_first": Period.year(2023).first,
            "period_last": Period.year(2023).last,
            "value": Decimal(9000),
            "source": "Polisregion Syd",
            "source_date": today,
        },
    )
    clash = send(
        lena,
        "patch",
        f"/api/report-indicators/{other.pk}/",
        {"period_first": existing.period_first.isoformat(), "period_last": existing.period_last.isoformat()},
        if_match=etag_of(other),
    )
    assert clash.status_code == 400
    assert clash.json() == {"period_first": ["A value for this indicator and period is entered already."]}
    assert fresh(other).version == other.version


def test_indicators_are_the_program_leads_own(world: dict[str, Any], as_user: ClientFor) -> None:
    mine, theirs = world["malmo_indicator"], world["orebro_indicator"]
    lena = as_user("lena")
    rows = lena.get("/api/report-indicators/").json()["results"]
    assert {row["id"] for row in rows} == set(
        Indicator.objects.filter(program_id=world["lena"].program_id).values_list("pk", flat=True)
    )
    assert theirs.pk not in {row["id"] for row in rows}
    hours = lena.get("/api/report-indicators/?kind=police_hours").json()["results"]
    assert mine.pk in {row["id"] for row in hours}
    assert all(row["kind"] == "police_hours" and row["goal"] == 3 and row["unit"] == "hours" for row in hours)
    assert lena.get("/api/report-indicators/?kind=crime").status_code == 400
    for method, body in (("get", None), ("patch", {"value": "1"}), ("delete", None)):
        response = send(lena, method, f"/api/report-indicators/{theirs.pk}/", body, if_match=etag_of(theirs))
        assert response.status_code == 404, method
    for name in ("petra", "erik", *OUTSIDERS):
        client = as_user(name)
        assert client.get("/api/report-indicators/").status_code == 404, name
        assert client.get(f"/api/report-indicators/{mine.pk}/").status_code == 404, name
        # Refused before If-Match is asked for.
        assert send(client, "patch", f"/api/report-indicators/{mine.pk}/", {"value": "1"}).status_code == 404
        assert send(client, "delete", f"/api/report-indicators/{mine.pk}/").status_code == 404
        body = _indicator_body(last_quarter())
        assert send(client, "post", "/api/report-indicators/", body).status_code == 404, name
    assert fresh(mine).version == mine.version


# --------------------------------------------------------------------------------------------------
# The report plan


def test_lena_changes_the_plan_with_if_match(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    plan = fresh(world["malmo_plan"])
    read = lena.get("/api/report-plan/")
    assert read.status_code == 200
    assert read.json() | {"updated_at": None} == {
        "baseline_year": 2019,
        "quarterly": True,
        "yearly": True,
        "version": plan.version,
        "updated_at": None,
    }
    assert read["ETag"] == etag_of(plan)
    assert events(world["lena"], AuditAction.VIEW).first().object_type == "reports.reportplan"
    assert send(lena, "patch", "/api/report-plan/", {"baseline_year": 2018}).status_code == 428
    changed = send(lena, "patch", "/api/report-plan/", {"baseline_year": 2018, "yearly": False}, if_match=read["ETag"])
    assert changed.status_code == 200, changed.content
    assert (changed.json()["baseline_year"], changed.json()["yearly"], changed.json()["quarterly"]) == (
        2018,
        False,
        True,
    )
    assert changed["ETag"] == etag_of(fresh(plan)) != read["ETag"]
    stale = send(lena, "patch", "/api/report-plan/", {"baseline_year": 2017}, if_match=read["ETag"])
    assert stale.status_code == 412
    assert fresh(plan).baseline_year == 2018
    # A report ordered without a baseline takes the plan's.
    quarter = last_quarter()
    ordered = send(
        lena,
        "post",
        "/api/reports/",
        {"kind": "quarterly", "year": quarter.first.year, "quarter": quarter.quarter_number},
    )
    assert ordered.json()["baseline_year"] == 2018
    # Örebro's plan is untouched.
    assert fresh(world["orebro_plan"]).baseline_year == 2019


def test_plan_bad_input_and_other_roles(world: dict[str, Any], as_user: ClientFor) -> None:
    lena = as_user("lena")
    plan = fresh(world["malmo_plan"])
    this_year = timezone.localdate().year
    for body, field in (
        ({"baseline_year": this_year}, "baseline_year"),
        ({"baseline_year": 1999}, "baseline_year"),
        ({"baseline_year": "last"}, "baseline_year"),
        ({"baseline_year": 10**30}, "baseline_year"),
        ({"quarterly": "perhaps"}, "quarterly"),
    ):
        response = send(lena, "patch", "/api/report-plan/", body, if_match=etag_of(plan))
        assert response.status_code == 400, (body, response.content)
        assert list(response.json()) == [field], body
    assert fresh(plan).version == plan.version
    for name in ("petra", "erik", *OUTSIDERS):
        client = as_user(name)
        assert client.get("/api/report-plan/").status_code == 404, name
        assert send(client, "patch", "/api/report-plan/", {"yearly": False}).status_code == 404, name
    assert send(lena, "put", "/api/report-plan/", {}).status_code == 405
    # Maja reads and changes Örebro's.
    maja = as_user("maja")
    theirs = fresh(world["orebro_plan"])
    assert maja.get("/api/report-plan/")["ETag"] == etag_of(theirs)
    assert send(maja, "patch", "/api/report-plan/", {"yearly": False}, if_match=etag_of(plan)).status_code == 412
    response = send(maja, "patch", "/api/report-plan/", {"yearly": False}, if_match=etag_of(theirs))
    assert response.status_code == 200
    assert fresh(theirs).yearly is False
    assert fresh(plan).yearly is True
    assert ReportPlan.objects.count() == 2


# --------------------------------------------------------------------------------------------------
# Query counts


def _more(world: dict[str, Any], count: int, start: int) -> None:
    lena = world["lena"]
    for offset in range(count):
        year = 2005 + start + offset
        services.order_report(lena, kind=ReportKind.YEARLY, year=year, baseline_year=2004, enqueue=False)
        # One made by the schedule (no one ordered it).
        Report.objects.create(
            program_id=lena.program_id,
            kind=ReportKind.QUARTERLY,
            period_first=Period.quarter(year, 1).first,
            period_last=Period.quarter(year, 1).last,
            label=Period.quarter(year, 1).label,
            baseline_year=2004,
            status=Report.Status.DONE,
            results=world["malmo_report"].results,
        )
        for kind in (IndicatorKind.SAFETY_SURVEY, IndicatorKind.HEALTH_CARE_COST):
            services.add_indicator(
                lena,
                {
                    "kind": kind,
                    "period_first": Period.year(year).first,
                    "period_last": Period.year(year).last,
                    "value": Decimal(60 + offset),
                    "source": "Enkät",
                    "source_date": timezone.localdate(),
                },
            )


LISTS = [
    ("lena", "/api/reports/?page_size=100"),
    ("petra", "/api/reports/?page_size=100&sort=-ordered"),
    ("lena", "/api/report-indicators/?page_size=100"),
]


def _counts(as_user: ClientFor) -> dict[str, tuple[int, int]]:
    return api_list_counts(as_user, LISTS, QUERY_LIMIT)


def test_list_queries_do_not_grow_with_the_data(world: dict[str, Any], as_user: ClientFor) -> None:
    _more(world, 2, 0)
    few = _counts(as_user)
    _more(world, 6, 2)
    many = _counts(as_user)
    for key, (queries, shown) in few.items():
        assert many[key][0] == queries, (key, queries, many[key][0])
        assert many[key][1] >= shown + 6, key
