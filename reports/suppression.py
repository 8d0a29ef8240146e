"""Small-cell suppression of the reports' counts of persons (DOMAIN.md: "aggregated reports suppress small cells
(fewer than 5 persons) so nobody can be singled out"; issue 12, point 3). Public statistics are never suppressed.

What a reader sees in a cell:

- a number: the count (0 is shown as 0);
- "<5": 1 to 4 persons (primary suppression);
- "x": withheld so that no "<5" cell can be worked out from a total or a sum (secondary suppression); also a
  median over 1 to 4 persons, and a change that involves a suppressed cell;
- "..": no value (the share or the median of nothing).

The reader is assumed to know every number shown, every sum that holds between the cells (metrics.ROWS: a total
and its parts; metrics.FLOWS: open cases at the start + intakes - closed = open at the end, whose ends are
published in the previous and the next report anyway), that "<5" means 1 to 4, and how this module picks the
cells it withholds (a part withheld to protect another holds at least 5). A table is safe when every suppressed
cell can still take at least two values.

The audit takes one sum at a time, each cell's possible values an interval; the values one cell can take
under one sum are then exact. A flow shares one cell with a row (the closed cases), so the row is audited first
and narrows that cell for the flow. Not audited here: sums across reports beyond a flow's two ends (a year is
the sum of its four quarters); a report that shows a year beside its quarters must audit that sum too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Final

from django.utils.formats import number_format

from reports.metrics import FLOWS, ROWS, Comparison, Flow, Kind, Metric, Number

THRESHOLD: Final = 5  # counts from 1 to THRESHOLD - 1 are suppressed
PRIMARY_MARK: Final = "<5"
WITHHELD_MARK: Final = "x"
MISSING_MARK: Final = ".."


@dataclass(frozen=True)
class Cell:
    """What a report shows for one value, and whether that is less than the value itself."""

    text: str
    suppressed: bool = False


class How(Enum):
    """How a count is shown, and so what a reader can tell of it."""

    SHOWN = auto()  # the number: exactly it
    SMALL = auto()  # "<5": 1 to 4
    PROTECTING = auto()  # "x", withheld to protect another cell: a count of 5 or more
    WITHHELD = auto()  # "x", withheld whatever its value: 0 or more


def _bounds(value: int, how: How) -> tuple[float, float]:
    """The values a reader can tell a count lies within."""
    return {
        How.SHOWN: (value, value),
        How.SMALL: (1, THRESHOLD - 1),
        How.PROTECTING: (THRESHOLD, math.inf),
        How.WITHHELD: (0, math.inf),
    }[how]


def _ranges(terms: Sequence[tuple[int, float, float]]) -> list[tuple[float, float]]:
    """Given one sum `sign_1*x_1 + sign_2*x_2 + ... = 0` and for each term (sign, low, high), the values each x
    can take when the others lie within theirs (exact for integers: every sum in between is reachable)."""
    spans = [(low, high) if sign > 0 else (-high, -low) for sign, low, high in terms]
    ranges = []
    for i, (sign, low, high) in enumerate(terms):
        others_low = sum(span[0] for j, span in enumerate(spans) if j != i)
        others_high = sum(span[1] for j, span in enumerate(spans) if j != i)
        # sign * x = -(the others)
        can_low, can_high = (-others_high, -others_low) if sign > 0 else (others_low, others_high)
        ranges.append((max(low, can_low), min(high, can_high)))
    return ranges


Terms = Sequence[tuple[str, int]]  # the cells of one sum, each with its sign


def _terms(
    keys: Terms, values: Mapping[str, int], hows: Mapping[str, How], narrowed: Mapping[str, tuple[float, float]]
) -> list[tuple[int, float, float]]:
    return [(sign, *narrowed.get(key, _bounds(values[key], hows[key]))) for key, sign in keys]


def _safe(
    keys: Terms,
    values: Mapping[str, int],
    hows: Mapping[str, How],
    narrowed: Mapping[str, tuple[float, float]] | None = None,
) -> bool:
    """Whether every suppressed cell of one sum keeps two or more possible values. `narrowed`: a cell's bounds as
    narrowed by another sum it is part of."""
    terms = _terms(keys, values, hows, narrowed or {})
    return all(
        high > low for (key, _sign), (low, high) in zip(keys, _ranges(terms), strict=True) if hows[key] != How.SHOWN
    )


def primary(value: int) -> How:
    return How.SMALL if 0 < value < THRESHOLD else How.SHOWN


def _row_keys(total: str, parts: Sequence[str]) -> Terms:
    return [*((part, 1) for part in parts), (total, -1)]


def protect_row(values: Mapping[str, int], hows: dict[str, How], total: str, parts: Sequence[str]) -> None:
    """Secondary suppression of a total and its parts (changes `hows`). Withhold the smallest parts of 5 or more
    until no suppressed cell can be worked out; if no choice of parts does it, withhold the total instead; if
    the total is itself under 5, withhold every part."""
    keys = _row_keys(total, parts)
    if _safe(keys, values, hows):
        return
    candidates = sorted((p for p in parts if hows[p] == How.SHOWN and values[p] >= THRESHOLD), key=values.__getitem__)
    chosen: list[str] = []
    while candidates:
        for candidate in candidates:
            hows[candidate] = How.PROTECTING
            if _safe(keys, values, hows):
                return
            hows[candidate] = How.SHOWN
        chosen.append(candidates.pop(0))
        hows[chosen[-1]] = How.PROTECTING
    for part in chosen:
        hows[part] = How.SHOWN
    if hows[total] == How.SHOWN:
        # A shown total is 5 or more and some part is under 5: withholding the total always protects the row.
        hows[total] = How.PROTECTING
        return
    for part in parts:
        hows[part] = How.WITHHELD


def protect_flow(values: Mapping[str, int], hows: dict[str, How], flow: Flow) -> None:
    """Secondary suppression of `opening + inflow - outflow = closing` (changes `hows`). The two ends are
    published in the neighbouring reports, so only the inflow can be withheld, and if that is not enough the
    outflow with its whole row."""
    keys = [(flow.opening, 1), (flow.inflow, 1), (flow.outflow, -1), (flow.closing, -1)]

    def outflow_bounds() -> dict[str, tuple[float, float]]:
        parts = ROWS.get(flow.outflow)
        if parts is None:
            return {}
        return {flow.outflow: _ranges(_terms(_row_keys(flow.outflow, parts), values, hows, {}))[-1]}

    if _safe(keys, values, hows, outflow_bounds()):
        return
    hows[flow.inflow] = How.WITHHELD
    if _safe(keys, values, hows, outflow_bounds()):
        return
    for key in (flow.outflow, *ROWS.get(flow.outflow, ())):
        hows[key] = How.WITHHELD


# --------------------------------------------------------------------------------------------------
# Display


def _number(value: int | float, *, signed: bool = False) -> str:
    text = number_format(value, decimal_pos=1 if isinstance(value, float) else None, force_grouping=True)
    return f"+{text}" if signed and value > 0 else text


def cell_for(value: int, how: How) -> Cell:
    if how == How.SHOWN:
        return Cell(_number(value))
    return Cell(PRIMARY_MARK if how == How.SMALL else WITHHELD_MARK, suppressed=True)


def count_cell(value: int) -> Cell:
    """A count of persons on its own (primary suppression only): 1 to 4 as "<5", 0 as 0."""
    return cell_for(value, primary(value))


def public_cell(value: Number) -> Cell:
    """A public statistic: never suppressed."""
    return Cell(MISSING_MARK) if value is None else Cell(_number(value))


def statistic_cell(value: float | None, base: int) -> Cell:
    """A median (or another statistic) over `base` persons: withheld when they are 1 to 4."""
    if 0 < base < THRESHOLD:
        return Cell(WITHHELD_MARK, suppressed=True)
    return public_cell(value)


def change_cell(value: Number, now: Cell, then: Cell) -> Cell:
    """A change between two shown values (absolute or %): withheld when either is suppressed, since the change
    and the other value give it away."""
    if now.suppressed or then.suppressed:
        return Cell(WITHHELD_MARK, suppressed=True)
    return Cell(MISSING_MARK) if value is None else Cell(_number(value, signed=True))


@dataclass(frozen=True)
class Row:
    parts: dict[str, Cell]
    total: Cell


def row_cells(parts: Mapping[str, int], total: int) -> Row:
    """A row of counts of persons and the total they add up to, with primary and secondary suppression."""
    if sum(parts.values()) != total:
        raise ValueError("the parts of a row add up to its total")
    values = {**parts, "": total}
    hows = {key: primary(value) for key, value in values.items()}
    protect_row(values, hows, "", list(parts))
    return Row(parts={key: cell_for(parts[key], hows[key]) for key in parts}, total=cell_for(total, hows[""]))


def shown(metrics: Mapping[str, Metric]) -> dict[str, Cell]:
    """The cells of one period's metrics (metrics.compute): public ones as they are, counts of persons with
    primary suppression, then secondary suppression over every row and flow among them."""
    cells: dict[str, Cell] = {}
    values: dict[str, int] = {}
    for key, metric in metrics.items():
        if metric.kind == Kind.PUBLIC:
            cells[key] = public_cell(metric.value)
        elif metric.base is not None:
            cells[key] = statistic_cell(None if metric.value is None else float(metric.value), metric.base)
        else:
            values[key] = int(metric.value or 0)
    hows = {key: primary(value) for key, value in values.items()}
    for total, parts in ROWS.items():
        if total in values and all(part in values for part in parts):
            protect_row(values, hows, total, parts)
    for flow in FLOWS:
        if all(key in values for key in (flow.opening, flow.inflow, flow.outflow, flow.closing)):
            protect_flow(values, hows, flow)
    cells.update({key: cell_for(value, hows[key]) for key, value in values.items()})
    return {key: cells[key] for key in metrics}


@dataclass(frozen=True)
class ShownComparison:
    key: str
    kind: Kind
    value: Cell
    previous: Cell
    baseline: Cell
    change_previous: Cell
    change_previous_percent: Cell
    change_baseline: Cell
    change_baseline_percent: Cell


def shown_comparisons(comparisons: Sequence[Comparison]) -> list[ShownComparison]:
    """The cells of metrics.compare: each period suppressed as a report of its own, and each change withheld
    when it involves a suppressed cell."""
    now = shown({c.key: c.current for c in comparisons})
    previous = shown({c.key: c.previous for c in comparisons})
    baseline = shown({c.key: c.baseline for c in comparisons})
    rows = []
    for c in comparisons:
        key, versus_previous, versus_baseline = c.key, c.versus_previous, c.versus_baseline
        rows.append(
            ShownComparison(
                key=key,
                kind=c.kind,
                value=now[key],
                previous=previous[key],
                baseline=baseline[key],
                change_previous=change_cell(versus_previous.absolute, now[key], previous[key]),
                change_previous_percent=change_cell(versus_previous.percent, now[key], previous[key]),
                change_baseline=change_cell(versus_baseline.absolute, now[key], baseline[key]),
                change_baseline_percent=change_cell(versus_baseline.percent, now[key], baseline[key]),
            )
        )
    return rows
