"""The layering is enforced, not hoped for: `make lint` runs import-linter on .importlinter, and a
deliberate upward import fails it. Run on a copy of the source tree, so the planted import never
touches the real one; the copy comes first on PYTHONPATH, ahead of the editable install."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "deals", "settlement", "valuation", "audit", "server", "clients", "toudai")
LINT_IMPORTS = pathlib.Path(sys.executable).parent / "lint-imports"


@pytest.fixture
def tree(tmp_path: pathlib.Path) -> pathlib.Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def lint(tree: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "250"}  # no line wrapping in the report
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=300
    )


def plant(tree: pathlib.Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_tree_as_it_is_keeps_every_contract(tree: pathlib.Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower() or "0 broken" in result.stdout.lower()


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("ledger.model", "import deals.terms  # noqa: E402,F401", "Layers"),
        ("deals.terms", "import server.app  # noqa: E402,F401", "Layers"),
        ("ledger.amounts", "import grpc  # noqa: E402,F401", "never imports grpc or protobuf"),
        ("valuation.pricing.bsm", "import sqlalchemy  # noqa: E402,F401", "valuation.pricing is pure"),
        ("settlement.split", "from ledger import schema  # noqa: E402,F401", "only its documented API"),
        ("clients.values", "import ledger.amounts  # noqa: E402,F401", "The client SDK imports only"),
    ],
    ids=[
        "ledger-imports-deals",
        "deals-imports-server",
        "core-imports-grpc",
        "pricing-imports-sql",
        "ledger-internals",
        "sdk-imports-core",
    ],
)
def test_a_planted_forbidden_import_fails_the_lint(tree: pathlib.Path, module: str, line: str, contract: str) -> None:
    plant(tree, module, line)
    result = lint(tree)
    assert result.returncode != 0, result.stdout
    assert contract in result.stdout
    assert "BROKEN" in result.stdout
