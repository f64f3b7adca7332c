"""The ledger: the books of every party on one database, and the one object the server holds.

`Ledger` composes the package's parts, each a module with one job:

- ledger.catalog: commodities, parties and accounts (with the account cache);
- ledger.posting: the posting step as a pure function (state in, rows and result out), between
  ledger.posting_state's reads and writes (PostgreSQL and SQLite each their own way);
- ledger.group_commit: concurrent PostTransactions calls coalesced into shared database transactions;
- ledger.journal and ledger.balances: the read side;
- ledger.holds: two-phase holds;
- ledger.session: the door for deals, settlement and valuation, a `LedgerSession` bound to one unit of
  work (`Ledger.write` / `Ledger.read`).

Each write is one unit of work (ledger.unit_of_work.run): validate purely first, then in one database
transaction lock the touched books' heads in party-id order, check idempotency keys, apply the postings in
memory against the locked balances, insert the journal rows in bulk, update running balances, extend each
book's hash chain and commit. Locking the heads serialises writers per book across threads and server
processes alike (row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite), which is what keeps sequences
gapless, chains linear and must-not-go-negative checks honest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ledger import actor, amounts, names, posting, posting_state
from ledger import unit_of_work as uow
from ledger.balances import Balances
from ledger.catalog import Catalog
from ledger.db import Engines
from ledger.errors import FailedPrecondition, NotFound, PermissionDenied, PreconditionViolation, ViolationCollector
from ledger.group_commit import GroupCommitter
from ledger.holds import Holds
from ledger.journal import Journal
from ledger.model import (
    Account,
    PostingSpec,
    PostResult,
    TransactionSpec,
)
from ledger.session import LedgerSession
from ledger.validation import (
    PlainTransaction,
    ValidTransaction,
    check_request_id,
    check_text,
    check_value_date,
    validate_batch,
    validate_plain,
)

DEFAULT_TIMEZONE = "Asia/Shanghai"

R = TypeVar("R")


def check_books(
    batch: Sequence[ValidTransaction],
    actors: Sequence[actor.Actor | None] | None,
    bound: actor.Actor | None,
    reach: frozenset[str],
) -> None:
    """Refuse a transaction that touches a book its actor's party may not write (see `Ledger._post`)."""
    for i, tx in enumerate(batch):
        who = actors[i] if actors is not None else bound
        if who is None or not who.party:
            continue
        foreign = sorted(set(tx.parties) - {who.party} - reach)
        if foreign:
            raise PermissionDenied(
                f"{who.principal!r} acts for parties/{who.party} and may not write into the book of "
                f"parties/{foreign[0]}: no agreement of parties/{who.party} reaches it",
                reason="BOOK_NOT_REACHABLE",
                metadata={"party": who.party, "book": foreign[0]},
            )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Ledger:
    """The double-entry, multi-party, multi-commodity ledger on one database.

    It offers its parts' public methods as its own (create_party is Catalog.create_party, get_balance is
    Balances.get_balance, ...): the server holds this one object.
    """

    catalog: Catalog
    journal: Journal
    balances: Balances
    holds: Holds

    def __init__(
        self,
        engines: Engines,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        timezone: str = DEFAULT_TIMEZONE,
        group_commit: bool = True,
    ) -> None:
        """`group_commit` coalesces concurrent post_transactions calls into shared database transactions
        (ledger.group_commit); each call still succeeds or fails on its own."""
        self._engines = engines
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self.catalog = Catalog(engines, clock)
        self.journal = Journal(engines, self.catalog)
        self.balances = Balances(engines, self.catalog)
        self.holds = Holds(engines, self.catalog, self.journal, self._post, clock, self.today)
        self._committer = (
            GroupCommitter(
                engines.writer,
                lambda conn, batch, prefix, actors: self._post(conn, batch, field_prefix=prefix, actors=actors),
            )
            if group_commit
            else None
        )
        # The public surface the server uses, by part (each method's docstring is on its part).
        self.create_commodity = self.catalog.create_commodity
        self.list_commodities = self.catalog.list_commodities
        self.create_party = self.catalog.create_party
        self.get_party = self.catalog.get_party
        self.list_parties = self.catalog.list_parties
        self.create_account = self.catalog.create_account
        self.get_account = self.catalog.get_account
        self.list_accounts = self.catalog.list_accounts
        self.get_transaction = self.journal.get_transaction
        self.list_transactions = self.journal.list_transactions
        self.book_heads = self.journal.book_heads
        self.checkpoint = self.journal.checkpoint
        self.get_balance = self.balances.get_balance
        self.batch_get_balances = self.balances.batch_get_balances
        self.trial_balance = self.balances.trial_balance
        self.create_hold = self.holds.create_hold
        self.capture_hold = self.holds.capture_hold
        self.void_hold = self.holds.void_hold
        self.get_hold = self.holds.get_hold
        self.expire_holds = self.holds.expire_holds

    @property
    def engines(self) -> Engines:
        """The database engines (for the server's health checks and the audit readers)."""
        return self._engines

    @property
    def committer(self) -> GroupCommitter | None:
        """The group committer of post_transactions, if enabled (its counters show how calls coalesce)."""
        return self._committer

    def now(self) -> dt.datetime:
        """The ledger's clock (injectable in tests)."""
        return self._clock()

    def today(self) -> dt.date:
        """The business date in the ledger's time zone (Asia/Shanghai by default)."""
        return self._clock().astimezone(self._zone).date()

    # ------------------------------------------------------------------ the middle layer's door

    def write(self, work: Callable[[LedgerSession], R], *, what: str = "write") -> R:
        """Run `work` in one retryable unit of work (ledger.session); the accounts it opened or read are
        cached once it has committed."""
        sessions: list[LedgerSession] = []

        def attempt(conn: sa.Connection) -> R:
            session = LedgerSession(self, conn)
            sessions.append(session)
            return work(session)

        result = uow.run(self._engines.writer, attempt, what=what)
        self.catalog.remember(sessions[-1].accounts_seen())  # the last attempt is the one that committed
        return result

    def read(self, work: Callable[[LedgerSession], R]) -> R:
        """Run a read-only `work` on the reader engine (one connection, no retries)."""
        return uow.read(self._engines.reader, lambda conn: work(LedgerSession(self, conn)))

    # ------------------------------------------------------------------ posting

    def post_transactions(self, specs: Sequence[TransactionSpec]) -> PostResult:
        """Post a batch all or nothing; a retried request_id returns the original transaction.

        Validation runs here, in the caller's thread; the write goes through the group committer when
        enabled (concurrent calls share a database transaction), else in a unit of work of its own.
        """
        resolved = self.catalog.resolve_accounts(p.account for s in specs[:10_001] for p in s.postings)
        today = self.today()
        return self._submit(validate_batch(specs, resolved.get, today=today, default_value_date=today))

    def post_plain(self, batch: Sequence[PlainTransaction]) -> PostResult | None:
        """`post_transactions` for a client's batch read straight off the wire, when every transaction is
        plain (ledger.validation.validate_plain); None, having done nothing, when one is not: the caller
        then builds specs and calls `post_transactions`, which decides what is refused and why."""
        resolved = self.catalog.resolve_accounts(p[0] for tx in batch[:10_001] for p in tx[4])
        today = self.today()
        valid = validate_plain(batch, resolved.get, today=today, default_value_date=today)
        return None if valid is None else self._submit(valid)

    def _submit(self, valid: list[ValidTransaction]) -> PostResult:
        """Write a client's validated batch: through the group committer when enabled (concurrent calls
        share a database transaction), else in a unit of work of its own."""
        if self._committer is not None:
            return self._committer.submit(valid)
        return uow.run(
            self._engines.writer,
            lambda conn: self._post(conn, valid, field_prefix="transactions"),
            what="PostTransactions",
        )

    def reverse_transaction(
        self,
        *,
        request_id: str,
        name: str,
        value_date: dt.date | None = None,
        description: str = "",
    ) -> PostResult:
        """Post the mirror image of a transaction. A transaction can be reversed once; a reversal never."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        original_id = None
        try:
            original_id = names.parse_uuid_name(name, "transactions")
        except names.BadName as exc:
            errors.add("name", str(exc))
        if value_date is not None:
            check_value_date(value_date, "value_date", errors, self.today())
        check_text(description, "description", errors)
        errors.raise_if_any()
        assert original_id is not None

        def work(conn: sa.Connection) -> PostResult:
            originals = self.journal.load_transactions(conn, [original_id])
            if not originals:
                raise NotFound(name, "transaction")
            original = originals[0]
            spec = TransactionSpec(
                request_id=request_id,
                value_date=value_date or original.value_date,
                description=description or f"Reversal of {original.name}",
                metadata={**original.metadata, "toudai.reverses": str(original.id)},
                postings=tuple(
                    PostingSpec(
                        p.account.name,
                        p.side.opposite,
                        p.account.commodity,
                        amounts.format_minor(p.amount, p.account.scale),
                    )
                    for p in original.postings
                ),
                reverses=original.id,
            )
            accounts_ = {p.account.name: p.account for p in original.postings}
            valid = validate_batch([spec], accounts_.get, today=self.today(), allow_reserved_metadata=True)
            if request_id not in posting_state.existing_requests(conn, [request_id]):
                if original.reverses is not None:
                    raise FailedPrecondition(
                        f"{original.name} is itself a reversal and cannot be reversed; post a new transaction",
                        [
                            PreconditionViolation(
                                "REVERSAL_OF_REVERSAL",
                                original.name,
                                "a reversal is final",
                            )
                        ],
                        reason="REVERSAL_OF_REVERSAL",
                    )
                if original.reversed_by is not None:
                    raise FailedPrecondition(
                        f"{original.name} was already reversed by transactions/{original.reversed_by}",
                        [
                            PreconditionViolation(
                                "ALREADY_REVERSED",
                                original.name,
                                f"reversed by transactions/{original.reversed_by}",
                            )
                        ],
                        reason="ALREADY_REVERSED",
                    )
            return self._post(conn, valid)

        return uow.run(self._engines.writer, work, what="ReverseTransaction")

    def _post(
        self,
        conn: sa.Connection,
        batch: Sequence[ValidTransaction],
        *,
        field_prefix: str = "",
        actors: Sequence[actor.Actor | None] | None = None,
        reach: frozenset[str] = frozenset(),
    ) -> PostResult:
        """Append a validated batch inside the caller's database transaction: read state, compute, write.

        First the books: a transaction caused by someone acting for a party may touch only that party's
        book and the books `reach` adds (LedgerSession.reach); anything else is PERMISSION_DENIED, a
        second line of defence under the per-RPC rules of the gRPC edge.

        Every refusal (LedgerError) is raised by `posting.compute`, before the first write, so a refused
        batch leaves the transaction as it found it (only row locks taken): the group committer relies on it.
        """
        check_books(batch, actors, actor.current(), reach)
        parties = sorted({party for tx in batch for party in tx.parties})
        touched = {p.account.id: p.account for tx in batch for p in tx.postings}
        since = posting.guarded_since(batch)
        state = posting_state.read_state(conn, parties, [tx.request_id for tx in batch], touched, since)
        now = self._clock()
        computed = posting.compute(
            batch,
            state,
            now=now,
            today=now.astimezone(self._zone).date(),
            field_prefix=field_prefix,
            actors=actors,
            bound=actor.current(),
        )
        posting_state.write_state(conn, computed)
        replayed = self.journal.load_transactions(
            conn, [state.existing[tx.request_id][0] for tx in batch if tx.request_id in state.existing]
        )
        return posting.result_of(batch, computed, replayed, touched)

    # ------------------------------------------------------------------ inside a unit of work (ledger.session)

    def post_within(
        self,
        conn: sa.Connection,
        specs: Sequence[TransactionSpec],
        *,
        accounts: Mapping[str, Account] | None = None,
        reach: frozenset[str] = frozenset(),
    ) -> PostResult:
        """Validate and post `specs` inside the caller's database transaction (LedgerSession.post)."""
        wanted = [p.account for s in specs for p in s.postings]
        if accounts:
            resolved = self.catalog.resolve_accounts([n for n in wanted if n not in accounts], conn)
            resolved.update((n, a) for n in wanted if (a := accounts.get(n)) is not None)
        else:
            resolved = self.catalog.resolve_accounts(wanted, conn)
        valid = validate_batch(specs, resolved.get, today=self.today(), allow_reserved_metadata=True)
        return self._post(conn, valid, reach=reach)
