"""The posting step as a pure function: from the locked state of the books to the rows to write.

Posting a validated batch is read state → compute → write state. This module is the middle step and
does no I/O: given the books' heads, the request ids already posted, the touched accounts' running
totals, the later per-day totals of the guarded accounts the batch lowers (`guarded_since` says which)
and the clock's reading, `compute` applies each new transaction in order, checks capacity and
must-not-go-negative after each (counting holds, and as of the transaction's value date and every later
date: `first_shortfall`), hashes each leg onto its book's chain and builds the journal rows, the per-day
totals, the new heads and the result. ledger/posting_state.py reads and
writes the state around it (PostgreSQL and SQLite each their own way); ledger/store.py runs the three
inside one unit of work. Every refusal (a LedgerError) is raised here, before anything is written:
the group committer relies on it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from bisect import bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger import actor, amounts
from ledger.canonical import format_instant, leg_hash_of, metadata_json
from ledger.errors import FailedPrecondition, InsufficientFunds, PreconditionViolation, request_id_reused
from ledger.model import Account, Balance, Leg, PostResult, Side, Transaction
from ledger.validation import ValidTransaction

__all__ = [
    "Computed",
    "DayTotals",
    "JournalRows",
    "Running",
    "Shortfall",
    "State",
    "balance_of",
    "balances_of",
    "by_uuid",
    "check_capacity",
    "check_limits",
    "chunks",
    "compute",
    "first_shortfall",
    "guarded_since",
    "shortfall_facts",
    "shortfall_text",
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
    # Every account `guarded_since` named → its per-day totals (value date, signed delta) dated after the
    # date it gave, in date order (an empty list when there are none, the common case).
    later: dict[uuid.UUID, list[tuple[dt.date, int]]] = field(default_factory=dict)


class DayTotals:
    """A guarded account's per-day totals (debit-positive) after some date, kept in date order while a
    batch adds to them: what the as-of check of a transaction dated earlier than the last of them walks."""

    __slots__ = ("dates", "deltas")

    def __init__(self, rows: Iterable[tuple[dt.date, int]] = ()) -> None:
        self.deltas: dict[dt.date, int] = {}
        for day, delta in rows:
            self.deltas[day] = self.deltas.get(day, 0) + delta
        self.dates = sorted(self.deltas)

    def add(self, day: dt.date, delta: int) -> None:
        if day in self.deltas:
            self.deltas[day] += delta
        else:
            self.deltas[day] = delta
            insort(self.dates, day)

    def after(self, day: dt.date) -> list[tuple[dt.date, int]]:
        """The totals dated after `day`, in date order."""
        dates = self.dates
        if not dates or dates[-1] <= day:  # the common case: nothing after the latest day
            return []
        deltas = self.deltas
        return [(d, deltas[d]) for d in dates[bisect_right(dates, day) :]]


def guarded_since(batch: Iterable[ValidTransaction]) -> dict[uuid.UUID, tuple[str, dt.date]]:
    """For each must-not-go-negative account that a posting of `batch` lowers (on its normal side): its
    party and the earliest value date of such a posting.

    The as-of check of a transaction dated V needs the account's per-day totals dated after V; reading
    those dated after this date serves every transaction of the batch. In the common case (everything
    dated on the latest day) that read finds nothing, and the check is the current balance's.
    """
    since: dict[uuid.UUID, tuple[str, dt.date]] = {}
    for tx in batch:
        day = tx.value_date
        for posting in tx.postings:
            account = posting.account
            # lowers it: a debit-normal account credited, a credit-normal one debited
            if account.must_not_go_negative and (posting.side is Side.DEBIT) is not account.type.debit_normal:
                known = since.get(account.id)
                if known is None or day < known[1]:
                    since[account.id] = (account.party_id, day)
    return since


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
    today: dt.date | None = None,
) -> Computed:
    """Apply `batch` to `state` in memory (mutating `state.running` and `state.heads`) and build the rows.

    Raises REQUEST_ID_REUSED for a known request id with another fingerprint, and capacity or
    must-not-go-negative refusals naming `{field_prefix}[i]` (or the request id when the prefix is empty).
    Each transaction is stamped with who caused it: `actors[i]` for `batch[i]` when given (the group-commit
    writer, which posts for several callers), else `bound`. `today` is the business date from which held
    amounts count against a guarded account's as-of balances (default: `now`'s UTC date).
    """
    if today is None:
        today = now.date()
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
    # The later per-day totals of the guarded accounts the batch lowers, kept up to date as it applies.
    days = {touched[account_id].name: DayTotals(rows) for account_id, rows in state.later.items()}
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
            if name in days:
                days[name].add(value_date, signed)
        check_limits(tx, states, i if field_prefix else None, days, today)
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
    """The answer, in the batch's order: created transactions and replayed originals alike (marked replayed)."""
    earlier = {tx.request_id: tx for tx in replayed}
    by_request = {**earlier, **computed.created}
    return PostResult(
        tuple(by_request[tx.request_id] for tx in batch),
        balances_of(computed.running, touched),
        frozenset(tx.id for tx in earlier.values()),
    )


