"""End to end: the worked example of domain.md from exercise request to settled split, with the CLI only.

`toudai serve` runs as a subprocess (SQLite file, and PostgreSQL); every step is a `toudai` subprocess.
Figures worked out by hand (CNY):
  the first loan hz-first of 1,000,000.00 defaults on its start date: loss 1,000,000.00 × 50% = 500,000.00,
  capped at 200,000.00: the pool pays 200,000.00 (pool cash 1,000,000.00 − 200,000.00 = 800,000.00);
  hz-main: 10,000,000.00 × 10% ÷ 10.00 = 100,000 units; the 2026-06-01 round: 2,000,000 shares at 25.00 =
  50,000,000.00, the qualifying size; exercise and sale: 100,000 × (25 − 10) = 1,500,000.00, the pool's
  200,000.00 first, 1,300,000.00 split 30 / 50 / 20 = 390,000.00 / 650,000.00 / 260,000.00.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.conftest import on_sqlite
from tests.serving import TOUDAI, Server, cli_env

COMPANY = "嘉兴光子科技有限公司"

DEAL = """\
deal_id: {deal_id}
branch: bank-hz
borrower: {{name: {company}, uscc: 91350100M000100Y43, stage: growth}}
loan:
  principal: {principal}
  annual_rate: 0.0435
  day_count: act_360
  start_date: {start}
  maturity_date: 2027-02-01
  schedule: bullet
  frequency: monthly
  business_day: unadjusted
subsidy: {{type: none}}
option:
  holder: invest-arm
  company: {company}
  share_class: A
  quantity_basis: coverage
  coverage: 0.10
  strike_basis: last_round_price
  strike_price: 10.00
  exercise_window: {{start: {start}, end: 2033-02-01}}
  triggers: [qualifying_round, ipo]
  qualifying_round_size: 50000000.00
risk_sharing:
  risk_pool: pool-zj
  base_rate: 0.50
  cap: {cap}
split: {{bank_bps: 3000, investment_arm_bps: 5000, risk_pool_bps: 2000}}
"""

AGREEMENTS = """\
agreements:
  - agreement_id: rsa-pool-zj-bank-hz
    kind: risk_sharing
    owner: pool-zj
    counterparty: bank-hz
    effective_from: 2026-01-01
    risk_sharing: {base_rate: "0.50", per_deal_cap: 3000000.00, auto_approval_limit: 3000000.00}
  - agreement_id: link-invest-arm-bank-hz
    kind: linkage
    owner: invest-arm
    counterparty: bank-hz
    effective_from: 2026-01-01
    linkage: {bank_bps: 3000, investment_arm_bps: 5000, risk_pool_bps: 2000}
"""

CAP_TABLE = """\
classes:
  - {name: common, shares: 8000000}
  - {name: A, shares: 1000000}
  - {name: B, shares: 2000000}
