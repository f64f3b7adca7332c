"""A self-contained HTML report for an auditor: a summary first, then charts and the trial balance.

`render_html` is pure: it takes the figures and returns one HTML document that any browser shows
offline, with no script and no network. The CLI gathers the figures from AuditService
(clients.audit_commands.report_data), every one as of the end of the report's value date (docs/audit.md,
"As of a date"). The page, top to bottom:

- a summary an auditor reads first: the verdict (does every party balance?), the as-of date, the
  checkpoint over every book's chain head and each book's head, the totals per commodity over all books,
  the loan exposure, option marks and pool cash in one line each, and the exceptions (unbalanced
  parties and totals, cash in credit, the CLI's notes) — or a sentence saying there are none;
- charts (audit.report_charts: plain SVG with axes, ticks and an HTML legend);
- the trial balance per party, amounts right-aligned with thousands separators, each party's
  zero-balance accounts (0.00 debit and credit) folded into a `<details>` below its table: the fold works
  without script, and on paper its one-line summary says how many accounts it holds.

The same figures always give the same bytes (no clock, no random ids in here): `generated_at` is the one
field that names a time, and the caller supplies it.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from audit.report_charts import BAR_COLOUR, PALETTE, Line, bar_chart, fmt, legend_html, line_chart, swatch
from audit.report_style import STYLE

# A balance over time, by value date (the charts' data): the CLI builds these as `Series`.
Series = Line

HASH_SHOWN = 16  # hex digits of a book's head hash in the summary (the full hashes are in the signed note)


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
class Exposure:
    branch: str
    commodity: str
    amount: Decimal
    accounts: int


@dataclass(frozen=True, slots=True)
class BookHead:
    """A book's chain head when the report was made: its last sequence number (= legs) and hash."""

    party: str
    sequence: int
    hash: str


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
    heads: tuple[BookHead, ...] = ()  # every book's head, read with `checkpoint`


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _dec(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def _amount(text: str) -> str:
    """A trial-balance amount with separators at its commodity's precision; blank for the empty side."""
    return fmt(_dec(text)) if _dec(text) else ""


def is_zero(line: TrialLine) -> bool:
    """A line with nothing on either side (`0.00 | 0.00`): folded away under its party's table."""
    return _dec(line.debit) == 0 and _dec(line.credit) == 0


def _count(n: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith(("ch", "sh", "s", "x")) else "s")
    return f"{n:,} {noun if n == 1 else plural}"


def _mark(ok: bool, good: str, bad: str) -> str:
    return f'<span class="ok">✓ {good}</span>' if ok else f'<span class="bad">✗ {bad}</span>'


def exceptions(data: ReportData) -> list[str]:
    """What an auditor must look at, as HTML sentences: unbalanced parties and totals, cash accounts in
    credit (a cash balance below zero as of the date), and the notes the caller attached."""
    out: list[str] = []
    for party in data.trial:
        for total in party.totals:
            if not total.balanced:
                difference = _dec(total.debit) - _dec(total.credit)
                out.append(
                    f"<b>{_e(party.display_name)}</b> (<code>{_e(party.party)}</code>) does not balance in "
                    f"{_e(total.commodity)}: debits {fmt(_dec(total.debit))}, credits {fmt(_dec(total.credit))} "
                    f"(difference {fmt(difference)})."
                )
        if not party.balanced and all(t.balanced for t in party.totals):
            out.append(f"<b>{_e(party.display_name)}</b> (<code>{_e(party.party)}</code>) is marked unbalanced.")
        for line in party.lines:
            code = line.account
            if line.type == "asset" and (code == "cash" or code.startswith("cash.")) and _dec(line.credit) > 0:
                out.append(
                    f"<code>{_e(party.party)}/{_e(code)}</code> is in credit: cash of "
                    f"-{fmt(_dec(line.credit))} {_e(line.commodity)} at the end of {data.as_of.isoformat()}."
                )
    out.extend(_e(note) for note in data.notes)
    return out


def _totals(trial: Sequence[PartyTrial]) -> list[tuple[str, Decimal, Decimal]]:
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for party in trial:
        for total in party.totals:
            sums[total.commodity][0] += _dec(total.debit)
            sums[total.commodity][1] += _dec(total.credit)
    return [(commodity, debit, credit) for commodity, (debit, credit) in sorted(sums.items())]


def _summary(data: ReportData) -> str:
    balanced = all(p.balanced for p in data.trial)
    rows = sum(len(p.lines) for p in data.trial)
    zeros = sum(1 for p in data.trial for line in p.lines if is_zero(line))
    if not data.trial:
        verdict = '<p class="verdict ok">No party has any account yet: nothing to balance.</p>'
    elif balanced:
        verdict = (
            f'<p class="verdict ok">✓ Every party balances: in each of the {len(data.trial)} books, debits equal '
            f"credits in every commodity at the end of {data.as_of.isoformat()}.</p>"
        )
    else:
        bad = sum(1 for p in data.trial if not p.balanced)
        verdict = (
            f'<p class="verdict bad">✗ {bad} of {len(data.trial)} parties do NOT balance at the end of '
            f"{data.as_of.isoformat()}: see the exceptions below.</p>"
        )
    facts = [
        (
            "As of",
            f"the end of value date {data.as_of.isoformat()}: every transaction dated on or before it, "
            "whenever it was posted",
        ),
        ("Made", _e(data.generated_at)),
    ]
    if data.checkpoint:
        facts.append(("Checkpoint", f'<code class="hash">{_e(data.checkpoint)}</code> over every book\'s chain head'))
    if data.heads:
        legs = sum(h.sequence for h in data.heads)
        facts.append(("Books", f"{len(data.heads)} books, {legs:,} legs in their hash chains"))
    facts.append(
        (
            "Trial balance",
            f"{rows:,} accounts; {zeros:,} with a zero balance are folded under each party's table",
        )
    )
    if data.exposures:
        by_commodity: dict[str, Decimal] = defaultdict(Decimal)
        for exposure in data.exposures:
            by_commodity[exposure.commodity] += exposure.amount
        loans = sum(e.accounts for e in data.exposures)
        total = ", ".join(f"{fmt(v)} {_e(c)}" for c, v in sorted(by_commodity.items()))
        branches = len({e.branch for e in data.exposures})
        facts.append(("Loan exposure", f"{total} in {_count(loans, 'loan account')} of {_count(branches, 'branch')}"))
    facts.append(("Option marks", _options_sentence(data)))
    if data.pool_balances:
        cash = "; ".join(
            f"<code>{_e(s.label)}</code> {fmt(s.points[-1][1])} {_e(s.commodity)}" for s in data.pool_balances
        )
        facts.append(("Risk-pool cash", cash))
    found = exceptions(data)
    if found:
        listed = "".join(f"<li>{text}</li>" for text in found)
        exception_html = f'<h3 class="bad">Exceptions ({len(found)})</h3><ul class="exceptions">{listed}</ul>'
    else:
        exception_html = (
            '<h3>Exceptions</h3><p class="ok">No exceptions: every party balances in every commodity and no cash '
            "account is in credit.</p>"
        )
    totals = "".join(
        f'<tr><th scope="row">{_e(c)}</th><td class="num">{fmt(d)}</td><td class="num">{fmt(k)}</td>'
        f"<td>{_mark(d == k, 'equal', 'differ')}</td></tr>"
        for c, d, k in _totals(data.trial)
    )
    totals_html = (
        "<h3>Totals over all books</h3>"
        '<table><thead><tr><th>Commodity</th><th class="num">Debits</th><th class="num">Credits</th><th></th>'
        f"</tr></thead><tbody>{totals}</tbody></table>"
        if totals
        else ""
    )
    names = {p.party: p.display_name for p in data.trial}
    heads = "".join(
        f"<tr><td><code>{_e(h.party)}</code></td><td>{_e(names.get(h.party, ''))}</td>"
        f'<td class="num">{h.sequence:,}</td><td><code title="{_e(h.hash)}">{_e(h.hash[:HASH_SHOWN])}…</code></td></tr>'
        for h in data.heads
    )
    heads_html = (
        "<h3>Books and their chain heads</h3>"
        '<table><thead><tr><th>Book</th><th>Party</th><th class="num">Legs</th><th>Head hash</th></tr></thead>'
        f"<tbody>{heads}</tbody></table>"
        if heads
        else ""
    )
    signed = (
        '<details id="signed-checkpoint"><summary>Signed checkpoint this report was made from</summary>'
        f"<pre>{_e(data.signed_checkpoint)}</pre></details>"
        if data.signed_checkpoint
        else ""
    )
    dl = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    return (
        f'<section id="summary"><h2>Summary</h2>{verdict}<dl class="facts">{dl}</dl>{exception_html}'
        f'<div class="summary-grid"><div>{totals_html}</div><div>{heads_html}</div></div>{signed}</section>'
    )


def _options_sentence(data: ReportData) -> str:
    if not data.option_values:
        return (
            "No option has been marked yet: no book has an option fair-value account "
            f"(<code>options-fair-value.*</code>) as of {data.as_of.isoformat()}."
        )
    marks = "; ".join(
        f"<code>{_e(s.label)}</code> {fmt(s.points[-1][1])} {_e(s.commodity)}" for s in data.option_values
    )
    return f"{_count(len(data.option_values), 'fair-value account')}: {marks}"


def _line_legend(series: Sequence[Series], *, zero_line: bool) -> str:
    entries = [
        (swatch(PALETTE[i % len(PALETTE)], kind="line"), f"<code>{_e(s.label)}</code> ({_e(s.commodity)})")
        for i, s in enumerate(series)
    ]
    if zero_line:
        entries.append((swatch("#6b7280", kind="dashed"), "zero: the balance is below it by value date"))
    return legend_html(entries)


def _line_figure(title: str, series: Sequence[Series], *, name: str) -> str:
    commodities = sorted({s.commodity for s in series})
    unit = f"Balance ({', '.join(commodities)})"
    chart = line_chart(title, series, name=name, unit=unit)
    below_zero = any(v < 0 for s in series for _, v in s.points)
    return (
        f"<figure>{chart}<figcaption>{_line_legend(series, zero_line=below_zero)}"
        "Each dot is the balance at the end of a value date with postings; the line holds it until the next "
        f"change and ends at {series[0].points[-1][0].isoformat()}, the report's date.</figcaption></figure>"
    )


def _exposures(data: ReportData) -> str:
    if not data.exposures:
        return '<p class="none">No loan accounts (loans.*) in any branch book.</p>'
    commodities = sorted({e.commodity for e in data.exposures})
    chart = bar_chart(
        "Loan exposure by branch (loans.* balances)",
        [(f"{e.branch} ({e.commodity})", e.amount) for e in data.exposures],
        f"Loan balance ({', '.join(commodities)})",
        name="exposures",
    )
    legend = legend_html(
        [
            (
                swatch(BAR_COLOUR, kind="box"),
                f"balance of the branch's <code>loans</code> / <code>loans.*</code> accounts at the end of "
                f"{data.as_of.isoformat()}",
            )
        ]
    )
    names = {p.party: p.display_name for p in data.trial}
    rows = "".join(
        f"<tr><td><code>{_e(e.branch)}</code></td><td>{_e(names.get(e.branch, ''))}</td><td>{_e(e.commodity)}</td>"
        f'<td class="num">{e.accounts:,}</td><td class="num">{_e(fmt(e.amount))}</td></tr>'
        for e in data.exposures
    )
    return (
        f"<figure>{chart}<figcaption>{legend}</figcaption></figure>"
        '<table><thead><tr><th>Branch</th><th>Name</th><th>Commodity</th><th class="num">Loan accounts</th>'
        f'<th class="num">Exposure</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _trial_rows(lines: Sequence[TrialLine], *, zero: bool) -> str:
    return "".join(
        f"<tr><td><code>{_e(line.account)}</code></td><td>{_e(line.type)}</td><td>{_e(line.commodity)}</td>"
        f'<td class="num">{fmt(_dec(line.debit)) if zero else _amount(line.debit)}</td>'
        f'<td class="num">{fmt(_dec(line.credit)) if zero else _amount(line.credit)}</td></tr>'
        for line in lines
    )


TRIAL_HEAD = (
    '<thead><tr><th>Account</th><th>Type</th><th>Commodity</th><th class="num">Debit</th>'
    '<th class="num">Credit</th></tr></thead>'
)


def _trial_section(trial: Sequence[PartyTrial]) -> str:
    if not trial:
        return '<p class="none">No parties.</p>'
    out = [
        "<p>Each account's balance at the end of the date, on its debit or credit side (the other side is "
        "blank). Accounts with nothing on either side are folded below each table; open the fold to see "
        'them. <span class="ok">✓ green</span>: the party\'s debits equal its credits in every commodity; '
        '<span class="bad">✗ red</span>: they differ (the totals in red are the ones that differ).</p>'
    ]
    for party in trial:
        state = _mark(party.balanced, "balanced", "NOT balanced")
        out.append(
            f'<section class="party" id="party-{_e(party.party)}"><h3 class="party-head">{_e(party.display_name)} '
            f'<code>{_e(party.party)}</code> <span class="kind">{_e(party.kind.replace("_", " "))}</span> '
            f"— {state}</h3>"
        )
        shown = [line for line in party.lines if not is_zero(line)]
        folded = [line for line in party.lines if is_zero(line)]
        totals = "".join(
            f'<tr><th colspan="2">Total</th><th>{_e(t.commodity)}</th>'
            f'<th class="num {"ok" if t.balanced else "bad"}">{_e(fmt(_dec(t.debit)))}</th>'
            f'<th class="num {"ok" if t.balanced else "bad"}">{_e(fmt(_dec(t.credit)))}</th></tr>'
            for t in party.totals
        )
        body = _trial_rows(shown, zero=False) or '<tr><td colspan="5" class="none">Every account is zero.</td></tr>'
        out.append(f'<table class="trial wide">{TRIAL_HEAD}<tbody>{body}</tbody><tfoot>{totals}</tfoot></table>')
        if folded:
            out.append(
                f'<details class="zeros"><summary>{_count(len(folded), "account")} with a zero balance '
                f'<span class="screen-only">(show)</span></summary><table class="trial wide">{TRIAL_HEAD}'
                f"<tbody>{_trial_rows(folded, zero=True)}</tbody></table></details>"
            )
        out.append("</section>")
    return "".join(out)


def render_html(data: ReportData) -> str:
    """The whole report as one HTML document."""
    options = (
        _line_figure("Option fair value over time", data.option_values, name="option-values")
        if data.option_values
        else f'<p class="none">{_options_sentence(data)}</p>'
    )
    pools = (
        _line_figure("Risk-pool cash over time", data.pool_balances, name="risk-pool")
        if data.pool_balances
        else '<p class="none">No risk-pool party has a cash account yet.</p>'
    )
    toc = (
        '<nav class="toc">Contents: <a href="#summary">Summary</a> · <a href="#exposures">Exposures</a> · '
        '<a href="#options">Option fair values</a> · <a href="#risk-pool">Risk pool</a> · '
        '<a href="#trial-balance">Trial balance</a></nav>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>toudai audit report as of {data.as_of.isoformat()}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body><main>'
        f"<h1>toudai audit report — as of {data.as_of.isoformat()}</h1>"
        f'<p class="sub">Balances at the end of value date {data.as_of.isoformat()}. '
        f"Generated {_e(data.generated_at)}.</p>"
        + toc
        + _summary(data)
        + f'<h2 id="exposures">Exposures by branch</h2>{_exposures(data)}'
        + f'<h2 id="options">Option fair values over time</h2>{options}'
        + f'<h2 id="risk-pool">Risk-pool balance over time</h2>{pools}'
        + f'<section id="trial-balance"><h2>Trial balance per party</h2>{_trial_section(data.trial)}</section>'
        + "</main></body></html>\n"
    )
