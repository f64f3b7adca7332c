"""The exercise workflow and the proceeds split over real gRPC, on SQLite and PostgreSQL (issue 6): the worked
example and each exercise method, every account compared with hand-worked figures after every step.

The world, worked out by hand, is described in tests/integration/settlement_world.py.
"""

from __future__ import annotations

from decimal import Decimal

import grpc

from ledger.store import Ledger
from tests.integration.settlement_world import (
    ALICE,
    ARM,
    BANK,
    CASH_AND_SALE,
    MAIN,
    NET,
    POOL,
    TRANSFER,
    D,
    World,
    acct,
    cny,
    date,
    exercise_accounts,
    refused,
    split_of,
    unchanged,
    yuan,
)
from toudai.v1 import settlement_pb2 as spb

# ---------------------------------------------------------------------- the worked example


def test_worked_example_cash_exercise_and_sale(world: World, ledger: Ledger) -> None:
    books = world.books
    # 1. The arm requests: 100,000 units, cash and sale into the 25.00 round. Holds: the units and the
    #    strike 100,000 × 10.00 = 1,000,000.00 of the arm's cash. Nothing is posted.
    message = world.request_message(100_000, request_id="ex-1")
    x = world.settlement.RequestExercise(message, metadata=ALICE).exercise
    assert world.settlement.RequestExercise(message, metadata=ALICE).exercise == x  # a retry: same answer
    assert (x.state, x.requested_by, x.quantity, x.method) == (
        spb.EXERCISE_STATE_REQUESTED,
        "arm-alice",
        100_000,
        CASH_AND_SALE,
    )
    assert x.deal == f"deals/{MAIN}" and x.funding_round == world.round
    assert (Decimal(x.price_per_share), Decimal(x.strike_per_share)) == D("25.00", "10.00")
    assert not x.HasField("split")
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000", acct(ARM, "cash"): "1000000.00"})
    books.check()  # the retry placed no second hold
    # Same request_id, other payload: refused, nothing changes.
    _, reason, _ = refused(
        ledger,
        lambda: world.settlement.RequestExercise(world.request_message(99_999, request_id="ex-1"), metadata=ALICE),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert reason == "REQUEST_ID_REUSED"

    # 2. Preview: proceeds 2,500,000.00, strike 1,000,000.00, gain 1,500,000.00, split as domain.md. Posts nothing.
    with unchanged(ledger):
        preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=x.name))
    assert (yuan(preview.proceeds), yuan(preview.strike_paid), yuan(preview.gain)) == D(
        "2500000.00", "1000000.00", "1500000.00"
    )
    assert split_of(preview.split) == D("1500000.00", "200000.00", "0.00", "390000.00", "650000.00", "260000.00")

    # 3. Four eyes: the requester cannot approve her own request.
    message_text, reason, _ = refused(ledger, lambda: world.approve(x.name, who=ALICE))
    assert reason == "FOUR_EYES" and "arm-alice" in message_text
    approved = world.approve(x.name, reason="round verified")
    assert (approved.state, approved.decided_by) == (spb.EXERCISE_STATE_APPROVED, "bank-bob")
    books.check()  # approval posts nothing

    # 4. Settle: every party's books as worked out by hand.
    settled = world.settle(x.name, request_id="settle-1")
    assert settled.state == spb.EXERCISE_STATE_SETTLED
    assert split_of(settled.split) == D("1500000.00", "200000.00", "0.00", "390000.00", "650000.00", "260000.00")
    books.update(
        {
            # arm: 5,000,000.00 − 1,000,000.00 strike + 2,500,000.00 sale − 390,000.00 − 460,000.00 paid on
            acct(ARM, "cash"): "5650000.00",
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "650000.00",
            # bank: −800,000.00 + 390,000.00 received
            acct(BANK, "clearing"): "-410000.00",
            acct(BANK, "option-gain-income"): "390000.00",
            # pool: 800,000.00 + 200,000.00 reimbursement + 260,000.00 share
            acct(POOL, "cash"): "1260000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "260000.00",
        },
        {},
    )
    books.check()
    # History: who, when, why; the settle step names the transactions it posted.
    steps = [(s.from_state, s.to_state, s.principal, s.reason) for s in settled.steps]
    assert steps == [
        (spb.EXERCISE_STATE_UNSPECIFIED, spb.EXERCISE_STATE_REQUESTED, "arm-alice", ""),
        (spb.EXERCISE_STATE_REQUESTED, spb.EXERCISE_STATE_APPROVED, "bank-bob", "round verified"),
        (spb.EXERCISE_STATE_APPROVED, spb.EXERCISE_STATE_SETTLED, "bank-bob", ""),
    ]
    # units hold, strike hold, sale and split, payments to bank and pool
    assert len(settled.steps[2].transactions) == 4
    assert all(s.create_time.seconds > 0 for s in settled.steps)
    assert world.get(x.name) == settled

    # 5. Double settle: the same request_id replays; a new one is refused naming the state; nothing posts.
    with unchanged(ledger):
        assert world.settle(x.name, request_id="settle-1") == settled
    message_text, reason, metadata = refused(ledger, lambda: world.settle(x.name))
    assert "is settled" in message_text and reason == "ILLEGAL_EXERCISE_TRANSITION" and metadata["state"] == "settled"
    # Nothing is left to exercise.
    message_text, reason, _ = refused(ledger, lambda: world.request(1))
    assert reason == "INSUFFICIENT_FUNDS"
    books.check()

    # Listing.
    listed = world.settlement.ListExercises(spb.ListExercisesRequest(deal=f"deals/{MAIN}")).exercises
    assert [e.name for e in listed] == [x.name]
    assert not world.settlement.ListExercises(spb.ListExercisesRequest(state=spb.EXERCISE_STATE_REQUESTED)).exercises


