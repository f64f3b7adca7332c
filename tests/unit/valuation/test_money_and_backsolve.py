"""Marks: one rounding to the fen, and the CLI's backsolve against a case worked by hand here.

Hand-worked OPM: common 1,000,000 shares and preferred A 1,000,000 shares with a 1.00 non-participating
preference. Breakpoints: 1,000,000 (A's preference is paid) and 2,000,000 (A converts, when common
reaches 1.00 per share). Tranches: [0, 1M) all to A; [1M, 2M) all to common; above 2M half each. With
C(V, B) the Black-Scholes call on the equity value V:
    A per share      = (V − C(V, 1M) + ½·C(V, 2M)) / 1M
    common per share = (C(V, 1M) − C(V, 2M) + ½·C(V, 2M)) / 1M
The test solves A = 0.90 by bisection with its own Black-Scholes (math.erf) and compares.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from clients.cli import main
from valuation.money import fair_value_fen, value_text

R, SIGMA, T = 0.03, 0.6, 2.0


def _call(v: float, k: float) -> float:
    n = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    d1 = (math.log(v / k) + (R + SIGMA**2 / 2) * T) / (SIGMA * math.sqrt(T))
    return v * n(d1) - k * math.exp(-R * T) * n(d1 - SIGMA * math.sqrt(T))


def _a(v: float) -> float:
    return (v - _call(v, 1e6) + 0.5 * _call(v, 2e6)) / 1e6


def test_one_rounding_half_up_to_the_fen() -> None:
    assert fair_value_fen("0.125", 1) == 13  # 0.125 → 0.13 (half up, not half even's 0.12)
    assert fair_value_fen("0.06315433413692229", 100_000) == 631543
    assert fair_value_fen("0.000049", 100) == 0  # 0.0049 → 0.00
    assert fair_value_fen("0.00005", 100) == 1  # 0.005 → 0.01
    assert value_text(-0.0) == "0" and value_text(1e-7) == "0.0000001" and value_text(4.5) == "4.5"


def test_cli_backsolve_matches_the_hand_worked_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = {
        "classes": [
            {"name": "common", "shares": 1_000_000},
            {"name": "A", "shares": 1_000_000, "preference": {"price": "1.00", "seniority": 1}},
        ]
    }
    path = tmp_path / "cap.json"
    path.write_text(json.dumps(table))
    args = ["value", "backsolve", "--cap-table", str(path), "--class", "A", "--price", "0.90"]
    assert main([*args, "--rate", str(R), "--volatility", str(SIGMA), "--years", str(T), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    low, high = 1.0, 1e8
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if _a(mid) < 0.90 else (low, mid)
    v = (low + high) / 2
    assert out["breakpoints"] == [1_000_000.0, 2_000_000.0]
    assert out["equity_value"] == pytest.approx(v, rel=1e-9)
    assert out["per_share"]["A"] == pytest.approx(0.90, rel=1e-12)
    common = (_call(v, 1e6) - 0.5 * _call(v, 2e6)) / 1e6
    assert out["per_share"]["common"] == pytest.approx(common, rel=1e-8)


def test_cli_backsolve_refuses_what_the_model_cannot_take(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cap.yaml"
    path.write_text("classes:\n  - {name: common, shares: 1000}\n  - {name: A, shares: 10, preference: {price: '1'}}\n")
    base = ["value", "backsolve", "--cap-table", str(path), "--rate", "0.02", "--volatility", "0.5", "--years", "3"]
    assert main([*base, "--class", "A", "--price", "0", "--json"]) == 2
    assert "price" in capsys.readouterr().err
    assert main([*base, "--class", "Z", "--price", "1", "--json"]) == 2
    assert "class_name" in capsys.readouterr().err
    path.write_text("classes:\n  - {name: common, shares: -1}\n")
    assert main([*base, "--class", "common", "--price", "1", "--json"]) == 2
    assert "classes[0].shares" in capsys.readouterr().err
