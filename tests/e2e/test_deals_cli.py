"""End to end: the worked example of the business description and `toudai demo`, through the `toudai` CLI.

`toudai serve` runs as a subprocess on a fresh SQLite file (and on PostgreSQL); every step is a `toudai`
subprocess, as an operator or a script would run it. The figures asserted are worked out by hand in the
comments, from the terms in examples/worked-example.yaml.
"""

from __future__ import annotations

import collections
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import jsonschema

from tests.e2e.conftest import on_postgresql
from tests.serving import Server

AGREEMENTS = Path(__file__).resolve().parents[2] / "examples" / "agreements.yaml"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "worked-example.yaml"
DEAL = "deals/hz-2026-001"
PARTIES = (
    ("bank-hz", "杭州科技支行", "bank_branch"),
    ("invest-arm", "科创投资有限公司", "investment_arm"),
    ("risk-pool", "科技信贷风险补偿资金池", "risk_pool"),
)


def balance_of(server: Server, account: str) -> str:
    return str(server.json("balance", account)[0]["balance"])


def trial_balances(server: Server) -> dict[tuple[str, str], Decimal]:
    """Every party's account balances summed per commodity, debit-normal positive: zero in a sound book."""
    accounts = server.json("account", "list")
    balances = server.json("balance", *[a["name"] for a in accounts])
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for account, balance in zip(accounts, balances, strict=True):
        assert balance["account"] == account["name"]
        sign = 1 if account["type"] in ("asset", "expense") else -1
        totals[(account["party"].removeprefix("parties/"), account["commodity"])] += sign * Decimal(balance["balance"])
    return dict(totals)


def assert_books_balance(server: Server, *parties: str) -> None:
    totals = trial_balances(server)
    assert {party for party, _ in totals} == set(parties)
    unbalanced = {key: total for key, total in totals.items() if total != 0}
    assert not unbalanced, f"trial balances that are not zero: {unbalanced}"


