"""Streaming reads of the ledger's tables for audit: legs in (book, seq) keyset chunks, and totals.

Nothing here loads a whole journal: legs are read a chunk at a time (`WHERE party_id = :book AND seq >
:after ORDER BY seq LIMIT :chunk`, served by the legs primary key), each chunk in its own short read,
so memory stays flat and no database snapshot is held open for the length of an export. An export stays
consistent anyway: it reads the books' heads first and never reads past them, and legs are insert-only
and gapless per book, so the rows up to a head never change.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledger import names
from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.canonical import ENCODING_VERSION, GENESIS_HASH, canonical_json, format_instant, sha256_hex
from ledger.db import Engines, as_utc
from ledger.errors import InvalidArgument, NotFound

DEFAULT_CHUNK = 2_000
MAX_HISTORY_ACCOUNTS = 1_000


@dataclass(frozen=True, slots=True)
class PostingRow:
    """One posting of a leg: the account's code in the book, the commodity, signed minor units (debit +)."""

    account: str
    commodity: str
    amount: int


@dataclass(frozen=True, slots=True)
class LegRow:
    """One leg as exported: the canonical leg document's fields and the stored hash."""

    book: str
    seq: int
    prev: str
    hash: str
    tx: str
    request_id: str
    value_date: str
    recorded_at: str
    description: str
    metadata: Mapping[str, str]
    reverses: str | None
    postings: tuple[PostingRow, ...]
    v: int = ENCODING_VERSION

    def document(self) -> dict[str, Any]:
        """The canonical leg document (without the hash), as ledger.canonical.leg_document builds it."""
        return {
            "v": self.v,
            "book": self.book,
            "seq": self.seq,
            "prev": self.prev,
            "tx": self.tx,
            "request_id": self.request_id,
            "value_date": self.value_date,
            "recorded_at": self.recorded_at,
            "description": self.description,
            "metadata": dict(self.metadata),
            "reverses": self.reverses,
            "postings": [{"account": p.account, "commodity": p.commodity, "amount": p.amount} for p in self.postings],
        }

    def computed_hash(self) -> str:
        """SHA-256 of the canonical serialisation of `document()`."""
        return sha256_hex(canonical_json(self.document()))

    def row(self) -> dict[str, Any]:
        """The JSON Lines row: the document plus `hash`."""
        row = self.document()
        row["hash"] = self.hash
        return row

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.value_date)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """What an export needs to know of an account: its book, code, type, commodity and opening date."""

    book: str
    code: str
    type: str  # asset, liability, equity, income, expense
    commodity: str
    opened: dt.date


def party_id_of(value: str, path: str) -> str:
    """`parties/{party}` or a bare id → the id; InvalidArgument otherwise."""
    candidate = value if value.startswith("parties/") else f"parties/{value}"
    try:
        return names.parse_party_name(candidate)
    except names.BadName as exc:
        raise InvalidArgument.one(path, str(exc)) from None


def account_key_of(value: str, path: str) -> tuple[str, str]:
    """`parties/{party}/accounts/{code}` or `{party}/{code}` → (party, code)."""
    candidate = value
    if not value.startswith("parties/") and value.count("/") == 1:
        party, code = value.split("/")
        candidate = names.account_name(party, code)
    try:
        return names.parse_account_name(candidate)
    except names.BadName as exc:
        raise InvalidArgument.one(path, str(exc)) from None


@dataclass(frozen=True, slots=True)
class PartyRow:
    id: str
    display_name: str
    kind: str


@dataclass(frozen=True, slots=True)
class BalanceLine:
    """One account's signed (debit-positive) balance."""

    book: str
    code: str
    type: str
    commodity: str
    scale: int
    balance: int


