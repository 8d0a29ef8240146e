"""The reports' charts as inline SVG, drawn on the server in plain Python: the same markup goes into the PDF
(WeasyPrint draws it, no browser) and into the report page.

Every chart reads only a stored report (Report.results, see reports/results.py), so it shows the published,
suppressed cells and nothing else. A suppressed cell ("<5", "x") or a missing one ("..") draws no bar: its mark is
written where the bar would start, so no bar length can give a hidden count away. Numbers are written in the active
language (suppression.number_text / stored_text).

The API (stable; the report page embeds these):

- `incidents_chart(rows)`: rows = results["incidents_by_quarter"]; stacked bars per quarter (shootings,
  explosions, other grave violence), y axis with ticks, a legend, quarters under the bars and years under them.
- `attendance_chart(results)`: the call-in attendance of the period (attended, left early, absent, not
  recorded), horizontal bars.
- `funnel_chart(results)`: the exit program's funnel (referrals, intakes, active exit cases, completed), centred
  horizontal bars.
- `period_text(label)`: a stored period label ("2026-Q3", "2026") written for a reader ("2026 Q3"; "2026 K3" in
  Swedish).

Each returns a SafeString holding one `<svg>` element with role="img", an aria-label, a <title> and a <desc>
(the numbers in words), a viewBox, width and height in user units (1 unit = 1 CSS px; scale it with CSS, e.g.
`svg.report-chart { max-width: 100%; height: auto; }`), the class "report-chart" plus one of
"report-chart-incidents" / "-attendance" / "-funnel", and no style attributes (presentation attributes only, so
a strict Content-Security-Policy holds). Each bar is a <rect> with `data-key` and `data-value`; each mark of a
suppressed cell a <text> with class "mark".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.definitions import DEFINITIONS
from reports.suppression import MISSING_MARK, number_text, stored_text

FONT: Final = "'DejaVu Sans', sans-serif"
TEXT_COLOUR: Final = "#212529"
AXIS_COLOUR: Final = "#6c757d"
GRID_COLOUR: Final = "#dee2e6"
# Okabe–Ito colours: told apart with any colour vision, and in greyscale by their lightness.
INCIDENT_KINDS: Final = (
    ("shootings", "incidents.shootings", "#d55e00"),
    ("explosions", "incidents.explosions", "#0072b2"),
    ("other", "incidents.other", "#999999"),
)
BAR_COLOUR: Final = "#0072b2"
ATTENDANCE_KEYS: Final = ("callins.attended", "callins.left_early", "callins.absent", "callins.not_recorded")
FUNNEL_KEYS: Final = ("exit.referrals", "exit.intakes", "exit.active", "exit.closed.completed")

_QUARTER_LABEL: Final = re.compile(r"^(\d{4})-Q([1-4])$")


def period_text(label: str) -> str:
    """A stored period label for a reader: "2026-Q3" → "2026 Q3" (Swedish "2026 K3"), "2026" → "2026", and an
    interval "2026-01-05/2026-02-10" → "2026-01-05 – 2026-02-10"."""
    quarter = _QUARTER_LABEL.match(label)
    if quarter:
        return _("%(year)s Q%(quarter)s") % {"year": quarter[1], "quarter": quarter[2]}
    return label.replace("/", " – ")


def _num(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _attrs(**attributes: Any) -> str:
    """XML attributes, escaped; a trailing underscore is dropped (class_), other underscores become hyphens."""
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        name = name.rstrip("_").replace("_", "-")
        text = _num(value) if isinstance(value, float) else str(value)
        parts.append(f'{name}="{escape(text)}"')
    return " ".join(parts)


def _text(x: float, y: float, content: str, **attributes: Any) -> str:
    return f"<text {_attrs(x=float(x), y=float(y), **attributes)}>{escape(content)}</text>"


def _svg(kind: str, width: int, height: int, title: str, description: str, body: Sequence[str]) -> SafeString:
    head = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        aria_label=title,
        class_=f"report-chart report-chart-{kind}",
        font_family=FONT,
        font_size=11,
        fill=TEXT_COLOUR,
    )
    # viewBox is case-sensitive: _attrs keeps it as written.
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every text and attribute above is escaped
        f"<svg {head}><title>{escape(title)}</title><desc>{escape(description)}</desc>{''.join(body)}</svg>"
    )


def axis_ticks(largest: int, *, count: int = 4) -> list[int]:
    """Whole-number ticks from 0 to at least `largest`, about `count` steps of 1, 2 or 5 times a power of ten."""
    if largest <= 0:
        return list(range(count + 1))
    rough = largest / count
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(max(1, int(m * magnitude)) for m in (1, 2, 5, 10) if m * magnitude >= rough)
    top = math.ceil(largest / step) * step
    return list(range(0, top + 1, step))


# --------------------------------------------------------------------------------------------------
# Incidents per quarter: stacked vertical bars


@dataclass(frozen=True)
class _Plot:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _count(value: Any) -> int:
    """A public count of a stored row (incident counts are never suppressed); anything else draws as nothing."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    parts = []
    for label, colour in items:
        parts.append(f"<rect {_attrs(x=float(x), y=float(y - 9), width=10, height=10, fill=colour)}/>")
        parts.append(_text(x + 14, y, label))
        x += 14 + 7 * len(label) + 18  # DejaVu Sans at 11 units: about 7 units a character
    return parts


