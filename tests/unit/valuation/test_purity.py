"""valuation.pricing is pure: importing it pulls in no grpc, SQL, ledger or server code, and its surface is pinned."""

from __future__ import annotations

import subprocess
import sys

import valuation.pricing as valuation

FORBIDDEN = ("grpc", "sqlalchemy", "psycopg", "alembic", "ledger", "server", "clients", "toudai")


def test_importing_valuation_loads_no_io_layer() -> None:
    code = (
        "import sys, valuation.pricing\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_surface() -> None:
    assert set(valuation.__all__) == {name for name in dir(valuation) if not name.startswith("_")} - {
        "binomial",
        "bsm",
        "captable",
        "dilution",
        "dlom",
        "errors",
        "market",
        "montecarlo",
        "opm",
        "terms",
        "waterfall",
    }
    assert issubclass(valuation.ValuationInputError, ValueError)
