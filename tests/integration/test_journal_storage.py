"""The journal rows the fast write paths store read back exactly like rows SQLAlchemy Core stores.

ledger.bulk writes SQLite journal rows with executemany of plain tuples and ledger.pg_posting writes
PostgreSQL's with COPY and array text: both bypass SQLAlchemy's per-row handling. Every stored value
must still be the text SQLAlchemy itself would have stored (an instant with a UTC offset where SQLAlchemy
writes none breaks ordering and paging by recording time, for one), so this compares them with rows the
ledger writes through SQLAlchemy Core (parties, accounts) and reads them back through SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from ledger import schema as t
from ledger.model import AccountType, PartyKind, PostingSpec, Side, TransactionSpec
from ledger.store import Ledger


def _post(ledger: Ledger, transactions: int) -> None:
    ledger.create_party(request_id="p", party_id="bank", display_name="Bank", kind=PartyKind.BANK_BRANCH)
    for code in ("cash", "loans"):
        ledger.create_account(
            request_id=code,
            party="parties/bank",
            code=code,
            display_name=code,
            type=AccountType.ASSET,
            commodity="CNY",
            must_not_go_negative=False,
        )
    ledger.post_transactions(
        [
            TransactionSpec(
                f"t-{i}",
                dt.date(2026, 11, 2),
                'tab\there, "quotes", back\\slash, 贷款',
                {"batch": f"b{i % 2}", "note": "a,b {c}"},
                (
                    PostingSpec("parties/bank/accounts/loans", Side.DEBIT, "CNY", "1.50"),
                    PostingSpec("parties/bank/accounts/cash", Side.CREDIT, "CNY", "1.50"),
                ),
            )
            for i in range(transactions)
        ]
    )


def _check(ledger: Ledger) -> None:
    engine = ledger.engines.reader
    with engine.connect() as conn:
        raw_party_time = conn.exec_driver_sql("SELECT created_at FROM parties").scalar_one()
        raw_tx_time = conn.exec_driver_sql("SELECT created_at FROM transactions LIMIT 1").scalar_one()
        assert type(raw_tx_time) is type(raw_party_time)
        if isinstance(raw_party_time, str):  # SQLite: the same text layout (no UTC offset appended)
            assert len(raw_tx_time) == len(raw_party_time) and raw_tx_time[10] == raw_party_time[10]
        rows = conn.execute(sa.select(t.transactions).order_by(t.transactions.c.request_id)).all()
        for row in rows:
            assert isinstance(row.id, uuid.UUID) and row.value_date == dt.date(2026, 11, 2)
            assert row.description == 'tab\there, "quotes", back\\slash, 贷款'
            assert row.created_at is not None
        legs = conn.execute(sa.select(t.legs.c.transaction_id)).scalars().all()
        assert {row.id for row in rows} == set(legs)
        metadata = conn.execute(sa.select(t.transaction_metadata)).all()
        assert {(m.key, m.value) for m in metadata} >= {("batch", "b0"), ("batch", "b1"), ("note", "a,b {c}")}
        assert {m.transaction_id for m in metadata} == set(legs)
        accounts = {a.id for a in conn.execute(sa.select(t.accounts.c.id))}
        assert set(conn.execute(sa.select(t.postings.c.account_id)).scalars()) == accounts


def test_small_batch_rows_read_back_like_core_rows(ledger: Ledger) -> None:
    _post(ledger, 3)  # PostgreSQL: the one-statement path (under pg_posting.COPY_FROM)
    _check(ledger)


def test_large_batch_rows_read_back_like_core_rows(ledger: Ledger) -> None:
    _post(ledger, 250)  # PostgreSQL: COPY for the journal rows
    _check(ledger)
    page = ledger.list_transactions(metadata_key="batch", metadata_value="b1", page_size=50)
    seen = list(page.items)
    while page.next_page_token:  # pages by recording time advance and end (they looped when instants differed)
        page = ledger.list_transactions(
            metadata_key="batch", metadata_value="b1", page_size=50, page_token=page.next_page_token
        )
        seen += page.items
        assert len(seen) <= 125
    assert len({tx.id for tx in seen}) == 125