@on_postgresql
def test_worked_example_through_the_cli(server: Server, tmp_path: Path) -> None:
    for party_id, name, kind in PARTIES:
        server.ok("party", "create", party_id, "--name", name, "--kind", kind)
    parties = [p for p, _, _ in PARTIES]
    # What the pool and the arm agreed with the branch: the deal falls within both.
    signed = server.json("agreement", "sign", str(AGREEMENTS))
    assert [a["name"] for a in signed] == ["agreements/rsa-risk-pool-bank-hz", "agreements/link-invest-arm-bank-hz"]

    # Booking: 10,000,000.00 × 10% coverage ÷ 10.00 strike = 100,000 option units, held by the arm.
    booked = server.json("deal", "book", "--file", str(EXAMPLE))
    assert booked["name"] == DEAL
    assert booked["status"] == "booked"
    assert booked["option_quantity"] == 100_000
    assert booked["option_commodity"] == "OPT-HZ-2026-001"
    assert booked["terms"]["loan"]["principal"] == "10000000.00"
    assert booked["terms"]["loan"]["annual_rate"] == "0.0435"
    assert booked["terms"]["branch"] == "bank-hz"
    assert booked["terms"]["option"]["holder"] == "invest-arm"
    assert balance_of(server, "invest-arm/options.hz-2026-001") == "100000"
    assert_books_balance(server, *parties)

    # Booking the same file again books nothing twice: same deal, same single option grant.
    again = server.json("deal", "book", "--file", str(EXAMPLE))
    assert again["events"] == booked["events"]
    assert len(server.json("tx", "list", "--party", "invest-arm")) == 1
    assert balance_of(server, "invest-arm/options.hz-2026-001") == "100000"

    # The schedule: monthly ACT/360 on 10,000,000.00 at 4.35%, principal at maturity.
    schedule = server.json("deal", "schedule", "hz-2026-001")
    periods = schedule["periods"]
    assert len(periods) == 12
    first, second = periods[0], periods[1]
    assert (first["accrual_start"], first["payment_date"], first["days"]) == ("2026-03-16", "2026-04-16", 31)
    assert first["interest"] == "37458.33"  # 10,000,000.00 × 0.0435 × 31 / 360 = 37,458.333…
    assert first["principal"] == "0.00"
    assert first["borrower_payment"] == "37458.33"
    # 16 May 2026 is a Saturday: modified following moves the payment to Monday 18 May, 32 days.
    assert (second["payment_date"], second["days"]) == ("2026-05-18", 32)
    assert second["interest"] == "38666.67"  # 10,000,000.00 × 0.0435 × 32 / 360 = 38,666.666…
    assert periods[-1]["payment_date"] == "2027-03-16"
    assert periods[-1]["principal"] == "10000000.00"
    assert sum(p["days"] for p in periods) == 365
    assert schedule["total_principal"] == "10000000.00"
    assert Decimal(schedule["total_interest"]) == sum(Decimal(p["interest"]) for p in periods)
    assert schedule["total_subsidy"] == "0.00"
    table = server.ok("deal", "schedule", DEAL).stdout
    assert "37,458.33" in table
    assert "Total" in table

    # Disbursement on the start date: the bank's loan asset against its clearing account.
    disbursed = server.json("deal", "disburse", "hz-2026-001", "--request-id", "disb-1")
    assert disbursed["deal"]["status"] == "disbursed"
    assert disbursed["deal"]["principal_outstanding"] == "10000000.00"
    assert balance_of(server, "bank-hz/loans.hz-2026-001") == "10000000.00"
    assert balance_of(server, "bank-hz/clearing") == "-10000000.00"
    assert_books_balance(server, *parties)

    # Accrual through the day before the first payment date gives exactly the first period's interest;
    # again posts nothing.
    accrued = server.json("deal", "accrue", DEAL, "--through", "2026-04-15")
    assert (accrued["accrued"], accrued["subsidy"]) == ("37458.33", "0.00")
    assert accrued["deal"]["interest_receivable"] == "37458.33"
    assert server.json("deal", "accrue", DEAL, "--through", "2026-04-15")["accrued"] == "0.00"
    assert balance_of(server, "bank-hz/interest-income") == "37458.33"

    # A payment of 1,037,458.33 settles the period's interest and prepays 1,000,000.00 of principal.
    repaid = server.json(
        "deal", "repay", DEAL, "--amount", "1037458.33", "--date", "2026-04-16", "--request-id", "pay-1"
    )
    assert (repaid["overdue_interest"], repaid["interest"], repaid["principal"]) == ("0.00", "37458.33", "1000000.00")
    assert repaid["deal"]["status"] == "repaying"
    assert repaid["deal"]["principal_outstanding"] == "9000000.00"
    assert repaid["replayed"] is False
    # The same request again is a replay, not a second payment, and the clerk is told so.
    again = server.ok("deal", "repay", DEAL, "--amount", "1037458.33", "--date", "2026-04-16", "--request-id", "pay-1")
    assert "pay-1: already recorded by an earlier call with this request id, nothing changed" in again.stdout
    assert "37,458.33" in again.stdout  # the first call's allocation, shown again
    assert balance_of(server, "bank-hz/loans.hz-2026-001") == "9000000.00"
    allocation = server.ok("deal", "repay", DEAL, "--amount", "1.00", "--date", "2026-04-16", "--request-id", "pay-2")
    assert "Overdue interest" in allocation.stdout  # the allocation table (1.00 more of principal)
    assert balance_of(server, "bank-hz/loans.hz-2026-001") == "8999999.00"

    # Interest then runs on the lower principal: 8,999,999.00 × 0.0435 × 32 / 360 = 34,799.996… → 34,800.00.
    accrued = server.json("deal", "accrue", DEAL, "--through", "2026-05-17")
    assert accrued["accrued"] == "34800.00"

    shown = server.json("deal", "show", "hz-2026-001")
    assert shown["status"] == "repaying"
    assert shown["principal_outstanding"] == "8999999.00"
    assert shown["interest_receivable"] == "34800.00"
    assert (shown["accrued_through"], shown["accrued_to"]) == ("2026-05-17", "2026-05-18")
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds[:2] == ["booked", "disbursed"]
    assert kinds.count("repaid") == 2
    assert shown["events"][1]["details"]["principal"] == "10000000.00"
    text = server.ok("deal", "show", DEAL).stdout
    assert "8,999,999.00" in text
    assert "100,000 OPT-HZ-2026-001" in text
    assert_books_balance(server, *parties)

    # Listing with filters.
    assert [d["name"] for d in server.json("deal", "list", "--branch", "bank-hz", "--status", "repaying")] == [DEAL]
    assert [d["name"] for d in server.json("deal", "list", "--holder", "invest-arm")] == [DEAL]
    assert [d["name"] for d in server.json("deal", "list", "--borrower", "91330106MA2H7K3C08")] == [DEAL]
    assert server.json("deal", "list", "--status", "closed") == []

    example = EXAMPLE.read_text(encoding="utf-8")

    # A wrong check character in the USCC: the server refuses (exit 1), naming the field; nothing booked.
    bad_uscc = tmp_path / "bad-uscc.yaml"
    bad_uscc.write_text(
        example.replace("91330106MA2H7K3C08", "91330106MA2H7K3C09").replace("hz-2026-001", "hz-2026-009"),
        encoding="utf-8",
    )
    refused = server.cli("deal", "book", "--file", str(bad_uscc))
    assert refused.returncode == 1, refused.stderr
    assert "terms.borrower.uscc" in refused.stderr
    assert "INVALID_USCC" in refused.stderr
    assert len(server.json("deal", "list")) == 1

    # Several server-side violations come back together, each with its field path.
    bad_terms = tmp_path / "bad-terms.yaml"
    bad_terms.write_text(
        example.replace("hz-2026-001", "hz-2026-008")
        .replace("bank_bps: 3000", "bank_bps: 3500")
        .replace("maturity_date: 2027-03-16", "maturity_date: 2026-01-16"),
        encoding="utf-8",
    )
    refused = server.cli("deal", "book", "--file", str(bad_terms))
    assert refused.returncode == 1, refused.stderr
    assert "terms.split" in refused.stderr
    assert "terms.loan.maturity_date" in refused.stderr

    # Problems in the file itself never reach the server: exit 2 with the path of each.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        example.replace("principal: 10000000.00", "principal: ten million")
        .replace("start_date: 2026-03-16", "start_date: 2026-13-16")
        .replace("schedule: bullet", "schedule: balloon"),
        encoding="utf-8",
    )
    unreadable = server.cli("deal", "book", "--file", str(broken))
    assert unreadable.returncode == 2, unreadable.stderr
    for path in ("loan.principal", "loan.start_date", "loan.schedule"):
        assert path in unreadable.stderr
    assert server.cli("deal", "book", "--file", str(tmp_path / "missing.yaml")).returncode == 2

    # An illegal transition: repaying a deal that is only booked.
    second_deal = tmp_path / "second.yaml"
    second_deal.write_text(example.replace("hz-2026-001", "hz-2026-002"), encoding="utf-8")
    assert server.json("deal", "book", "--file", str(second_deal))["status"] == "booked"
    illegal = server.cli("deal", "repay", "hz-2026-002", "--amount", "100.00", "--date", "2026-04-16")
    assert illegal.returncode == 1
    assert "booked" in illegal.stderr
    assert "ILLEGAL_DEAL_TRANSITION" in illegal.stderr
    closing = server.cli("deal", "close", DEAL)
    assert closing.returncode == 1
    assert "NOT_REPAID" in closing.stderr

    # Default, then a recovery. The default on 18 May (interest accrued through 17 May): loss 8,999,999.00
    # + 34,800.00 = 9,034,799.00; 50% (60% unsecured is below the 70% threshold) = 4,517,399.50, capped at
    # 3,000,000.00, all owed (the pool holds nothing). The borrower still owes all of it. A recovery of
    # 1,000,000.00 of which 20,000.00 collection costs: 980,000.00 to principal; the pool's share
    # 980,000.00 × 3,000,000.00 / 9,034,799.00 = 325,408.457 → 325,408.46, set off against its claim
    # (3,000,000.00 → 2,674,591.54); the bank keeps 654,591.54.
    defaulted = server.json("deal", "default", DEAL, "--date", "2026-05-18", "--reason", "insolvent")
    assert (defaulted["compensation_claim"], defaulted["deal"]["principal_outstanding"]) == ("3000000.00", "8999999.00")
    recover = ("deal", "recover", DEAL, "--amount", "1000000.00", "--costs", "20000.00", "--date", "2026-06-01")
    recovered = server.json(*recover, "--request-id", "rec-1")
    assert (recovered["costs"], recovered["principal"], recovered["interest"]) == ("20000.00", "980000.00", "0.00")
    assert (recovered["pool_share"], recovered["pool_set_off"], recovered["bank_share"]) == (
        "325408.46",
        "325408.46",
        "654591.54",
    )
    assert recovered["deal"]["principal_outstanding"] == "8019999.00"
    table = server.ok(*recover, "--request-id", "rec-1").stdout  # a replay, shown as a table
    assert "Risk pool's share" in table and "325,408.46" in table
    assert balance_of(server, "risk-pool/claims-payable.hz-2026-001") == "2674591.54"
    assert balance_of(server, "bank-hz/compensation-received.hz-2026-001") == "2674591.54"
    too_much = server.cli("deal", "recover", DEAL, "--amount", "9000000.00")  # 8,054,799.00 is owed
    assert too_much.returncode == 1 and "RECOVERY_EXCEEDS_DEBT" in too_much.stderr

    assert_books_balance(server, *parties)
    assert server.stop() == 0


