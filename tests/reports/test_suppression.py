"""Small-cell suppression (reports/suppression.py): counts of 1 to 4 persons shown as "<5", and no suppressed cell
that a reader can work out from what a table shows.

The last tests check that promise against a reader who is not this module: for many random tables they list, in
plain Python, every value each suppressed cell can still take given every number shown, every sum that holds
(a total and its parts, the exit cases' flow), that "<5" is 1 to 4 and that a cell withheld beside a "<5" to protect
it is 0 or at least 5. Each suppressed cell must keep two or more possible values.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from django.utils import translation

from reports.metrics import FLOWS, METRIC_KINDS, ROWS, Comparison, Kind, Metric
from reports.suppression import (
    MISSING_MARK,
    PRIMARY_MARK,
    WITHHELD_MARK,
    Cell,
    change_cell,
    count_cell,
    public_cell,
    row_cells,
    shown,
    shown_comparisons,
    statistic_cell,
)


@pytest.fixture(autouse=True)
def _english_numbers() -> Any:
    with translation.override("en"):
        yield


def texts(cells: Mapping[str, Cell]) -> dict[str, str]:
    return {key: cell.text for key, cell in cells.items()}


# --------------------------------------------------------------------------------------------------
# Primary suppression, public statistics, medians and changes


@pytest.mark.parametrize(
    ("count", "text", "suppressed"), [(0, "0", False), (1, "<5", True), (4, "<5", True), (5, "5", False)]
)
def test_one_to_four_persons_are_shown_as_under_five_and_none_as_zero(count: int, text: str, suppressed: bool) -> None:
    assert count_cell(count) == Cell(text, suppressed)


def test_public_statistics_are_never_suppressed() -> None:
    assert public_cell(3) == Cell("3")
    assert public_cell(1) == Cell("1")
    assert public_cell(60.0) == Cell("60.0")
    assert public_cell(None) == Cell(MISSING_MARK)


def test_numbers_are_written_the_swedish_way_in_swedish() -> None:
    with translation.override("sv"):
        assert public_cell(62.5).text == "62,5"
        assert public_cell(1234).text == "1\xa0234"


def test_a_median_over_fewer_than_five_persons_is_withheld() -> None:
    assert statistic_cell(3.0, base=3) == Cell(WITHHELD_MARK, suppressed=True)
    assert statistic_cell(2.5, base=5) == Cell("2.5")
    assert statistic_cell(None, base=0) == Cell(MISSING_MARK)


def test_a_change_that_involves_a_suppressed_cell_is_withheld() -> None:
    small, shown_ = count_cell(3), count_cell(12)
    assert change_cell(9, shown_, small) == Cell(WITHHELD_MARK, suppressed=True)
    assert change_cell(-9, small, shown_) == Cell(WITHHELD_MARK, suppressed=True)
    assert change_cell(2, count_cell(14), shown_) == Cell("+2")
    assert change_cell(-2.5, count_cell(10), shown_) == Cell("-2.5")
    assert change_cell(None, count_cell(0), count_cell(0)) == Cell(MISSING_MARK)


# --------------------------------------------------------------------------------------------------
# Secondary suppression in a row with a total


def test_one_small_part_beside_a_total_hides_the_next_smallest_part() -> None:
    row = row_cells({"police": 3, "school": 0, "self": 7, "social": 12}, total=22)
    assert texts(row.parts) == {"police": "<5", "school": "0", "self": WITHHELD_MARK, "social": "12"}
    assert row.total == Cell("22")


def test_two_small_parts_that_give_each_other_away_are_protected_too() -> None:
    """1 + 1 beside 9 in a total of 11: the two "<5" must be 1 each unless the 9 is withheld as well."""
    row = row_cells({"a": 1, "b": 1, "c": 9}, total=11)
    assert texts(row.parts) == {"a": PRIMARY_MARK, "b": PRIMARY_MARK, "c": WITHHELD_MARK}


def test_a_row_whose_parts_cannot_protect_a_small_cell_hides_its_total() -> None:
    """Withholding the 5 would not do: a "<5" and a withheld cell of 5 or more that make 6 can only be 1 and 5."""
    row = row_cells({"a": 1, "b": 5}, total=6)
    assert texts(row.parts) == {"a": PRIMARY_MARK, "b": "5"}
    assert row.total == Cell(WITHHELD_MARK, suppressed=True)


def test_a_small_row_that_would_give_itself_away_is_withheld_whole() -> None:
    """Four "<5" under a total "<5": each must be 1, so every part is withheld."""
    row = row_cells({"a": 1, "b": 1, "c": 1, "d": 1}, total=4)
    assert texts(row.parts) == dict.fromkeys("abcd", WITHHELD_MARK)
    assert row.total == Cell(PRIMARY_MARK, suppressed=True)


def test_a_row_without_small_cells_is_shown_in_full() -> None:
    row = row_cells({"a": 12, "b": 0, "c": 30}, total=42)
    assert texts(row.parts) == {"a": "12", "b": "0", "c": "30"}
    assert not row.total.suppressed


def test_a_row_must_add_up() -> None:
    with pytest.raises(ValueError, match="add up"):
        row_cells({"a": 1, "b": 2}, total=4)


# --------------------------------------------------------------------------------------------------
# The flow of exit cases, and whole periods


def _metrics(numbers: Mapping[str, int | float | None], bases: Mapping[str, int] | None = None) -> dict[str, Metric]:
    return {
        key: Metric(key=key, kind=METRIC_KINDS[key], value=value, base=(bases or {}).get(key))
        for key, value in numbers.items()
    }


def _exit_cases(opening: int, intakes: int, closed: Mapping[str, int], closing: int) -> dict[str, Metric]:
    numbers: dict[str, int] = {"exit.active_at_start": opening, "exit.intakes": intakes}
    numbers |= {part: closed.get(part.rsplit(".", 1)[1], 0) for part in ROWS["exit.closed"]}
    numbers |= {"exit.closed": sum(closed.values()), "exit.active": closing}
    assert opening + intakes - numbers["exit.closed"] == closing
    return _metrics(numbers)


def test_intakes_are_withheld_when_they_would_give_away_the_closed_cases() -> None:
    """10 open at the start and 13 at the end (both published) with 6 intakes: the "<5" closed cases are 3."""
    cells = texts(shown(_exit_cases(10, 6, {"completed": 3}, 13)))
    assert (cells["exit.closed"], cells["exit.closed.completed"]) == (PRIMARY_MARK, PRIMARY_MARK)
    assert cells["exit.intakes"] == WITHHELD_MARK
    assert (cells["exit.active_at_start"], cells["exit.active"]) == ("10", "13")


def test_closed_cases_are_withheld_with_their_row_when_withholding_intakes_is_not_enough() -> None:
    """10 open at the start, 6 at the end and 7 closed: the "<5" intakes are 3 unless the closed cases go too."""
    cells = texts(shown(_exit_cases(10, 3, {"completed": 7}, 6)))
    assert cells["exit.intakes"] == WITHHELD_MARK
    assert cells["exit.closed"] == WITHHELD_MARK
    assert {cells[part] for part in ROWS["exit.closed"]} == {WITHHELD_MARK}


def test_a_flow_that_gives_nothing_away_is_shown_in_full() -> None:
    cells = texts(shown(_exit_cases(10, 6, {"completed": 5, "dropped_out": 2}, 9)))
    assert (cells["exit.intakes"], cells["exit.closed"], cells["exit.active"]) == ("6", "7", "9")
    assert cells["exit.closed.dropped_out"] == PRIMARY_MARK
    assert cells["exit.closed.completed"] == WITHHELD_MARK


def test_a_comparison_is_suppressed_period_by_period_and_its_changes_with_them() -> None:
    def comparison(key: str, now: int, before: int, baseline: int) -> Comparison:
        kind = METRIC_KINDS[key]
        return Comparison(key, kind, Metric(key, kind, now), Metric(key, kind, before), Metric(key, kind, baseline))

    cells = {
        c.key: c
        for c in shown_comparisons(
            [
                comparison("exit.relocations", 7, 3, 9),
                comparison("exit.intakes", 12, 10, 0),
                comparison("incidents.shootings", 3, 1, 0),
            ]
        )
    }
    relocations = cells["exit.relocations"]
    assert (relocations.value.text, relocations.previous.text, relocations.baseline.text) == ("7", "<5", "9")
    assert relocations.change_previous.suppressed
    assert relocations.change_previous_percent.suppressed
    assert (relocations.change_baseline.text, relocations.change_baseline_percent.text) == ("-2", "-22.2")
    intakes = cells["exit.intakes"]
    assert (intakes.change_previous.text, intakes.change_previous_percent.text) == ("+2", "+20.0")
    assert (intakes.change_baseline.text, intakes.change_baseline_percent.text) == ("+12", MISSING_MARK)
    shootings = cells["incidents.shootings"]
    assert (shootings.previous.text, shootings.change_previous.text, shootings.change_previous_percent.text) == (
        "1",
        "+2",
        "+200.0",
    )


# --------------------------------------------------------------------------------------------------
# No suppressed cell can be worked out: an independent reader over random periods


def _count(rng: random.Random) -> int:
    return rng.choice((0, 0, 0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 9, 12, 20))


def random_period(rng: random.Random) -> tuple[dict[str, int | float | None], dict[str, int]]:
    """Numbers for every metric that hold together as real ones do: rows add up, the exit cases flow."""
    numbers: dict[str, int | float | None] = {}
    for total, parts in ROWS.items():
        for part in parts:
            numbers[part] = _count(rng)
        numbers[total] = sum(numbers[part] or 0 for part in parts)
    for flow in FLOWS:
        outflow = int(numbers[flow.outflow] or 0)
        opening, inflow = _count(rng), _count(rng)
        opening = max(opening, outflow - inflow)
        numbers |= {flow.opening: opening, flow.inflow: inflow, flow.closing: opening + inflow - outflow}
    bases: dict[str, int] = {}
    for key in METRIC_KINDS:
        if key in numbers:
            continue
        if key.endswith(("_share", "_days")):
            bases[key] = _count(rng)
            numbers[key] = round(rng.uniform(0, 30), 1) if bases[key] else None
        else:
            numbers[key] = _count(rng)
    return numbers, bases


def _relations() -> list[list[tuple[str, int]]]:
    """Every sum over counts of persons that a reader knows: sign * value over its cells adds up to 0."""
    relations = [[*((part, 1) for part in parts), (total, -1)] for total, parts in ROWS.items()]
    for flow in FLOWS:
        relations.append([(flow.opening, 1), (flow.inflow, 1), (flow.outflow, -1), (flow.closing, -1)])
    return [r for r in relations if all(METRIC_KINDS[key] == Kind.PERSONS for key, _sign in r)]


def reader_domains(cells: Mapping[str, str], numbers: Mapping[str, Any], keys: Iterable[str], ceiling: int) -> dict:
    """What a reader can tell of each count from the table alone."""
    row_of = {key: (total, parts) for total, parts in ROWS.items() for key in (total, *parts)}
    domains: dict[str, set[int]] = {}
    for key in keys:
        text = cells[key]
        if text == PRIMARY_MARK:
            domains[key] = set(range(1, 5))
        elif text == WITHHELD_MARK:
            total, parts = row_of.get(key, ("", ()))
            row = [cells[k] for k in (total, *parts)] if total else []
            protecting = PRIMARY_MARK in row and any(cells[p] != WITHHELD_MARK for p in parts)
            domains[key] = {0, *range(5, ceiling + 1)} if protecting else set(range(ceiling + 1))
        else:
            domains[key] = {numbers[key]}
    return domains


def narrow(relations: list[list[tuple[str, int]]], domains: dict[str, set[int]]) -> dict[str, set[int]]:
    """Keep each value that some choice of the other cells' values completes to every sum, until nothing changes.
    The sums share at most one cell with each other (a tree), so what is left is exactly what a reader can tell."""
    changed = True
    while changed:
        changed = False
        for relation in relations:
            for i, (key, sign) in enumerate(relation):
                sums = {0}
                for j, (other, other_sign) in enumerate(relation):
                    if j != i:
                        sums = {s + other_sign * v for s in sums for v in domains[other]}
                kept = {v for v in domains[key] if -sign * v in sums}
                if kept != domains[key]:
                    domains[key], changed = kept, True
    return domains


@pytest.mark.parametrize("seed", range(8))
def test_no_suppressed_cell_can_be_worked_out_from_what_is_shown(seed: int) -> None:
    rng = random.Random(seed)
    relations = _relations()
    suppressed_seen = protected_seen = 0
    for _trial in range(60):
        numbers, bases = random_period(rng)
        cells = texts(shown(_metrics(numbers, bases)))
        counts = [k for k, kind in METRIC_KINDS.items() if kind == Kind.PERSONS and k not in bases]
        for key in METRIC_KINDS:
            value, text = numbers[key], cells[key]
            if METRIC_KINDS[key] == Kind.PUBLIC:
                assert text == (MISSING_MARK if value is None else str(value)), key
            elif key in bases:
                assert (text == WITHHELD_MARK) == (0 < bases[key] < 5), key
            elif text not in (PRIMARY_MARK, WITHHELD_MARK):
                assert text == str(value), key
                assert not 0 < int(value or 0) < 5, key
        ceiling = 3 * max(int(numbers[k] or 0) for k in counts) + 10
        domains = narrow(relations, reader_domains(cells, numbers, counts, ceiling))
        for key in counts:
            assert numbers[key] in domains[key], (key, numbers[key], domains[key])
            if cells[key] in (PRIMARY_MARK, WITHHELD_MARK):
                suppressed_seen += 1
                protected_seen += cells[key] == WITHHELD_MARK
                assert len(domains[key]) >= 2, (key, numbers[key], sorted(domains[key])[:8], cells)
    assert suppressed_seen > 100
    assert protected_seen > 10
