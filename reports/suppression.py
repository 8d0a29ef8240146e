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
published in the previous and the next report anyway; a year's counts as the sums of its quarters', published in
the quarterly reports), that "<5" means 1 to 4, and this module. So which cells are withheld depends only on
which counts are 0, under 5, or 5 and more, never on the values hidden: a rule that looked at them (say,
"withhold the total only when the two '<5' below it would otherwise be 4 and 4") would tell the reader the
values by its choice. The rules (suppress) are:

- a total "<5" (or withheld for another reason) withholds all its parts; a total above a suppressed part is
  withheld;
- when any cell of a flow, or of its outflow's row, is suppressed, the inflow and the outflow are withheld;
- a count of distinct persons is withheld when a count it cannot exceed is suppressed (metrics.AT_MOST);
- a year's count that sums its quarters' (or is at most their sum) is withheld when that count is suppressed in
  any quarter.

Then one rule looks at values, and only to withhold more: a count that differs by 1 to 4 from a number already
published for the same period (an earlier edition, another report's previous or baseline column, a year's
quarters as last published) is withheld (revised), since records entered late would otherwise be given away by a
subtraction. The reader learns from it only that the difference lies between 1 and 4.

Every suppressed cell then keeps at least two possible values (tests/reports: a reader who knows this method,
over every value the hidden cells could take). On-demand reports are for quarters and years only: two
overlapping spans of days would give away the persons of the days between them by a subtraction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Final

from django.utils.formats import number_format

from reports.metrics import (
    AT_MOST,
    AT_MOST_SUM_OF_QUARTERS,
    FLOWS,
    ROWS,
    SUMS_OVER_QUARTERS,
    Comparison,
    Flow,
    Kind,
    Metric,
    Number,
)

THRESHOLD: Final = 5  # counts from 1 to THRESHOLD - 1 are suppressed
PRIMARY_MARK: Final = "<5"
WITHHELD_MARK: Final = "x"
MISSING_MARK: Final = ".."


@dataclass(frozen=True)
class Cell:
    """What a report shows for one value, and whether that is less than the value itself. `number`: the value
    shown (None when suppressed or missing), kept so that a stored report can be written in another language."""

    text: str
    suppressed: bool = False
    number: int | float | None = field(default=None, compare=False)

    @property
    def stored(self) -> int | float | str:
        """The cell as a report stores it (reports.models.Report.results): the number, or the mark."""
        return self.text if self.number is None else self.number


class How(Enum):
    """How a count is shown, and so what a reader can tell of it."""

    SHOWN = auto()  # the number: exactly it
    SMALL = auto()  # "<5": 1 to 4
    PROTECTING = auto()  # "x", a total withheld because a part of it is suppressed: 0 or 5 and more
    WITHHELD = auto()  # "x", withheld whatever its value: 0 or more


def primary(value: int) -> How:
    return How.SMALL if 0 < value < THRESHOLD else How.SHOWN


def _withhold(hows: dict[str, How], keys: Iterable[str]) -> bool:
    """Mark `keys` withheld whatever their value; whether anything changed."""
    changed = False
    for key in keys:
        if hows[key] != How.WITHHELD:
            hows[key], changed = How.WITHHELD, True
    return changed


def protect_row(hows: dict[str, How], total: str, parts: Sequence[str]) -> bool:
    """Secondary suppression of a total and its parts (changes `hows`; whether anything changed).

    A total that is suppressed for its own sake (under 5, or withheld by another sum) takes every part with it:
    under a total "<5" four "<5" parts could only be 1 each, and shown parts would give a withheld total away.
    Otherwise a total above a suppressed part is withheld: a reader then knows the suppressed parts only as
    making the total 5 or more, which leaves every "<5" at least two values (1 to 4)."""
    if hows[total] in (How.SMALL, How.WITHHELD):
        return _withhold(hows, parts)
    if hows[total] == How.SHOWN and any(hows[part] != How.SHOWN for part in parts):
        hows[total] = How.PROTECTING
        return True
    return False


def protect_flow(hows: dict[str, How], flow: Flow) -> bool:
    """Secondary suppression of `opening + inflow - outflow = closing` (changes `hows`; whether anything
    changed). The two ends are published in the neighbouring reports, so the difference inflow - outflow is
    known: when any cell of the flow, or of the outflow's row, is suppressed, the inflow and the outflow are both
    withheld (and with the outflow its row), so that neither can be worked out from the other."""
    cells = (flow.opening, flow.inflow, flow.outflow, flow.closing, *ROWS.get(flow.outflow, ()))
    if all(hows[key] == How.SHOWN for key in cells):
        return False
    return _withhold(hows, (flow.inflow, flow.outflow))


def protect_bound(hows: dict[str, How], count: str, bounds: Sequence[str]) -> bool:
    """A count no larger than the sum of `bounds` (metrics.AT_MOST) is withheld when one of them is suppressed:
    a shown reach of 14 beside 10 delivered and a "<5" refused would pin the refused at 4 or more."""
    if hows[count] == How.WITHHELD or all(hows[key] == How.SHOWN for key in bounds):
        return False
    return _withhold(hows, (count,))


def suppress(values: Mapping[str, int], withheld: Iterable[str] = ()) -> dict[str, How]:
    """How each count of persons in `values` is shown: primary suppression, the cells `withheld` from outside
    (e.g. a year's cells whose quarter was suppressed in its own report), then secondary suppression over every
    row and flow among them until nothing changes.

    Which cells are withheld depends only on which cells are 0, under 5, or 5 and more — never on the values
    of those withheld — so a reader who knows this method learns nothing more from the choice."""
    hows = {key: primary(value) for key, value in values.items()}
    _withhold(hows, (key for key in withheld if key in hows))
    rows = [(total, parts) for total, parts in ROWS.items() if total in hows and all(p in hows for p in parts)]
    flows = [f for f in FLOWS if all(k in hows for k in (f.opening, f.inflow, f.outflow, f.closing))]
    bounded = [(count, bounds) for count, bounds in AT_MOST.items() if count in hows and all(b in hows for b in bounds)]
    changed = True
    while changed:
        changed = False
        for total, parts in rows:
            changed |= protect_row(hows, total, parts)
        for flow in flows:
            changed |= protect_flow(hows, flow)
        for count, bounds in bounded:
            changed |= protect_bound(hows, count, bounds)
    return hows


