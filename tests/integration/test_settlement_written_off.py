"""A written-off deal's option right (issue 17), over real gRPC on SQLite and PostgreSQL.

The right (认股选择权) is a contract of its own, not a term of the loan: a default or a write-off of the
loan leaves it exercisable in its window, and its gain reimburses the pool first as the pool's agreement
says, then splits by the linkage split (docs/settlement.md, "Written-off deals"). Only a linkage agreement
saying the right lapses on write-off stops it.

The world is tests/integration/settlement_world.py: the first loan hz-first (1,000,000.00, same borrower
as hz-main) defaulted on 2026-01-15 and the pool paid its 200,000.00 compensation in full; its right is
10,000 units at a strike of 10.00, window 2026-01-15 → 2033-02-01, triggers qualifying round and IPO.

Worked by hand (amounts CNY):
- Write-off on 2026-03-01: loans 1,000,000.00 leave the books; the pool's 200,000.00 held on
  compensation-received offsets them; the bank's loan loss is 800,000.00.
- Recovery of 100,000.00 on 2026-04-01 (all principal): the pool's share 100,000.00 × 200,000.00 /
  1,000,000.00 = 20,000.00 (paid in cash); the bank's 80,000.00 is written-off-recoveries (已核销贷款收回).
  The borrower still owes 900,000.00 (账销案存).
- Cash exercise of the 10,000 units on an IPO at 38.47 with fees of 1,234.56, value date 2026-06-02:
  proceeds 10,000 × 38.47 − 1,234.56 = 384,700.00 − 1,234.56 = 383,465.44; strike 10,000 × 10.00 =
  100,000.00; gain 283,465.44.
  1. the pool is reimbursed first (basis `borrower`): what it paid on the borrower, 200,000.00, less the
     20,000.00 the recovery gave back = 180,000.00;
  2. no advisory fee;
  3. the rest, 283,465.44 − 180,000.00 = 103,465.44 = 10,346,544 fen, split 30 / 50 / 20:
     bank 3,103,963.2 → 3,103,963 (remainder 0.2), arm 5,173,272 exactly, pool 2,069,308.8 → 2,069,308
     (remainder 0.8); one fen is left and goes to the largest remainder, the pool: 2,069,309.
     Bank 31,039.63 + arm 51,732.72 + pool 20,693.09 = 103,465.44.
  The pool's 180,000.00 + 20,693.09 = 200,693.09 and the bank's 31,039.63 are paid in cash.
  The bank's share is its option-gain income, not a recovery of the loan: the borrower still owes
  900,000.00 afterwards.
- Under the `none` basis nothing is reimbursed first and the whole 283,465.44 = 28,346,544 fen splits:
  bank 8,503,963.2 → 8,503,963, arm 14,173,272, pool 5,669,308.8 → 5,669,308 + the fen left = 5,669,309:
  85,039.63 / 141,732.72 / 56,693.09.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import grpc
import pytest

from clients.agreement_commands import load_agreements
from ledger.store import Ledger
from server.auth import Role
from tests.integration.authz_world import DENIALS, Keyed, bearer, token
from tests.integration.settlement_world import (
    ALICE,
    ARM,
    BANK,
    BOB,
    CASH_AND_SALE,
    FAILED,
    FIRST,
    MAIN,
    POOL,
    D,
    World,
    _info,
    acct,
    cny,
    date,
    exercise_accounts,
    refused,
    split_of,
    unchanged,
    yuan,
)
from toudai.v1 import agreements_pb2 as apb
from toudai.v1 import agreements_pb2_grpc, ledger_pb2_grpc, settlement_pb2_grpc
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import settlement_pb2 as spb

IPO = spb.TRIGGER_EVENT_IPO
# (gain, pool reimbursement, advisory fee, bank, arm, pool)
SPLIT_BORROWER = D("283465.44", "180000.00", "0.00", "31039.63", "51732.72", "20693.09")
SPLIT_NONE = D("283465.44", "0.00", "0.00", "85039.63", "141732.72", "56693.09")
LINKAGE_V1 = f"agreements/link-{ARM}-{BANK}/versions/1"


def write_off_first(world: World) -> dpb.WriteOffResponse:
    written = world.deals.WriteOff(
        dpb.WriteOffRequest(request_id="write-off-first", name=f"deals/{FIRST}", value_date=date("2026-03-01"))
    )
    assert written.deal.status == dpb.DEAL_STATUS_WRITTEN_OFF
    return written


def check_write_off(written: dpb.WriteOffResponse) -> None:
    assert (yuan(written.written_off), yuan(written.compensation_applied), yuan(written.loan_loss)) == D(
        "1000000.00", "200000.00", "800000.00"
    )


def recover_first(world: World) -> None:
    recovered = world.deals.RecordRecovery(
        dpb.RecordRecoveryRequest(
            request_id="recover-first", name=f"deals/{FIRST}", amount=cny("100000.00"), value_date=date("2026-04-01")
        )
    )
    assert (yuan(recovered.principal), yuan(recovered.pool_share), yuan(recovered.bank_share)) == D(
        "100000.00", "20000.00", "80000.00"
    )


def ipo_request(world: World, request_id: str) -> spb.RequestExerciseRequest:
    """All 10,000 units of hz-first, cash and sale, on an IPO at 38.47 with 1,234.56 of fees."""
    return world.request_message(
        10_000,
        CASH_AND_SALE,
        request_id=request_id,
        deal=FIRST,
        trigger=IPO,
        funding_round="",
        price_per_share="38.47",
        fees=cny("1234.56"),
    )


def test_a_written_off_deals_option_is_exercised_and_the_pool_reimbursed_first(world: World, ledger: Ledger) -> None:
    books = world.books
    check_write_off(write_off_first(world))
    books.update(
        {
            acct(BANK, f"loans.{FIRST}"): "0",
            acct(BANK, f"compensation-received.{FIRST}"): "0",
            acct(BANK, "loan-loss"): "800000.00",
        }
    )
    books.check()
    recover_first(world)
    books.update(
        {
            acct(BANK, "clearing"): "-720000.00",  # −800,000.00 + 100,000.00 recovered − 20,000.00 to the pool
            acct(BANK, "written-off-recoveries"): "80000.00",
            acct(POOL, "cash"): "820000.00",
            acct(POOL, "recovery-income"): "20000.00",
        }
    )
    books.check()

    # Requested by the arm like any exercise: the units and the strike are held.
    x = world.settlement.RequestExercise(ipo_request(world, "ex-written-off"), metadata=ALICE).exercise
    assert (x.state, x.deal, x.requested_by) == (spb.EXERCISE_STATE_REQUESTED, f"deals/{FIRST}", "arm-alice")
    books.update(
        {name.replace(f".{MAIN}", f".{FIRST}"): value for name, value in exercise_accounts().items()},
        {acct(ARM, f"options.{FIRST}"): "10000", acct(ARM, "cash"): "100000.00"},
    )
    books.check()
    preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=x.name))
    assert split_of(preview.split) == SPLIT_BORROWER
    # Four eyes as always: the requester cannot approve.
    _, reason, _ = refused(ledger, lambda: world.approve(x.name, who=ALICE))
    assert reason == "FOUR_EYES"
    world.approve(x.name)
    settled = world.settle(x.name)
    assert settled.state == spb.EXERCISE_STATE_SETTLED
    assert split_of(settled.split) == SPLIT_BORROWER

    books.update(
        {
            # The arm: −100,000.00 strike + 383,465.44 proceeds − 231,732.72 paid = +51,732.72, its share.
            acct(ARM, "cash"): "5051732.72",
            acct(ARM, f"options.{FIRST}"): "0",
            acct(ARM, f"options-exercised.{FIRST}"): "10000",
            acct(ARM, "option-gains"): "51732.72",
            # The bank: its share is option-gain income; clearing −720,000.00 + 31,039.63.
            acct(BANK, "clearing"): "-688960.37",
            acct(BANK, "option-gain-income"): "31039.63",
            # The pool: 820,000.00 + 200,693.09; reimbursed 180,000.00, so with the recovery's 20,000.00 it
            # has got back exactly the 200,000.00 it paid, plus its share of the rest.
            acct(POOL, "cash"): "1020693.09",
            acct(POOL, "reimbursement-income"): "180000.00",
            acct(POOL, "option-gain-income"): "20693.09",
        },
        {},
    )
    books.check()  # every account of every party, each trial balance zero per commodity, the chains

    # The settlement's entries say the loan was written off; the sale is the split of the module docstring.
    names = list(settled.steps[-1].transactions)
    found = [world.stub.GetTransaction(pb.GetTransactionRequest(name=n)).transaction for n in names]
    # The holds' captures (units, strike) carry the holds' metadata; the sale and the payment say so.
    assert [t.metadata.get("toudai.deal_status", "") for t in found] == ["", "", "written_off", "written_off"]
    assert {t.value_date.year * 10_000 + t.value_date.month * 100 + t.value_date.day for t in found} == {20260602}

    # The option gain is not a recovery of the loan: the borrower still owes 900,000.00.
    too_much = dpb.RecordRecoveryRequest(
        request_id="recover-too-much", name=f"deals/{FIRST}", amount=cny("900000.01"), value_date=date("2026-06-03")
    )
    message_text, reason, _ = refused(
        ledger, lambda: world.deals.RecordRecovery(too_much), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert reason == "RECOVERY_EXCEEDS_DEBT" and "900000.00" in message_text


@pytest.mark.parametrize(
    ("basis", "expected"),
    [(dpb.POOL_REIMBURSEMENT_BORROWER, SPLIT_BORROWER), (dpb.POOL_REIMBURSEMENT_NONE, SPLIT_NONE)],
    ids=["borrower", "none"],
)
def test_the_pool_agreement_says_what_it_gets_back_from_a_written_off_deals_gain(
    channel: grpc.Channel,
    stub: ledger_pb2_grpc.LedgerServiceStub,
    ledger: Ledger,
    basis: int,
    expected: tuple[Decimal, ...],
) -> None:
    world = World(channel, stub, ledger, reimbursement=basis).build()
    write_off_first(world)
    recover_first(world)
    x = world.settlement.RequestExercise(ipo_request(world, "ex"), metadata=ALICE).exercise
    preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=x.name))
    assert split_of(preview.split) == expected


def test_a_linkage_agreement_can_have_the_right_lapse_on_write_off(
    channel: grpc.Channel, stub: ledger_pb2_grpc.LedgerServiceStub, ledger: Ledger
) -> None:
    world = World(channel, stub, ledger, option_on_write_off=apb.OPTION_ON_WRITE_OFF_LAPSES).build()
    books = world.books
    signed = agreements_pb2_grpc.AgreementServiceStub(channel).GetAgreement(apb.GetAgreementRequest(name=LINKAGE_V1))
    assert signed.agreement.linkage.option_on_write_off == apb.OPTION_ON_WRITE_OFF_LAPSES
    # A request made before the write-off holds 2,000 units and 20,000.00 of strike.
    pending = world.request(2_000, deal=FIRST)
    books.update(
        {name.replace(f".{MAIN}", f".{FIRST}"): value for name, value in exercise_accounts().items()},
        {acct(ARM, f"options.{FIRST}"): "2000", acct(ARM, "cash"): "20000.00"},
    )
    books.check()
    check_write_off(write_off_first(world))
    books.update(
        {
            acct(BANK, f"loans.{FIRST}"): "0",
            acct(BANK, f"compensation-received.{FIRST}"): "0",
            acct(BANK, "loan-loss"): "800000.00",
        }
    )
    # A new request is refused, naming the agreement version that says so.
    message_text, reason, _ = refused(ledger, lambda: world.request(1_000, deal=FIRST))
    assert reason == "OPTION_LAPSED_ON_WRITE_OFF"
    assert f"deals/{FIRST}" in message_text and LINKAGE_V1 in message_text
    # The pending request expires on its next step, its holds released.
    with pytest.raises(grpc.RpcError) as caught:
        world.approve(pending.name)
    error = caught.value
    assert error.code() == FAILED and _info(error) == ("OPTION_LAPSED_ON_WRITE_OFF", {"state": "expired"})
    assert world.get(pending.name).state == spb.EXERCISE_STATE_EXPIRED
    books.update({}, {})
    books.check()
    # hz-main's right is untouched: its loan was not written off.
    assert world.request(1_000).state == spb.EXERCISE_STATE_REQUESTED
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "1000", acct(ARM, "cash"): "10000.00"})

    # ExpireOptions takes the lapsed units off as of the write-off date, and not before it.
    with unchanged(ledger, ignore=frozenset({"option_lapse_runs"})):
        before = world.settlement.ExpireOptions(
            spb.ExpireOptionsRequest(request_id="lapse-early", as_of=date("2026-02-28")), metadata=BOB
        )
    assert list(before.lapsed) == []
    lapsed = world.settlement.ExpireOptions(
        spb.ExpireOptionsRequest(request_id="lapse-write-off", as_of=date("2026-03-01")), metadata=BOB
    ).lapsed
    assert [(item.deal, item.units, yuan(item.fair_value_reversed)) for item in lapsed] == [
        (f"deals/{FIRST}", 10_000, Decimal(0))
    ]
    books.update({acct(ARM, f"options.{FIRST}"): "0", acct(ARM, f"options-granted.{FIRST}"): "0"})
    books.check()
    units = acct(ARM, f"options.{FIRST}")
    as_of = {
        day: Decimal(
            world.stub.GetBalance(pb.GetBalanceRequest(account=units, as_of_date=date(day))).balance.balance.value
        )
        for day in ("2026-02-28", "2026-03-01")
    }
    assert as_of == {"2026-02-28": Decimal(10_000), "2026-03-01": Decimal(0)}


def test_only_the_holder_requests_and_only_the_branch_decides_on_a_written_off_deal(keyed: Keyed) -> None:
    """The write-off changes who may exercise nothing: other parties' tokens are refused as on any deal."""
    world = keyed.world  # built as the administrator
    write_off_first(world)
    settlement = settlement_pb2_grpc.SettlementServiceStub(keyed.channel)

    def as_(role: Role, party: str) -> tuple[tuple[str, str], ...]:
        return bearer(token(role, party))

    arm, bank = as_(Role.INVESTMENT_ARM, ARM), as_(Role.BRANCH, BANK)
    strangers = {
        "the deal's branch": bank,
        "the deal's pool": as_(Role.RISK_POOL, POOL),
        "another arm": as_(Role.INVESTMENT_ARM, "arm-b"),
        "another branch": as_(Role.BRANCH, "bank-sh"),
        "an auditor": as_(Role.AUDITOR, ""),
    }
    for who, credential in strangers.items():
        with pytest.raises(grpc.RpcError) as caught:
            settlement.RequestExercise(ipo_request(world, f"ex-{who}"), metadata=credential)
        assert caught.value.code() in DENIALS, who
    x = settlement.RequestExercise(ipo_request(world, "ex-holder"), metadata=arm).exercise
    assert x.state == spb.EXERCISE_STATE_REQUESTED
    for who, credential in {"the holder": arm, "the deal's pool": strangers["the deal's pool"]}.items():
        approve = spb.ApproveExerciseRequest(request_id=f"approve-{who}", name=x.name)
        settle = spb.SettleExerciseRequest(request_id=f"settle-{who}", name=x.name)
        with pytest.raises(grpc.RpcError) as caught:
            settlement.ApproveExercise(approve, metadata=credential)
        assert caught.value.code() in DENIALS, who
        with pytest.raises(grpc.RpcError) as caught:
            settlement.SettleExercise(settle, metadata=credential)
        assert caught.value.code() in DENIALS, who
    settlement.ApproveExercise(spb.ApproveExerciseRequest(request_id="approve-bank", name=x.name), metadata=bank)
    settled = settlement.SettleExercise(
        spb.SettleExerciseRequest(request_id="settle-bank", name=x.name), metadata=bank
    ).exercise
    assert settled.state == spb.EXERCISE_STATE_SETTLED
    # No recovery in this world: the pool takes back its whole 200,000.00 first; 83,465.44 is split.
    assert split_of(settled.split) == D("283465.44", "200000.00", "0.00", "25039.63", "41732.72", "16693.09")


def test_an_agreement_file_states_the_term(tmp_path: Path) -> None:
    """`toudai agreement sign FILE`: `option_on_write_off: survives | lapses` under `linkage`."""
    path = tmp_path / "agreements.yaml"
    lines = ["agreements:"]
    for label in ("survives", "lapses"):
        lines += [
            f"  - agreement_id: link-{label}",
            "    kind: linkage",
            "    owner: invest-arm",
            "    counterparty: bank-hz",
            "    effective_from: 2026-01-01",
            "    linkage: {bank_bps: 3000, investment_arm_bps: 5000, risk_pool_bps: 2000, "
            f"option_on_write_off: {label}}}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [r.agreement.linkage.option_on_write_off for r in load_agreements(path)] == [
        apb.OPTION_ON_WRITE_OFF_SURVIVES,
        apb.OPTION_ON_WRITE_OFF_LAPSES,
    ]
