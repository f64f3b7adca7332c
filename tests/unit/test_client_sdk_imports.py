"""The client SDK a bank installs is light: importing it loads none of toudai's server or core packages,
and the CLI loads the server only for the commands that run it (`toudai serve`, `db`, `token`).

Each check runs in a fresh interpreter, so nothing imported by other tests can hide an import."""

from __future__ import annotations

import configparser
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import clients

#: The client SDK (clients/__init__.py lists it): typed calls over the generated code.
SDK = (
    "clients",
    "clients.client",
    "clients.deal_client",
    "clients.deal_types",
    "clients.deal_convert",
    "clients.exercise_client",
    "clients.credit_client",
    "clients.sharing_client",
    "clients.insurance_client",
    "clients.assessment_client",
    "clients.value_client",
    "clients.errors",
    "clients.inputs",
    "clients.resources",
    "clients.retry",
    "clients.tls",
    "clients.values",
)
#: The `toudai` CLI (clients/__init__.py lists it too): may use the core, loads the server only when serving.
CLI = (
    "clients.cli",
    "clients.cli_args",
    "clients.commands",
    "clients.deal_commands",
    "clients.deal_files",
    "clients.demo",
    "clients.exercise_commands",
    "clients.agreement_commands",
    "clients.credit_commands",
    "clients.sharing_commands",
    "clients.insurance_commands",
    "clients.assessment_commands",
    "clients.value_commands",
    "clients.audit_commands",
    "clients.checkpoint_commands",
    "clients.postfile",
    "clients.suggest",
    "clients.render",
    "clients.humanize",
    "clients.operate",
    "clients.token_command",
    "clients.workers",
)
SERVER_AND_CORE = ("server", "ledger", "deals", "settlement", "valuation", "audit")


def loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(result.stdout.split())


@pytest.mark.parametrize("module", SDK)
def test_the_sdk_loads_no_server_or_core_package(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert module in loaded
    assert not {m for m in loaded if m.split(".")[0] in SERVER_AND_CORE}


def test_the_sdk_still_works_without_them() -> None:
    """Building a client and its calls needs only the generated code (no server, no connection made)."""
    loaded = loaded_after(
        "from decimal import Decimal\n"
        "from clients import ToudaiClient, debit, credit\n"
        "client = ToudaiClient('127.0.0.1:1')\n"
        "debit('bank-hz/cash', Decimal('1.00')); credit('bank-hz/loans', Decimal('1.00'))\n"
        "client.close()"
    )
    assert not {m for m in loaded if m.split(".")[0] in SERVER_AND_CORE}


def test_the_cli_loads_the_server_only_for_server_commands() -> None:
    loaded = loaded_after("import clients.cli")
    assert not {m for m in loaded if m.split(".")[0] == "server"}


def test_every_clients_module_is_sdk_or_cli_and_the_lists_agree() -> None:
    """Each module of clients/ is in exactly one list, clients/__init__.py names it, and the import
    contract's SDK list (.importlinter, sdk-is-light) is this one (the package itself is checked above)."""
    modules = {"clients", *(f"clients.{m.name}" for m in pkgutil.iter_modules(clients.__path__))}
    assert not set(SDK) & set(CLI)
    assert set(SDK) | set(CLI) == modules
    assert all(f"`{module}`" in (clients.__doc__ or "") for module in (*SDK, *CLI))
    contracts = configparser.ConfigParser()
    contracts.read(Path(__file__).resolve().parents[2] / ".importlinter", encoding="utf-8")
    contract = contracts["importlinter:contract:sdk-is-light"]
    assert set(contract["source_modules"].split()) == set(SDK) - {"clients"}
    assert set(contract["forbidden_modules"].split()) == set(SERVER_AND_CORE)
