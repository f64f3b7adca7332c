"""The README tour as a branch clerk runs it, and every error message issue 21 listed, with its new text.

One `toudai serve` (SQLite file) per module and worker, driven by `toudai` processes: what the CLI prints
is the same on either database (the server side of replays, `PostTransactionsResponse.replayed`, is tested
on both in tests/integration/test_client.py and test_group_commit.py). The fixture sets up the README's
world once (parties, accounts, the opening balances, the agreements, the worked example booked and
disbursed); each test then stands on its own, so that pytest-xdist may run them on any worker in any order.

Figures by hand (CNY): bank-hz/cash 50,000,000.00 − 10,000,000.00 = 40,000,000.00; loans 10,000,000.00;
pool-hz/cash 3,000,000.00, an overdraft of 9,000,000.00 leaves it short by 6,000,000.00; the worked
example's first accrual 10,000,000.00 × 4.35% × 31/360 = 37,458.33; its exercise of 100,000 units at a
strike of 10.00 needs 1,000,000.00 in the arm's cash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import Server, toudai_serve

ROOT = Path(__file__).resolve().parents[2]
OPENING = """\
transactions:
  - request_id: open-bank-0001
    value_date: 2026-01-05
    description: Paid-in capital
    postings:
      - {account: bank-hz/cash, debit: "50000000.00"}
      - {account: bank-hz/capital, credit: "50000000.00"}
  - request_id: open-pool-0001
    value_date: 2026-01-05
    description: Fiscal contribution to the risk pool
    postings:
      - {account: pool-hz/cash, debit: "3000000.00"}
      - {account: pool-hz/fund, credit: "3000000.00"}
"""
RETRY = """\
transactions:
  - request_id: retry-0001
    value_date: 2026-01-06
    description: A file posted twice
    postings:
      - {account: pool-hz/compensation, debit: "1.00"}
      - {account: pool-hz/fund, credit: "1.00"}
"""
CAP_TABLE = (
    "classes:\n  - {name: common, shares: 8000000}\n  - {name: A, shares: 1000000}\n  - {name: B, shares: 2000000}\n"
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("files")
    (directory / "opening.yaml").write_text(OPENING, encoding="utf-8")
    (directory / "retry.yaml").write_text(RETRY, encoding="utf-8")
    (directory / "cap-table.yaml").write_text(CAP_TABLE, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, files: Path) -> Iterator[Server]:
    """The README tour's world: parties, accounts, opening balances, agreements, the worked example."""
    directory = tmp_path_factory.mktemp("clerk")
    with toudai_serve(f"sqlite:///{directory}/t.db", directory / "serve.log") as served:
        for party, name, kind in (
            ("bank-hz", "杭州科技支行", "bank_branch"),
            ("pool-hz", "杭州风险池", "risk_pool"),
            ("invest-arm", "科创投资有限公司", "investment_arm"),
            ("risk-pool", "科技信贷风险补偿资金池", "risk_pool"),
        ):
            served.ok("party", "create", party, "--name", name, "--kind", kind)
        for party, code, kind, *guard in (
            ("bank-hz", "cash", "asset", "--must-not-go-negative"),
            ("bank-hz", "capital", "equity"),
            ("bank-hz", "loans", "asset"),
            ("pool-hz", "cash", "asset", "--must-not-go-negative"),
            ("pool-hz", "fund", "equity"),
            ("pool-hz", "compensation", "expense"),
        ):
            served.ok("account", "create", party, code, "--type", kind, "--commodity", "CNY", *guard)
        served.ok("post", str(files / "opening.yaml"))
        served.ok("agreement", "sign", str(ROOT / "examples" / "agreements.yaml"))
        served.ok("deal", "book", str(ROOT / "examples" / "worked-example.yaml"))  # positional, as `post FILE`
        served.ok("deal", "disburse", "hz-2026-001")
        yield served


def test_accounts_are_listed_by_short_name(server: Server) -> None:
    listed = server.ok("account", "list", "--party", "bank-hz").stdout
    assert "bank-hz/cash" in listed and "parties/bank-hz/accounts/cash" not in listed
    assert "parties/bank-hz/accounts/cash" in server.ok("account", "list", "--party", "bank-hz", "-o", "wide").stdout


