"""docs/architecture.md's map (packages, their imports, modules, where each RPC's code lives) is generated
from the code by scripts/architecture_map.py; this fails when the committed map no longer matches."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_architecture_map_matches_the_code() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/architecture_map.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + "\nRun `make docs` and commit docs/architecture.md."


def test_every_rpc_of_the_api_is_in_the_map() -> None:
    from toudai.v1 import audit_pb2, deals_pb2, ledger_pb2, settlement_pb2, valuation_pb2

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for module in (ledger_pb2, deals_pb2, settlement_pb2, valuation_pb2, audit_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                assert f"| {service.name}.{method.name} |" in text, f"{service.name}.{method.name} is not in the map"
