"""Small-cell suppression (reports/suppression.py): counts of 1 to 4 persons shown as "<5", and no suppressed cell
that a reader can work out from what a table shows.

The last tests check that promise against a reader who is not this module: for many random tables they list, in
plain Python, every value each suppressed cell can still take given every number shown, every sum that holds
(a total and its parts, the exit cases' flow), that "<5" is 1 to 4 and that a cell withheld beside a "<5" to protect
it is 0 or at least 5. Each suppressed cell must keep two or more possible values.
"""

from __future__ import annotations

import itertools
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
    cell_for,
    change_cell,
    count_cell,
    public_cell,
    row_cells,
    shown,
    shown_comparisons,
    statistic_cell,
    suppress,
    withheld_by_quarters,
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


def test_one_small_part_beside_a_total_hides_the_total() -> None:
    row = row_cells({"police": 3, "school": 0, "self": 7, "social": 12}, total=22)
    assert texts(row.parts) == {"police": "<5", "school": "0", "self": "7", "social": "12"}
    assert row.total == Cell(WITHHELD_MARK, suppressed=True)


def test_two_small_parts_under_a_total_are_protected_by_the_total() -> None:
    """1 + 1 beside 9 in a total of 11: with the total shown the two "<5" must be 1 each."""
    row = row_cells({"a": 1, "b": 1, "c": 9}, total=11)
    assert texts(row.parts) == {"a": PRIMARY_MARK, "b": PRIMARY_MARK, "c": "9"}
    assert row.total.text == WITHHELD_MARK


def test_which_cell_is_withheld_does_not_depend_on_the_hidden_values() -> None:
    """4 + 4 and 1 + 4 under their totals look the same: the total goes whatever the "<5" are."""
    assert row_cells({"a": 4, "b": 4}, total=8) == row_cells({"a": 1, "b": 4}, total=5)
    assert row_cells({"a": 1, "b": 5}, total=6) == row_cells({"a": 4, "b": 5}, total=9)


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


def test_small_closed_cases_withhold_the_intakes_and_the_closings() -> None:
    """10 open at the start and 13 at the end (both published) with 6 intakes: the "<5" closed cases are 3."""
    cells = texts(shown(_exit_cases(10, 6, {"completed": 3}, 13)))
    assert (cells["exit.intakes"], cells["exit.closed"]) == (WITHHELD_MARK, WITHHELD_MARK)
    assert {cells[part] for part in ROWS["exit.closed"]} == {WITHHELD_MARK}
    assert (cells["exit.active_at_start"], cells["exit.active"]) == ("10", "13")


def test_small_intakes_withhold_the_closed_cases_with_their_row() -> None:
    """10 open at the start, 6 at the end and 7 closed: the "<5" intakes are 3 unless the closed cases go too."""
    cells = texts(shown(_exit_cases(10, 3, {"completed": 7}, 6)))
    assert cells["exit.intakes"] == WITHHELD_MARK
    assert cells["exit.closed"] == WITHHELD_MARK
    assert {cells[part] for part in ROWS["exit.closed"]} == {WITHHELD_MARK}


def test_a_small_outcome_of_the_closed_cases_withholds_the_flow() -> None:
    """5 completed and 2 dropped out: the total closed is withheld for the "<5", and then the intakes would give
    it away (10 + 6 - 9), so they go with the whole row."""
    cells = texts(shown(_exit_cases(10, 6, {"completed": 5, "dropped_out": 2}, 9)))
    assert (cells["exit.intakes"], cells["exit.closed"], cells["exit.active"]) == (WITHHELD_MARK, WITHHELD_MARK, "9")
    assert {cells[part] for part in ROWS["exit.closed"]} == {WITHHELD_MARK}


def test_a_flow_without_small_cells_is_shown_in_full() -> None:
    cells = texts(shown(_exit_cases(10, 6, {"completed": 5, "dropped_out": 0}, 11)))
    assert (cells["exit.intakes"], cells["exit.closed"], cells["exit.active"]) == ("6", "5", "11")
    assert cells["exit.closed.completed"] == "5"


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