def test_a_misspelled_commodity_gets_a_did_you_mean(server: Server) -> None:
    refused = server.cli("account", "create", "bank-hz", "fees", "--type", "income", "--commodity", "CYN")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: INVALID_ARGUMENT: --commodity: 'CYN' is not registered")
    assert "did you mean CNY?" in refused.stderr


def test_posting_a_file_twice_says_the_second_time_changed_nothing(server: Server, files: Path) -> None:
    first = server.json("post", str(files / "retry.yaml"))
    assert first["replayed"] == []
    again = server.ok("post", str(files / "retry.yaml"))
    assert re.search(
        r"^retry-0001: already posted at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00, nothing changed \([0-9a-f]{8}\)$",
        again.stdout,
        re.M,
    ), again.stdout
    assert "Already posted (a retry)" in again.stdout
    replay = server.json("post", str(files / "retry.yaml"))
    assert replay["replayed"] == [first["transactions"][0]["name"]]


def test_a_transfer_and_its_retry(server: Server) -> None:
    transfer = ("transfer", "--from", "bank-hz/cash", "--to", "bank-hz/loans", "--amount", "10000000.00")
    new = server.ok(*transfer, "--request-id", "disburse-0001")
    assert "already posted" not in new.stdout and "Posted" in new.stdout
    retry = server.ok(*transfer, "--request-id", "disburse-0001")
    assert "disburse-0001: already posted at" in retry.stdout and "nothing changed" in retry.stdout
    shown = server.ok("balance", "bank-hz/cash", "bank-hz/loans").stdout
    assert re.search(r"bank-hz/cash\s+40,000,000\.00 CNY", shown), shown
    assert re.search(r"bank-hz/loans\s+10,000,000\.00 CNY", shown), shown
    # Without --request-id the CLI picks one and says how to retry safely (stderr: stdout stays the answer).
    fresh = server.ok("transfer", "--from", "bank-hz/cash", "--to", "bank-hz/loans", "--amount", "0.01")
    key = re.search(
        r"^request id ([0-9a-f-]{36}): to retry this safely, repeat the command with --request-id \1;",
        fresh.stderr,
        re.M,
    )
    assert key, fresh.stderr
    server.ok(
        "transfer", "--from", "bank-hz/loans", "--to", "bank-hz/cash", "--amount", "0.01", "--request-id", "undo-1"
    )


def test_transfer_errors_name_the_flag_and_are_printed_once(server: Server) -> None:
    typo = server.cli("transfer", "--from", "bank-hz/csh", "--to", "bank-hz/loans", "--amount", "1.00")
    assert typo.returncode == 1
    assert typo.stderr == (
        "error: INVALID_ARGUMENT: --from bank-hz/csh: there is no account bank-hz/csh. Did you mean bank-hz/cash? "
        "A new account is opened with `toudai account create bank-hz csh --type TYPE --commodity CODE`; "
        "`toudai account list --party bank-hz` lists the party's accounts.\n"
        "  reason: UNKNOWN_ACCOUNT\n"
    )
    to = server.cli("transfer", "--from", "bank-hz/cash", "--to", "bank-hz/lons", "--amount", "1.00")
    assert to.stderr.startswith("error: INVALID_ARGUMENT: --to bank-hz/lons: there is no account bank-hz/lons.")
    overdraft = server.cli(
        "transfer", "--from", "pool-hz/cash", "--to", "pool-hz/compensation", "--amount", "9000000.00",
        "--request-id", "oops-0001",
    )  # fmt: skip
    assert overdraft.returncode == 1
    assert overdraft.stderr.count("must not go negative") == 1  # once, not once per detail
    assert "pool-hz/cash must not go negative" in overdraft.stderr
    assert "short by 6,000,000.00 CNY" in overdraft.stderr
    assert "parties/" not in overdraft.stderr and "postings[" not in overdraft.stderr


