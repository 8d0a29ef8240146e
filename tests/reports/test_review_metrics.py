"""Second adversarial review of the reports' metric layer (reports/metrics.py, reports/suppression.py): each test
names a defect, says what is wrong and what is right, and asserts the right behaviour (it fails until the defect is
fixed).

suppression.py assumes a reader who knows every number shown, every sum between the cells, that "<5" is 1 to 4
"and how this module picks the cells it withholds". The reader below is exactly that: for a published row it lists
every value the suppressed cells could hold that adds up, runs the module on each candidate and keeps those that
the module would have published the same way. Each "<5" must keep two or more possible values.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.utils import translation

from reports.metrics import METRIC_KINDS, ROWS, Metric
from reports.suppression import PRIMARY_MARK, WITHHELD_MARK, row_cells, shown

CEILING = 40  # a withheld cell is searched from 0 to CEILING - 1: ample for the small tables below


@pytest.fixture(autouse=True)
def _english_numbers() -> Iterator[None]:
    with translation.override("en"):
        yield


def _published(parts: Mapping[str, int], total: int) -> tuple[tuple[str, ...], str]:
    row = row_cells(parts, total)
    return tuple(cell.text for cell in row.parts.values()), row.total.text


def _domain(text: str) -> range | list[int]:
    if text == PRIMARY_MARK:
        return range(1, 5)
    if text == WITHHELD_MARK:
        return range(CEILING)
    return [int(text.replace(",", ""))]


def what_a_reader_who_knows_the_method_can_tell(parts: Mapping[str, int], total: int) -> dict[str, set[int]]:
    """Every value each cell of the row can hold, given what row_cells publishes and how it chooses."""
    keys = [*parts, ""]
    seen_parts, seen_total = _published(parts, total)
    possible: dict[str, set[int]] = {key: set() for key in keys}
    for candidate in itertools.product(*(_domain(text) for text in (*seen_parts, seen_total))):
        *part_values, candidate_total = candidate
        if sum(part_values) != candidate_total:
            continue
        if _published(dict(zip(parts, part_values, strict=True)), candidate_total) == (seen_parts, seen_total):
            for key, value in zip(keys, candidate, strict=True):
                possible[key].add(value)
    return possible


@pytest.mark.parametrize(
    ("parts", "total", "worked_out"),
    [
        # Two "<5" under a total of 8: the total is withheld (no part of 5 or more to withhold instead). The
        # method withholds a total beside two "<5" only when, shown, it gives them away: when it is 8 (4 + 4).
        ({"police": 4, "probation": 4}, 8, {"police": 4, "probation": 4}),
        # suppression's own example (test_a_row_whose_parts_cannot_protect_a_small_cell_hides_its_total): the 5
        # stays and the total goes only when withholding the 5 would not do, i.e. when "<5" + 5 = 6.
        ({"a": 1, "b": 5}, 6, {"a": 1}),
        # The smallest part of 5 or more is withheld first. The 5 went and the 6 stayed: the method tried the 5
        # (smaller) first and it did, so "<5" + x = 7 with x the 5 — the "<5" is 2.
        ({"a": 2, "b": 6, "c": 5}, 13, {"a": 2}),
    ],
)
def test_the_way_cells_are_chosen_does_not_give_a_small_cell_away(
    parts: dict[str, int], total: int, worked_out: dict[str, int]
) -> None:
    """Was a defect until issue 12 (reports/suppression.py protect_row): the cells withheld beside a "<5" are chosen by
    the hidden values themselves — the smallest part of 5 or more that makes the row safe *for the actual "<5"
    value*, else the total — and the module documents that the reader knows this. Whether a part or the total
    is withheld, and which part, then tells the "<5": 4 + 4 under a withheld total, "<5" beside a shown 5 under a
    withheld total (= 1), "<5" with a withheld part next to a shown 6 (= 2). The existing audit
    (test_no_suppressed_cell_can_be_worked_out_from_what_is_shown) reasons over intervals only, so it misses
    this. Right: the choice depends only on what stays shown (or is checked against every value the "<5" could
    take: a candidate is accepted only if it is safe whichever 1-4 the small cells hold, and the ones tried
    before it fail whichever too), so that knowing the method narrows nothing."""
    possible = what_a_reader_who_knows_the_method_can_tell(parts, total)
    for key, value in worked_out.items():
        assert possible[key] != {value}, f"{key} = {value} is recomputable from the published row"
        assert len(possible[key]) >= 2


def _metrics(numbers: Mapping[str, int]) -> dict[str, Metric]:
    return {key: Metric(key=key, kind=METRIC_KINDS[key], value=value) for key, value in numbers.items()}


def test_two_small_referral_sources_under_a_withheld_total_are_not_given_away() -> None:
    """Was a defect until issue 12 (the same cause, through suppression.shown() on a real row): 4 referrals from the
    police and 4 from Kriminalvården, none from elsewhere, in a quarter. The row shows "<5", "<5", four 0s and
    withholds the total ("x", at least 5). Two "<5" that make 5 or more could be 1+4, 2+3, ... — but the method
    withholds that total only when showing it would pin the two down, which for two "<5" happens only at 8:
    a reader of the method knows it was 4 and 4 persons. Right: the published row leaves each "<5" at least two
    possible values for a reader who knows the method."""
    key, parts = "exit.referrals", ROWS["exit.referrals"]
    numbers = dict.fromkeys(parts, 0) | {"exit.referrals.police": 4, "exit.referrals.probation": 4}
    numbers[key] = sum(numbers[p] for p in parts)
    cells = shown(_metrics(numbers))
    published = {k: cells[k].text for k in (*parts, key)}
    assert published["exit.referrals.police"] == PRIMARY_MARK

    def publish(values: Mapping[str, int]) -> dict[str, str]:
        found = shown(_metrics(values))
        return {k: found[k].text for k in (*parts, key)}

    hidden = [k for k, text in published.items() if text in (PRIMARY_MARK, WITHHELD_MARK)]
    possible: dict[str, set[Any]] = {k: set() for k in hidden}
    for candidate in itertools.product(*(_domain(published[k]) for k in hidden)):
        shown_values = {k: int(published[k]) for k in published if k not in hidden}
        values = shown_values | dict(zip(hidden, candidate, strict=True))
        if sum(values[p] for p in parts) != values[key]:
            continue
        if publish(values) == published:
            for k, value in zip(hidden, candidate, strict=True):
                possible[k].add(value)
    assert len(possible["exit.referrals.police"]) >= 2, possible
    assert len(possible["exit.referrals.probation"]) >= 2, possible