# --------------------------------------------------------------------------------------------------
# A reader who knows the method: the choice of the withheld cells tells nothing


def _publish(values: Mapping[str, int], withheld: Iterable[str] = ()) -> dict[str, str]:
    hows = suppress(values, withheld)
    return {key: cell_for(value, hows[key]).text for key, value in values.items()}


@pytest.mark.parametrize(
    ("opening", "closed", "closing"),
    [
        (10, {"completed": 3}, 13),  # intakes 6
        (10, {"completed": 7}, 6),  # intakes 3
        (10, {"completed": 5, "dropped_out": 2}, 9),  # intakes 6
        (2, {"completed": 1}, 5),  # intakes 4, the stock at the start "<5"
        (6, {"moved_away": 4, "relapsed": 4}, 2),  # intakes 4, the stock at the end "<5"
    ],
)
def test_the_exit_case_flow_gives_no_small_cell_away_to_a_reader_of_the_method(
    opening: int, closed: dict[str, int], closing: int
) -> None:
    """Every value of the hidden cells (the five outcomes from 0 to 7, the intakes following from the two
    published stocks) that this module would publish the same way is a possibility; each suppressed cell of
    the real table must keep two or more."""
    outcomes = ROWS["exit.closed"]

    def table(opening: int, parts: Mapping[str, int], closing: int) -> dict[str, int]:
        total = sum(parts.values())
        return {
            "exit.active_at_start": opening,
            "exit.intakes": closing - opening + total,
            "exit.closed": total,
            **parts,
            "exit.active": closing,
        }

    real = table(opening, {part: closed.get(part.rsplit(".", 1)[1], 0) for part in outcomes}, closing)
    published = _publish(real)
    hidden = [key for key, text in published.items() if text in (PRIMARY_MARK, WITHHELD_MARK)]
    assert hidden
    possible: dict[str, set[int]] = {key: set() for key in hidden}
    stocks = [
        range(1, 5) if published[k] == PRIMARY_MARK else [real[k]] for k in ("exit.active_at_start", "exit.active")
    ]
    for start, end in itertools.product(*stocks):
        for values in itertools.product(range(8), repeat=len(outcomes)):
            candidate = table(start, dict(zip(outcomes, values, strict=True)), end)
            if candidate["exit.intakes"] >= 0 and _publish(candidate) == published:
                for key in hidden:
                    possible[key].add(candidate[key])
    for key in hidden:
        assert real[key] in possible[key]
        assert len(possible[key]) >= 2, (key, possible[key], published)


def test_a_years_count_is_withheld_when_a_quarter_suppressed_it() -> None:
    """Referrals from the police: 6, 7, 5 and 2 in the quarters, 20 in the year. The quarterly reports show 6, 7,
    5 and "<5": a year shown as 20 would give the "<5" away as 2. So the year withholds it, and its total (the
    fourth quarter's total was withheld too); a total withheld for its own sake takes its row with it."""
    sources = ROWS["exit.referrals"]

    def quarter(police: int) -> dict[str, Metric]:
        numbers = dict.fromkeys(sources, 0) | {"exit.referrals.police": police, "exit.referrals.social_services": 5}
        return _metrics(numbers | {"exit.referrals": police + 5})

    quarters = [quarter(6), quarter(7), quarter(5), quarter(2)]
    year = _metrics({key: sum(int(q[key].value or 0) for q in quarters) for key in (*sources, "exit.referrals")})
    alone, beside_quarters = texts(shown(year)), texts(shown(year, quarters))
    assert (alone["exit.referrals.police"], alone["exit.referrals"]) == ("20", "40")
    assert beside_quarters["exit.referrals.police"] == WITHHELD_MARK
    assert beside_quarters["exit.referrals"] == WITHHELD_MARK
    assert {beside_quarters[key] for key in sources} == {WITHHELD_MARK}
    assert withheld_by_quarters(quarters) == {"exit.referrals.police", "exit.referrals"}