def test_one_flag_vocabulary_with_the_old_spellings_hidden(server: Server) -> None:
    new = server.json("tx", "list", "--party", "bank-hz", "--from-date", "2026-01-01", "--to-date", "2026-01-31")
    old = server.json("tx", "list", "--party", "bank-hz", "--from", "2026-01-01", "--to", "2026-01-31")
    assert [t["request_id"] for t in new] == [t["request_id"] for t in old] == ["open-bank-0001"]
    shown = server.ok("tx", "list", "--help").stdout
    assert "--from-date" in shown and "--from " not in shown and "--to " not in shown
    follow_help = server.ok("audit", "follow", "--help").stdout
    assert "--from-seq" in follow_help and "--from " not in follow_help


def test_the_worked_example_deal_as_the_readme_books_it(server: Server) -> None:
    example = str(ROOT / "examples" / "worked-example.yaml")
    booked = server.json("deal", "book", example)  # again: the same deal, nothing booked twice
    assert booked["name"] == "deals/hz-2026-001"
    assert server.json("deal", "book", "--file", example)["name"] == "deals/hz-2026-001"  # the old spelling
    missing = server.cli("deal", "book")
    assert missing.returncode == 2 and "name one deal file: `toudai deal book FILE`" in missing.stderr
    accrued = server.ok("deal", "accrue", "hz-2026-001", "--through", "2026-04-15").stdout
    assert "37,458.33 CNY" in accrued
    repaid = server.ok(
        "deal", "repay", "hz-2026-001", "--amount", "37458.33", "--date", "2026-04-16", "--request-id", "r-1"
    )
    assert "37,458.33" in repaid.stdout
    shown = server.ok("deal", "show", "hz-2026-001").stdout
    assert "Principal outstanding  10,000,000.00 CNY" in shown
    listed = server.ok("deal", "list", "--branch", "bank-hz", "--status", "repaying").stdout
    assert re.search(r"hz-2026-001\s+bank-hz", listed) and "10,000,000.00" in listed


def test_an_exercise_without_the_arms_cash_account_says_how_to_open_it(server: Server, files: Path) -> None:
    funding_round = server.json(
        "round", "record", "杭州云芯科技有限公司", "--date", "2027-03-01", "--class", "B", "--price", "25.00",
        "--shares-issued", "2000000", "--cap-table", str(files / "cap-table.yaml"),
    )["name"]  # fmt: skip
    request = (
        "exercise", "request", "hz-2026-001", "--quantity", "100000", "--method", "cash-and-sale",
        "--trigger", "qualifying-round", "--round", funding_round, "--date", "2027-03-20", "--as", "arm-alice",
    )  # fmt: skip
    refused = server.cli(*request, "--request-id", "ex-1")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "error: FAILED_PRECONDITION: a cash exercise pays the strike (1,000,000.00 CNY) from invest-arm/cash, "
        "and invest-arm has no such account. Open it with `toudai account create invest-arm cash --type asset "
        "--commodity CNY --must-not-go-negative`, fund it with `toudai transfer --from invest-arm/ACCOUNT --to "
        "invest-arm/cash --amount 1000000.00 --date DATE`"
    ), refused.stderr
    assert "has 0.00 CNY" not in refused.stderr
    # Done as it says, the same request goes through and shows prices in the one amount style.
    server.ok(
        "account", "create", "invest-arm", "cash", "--type", "asset", "--commodity", "CNY", "--must-not-go-negative"
    )
    server.ok("account", "create", "invest-arm", "capital", "--type", "equity", "--commodity", "CNY")
    server.ok(
        "transfer", "--from", "invest-arm/capital", "--to", "invest-arm/cash", "--amount", "1000000.00",
        "--date", "2026-01-05", "--request-id", "arm-fund-1",
    )  # fmt: skip
    shown = server.ok(*request, "--request-id", "ex-1").stdout
    assert "Price per share   25.00" in shown and "Strike per share  10.00" in shown
    data = json.loads(server.ok(*request, "--request-id", "ex-1", "--json").stdout)
    assert data["state"] == "requested" and data["name"].startswith("exercises/")  # --json: full names
