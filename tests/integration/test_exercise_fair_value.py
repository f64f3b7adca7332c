"""Exercise takes the option's fair-value mark off the books; revaluation marks only units still held
(issue 16).

Before, a right marked at fair value and then exercised kept its mark (so the holder counted the gain
twice: the unrealised mark and the realised option gain), and the next revaluation re-marked the used-up
right on its full quantity. The figures here follow from the mark M the revaluation posted, read from the
ledger: exercising 40,000 of 100,000 held units takes off round(M × 40,000 / 100,000) and leaves the rest;
exercising the last 60,000 takes off all that is left; the next revaluation then marks nothing for the
deal and posts nothing on its account.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ledger.store import Ledger
from tests.integration.settlement_world import ALICE, ARM, MAIN, World, acct, date
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc
from toudai.v1 import valuation_pb2 as vpb


def _balance(stub: ledger_pb2_grpc.LedgerServiceStub, account: str) -> Decimal:
    return Decimal(stub.GetBalance(pb.GetBalanceRequest(account=account)).balance.balance.value)


def _revalue(world: World, request_id: str, as_of: str) -> vpb.RevalueOptionsResponse:
    return world.valuation.RevalueOptions(vpb.RevalueOptionsRequest(request_id=request_id, as_of=date(as_of)))


def test_exercise_derecognises_the_mark_and_revaluation_marks_only_held_units(
    world: World, ledger: Ledger, stub: ledger_pb2_grpc.LedgerServiceStub
) -> None:
    fair_value, gains = acct(ARM, f"options-fair-value.{MAIN}"), acct(ARM, "fair-value-gains")
    _revalue(world, "q2", "2026-06-01")
    mark = _balance(stub, fair_value)
    assert mark > 0 and _balance(stub, gains) == mark + _balance(stub, acct(ARM, "options-fair-value.hz-first"))
    # Exercise 40,000 of the 100,000 units held: 40 % of the mark leaves the books.
    first = world.request(40_000)
    world.approve(first.name)
    world.settle(first.name)
    taken = (mark * 40_000 / 100_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _balance(stub, fair_value) == mark - taken
    # The last 60,000: all that is left of the mark goes.
    second = world.settlement.RequestExercise(
        world.request_message(60_000, value_date="2026-06-03"), metadata=ALICE
    ).exercise
    world.approve(second.name)
    world.settle(second.name)
    assert _balance(stub, fair_value) == 0
    assert _balance(stub, acct(ARM, f"options.{MAIN}")) == 0
    # The next quarter: the used-up right is valued on 0 units, and nothing is posted on its account.
    later = _revalue(world, "q3", "2026-09-30")
    records = [v for v in later.valuations if v.deal == f"deals/{MAIN}"]
    assert [(v.quantity, v.fair_value.units, v.fair_value.nanos, v.transaction) for v in records] in (
        [],
        [(0, 0, 0, "")],
    )
    assert _balance(stub, fair_value) == 0


def test_a_right_never_marked_is_exercised_as_before(world: World, stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    """No mark, nothing to derecognise: the holder never had a fair-value account for the deal."""
    x = world.request(100_000)
    world.approve(x.name)
    world.settle(x.name)
    names = {a.name for a in stub.ListAccounts(pb.ListAccountsRequest(party=f"parties/{ARM}", page_size=1000)).accounts}
    assert acct(ARM, f"options-fair-value.{MAIN}") not in names