def test_partial_exercises_reimburse_the_pool_once(world: World, ledger: Ledger) -> None:
    books = world.books
    first = world.request(40_000)
    second = world.request(60_000)
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000", acct(ARM, "cash"): "1000000.00"})
    books.check()
    _, reason, _ = refused(ledger, lambda: world.request(1))  # all 100,000 units are reserved
    assert reason == "INSUFFICIENT_FUNDS"

    # First: 40,000 × (25 − 10) = 600,000.00; pool 200,000.00 first; 400,000.00 → 120,000 / 200,000 / 80,000.
    world.approve(first.name)
    done = world.settle(first.name)
    assert split_of(done.split) == D("600000.00", "200000.00", "0.00", "120000.00", "200000.00", "80000.00")
    books.update(
        {
            # 5,000,000.00 − 400,000.00 + 1,000,000.00 − 120,000.00 − 280,000.00
            acct(ARM, "cash"): "5200000.00",
            acct(ARM, f"options.{MAIN}"): "60000",
            acct(ARM, f"options-exercised.{MAIN}"): "40000",
            acct(ARM, "option-gains"): "200000.00",
            acct(BANK, "clearing"): "-680000.00",
            acct(BANK, "option-gain-income"): "120000.00",
            acct(POOL, "cash"): "1080000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "80000.00",
        },
        {acct(ARM, f"options.{MAIN}"): "60000", acct(ARM, "cash"): "600000.00"},
    )
    books.check()

    # Second: 60,000 × 15 = 900,000.00; nothing left to reimburse → 270,000 / 450,000 / 180,000.
    preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=second.name))
    assert split_of(preview.split) == D("900000.00", "0.00", "0.00", "270000.00", "450000.00", "180000.00")
    world.approve(second.name)
    done = world.settle(second.name)
    assert split_of(done.split) == D("900000.00", "0.00", "0.00", "270000.00", "450000.00", "180000.00")
    # The totals are the worked example's: bank 390,000.00, arm 650,000.00, pool 260,000.00 + 200,000.00.
    books.update(
        {
            acct(ARM, "cash"): "5650000.00",
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "650000.00",
            acct(BANK, "clearing"): "-410000.00",
            acct(BANK, "option-gain-income"): "390000.00",
            acct(POOL, "cash"): "1260000.00",
            acct(POOL, "option-gain-income"): "260000.00",
        },
        {},
    )
    books.check()
    _, reason, _ = refused(ledger, lambda: world.request(1))  # nothing left
    assert reason == "INSUFFICIENT_FUNDS"