"""


def balance(server: Server, account: str) -> str:
    return str(server.json("balance", account)[0]["balance"])


@on_sqlite
def test_worked_example_exercise_through_the_cli(server: Server, tmp_path: Path) -> None:
    for party, kind in (("bank-hz", "bank_branch"), ("invest-arm", "investment_arm"), ("pool-zj", "risk_pool")):
        server.ok("party", "create", party, "--name", party, "--kind", kind)
    agreements = tmp_path / "agreements.yaml"
    agreements.write_text(AGREEMENTS, encoding="utf-8")
    server.ok("agreement", "sign", str(agreements))
    server.ok(
        "account", "create", "invest-arm", "cash", "--type", "asset", "--commodity", "CNY", "--must-not-go-negative"
    )
    # The arm funds its cash before the exercise (dated 2 Jun): a capture dated before money arrived would
    # leave the cash negative as of that date, which must-not-go-negative refuses.
    server.ok("account", "create", "invest-arm", "capital", "--type", "equity", "--commodity", "CNY")
    server.ok(
        "transfer",
        "--from",
        "invest-arm/capital",
        "--to",
        "invest-arm/cash",
        "--amount",
        "5000000.00",
        "--date",
        "2026-01-05",
    )
    server.ok("deal", "fund-pool", "pool-zj", "--amount", "1000000.00", "--date", "2026-01-10")
    first, main = tmp_path / "first.yaml", tmp_path / "main.yaml"
    first.write_text(
        DEAL.format(deal_id="hz-first", company=COMPANY, principal="1000000.00", start="2026-01-15", cap="200000.00"),
        encoding="utf-8",
    )
    main.write_text(
        DEAL.format(deal_id="hz-main", company=COMPANY, principal="10000000.00", start="2026-02-01", cap="3000000.00"),
        encoding="utf-8",
    )
    server.ok("deal", "book", "--file", str(first))
    server.ok("deal", "disburse", "hz-first")
    defaulted = server.json("deal", "default", "hz-first", "--date", "2026-01-15", "--reason", "first loan failed")
    assert defaulted["compensation_paid"] == "200000.00"
    assert server.json("deal", "book", "--file", str(main))["option_quantity"] == 100_000
    cap_table = tmp_path / "cap-table.yaml"
    cap_table.write_text(CAP_TABLE, encoding="utf-8")
    funding_round = server.json(
        "round", "record", COMPANY, "--date", "2026-06-01", "--class", "B", "--price", "25.00",
        "--shares-issued", "2000000", "--cap-table", str(cap_table),
    )["name"]  # fmt: skip

    # The investment arm requests; the strike 1,000,000.00 is held on its cash.
    request = (
        "exercise", "request", "hz-main", "--quantity", "100000", "--method", "cash-and-sale",
        "--trigger", "qualifying-round", "--round", funding_round, "--date", "2026-06-02",
        "--as", "arm-alice", "--request-id", "ex-1",
    )  # fmt: skip
    x = server.json(*request)
    assert server.json(*request) == x  # a retry with the same --request-id is the same exercise
    assert (x["state"], x["requested_by"], x["quantity"], x["method"]) == (
        "requested",
        "arm-alice",
        100_000,
        "cash-and-sale",
    )
    name = x["name"]
    held = server.json("balance", "invest-arm/cash")[0]
    assert (held["balance"], held["held"], held["available"]) == ("5000000.00", "1000000.00", "4000000.00")

    # The preview: a table for people, JSON for scripts; nothing posted.
    table = server.ok("exercise", "preview", name).stdout
    for figure in ("1,500,000.00", "200,000.00", "390,000.00", "650,000.00", "260,000.00", "460,000.00"):
        assert figure in table, figure
    preview = server.json("exercise", "preview", name)
    assert preview["split"] == {
        "gain": "1500000.00",
        "pool_reimbursement": "200000.00",
        "advisory_fee": "0.00",
        "bank": "390000.00",
        "investment_arm": "650000.00",
        "risk_pool": "260000.00",
    }
    assert balance(server, "bank-hz/option-gain-income") == "0.00"

    # Four eyes: the requester cannot approve (exit 1, the reason on stderr).
    refused = server.cli("exercise", "approve", name, "--as", "arm-alice")
    assert refused.returncode == 1 and "FOUR_EYES" in refused.stderr
    # Someone else can; TOUDAI_PRINCIPAL works as well as --as.
    approved = subprocess.run(
        [TOUDAI, "--target", server.target, "exercise", "approve", name, "--reason", "round verified", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**cli_env(), "TOUDAI_PRINCIPAL": "bank-bob"},
        check=False,
    )
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["decided_by"] == "bank-bob"

    settled = server.json("exercise", "settle", name, "--as", "bank-bob", "--request-id", "settle-1")
    assert settled["state"] == "settled"
    assert settled["split"] == preview["split"]
    again = server.cli("exercise", "settle", name, "--as", "bank-bob")
    assert again.returncode == 1 and "is settled" in again.stderr

    # Every party sees its share: bank 390,000.00; arm 650,000.00; pool 260,000.00 plus 200,000.00 back.
    assert balance(server, "bank-hz/option-gain-income") == "390000.00"
    assert balance(server, "invest-arm/option-gains") == "650000.00"
    assert balance(server, "pool-zj/option-gain-income") == "260000.00"
    assert balance(server, "pool-zj/reimbursement-income") == "200000.00"
    # Cash: arm 5,000,000.00 − 1,000,000.00 + 2,500,000.00 − 390,000.00 − 460,000.00; pool 800,000.00 + 460,000.00.
    assert balance(server, "invest-arm/cash") == "5650000.00"
    assert balance(server, "pool-zj/cash") == "1260000.00"
    assert balance(server, "bank-hz/clearing") == "-410000.00"  # −1,000,000.00 + 200,000.00 + 390,000.00
    for party in ("bank-hz", "invest-arm", "pool-zj"):
        accounts = server.json("account", "list", "--party", party)
        balances = server.json("balance", *[a["name"] for a in accounts])
        totals: dict[str, int] = {}
        for account, found in zip(accounts, balances, strict=True):
            sign = 1 if account["type"] in ("asset", "expense") else -1
            cents = int(found["balance"].replace(".", "")) if "." in found["balance"] else int(found["balance"])
            totals[account["commodity"]] = totals.get(account["commodity"], 0) + sign * cents
        assert all(v == 0 for v in totals.values()), (party, totals)

    # show: state, history with who and why, the split.
    shown = server.ok("exercise", "show", name).stdout
    for text in ("settled", "arm-alice", "bank-bob", "round verified", "390,000.00", "History"):
        assert text in shown, text
    steps = server.json("exercise", "show", name)["steps"]
    assert [(s["from_state"], s["to_state"], s["principal"]) for s in steps] == [
        ("", "requested", "arm-alice"),
        ("requested", "approved", "bank-bob"),
        ("approved", "settled", "bank-bob"),
    ]
    assert [e["name"] for e in server.json("exercise", "list", "--deal", "hz-main", "--state", "settled")] == [name]
    assert server.json("exercise", "list", "--state", "requested") == []
    assert name.removeprefix("exercises/")[:8] in server.ok("exercise", "list").stdout  # short ids (issue 21)
    assert name in server.ok("exercise", "list", "-o", "wide").stdout

    # Nothing is left; exit is only for net exercises; no right has lapsed yet.
    more = server.cli(*request[:-2], "--request-id", "ex-2")
    assert more.returncode == 1 and "INSUFFICIENT_FUNDS" in more.stderr
    not_net = server.cli("exercise", "exit", name, "--shares", "1", "--price", "25.00", "--date", "2026-07-01")
    assert not_net.returncode == 1 and "NOT_NET" in not_net.stderr
    assert server.json("exercise", "expire-options", "--as-of", "2026-07-01") == {"as_of": "2026-07-01", "lapsed": []}
    # Usage errors exit 2.
    assert (
        server.cli(
            "exercise", "request", "hz-main", "--quantity", "0", "--method", "net", "--trigger", "ipo"
        ).returncode
        == 2
    )
