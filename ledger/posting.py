"""The posting step as a pure function: from the locked state of the books to the rows to write.

Posting a validated batch is read state → compute → write state. This module is the middle step and
does no I/O: given the books' heads, the request ids already posted, the touched accounts' running
totals and the clock's reading, `compute` applies each new transaction in order, checks capacity and
must-not-go-negative after each (counting holds), hashes each leg onto its book's chain and builds the
journal rows, the per-day totals, the new heads and the result. ledger/posting_state.py reads and
writes the state around it (PostgreSQL and SQLite each their own way); ledger/store.py runs the three
inside one unit of work. Every refusal (a LedgerError) is raised here, before anything is written:
the group committer relies on it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger import actor, amounts
from ledger.canonical import format_instant, leg_hash_of, metadata_json
from ledger.errors import FailedPrecondition, InsufficientFunds, PreconditionViolation, request_id_reused
from ledger.model import Account, Balance, Leg, PostResult, Transaction
from ledger.validation import ValidTransaction

__all__ = [
    "Computed",
    "JournalRows",
    "Running",
    "State",
    "balance_of",
    "balances_of",
    "by_uuid",
    "check_capacity",
    "check_limits",
    "chunks",
    "compute",
]


@dataclass(slots=True)
class Running:
    """An account's running totals inside one unit of work."""

    posted: int
    pending_debits: int
    pending_credits: int


@dataclass(slots=True)
class State:
    """What posting reads, under the books' locks, before it computes anything."""

    heads: dict[str, tuple[int, str]]  # party → (head sequence, head hash)
    existing: dict[str, tuple[uuid.UUID, str]]  # request_id → (transaction id, fingerprint), already posted
    running: dict[uuid.UUID, Running]  # account id → running totals


class JournalRows:
    """The journal rows of one batch (transactions, legs, postings, metadata), in column order.

    Identifiers travel as (UUID, its text): SQLAlchemy binds the UUID, COPY takes the text. Written by
    ledger.bulk.write_journal (COPY on PostgreSQL, executemany elsewhere).
    """

    TRANSACTION_COLUMNS = (
        "id",
        "request_id",
        "fingerprint",
        "value_date",
        "description",
        "metadata_json",
        "reverses",
        "created_at",
    )
    LEG_COLUMNS = ("party_id", "seq", "transaction_id", "prev_hash", "hash")
    POSTING_COLUMNS = ("party_id", "seq", "idx", "account_id", "amount")
    METADATA_COLUMNS = ("key", "value", "transaction_id")

    __slots__ = ("legs", "metadata", "postings", "transactions")

    def __init__(self) -> None:
        self.transactions: list[
            tuple[uuid.UUID, str, str, str, dt.date, str, str, uuid.UUID | None, dt.datetime]
        ] = []  # (id, id text, request_id, fingerprint, value_date, description, metadata, reverses, created)
        self.legs: list[tuple[str, int, uuid.UUID, str, str, str]] = []  # (party, seq, tx, tx text, prev, hash)
        self.postings: list[tuple[str, int, int, Account, int]] = []  # (party, seq, idx, account, amount)
        self.metadata: list[tuple[str, str, uuid.UUID, str]] = []  # (key, value, tx, tx text)


@dataclass(slots=True)
class Computed:
    """The outcome of `compute`: what to write, and the transactions it creates (by request id)."""

    fresh: bool  # anything new to write (False when every transaction replays)
    rows: JournalRows
    running: dict[uuid.UUID, Running]  # the touched accounts' totals after the batch
    daily: list[tuple[str, uuid.UUID, dt.date, int]]  # (party, account id, value date, delta), key order, no zeros
    heads: list[tuple[str, int, str]]  # (party, new head sequence, new head hash)
    created: dict[str, Transaction] = field(default_factory=dict)