def test_net_exercise_then_exits_pay_the_bank_and_the_pool(world: World, ledger: Ledger) -> None:
    books = world.books
    x = world.request(100_000, NET)
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000"})  # no strike to reserve
    books.check()
    preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=x.name))
    # 100,000 × (25 − 10) / 25 = 60,000 shares exactly, no fraction; worth 60,000 × 25 = 1,500,000.00.
    assert (preview.shares_received, yuan(preview.fraction_cash), yuan(preview.gain)) == (
        60_000,
        Decimal(0),
        Decimal("1500000.00"),
    )
    world.approve(x.name)
    settled = world.settle(x.name)
    assert settled.shares_received == 60_000
    assert split_of(settled.split) == D("1500000.00", "200000.00", "0.00", "390000.00", "650000.00", "260000.00")
    # The shares are kept; the bank's and the pool's shares are owed to them at fair value; no cash moves.
    books.update(
        {
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, f"shares.{MAIN}"): "60000",
            acct(ARM, f"shares-acquired.{MAIN}"): "60000",
            acct(ARM, f"shares-at-cost.{MAIN}"): "1500000.00",
            acct(ARM, "option-gains"): "650000.00",
            acct(ARM, f"due-to-bank.{MAIN}"): "390000.00",
            acct(ARM, f"due-to-pool.{MAIN}"): "460000.00",
            acct(BANK, f"due-from-arm.{MAIN}"): "390000.00",
            acct(BANK, "option-gain-income"): "390000.00",
            acct(POOL, f"due-from-arm.{MAIN}"): "460000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "260000.00",
        },
        {},
    )
    books.check()

    # Exit 1: 20,000 shares at 30.00 = 600,000.00 against a cost of 1,500,000.00 × 20,000 / 60,000 = 500,000.00
    # (exit gain 100,000.00); a third of what is owed is paid: bank 130,000.00, pool 460,000.00 / 3 = 153,333.33.
    exit_1 = spb.RecordExitRequest(
        request_id="exit-1", name=x.name, shares=20_000, price_per_share="30.00", value_date=date("2026-07-01")
    )
    after = world.settlement.RecordExit(exit_1, metadata=ALICE).exercise
    with unchanged(ledger):
        assert world.settlement.RecordExit(exit_1, metadata=ALICE).exercise == after
    books.update(
        {
            acct(ARM, "cash"): "5316666.67",  # 5,000,000.00 + 600,000.00 − 130,000.00 − 153,333.33
            acct(ARM, f"shares.{MAIN}"): "40000",
            acct(ARM, f"shares-acquired.{MAIN}"): "40000",
            acct(ARM, f"shares-at-cost.{MAIN}"): "1000000.00",
            acct(ARM, "exit-gains"): "100000.00",
            acct(ARM, f"due-to-bank.{MAIN}"): "260000.00",
            acct(ARM, f"due-to-pool.{MAIN}"): "306666.67",
            acct(BANK, f"due-from-arm.{MAIN}"): "260000.00",
            acct(BANK, "clearing"): "-670000.00",
            acct(POOL, f"due-from-arm.{MAIN}"): "306666.67",
            acct(POOL, "cash"): "953333.33",
        }
    )
    books.check()
    # Exit 2, the rest: 40,000 at 24.00 = 960,000.00 against 1,000,000.00 (exit loss 40,000.00); all that is
    # still owed is paid.
    exit_2 = spb.RecordExitRequest(
        request_id="exit-2", name=x.name, shares=40_000, price_per_share="24.00", value_date=date("2026-08-03")
    )
    world.settlement.RecordExit(exit_2, metadata=ALICE)
    books.update(
        {
            acct(ARM, "cash"): "5710000.00",  # 5,316,666.67 + 960,000.00 − 260,000.00 − 306,666.67
            acct(ARM, f"shares.{MAIN}"): "0",
            acct(ARM, f"shares-acquired.{MAIN}"): "0",
            acct(ARM, f"shares-at-cost.{MAIN}"): "0",
            acct(ARM, "exit-gains"): "60000.00",
            acct(ARM, f"due-to-bank.{MAIN}"): "0",
            acct(ARM, f"due-to-pool.{MAIN}"): "0",
            acct(BANK, f"due-from-arm.{MAIN}"): "0",
            acct(BANK, "clearing"): "-410000.00",
            acct(POOL, f"due-from-arm.{MAIN}"): "0",
            acct(POOL, "cash"): "1260000.00",
        }
    )
    books.check()
    exit_3 = spb.RecordExitRequest(
        request_id="exit-3", name=x.name, shares=1, price_per_share="24.00", value_date=date("2026-08-03")
    )
    _, reason, _ = refused(ledger, lambda: world.settlement.RecordExit(exit_3, metadata=ALICE))
    assert reason == "NOT_ENOUGH_SHARES"


def test_transfer_of_the_right_splits_the_agreed_price_less_fees(world: World, ledger: Ledger) -> None:
    books = world.books
    x = world.request(100_000, TRANSFER, transfer_price=cny("1200000.00"), fees=cny("50000.00"))
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000"})
    books.check()
    world.approve(x.name)
    settled = world.settle(x.name)
    # 1,200,000.00 − 50,000.00 = 1,150,000.00; pool 200,000.00 first; 950,000.00 → 285,000 / 475,000 / 190,000.
    assert split_of(settled.split) == D("1150000.00", "200000.00", "0.00", "285000.00", "475000.00", "190000.00")
    books.update(
        {
            acct(ARM, "cash"): "5475000.00",  # 5,000,000.00 + 1,150,000.00 − 285,000.00 − 390,000.00
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "475000.00",
            acct(BANK, "clearing"): "-515000.00",
            acct(BANK, "option-gain-income"): "285000.00",
            acct(POOL, "cash"): "1190000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "190000.00",
        },
        {},
    )
    books.check()


def test_a_sale_below_the_strike_is_the_arms_loss_alone(world: World, ledger: Ledger) -> None:
    books = world.books
    x = world.request(100_000, trigger=spb.TRIGGER_EVENT_IPO, funding_round="", price_per_share="8.00")
    world.approve(x.name)
    settled = world.settle(x.name)
    # Sold for 800,000.00 after paying 1,000,000.00: a loss of 200,000.00; nobody else gets or owes anything.
    assert split_of(settled.split) == D("0", "0", "0", "0", "0", "0")
    books.update(exercise_accounts())
    books.update(
        {
            acct(ARM, "cash"): "4800000.00",
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "-200000.00",
        },
        {},
    )
    books.check()
