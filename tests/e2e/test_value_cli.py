"""End to end: the `toudai value|round|captable|revalue` commands as subprocesses.

`value option|warrant` run locally (no server) and are checked against Hull's textbook figures and
QuantLib; `round record`, `captable show` and `revalue` run against `toudai serve` on SQLite and
PostgreSQL, with a deal booked over gRPC.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.integration import valuation_fixtures as vf
from tests.serving import Server, run

HULL = ["--spot", "42", "--strike", "40", "--rate", "0.1", "--volatility", "0.2", "--years", "0.5"]


def value(*args: str) -> Any:
    result = run("value", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_hull_call_and_put_through_the_cli() -> None:
    call = value("option", "--model", "bsm", "--right", "call", "--style", "european", *HULL)
    put = value("option", "--model", "bsm", "--right", "put", "--style", "european", *HULL)
    assert round(call["price"], 2) == 4.76 and round(put["price"], 2) == 0.81
    assert {"delta", "gamma", "vega", "theta", "rho"} <= call.keys()
    assert call["price"] - put["price"] == pytest.approx(42 - 40 * math.exp(-0.05), abs=1e-12)  # parity
    mc = value("option", "--model", "mc", *HULL, "--paths", "200000", "--seed", "11")
    assert abs(mc["price"] - call["price"]) < 3 * mc["std_error"]


def test_binomial_american_put_against_quantlib() -> None:
    ql = pytest.importorskip("QuantLib")
    got = value("option", "--model", "binomial", "--right", "put", "--style", "american", *HULL, "--steps", "2000")
    today = ql.Date(1, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(42.0)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.1, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), 0.2, dc)),
    )
    option = ql.VanillaOption(
        ql.PlainVanillaPayoff(ql.Option.Put, 40.0),
        ql.AmericanExercise(today, today + ql.Period(int(0.5 * 365), ql.Days)),
    )
    option.setPricingEngine(ql.BinomialVanillaEngine(process, "crr", 2000))
    assert got["price"] == pytest.approx(option.NPV(), abs=2e-3)  # two CRR trees, each within its convergence


def test_warrant_and_usage_errors() -> None:
    args = ["--shares-outstanding", "1000000", "--new-shares", "200000", *HULL]
    warrant = value("warrant", *args)
    call = value("option", "--model", "bsm", *HULL)
    assert 0 < warrant["price"] < call["price"]
    n, m, w = 1e6, 2e5, 0.0
    for _ in range(200):
        s = 42 + m * w / n
        d1 = (math.log(s / 40) + (0.1 + 0.02) * 0.5) / (0.2 * math.sqrt(0.5))
        nd = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
        w = n / (n + m) * (s * nd(d1) - 40 * math.exp(-0.05) * nd(d1 - 0.2 * math.sqrt(0.5)))
    assert warrant["price"] == pytest.approx(w, rel=1e-9)
    bad = run("value", "option", "--model", "bsm", *HULL[:6], "--volatility", "-0.2", "--years", "0.5", "--json")
    assert bad.returncode == 2 and "volatility" in bad.stderr


@pytest.fixture
def served(server: Server) -> Server:
    """`toudai serve` on SQLite and on PostgreSQL: the `server` fixture of tests/e2e/conftest.py."""
    return server


def test_rounds_cap_tables_and_revaluation_through_the_cli(served: Server, tmp_path: Path) -> None:
    cap = tmp_path / "cap.yaml"
    cap.write_text(
        "classes:\n"
        "  - {name: common, shares: 8000000}\n"
        "  - {name: A, shares: 2000000, conversion_ratio: 1, preference: {price: '1.00', seniority: 2}}\n"
        "  - name: B\n    shares: 1000000\n"
        "    preference: {price: '3.00', participating: true, participation_cap: 3, seniority: 1}\n"
        "option_pools:\n  - {name: esop, shares: 500000, strike: '0.50'}\n"
    )
    company = vf.COMPANY
    recorded = served.json(
        "round", "record", company, "--date", "2026-01-15", "--class", "B", "--price", "3.00",
        "--shares-issued", "1000000", "--cap-table", str(cap),
    )  # fmt: skip
    assert recorded["price_per_share"] == "3.00"
    shown = served.json("captable", "show", company, "--as-of", "2026-03-31")
    assert (
        shown["name"] == recorded["name"] and shown["cap_table"]["classes"][2]["preference"]["participation_cap"] == "3"
    )
    assert "Cap table of" in served.ok("captable", "show", company).stdout
    assert [r["name"] for r in served.json("round", "list", company)] == [recorded["name"]]
    missing = served.cli("captable", "show", "Nobody Ltd.")
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr

    with grpc.insecure_channel(served.target) as channel:
        vf.create_parties(channel)
        vf.book_deal(channel, "hz-001", shares=100_000, strike="1.00")
    first = served.json("revalue", "--as-of", "2026-03-31", "--request-id", "q1")
    (mark,) = first["valuations"]
    assert mark["fair_value"] == mark["change"] != "0.00" and first["transactions_posted"] == 1
    again = served.json("revalue", "--as-of", "2026-03-31")
    assert again["transactions_posted"] == 0 and again["total_change"] == "0.00"
    people = served.ok("revalue", "--as-of", dt.date(2026, 6, 30).isoformat())
    assert "Revaluation" in people.stdout and "deals/hz-001" in people.stdout
    deal = served.json("value", "deal", "hz-001", "--as-of", "2026-06-30")
    assert deal["engine"] == "bsm" and deal["inputs"]["spot"]