def by_uuid(item: tuple[uuid.UUID, Any]) -> int:
    """Sort key of a (UUID, value) pair: the UUID's integer, which is how UUIDs order (UUID.__lt__ is Python)."""
    return item[0].int


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def compute(
    batch: Sequence[ValidTransaction],
    state: State,
    *,
    now: dt.datetime,
    field_prefix: str,
    actors: Sequence[actor.Actor | None] | None,
    bound: actor.Actor | None,
) -> Computed:
    """Apply `batch` to `state` in memory (mutating `state.running` and `state.heads`) and build the rows.

    Raises REQUEST_ID_REUSED for a known request id with another fingerprint, and capacity or
    must-not-go-negative refusals naming `{field_prefix}[i]` (or the request id when the prefix is empty).
    Each transaction is stamped with who caused it: `actors[i]` for `batch[i]` when given (the group-commit
    writer, which posts for several callers), else `bound`.
    """
    existing = state.existing
    for tx in batch:
        if tx.request_id in existing and existing[tx.request_id][1] != tx.fingerprint:
            raise request_id_reused(tx.request_id)
    touched = {p.account.id: p.account for tx in batch for p in tx.postings}
    by_name = {account.name: account for account in touched.values()}
    # Keyed by account name from here on: a str caches its hash, a UUID computes it in Python each time.
    states = {touched[account_id].name: totals for account_id, totals in state.running.items()}
    heads = state.heads
    recorded_at = format_instant(now)
    rows = JournalRows()
    daily: dict[tuple[str, dt.date], int] = defaultdict(int)
    created: dict[str, Transaction] = {}
    encoded: dict[tuple[tuple[str, str], ...], str] = {}  # metadata JSON, shared by equal maps
    fresh = [(i, tx) for i, tx in enumerate(batch) if tx.request_id not in existing]
    for i, tx in fresh:
        tx_id = uuid.uuid4()
        tx_text = str(tx_id)
        # Who caused it (ledger.actor): after the fingerprint, so a retry replays; in the hashed document.
        who = actors[i] if actors is not None else bound
        metadata = {**tx.metadata, **who.metadata()} if who is not None else dict(tx.metadata)
        key = tuple(metadata.items())
        metadata_text = encoded.get(key)
        if metadata_text is None:
            metadata_text = encoded[key] = metadata_json(metadata)
        value_date = tx.value_date
        day = value_date.isoformat()
        reverses = str(tx.reverses) if tx.reverses else None
        for posting in tx.postings:
            name = posting.account.name
            signed = posting.signed
            states[name].posted += signed
            daily[(name, value_date)] += signed
        check_limits(tx, states, i if field_prefix else None)
        legs: list[Leg] = []
        books = tx.parties
        for party in books:
            seq, prev = heads[party]
            seq += 1
            mine = (
                list(enumerate(tx.postings))
                if len(books) == 1
                else [(j, p) for j, p in enumerate(tx.postings) if p.account.party_id == party]
            )
            digest = leg_hash_of(
                book=party,
                sequence=seq,
                prev_hash=prev,
                transaction_id=tx_text,
                request_id=tx.request_id,
                value_date=day,
                recorded_at=recorded_at,
                description=tx.description,
                metadata=metadata_text,
                reverses=reverses,
                postings=[(p.account.code, p.account.commodity, p.signed) for _, p in mine],
            )
            heads[party] = (seq, digest)
            legs.append(Leg(party, seq, prev, digest))
            rows.legs.append((party, seq, tx_id, tx_text, prev, digest))
            rows.postings.extend([(party, seq, j, p.account, p.signed) for j, p in mine])
        rows.transactions.append(
            (tx_id, tx_text, tx.request_id, tx.fingerprint, value_date, tx.description, metadata_text, tx.reverses, now)
        )
        if metadata:
            rows.metadata.extend([(k, v, tx_id, tx_text) for k, v in metadata.items()])
        created[tx.request_id] = Transaction(
            id=tx_id,
            request_id=tx.request_id,
            value_date=value_date,
            description=tx.description,
            metadata=metadata,
            postings=tx.postings,
            legs=tuple(legs),
            create_time=now,
            reverses=tx.reverses,
        )
    return Computed(
        fresh=bool(fresh),
        rows=rows,
        running=state.running,
        daily=sorted(
            ((by_name[name].party_id, by_name[name].id, day, delta) for (name, day), delta in daily.items() if delta),
            key=lambda row: (row[0], row[1].int, row[2]),
        ),
        heads=[(party, seq, digest) for party, (seq, digest) in heads.items()],
        created=created,
    )