class JournalReader:
    """Reads the journal and the running totals for audit, on the reader engine."""

    def __init__(self, engines: Engines, *, chunk: int = DEFAULT_CHUNK) -> None:
        self._engines = engines
        self._chunk = chunk

    # ------------------------------------------------------------------ books and reference data

    def heads(self) -> list[tuple[str, int, str]]:
        """Every book's (party, head sequence, head hash), in party order, read in one statement."""
        query = sa.select(t.books.c.party_id, t.books.c.head_seq, t.books.c.head_hash).order_by(t.books.c.party_id)
        rows = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        return [(r.party_id, int(r.head_seq), r.head_hash) for r in rows]

    def parties(self) -> list[PartyRow]:
        query = sa.select(t.parties.c.id, t.parties.c.display_name, t.parties.c.kind).order_by(t.parties.c.id)
        rows = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        return [PartyRow(r.id, r.display_name, r.kind) for r in rows]

    def check_parties(self, party_ids: Iterable[str]) -> None:
        """NotFound for the first party that has no book."""
        known = {b for b, _, _ in self.heads()}
        for party in party_ids:
            if party not in known:
                raise NotFound(f"parties/{party}", "party")

    @property
    def engines(self) -> Engines:
        return self._engines

    def scales(self) -> dict[str, int]:
        query = sa.select(t.commodities.c.code, t.commodities.c.scale)
        return {r.code: int(r.scale) for r in uow.read(self._engines.reader, lambda c: c.execute(query).all())}

    def accounts(self, books: Iterable[str] | None = None) -> dict[uuid.UUID, AccountInfo]:
        """Accounts by id (of these books, or all); charts of accounts are small next to journals."""
        query = sa.select(
            t.accounts.c.id,
            t.accounts.c.party_id,
            t.accounts.c.code,
            t.accounts.c.type,
            t.accounts.c.commodity,
            t.accounts.c.created_at,
        )
        if books is not None:
            query = query.where(t.accounts.c.party_id.in_(sorted(set(books))))
        rows = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        return {r.id: AccountInfo(r.party_id, r.code, r.type, r.commodity, as_utc(r.created_at).date()) for r in rows}

    def account_ids(self, keys: Sequence[tuple[str, str]], path: str) -> list[uuid.UUID]:
        """Ids of the (party, code) accounts; NotFound for the first missing one."""
        if not keys:
            return []
        tuple_ = sa.tuple_(t.accounts.c.party_id, t.accounts.c.code)
        query = sa.select(t.accounts.c.id, t.accounts.c.party_id, t.accounts.c.code).where(tuple_.in_(list(keys)))
        found = {(r.party_id, r.code): r.id for r in uow.read(self._engines.reader, lambda c: c.execute(query).all())}
        for key in keys:
            if key not in found:
                raise NotFound(names.account_name(*key), "account")
        return [found[k] for k in keys]

    def hash_at(self, book: str, seq: int) -> str:
        """The stored hash of leg `seq` of `book` (the genesis hash for 0; '' when there is no such leg)."""
        if seq <= 0:
            return GENESIS_HASH
        query = sa.select(t.legs.c.hash).where(t.legs.c.party_id == book, t.legs.c.seq == seq)
        found = uow.read(self._engines.reader, lambda c: c.execute(query).scalar())
        return str(found) if found is not None else ""

    # ------------------------------------------------------------------ legs

    def _selection(
        self,
        book: str,
        lo: int,
        hi: int | None,
        date_from: dt.date | None,
        date_to: dt.date | None,
        account_ids: Sequence[uuid.UUID],
    ) -> list[sa.ColumnElement[bool]]:
        where: list[sa.ColumnElement[bool]] = [t.legs.c.party_id == book, t.legs.c.seq >= lo]
        if hi is not None:
            where.append(t.legs.c.seq <= hi)
        if date_from is not None:
            where.append(t.transactions.c.value_date >= date_from)
        if date_to is not None:
            where.append(t.transactions.c.value_date <= date_to)
        if account_ids:
            p = t.postings.alias("p")
            where.append(
                sa.exists().where(
                    p.c.party_id == t.legs.c.party_id, p.c.seq == t.legs.c.seq, p.c.account_id.in_(account_ids)
                )
            )
        return where

    def count(
        self,
        books: Mapping[str, tuple[int, int]],
        *,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        account_ids: Sequence[uuid.UUID] = (),
    ) -> tuple[int, int, dt.date | None]:
        """(legs, distinct transactions, earliest value date) selected in `books` {book: (lo, hi)}."""
        if not books:
            return 0, 0, None
        clauses = [
            sa.and_(*self._selection(b, lo, hi, date_from, date_to, account_ids)) for b, (lo, hi) in books.items()
        ]
        joined = t.legs.outerjoin(t.transactions, t.transactions.c.id == t.legs.c.transaction_id)
        query = (
            sa.select(
                sa.func.count(),
                sa.func.count(sa.distinct(t.legs.c.transaction_id)),
                sa.func.min(t.transactions.c.value_date),
            )
            .select_from(joined)
            .where(sa.or_(*clauses))
        )
        row = uow.read(self._engines.reader, lambda c: c.execute(query).one())
        return int(row[0]), int(row[1]), row[2]

    def legs(
        self,
        book: str,
        lo: int = 1,
        hi: int | None = None,
        *,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        account_ids: Sequence[uuid.UUID] = (),
        accounts: Mapping[uuid.UUID, AccountInfo] | None = None,
    ) -> Iterator[LegRow]:
        """The legs of `book` with `lo` <= seq <= `hi`, in sequence order, read `chunk` at a time.

        A leg whose transaction row is missing is still yielded (with empty fields), so that a verifier
        reports it instead of silently skipping it.
        """
        accounts = accounts if accounts is not None else self.accounts([book])
        after = lo - 1
        while True:
            where = self._selection(book, after + 1, hi, date_from, date_to, account_ids)
            query = (
                sa.select(
                    t.legs.c.seq,
                    t.legs.c.transaction_id,
                    t.legs.c.prev_hash,
                    t.legs.c.hash,
                    t.transactions.c.id.label("tx_id"),
                    t.transactions.c.request_id,
                    t.transactions.c.value_date,
                    t.transactions.c.created_at,
                    t.transactions.c.description,
                    t.transactions.c.metadata_json,
                    t.transactions.c.reverses,
                )
                .select_from(t.legs.outerjoin(t.transactions, t.transactions.c.id == t.legs.c.transaction_id))
                .where(*where)
                .order_by(t.legs.c.seq)
                .limit(self._chunk)
            )

            def work(conn: sa.Connection, query: sa.Select[Any] = query) -> tuple[list[Any], list[Any]]:
                legs = conn.execute(query).all()
                if not legs:
                    return [], []
                seqs = [r.seq for r in legs]
                lines = conn.execute(
                    sa.select(t.postings.c.seq, t.postings.c.idx, t.postings.c.account_id, t.postings.c.amount)
                    .where(t.postings.c.party_id == book, t.postings.c.seq.in_(seqs))
                    .order_by(t.postings.c.seq, t.postings.c.idx)
                ).all()
                return list(legs), list(lines)

            legs, lines = uow.read(self._engines.reader, work)
            if not legs:
                return
            by_seq: dict[int, list[PostingRow]] = defaultdict(list)
            for line in lines:
                info = accounts.get(line.account_id)
                by_seq[line.seq].append(
                    PostingRow(info.code if info else "?", info.commodity if info else "?", int(line.amount))
                )
            for leg in legs:
                yield _leg_row(book, leg, tuple(by_seq.get(leg.seq, ())))
            after = int(legs[-1].seq)
            if len(legs) < self._chunk:
                return

    # ------------------------------------------------------------------ balances

    def balance_lines(self, as_of: dt.date | None, books: Iterable[str] | None = None) -> list[BalanceLine]:
        """Every account's balance: current (balances table) or at the end of `as_of` (daily_balances)."""
        a = t.accounts
        if as_of is None:
            amount = t.balances.c.posted
            source = a.join(t.balances, t.balances.c.account_id == a.c.id)
            query = sa.select(
                a.c.party_id, a.c.code, a.c.type, a.c.commodity, t.commodities.c.scale, amount.label("total")
            )
        else:
            totals = (
                sa.select(t.daily_balances.c.account_id, sa.func.sum(t.daily_balances.c.delta).label("total"))
                .where(t.daily_balances.c.value_date <= as_of)
                .group_by(t.daily_balances.c.account_id)
                .subquery()
            )
            source = a.outerjoin(totals, totals.c.account_id == a.c.id)
            query = sa.select(
                a.c.party_id,
                a.c.code,
                a.c.type,
                a.c.commodity,
                t.commodities.c.scale,
                sa.func.coalesce(totals.c.total, 0).label("total"),
            )
        query = query.select_from(source.join(t.commodities, t.commodities.c.code == a.c.commodity)).order_by(
            a.c.party_id, a.c.code
        )
        if books is not None:
            query = query.where(a.c.party_id.in_(sorted(set(books))))
        rows = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        return [BalanceLine(r.party_id, r.code, r.type, r.commodity, int(r.scale), int(r.total)) for r in rows]

    def balance_history(
        self, keys: Sequence[tuple[str, str]], as_of: dt.date | None
    ) -> list[tuple[BalanceLine, list[tuple[dt.date, int]]]]:
        """Each account's balance at the end of every value date with activity (from daily_balances)."""
        if len(keys) > MAX_HISTORY_ACCOUNTS:
            raise InvalidArgument.one("accounts", f"at most {MAX_HISTORY_ACCOUNTS} accounts per call")
        ids = self.account_ids(keys, "accounts")
        a = t.accounts
        info_query = (
            sa.select(a.c.id, a.c.party_id, a.c.code, a.c.type, a.c.commodity, t.commodities.c.scale)
            .join(t.commodities, t.commodities.c.code == a.c.commodity)
            .where(a.c.id.in_(ids))
        )
        d = t.daily_balances
        days = sa.select(d.c.account_id, d.c.value_date, d.c.delta).where(d.c.account_id.in_(ids))
        if as_of is not None:
            days = days.where(d.c.value_date <= as_of)
        days = days.order_by(d.c.account_id, d.c.value_date)

        def work(conn: sa.Connection) -> tuple[list[Any], list[Any]]:
            return list(conn.execute(info_query).all()), list(conn.execute(days).all())

        infos, deltas = uow.read(self._engines.reader, work)
        series: dict[uuid.UUID, list[tuple[dt.date, int]]] = defaultdict(list)
        running: dict[uuid.UUID, int] = defaultdict(int)
        for row in deltas:
            running[row.account_id] += int(row.delta)
            series[row.account_id].append((row.value_date, running[row.account_id]))
        by_id = {r.id: BalanceLine(r.party_id, r.code, r.type, r.commodity, int(r.scale), running[r.id]) for r in infos}
        return [(by_id[i], series[i]) for i in ids]


def _leg_row(book: str, leg: Any, postings: tuple[PostingRow, ...]) -> LegRow:
    row = leg
    tx_id = row.tx_id
    reverses = row.reverses
    if tx_id is None:  # the transaction row is gone: yield what the leg row still says
        return LegRow(
            book=book,
            seq=int(row.seq),
            prev=row.prev_hash,
            hash=row.hash,
            tx=str(row.transaction_id),
            request_id="",
            value_date="",
            recorded_at="",
            description="",
            metadata={},
            reverses=None,
            postings=postings,
        )
    return LegRow(
        book=book,
        seq=int(row.seq),
        prev=row.prev_hash,
        hash=row.hash,
        tx=str(row.transaction_id),
        request_id=row.request_id,
        value_date=row.value_date.isoformat(),
        recorded_at=format_instant(as_utc(row.created_at)),
        description=row.description,
        metadata=json.loads(row.metadata_json),
        reverses=str(reverses) if reverses else None,
        postings=postings,
    )
