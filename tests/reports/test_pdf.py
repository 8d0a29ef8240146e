"""The report's PDF (reports/pdf.py), read back with pdftotext: the numbers in it equal numbers counted here from
the records the test makes, with the baseline comparison and the suppressed cells; the cover's stamps, the four
goals, the indicators (a missing value as missing), the note on suppression, the definitions and page numbers.

Lena, the program lead, orders the quarterly report of 2013 Q2 with baseline year 2012, and it is built as the
Celery task builds it (reports.services.build), on a fixed clock. The records are made through the apps' own
services: Petra's incidents and call-in, Sara's referrals and exit case, Lena's indicators. The demo's own records
lie in recent years, so nothing else falls in these periods.

The PDF speaks Swedish: every text the test looks for is translated as the PDF translates it (to Swedish when the
catalogue is compiled), and numbers are written the Swedish way (decimal comma).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from cases.services import person_create
from gvi import demo
from gvi.accounts.models import Program
from gvi.mapping import services as mapping
from outreach.services import cases as exit_cases
from outreach.services import referrals
from reports import services
from reports.charts import period_text
from reports.definitions import DEFINITIONS, LEGEND
from reports.metrics import Period
from reports.models import Goal, IndicatorKind, Report, ReportKind
from reports.pdf import goal_heading, render_pdf
from tests.conftest import max_queries
from tests.reports.test_metrics import STOCKHOLM, _call_in, at

PERIOD = Period.quarter(2013, 2)
PREVIOUS = Period.quarter(2013, 1)
BASELINE = Period.quarter(2012, 2)
BASELINE_YEAR = 2012
BUILT_AT = datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
BUILT_STAMP = "2024-03-05 09:30 CET"  # Swedish local time, winter

SHOOTINGS = [
    at(2012, 4, 2),
    at(2012, 5, 1),
    at(2012, 5, 20),
    at(2012, 6, 10),
    at(2012, 6, 29),  # the baseline quarter: 5
    at(2013, 1, 15),
    at(2013, 3, 31, 23, 30),  # the previous quarter: 2 (the last in its final half hour)
    at(2013, 4, 3),
    at(2013, 4, 20),
    at(2013, 5, 9),
    at(2013, 6, 30, 23, 30),  # the quarter: 4
    at(2013, 7, 1, 0, 15),  # the next quarter, though still 30 June in UTC
]
EXPLOSIONS = [at(2012, 5, 5)]  # the baseline only: the quarter has 0
# The call-in of the quarter: seven invited, five attended, one left early, one absent.
ATTENDANCE = ["attended"] * 5 + ["left_early", "absent"]
# Referrals received in the quarter, by source: five self-referrals and one from a school.
REFERRALS = ["self"] * 5 + ["school"]
POLICE_HOURS = {PREVIOUS: Decimal("900"), PERIOD: Decimal("850")}
POLICE_SOURCE = "Polisregion Syd, testkälla"


def sv(text: Any) -> str:
    """A text (a msgid, or a lazy translation) as the PDF writes it: in Swedish when the catalogue has it."""
    with translation.override("sv"):
        return gettext(text) if isinstance(text, str) else str(text)


def sv_number(value: int | float, *, signed: bool = False) -> str:
    """A number as a Swedish report writes it, here without Django: a decimal comma, a sign on a change."""
    text = f"{value:.1f}".replace(".", ",") if isinstance(value, float) else str(value)
    return f"+{text}" if signed and value > 0 else text


def in_period(moment: datetime, period: Period) -> bool:
    return period.first <= moment.astimezone(STOCKHOLM).date() <= period.last


def count(moments: list[datetime], period: Period) -> int:
    return sum(1 for moment in moments if in_period(moment, period))


# --------------------------------------------------------------------------------------------------
# Reading the PDF


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed: cannot read the PDF")
    return path


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    command = [_poppler("pdftotext"), "-layout", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, check=True, capture_output=True).stdout.decode()


def flat(text: str) -> str:
    return " ".join(text.split())


def table_row(text: str, title: str) -> list[str]:
    """The seven cells of the metric table's row with this title: value, previous, baseline, change from the
    previous (number, %), change from the baseline (number, %)."""
    found = []
    for line in text.splitlines():
        match = re.match(rf"^\s*{re.escape(title)}\s{{2,}}(.+)$", line)
        if match and len(cells := match[1].split()) == 7:
            found.append(cells)
    assert len(found) == 1, f"one table row titled {title!r}, found {found}"
    return found[0]


def metric_row(text: str, key: str) -> list[str]:
    return table_row(text, sv(DEFINITIONS[key].title))


def section(text: str, heading: str, following: str) -> str:
    """The text under a heading up to the next (the last occurrences: the contents list names them first)."""
    return text[text.rindex(heading) : text.rindex(following)]


# --------------------------------------------------------------------------------------------------
# The records and the report


@dataclass(frozen=True)
class Built:
    """The report as built (its row rolled back since: see `built`), its PDF and the PDF's text."""

    report: Report
    pdf: bytes
    text: str
    world: dict[str, Any]

    def again(self) -> Report:
        """The report as it was stored, to render again (in memory: its row is gone, its program and Lena not)."""
        lena = self.world["lena"]
        fields = {f: getattr(self.report, f) for f in ("kind", "period_first", "period_last", "label", "edition")}
        return Report(
            **fields,
            program=Program.objects.get(pk=lena.program_id),  # a fresh copy: a test may rename it
            ordered_by=lena,
            baseline_year=BASELINE_YEAR,
            status=Report.Status.DONE,
            finished_at=self.report.finished_at,
            results=copy.deepcopy(self.report.results),
        )