def check_limits(
    tx: ValidTransaction,
    running: Mapping[str, Running],
    index: int | None,
    days: Mapping[str, DayTotals] | None = None,
    today: dt.date | None = None,
) -> None:
    """Capacity and must-not-go-negative after `tx`; `running` and `days` are keyed by account name.

    Must-not-go-negative holds as of `tx`'s value date and every later date (docs/accounting.md): a guarded
    account that `tx` lowers and that has per-day totals after its value date (`days`) is walked date by
    date (`first_shortfall`); otherwise its balance is the same on every date from the value date on, and
    the check is the current one, `balance - held >= 0`. Held amounts count from `today` on.
    """
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
    value_date = tx.value_date
    if today is None:
        today = value_date
    violations = []
    seen = set()
    for posting in tx.postings:
        account = posting.account
        name = account.name
        if not account.must_not_go_negative or name in seen:
            continue
        seen.add(name)
        state = running[name]
        balance = account.normal(state.posted)
        held = account.held(state.pending_debits, state.pending_credits)
        totals = days.get(name) if days else None
        if totals is not None and totals.dates and totals.dates[-1] > value_date:
            # Dated before the account's last per-day total: walk its dates, if tx lowers it (a posting
            # that raises an account or leaves it as it was cannot make any date's balance negative).
            lowered = account.normal(sum(p.signed for p in tx.postings if p.account.name == name)) < 0
            if not lowered and balance - held >= 0:
                continue
            later = totals.after(value_date)
            if not account.type.debit_normal:
                later = [(day, -delta) for day, delta in later]
            shortfall = first_shortfall(value_date, today, balance, held, later)
        elif balance - held < 0:  # the same balance on every date from the value date on
            shortfall = first_shortfall(value_date, today, balance, held, [])
        else:
            continue
        if shortfall is not None:
            violations.append(
                PreconditionViolation(
                    "INSUFFICIENT_FUNDS",
                    name,
                    f"{name} must not go negative: {shortfall_text(account, shortfall, value_date)}",
                )
            )
    if violations:
        raise InsufficientFunds(
            f"{where}: {violations[0].description}",
            violations,
            metadata={"request_id": tx.request_id, "account": violations[0].subject},
        )


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Where a guarded account's as-of balances would fall short, on its normal side, in minor units."""

    date: dt.date  # the first date on which the balance would be short
    balance: int  # the balance as of that date
    held: int  # what is held and counts on that date (held amounts count from today on, 0 before)
    short: int  # held - balance on that date, > 0
    most: int  # the largest shortfall on the value date or any later date: what funding dated then must cover
    clear_from: dt.date | None  # the earliest later date on which the same posting would leave no date short


def first_shortfall(
    value_date: dt.date,
    today: dt.date,
    balance: int,
    held: int,
    later: Sequence[tuple[dt.date, int]],
) -> Shortfall | None:
    """The first date on or after `value_date` on which a guarded account would be short, or None.

    Pure. `balance` is the account's current normal-side balance (every value date included, the posting
    being checked too), `held` what is held on it, `later` its normal-side per-day totals dated after
    `value_date`, in date order (already part of `balance`). The balance as of a date D >= value_date is
    `balance` less the totals dated after D; it changes only on the dates of `later`, so those dates and
    `value_date` (and `today`, from which `held` counts, when it falls between) are all there is to check.
    An account is short on D when its balance as of D is below zero before `today`, below `held` from
    `today` on.
    """
    start = balance - sum(delta for _, delta in later)
    # A quick pass first, counting `held` on every date (stricter than the rule): almost always enough.
    running = start
    if running >= held:
        for _, delta in later:
            running += delta
            if running < held:
                break
        else:
            return None
    points = [(value_date, start)]
    running = start
    for day, delta in later:
        running += delta
        points.append((day, running))
    if held and value_date < today:
        # Held amounts count from today on: today starts a step of its own unless a per-day total is on it.
        at = bisect_right([day for day, _ in points], today)
        if points[at - 1][0] != today:
            points.insert(at, (today, points[at - 1][1]))
    first: tuple[dt.date, int, int] | None = None
    most = 0
    last_short = -1
    for i, (day, amount) in enumerate(points):
        counted = held if day >= today else 0
        short = counted - amount
        if short > 0:
            if first is None:
                first = (day, amount, counted)
            most = max(most, short)
            last_short = i
    if first is None:
        return None
    day, amount, counted = first
    clear_from = points[last_short + 1][0] if last_short + 1 < len(points) else None
    return Shortfall(day, amount, counted, counted - amount, most, clear_from)


def shortfall_facts(account: Account, shortfall: Shortfall) -> str:
    """ "as of 2026-01-02 its balance would be -100.00 CNY, short by 100.00 CNY" (with what is held, if any)."""
    held = f" with {amounts.format_minor(shortfall.held, account.scale)} held" if shortfall.held else ""
    return (
        f"as of {shortfall.date.isoformat()} its balance would be "
        f"{amounts.format_minor(shortfall.balance, account.scale)} {account.commodity}{held}, "
        f"short by {amounts.format_minor(shortfall.short, account.scale)} {account.commodity}"
    )


def shortfall_text(account: Account, shortfall: Shortfall, value_date: dt.date) -> str:
    """A posting's `shortfall` in words, with what would cure it: "as of 2026-01-02 its balance would be
    -100.00 CNY, short by 100.00 CNY; date the transaction on or after 2026-06-01, or fund the account first
    (at least 100.00 CNY, dated on or before 2026-01-02)"."""
    cures = []
    if shortfall.clear_from is not None:
        cures.append(f"date the transaction on or after {shortfall.clear_from.isoformat()}")
    cures.append(
        f"fund the account first (at least {amounts.format_minor(shortfall.most, account.scale)} "
        f"{account.commodity}, dated on or before {value_date.isoformat()})"
    )
    if shortfall.held:
        cures.append("release a hold on it")
    return f"{shortfall_facts(account, shortfall)}; {', or '.join(cures)}"


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
