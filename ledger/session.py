"""The one door from the middle layer (deals, settlement, valuation) into the books.

A `LedgerSession` is bound to one unit of work: one database transaction, retried whole on a transient
conflict (ledger.unit_of_work). A package that keeps its own tables beside the books does all of a
request's work through one session: it reads and writes its own tables on `session.connection`, and
posts, reads balances, locks books, opens accounts and moves holds through the session's methods, so
that its rows and the journal commit or roll back together.

    def work(session: LedgerSession) -> Deal:
        session.lock_books([branch, pool])
        session.connection.execute(deals.insert(), row)
        session.post([spec])
        ...

    ledger.write(work, what="BookLinkedDeal")   # or ledger.read(work) for a read-only snapshot

Rules that keep a retry safe: the work function re-reads everything it decides on, has no side effects
outside the connection, and may run several times. Accounts the session opened or read become cached
by the ledger only after the transaction commits (accounts never change once opened, but an opening can
roll back).

Raise `AfterCommit(error)` inside the work to commit what was done and then raise `error` to the
caller (e.g. an expired exercise is marked expired, then the approval is refused).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ledger import bulk, posting_state
from ledger.model import (
    Account,
    AccountType,
    Balance,
    CommodityKind,
    Hold,
    PartyKind,
    PostResult,
    Transaction,
    TransactionSpec,
)
from ledger.unit_of_work import AfterCommit

if TYPE_CHECKING:
    from ledger.store import Ledger

__all__ = ["AccountPlan", "AfterCommit", "LedgerSession"]

#: (party, code, type, commodity, must_not_go_negative, display name): an account to open if missing.
AccountPlan = tuple[str, str, AccountType, str, bool, str]


class LedgerSession:
    """The ledger's operations inside one caller's database transaction (see the module docstring)."""

    __slots__ = ("_ledger", "_reach", "_seen", "connection")

    def __init__(self, ledger: Ledger, connection: sa.Connection) -> None:
        self._ledger = ledger
        self.connection = connection
        self._seen: dict[str, Account] = {}
        self._reach: frozenset[str] = frozenset()

    def reach(self, parties: Iterable[str]) -> None:
        """Let this unit of work's postings touch these books besides the caller's own.

        A caller acting for a party (branch, investment-arm and risk-pool staff) may post only to its own
        book and to books the middle layer declares here, from the agreements the caller's party is bound
        by (deals.agreements.reach_of), never from a request. Nothing declared: the caller's own book only.
        Administrators and the system act for no party and are not limited.
        """
        self._reach = self._reach | frozenset(parties)

    # ------------------------------------------------------------------ clock

    def now(self) -> dt.datetime:
        """The ledger's clock (injectable in tests), an aware UTC instant."""
        return self._ledger.now()

    def today(self) -> dt.date:
        """The business date in the ledger's time zone."""
        return self._ledger.today()

    # ------------------------------------------------------------------ books and accounts

    def lock_books(self, parties: Iterable[str]) -> None:
        """Lock these books' heads now, in party-id order, before work that posts several times: a fixed
        order means two units of work touching the same books never deadlock."""
        posting_state.lock_books(self.connection, sorted(set(parties)))

    def party_kinds(self, party_ids: Iterable[str]) -> dict[str, PartyKind]:
        """party id → what kind of legal entity it is, for those of these ids that exist."""
        return self._ledger.catalog.party_kinds(self.connection, party_ids)

    def existing_parties(self, party_ids: Iterable[str]) -> set[str]:
        """Which of these party ids exist."""
        return self._ledger.catalog.existing_parties(self.connection, party_ids)

    def open_accounts(
        self,
        plans: Iterable[AccountPlan],
        *,
        commodity_kind: Mapping[str, tuple[CommodityKind, int]] | None = None,
    ) -> dict[str, Account]:
        """Open every planned account not yet open (idempotent); returns those it opened, by name.

        Commodities missing from the registry are registered from `commodity_kind` (kind, scale) or,
        for ISO currencies, automatically.
        """
        opened = self._ledger.catalog.open_accounts(self.connection, plans, commodity_kind=commodity_kind)
        self._seen.update(opened)
        return opened

    def balances(self, account_names: Sequence[str]) -> dict[str, Balance]:
        """Current balances, seeing this transaction's own postings; names that do not exist are left out."""
        found = self._ledger.balances.balances_within(self.connection, account_names)
        self._seen.update((name, balance.account) for name, balance in found.items())
        return found

    def balances_as_of(self, account_names: Sequence[str], as_of: dt.date) -> dict[str, Balance]:
        """Posted balances as of the end of a value date, seeing this transaction's own postings; names
        that do not exist are left out."""
        return self._ledger.balances.as_of_within(self.connection, account_names, as_of)

    # ------------------------------------------------------------------ the journal

    def post(self, specs: Sequence[TransactionSpec], *, accounts: Mapping[str, Account] | None = None) -> PostResult:
        """Validate and post `specs` (all or nothing) in this transaction; a known request_id replays.

        `accounts` are accounts already resolved in this same session (from `balances` or
        `open_accounts`), so they are not looked up again. System metadata keys (`toudai.*`) are
        allowed: the middle layer is trusted code, not a client.
        """
        return self._ledger.post_within(self.connection, specs, accounts=accounts, reach=self._reach)

    def posted_requests(self, request_ids: Sequence[str]) -> dict[str, tuple[uuid.UUID, str]]:
        """request_id → (transaction id, fingerprint) for those already posted."""
        return posting_state.existing_requests(self.connection, request_ids)

    def transaction(self, name: str) -> Transaction:
        """One transaction by name (transactions/{uuid}), read in this transaction."""
        return self._ledger.journal.get_transaction_within(self.connection, name)

    # ------------------------------------------------------------------ the package's own tables

    def insert_rows(self, table: sa.Table, rows: Sequence[Mapping[str, object]]) -> None:
        """Insert many rows into one of the calling package's own tables, in this transaction, the fastest
        way the database offers (COPY on PostgreSQL, executemany on SQLite). Every row has every column."""
        bulk.insert_rows(self.connection, table, rows)

    # ------------------------------------------------------------------ holds

    def create_hold(
        self,
        *,
        request_id: str,
        debit_account: str,
        credit_account: str,
        commodity: str,
        value: str,
        expire_time: dt.datetime | None = None,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> Hold:
        """Reserve `value` to move from the debit to the credit account (one book); see Ledger.create_hold."""
        return self._ledger.holds.create_hold_in(
            self.connection,
            request_id=request_id,
            debit_account=debit_account,
            credit_account=credit_account,
            commodity=commodity,
            value=value,
            expire_time=expire_time,
            description=description,
            metadata=metadata,
        )

    def capture_hold(
        self,
        *,
        request_id: str,
        name: str,
        value: str | None = None,
        value_date: dt.date | None = None,
    ) -> tuple[Hold, Transaction]:
        """Post all or part of a pending hold and release the rest; see Ledger.capture_hold."""
        return self._ledger.holds.capture_hold_in(
            self.connection, request_id=request_id, name=name, value=value, value_date=value_date, reach=self._reach
        )

    def void_hold(self, *, request_id: str, name: str) -> Hold:
        """Release a pending hold."""
        return self._ledger.holds.void_hold_in(self.connection, request_id=request_id, name=name)

    def hold(self, hold_id: uuid.UUID) -> Hold:
        """A hold by id, read in this transaction."""
        return self._ledger.holds.get_hold_within(self.connection, hold_id)

    # ------------------------------------------------------------------ bookkeeping for the ledger

    def accounts_seen(self) -> Iterable[Account]:
        """Accounts this session opened or read: cached by the ledger once the transaction committed."""
        return self._seen.values()