def _incidents(world: dict[str, Any]) -> None:
    for kind, moments in (("shooting", SHOOTINGS), ("explosion", EXPLOSIONS)):
        for moment in moments:
            mapping.incident_create(
                actor=world["petra"], kind=kind, occurred_at=moment, place="Testgatan 1", district="Rosengård"
            )


def _call_in_of_the_quarter(world: dict[str, Any]) -> None:
    petra, anders = world["petra"], world["anders"]
    group = mapping.group_create(actor=anders, name="Grupp Rapporten", district="Rosengård")
    members = []
    for n in range(len(ATTENDANCE)):
        person = person_create(actor=petra, given_name=f"Inbjuden{n}", family_name="Test", birth_year=1996)
        mapping.membership_add(
            actor=anders,
            group=group,
            person=person,
            confidence="confirmed",
            source="test",
            valid_from=date(2013, 1, 1),
            last_confirmed=date(2013, 3, 1),
        )
        members.append(person)
    _call_in(world, group, at(2013, 5, 8, 18), members, ATTENDANCE)


def _exit_program(world: dict[str, Any]) -> None:
    sara = world["sara"]
    for n, source in enumerate(REFERRALS):
        person = person_create(actor=sara, given_name=f"Hänvisad{n}", family_name="Test", birth_year=2001)
        referrals.referral_create(
            actor=sara,
            source_person=person,
            receiving_agency=sara.agency,
            receiving_team=sara.team,
            reason="Vill ut.",
            source=source,
            received_on=date(2013, 4, 10 + n),
        )
        if n == 0:  # one intake in the quarter
            exit_cases.exit_case_open(actor=sara, person=person, responsible=sara, opened_on=date(2013, 5, 15))


def _indicators(world: dict[str, Any]) -> None:
    for period, value in POLICE_HOURS.items():
        services.add_indicator(
            world["lena"],
            {
                "kind": IndicatorKind.POLICE_HOURS,
                "period_first": period.first,
                "period_last": period.last,
                "value": value,
                "source": POLICE_SOURCE,
                "source_date": period.last.replace(day=15) if period == PERIOD else date(2013, 4, 20),
                "note": "",
            },
        )