def incidents_chart(rows: Sequence[Mapping[str, Any]]) -> SafeString:
    """Incidents per quarter as stacked bars (shootings, explosions, other grave violence), for up to 24 quarters
    and more: each bar is labelled with its quarter, and the years are written under their quarters."""
    width, height = 640, 300
    plot = _Plot(left=44, top=34, right=width - 8, bottom=height - 50)
    kinds = [(field, str(DEFINITIONS[key].title), colour) for field, key, colour in INCIDENT_KINDS]
    totals = [sum(_count(row.get(field)) for field, _key, _colour in INCIDENT_KINDS) for row in rows]
    ticks = axis_ticks(max(totals, default=0))
    scale = plot.height / ticks[-1]

    body = _legend(plot.left, 14, [(label, colour) for _field, label, colour in kinds])
    for tick in ticks:
        y = plot.bottom - tick * scale
        colour = AXIS_COLOUR if tick == 0 else GRID_COLOUR
        line = _attrs(x1=float(plot.left), y1=y, x2=float(plot.right), y2=y, stroke=colour, stroke_width=1)
        body.append(f"<line {line}/>")
        body.append(_text(plot.left - 6, y + 4, number_text(tick), text_anchor="end", font_size=10))

    slot = plot.width / max(len(rows), 1)
    bar = slot * 0.7
    years: dict[str, list[float]] = {}
    described = []
    for index, row in enumerate(rows):
        label = str(row.get("label", ""))
        x = plot.left + index * slot + (slot - bar) / 2
        counts = [(field, name, colour, _count(row.get(field))) for field, name, colour in kinds]
        summary = ", ".join(f"{name} {number_text(value)}" for _field, name, _colour, value in counts)
        described.append(f"{period_text(label)}: {summary}")
        group = [f"<title>{escape(period_text(label))}: {escape(summary)}</title>"]
        y = plot.bottom
        for field, _name, colour, value in counts:
            if value:
                segment = value * scale
                y -= segment
                rect = _attrs(
                    x=x, y=y, width=bar, height=segment, fill=colour, data_key=f"incidents.{field}", data_value=value
                )
                group.append(f"<rect {rect}/>")
        body.append(f"<g {_attrs(class_='bar', data_label=label)}>{''.join(group)}</g>")
        quarter = _QUARTER_LABEL.match(label)
        centre = x + bar / 2
        if quarter:
            body.append(_text(centre, plot.bottom + 14, _("Q%(quarter)s") % {"quarter": quarter[2]}, **_centred(9)))
            years.setdefault(quarter[1], []).append(centre)
        else:
            body.append(_text(centre, plot.bottom + 14, period_text(label), **_centred(9)))
    for year, centres in years.items():
        body.append(_text((centres[0] + centres[-1]) / 2, plot.bottom + 30, year, **_centred(10)))
        separator = centres[0] - slot / 2
        if separator > plot.left + 1:
            line = _attrs(x1=separator, y1=float(plot.bottom), x2=separator, y2=plot.bottom + 34.0, stroke=GRID_COLOUR)
            body.append(f"<line {line}/>")

    if rows:
        title = _("Incidents per quarter, %(first)s to %(last)s") % {
            "first": period_text(str(rows[0].get("label", ""))),
            "last": period_text(str(rows[-1].get("label", ""))),
        }
    else:
        title = _("Incidents per quarter")
        body.append(_text(plot.left + plot.width / 2, plot.top + plot.height / 2, _("No quarters"), **_centred(11)))
    return _svg("incidents", width, height, title, "; ".join(described), body)


