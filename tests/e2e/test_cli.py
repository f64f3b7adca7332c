"""End to end: `toudai serve` as a subprocess, driven by the `toudai` CLI as subprocesses.

This is what an operator and a script see: real processes, real exit codes, real stdout/stderr, and a
real SIGTERM at the end. The same flow runs on an SQLite file and on PostgreSQL (the `server` fixture of
tests/e2e/conftest.py).
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.e2e.conftest import on_sqlite
from tests.serving import GRACE_SECONDS, START_SECONDS, TOUDAI, Server, cli_env, free_port, run

POSTINGS_YAML = """\
transactions:
  - request_id: dep-001
    value_date: 2026-11-26
    description: Customer deposit
    metadata: {deal: D-1}
    postings:
      - {account: bank-hz/cash, debit: 100.10}
      - {account: bank-hz/deposits, credit: "100.10", commodity: CNY}
  - request_id: dep-002
    value_date: 2026-11-27
    description: Second deposit
    metadata: {deal: D-2}
    postings:
      - {account: parties/bank-hz/accounts/cash, debit: 0.30}
      - {account: bank-hz/deposits, credit: 0.3}
"""


def balances(server: Server, *accounts: str) -> dict[str, str]:
    return {b["account"].rsplit("/", 1)[1]: b["balance"] for b in server.json("balance", *accounts)}


@on_sqlite
def test_cli_drives_a_served_ledger(server: Server, tmp_path: Path) -> None:
    created = server.json("party", "create", "bank-hz", "--name", "杭州科技支行", "--kind", "bank_branch")
    assert created["name"] == "parties/bank-hz"
    server.ok("account", "create", "bank-hz", "cash", "--type", "asset", "--commodity", "CNY", "--must-not-go-negative")
    server.ok("account", "create", "bank-hz", "deposits", "--type", "liability", "--commodity", "CNY")
    server.ok("account", "create", "bank-hz", "loans", "--type", "asset", "--commodity", "CNY")
    assert [p["party_id"] for p in server.json("party", "list")] == ["bank-hz"]
    assert [a["code"] for a in server.json("account", "list", "--party", "bank-hz", "--type", "asset")] == [
        "cash",
        "loans",
    ]

    postings = tmp_path / "postings.yaml"
    postings.write_text(POSTINGS_YAML, encoding="utf-8")
    posted = server.ok("post", str(postings))
    assert "dep-001" in posted.stdout
    assert balances(server, "bank-hz/cash", "bank-hz/deposits") == {"cash": "100.40", "deposits": "100.40"}

    transfer = server.json(
        "transfer", "--from", "bank-hz/cash", "--to", "bank-hz/loans", "--amount", "40.00", "--request-id", "t-1"
    )
    assert {b["account"]: b["balance"] for b in transfer["balances"]} == {
        "parties/bank-hz/accounts/cash": "60.40",
        "parties/bank-hz/accounts/loans": "40.00",
    }

    # Re-running the same file and the same transfer (same request_ids) books nothing twice.
    server.ok("post", str(postings))
    server.ok("transfer", "--from", "bank-hz/cash", "--to", "bank-hz/loans", "--amount", "40.00", "--request-id", "t-1")
    assert balances(server, "bank-hz/cash", "bank-hz/deposits", "bank-hz/loans") == {
        "cash": "60.40",
        "deposits": "100.40",
        "loans": "40.00",
    }

    listed = server.json("tx", "list", "--party", "bank-hz")
    assert [tx["request_id"] for tx in listed] == ["dep-001", "dep-002", "t-1"]
    assert [tx["request_id"] for tx in server.json("tx", "list", "--meta", "deal=D-2")] == ["dep-002"]
    assert len(server.json("tx", "list", "--limit", "2")) == 2
    assert server.json("tx", "get", listed[0]["name"])["postings"][0]["amount"] == "100.10"

    # The server refuses: exit 1, its message and the field path on stderr, nothing booked.
    refused = server.cli("transfer", "--from", "bank-hz/cash", "--to", "bank-hz/loans", "--amount", "1.001")
    assert refused.returncode == 1, refused.stderr
    assert "INVALID_ARGUMENT" in refused.stderr
    # In the transfer's own words: the flag at fault, not the request's field path (issue 21).
    assert "error: INVALID_ARGUMENT: --amount: '1.001' has 3 decimal places" in refused.stderr
    assert "transactions[0]" not in refused.stderr and "more problem" not in refused.stderr
    overdraft = server.cli("transfer", "--from", "bank-hz/cash", "--to", "bank-hz/loans", "--amount", "1000")
    assert overdraft.returncode == 1
    assert "INSUFFICIENT_FUNDS" in overdraft.stderr
    assert balances(server, "bank-hz/cash") == {"cash": "60.40"}

    # Usage errors never reach the server.
    assert server.cli("transfer", "--from", "bank-hz/cash", "--to", "bank-hz/loans", "--amount", "ten").returncode == 2
    assert server.cli("post", str(tmp_path / "missing.yaml")).returncode == 2

    # A two-phase transfer: reserve, then capture part of it.
    hold = server.json(
        "hold",
        "create",
        "--debit",
        "bank-hz/loans",
        "--credit",
        "bank-hz/cash",
        "--amount",
        "30.00",
        "--expires-in",
        "1h",
    )
    assert hold["state"] == "pending"
    cash = server.json("balance", "bank-hz/cash")[0]
    assert (cash["balance"], cash["held"], cash["available"]) == ("60.40", "30.00", "30.40")
    captured = server.json("hold", "capture", hold["name"], "--amount", "20.00")
    assert captured["hold"]["state"] == "captured"
    assert captured["hold"]["captured"] == "20.00"
    assert server.json("hold", "get", hold["name"])["capture_transaction"] == captured["transaction"]["name"]
    assert balances(server, "bank-hz/cash", "bank-hz/loans") == {"cash": "40.40", "loans": "60.00"}

    reversal = server.json("tx", "reverse", captured["transaction"]["name"], "--request-id", "rev-1")
    assert reversal["transaction"]["reverses"] == captured["transaction"]["name"]
    assert balances(server, "bank-hz/cash", "bank-hz/loans") == {"cash": "60.40", "loans": "40.00"}

    assert server.stop() == 0


def test_post_reads_stdin_and_reports_every_problem_in_a_bad_file(server: Server) -> None:
    server.ok("party", "create", "bank-hz", "--name", "Branch", "--kind", "bank_branch")
    server.ok("account", "create", "bank-hz", "cash", "--type", "asset", "--commodity", "CNY")
    server.ok("account", "create", "bank-hz", "deposits", "--type", "liability", "--commodity", "CNY")
    document = {
        "transactions": [
            {
                "request_id": "stdin-1",
                "value_date": "2026-11-26",
                "postings": [
                    {"account": "bank-hz/cash", "debit": "5.00"},
                    {"account": "bank-hz/deposits", "credit": "5.00"},
                ],
            }
        ]
    }
    server.ok("post", "-", stdin=json.dumps(document))
    assert balances(server, "bank-hz/cash") == {"cash": "5.00"}
    document["transactions"][0]["request_id"] = "stdin-2"
    basic = server.ok("post", "--view", "basic", "-", stdin=json.dumps(document))
    assert "stdin-2" in basic.stdout
    assert balances(server, "bank-hz/cash") == {"cash": "10.00"}
    bad = (
        "transactions:\n"
        "  - postings:\n"
        "      - {account: bank-hz/cash, debit: lots}\n"
        "      - {account: bank-hz/deposits}\n"
    )
    result = server.cli("post", "-", stdin=bad)
    assert result.returncode == 2
    assert "transactions[0].postings[0].debit" in result.stderr
    assert "transactions[0].postings[1]" in result.stderr
    assert server.stop() == 0


def test_a_mistyped_party_or_account_says_what_exists(server: Server) -> None:
    server.ok("party", "create", "bank-hz", "--name", "Branch", "--kind", "bank_branch")
    server.ok("party", "create", "bank-jx", "--name", "Branch", "--kind", "bank_branch")
    server.ok("account", "create", "bank-hz", "cash", "--type", "asset", "--commodity", "CNY")
    # A filter naming no party is an error, not an empty table.
    for command in (("account", "list"), ("tx", "list")):
        typo = server.cli(*command, "--party", "bank-zh")
        assert typo.returncode == 1, typo
        assert "there is no party bank-zh; did you mean bank-hz or bank-jx?" in typo.stderr
    # An empty list of a real party is fine.
    assert server.cli("account", "list", "--party", "bank-jx").returncode == 0
    for command in (("balance", "bank-hz/csh"), ("account", "get", "bank-hz/csh")):
        missing = server.cli(*command)
        assert missing.returncode == 1 and "did you mean bank-hz/cash?" in missing.stderr, missing
    assert server.stop() == 0


def test_unreachable_target_exits_3() -> None:
    result = run("--target", f"127.0.0.1:{free_port()}", "--timeout", "2", "party", "list")
    assert result.returncode == 3
    assert "cannot reach" in result.stderr
    assert "is the server running? Start it with `make run`" in result.stderr


def test_an_unreadable_file_is_named_in_plain_words(tmp_path: Path) -> None:
    missing = run("post", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: cannot read {tmp_path / 'nope.yaml'}: No such file or directory"
    tabbed = tmp_path / "tabbed.yaml"
    tabbed.write_text("transactions:\n\t- request_id: x\n", encoding="utf-8")
    for command in (("post", str(tabbed)), ("deal", "book", "--file", str(tabbed))):
        result = run(*command)
        assert result.returncode == 2, result
        assert "line 2, column 1: not valid YAML (a tab character: YAML indents with spaces only)" in result.stderr
        assert "<unicode string>" not in result.stderr and "scanning" not in result.stderr


def test_a_usage_error_is_one_message_and_where_to_look() -> None:
    result = run("party", "create")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "toudai party create: error: the following arguments are required: id, --name, --kind",
        "  (`toudai party create --help` shows the usage)",
    ]


def test_subcommand_help_names_the_shared_options_once() -> None:
    """The connection and TLS options are described in `toudai --help`; a subcommand's help only says that
    they may follow it (they used to repeat 12 lines under every subcommand)."""
    top = run("--help").stdout
    assert "--tls-server-name NAME" in top and "PEM CA certificate(s)" in top
    sub = run("party", "list", "--help").stdout
    assert "PEM CA certificate(s)" not in sub and "`toudai --help` describes them" in sub
    assert len(sub.splitlines()) <= 12


def test_version_and_a_target_without_a_port() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("toudai 0.")
    # Without a port the CLI means toudai's default port 50051, not gRPC's 443.
    result = run("--target", "127.0.0.1", "--timeout", "2", "party", "list")
    assert result.returncode == 3 and "cannot reach toudai at 127.0.0.1:50051" in result.stderr
    bad = run("--target", "127.0.0.1:http", "party", "list")
    assert bad.returncode == 2 and "is not HOST:PORT" in bad.stderr


def test_help_documents_the_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "exit codes" in result.stdout
    assert run("party", "create").returncode == 2


def test_serve_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--listen", f"127.0.0.1:{port}", "--database-url", f"sqlite:///{tmp_path}/t.db")
    assert result.returncode == 1
    assert "cannot listen" in result.stderr


def test_serve_refuses_an_unknown_schema_revision(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    assert run("db", "upgrade", "--database-url", f"sqlite:///{database}").returncode == 0
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    result = run("serve", "--listen", f"127.0.0.1:{free_port()}", "--database-url", f"sqlite:///{database}")
    assert result.returncode == 1
    assert "ffffffffffff" in result.stderr
    revision = run("db", "revision", "--database-url", f"sqlite:///{database}", "--json")
    assert revision.returncode == 1
    assert json.loads(revision.stdout)["current"] == "ffffffffffff"


def test_sigterm_as_soon_as_the_port_opens_is_a_clean_drain(tmp_path: Path) -> None:
    """serve() installs its signal handlers before the port opens: a SIGTERM sent the moment the port
    accepts connections drains and exits 0, instead of meeting Python's default handler (-15), which is
    what happened while the handlers were installed only after startup (GC tuning, hold expirer, log)."""
    target = f"127.0.0.1:{free_port()}"
    host, port = target.split(":")
    process = subprocess.Popen(
        [TOUDAI, "serve", "--listen", target, "--database-url", f"sqlite:///{tmp_path}/t.db"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            with socket.socket() as probe:
                if probe.connect_ex((host, int(port))) == 0:
                    break
            time.sleep(0.001)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=GRACE_SECONDS) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
