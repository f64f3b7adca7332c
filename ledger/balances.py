"""Reading balances: current ones from the running totals (one row per account), as of a value date from
the per-day totals (at most one row per day with activity), and a book's trial balance. Never a scan of
postings.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from ledger import names, posting_state
from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.catalog import Catalog
from ledger.db import Engines
from ledger.errors import (
    NotFound,
    ViolationCollector,
)
from ledger.model import (
    Account,
    Balance,
)
from ledger.posting import balance_of

MAX_BATCH_BALANCES = 1_000


class Balances:
    """Balance reads on one database."""

    def __init__(self, engines: Engines, catalog: Catalog) -> None:
        self._engines = engines
        self._catalog = catalog

    # ------------------------------------------------------------------ balances

    def get_balance(self, account: str, as_of: dt.date | None = None) -> Balance:
        return self.batch_get_balances([account], as_of, field_path="account")[0]

    def batch_get_balances(
        self,
        account_names: Sequence[str],
        as_of: dt.date | None = None,
        *,
        field_path: str = "accounts",
    ) -> list[Balance]:
        """Current balances from the running totals (one row per account), or as of the end of a value
        date from the per-day totals (at most one row per day with activity), never from postings."""
        errors = ViolationCollector()
        if not account_names:
            errors.add(field_path, "is empty: name at least one account")
        if len(account_names) > MAX_BATCH_BALANCES:
            errors.add(
                field_path,
                f"has {len(account_names)} accounts; the limit is {MAX_BATCH_BALANCES}: split the request",
                "BATCH_TOO_LARGE",
            )
        for i, name in enumerate(account_names):
            try:
                names.parse_account_name(name)
            except names.BadName as exc:
                errors.add(
                    f"{field_path}[{i}]" if field_path == "accounts" else field_path,
                    str(exc),
                )
        errors.raise_if_any()
        found = self._catalog.resolve_accounts(account_names)
        for name in account_names:
            if name not in found:
                raise NotFound(name, "account")
        ids = [found[n].id for n in account_names]

        def work(conn: sa.Connection) -> list[Balance]:
            if as_of is None:
                running = posting_state.load_running(conn, ids)
                return [balance_of(found[n], running[found[n].id]) for n in account_names]
            totals = _totals_as_of(conn, [found[n] for n in account_names], as_of)
            return [
                Balance(
                    found[n],
                    found[n].normal(totals.get(found[n].id, 0)),
                    0,
                    as_of=as_of,
                )
                for n in account_names
            ]

        return uow.read(self._engines.reader, work)

    def as_of_within(self, conn: sa.Connection, account_names: Sequence[str], as_of: dt.date) -> dict[str, Balance]:
        """Posted balances as of the end of `as_of`, read on `conn`; names that do not exist are left out."""
        found = self._catalog.resolve_accounts(account_names, conn)
        totals = _totals_as_of(conn, list(found.values()), as_of)
        return {
            name: Balance(account, account.normal(totals.get(account.id, 0)), 0, as_of=as_of)
            for name, account in found.items()
        }

    def balances_within(self, conn: sa.Connection, account_names: Sequence[str]) -> dict[str, Balance]:
        """Current balances read on `conn` (seeing the caller's own uncommitted postings)."""
        found = self._catalog.resolve_accounts(account_names, conn)
        running = posting_state.load_running(conn, [a.id for a in found.values()])
        return {name: balance_of(account, running[account.id]) for name, account in found.items()}

    def trial_balance(self, party_id: str) -> dict[str, int]:
        """Sum of every account's posted balance per commodity in one book: zero in a sound ledger."""
        query = (
            sa.select(t.accounts.c.commodity, sa.func.sum(t.balances.c.posted).label("total"))
            .join(t.balances, t.balances.c.account_id == t.accounts.c.id)
            .where(t.accounts.c.party_id == party_id)
            .group_by(t.accounts.c.commodity)
        )
        return {r.commodity: int(r.total) for r in uow.read(self._engines.reader, lambda c: c.execute(query).all())}


# ---------------------------------------------------------------------- helpers


def _totals_as_of(conn: sa.Connection, accounts: Sequence[Account], as_of: dt.date) -> dict[uuid.UUID, int]:
    """Each account's net posted amount with value date on or before `as_of` (debit positive)."""
    if not accounts:
        return {}
    d = t.daily_balances
    query = (
        sa.select(d.c.account_id, sa.func.coalesce(sa.func.sum(d.c.delta), 0).label("total"))
        # party_id first: it leads the primary key (party_id, account_id, value_date), so this is a range
        # scan of the key, not a scan of every account's days (bench/balance_reads.py)
        .where(
            d.c.party_id.in_(sorted({a.party_id for a in accounts})),
            d.c.account_id.in_([a.id for a in accounts]),
            d.c.value_date <= as_of,
        )
        .group_by(d.c.account_id)
    )
    return {row.account_id: int(row.total) for row in conn.execute(query)}
