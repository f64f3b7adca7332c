"""Issue 20's verdict at the end of `make bench`: items 1-5 read from the sections' JSON files.

Each section of the full run writes its results to a JSON file in one temporary directory (`--json
FILE`); this module reads them and prints, per item, the figure, the baseline measured in the same run,
the ratio, the target and MET / NOT MET. The figures come from the files, not from the sections' code,
so a section that another engineer reworks only has to keep its JSON keys; a missing or unreadable file
makes its item say "not run" (a section that failed or does not exist yet) instead of hiding the others.

The items (issue 20, "Targets"):

1. batched `PostTransactions` on PostgreSQL at batch 1,000, full view: >= 60 % of raw COPY at the same
   batch size (ledger section: `method` "grpc" against "raw", backend "postgresql", batch 1000);
2. 16 concurrent single-transfer clients on PostgreSQL: >= 70 % of the do-nothing server's ceiling (the
   same clients against a server that answers without work, "ceiling") and p99 < 25 ms;
3. RevalueOptions over 10,000 deals, first marks and next quarter, < 2 s each (absolute; the "same date
   again" run, which values every deal and posts nothing, is shown as the same-run reference);
4. everything else stays met: balance reads flat (large / small <= 1.2x current, <= 2x as-of), export and
   verify >= 100,000 postings/s with peak RSS < 200 MB, the valuation figures of issue 5;
5. month-end close of 100,000 deals <= 10 minutes, end to end through the API (absolute, with the machine).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COPY_RATIO = 0.60  # item 1: of raw COPY at batch 1,000
BATCH = 1_000
CEILING_RATIO = 0.70  # item 2: of the do-nothing server's ceiling
P99_MS = 25.0
REVALUE_SECONDS = 2.0  # item 3
REVALUE_RUNS = ("first marks", "next quarter")
MONTH_END_DEALS = 100_000  # issue 20 item 5: the portfolio the target is for
MONTH_END_SECONDS = 600.0  # item 5

#: section name → its JSON file's name in the run's directory
FILES = {
    "ledger": "ledger.json",
    "concurrent": "concurrent.json",
    "balances": "balances.json",
    "export": "export.json",
    "valuation": "valuation.json",
    "month-end": "month_end.json",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One line of the summary: `met` is None when the item could not be judged (not run)."""

    item: str
    figure: str
    baseline: str
    ratio: str
    target: str
    met: bool | None

    @property
    def word(self) -> str:
        return "not run" if self.met is None else "MET" if self.met else "NOT MET"


