"""Large batches (several thousand transactions: COPY on PostgreSQL, executemany on SQLite) are stored
whole and chained, replay as a whole, and a refusal deep inside one leaves the database untouched; with
group commit on (a lone call) and off (post_transactions in its own unit of work), on both databases."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ledger import bulk, db
from ledger.errors import LedgerError
from ledger.model import AccountType, PartyKind, PostingSpec, Side, TransactionSpec
from ledger.posting import JournalRows
from ledger.store import Ledger
from tests.chains import verify_book
from tests.integration.dbstate import assert_unchanged, snapshot

COUNT = 5_137  # well past ledger.pg_posting.COPY_FROM, and an odd number


@pytest.fixture(params=[True, False], ids=["group-commit", "no-group-commit"])
def books(database_url: str, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    engines = db.create_engines(database_url)
    ledger = Ledger(engines, group_commit=request.param)
    for party in ("bank", "arm"):
        ledger.create_party(request_id=f"p-{party}", party_id=party, display_name=party, kind=PartyKind.BANK_BRANCH)
        for code, guarded in (("cash", True), ("loans", False), ("equity", False)):
            ledger.create_account(
                request_id=f"a-{party}-{code}",
                party=f"parties/{party}",
                code=code,
                display_name=code,
                type=AccountType.EQUITY if code == "equity" else AccountType.ASSET,
                commodity="CNY",
                must_not_go_negative=guarded,
            )
    try:
        yield ledger
    finally:
        engines.dispose()


def move(request_id: str, party: str, debit: str, credit: str, value: str) -> TransactionSpec:
    return TransactionSpec(
        request_id,
        dt.date(2026, 11, 2),
        "large batch",
        {"n": request_id},
        (
            PostingSpec(f"parties/{party}/accounts/{debit}", Side.DEBIT, "CNY", value),
            PostingSpec(f"parties/{party}/accounts/{credit}", Side.CREDIT, "CNY", value),
        ),
    )


def test_a_large_batch_is_stored_whole_and_chained(books: Ledger) -> None:
    # Capital of 10,000.00 into each book's cash, then COUNT loans of 0.01 to 0.99 alternating books.
    books.post_transactions([move(f"cap-{p}", p, "cash", "equity", "10000.00") for p in ("bank", "arm")])
    batch = [move(f"loan-{i}", ("bank", "arm")[i % 2], "loans", "cash", f"0.{i % 99 + 1:02d}") for i in range(COUNT)]
    result = books.post_transactions(batch)

    assert [tx.request_id for tx in result.transactions] == [f"loan-{i}" for i in range(COUNT)]
    # Each book's legs: 1 for the capital, then its half of the batch in request order.
    for party, first in (("bank", 0), ("arm", 1)):
        mine = [tx for tx in result.transactions[first::2]]
        assert [tx.legs[0].sequence for tx in mine] == list(range(2, len(mine) + 2))
        report = verify_book(books, party)
        assert report.ok, report.faults
        assert report.legs_checked == len(mine) + 1
        lent = sum(i % 99 + 1 for i in range(first, COUNT, 2))  # in fen, by hand from the amounts above
        assert books.get_balance(f"parties/{party}/accounts/loans").balance == lent
        assert books.get_balance(f"parties/{party}/accounts/cash").balance == 1_000_000 - lent
    with books.engines.reader.connect() as conn:
        counts = {
            table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in ("transactions", "legs", "postings", "transaction_metadata")
        }
    # 2 capital + COUNT loans; one leg each (one book per transaction); two postings; the caller's one
    # metadata key plus the two the ledger adds for the actor (ledger.actor) only where an actor is bound.
    assert counts["transactions"] == COUNT + 2
    assert counts["legs"] == COUNT + 2
    assert counts["postings"] == 2 * (COUNT + 2)
    assert counts["transaction_metadata"] >= COUNT + 2

    # A retry of the whole batch replays: the same transactions, nothing written.
    before = snapshot(books.engines.writer)
    again = books.post_transactions(batch)
    assert [tx.id for tx in again.transactions] == [tx.id for tx in result.transactions]
    assert_unchanged(before, snapshot(books.engines.writer))


def test_a_refusal_deep_in_a_large_batch_leaves_nothing_behind(books: Ledger) -> None:
    loans = 3_172  # the overdraft comes after thousands of accepted transactions
    capital = loans * 10  # fen: exactly `loans` loans of 0.10
    books.post_transactions([move("cap", "bank", "cash", "equity", f"{capital // 100}.{capital % 100:02d}")])
    batch = [move(f"loan-{i}", "bank", "loans", "cash", "0.10") for i in range(loans)]
    batch.append(move("loan-overdraft", "bank", "loans", "cash", "0.10"))
    batch.extend(move(f"after-{i}", "bank", "loans", "cash", "0.01") for i in range(10))
    before = snapshot(books.engines.writer)
    with pytest.raises(LedgerError) as refused:
        books.post_transactions(batch)
    assert refused.value.reason == "INSUFFICIENT_FUNDS"
    assert f"transactions[{loans}]" in str(refused.value)
    assert_unchanged(before, snapshot(books.engines.writer))

    # The same batch without the overdraft then posts, and the cash is exactly spent.
    result = books.post_transactions(batch[:loans])
    assert len(result.transactions) == loans
    assert books.get_balance("parties/bank/accounts/cash").balance == 0
    assert verify_book(books, "bank").ok


@pytest.mark.postgres
def test_journal_copy_errors_reach_the_unit_of_work_as_sqlalchemy_errors(postgres_url: str) -> None:
    """A failed COPY (here a duplicate transaction id) is an sa.exc.IntegrityError with its SQLSTATE, so
    ledger.unit_of_work retries a lost race and reports an outage as UNAVAILABLE, as for any statement."""
    engines = db.create_engines(postgres_url)
    rows = JournalRows()
    tx_id = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    rows.transactions.append((tx_id, str(tx_id), "dup", "f" * 64, dt.date(2026, 11, 2), "", "{}", None, now))
    try:
        with engines.writer.begin() as conn, pytest.raises(sa.exc.IntegrityError) as caught:
            bulk.write_journal(conn, rows)
            bulk.write_journal(conn, rows)
        assert getattr(caught.value.orig, "sqlstate", None) == "23505"
    finally:
        engines.dispose()