def _centred(size: int) -> dict[str, Any]:
    return {"text_anchor": "middle", "font_size": size}


# --------------------------------------------------------------------------------------------------
# Horizontal bars: attendance and the exit program's funnel


def _stored(results: Mapping[str, Any], key: str) -> Any:
    for row in results.get("metrics", ()):
        if row.get("key") == key:
            return row.get("value")
    return MISSING_MARK


def _shown_number(stored: Any) -> int | float | None:
    """The number of a stored cell, or None for a mark (suppressed or missing): a mark draws no bar."""
    if isinstance(stored, bool) or not isinstance(stored, int | float):
        return None
    return stored


def _horizontal(kind: str, results: Mapping[str, Any], keys: Sequence[str], title: str, *, centred: bool) -> SafeString:
    width, row_height, label_width = 640, 30, 200
    height = row_height * len(keys) + 8
    area_left, area_right = label_width + 8, width - 56
    area_width = area_right - area_left
    cells = [(key, str(DEFINITIONS[key].title), _stored(results, key)) for key in keys]
    numbers = [n for _key, _label, stored in cells if (n := _shown_number(stored)) is not None]
    largest = max(numbers, default=0)
    body = []
    described = []
    for index, (key, label, stored) in enumerate(cells):
        top = 4 + index * row_height
        middle = top + row_height / 2
        text = stored_text(stored)
        described.append(f"{label}: {text}")
        body.append(_text(label_width, middle + 4, label, text_anchor="end"))
        number = _shown_number(stored)
        if number is None:
            x = area_left + area_width / 2 if centred else area_left + 4
            anchor = "middle" if centred else "start"
            body.append(_text(x, middle + 4, text, text_anchor=anchor, class_="mark", font_weight="bold"))
            continue
        length = area_width * number / largest if largest else 0.0
        x = area_left + (area_width - length) / 2 if centred else float(area_left)
        if length:
            rect = _attrs(
                x=x,
                y=top + 5.0,
                width=length,
                height=row_height - 10.0,
                fill=BAR_COLOUR,
                data_key=key,
                data_value=number,
            )
            body.append(f"<rect {rect}/>")
        body.append(_text(x + length + 6, middle + 4, text, class_="value"))
    axis = _attrs(x1=float(area_left), y1=2.0, x2=float(area_left), y2=height - 2.0, stroke=AXIS_COLOUR)
    if not centred:
        body.insert(0, f"<line {axis}/>")
    return _svg(kind, width, height, title, "; ".join(described), body)


def attendance_chart(results: Mapping[str, Any]) -> SafeString:
    """The attendance of those invited to the period's call-ins: attended, left early, absent, not recorded."""
    title = _("Call-in attendance, %(period)s") % {"period": _period_of(results)}
    return _horizontal("attendance", results, ATTENDANCE_KEYS, title, centred=False)


def funnel_chart(results: Mapping[str, Any]) -> SafeString:
    """The exit program's funnel of the period: referrals, intakes, active exit cases at the end, completed."""
    title = _("Exit program, %(period)s: referrals, intakes, active cases and completed") % {
        "period": _period_of(results)
    }
    return _horizontal("funnel", results, FUNNEL_KEYS, title, centred=True)


def _period_of(results: Mapping[str, Any]) -> str:
    return period_text(str(results.get("period", {}).get("label", "")))