def balance_of(account: Account, state: Running) -> Balance:
    return Balance(
        account=account,
        balance=account.normal(state.posted),
        held=account.held(state.pending_debits, state.pending_credits),
    )


def balances_of(running: Mapping[uuid.UUID, Running], touched: Mapping[uuid.UUID, Account]) -> tuple[Balance, ...]:
    """The touched accounts' balances after a posting, in account name order."""
    return tuple(
        balance_of(touched[account_id], state)
        for account_id, state in sorted(running.items(), key=lambda kv: touched[kv[0]].name)
    )


def result_of(
    batch: Sequence[ValidTransaction],
    computed: Computed,
    replayed: Iterable[Transaction],
    touched: Mapping[uuid.UUID, Account],
) -> PostResult:
    """The answer, in the batch's order: created transactions and replayed originals alike."""
    by_request = {**{tx.request_id: tx for tx in replayed}, **computed.created}
    return PostResult(tuple(by_request[tx.request_id] for tx in batch), balances_of(computed.running, touched))


def check_limits(tx: ValidTransaction, running: Mapping[str, Running], index: int | None) -> None:
    """Capacity and must-not-go-negative after `tx`; `running` is keyed by account name."""
    guarded = False
    for posting in tx.postings:
        account = posting.account
        state = running[account.name]
        if (
            state.posted > amounts.MAX_BALANCE_MINOR
            or -state.posted > amounts.MAX_BALANCE_MINOR
            or state.pending_debits > amounts.MAX_BALANCE_MINOR
            or state.pending_credits > amounts.MAX_BALANCE_MINOR
        ):
            where = f"transactions[{index}] ({tx.request_id})" if index is not None else tx.request_id
            check_capacity(account, state, where, tx.request_id)
        guarded = guarded or account.must_not_go_negative
    if not guarded:
        return
    where = f"transactions[{index}] ({tx.request_id})" if index is not None else tx.request_id
    violations = []
    seen = set()
    for posting in tx.postings:
        account = posting.account
        if not account.must_not_go_negative or account.name in seen:
            continue
        seen.add(account.name)
        balance = balance_of(account, running[account.name])
        if balance.available < 0:
            short = amounts.format_minor(-balance.available, account.scale)
            violations.append(
                PreconditionViolation(
                    "INSUFFICIENT_FUNDS",
                    account.name,
                    f"{account.name} must not go negative: after this transaction its balance would be "
                    f"{amounts.format_minor(balance.balance, account.scale)} {account.commodity} with "
                    f"{amounts.format_minor(balance.held, account.scale)} held, "
                    f"short by {short} {account.commodity}",
                )
            )
    if violations:
        raise InsufficientFunds(
            f"{where}: {violations[0].description}",
            violations,
            metadata={"request_id": tx.request_id, "account": violations[0].subject},
        )


def check_capacity(account: Account, state: Running, where: str, request_id: str) -> None:
    """Refuse a change that would take an account's balance or pending totals beyond MAX_BALANCE_MINOR."""
    largest = max(abs(state.posted), state.pending_debits, state.pending_credits)
    if largest <= amounts.MAX_BALANCE_MINOR:
        return
    limit = f"{amounts.format_minor(amounts.MAX_BALANCE_MINOR, account.scale)} {account.commodity}"
    description = f"{account.name} would reach {amounts.format_minor(largest, account.scale)} {account.commodity}"
    raise FailedPrecondition(
        f"{where}: {description}, beyond the limit of {limit} per account; split the amount over several accounts",
        [PreconditionViolation("BALANCE_LIMIT", account.name, f"{description}; the limit is {limit}")],
        reason="BALANCE_LIMIT",
        metadata={"request_id": request_id, "account": account.name},
    )
