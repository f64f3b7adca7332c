"""A self-contained HTML report for an auditor: tables and inline SVG charts, no script, no network.

`render_html` is pure: it takes the figures and returns one HTML document that any browser shows
offline. The CLI gathers them from AuditService (clients.audit_commands.report_data), every one as of the
end of the report's value date (docs/audit.md, "As of a date"). Charts are plain SVG elements (bars,
polylines, axes and labels), so they render without JavaScript and can be checked in the DOM.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4", "#57606a")


@dataclass(frozen=True, slots=True)
class TrialLine:
    account: str
    type: str
    commodity: str
    debit: str
    credit: str


@dataclass(frozen=True, slots=True)
class TrialTotal:
    commodity: str
    debit: str
    credit: str
    balanced: bool


@dataclass(frozen=True, slots=True)
class PartyTrial:
    party: str
    display_name: str
    kind: str
    lines: tuple[TrialLine, ...]
    totals: tuple[TrialTotal, ...]
    balanced: bool


@dataclass(frozen=True, slots=True)
class Series:
    """One account's balance over time (on the account's normal side), by value date.

    `points` are (value date, balance at the end of that date) in date order: one per value date with
    postings, then the report's as-of date, so the last point is the balance as of the report's date.
    """

    label: str
    commodity: str
    points: tuple[tuple[dt.date, Decimal], ...]


@dataclass(frozen=True, slots=True)
class Exposure:
    branch: str
    commodity: str
    amount: Decimal
    accounts: int


@dataclass(slots=True)
class ReportData:
    as_of: dt.date
    generated_at: str
    trial: list[PartyTrial]
    exposures: list[Exposure]
    option_values: list[Series]
    pool_balances: list[Series]
    checkpoint: str = ""
    notes: list[str] = field(default_factory=list)
    signed_checkpoint: str = ""  # the signed note the report was made from (docs/audit.md, Signed checkpoints)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: Decimal) -> str:
    return f"{value:,}"


def bar_chart(title: str, bars: Sequence[tuple[str, Decimal]], unit: str, *, name: str) -> str:
    """A horizontal bar chart as an SVG element."""
    width, row, left, right = 760, 30, 200, 150
    height = row * len(bars) + 40
    top = max((abs(v) for _, v in bars), default=Decimal(1)) or Decimal(1)
    parts = [
        f'<svg class="chart" data-chart="{_e(name)}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="0" y="16" class="chart-title">{_e(title)}</text>',
    ]
    for i, (label, value) in enumerate(bars):
        y = 28 + i * row
        length = float(abs(value) / top) * (width - left - right)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{_e(label)}</text>')
        parts.append(
            f'<rect class="bar" x="{left}" y="{y + 4}" width="{max(length, 1):.1f}" height="{row - 10}" '
            f'fill="{colour}"><title>{_e(label)}: {_e(_fmt(value))} {_e(unit)}</title></rect>'
        )
        parts.append(f'<text x="{left + length + 6:.1f}" y="{y + 17}">{_e(_fmt(value))} {_e(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: Sequence[Series], *, name: str) -> str:
    """A line chart of balances over time (one polyline per series) as an SVG element."""
    width, height, left, right, top_pad, bottom = 760, 300, 90, 20, 30, 60
    dates = sorted({d for s in series for d, _ in s.points})
    values = [v for s in series for _, v in s.points] + [Decimal(0)]
    low, high = min(values), max(values)
    if high == low:
        high = low + 1
    first, last = dates[0], dates[-1]
    span = max((last - first).days, 1)
    plot_w, plot_h = width - left - right, height - top_pad - bottom

    def x(day: dt.date) -> float:
        return left + plot_w * ((day - first).days / span if last != first else 0.5)

    def y(value: Decimal) -> float:
        return top_pad + plot_h * float((high - value) / (high - low))

    parts = [
        f'<svg class="chart" data-chart="{_e(name)}" role="img" aria-label="{_e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="0" y="16" class="chart-title">{_e(title)}</text>',
        f'<line class="axis" x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_pad + plot_h}" stroke="#888"/>',
        f'<line class="axis" x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end">{_e(_fmt(high))}</text>',
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">{_e(_fmt(low))}</text>',
        f'<text x="{left}" y="{top_pad + plot_h + 16}">{first.isoformat()}</text>',
        f'<text x="{left + plot_w}" y="{top_pad + plot_h + 16}" text-anchor="end">{last.isoformat()}</text>',
    ]
    if low < 0 < high:
        parts.append(
            f'<line x1="{left}" y1="{y(Decimal(0)):.1f}" x2="{left + plot_w}" y2="{y(Decimal(0)):.1f}" '
            'stroke="#ccc" stroke-dasharray="4 3"/>'
        )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        # A balance holds until the next change: draw steps, not slopes.
        points: list[str] = []
        for j, (day, value) in enumerate(s.points):
            if j:
                points.append(f"{x(day):.1f},{y(s.points[j - 1][1]):.1f}")
            points.append(f"{x(day):.1f},{y(value):.1f}")
        parts.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
        )
        for day, value in s.points:
            parts.append(
                f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                f"<title>{_e(s.label)} {day.isoformat()}: {_e(_fmt(value))} {_e(s.commodity)}</title></circle>"
            )
        legend_y = height - bottom + 30 + (i // 3) * 14
        legend_x = left + (i % 3) * 220
        parts.append(f'<rect x="{legend_x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{legend_y}">{_e(s.label)} ({_e(s.commodity)})</text>')
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:2rem;color:#1f2328}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.25rem .6rem}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}
.ok{color:#1a7f37;font-weight:600}.bad{color:#d1242f;font-weight:600}.none{color:#57606a;font-style:italic}
svg text{font-size:12px;fill:#1f2328}svg .chart-title{font-weight:600;font-size:13px}
code{font-size:.85em}
"""


