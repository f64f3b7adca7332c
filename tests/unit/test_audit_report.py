"""The HTML audit report as text (audit/report.py, audit/report_charts.py): what an auditor reads first,
folded zero rows, thousands separators, axis ticks, sentences instead of "None", print and font CSS.

Every expected value is worked out by hand in the test. The rendering in a browser (layout, glyphs,
screenshots, print) is tests/e2e/test_audit_report_browser.py.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from audit.report import (
    BookHead,
    Exposure,
    PartyTrial,
    ReportData,
    Series,
    TrialLine,
    TrialTotal,
    exceptions,
    render_html,
)
from audit.report_charts import date_ticks, value_ticks
from audit.report_style import FONT_STACK

D = dt.date


def _bank(*, balanced: bool = True) -> PartyTrial:
    credit = "15131193.88" if balanced else "15131193.87"
    return PartyTrial(
        "bank-hz",
        "杭州科技支行",
        "bank_branch",
        (
            TrialLine("cash", "asset", "CNY", "15131193.88", "0.00"),
            TrialLine("due-from-pool", "asset", "CNY", "0.00", "0.00"),
            TrialLine("equity", "equity", "CNY", "0.00", credit),
            TrialLine("interest-income", "income", "CNY", "0.00", "0.00"),
        ),
        (TrialTotal("CNY", "15131193.88", credit, balanced),),
        balanced,
    )


def _pool(*, overdrawn: bool = False) -> PartyTrial:
    """The pool with 2,000,000.00 of cash and fund, or (overdrawn) with cash 90.00 in credit."""
    cash, fund = (
        (("0.00", "90.00"), ("90.00", "0.00")) if overdrawn else (("2000000.00", "0.00"), ("0.00", "2000000.00"))
    )
    total = "90.00" if overdrawn else "2000000.00"
    return PartyTrial(
        "pool",
        "风险补偿资金池",
        "risk_pool",
        (TrialLine("cash", "asset", "CNY", *cash), TrialLine("fund", "equity", "CNY", *fund)),
        (TrialTotal("CNY", total, total, True),),
        True,
    )


def _data(trial: list[PartyTrial], **extra: object) -> ReportData:
    data = ReportData(
        D(2026, 12, 31),
        "2026-12-31 18:00:00 UTC",
        trial,
        [Exposure("bank-hz", "CNY", Decimal("3000000.00"), 1)],
        [],
        [
            Series(
                "pool/cash", "CNY", ((D(2026, 1, 5), Decimal("2000000.00")), (D(2026, 12, 31), Decimal("1800000.00")))
            )
        ],
        checkpoint="ab" * 32,
        heads=(BookHead("bank-hz", 5, "cd" * 32), BookHead("pool", 3, "ef" * 32)),
    )
    for name, value in extra.items():
        setattr(data, name, value)
    return data


def _section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    return html[start : html.index("</section>", start)]


def test_zero_rows_are_folded_under_their_table_and_amounts_have_separators() -> None:
    html = render_html(_data([_bank()]))
    party = _section(html, "party-bank-hz")
    table, fold = party.split('<details class="zeros">')
    assert re.findall(r"<tbody>.*?</tbody>", table)[0].count("<tr>") == 2  # cash, equity
    assert '<td class="num">15,131,193.88</td><td class="num"></td>' in table  # the empty side is blank
    assert "15131193.88" not in html
    assert "<summary>2 accounts with a zero balance" in fold
    assert fold.count("<tr>") == 3  # the header, due-from-pool and interest-income
    assert fold.count('<td class="num">0.00</td>') == 4
    assert "<code>due-from-pool</code>" in fold and "<code>interest-income</code>" in fold
    assert "<code>due-from-pool</code>" not in table


def test_the_summary_comes_first_with_checkpoint_books_totals_and_no_exceptions() -> None:
    html = render_html(_data([_bank(), _pool()]))
    assert html.index('id="summary"') < html.index('id="exposures"') < html.index('id="trial-balance"')
    summary = _section(html, "summary")
    assert "✓ Every party balances: in each of the 2 books" in summary
    assert f'<code class="hash">{"ab" * 32}</code>' in summary
    assert "<dd>2 books, 8 legs in their hash chains</dd>" in summary  # 5 + 3
    assert "6 accounts; 2 with a zero balance" in summary  # 4 + 2 lines, bank-hz's two zeros
    # CNY over both books: debits 15,131,193.88 + 2,000,000.00, credits the same.
    assert '<td class="num">17,131,193.88</td><td class="num">17,131,193.88</td>' in summary
    assert "<dd>3,000,000.00 CNY in 1 loan account of 1 branch</dd>" in summary
    assert "<code>pool/cash</code> 1,800,000.00 CNY" in summary
    assert f'<code title="{"cd" * 32}">{"cd" * 8}…</code>' in summary
    assert "No exceptions: every party balances in every commodity and no cash account is in credit." in summary


def test_exceptions_name_the_unbalanced_party_and_cash_in_credit() -> None:
    data = _data([_bank(balanced=False), _pool(overdrawn=True)], notes=["a note from the CLI"])
    assert exceptions(data) == [
        "<b>杭州科技支行</b> (<code>bank-hz</code>) does not balance in CNY: debits 15,131,193.88, credits "
        "15,131,193.87 (difference 0.01).",
        "<code>pool/cash</code> is in credit: cash of -90.00 CNY at the end of 2026-12-31.",
        "a note from the CLI",
    ]
    html = render_html(data)
    assert "✗ 1 of 2 parties do NOT balance at the end of 2026-12-31" in html
    assert "Exceptions (3)" in html


def test_no_option_marks_is_a_sentence() -> None:
    html = render_html(_data([_bank()]))
    assert "None:" not in html
    assert "No option has been marked yet: no book has an option fair-value account" in html
    assert 'data-chart="option-values"' not in html


def test_axis_ticks_fall_between_the_ends() -> None:
    # 0..2,000,000 in 5 steps: 400,000 rounds up to the nice step 500,000.
    assert value_ticks(Decimal(0), Decimal("2000000.00")) == (
        Decimal(0),
        Decimal(2000000),
        [Decimal(v) for v in (0, 500000, 1000000, 1500000, 2000000)],
    )
    low, high, ticks = value_ticks(Decimal("-90.00"), Decimal("410.00"))
    assert (low, high, ticks) == (Decimal(-100), Decimal(500), [Decimal(v) for v in range(-100, 501, 100)])
    # 2026-01-05..2026-12-31: monthly gives 11 ticks, every 2 months (Jan, Mar, ...) gives 5.
    assert date_ticks(D(2026, 1, 5), D(2026, 12, 31), limit=5) == [
        D(2026, 3, 1),
        D(2026, 5, 1),
        D(2026, 7, 1),
        D(2026, 9, 1),
        D(2026, 11, 1),
    ]
    # 14 days, limit 5: steps of 1 and 2 days give 13 and 6 ticks; 7 days gives just the 8th.
    assert date_ticks(D(2026, 1, 1), D(2026, 1, 15), limit=5) == [D(2026, 1, 8)]
    assert date_ticks(D(2026, 1, 1), D(2026, 1, 2), limit=5) == []
    chart = re.search(r'<svg[^>]*data-chart="risk-pool".*?</svg>', render_html(_data([_bank()])))
    assert chart is not None
    assert re.findall(r'<text class="tick date"[^>]*>([\d-]+)</text>', chart.group()) == [
        "2026-05-01",  # 03-01 and 11-01 are within 100 px of an end on this 592 px axis
        "2026-07-01",
        "2026-09-01",
        "2026-01-05",
        "2026-12-31",
    ]
    assert ">Value date</text>" in chart.group() and ">Balance (CNY)</text>" in chart.group()


def test_fonts_print_css_and_determinism() -> None:
    data = _data([_bank(), _pool()])
    html = render_html(data)
    assert html == render_html(data)  # the same figures, the same bytes
    for family in ('"Noto Sans CJK SC"', '"Source Han Sans SC"', '"PingFang SC"', '"Microsoft YaHei"', "sans-serif"):
        assert family in FONT_STACK
    assert f"font-family:{FONT_STACK}" in html
    assert "@page{size:A4" in html and "@media print{" in html and "thead{display:table-header-group}" in html
    assert "<script" not in html and 'class="legend"' in html
