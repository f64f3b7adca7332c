"""The exercise workflow's refusals and transitions over real gRPC, on SQLite and PostgreSQL: refused calls
change nothing, expired requests release their holds, lapsed rights, retried ExpireOptions.

The world, worked out by hand, is described in tests/integration/settlement_world.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2

from ledger.store import Ledger
from tests.integration.settlement_world import (
    ALICE,
    ARM,
    BANK,
    BOB,
    CAROL,
    FAILED,
    FIRST,
    LAPSE_LOG,
    MAIN,
    POOL,
    World,
    _info,
    acct,
    date,
    deal_terms,
    exercise_accounts,
    option_terms,
    refused,
    unchanged,
    yuan,
)
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import settlement_pb2 as spb

# ---------------------------------------------------------------------- refusals and transitions


def test_refusals_change_nothing(world: World, ledger: Ledger) -> None:
    s = world.settlement
    # Outside the window (it opens 2026-02-01).
    _, reason, _ = refused(
        ledger,
        lambda: world.request(
            1_000, value_date="2026-01-20", trigger=spb.TRIGGER_EVENT_IPO, funding_round="", price_per_share="25.00"
        ),
    )
    assert reason == "OUTSIDE_EXERCISE_WINDOW"
    # A trigger the terms do not allow (qualifying round and IPO only).
    _, reason, _ = refused(
        ledger,
        lambda: world.request(1_000, trigger=spb.TRIGGER_EVENT_MERGER, funding_round="", price_per_share="30.00"),
    )
    assert reason == "TRIGGER_NOT_IN_TERMS"
    # A round below the qualifying size: 2,000,000 × 20.00 = 40,000,000.00 < 50,000,000.00.
    small = world.record_round("20.00", "2026-05-01")
    _, reason, _ = refused(ledger, lambda: world.request(1_000, funding_round=small))
    assert reason == "TRIGGER_NOT_MET"
    # A written-off deal: its option right survives the write-off (the linkage agreement says nothing
    # else), so it is exercisable within its window (2026-01-15 on) like any other; outside it is refused.
    world.deals.WriteOff(
        dpb.WriteOffRequest(request_id="write-off", name=f"deals/{FIRST}", value_date=date("2026-03-01"))
    )
    message_text, reason, _ = refused(ledger, lambda: world.request(1_000, deal=FIRST, value_date="2026-01-10"))
    assert reason == "OUTSIDE_EXERCISE_WINDOW" and f"deals/{FIRST}" in message_text
    written_off = world.request(1_000, deal=FIRST)
    assert written_off.state == spb.EXERCISE_STATE_REQUESTED
    cancel_w = spb.CancelExerciseRequest(request_id="cancel-w", name=written_off.name, reason="later")
    assert s.CancelExercise(cancel_w, metadata=ALICE).exercise.state == spb.EXERCISE_STATE_CANCELLED

    x = world.request(10_000)
    # Settle before approval, cancel or reject by the wrong people, exit of a non-net exercise.
    message_text, reason, metadata = refused(ledger, lambda: world.settle(x.name))
    assert "is requested" in message_text and metadata["state"] == "requested"
    cancel_by_carol = spb.CancelExerciseRequest(request_id="cancel-c", name=x.name, reason="mine now")
    _, reason, _ = refused(ledger, lambda: s.CancelExercise(cancel_by_carol, metadata=CAROL))
    assert reason == "NOT_REQUESTER"
    _, reason, _ = refused(ledger, lambda: world.approve(x.name, who=ALICE))
    assert reason == "FOUR_EYES"

    world.approve(x.name)
    for call in (
        lambda: world.approve(x.name),
        lambda: s.RejectExercise(spb.RejectExerciseRequest(request_id="reject-late", name=x.name), metadata=BOB),
        lambda: s.CancelExercise(spb.CancelExerciseRequest(request_id="cancel-late", name=x.name), metadata=ALICE),
    ):
        message_text, reason, metadata = refused(ledger, call)
        assert (
            "is approved" in message_text
            and reason == "ILLEGAL_EXERCISE_TRANSITION"
            and metadata["state"] == "approved"
        )
    world.settle(x.name)
    exit_cash = spb.RecordExitRequest(
        request_id="exit-cash", name=x.name, shares=1, price_per_share="25.00", value_date=date("2026-07-01")
    )
    _, reason, _ = refused(ledger, lambda: s.RecordExit(exit_cash, metadata=ALICE))
    assert reason == "NOT_NET"

    # Reject releases the holds; a rejected exercise cannot be approved.
    y = world.request(5_000)
    rejected = s.RejectExercise(
        spb.RejectExerciseRequest(request_id="reject-y", name=y.name, reason="price stale"), metadata=BOB
    ).exercise
    assert (rejected.state, rejected.decided_by, rejected.steps[-1].reason) == (
        spb.EXERCISE_STATE_REJECTED,
        "bank-bob",
        "price stale",
    )
    message_text, _, metadata = refused(ledger, lambda: world.approve(y.name))
    assert "is rejected" in message_text and metadata["state"] == "rejected"
    # Cancel by the requester releases the holds too; then it cannot be settled.
    z = world.request(5_000)
    cancelled = s.CancelExercise(spb.CancelExerciseRequest(request_id="cancel-z", name=z.name), metadata=ALICE).exercise
    assert cancelled.state == spb.EXERCISE_STATE_CANCELLED
    message_text, _, _ = refused(ledger, lambda: world.settle(z.name))
    assert "is cancelled" in message_text
    # Only x posted: 10,000 × 15 = 150,000.00, all of it to the pool's 200,000.00 reimbursement.
    balances, held, _ = world.books.found()
    assert not {k: v for k, v in held.items() if v}
    assert balances[acct(ARM, f"options.{MAIN}")] == 90_000
    assert balances[acct(POOL, "reimbursement-income")] == Decimal("150000.00")
    assert balances[acct(BANK, "option-gain-income")] == 0
    # Unknown exercise and bad names.
    refused(ledger, lambda: world.approve("exercises/00000000-0000-4000-8000-000000000000"), grpc.StatusCode.NOT_FOUND)
    refused(ledger, lambda: world.approve("exercise/x"), grpc.StatusCode.INVALID_ARGUMENT)
    refused(ledger, lambda: world.request(0), grpc.StatusCode.INVALID_ARGUMENT)


def _soon(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds))
    return stamp


def test_expired_requests_release_their_holds_on_approve_or_settle(world: World, ledger: Ledger) -> None:
    books = world.books
    a = world.request(30_000, expire_time=_soon(1.5))
    b = world.request(20_000, expire_time=_soon(1.5))
    world.approve(b.name)
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "50000", acct(ARM, "cash"): "500000.00"})
    books.check()
    time.sleep(2.0)
    calls: list[tuple[str, Callable[[], Any]]] = [
        (a.name, lambda: world.approve(a.name)),
        (b.name, lambda: world.settle(b.name)),
    ]
    for name, call in calls:
        with pytest.raises(grpc.RpcError) as caught:
            call()
        error: Any = caught.value
        assert error.code() == FAILED and "expired" in (error.details() or "")
        assert _info(error)[0] == "EXERCISE_EXPIRED"
        found = world.get(name)
        assert found.state == spb.EXERCISE_STATE_EXPIRED
        assert found.steps[-1].to_state == spb.EXERCISE_STATE_EXPIRED
    books.update({}, {})  # every hold released, nothing posted
    books.check()
    # The units are free again: the whole right can be requested.
    assert world.request(100_000).state == spb.EXERCISE_STATE_REQUESTED


def test_expire_options_lapses_a_right_whose_window_ended(world: World, ledger: Ledger) -> None:
    books = world.books
    short = deal_terms("2000000.00", "2026-02-01", "2027-02-01", option_terms(end="2026-06-30"), "3000000.00")
    world.deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-short", deal_id="hz-short", terms=short))
    pending = world.request(5_000, deal="hz-short")  # 2,000,000.00 × 10% ÷ 10.00 = 20,000 units
    books.update(
        {acct(ARM, "options.hz-short"): "20000", acct(ARM, "options-granted.hz-short"): "20000"},
        {acct(ARM, "options.hz-short"): "5000", acct(ARM, "cash"): "50000.00"},
    )
    # The window of hz-short ended on 2026-06-30; the others run to 2033.
    as_of = spb.ExpireOptionsRequest(request_id="lapse-1", as_of=date("2026-07-01"))
    lapsed = world.settlement.ExpireOptions(as_of, metadata=BOB).lapsed
    assert [(item.deal, item.units, yuan(item.fair_value_reversed)) for item in lapsed] == [
        ("deals/hz-short", 20_000, Decimal(0))
    ]
    assert world.get(pending.name).state == spb.EXERCISE_STATE_EXPIRED
    books.update({acct(ARM, "options.hz-short"): "0", acct(ARM, "options-granted.hz-short"): "0"}, {})
    books.check()
    # Again (new request id): nothing more lapses, nothing posts (only the request is recorded).
    with unchanged(ledger, ignore=LAPSE_LOG):
        again = world.settlement.ExpireOptions(
            spb.ExpireOptionsRequest(request_id="lapse-2", as_of=date("2026-07-01")), metadata=BOB
        )
    assert list(again.lapsed) == []
    # A request on the lapsed right is refused: outside the window.
    _, reason, _ = refused(ledger, lambda: world.request(1, deal="hz-short", value_date="2026-07-01"))
    assert reason == "OUTSIDE_EXERCISE_WINDOW"


def test_a_retried_expire_options_returns_the_first_answer(world: World, ledger: Ledger) -> None:
    """ExpireOptions is idempotent by request_id like every mutation: a retry (even one racing the first
    call) answers what the first call lapsed, posts nothing more; another payload under the id is refused."""
    books = world.books
    short = deal_terms("2000000.00", "2026-02-01", "2027-02-01", option_terms(end="2026-06-30"), "3000000.00")
    world.deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-short", deal_id="hz-short", terms=short))
    pending = world.request(5_000, deal="hz-short")
    books.update(
        {acct(ARM, "options.hz-short"): "20000", acct(ARM, "options-granted.hz-short"): "20000"},
        {acct(ARM, "options.hz-short"): "5000", acct(ARM, "cash"): "50000.00"},
    )
    request = spb.ExpireOptionsRequest(request_id="lapse-retried", as_of=date("2026-07-01"))
    expected = [("deals/hz-short", 20_000, Decimal(0))]

    def lapsed(response: spb.ExpireOptionsResponse) -> list[tuple[str, int, Decimal]]:
        return [(item.deal, item.units, yuan(item.fair_value_reversed)) for item in response.lapsed]

    # The first call and its retries race (a client retrying after a lost answer): each gets the answer.
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: world.settlement.ExpireOptions(request, metadata=BOB), range(3)))
    assert [lapsed(a) for a in answers] == [expected] * 3
    assert world.get(pending.name).state == spb.EXERCISE_STATE_EXPIRED
    books.update({acct(ARM, "options.hz-short"): "0", acct(ARM, "options-granted.hz-short"): "0"}, {})
    books.check()
    # A later retry: the same answer, nothing posted or changed.
    with unchanged(ledger):
        again = world.settlement.ExpireOptions(request, metadata=BOB)
    assert again == answers[0]
    # The same request id with another as_of is refused and changes nothing.
    other = spb.ExpireOptionsRequest(request_id="lapse-retried", as_of=date("2026-07-02"))
    _, reason, metadata = refused(
        ledger, lambda: world.settlement.ExpireOptions(other, metadata=BOB), grpc.StatusCode.ALREADY_EXISTS
    )
    assert reason == "REQUEST_ID_REUSED" and metadata["request_id"] == "lapse-retried"
    # A new request id lapses nothing more; its own retry keeps answering its (empty) list, and the first
    # request id still answers the original list.
    later = spb.ExpireOptionsRequest(request_id="lapse-later", as_of=date("2026-07-02"))
    with unchanged(ledger, ignore=LAPSE_LOG):
        assert lapsed(world.settlement.ExpireOptions(later, metadata=BOB)) == []
    with unchanged(ledger):
        assert lapsed(world.settlement.ExpireOptions(later, metadata=BOB)) == []
        assert lapsed(world.settlement.ExpireOptions(request, metadata=BOB)) == expected
    books.check()