def load(directory: Path) -> dict[str, Any]:
    """Each section's JSON by section name; a missing or unreadable file is left out."""
    found: dict[str, Any] = {}
    for section, name in FILES.items():
        try:
            found[section] = json.loads((directory / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return found


def _not_run(item: str, target: str, why: str) -> Verdict:
    return Verdict(item, f"({why})", "-", "-", target, None)


def item1(ledger: Mapping[str, Any] | None) -> Verdict:
    item, target = "1. PostTransactions, PostgreSQL, batch 1,000, full view", f">= {COPY_RATIO:.0%} of raw COPY"
    rows = (ledger or {}).get("results") or []
    grpc = _row(rows, backend="postgresql", method="grpc", batch=BATCH)
    raw = _row(rows, backend="postgresql", method="raw", batch=BATCH)
    if grpc is None or raw is None or not raw.get("transfers_per_second"):
        return _not_run(item, target, "ledger section: no PostgreSQL batch 1,000")
    ratio = grpc["transfers_per_second"] / raw["transfers_per_second"]
    return Verdict(
        item,
        f"{grpc['transfers_per_second']:,.0f} transfers/s",
        f"raw COPY {raw['transfers_per_second']:,.0f}/s",
        f"{ratio:.1%}",
        target,
        ratio >= COPY_RATIO,
    )


def item2(concurrent: Iterable[Mapping[str, Any]] | None) -> Verdict:
    item = "2. 16 concurrent single-transfer clients, PostgreSQL"
    target = f">= {CEILING_RATIO:.0%} of the ceiling, p99 < {P99_MS:g} ms"
    rows = list(concurrent or [])
    ceiling = _row(rows, backend="-", method="ceiling")
    toudai = _row(rows, backend="postgresql", method="toudai")
    if ceiling is None or toudai is None or not ceiling.get("transfers_per_second"):
        return _not_run(item, target, "concurrent section: no PostgreSQL or ceiling")
    ratio = toudai["transfers_per_second"] / ceiling["transfers_per_second"]
    return Verdict(
        item,
        f"{toudai['transfers_per_second']:,.0f}/s, p99 {toudai['p99_ms']:.1f} ms",
        f"do-nothing server {ceiling['transfers_per_second']:,.0f}/s",
        f"{ratio:.1%}",
        target,
        ratio >= CEILING_RATIO and toudai["p99_ms"] < P99_MS,
    )


def item3(valuation: Mapping[str, Any] | None) -> list[Verdict]:
    target = f"< {REVALUE_SECONDS:g} s"
    seconds = (valuation or {}).get("revalue_seconds") or {}
    deals = (valuation or {}).get("deals", 0)
    same = seconds.get("same date again")
    baseline = f"same date again {same:.2f} s" if same is not None else "-"
    verdicts = []
    for run in REVALUE_RUNS:
        item = f"3. RevalueOptions 10,000 deals, {run}"
        elapsed = seconds.get(run)
        if elapsed is None or deals < 10_000:
            verdicts.append(_not_run(item, target, "valuation section: not at 10,000 deals"))
            continue
        verdicts.append(
            Verdict(
                item,
                f"{elapsed:.2f} s",
                baseline,
                f"{REVALUE_SECONDS / elapsed:.2f}× the target",
                target,
                elapsed < REVALUE_SECONDS,
            )
        )
    return verdicts


def item4(
    balances: Mapping[str, Any] | None, export: Mapping[str, Any] | None, valuation: Mapping[str, Any] | None
) -> list[Verdict]:
    verdicts = []
    reads = balances or {}
    for kind in ("current", "as-of"):
        item = f"4. balance reads, {kind}, p50 / p99 large vs small"
        entry = reads.get(kind)
        if not entry:
            verdicts.append(_not_run(item, "flat", "balances section"))
            continue
        verdicts.append(
            Verdict(
                item,
                f"{entry['large_p50_ms']:.2f} / {entry['large_p99_ms']:.2f} ms at {reads['large']:,} postings",
                f"{entry['small_p50_ms']:.2f} / {entry['small_p99_ms']:.2f} ms at {reads['small']:,} postings",
                f"{entry['p50_ratio']:.2f}× / {entry['p99_ratio']:.2f}×",
                f"<= {entry['target_ratio']:g}× (p50 and p99)",
                bool(entry["met"]),
            )
        )
    steps = (export or {}).get("steps") or []
    if not steps:
        verdicts.append(_not_run("4. export and verify", ">= 100,000 postings/s, < 200 MB", "export section"))
    for step in steps:
        server = f", server {step['server_peak_mb']:.0f} MB" if step.get("server_peak_mb") is not None else ""
        verdicts.append(
            Verdict(
                f"4. {step['step']}",
                f"{step['postings_per_second']:,.0f} postings/s, CLI {step['cli_peak_mb']:.0f} MB{server}",
                "(absolute)",
                f"{step['postings_per_second'] / step['target_rate']:.2f}× the target",
                f">= {step['target_rate']:,} postings/s, < {step['target_mb']} MB",
                bool(step["met"]),
            )
        )
    figures = [f for f in (valuation or {}).get("figures") or [] if not f["figure"].startswith("RevalueOptions")]
    if not figures:
        verdicts.append(_not_run("4. valuation figures", "issue 5 targets", "valuation section"))
    for fig in figures:
        verdicts.append(
            Verdict(
                f"4. {fig['figure']}",
                _amount(fig["value"], fig["unit"]),
                fig.get("baseline") or "(absolute)",
                f"{fig['ratio']:.2f}× the target" if fig.get("ratio") else "-",
                fig["target"],
                bool(fig["met"]),
            )
        )
    return verdicts


def item5(month_end: Mapping[str, Any] | None) -> Verdict:
    """The close's time at 100,000 deals: measured, or scaled linearly from a smaller run and labelled so."""
    target = f"<= {MONTH_END_SECONDS / 60:g} minutes"
    if not month_end or month_end.get("total_seconds") is None:
        return _not_run("5. month-end close", target, "month-end section: missing or failed")
    seconds = float(month_end["total_seconds"])
    deals, branches = int(month_end.get("deals", 0)), month_end.get("branches", 0)
    if 0 < deals < MONTH_END_DEALS:
        at_target = seconds * MONTH_END_DEALS / deals
        what = f"5. month-end close, {deals:,} deals scaled to {MONTH_END_DEALS:,} (extrapolated), {branches} branches"
    else:
        at_target = seconds
        what = f"5. month-end close, {deals:,} deals, {branches} branches"
    return Verdict(
        what,
        f"{at_target:,.0f} s ({at_target / 60:.1f} min, {seconds / deals * 1e3:.2f} ms/deal)"
        if deals
        else f"{seconds:,.0f} s",
        "(absolute, on the machine above)",
        f"{MONTH_END_SECONDS / at_target:.2f}× the target" if at_target else "-",
        target,
        bool(deals) and at_target <= MONTH_END_SECONDS,
    )


def verdicts(results: Mapping[str, Any]) -> list[Verdict]:
    """Items 1-5 from the sections' JSON (as `load` returns it), in the issue's order."""
    return [
        item1(results.get("ledger")),
        item2(results.get("concurrent")),
        *item3(results.get("valuation")),
        *item4(results.get("balances"), results.get("export"), results.get("valuation")),
        item5(results.get("month-end")),
    ]


def render(found: list[Verdict]) -> list[str]:
    """The summary table, one line per verdict, then the count of items met."""
    widths = (max(len(v.item) for v in found), max(len(v.figure) for v in found), max(len(v.baseline) for v in found))
    rate = max(len(v.ratio) for v in found)
    target = max(len(v.target) for v in found)
    header = (
        f"{'item':<{widths[0]}}  {'figure':<{widths[1]}}  {'same-run baseline':<{widths[2]}}  "
        f"{'ratio':<{rate}}  {'target':<{target}}  verdict"
    )
    lines = [header, "-" * len(header)]
    for v in found:
        lines.append(
            f"{v.item:<{widths[0]}}  {v.figure:<{widths[1]}}  {v.baseline:<{widths[2]}}  {v.ratio:<{rate}}  "
            f"{v.target:<{target}}  {v.word}"
        )
    met = sum(v.met is True for v in found)
    missing = sum(v.met is None for v in found)
    lines.append(f"{met} of {len(found)} lines MET, {len(found) - met - missing} NOT MET, {missing} not run")
    return lines


def _row(rows: Iterable[Mapping[str, Any]], **match: object) -> Mapping[str, Any] | None:
    for row in rows:
        if all(row.get(key) == value for key, value in match.items()):
            return row
    return None


def _amount(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "×":
        return f"{value:,.2f}×"
    return f"{value:,.2f} {unit}"