@on_postgresql
def test_demo_books_a_portfolio_once(server: Server) -> None:
    first = server.json("demo")
    assert first["new_deals"] == 15
    assert first["balanced"] is True
    assert all(Decimal(tb["difference"]) == 0 for tb in first["trial_balances"])
    transactions = len(server.json("tx", "list"))

    # Running it again books nothing: every request has a fixed request_id.
    second = server.json("demo")
    assert (second["new_deals"], second["new_events"]) == (0, 0)
    assert second["deals"] == first["deals"]
    assert len(server.json("tx", "list")) == transactions

    deals = server.json("deal", "list")
    assert len(deals) == 15
    assert {d["terms"]["branch"] for d in deals} == {"bank-hz", "bank-jx"}
    statuses = sorted(d["status"] for d in deals)
    assert statuses.count("repaying") == 11
    assert [s for s in statuses if s != "repaying"] == ["booked", "closed", "written_off", "written_off"]
    schedules = {d["terms"]["loan"]["schedule"] for d in deals}
    assert schedules == {"bullet", "equal_principal", "equal_instalment"}
    assert {d["terms"]["subsidy"]["type"] for d in deals} == {"none", "rate_points", "interest_share"}

    # The worked example is part of the portfolio.
    worked = server.json("deal", "show", "hz-2026-101")
    assert worked["option_quantity"] == 100_000

    # The default while the pool was short. Interest was paid to 2 June; the default on 20 August adds
    # 79 days: 3,000,000.00 × 4.50% × 79 / 360 = 29,625.00, so the loss is 3,029,625.00. A first loan is
    # covered at 90%: 2,726,662.50, of which the pool held 1,000,000.00; 1,726,662.50 stayed a claim
    # until the refill of 3,000,000.00 paid it, leaving 1,273,337.50 in the pool. The write-off took the
    # borrower's 3,029,625.00 off the books; the pool's 2,726,662.50 offset it and the bank's loan loss is
    # the remaining 10%: 302,962.50, of which the quarter-end impairment run (30 Sep, stage 3, start-up
    # LGD 0.65, after default PD 1 × LGD × (EAD − measured cover) = 0.65 × 302,962.50 = 196,925.625 →
    # 196,925.63) had provided 196,925.63: the loan loss of the day is 106,036.87. A recovery of
    # 350,000.00 on 20 November is shared pro rata to what each bore: the pool 350,000.00 × 2,726,662.50 /
    # 3,029,625.00 = 315,000.00, the bank 35,000.00.
    defaulted = server.json("deal", "show", "jx-2026-203")
    events = {e["kind"]: e["details"] for e in defaulted["events"]}
    assert events["defaulted"]["loss"] == "3029625.00"
    assert events["defaulted"]["compensation_paid"] == "1000000.00"
    assert events["defaulted"]["compensation_claim"] == "1726662.50"
    assert events["claim_paid"]["paid"] == "1726662.50"
    assert events["written_off"]["written_off"] == "3029625.00"
    assert events["written_off"]["allowance_applied"] == "196925.63"
    assert events["written_off"]["loan_loss"] == "106036.87"
    assert (events["recovered"]["pool_share"], events["recovered"]["bank_share"]) == ("315000.00", "35000.00")
    # 1,273,337.50 + 315,000.00 − the 503,500.00 claim of the insured deal jx-2026-208 the refill also paid
    assert balance_of(server, "risk-pool/cash") == "1084837.50"
    assert balance_of(server, "risk-pool/recovery-income") == "315000.00"
    assert balance_of(server, "bank-jx/written-off-recoveries") == "35000.00"
    assert balance_of(server, "risk-pool/claims-payable.jx-2026-203") == "0.00"

    # The credit summary as of 25 Nov. hz-2026-107 paid to 10 Jul and missed 10 Aug: 107 days past due
    # (10 Aug → 25 Nov), substandard, on non-accrual from its 91st day, 9 Nov; its ECL is stage 3, PD 1:
    # 0.65 × 2,000,000.00 = 1,300,000.00 less the pool's base 50 % of it = 650,000.00. jx-2026-207 missed
    # 20 Oct: 36 days, special mention, stage 2. jx-2026-204 paid its October instalment late on 20 Nov:
    # current again, but special mention until the cure period has passed.
    credit = {row["deal"]: row for row in first["credit"]}
    assert (credit["hz-2026-107"]["category"], credit["hz-2026-107"]["days_past_due"]) == ("substandard", 107)
    assert credit["hz-2026-107"]["non_accrual_since"] == "2026-11-09"
    assert Decimal(credit["hz-2026-107"]["expected_credit_loss"]) == Decimal("650000.00")
    assert (credit["jx-2026-207"]["category"], credit["jx-2026-207"]["days_past_due"]) == ("special_mention", 36)
    assert credit["jx-2026-207"]["stage"] == 2
    assert (credit["jx-2026-204"]["category"], credit["jx-2026-204"]["days_past_due"]) == ("special_mention", 0)
    assert credit["jx-2026-203"]["category"] == "loss"
    on_hold = server.json("deal", "show", "hz-2026-107")
    moved = {e["kind"]: e["details"] for e in on_hold["events"]}["accrued"]
    assert Decimal(on_hold["off_balance_interest"]) == Decimal(moved["non_accrual_interest"]) + Decimal(
        moved["accrued_off_balance"]
    )
    assert Decimal(on_hold["interest_receivable"]) == 0  # nothing of it is on the books

    # The insured deal: 1,000,000.00 at 4.00 % paid to 1 Jun, defaulting on 3 Aug: 63 days of interest =
    # 1,000,000.00 × 4 % × 63 / 360 = 7,000.00, loss 1,007,000.00. The insurer's 20 % = 201,400.00 is claimed,
    # approved by its claims staff and paid in full. The quarter-end run provided 0.65 × (1,007,000.00 −
    # 503,500.00 pool − 201,400.00 insurer) = 196,365.00; the write-off's loss of the day is
    # 1,007,000.00 − 503,500.00 − 201,400.00 − 196,365.00 = 105,735.00.
    claim = server.json("insurance", "show", "jx-2026-208")
    assert (claim["status"], claim["amount"], claim["settled"], claim["decided_by"]) == (
        "settled",
        "201400.00",
        "201400.00",
        "demo:insurer-claims",
    )
    insured = {e["kind"]: e["details"] for e in server.json("deal", "show", "jx-2026-208")["events"]}
    assert (insured["written_off"]["allowance_applied"], insured["written_off"]["loan_loss"]) == (
        "196365.00",
        "105735.00",
    )
    assert balance_of(server, "insurer-kb/claims-payable.jx-2026-208") == "0.00"

    # The credit-data export of the hz-2026-107 borrower (consent recorded first), 1 Mar to 25 Nov: the loan,
    # its 4 repayments (10 Apr, 11 May, 10 Jun, 10 Jul), 8 month-end overdue records (31 Mar to 31 Oct),
    # and 3 classifications (the runs of 30 Sep and 25 Nov, and the one computed as of 25 Nov): 16 records,
    # each valid against the published JSON Schema (checked here with the jsonschema package).
    (export,) = first["credit_data_exports"]
    records = [json.loads(line) for line in Path(export["file"]).read_text(encoding="utf-8").splitlines()]
    assert export["records"] == len(records) == 16
    assert collections.Counter(r["record_type"] for r in records) == {
        "loan": 1,
        "repayment": 4,
        "overdue": 8,
        "classification": 3,
    }
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "schemas" / "credit-facts.schema.json").read_text(
            encoding="utf-8"
        )
    )
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert all(not list(validator.iter_errors(r)) for r in records)
    assert export["export"] in [row["name"] for row in server.json("credit-data", "exports")]

    # The rate-points subsidy: the fund pays 3.65 of the 4.35 points; the borrower 0.70.
    subsidised = server.json("deal", "schedule", "jx-2026-201")["periods"][0]
    assert subsidised["days"] == 90  # 15 Jan → 15 Apr 2026
    assert subsidised["interest"] == "43500.00"  # 4,000,000.00 × 4.35% × 90 / 360
    assert subsidised["subsidy"] == "36500.00"  # 4,000,000.00 × 3.65% × 90 / 360
    assert subsidised["borrower_interest"] == "7000.00"
    # The interest-share subsidy stops at its cap of 30,000.00.
    capped = server.json("deal", "schedule", "hz-2026-103")
    assert capped["total_subsidy"] == "30000.00"

    assert_books_balance(server, "bank-hz", "bank-jx", "invest-arm", "risk-pool", "subsidy-fund", "insurer-kb")

    # docs/api.md's Python example runs as written against the demo (twice: the retry moves nothing twice).
    api_md = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    example = api_md.split("```python\n", 1)[1].split("```", 1)[0].replace("127.0.0.1:50051", server.target)
    for _ in range(2):
        exec(compile(example, "docs/api.md", "exec"), {})  # the documented example itself
    repaid = [e for e in server.json("deal", "show", "hz-2026-101")["events"] if e["request_id"] == "repay-42"]
    assert len(repaid) == 1 and repaid[0]["details"]["interest"] == "1000.00"
    assert server.stop() == 0
