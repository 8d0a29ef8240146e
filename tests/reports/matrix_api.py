"""Permission-matrix rows for the reports' API: the same expectations as the report pages.

- Reports: the program lead (Lena; Maja in Örebro) reads, orders, retries and rebuilds her own program's; the
  police coordinator (Petra) and the exit coordinator (Erik) read Malmö's (list, detail, downloads) and change
  nothing. Maja's list answers with Örebro's only; Lena gets 404 for Örebro's report.
- Indicators and the plan: the program lead only, each her own program's (Lena 404 for Örebro's indicator).
- Everyone else (Sara, Anders, Karin, Olof, Ada, Nils): 404 everywhere, lists included.

The plan is one object per program at one address: its PATCH row sends the ETags of both plans (If-Match may
list several), so that Lena and Maja each change their own. A change without If-Match (428) or with a stale one
(412), 405 for a change of a report, and 404 for a download of a report that is not done are in
tests/reports/test_api.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from reports.services import last_finished_quarter
from tests.matrix import OK, Expected, Row, filtered, only, register

JSON = "application/json"

REPORTS = ("malmo_report", "malmo_report_failed", "orebro_report")
INDICATORS = ("malmo_indicator", "orebro_indicator")
SUBJECTS: tuple[str, ...] = (*REPORTS, *INDICATORS, "malmo_plan", "orebro_plan")

READERS = ("lena", "petra", "erik")


def _ok(*names: str) -> dict[str, Expected]:
    return only(dict.fromkeys(names, OK))


def _fresh(record: Any) -> Any:
    return type(record)._default_manager.get(pk=record.pk)


def _etag(record: Any) -> str:
    record = _fresh(record)
    return f'"{record.pk}-{record.version}"'


def _if_match_of(*subjects: str) -> Callable[[dict[str, Any]], dict[str, str]]:
    def headers(world: dict[str, Any]) -> dict[str, str]:
        return {"If-Match": ", ".join(_etag(world[name]) for name in subjects)}

    return headers


def _edit(*subjects: str) -> dict[str, Any]:
    return {"headers": _if_match_of(*subjects), "content_type": JSON}


def _order(_world: dict[str, Any]) -> dict[str, Any]:
    quarter = last_finished_quarter(timezone.localdate())
    return {"kind": "quarterly", "year": quarter.first.year, "quarter": quarter.quarter_number}


def _indicator(_world: dict[str, Any]) -> dict[str, Any]:
    quarter = last_finished_quarter(timezone.localdate())
    return {
        "kind": "health_care_cost",
        "period_first": quarter.first.isoformat(),
        "period_last": quarter.last.isoformat(),
        "value": "812.5",
        "source": "Region Skåne (matris)",
        "source_date": timezone.localdate().isoformat(),
    }


def _indicator_replaced(world: dict[str, Any]) -> dict[str, Any]:
    indicator = _fresh(world["malmo_indicator"])
    return {
        "kind": indicator.kind,
        "period_first": indicator.period_first.isoformat(),
        "period_last": indicator.period_last.isoformat(),
        "value": "2500.0",
        "source": "Polisregion Syd (matris)",
        "source_date": indicator.source_date.isoformat(),
        "note": "Rättad (matris).",
    }


# --------------------------------------------------------------------------------------------------
# Reports

register(
    Row(
        "api:report-list",
        "GET",
        None,
        only(
            {
                **{name: filtered("malmo_report", "malmo_report_failed") for name in READERS},
                "maja": filtered("orebro_report"),
            }
        ),
        list_subjects=REPORTS,
    ),
    Row("api:report-list", "POST", None, _ok("lena", "maja"), data=_order, content_type=JSON),
    Row("api:report-detail", "GET", "malmo_report", _ok(*READERS)),
    Row("api:report-detail", "GET", "malmo_report_failed", _ok(*READERS)),
    Row("api:report-detail", "GET", "orebro_report", _ok("maja")),
    Row("api:report-retry", "POST", "malmo_report_failed", _ok("lena"), content_type=JSON),
    Row("api:report-rebuild", "POST", "malmo_report", _ok("lena"), content_type=JSON),
    Row("api:report-rebuild", "POST", "orebro_report", _ok("maja"), content_type=JSON),
    *(Row(f"api:report-{fmt}", "GET", "malmo_report", _ok(*READERS)) for fmt in ("pdf", "csv", "xlsx")),
    *(Row(f"api:report-{fmt}", "GET", "orebro_report", _ok("maja")) for fmt in ("pdf", "csv", "xlsx")),
)


# --------------------------------------------------------------------------------------------------
# Indicators and the plan

register(
    Row(
        "api:reportindicator-list",
        "GET",
        None,
        only({"lena": filtered("malmo_indicator"), "maja": filtered("orebro_indicator")}),
        list_subjects=INDICATORS,
    ),
    Row("api:reportindicator-list", "POST", None, _ok("lena", "maja"), data=_indicator, content_type=JSON),
    Row("api:reportindicator-detail", "GET", "malmo_indicator", _ok("lena")),
    Row("api:reportindicator-detail", "GET", "orebro_indicator", _ok("maja")),
    Row(
        "api:reportindicator-detail",
        "PUT",
        "malmo_indicator",
        _ok("lena"),
        data=_indicator_replaced,
        **_edit("malmo_indicator"),
    ),
    Row(
        "api:reportindicator-detail",
        "PATCH",
        "malmo_indicator",
        _ok("lena"),
        data=lambda _w: {"value": "2450.5"},
        **_edit("malmo_indicator"),
    ),
    Row(
        "api:reportindicator-detail",
        "PATCH",
        "orebro_indicator",
        _ok("maja"),
        data=lambda _w: {"source": "Polisregion Bergslagen (matris)"},
        **_edit("orebro_indicator"),
    ),
    Row("api:reportindicator-detail", "DELETE", "malmo_indicator", _ok("lena"), **_edit("malmo_indicator")),
    Row("api:report-plan", "GET", None, _ok("lena", "maja")),
    Row(
        "api:report-plan",
        "PATCH",
        None,
        _ok("lena", "maja"),
        data=lambda _w: {"baseline_year": 2020, "yearly": False},
        **_edit("malmo_plan", "orebro_plan"),
    ),
)
