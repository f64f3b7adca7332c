"""Reading the journal: transactions by name or in pages (by book sequence or recording time), the books'
heads and the checkpoint over them. Read-only; the write path is ledger.posting and ledger.posting_state.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger import names, pagination
from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.canonical import checkpoint_hash
from ledger.catalog import Catalog, parse_field
from ledger.db import Engines, as_utc
from ledger.errors import (
    InvalidArgument,
    NotFound,
    ViolationCollector,
)
from ledger.model import (
    Account,
    Leg,
    Page,
    Posting,
    Side,
    Transaction,
)
from ledger.posting import chunks
from ledger.validation import (
    check_metadata_filter,
)


class Journal:
    """The journal's read side on one database."""

    def __init__(self, engines: Engines, catalog: Catalog) -> None:
        self._engines = engines
        self._catalog = catalog

    # ------------------------------------------------------------------ reading the journal

    def get_transaction(self, name: str) -> Transaction:
        return uow.read(self._engines.reader, lambda c: self.get_transaction_within(c, name))

    def get_transaction_within(self, conn: sa.Connection, name: str) -> Transaction:
        tx_id = parse_field(lambda n: names.parse_uuid_name(n, "transactions"), name, "name")
        found = self.load_transactions(conn, [tx_id])
        if not found:
            raise NotFound(name, "transaction")
        return found[0]

    def list_transactions(
        self,
        *,
        party: str = "",
        account: str = "",
        value_date_from: dt.date | None = None,
        value_date_to: dt.date | None = None,
        metadata_key: str = "",
        metadata_value: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Transaction]:
        """List in a stable order: book sequence when filtered by party or account, else recording time."""
        size = pagination.page_size(page_size)
        errors = ViolationCollector()
        party_id = ""
        if party:
            try:
                party_id = names.parse_party_name(party)
            except names.BadName as exc:
                errors.add("party", str(exc))
        acct: Account | None = None
        if account:
            try:
                names.parse_account_name(account)
                acct = self._catalog.resolve_accounts([account]).get(account)
                if acct is None:
                    raise NotFound(account, "account")
            except names.BadName as exc:
                errors.add("account", str(exc))
        if metadata_value and not metadata_key:
            errors.add("metadata_value", "needs metadata_key")
        check_metadata_filter(metadata_key, metadata_value, errors)
        if value_date_from and value_date_to and value_date_from > value_date_to:
            errors.add("value_date_to", "is before value_date_from")
        errors.raise_if_any()
        if acct is not None and party_id and acct.party_id != party_id:
            raise InvalidArgument.one("account", f"{account} is not in {party}")
        filters = {
            "list": "transactions",
            "party": party_id,
            "account": account,
            "from": value_date_from.isoformat() if value_date_from else "",
            "to": value_date_to.isoformat() if value_date_to else "",
            "key": metadata_key,
            "value": metadata_value,
        }
        book = acct.party_id if acct is not None else party_id
        # Within a book, pages follow its sequence; across books, recording time then id.
        shape = (pagination.sequence,) if book else (dt.datetime.fromisoformat, uuid.UUID)
        after = pagination.decode(page_token, filters, shape)
        tx = t.transactions
        conditions: list[Any] = []
        if value_date_from:
            conditions.append(tx.c.value_date >= value_date_from)
        if value_date_to:
            conditions.append(tx.c.value_date <= value_date_to)
        if metadata_key:
            md = t.transaction_metadata
            match = [md.c.key == metadata_key, md.c.transaction_id == tx.c.id]
            if metadata_value:
                match.append(md.c.value == metadata_value)
            conditions.append(sa.exists().where(*match))
        if book:
            if acct is not None:
                source = (
                    sa.select(t.postings.c.seq.label("seq"))
                    .where(
                        t.postings.c.party_id == book,
                        t.postings.c.account_id == acct.id,
                    )
                    .distinct()
                    .subquery()
                )
                legs_q = sa.select(t.legs.c.seq, t.legs.c.transaction_id).join(
                    source,
                    sa.and_(t.legs.c.party_id == book, t.legs.c.seq == source.c.seq),
                )
            else:
                legs_q = sa.select(t.legs.c.seq, t.legs.c.transaction_id).where(t.legs.c.party_id == book)
            query = (
                legs_q.join(tx, tx.c.id == t.legs.c.transaction_id)
                .where(t.legs.c.party_id == book, *conditions)
                .order_by(t.legs.c.seq)
                .limit(size + 1)
            )
            if after:
                query = query.where(t.legs.c.seq > int(after[0]))

            def page_rows(conn: sa.Connection) -> tuple[list[Transaction], list[Any]]:
                rows = conn.execute(query).all()
                loaded = {x.id: x for x in self.load_transactions(conn, [r.transaction_id for r in rows[:size]])}
                return [loaded[r.transaction_id] for r in rows[:size]], [[r.seq] for r in rows]
        else:
            query = (
                sa.select(tx.c.id, tx.c.created_at)
                .where(*conditions)
                .order_by(tx.c.created_at, tx.c.id)
                .limit(size + 1)
            )
            if after:
                at, last = after
                query = query.where(
                    sa.or_(
                        tx.c.created_at > at,
                        sa.and_(tx.c.created_at == at, tx.c.id > last),
                    )
                )

            def page_rows(conn: sa.Connection) -> tuple[list[Transaction], list[Any]]:
                rows = conn.execute(query).all()
                loaded = {x.id: x for x in self.load_transactions(conn, [r.id for r in rows[:size]])}
                return [loaded[r.id] for r in rows[:size]], [
                    [as_utc(r.created_at).isoformat(), str(r.id)] for r in rows
                ]

        items, positions = uow.read(self._engines.reader, page_rows)
        token = pagination.encode(filters, positions[size - 1]) if len(positions) > size else ""
        return Page(tuple(items), token)

    def load_transactions(self, conn: sa.Connection, ids: Sequence[uuid.UUID]) -> list[Transaction]:
        """Rebuild transactions (postings in submitted order, legs in party order), in the order of `ids`."""
        if not ids:
            return []
        tx_rows: dict[uuid.UUID, Any] = {}
        legs: dict[uuid.UUID, list[Leg]] = defaultdict(list)
        postings: dict[uuid.UUID, list[tuple[int, uuid.UUID, int]]] = defaultdict(list)
        reversed_by: dict[uuid.UUID, uuid.UUID] = {}
        for chunk in chunks(list(ids), 500):
            for row in conn.execute(sa.select(t.transactions).where(t.transactions.c.id.in_(chunk))):
                tx_rows[row.id] = row
            leg_query = sa.select(t.legs).where(t.legs.c.transaction_id.in_(chunk)).order_by(t.legs.c.party_id)
            for row in conn.execute(leg_query):
                legs[row.transaction_id].append(Leg(row.party_id, row.seq, row.prev_hash, row.hash))
            posting_query = (
                sa.select(
                    t.legs.c.transaction_id,
                    t.postings.c.idx,
                    t.postings.c.account_id,
                    t.postings.c.amount,
                )
                .join(
                    t.postings,
                    sa.and_(
                        t.postings.c.party_id == t.legs.c.party_id,
                        t.postings.c.seq == t.legs.c.seq,
                    ),
                )
                .where(t.legs.c.transaction_id.in_(chunk))
            )
            for row in conn.execute(posting_query):
                postings[row.transaction_id].append((row.idx, row.account_id, row.amount))
            for row in conn.execute(
                sa.select(t.transactions.c.id, t.transactions.c.reverses).where(t.transactions.c.reverses.in_(chunk))
            ):
                reversed_by[row.reverses] = row.id
        accounts_ = self._catalog.accounts_by_ids(conn, {a for items in postings.values() for _, a, _ in items})
        result = []
        for tx_id in ids:
            found = tx_rows.get(tx_id)
            if found is None:
                continue
            row = found
            result.append(
                Transaction(
                    id=row.id,
                    request_id=row.request_id,
                    value_date=row.value_date,
                    description=row.description,
                    metadata=json.loads(row.metadata_json),
                    postings=tuple(
                        Posting(accounts_[a], Side.DEBIT if m > 0 else Side.CREDIT, abs(m))
                        for _, a, m in sorted(postings[tx_id])
                    ),
                    legs=tuple(legs[tx_id]),
                    create_time=as_utc(row.created_at),
                    reverses=row.reverses,
                    reversed_by=reversed_by.get(tx_id),
                )
            )
        return result

    # ------------------------------------------------------------------ chains

    def book_heads(self) -> list[tuple[str, int, str]]:
        query = sa.select(t.books.c.party_id, t.books.c.head_seq, t.books.c.head_hash).order_by(t.books.c.party_id)
        return [
            (r.party_id, r.head_seq, r.head_hash)
            for r in uow.read(self._engines.reader, lambda c: c.execute(query).all())
        ]

    def checkpoint(self) -> str:
        """One hash over every book's chain head: publish it, and no book can later be rewritten unseen."""
        return checkpoint_hash(self.book_heads())
