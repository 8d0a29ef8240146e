"""The reports' SVG charts (reports/charts.py), read back as XML: each is a well-formed, labelled <svg>; the
incidents' bars are as tall as their counts; a suppressed or missing cell draws no bar but its mark; and every
text is escaped. No database: the charts read a stored report's results only."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from reports.charts import (
    ATTENDANCE_KEYS,
    FUNNEL_KEYS,
    attendance_chart,
    axis_ticks,
    funnel_chart,
    incidents_chart,
    period_text,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - markup the test just made, with no DTD or entities
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}rect"))


def data_bars(root: ET.Element) -> dict[str, ET.Element]:
    return {rect.attrib["data-key"]: rect for rect in bars(root) if "data-key" in rect.attrib}


def texts(root: ET.Element, class_: str | None = None) -> list[str]:
    return [
        element.text or ""
        for element in root.iter(f"{SVG}text")
        if class_ is None or element.attrib.get("class") == class_
    ]


def results(values: dict[str, Any], label: str = "2013-Q2") -> dict[str, Any]:
    return {
        "period": {"label": label, "first": "2013-04-01", "last": "2013-06-30"},
        "metrics": [{"key": key, "kind": "persons", "value": value} for key, value in values.items()],
    }


def quarters(*counts: tuple[int, int, int], first_year: int = 2019) -> list[dict[str, Any]]:
    rows = []
    for index, (shootings, explosions, other) in enumerate(counts):
        year, quarter = first_year + index // 4, index % 4 + 1
        rows.append({"label": f"{year}-Q{quarter}", "shootings": shootings, "explosions": explosions, "other": other})
    return rows


# --------------------------------------------------------------------------------------------------
# Every chart


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param(lambda: incidents_chart(quarters((3, 1, 0), (0, 0, 0), (5, 2, 1))), id="incidents"),
        pytest.param(lambda: incidents_chart([]), id="incidents-empty"),
        pytest.param(lambda: attendance_chart(results(dict.fromkeys(ATTENDANCE_KEYS, 6))), id="attendance"),
        pytest.param(lambda: funnel_chart(results(dict.fromkeys(FUNNEL_KEYS, "<5"))), id="funnel"),
    ],
)
def test_each_chart_is_a_labelled_svg_image(svg: Any) -> None:
    markup = svg()
    root = parse(markup)
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-label"]
    assert root.attrib["viewBox"].startswith("0 0 ")
    width, height = (int(v) for v in root.attrib["viewBox"].split()[2:])
    assert (root.attrib["width"], root.attrib["height"]) == (str(width), str(height))
    assert "DejaVu Sans" in root.attrib["font-family"]
    assert "report-chart" in root.attrib["class"].split()
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == root.attrib["aria-label"]
    assert next(iter(root)) is title  # the accessible name comes first
    assert root.find(f"{SVG}desc") is not None
    assert "style=" not in markup  # presentation attributes only: a strict CSP holds


# --------------------------------------------------------------------------------------------------
# Incidents per quarter


def test_the_incident_bars_are_as_tall_as_their_counts() -> None:
    root = parse(incidents_chart(quarters((3, 1, 0), (0, 0, 0), (6, 2, 4), (1, 0, 0))))
    segments = [rect for rect in bars(root) if "data-value" in rect.attrib]
    # One rectangle per non-zero count: nothing is drawn for a zero.
    assert sorted(int(r.attrib["data-value"]) for r in segments) == sorted([3, 1, 6, 2, 4, 1])
    per_incident = {round(float(r.attrib["height"]) / int(r.attrib["data-value"]), 3) for r in segments}
    assert len(per_incident) == 1
    # Stacked: a quarter's segments touch, and the stack is as tall as the quarter's total.
    third = next(g for g in root.iter(f"{SVG}g") if g.attrib.get("data-label") == "2019-Q3")
    stack = sorted(third.iter(f"{SVG}rect"), key=lambda r: -float(r.attrib["y"]))
    assert [r.attrib["data-key"] for r in stack] == ["incidents.shootings", "incidents.explosions", "incidents.other"]
    for lower, upper in itertools.pairwise(stack):
        assert float(upper.attrib["y"]) + float(upper.attrib["height"]) == pytest.approx(float(lower.attrib["y"]))
    total_height = sum(float(r.attrib["height"]) for r in stack)
    assert total_height == pytest.approx(12 * per_incident.pop(), abs=0.05)


def test_the_y_axis_ticks_reach_the_highest_quarter() -> None:
    root = parse(incidents_chart(quarters((13, 0, 0), (2, 0, 0))))
    assert {"0", "5", "10", "15"} <= set(texts(root))
    assert axis_ticks(0) == [0, 1, 2, 3, 4]
    assert axis_ticks(3) == [0, 1, 2, 3]
    assert axis_ticks(13) == [0, 5, 10, 15]
    assert axis_ticks(40) == [0, 10, 20, 30, 40]
    assert axis_ticks(1234)[-1] >= 1234


def test_twenty_four_quarters_are_each_labelled_and_each_year_once() -> None:
    root = parse(incidents_chart(quarters(*[(1, 1, 1)] * 24)))
    labels = texts(root)
    assert labels.count("Q1") == labels.count("Q4") == 6
    for year in range(2019, 2025):
        assert labels.count(str(year)) == 1
    assert root.attrib["aria-label"] == "Incidents per quarter, 2019 Q1 to 2024 Q4"
    assert "2024 Q4: Shootings 1, Explosions 1, Other grave violence 1" in (root.findtext(f"{SVG}desc") or "")


def test_the_legend_names_the_three_kinds() -> None:
    labels = texts(parse(incidents_chart(quarters((1, 0, 0)))))
    assert {"Shootings", "Explosions", "Other grave violence"} <= set(labels)


def test_a_quarter_is_written_in_the_active_language() -> None:
    assert period_text("2026-Q3") == "2026 Q3"
    assert period_text("2026") == "2026"
    assert period_text("2026-01-05/2026-02-10") == "2026-01-05 – 2026-02-10"


# --------------------------------------------------------------------------------------------------
# Attendance and the funnel: a suppressed cell draws no bar


def test_a_suppressed_attendance_count_draws_no_bar_but_its_mark() -> None:
    values = {"callins.attended": 7, "callins.left_early": "<5", "callins.absent": "x", "callins.not_recorded": 0}
    root = parse(attendance_chart(results(values)))
    drawn = data_bars(root)
    assert set(drawn) == {"callins.attended"}  # a zero draws nothing either
    assert drawn["callins.attended"].attrib["data-value"] == "7"
    assert sorted(texts(root, "mark")) == ["<5", "x"]
    assert sorted(texts(root, "value")) == ["0", "7"]
    assert {"Attended", "Left early", "Absent", "Attendance not recorded"} <= set(texts(root))
    # The description says the same as the drawing: marks, not numbers.
    assert "Left early: <5" in (root.findtext(f"{SVG}desc") or "")


def test_the_bars_scale_to_the_largest_shown_number_only() -> None:
    """The largest bar is the largest number shown: a suppressed cell takes no part in the scale, so no bar's
    length says anything about it."""
    shown = {"exit.referrals": 12, "exit.intakes": 6, "exit.active": "x", "exit.closed.completed": "<5"}
    root = parse(funnel_chart(results(shown)))
    drawn = data_bars(root)
    assert set(drawn) == {"exit.referrals", "exit.intakes"}
    widths = {key: float(rect.attrib["width"]) for key, rect in drawn.items()}
    assert widths["exit.intakes"] == pytest.approx(widths["exit.referrals"] / 2)
    again = parse(funnel_chart(results({**shown, "exit.active": "<5", "exit.closed.completed": "x"})))
    assert {k: float(r.attrib["width"]) for k, r in data_bars(again).items()} == widths
    assert sorted(texts(root, "mark")) == ["<5", "x"]


def test_the_funnel_bars_are_centred() -> None:
    root = parse(
        funnel_chart(results({"exit.referrals": 20, "exit.intakes": 10, "exit.active": 8, "exit.closed.completed": 5}))
    )
    centres = {round(float(r.attrib["x"]) + float(r.attrib["width"]) / 2, 2) for r in data_bars(root).values()}
    assert len(centres) == 1


def test_a_metric_missing_from_the_results_is_shown_as_missing() -> None:
    root = parse(attendance_chart(results({"callins.attended": 5})))
    assert set(data_bars(root)) == {"callins.attended"}
    assert texts(root, "mark") == ["..", "..", ".."]


# --------------------------------------------------------------------------------------------------
# Escaping


def test_every_text_is_escaped() -> None:
    hostile = '2019-Q1"><script>alert(1)<&amp;'
    rows = [{"label": hostile, "shootings": 1, "explosions": 0, "other": 0}]
    markup = incidents_chart(rows)
    root = parse(markup)  # well-formed: nothing broke out of its attribute or element
    assert "<script>" not in markup
    assert not list(root.iter(f"{SVG}script"))
    group = next(root.iter(f"{SVG}g"))
    assert group.attrib["data-label"] == hostile
    assert hostile in (root.findtext(f"{SVG}desc") or "")

    marks = {"callins.attended": "<b>&", "callins.left_early": 3}
    markup = attendance_chart(results(marks, label='"><title>x'))
    root = parse(markup)
    assert texts(root, "mark") == ["<b>&", "..", ".."]
    assert root.attrib["aria-label"] == 'Call-in attendance, "><title>x'
    assert "<b>" not in markup
    assert markup.count("<title>") == 1  # the label did not open a second one