def _trial_section(trial: Sequence[PartyTrial]) -> str:
    if not trial:
        return '<p class="none">No parties.</p>'
    out = []
    for party in trial:
        state = '<span class="ok">balanced</span>' if party.balanced else '<span class="bad">NOT balanced</span>'
        out.append(f"<h3>{_e(party.display_name)} <code>{_e(party.party)}</code> ({_e(party.kind)}) — {state}</h3>")
        out.append("<table><tr><th>Account</th><th>Type</th><th>Commodity</th><th>Debit</th><th>Credit</th></tr>")
        for line in party.lines:
            out.append(
                f"<tr><td><code>{_e(line.account)}</code></td><td>{_e(line.type)}</td><td>{_e(line.commodity)}</td>"
                f'<td class="num">{_e(line.debit)}</td><td class="num">{_e(line.credit)}</td></tr>'
            )
        for total in party.totals:
            mark = "ok" if total.balanced else "bad"
            out.append(
                f'<tr><th colspan="2">Total</th><th>{_e(total.commodity)}</th>'
                f'<th class="num {mark}">{_e(total.debit)}</th><th class="num {mark}">{_e(total.credit)}</th></tr>'
            )
        out.append("</table>")
    return "".join(out)


def render_html(data: ReportData) -> str:
    """The whole report as one HTML document."""
    balanced = all(p.balanced for p in data.trial)
    if data.exposures:
        exposures = bar_chart(
            "Loan exposure by branch (loans.* balances)",
            [(f"{e.branch} ({e.commodity})", e.amount) for e in data.exposures],
            "",
            name="exposures",
        )
        exposures += "<table><tr><th>Branch</th><th>Commodity</th><th>Loan accounts</th><th>Exposure</th></tr>"
        exposures += "".join(
            f'<tr><td>{_e(e.branch)}</td><td>{_e(e.commodity)}</td><td class="num">{e.accounts}</td>'
            f'<td class="num">{_e(_fmt(e.amount))}</td></tr>'
            for e in data.exposures
        )
        exposures += "</table>"
    else:
        exposures = '<p class="none">No loan accounts (loans.*) in any branch book.</p>'
    options = (
        line_chart("Option fair value over time", data.option_values, name="option-values")
        if data.option_values
        else '<p class="none">None: no option fair-value accounts (options-fair-value.*) in the books.</p>'
    )
    pools = (
        line_chart("Risk-pool cash over time", data.pool_balances, name="risk-pool")
        if data.pool_balances
        else '<p class="none">None: no risk-pool party has a cash account.</p>'
    )
    summary = '<span class="ok">every party balances</span>' if balanced else '<span class="bad">UNBALANCED</span>'
    notes = "".join(f"<li>{_e(n)}</li>" for n in data.notes)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>toudai audit report as of {data.as_of.isoformat()}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>'
        f"<h1>toudai audit report — as of {data.as_of.isoformat()}</h1>"
        f"<p>Generated {_e(data.generated_at)}. Trial balance: {summary}."
        + (f" Checkpoint over all books: <code>{_e(data.checkpoint)}</code>." if data.checkpoint else "")
        + "</p>"
        + (
            '<details id="signed-checkpoint"><summary>Signed checkpoint this report was made from</summary>'
            f"<pre>{_e(data.signed_checkpoint)}</pre></details>"
            if data.signed_checkpoint
            else ""
        )
        + (f"<ul>{notes}</ul>" if notes else "")
        + f'<h2 id="exposures">Exposures by branch</h2>{exposures}'
        + f'<h2 id="options">Option fair values over time</h2>{options}'
        + f'<h2 id="risk-pool">Risk-pool balance over time</h2>{pools}'
        + f'<h2 id="trial-balance">Trial balance per party</h2>{_trial_section(data.trial)}'
        + "</body></html>\n"
    )
