"""Permission-matrix rows for the report pages (reports/views.py).

Lena, Malmö's program lead, orders, reads, retries and builds again Malmö's reports, downloads them, enters the
indicators and sets the plan; Maja does the same for Örebro's and nothing of Malmö's, and Lena nothing of
Örebro's. Petra (police coordinator) and Erik (exit coordinator) read Malmö's archive and reports and download
them, nothing more. Everyone else (Sara, Anders, Karin, Olof the auditor, Ada the administrator, Nils in Örebro):
404 on every route. A download of a report that is not done (malmo_report_failed) is 404 for everyone. POST rows
carry data that passes and data that is refused (form errors: 200; a refused retry or rebuild: back to the
report with the reason); the role and the program decide the 404s.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils import timezone

from reports.services import last_finished_quarter
from tests.matrix import OK, Row, filtered, only, register

REPORT_SUBJECTS: tuple[str, ...] = ("malmo_report", "malmo_report_failed", "orebro_report")
INDICATOR_SUBJECTS: tuple[str, ...] = ("malmo_indicator", "orebro_indicator")
SUBJECTS: tuple[str, ...] = (*REPORT_SUBJECTS, *INDICATOR_SUBJECTS, "malmo_plan", "orebro_plan")

LEADS = only({"lena": OK, "maja": OK})
MALMO_READERS = only(dict.fromkeys(("lena", "petra", "erik"), OK))
LENA = only({"lena": OK})
MAJA = only({"maja": OK})
NOBODY = only({})


# --- The archive and ordering ---------------------------------------------------------------------------

register(
    Row(
        "reports:list",
        "GET",
        None,
        only(
            {
                "lena": filtered("malmo_report", "malmo_report_failed"),
                "petra": filtered("malmo_report", "malmo_report_failed"),
                "erik": filtered("malmo_report", "malmo_report_failed"),
                "maja": filtered("orebro_report"),
            }
        ),
        list_subjects=REPORT_SUBJECTS,
    ),
)


def _order(world: dict[str, Any], baseline_year: int) -> dict[str, Any]:
    quarter = last_finished_quarter(timezone.localdate())
    return {
        "kind": "quarterly",
        "year": quarter.first.year,
        "quarter": quarter.quarter_number,
        "baseline_year": baseline_year,
    }


register(
    Row("reports:order", "GET", None, LEADS),
    Row("reports:order", "POST", None, LEADS, data=partial(_order, baseline_year=2019)),
    # refused: the baseline year is not before the report's (the service's message on the form)
    Row("reports:order", "POST", None, LEADS, data=partial(_order, baseline_year=2099)),
)


# --- A report's page, its progress and its downloads --------------------------------------------------------

for route in ("reports:detail", "reports:status"):
    register(
        Row(route, "GET", "malmo_report", MALMO_READERS),
        Row(route, "GET", "malmo_report_failed", MALMO_READERS),
        Row(route, "GET", "orebro_report", MAJA),
    )

for route in ("reports:pdf", "reports:csv", "reports:xlsx"):
    register(
        Row(route, "GET", "malmo_report", MALMO_READERS),
        Row(route, "GET", "orebro_report", MAJA),
        # not built: nothing to download
        Row(route, "GET", "malmo_report_failed", NOBODY),
    )

register(
    Row("reports:retry", "POST", "malmo_report_failed", LENA),
    # refused: a built report is not retried (back to the report with the reason)
    Row("reports:retry", "POST", "malmo_report", LENA),
    Row("reports:rebuild", "POST", "malmo_report", LENA),
    Row("reports:rebuild", "POST", "orebro_report", MAJA),
    # refused: a failed report is retried, not built again
    Row("reports:rebuild", "POST", "malmo_report_failed", LENA),
)


# --- Indicators ---------------------------------------------------------------------------------------------

register(
    Row(
        "reports:indicator-list",
        "GET",
        None,
        only({"lena": filtered("malmo_indicator"), "maja": filtered("orebro_indicator")}),
        list_subjects=INDICATOR_SUBJECTS,
    ),
)


def _new_indicator(world: dict[str, Any], quarter: str) -> dict[str, Any]:
    """Last year's health-care cost (nobody entered one); refused when a quarter is given with a whole year."""
    return {
        "kind": "health_care_cost",
        "period_kind": "year",
        "year": timezone.localdate().year - 1,
        "quarter": quarter,
        "value": "1250.5",
        "source": "Region Skåne, vårdkostnader",
        "source_date": timezone.localdate().isoformat(),
        "note": "",
    }


def _changed_indicator(world: dict[str, Any], subject: str, with_quarter: bool) -> dict[str, Any]:
    """The police hours of the subject's quarter changed; refused without the quarter."""
    indicator = world[subject]
    return {
        "kind": indicator.kind,
        "period_kind": "quarter",
        "year": indicator.period_first.year,
        "quarter": str((indicator.period_first.month + 2) // 3) if with_quarter else "",
        "value": "2500",
        "source": indicator.source,
        "source_date": indicator.source_date.isoformat(),
        "note": "Corrected.",
        "version": indicator.version,
    }


register(
    Row("reports:indicator-create", "GET", None, LEADS),
    Row("reports:indicator-create", "POST", None, LEADS, data=partial(_new_indicator, quarter="")),
    # refused: a whole year with a quarter (a form error)
    Row("reports:indicator-create", "POST", None, LEADS, data=partial(_new_indicator, quarter="2")),
)

for subject, lead in (("malmo_indicator", LENA), ("orebro_indicator", MAJA)):
    register(
        Row("reports:indicator-edit", "GET", subject, lead),
        Row(
            "reports:indicator-edit",
            "POST",
            subject,
            lead,
            data=partial(_changed_indicator, subject=subject, with_quarter=True),
        ),
        # refused: a quarter's value without its quarter (a form error)
        Row(
            "reports:indicator-edit",
            "POST",
            subject,
            lead,
            data=partial(_changed_indicator, subject=subject, with_quarter=False),
        ),
        Row("reports:indicator-delete", "GET", subject, lead),
        Row("reports:indicator-delete", "POST", subject, lead),
    )


# --- The plan -----------------------------------------------------------------------------------------------


def _plan(world: dict[str, Any], baseline_year: int) -> dict[str, Any]:
    # Malmö's version: for Maja a stale one, which shows both versions (200), as a refusal does.
    return {"baseline_year": baseline_year, "quarterly": "on", "version": world["malmo_plan"].version}


register(
    Row("reports:plan", "GET", None, LEADS),
    Row("reports:plan", "POST", None, LEADS, data=partial(_plan, baseline_year=2018)),
    # refused: a baseline year that has not ended (a form error)
    Row("reports:plan", "POST", None, LEADS, data=partial(_plan, baseline_year=2099)),
)
