"""The audit report's charts: plain SVG (bars, step lines, axes with ticks, labels), no script.

Every chart is one `<svg class="chart" data-chart=NAME>` element with a `viewBox`, so the page's CSS can
scale it to the width of the paper or the window without the text and lines drifting apart. The axes
carry ticks between their ends: value ticks at "nice" steps (1, 2, 2.5 or 5 times a power of ten) and
date ticks at whole days, weeks or month starts, so a reader can read a balance off the chart at a date
without hovering. Each data point also carries a `<title>` (shown on hover, and machine-checkable).

Everything is computed with `Decimal` and `datetime.date` and printed with fixed precision, so a given
set of figures always gives byte-for-byte the same SVG (the report is deterministic for a ledger state).
The legend sits outside the SVG (`legend_html`) because HTML wraps long account names and SVG does not.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

# Colour-blind-safe and distinct in greyscale print order (Okabe–Ito, darkened for white paper).
PALETTE = ("#0b6bcb", "#c2410c", "#15803d", "#a21caf", "#b45309", "#0e7490", "#be123c", "#4d5562")
BAR_COLOUR = "#0b6bcb"
WIDTH = 760  # the viewBox width; CSS scales the chart down to the column it sits in
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
DAY_STEPS = (1, 2, 7, 14)
MONTH_STEPS = (1, 2, 3, 6, 12)
DATE_LABEL_PX = 100  # room for one "2026-03-01" label (11 px font) plus a gap
LABEL_PX_PER_CHAR = 7.5  # a generous width of one character of a 12 px value label


@dataclass(frozen=True, slots=True)
class Line:
    """One series of a line chart: (value date, balance at the end of that date) in date order."""

    label: str
    commodity: str
    points: tuple[tuple[dt.date, Decimal], ...]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt(value: Decimal) -> str:
    """An amount with thousands separators, at the precision it was given in (`1234567.80` → `1,234,567.80`)."""
    return f"{value:,}"


def _tick_label(value: Decimal) -> str:
    text = f"{value.normalize():,f}"
    return "0" if text in ("-0", "0") else text


def value_ticks(low: Decimal, high: Decimal, *, target: int = 5) -> tuple[Decimal, Decimal, list[Decimal]]:
    """Axis bounds widened to whole steps and the ticks between them (both ends included).

    The step is the smallest of 1, 2, 2.5, 5 or 10 times a power of ten that gives at most `target`
    intervals, so labels read like "500,000" and "1,000,000" rather than "433,333.33".
    """
    if high < low:
        low, high = high, low
    if high == low:
        high = low + 1
    raw = (high - low) / target
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(m * magnitude for m in NICE_STEPS if m * magnitude >= raw)
    bottom = (low / step).to_integral_value(ROUND_FLOOR) * step
    top = (high / step).to_integral_value(ROUND_CEILING) * step
    count = int((top - bottom) / step)
    return bottom, top, [bottom + step * i for i in range(count + 1)]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def date_ticks(first: dt.date, last: dt.date, *, limit: int) -> list[dt.date]:
    """Dates strictly between `first` and `last` to label the time axis: at most `limit` of them.

    Steps of 1, 2, 7 or 14 days from `first`, else month starts every 1, 2, 3, 6 or 12 months (January
    always among them), whichever is the finest that fits; none when even yearly ticks do not fit.
    """
    span = (last - first).days
    if span < 2 or limit < 1:
        return []
    for days in DAY_STEPS:
        if span // days - (span % days == 0) <= limit:
            return [first + dt.timedelta(days=days * k) for k in range(1, span // days + 1) if k * days < span]
    for months in MONTH_STEPS:
        ticks = []
        day = _add_months(first, 1)
        while day < last:
            if (day.month - 1) % months == 0:
                ticks.append(day)
            day = _add_months(day, 1)
        if len(ticks) <= limit:
            return ticks
    return []


def _svg_open(title: str, name: str, height: int) -> str:
    return (
        f'<svg class="chart" data-chart="{_e(name)}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">'
    )


def bar_chart(title: str, bars: Sequence[tuple[str, Decimal]], unit: str, *, name: str) -> str:
    """A horizontal bar chart with a value axis (ticks from 0 and light grid lines) as an SVG element."""
    row, left, right, top_pad, bottom = 34, 170, 130, 8, 42
    height = top_pad + row * len(bars) + bottom
    values = [v for _, v in bars] + [Decimal(0)]
    low, high, ticks = value_ticks(min(values), max(values), target=4)
    plot_w = WIDTH - left - right
    axis_y = top_pad + row * len(bars)

    def x(value: Decimal) -> float:
        return left + plot_w * float((value - low) / (high - low))

    parts = [_svg_open(title, name, height)]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{x(tick):.1f}" y1="{top_pad}" x2="{x(tick):.1f}" y2="{axis_y}" stroke="#e5e7eb"/>'
            f'<text class="tick" x="{x(tick):.1f}" y="{axis_y + 15}" text-anchor="middle">{_tick_label(tick)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#6b7280"/>'
        f'<line class="axis" x1="{x(Decimal(0)):.1f}" y1="{top_pad}" x2="{x(Decimal(0)):.1f}" y2="{axis_y}" '
        'stroke="#6b7280"/>'
        f'<text class="axis-title" x="{left + plot_w / 2:.1f}" y="{axis_y + 34}" text-anchor="middle">'
        f"{_e(unit)}</text>"
    )
    for i, (label, value) in enumerate(bars):
        y = top_pad + i * row
        start, end = sorted((x(Decimal(0)), x(value)))
        parts.append(f'<text x="{left - 8}" y="{y + 21}" text-anchor="end">{_e(label)}</text>')
        parts.append(
            f'<rect class="bar" x="{start:.1f}" y="{y + 7}" width="{max(end - start, 1):.1f}" height="{row - 12}" '
            f'fill="{BAR_COLOUR}"><title>{_e(label)}: {_e(fmt(value))}</title></rect>'
        )
        label = fmt(value)
        if end + 6 + LABEL_PX_PER_CHAR * len(label) <= WIDTH:  # beside the bar, else inside its end
            parts.append(f'<text class="value" x="{end + 6:.1f}" y="{y + 21}">{_e(label)}</text>')
        else:
            parts.append(
                f'<text class="value inside" x="{end - 6:.1f}" y="{y + 21}" text-anchor="end">{_e(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: Sequence[Line], *, name: str, unit: str) -> str:
    """Balances over value dates, one step line per series (a balance holds until the next change).

    The x axis is labelled at both ends and at `date_ticks` between them; the y axis at `value_ticks`
    (0 always within range; a dashed line marks 0 when a balance goes below it).
    """
    height, left, right, top_pad, bottom = 300, 104, 64, 12, 48
    dates = sorted({d for s in series for d, _ in s.points})
    values = [v for s in series for _, v in s.points] + [Decimal(0)]
    low, high, ticks = value_ticks(min(values), max(values))
    first, last = dates[0], dates[-1]
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    axis_y = top_pad + plot_h

    def x(day: dt.date) -> float:
        return left + plot_w * ((day - first).days / span if last != first else 0.5)

    def y(value: Decimal) -> float:
        return top_pad + plot_h * float((high - value) / (high - low))

    parts = [_svg_open(title, name, height)]
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" '
            'stroke="#e5e7eb"/>'
            f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_tick_label(tick)}</text>'
        )
    inner = [d for d in date_ticks(first, last, limit=int(plot_w // DATE_LABEL_PX)) if x(first) + DATE_LABEL_PX <= x(d)]
    inner = [d for d in inner if x(d) <= x(last) - DATE_LABEL_PX]
    for day in inner:
        parts.append(
            f'<line class="grid" x1="{x(day):.1f}" y1="{top_pad}" x2="{x(day):.1f}" y2="{axis_y}" stroke="#eef0f2"/>'
            f'<line class="tick-mark" x1="{x(day):.1f}" y1="{axis_y}" x2="{x(day):.1f}" y2="{axis_y + 4}" '
            'stroke="#6b7280"/>'
            f'<text class="tick date" x="{x(day):.1f}" y="{axis_y + 16}" text-anchor="middle">{day.isoformat()}</text>'
        )
    ends = [(first, "start" if last != first else "middle")] + ([(last, "end")] if last != first else [])
    for day, anchor in ends:
        parts.append(
            f'<text class="tick date" x="{x(day):.1f}" y="{axis_y + 16}" text-anchor="{anchor}">'
            f"{day.isoformat()}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#6b7280"/>'
        f'<line class="axis" x1="{left}" y1="{top_pad}" x2="{left}" y2="{axis_y}" stroke="#6b7280"/>'
        f'<text class="axis-title" x="{left + plot_w / 2:.1f}" y="{axis_y + 38}" text-anchor="middle">'
        "Value date</text>"
        f'<text class="axis-title" transform="translate(14 {top_pad + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{_e(unit)}</text>'
    )
    if low < 0 < high:
        parts.append(
            f'<line class="zero" x1="{left}" y1="{y(Decimal(0)):.1f}" x2="{left + plot_w}" y2="{y(Decimal(0)):.1f}" '
            'stroke="#6b7280" stroke-dasharray="4 3"/>'
        )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        points: list[str] = []
        for j, (day, value) in enumerate(s.points):
            if j:  # a balance holds until the next change: draw steps, not slopes
                points.append(f"{x(day):.1f},{y(s.points[j - 1][1]):.1f}")
            points.append(f"{x(day):.1f},{y(value):.1f}")
        parts.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
        )
        for day, value in s.points:
            parts.append(
                f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                f"<title>{_e(s.label)} {day.isoformat()}: {_e(fmt(value))} {_e(s.commodity)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def swatch(colour: str, *, kind: str) -> str:
    """A small legend key: a filled box ("box"), a line with a dot ("line") or a dashed line ("dashed")."""
    head = '<svg class="key" aria-hidden="true" width="22" height="12" viewBox="0 0 22 12">'
    if kind == "box":
        return f'{head}<rect x="3" y="1" width="16" height="10" fill="{colour}"/></svg>'
    dash = ' stroke-dasharray="4 3"' if kind == "dashed" else ""
    dot = f'<circle cx="11" cy="6" r="3" fill="{colour}"/>' if kind == "line" else ""
    return f'{head}<line x1="0" y1="6" x2="22" y2="6" stroke="{colour}" stroke-width="2"{dash}/>{dot}</svg>'


def legend_html(entries: Sequence[tuple[str, str]]) -> str:
    """A legend as an HTML list: (key from `swatch`, already-escaped description) per entry."""
    items = "".join(f"<li>{key}<span>{text}</span></li>" for key, text in entries)
    return f'<ul class="legend">{items}</ul>'