@pytest.fixture(scope="module")
def built(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The records made and the report built once for this module's tests, which only read the PDF; then rolled
    back, so that no other test sees them."""
    with django_db_blocker.unblock(), transaction.atomic():
        world: dict[str, Any] = demo.build_demo()
        _incidents(world)
        _call_in_of_the_quarter(world)
        _exit_program(world)
        _indicators(world)
        with time_machine.travel(BUILT_AT, tick=False):
            ordered = services.order_report(
                world["lena"],
                kind=ReportKind.QUARTERLY,
                year=2013,
                quarter=2,
                baseline_year=BASELINE_YEAR,
                enqueue=False,
            )
            report = services.build(ordered.pk)
        assert report is not None
        assert report.status == Report.Status.DONE, report.error
        with report.pdf.open("rb") as stored:
            pdf = stored.read()
        transaction.set_rollback(True)
    text = pdf_text(pdf, tmp_path_factory.mktemp("pdf"))
    return Built(report=report, pdf=pdf, text=text, world=world)


# --------------------------------------------------------------------------------------------------
# The numbers


def test_the_shootings_row_shows_the_counts_and_the_changes_against_the_previous_period_and_the_baseline(
    built: Built,
) -> None:
    now, previous, baseline = count(SHOOTINGS, PERIOD), count(SHOOTINGS, PREVIOUS), count(SHOOTINGS, BASELINE)
    assert (now, previous, baseline) == (4, 2, 5)  # what the records above were made to give
    assert metric_row(built.text, "incidents.shootings") == [
        sv_number(now),
        sv_number(previous),
        sv_number(baseline),
        sv_number(now - previous, signed=True),
        sv_number(round(100 * (now - previous) / previous, 1), signed=True),
        sv_number(now - baseline, signed=True),
        sv_number(round(100 * (now - baseline) / baseline, 1), signed=True),
    ]
    assert metric_row(built.text, "incidents.shootings") == ["4", "2", "5", "+2", "+100,0", "-1", "-20,0"]


def test_a_zero_is_shown_as_zero(built: Built) -> None:
    explosions = [count(EXPLOSIONS, p) for p in (PERIOD, PREVIOUS, BASELINE)]
    assert explosions == [0, 0, 1]
    # Nothing to divide by in the previous period: no percentage.
    assert metric_row(built.text, "incidents.explosions") == ["0", "0", "1", "0", "..", "-1", "-100,0"]
    total = [count(SHOOTINGS + EXPLOSIONS, p) for p in (PERIOD, PREVIOUS, BASELINE)]
    assert metric_row(built.text, "incidents.total")[:4] == [*map(sv_number, total), "+2"]
    # No call-ins in the previous quarter: zeros, not marks.
    assert metric_row(built.text, "callins.not_recorded") == ["0", "0", "0", "0", "..", "0", ".."]


def test_counts_of_one_to_four_persons_are_shown_as_under_five(built: Built) -> None:
    left_early, absent = ATTENDANCE.count("left_early"), ATTENDANCE.count("absent")
    assert 1 <= left_early <= 4
    assert 1 <= absent <= 4
    # Earlier there were no call-ins: 0 is shown, and the change is withheld, since it would give the count away.
    assert metric_row(built.text, "callins.left_early") == ["<5", "0", "0", "x", "x", "x", "x"]
    assert metric_row(built.text, "callins.absent")[0] == "<5"
    attended = ATTENDANCE.count("attended")
    assert attended == 5
    assert metric_row(built.text, "callins.attended") == ["5", "0", "0", "+5", "..", "+5", ".."]
    assert metric_row(built.text, "exit.referrals.school")[0] == "<5"
    assert metric_row(built.text, "exit.referrals.self")[0] == sv_number(REFERRALS.count("self"))


def test_a_total_that_would_give_a_small_count_away_is_withheld(built: Built) -> None:
    """Secondary suppression: the invited (7) less those shown (5 attended, 0 not recorded) would leave the two
    "<5" at 1 each; the referrals (6) less the self-referrals (5) would give the school's 1; and the one intake
    would follow from the exit cases open at the start and at the end."""
    assert len(ATTENDANCE) == 7
    assert metric_row(built.text, "callins.invited")[0] == "x"
    assert len(REFERRALS) == 6
    assert metric_row(built.text, "exit.referrals")[0] == "x"
    assert metric_row(built.text, "exit.intakes")[0] == "x"
    assert metric_row(built.text, "exit.active")[0] == "<5"
    assert metric_row(built.text, "exit.active_at_start")[0] == "0"


def test_the_rows_are_titled_by_their_definitions_not_their_keys(built: Built) -> None:
    for key in ("incidents.shootings", "callins.attended", "exit.referrals.school", "responses.tasks.on_time"):
        metric_row(built.text, key)
    assert "incidents.shootings" not in built.text
    assert "callins." not in built.text


# --------------------------------------------------------------------------------------------------
# The cover, the goals, the indicators, the note and the appendix


def test_the_cover_names_the_program_the_report_its_period_and_its_stamps(built: Built) -> None:
    cover = built.text.split("\f")[0]
    lena = built.world["lena"]
    assert lena.program.name in cover
    with translation.override("sv"):
        assert f"{ReportKind.QUARTERLY.label} {period_text(PERIOD.label)}" in cover
    assert "1 april 2013 – 30 juni 2013" in cover  # Swedish month names
    lines = [flat(line) for line in cover.splitlines()]
    assert f"{sv('Edition')} 1" in lines
    assert f"{sv('Baseline year')} {BASELINE_YEAR}" in lines
    assert f"{sv('Ordered by')} {lena}" in lines
    assert f"{sv('Generated')} {BUILT_STAMP}" in lines
    assert f"{sv('Data as of')} {BUILT_STAMP}" in lines
    assert built.report.finished_at == BUILT_AT


def test_every_page_is_numbered_and_carries_the_program_and_period(built: Built) -> None:
    pages = [page for page in built.text.split("\f") if page.strip()]
    assert len(pages) >= 8
    with translation.override("sv"):
        numbering = gettext("Page %(page)s of %(pages)s")
        title = f"{ReportKind.QUARTERLY.label} {period_text(PERIOD.label)}"
    for number, page in enumerate(pages, start=1):
        assert numbering % {"page": number, "pages": len(pages)} in flat(page)
        if number > 1:  # the cover has no header
            assert built.world["lena"].program.name in page.splitlines()[0]
            assert title in page.splitlines()[0]


def test_the_four_goals_are_headings(built: Built) -> None:
    text = flat(built.text)
    for goal in Goal:
        with translation.override("sv"):
            heading = goal_heading(goal)
        assert text.count(heading) == 2, heading  # in the contents, and as the heading


def test_an_indicator_shows_its_values_with_source_and_a_missing_one_as_missing(built: Built) -> None:
    with translation.override("sv"):
        goals = [goal_heading(goal) for goal in (Goal.SAFETY, Goal.POLICE, Goal.HEALTH_CARE)]
        about = gettext("About the numbers")
        missing = gettext("missing")
        quarter, earlier = period_text(PERIOD.label), period_text(PREVIOUS.label)
        year_before = period_text("2012-Q2")
    police = [flat(line) for line in section(built.text, goals[1], goals[2]).splitlines()]
    assert f"{quarter} 850 {POLICE_SOURCE} 15 juni 2013" in police
    assert f"{earlier} 900 {POLICE_SOURCE} 20 april 2013" in police
    assert f"{year_before} .. {missing}" in police  # no value entered for that quarter

    safety = [flat(line) for line in section(built.text, goals[0], goals[1]).splitlines()]
    assert f"{quarter} .. {missing}" in safety
    assert not any(line.startswith(quarter) and " 0 " in f"{line} " for line in safety)  # never 0
    health = section(built.text, goals[2], about)
    assert str(sv(IndicatorKind.HEALTH_CARE_ADMISSIONS.label)) in flat(health)


def test_the_note_explains_the_marks_and_the_appendix_defines_every_metric(built: Built) -> None:
    text = flat(built.text)
    for mark, meaning in LEGEND.items():
        assert f"{mark} {sv(meaning)}" in text
    for key, definition in DEFINITIONS.items():
        assert sv(definition.title) in text, key
        assert flat(sv(definition.text)) in text, key


def test_the_pdf_is_a4(built: Built, tmp_path: Path) -> None:
    path = tmp_path / "size.pdf"
    path.write_bytes(built.pdf)
    try:
        from pypdf import PdfReader  # type: ignore[import-not-found]
    except ImportError:
        command = [_poppler("pdfinfo"), "-f", "1", "-l", "999", str(path)]
        info = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        sizes = re.findall(r"^Page\s+\d+ size:\s+(.*)$", info, flags=re.MULTILINE)
        assert sizes
        assert all(size == "595.276 x 841.89 pts (A4)" for size in sizes), sizes
    else:
        for page in PdfReader(path).pages:
            assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


# --------------------------------------------------------------------------------------------------
# Rendering: from the stored results only, nothing fetched, every text escaped


def test_the_pdf_is_drawn_from_the_stored_results_without_counting_again(
    db: None, built: Built, tmp_path: Path
) -> None:
    report = built.again()
    assert report.results is not None
    for row in report.results["metrics"]:
        if row["key"] == "incidents.shootings":
            row["value"] = 987  # a number no record gives: it can only come from the results
    with max_queries(0):  # not a count: the program and who ordered it are loaded already
        pdf = render_pdf(report)
    assert metric_row(pdf_text(pdf, tmp_path), "incidents.shootings")[0] == "987"


def test_a_name_with_markup_is_written_as_text(db: None, built: Built, tmp_path: Path) -> None:
    report = built.again()
    report.program.name = 'Sluta skjut "Test" </style><img src="http://example.com/x.png"> \\ slut'
    text = pdf_text(render_pdf(report), tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    assert report.program.name in pages[0]  # the cover
    assert report.program.name in pages[1].splitlines()[0]  # the page header, from CSS


def test_the_demo_report_is_built_with_its_pdf(world: dict[str, Any], tmp_path: Path) -> None:
    report = world["malmo_report"]
    report.refresh_from_db()
    with report.pdf.open("rb") as stored:
        text = pdf_text(stored.read(), tmp_path)
    assert report.program.name in text
    with translation.override("sv"):
        assert gettext("Page %(page)s of %(pages)s") % {"page": 1, "pages": text.count("\f")} in flat(text)
