"""ledger.validation.validate_plain answers what validate_batch answers for the same client batch, or None.

A client batch is drawn as the wire carries it (request id, value date or none, description, metadata,
postings as (account, side, commodity, text)); the same batch as TransactionSpecs goes through
validate_batch with the server's default value date. Whenever validate_plain answers, validate_batch
must accept the batch and return equal validated transactions (postings, dates, metadata and the
request fingerprint); when validate_plain declines (None), validate_batch alone decides, so nothing is
asserted. Plain batches must be accepted (else the property proves nothing).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidArgument
from ledger.model import PostingSpec, Side, TransactionSpec
from ledger.validation import PlainTransaction, validate_batch, validate_plain
from tests.unit.test_validation import ACCOUNTS, TODAY

_CNY = sorted(name for name, account in ACCOUNTS.items() if account.commodity == "CNY")
_VALUE = st.one_of(
    st.integers(1, 10**12).map(lambda m: f"{m // 100}.{m % 100:02d}"),
    st.sampled_from(["1", "1.5", "01.00", "1.001", "0", "-1.00", "1e2", "", "abc", "1.00 ", "１"]),
)
_SIDE = st.sampled_from([Side.DEBIT, Side.CREDIT, None])


@st.composite
def _transaction(draw: st.DrawFn) -> PlainTransaction:
    value = draw(_VALUE)
    accounts = draw(
        st.lists(st.sampled_from([*_CNY, *_CNY, *ACCOUNTS, "parties/x/accounts/none"]), min_size=0, max_size=4)
    )
    postings = []
    for k, account in enumerate(accounts):
        side = draw(_SIDE) if draw(st.integers(0, 5)) == 0 else (Side.DEBIT if k % 2 == 0 else Side.CREDIT)
        commodity = "CNY" if draw(st.integers(0, 7)) else draw(st.sampled_from(["ACME", "JPY", "cny"]))
        postings.append((account, side, commodity, value if draw(st.integers(0, 7)) else draw(_VALUE)))
    return (
        draw(st.sampled_from(["r1", "r2", "r3", "r4", "", "has space"])),
        draw(st.one_of(st.none(), st.none(), st.dates(dt.date(1989, 1, 1), dt.date(2028, 1, 1)))),
        draw(st.sampled_from(["transfer", "", "nul\x00", "x" * 1025, "换行\n"])),
        draw(st.sampled_from([{}, {}, {"loan": "L1"}, {"toudai.x": "y"}, {"bad key": "v"}, {"k": "\u2028"}])),
        postings,
    )


def _specs(batch: list[PlainTransaction]) -> list[TransactionSpec]:
    return [
        TransactionSpec(request_id, day, description, metadata, tuple(PostingSpec(*p) for p in postings))
        for request_id, day, description, metadata, postings in batch
    ]


@settings(max_examples=800, deadline=None)
@given(batch=st.lists(_transaction(), min_size=0, max_size=5))
def test_validate_plain_answers_what_validate_batch_answers(batch: list[PlainTransaction]) -> None:
    plain = validate_plain(batch, ACCOUNTS.get, today=TODAY, default_value_date=TODAY)
    if plain is None:
        return
    try:
        general = validate_batch(_specs(batch), ACCOUNTS.get, today=TODAY, default_value_date=TODAY)
    except InvalidArgument as error:  # pragma: no cover - the property's failure
        raise AssertionError(f"validate_plain accepted what validate_batch refuses: {error}") from error
    assert plain == general
    assert [tx.parties for tx in plain] == [tx.parties for tx in general]


def test_a_plain_batch_is_accepted() -> None:
    cash, loans = "parties/bank-hz/accounts/cash", "parties/bank-hz/accounts/loans"
    batch: list[PlainTransaction] = [
        ("t1", None, "transfer", {}, [(cash, Side.DEBIT, "CNY", "12.50"), (loans, Side.CREDIT, "CNY", "12.50")]),
        ("t2", TODAY, "", {"loan": "L1"}, [(loans, Side.DEBIT, "CNY", "3"), (cash, Side.CREDIT, "CNY", "3.0")]),
    ]
    plain = validate_plain(batch, ACCOUNTS.get, today=TODAY, default_value_date=TODAY)
    assert plain is not None
    assert [(tx.request_id, tx.value_date, [p.amount for p in tx.postings]) for tx in plain] == [
        ("t1", TODAY, [1250, 1250]),
        ("t2", TODAY, [300, 300]),
    ]
    # The fingerprint is of the request as sent: t1 without a date, t2 with one.
    assert plain == validate_batch(_specs(batch), ACCOUNTS.get, today=TODAY, default_value_date=TODAY)
    assert validate_plain([], ACCOUNTS.get, today=TODAY, default_value_date=TODAY) is None
