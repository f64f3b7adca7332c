"""`make bench`'s issue-20 summary (bench/summary.py): verdicts read from the sections' JSON files.

Figures are made up; each expected ratio is worked out by hand in a comment.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import summary


def _ledger(grpc: float, raw: float) -> dict[str, object]:
    rows = [
        {"backend": "postgresql", "method": "grpc", "batch": 1000, "transfers_per_second": grpc},
        {"backend": "postgresql", "method": "grpc-basic", "batch": 1000, "transfers_per_second": 99_999.0},
        {"backend": "postgresql", "method": "raw", "batch": 1000, "transfers_per_second": raw},
        {"backend": "postgresql", "method": "grpc", "batch": 100, "transfers_per_second": 1.0},
    ]
    return {"results": rows}


def test_item1_compares_the_full_view_at_batch_1000_with_raw_copy() -> None:
    # 21,000 / 30,000 = 70 % >= 60 %: met; the basic view and batch 100 are not used.
    verdict = summary.item1(_ledger(21_000.0, 30_000.0))
    assert (verdict.figure, verdict.baseline, verdict.ratio, verdict.met) == (
        "21,000 transfers/s",
        "raw COPY 30,000/s",
        "70.0%",
        True,
    )
    # 17,700 / 30,000 = 59 %: not met.
    assert summary.item1(_ledger(17_700.0, 30_000.0)).met is False


def test_item2_needs_both_the_ceiling_ratio_and_the_p99() -> None:
    def rows(rate: float, p99: float) -> list[dict[str, object]]:
        return [
            {"backend": "-", "method": "ceiling", "transfers_per_second": 2_000.0, "p99_ms": 3.0},
            {"backend": "postgresql", "method": "toudai", "transfers_per_second": rate, "p99_ms": p99},
            {"backend": "sqlite", "method": "toudai", "transfers_per_second": 5_000.0, "p99_ms": 1.0},
        ]

    # 1,500 / 2,000 = 75 % and 24.9 ms < 25 ms: met.
    good = summary.item2(rows(1_500.0, 24.9))
    assert (good.ratio, good.met) == ("75.0%", True)
    # 75 % but p99 25.0 ms (not < 25): not met; 1,300 / 2,000 = 65 % with a fast p99: not met.
    assert summary.item2(rows(1_500.0, 25.0)).met is False
    assert summary.item2(rows(1_300.0, 10.0)).met is False


def test_item3_judges_first_marks_and_next_quarter_against_two_seconds() -> None:
    valuation = {
        "deals": 10_000,
        "revalue_seconds": {"first marks": 1.6, "same date again": 0.9, "next quarter": 2.5},
    }
    first, next_quarter = summary.item3(valuation)
    # 2 / 1.6 = 1.25; 2 / 2.5 = 0.8.
    assert (first.figure, first.ratio, first.met) == ("1.60 s", "1.25× the target", True)
    assert (next_quarter.ratio, next_quarter.met) == ("0.80× the target", False)
    assert first.baseline == "same date again 0.90 s"
    # A smaller portfolio does not judge a target set for 10,000 deals.
    assert all(v.met is None for v in summary.item3({**valuation, "deals": 1_000}))


def test_item4_gathers_balances_export_and_the_other_valuation_figures() -> None:
    balances = {
        "small": 1_000,
        "large": 1_000_000,
        "current": {
            "small_p50_ms": 1.0,
            "large_p50_ms": 1.1,
            "small_p99_ms": 2.0,
            "large_p99_ms": 2.6,
            "p50_ratio": 1.1,
            "p99_ratio": 1.3,
            "target_ratio": 1.2,
            "met": False,
        },
    }
    export = {
        "steps": [
            {
                "step": "verify beancount",
                "postings_per_second": 125_000.0,
                "cli_peak_mb": 130.0,
                "server_peak_mb": None,
                "target_rate": 100_000,
                "target_mb": 200,
                "met": True,
            }
        ]
    }
    valuation = {
        "figures": [
            {"figure": "OPM backsolve", "value": 0.6, "unit": "ms", "baseline": "", "target": "< 20 ms", "met": True},
            {"figure": "RevalueOptions 10,000 deals, first marks", "value": 1.0, "unit": "s", "met": True},
        ]
    }
    found = summary.item4(balances, export, valuation)
    by_item = {v.item: v for v in found}
    assert by_item["4. balance reads, current, p50 / p99 large vs small"].met is False
    assert by_item["4. balance reads, as-of, p50 / p99 large vs small"].met is None  # not in the file
    # 125,000 / 100,000 = 1.25.
    assert by_item["4. verify beancount"].ratio == "1.25× the target"
    assert by_item["4. OPM backsolve"].figure == "0.60 ms"
    assert not any("RevalueOptions" in v.item for v in found)  # item 3's, not counted twice


def test_item5_is_not_run_without_the_month_end_file_and_judged_with_it() -> None:
    assert summary.item5(None).word == "not run"
    # 480 s for 100,000 deals: 4.80 ms a deal, 600 / 480 = 1.25.
    verdict = summary.item5({"deals": 100_000, "branches": 50, "stages": {}, "total_seconds": 480.0, "met": True})
    assert verdict.figure == "480 s (8.0 min, 4.80 ms/deal)"
    assert (verdict.ratio, verdict.met) == ("1.25× the target", True)
    assert summary.item5({"deals": 100_000, "branches": 50, "total_seconds": 601.0, "met": False}).met is False
    # 1,000 deals in 7.5 s: 7.50 ms a deal, scaled to 100,000 deals 750 s (12.5 min), 600 / 750 = 0.80.
    scaled = summary.item5({"deals": 1_000, "branches": 50, "total_seconds": 7.5, "met": False})
    assert "scaled to 100,000 (extrapolated)" in scaled.item
    assert scaled.figure == "750 s (12.5 min, 7.50 ms/deal)"
    assert (scaled.ratio, scaled.met) == ("0.80× the target", False)
    # 1,000 deals in 4.8 s: 480 s at 100,000, met.
    assert summary.item5({"deals": 1_000, "branches": 50, "total_seconds": 4.8, "met": True}).met is True


def test_missing_and_broken_files_say_not_run(tmp_path: Path) -> None:
    (tmp_path / "ledger.json").write_text(json.dumps(_ledger(30_000.0, 40_000.0)))
    (tmp_path / "concurrent.json").write_text("{not json")
    found = summary.verdicts(summary.load(tmp_path))
    lines = summary.render(found)
    assert found[0].met is True  # 30,000 / 40,000 = 75 %
    assert found[1].word == "not run"
    assert lines[-1] == f"1 of {len(found)} lines MET, 0 NOT MET, {len(found) - 1} not run"