# --------------------------------------------------------------------------------------------------
# Display


def number_text(value: int | float, *, signed: bool = False) -> str:
    text = number_format(value, decimal_pos=1 if isinstance(value, float) else None, force_grouping=True)
    return f"+{text}" if signed and value > 0 else text


def stored_text(stored: int | float | str | None, *, signed: bool = False) -> str:
    """A stored cell (Cell.stored) written out in the active language."""
    if stored is None:
        return MISSING_MARK
    return stored if isinstance(stored, str) else number_text(stored, signed=signed)


def cell_for(value: int, how: How) -> Cell:
    if how == How.SHOWN:
        return Cell(number_text(value), number=value)
    return Cell(PRIMARY_MARK if how == How.SMALL else WITHHELD_MARK, suppressed=True)


def count_cell(value: int) -> Cell:
    """A count of persons on its own (primary suppression only): 1 to 4 as "<5", 0 as 0."""
    return cell_for(value, primary(value))


def public_cell(value: Number) -> Cell:
    """A public statistic: never suppressed."""
    return Cell(MISSING_MARK) if value is None else Cell(number_text(value), number=value)


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
    return Cell(MISSING_MARK) if value is None else Cell(number_text(value, signed=True), number=value)


@dataclass(frozen=True)
class Row:
    parts: dict[str, Cell]
    total: Cell


def row_cells(parts: Mapping[str, int], total: int) -> Row:
    """A row of counts of persons and the total they add up to, with primary and secondary suppression."""
    if sum(parts.values()) != total:
        raise ValueError("the parts of a row add up to its total")
    hows = {key: primary(value) for key, value in parts.items()} | {"": primary(total)}
    protect_row(hows, "", list(parts))
    return Row(parts={key: cell_for(parts[key], hows[key]) for key in parts}, total=cell_for(total, hows[""]))


def _counts(metrics: Mapping[str, Metric]) -> dict[str, int]:
    """The counts of persons among `metrics` (not public statistics, not medians or shares)."""
    return {
        key: int(metric.value or 0)
        for key, metric in metrics.items()
        if metric.kind == Kind.PERSONS and metric.base is None
    }


def withheld_by_quarters(quarters: Sequence[Mapping[str, Metric]]) -> set[str]:
    """The counts of a year to withhold because they are the sum of its quarters' (or at most that sum) and some
    quarter's count is suppressed in that quarter's own report (else the year less the shown quarters gives it
    away, or bounds it)."""
    summed = SUMS_OVER_QUARTERS | AT_MOST_SUM_OF_QUARTERS
    withheld: set[str] = set()
    for quarter in quarters:
        hows = suppress(_counts(quarter))
        withheld |= {key for key, how in hows.items() if how != How.SHOWN and key in summed}
    return withheld


def shown(
    metrics: Mapping[str, Metric], quarters: Sequence[Mapping[str, Metric]] = (), withheld: Iterable[str] = ()
) -> dict[str, Cell]:
    """The cells of one period's metrics (metrics.compute): public ones as they are, counts of persons with
    primary suppression, then secondary suppression over every row and flow among them. For a calendar year,
    `quarters` are its four quarters' metrics, published in their own reports (see withheld_by_quarters).
    `withheld`: counts to withhold for reasons from outside the table (see revised)."""
    cells: dict[str, Cell] = {}
    for key, metric in metrics.items():
        if metric.kind == Kind.PUBLIC:
            cells[key] = public_cell(metric.value)
        elif metric.base is not None:
            cells[key] = statistic_cell(None if metric.value is None else float(metric.value), metric.base)
    values = _counts(metrics)
    hows = suppress(values, {*withheld_by_quarters(quarters), *withheld})
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


def revised(metrics: Mapping[str, Metric], published: Mapping[str, Collection[int | float]]) -> set[str]:
    """The counts of persons that differ by 1 to 4 from a number already published for the same period (an
    earlier edition, or another report's previous or baseline column): records entered late, back-dated into
    the period, would otherwise be given away by a subtraction. `published`: key -> the numbers shown."""
    return {
        key
        for key, value in _counts(metrics).items()
        if any(0 < abs(value - number) < THRESHOLD for number in published.get(key, ()))
    }


def shown_comparisons(
    comparisons: Sequence[Comparison], published: Mapping[str, Mapping[str, Collection[int | float]]] | None = None
) -> list[ShownComparison]:
    """The cells of metrics.compare: each period suppressed as a report of its own, and each change withheld
    when it involves a suppressed cell. `published`: for each column ("current", "previous", "baseline"), the
    numbers already published for its period, by key (see revised)."""

    def period(column: str) -> dict[str, Cell]:
        metrics = {c.key: getattr(c, column) for c in comparisons}
        withheld = revised(metrics, (published or {}).get(column, {}))
        if not all(getattr(c, f"{column}_quarters") for c in comparisons):
            return shown(metrics, withheld=withheld)
        quarters = [{c.key: getattr(c, f"{column}_quarters")[i] for c in comparisons} for i in range(4)]
        return shown(metrics, quarters, withheld=withheld)

    now, previous, baseline = period("current"), period("previous"), period("baseline")
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
