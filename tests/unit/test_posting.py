"""The posting step without a database: ledger.posting.compute from a state to rows, heads and a result.

Hand-worked figures: a bank with 100.00 CNY of cash pays 30.00 to a supplier; its cash is then 70.00, the
book's sequence goes from 4 to 5, and the leg's hash is the SHA-256 of docs/audit.md's canonical document
chained on the previous head (recomputed here from ledger.canonical.leg_document, the encoding the audit
docs specify, rather than from the function under test).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from ledger.canonical import format_instant, leg_document, leg_hash, metadata_json
from ledger.errors import AlreadyExists, InsufficientFunds
from ledger.model import Account, AccountType, PostingSpec, Side, TransactionSpec
from ledger.posting import Running, State, compute, result_of
from ledger.validation import validate_batch

NOW = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 4)
PREV = "ab" * 32


def account(code: str, kind: AccountType, *, guarded: bool = False) -> Account:
    return Account(uuid.uuid4(), "bank", code, code, kind, "CNY", 2, guarded, NOW)


CASH = account("cash", AccountType.ASSET, guarded=True)
PAYABLE = account("payable", AccountType.LIABILITY)


def payment(request_id: str, value: str) -> list:  # type: ignore[type-arg]
    spec = TransactionSpec(
        request_id,
        DAY,
        "Pay the supplier",
        {"invoice": "7"},
        (PostingSpec(PAYABLE.name, Side.DEBIT, "CNY", value), PostingSpec(CASH.name, Side.CREDIT, "CNY", value)),
    )
    return validate_batch([spec], {CASH.name: CASH, PAYABLE.name: PAYABLE}.get, today=DAY)


def state(existing: dict[str, tuple[uuid.UUID, str]] | None = None) -> State:
    return State(
        heads={"bank": (4, PREV)},
        existing=existing or {},
        running={CASH.id: Running(10_000, 0, 0), PAYABLE.id: Running(0, 0, 0)},
    )


def test_a_payment_moves_balances_extends_the_chain_and_builds_rows() -> None:
    batch = payment("pay-1", "30.00")
    computed = compute(batch, state(), now=NOW, field_prefix="transactions", actors=None, bound=None)

    assert computed.fresh
    assert computed.running[CASH.id].posted == 7_000  # 100.00 - 30.00, debit-positive fen
    assert computed.running[PAYABLE.id].posted == 3_000
    tx = computed.created["pay-1"]
    (party, seq, digest) = computed.heads[0]
    assert (party, seq) == ("bank", 5)
    document = leg_document(
        book="bank",
        sequence=5,
        prev_hash=PREV,
        transaction_id=tx.id,
        request_id="pay-1",
        value_date=DAY,
        recorded_at=NOW,
        description="Pay the supplier",
        metadata={"invoice": "7"},
        reverses=None,
        postings=[("payable", "CNY", 3_000), ("cash", "CNY", -3_000)],
    )
    assert digest == leg_hash(document)
    assert [leg.sequence for leg in tx.legs] == [5]
    assert len(computed.rows.transactions) == 1 and len(computed.rows.legs) == 1 and len(computed.rows.postings) == 2
    assert computed.rows.transactions[0][6] == metadata_json({"invoice": "7"})
    assert computed.rows.transactions[0][8] == NOW and format_instant(NOW).startswith("2026-12-05T02:00:00")
    assert computed.daily == sorted(
        [("bank", CASH.id, DAY, -3_000), ("bank", PAYABLE.id, DAY, 3_000)], key=lambda r: (r[0], r[1].int, r[2])
    )
    result = result_of(batch, computed, (), {CASH.id: CASH, PAYABLE.id: PAYABLE})
    # cash 70.00 (an asset, debit-normal); payable debited from 0, so -30.00 on its credit-normal side
    assert [b.balance for b in result.balances] == [7_000, -3_000]


def test_an_overdraft_is_refused_before_anything_is_built() -> None:
    with pytest.raises(InsufficientFunds) as refused:
        compute(payment("pay-2", "100.01"), state(), now=NOW, field_prefix="transactions", actors=None, bound=None)
    assert "transactions[0] (pay-2)" in str(refused.value)
    assert "short by 0.01 CNY" in str(refused.value)


def test_a_known_request_id_replays_and_another_payload_is_refused() -> None:
    batch = payment("pay-3", "30.00")
    known = {"pay-3": (uuid.uuid4(), batch[0].fingerprint)}
    replay = compute(batch, state(known), now=NOW, field_prefix="transactions", actors=None, bound=None)
    assert not replay.fresh and replay.created == {} and replay.heads == [("bank", 4, PREV)]
    other = {"pay-3": (uuid.uuid4(), "0" * 64)}
    with pytest.raises(AlreadyExists) as reused:
        compute(batch, state(other), now=NOW, field_prefix="transactions", actors=None, bound=None)
    assert reused.value.reason == "REQUEST_ID_REUSED"
