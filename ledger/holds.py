"""Two-phase holds: reserve an amount (pending, counted against must-not-go-negative), then capture all or
part of it as a posted transaction, void it, or let it expire. A hold stays within one book and takes
that book's lock like any posting. The settlement workflow holds option units and cash with them.

What is held counts against a guarded account's balance as of today and every later date (a capture is
dated today unless told otherwise, and a future-dated posting may already have lowered a later date); it
does not count before today, where a back-dated capture is checked like any posting when it is made
(docs/accounting.md, "Must-not-go-negative and holds").
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ledger import actor, amounts, names, posting_state
from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.canonical import fingerprint
from ledger.catalog import Catalog, parse_field, positive_amount
from ledger.db import Engines, as_utc
from ledger.errors import (
    FailedPrecondition,
    InsufficientFunds,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.journal import Journal
from ledger.model import (
    Account,
    Hold,
    HoldState,
    Posting,
    PostResult,
    Side,
    Transaction,
)
from ledger.posting import Running, check_capacity, first_shortfall, shortfall_facts
from ledger.validation import (
    ValidTransaction,
    check_metadata,
    check_request_id,
    check_text,
    check_value_date,
)

DEFAULT_HOLD_TTL = dt.timedelta(days=7)
MAX_HOLD_TTL = dt.timedelta(days=366)


class Holds:
    """Holds on one database; `post` appends a validated batch in the caller's transaction (a capture)."""

    def __init__(
        self,
        engines: Engines,
        catalog: Catalog,
        journal: Journal,
        post: Callable[..., PostResult],  # Ledger._post(conn, batch, *, reach=...)
        clock: Callable[[], dt.datetime],
        today: Callable[[], dt.date],
    ) -> None:
        self._engines = engines
        self._catalog = catalog
        self._journal = journal
        self._post = post
        self._clock = clock
        self._today = today

    # ------------------------------------------------------------------ holds

    def create_hold_in(
        self,
        conn: sa.Connection,
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
        """Reserve `value` to move from debit to credit account: it counts against must-not-go-negative.

        Runs inside the caller's database transaction `conn` (create_hold runs it in its own).
        """
        metadata = dict(metadata or {})
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        check_text(description, "description", errors)
        check_metadata(metadata, "metadata", errors)
        now = self._clock()
        expire_at = expire_time or now + DEFAULT_HOLD_TTL
        if expire_at <= now:
            errors.add("expire_time", "is in the past")
        elif expire_at > now + MAX_HOLD_TTL:
            errors.add("expire_time", f"is more than {MAX_HOLD_TTL.days} days ahead")
        found = self._catalog.resolve_accounts([debit_account, credit_account], conn)
        debit, credit = (
            self._hold_account(name, path, found, errors)
            for name, path in (
                (debit_account, "debit_account"),
                (credit_account, "credit_account"),
            )
        )
        amount = 0
        if debit is not None and credit is not None:
            if debit.id == credit.id:
                errors.add("credit_account", "is the same account as debit_account")
            if debit.party_id != credit.party_id:
                errors.add(
                    "credit_account",
                    f"is in parties/{credit.party_id}, the debit account in parties/{debit.party_id}; "
                    "a hold stays within one book",
                )
            if debit.commodity != credit.commodity:
                errors.add(
                    "credit_account",
                    f"holds {credit.commodity}, the debit account {debit.commodity}",
                    "COMMODITY_MISMATCH",
                )
            if commodity != debit.commodity:
                errors.add(
                    "amount.commodity",
                    f"is {commodity!r} but the accounts hold {debit.commodity}",
                    "COMMODITY_MISMATCH",
                )
            else:
                amount = positive_amount(value, debit.scale, "amount.value", errors)
        errors.raise_if_any()
        assert debit is not None and credit is not None
        print_ = fingerprint(
            {
                "debit": debit.name,
                "credit": credit.name,
                "amount": amount,
                "expire": expire_time.isoformat() if expire_time else None,
                "description": description,
                "metadata": metadata,
            }
        )

        def work(conn: sa.Connection) -> Hold:
            posting_state.lock_books(conn, [debit.party_id])
            row = conn.execute(sa.select(t.holds).where(t.holds.c.request_id == request_id)).first()
            if row is not None:
                if row.fingerprint != print_:
                    raise request_id_reused(request_id)
                return self._hold(conn, row)
            running = posting_state.load_running(conn, [debit.id, credit.id])
            running[debit.id].pending_debits += amount
            running[credit.id].pending_credits += amount
            today = self._today()
            # The guarded accounts whose available balance this hold reduces: their per-day totals after
            # today (future-dated postings), since what is held counts against every date from today on.
            reduced = [a for a in (debit, credit) if a.must_not_go_negative and _reduces(a, debit)]
            later = posting_state.load_later(conn, {a.id: (a.party_id, today) for a in reduced})
            self._check_hold_limits([debit, credit], running, later, today, amount, request_id)
            hold = Hold(
                id=uuid.uuid4(),
                request_id=request_id,
                debit_account=debit,
                credit_account=credit,
                amount=amount,
                captured=0,
                state=HoldState.PENDING,
                expire_time=expire_at,
                description=description,
                metadata=metadata,
                create_time=now,
            )
            conn.execute(
                t.holds.insert(),
                {
                    "id": hold.id,
                    "party_id": debit.party_id,
                    "request_id": request_id,
                    "fingerprint": print_,
                    "debit_account_id": debit.id,
                    "credit_account_id": credit.id,
                    "amount": amount,
                    "captured": 0,
                    "state": HoldState.PENDING.value,
                    "expire_at": expire_at,
                    "description": description,
                    "metadata_json": json.dumps(metadata, sort_keys=True, ensure_ascii=False),
                    "created_at": now,
                    **actor.columns(),
                },
            )
            posting_state.write_running(conn, running, {debit.id: debit, credit.id: credit})
            return hold

        return work(conn)

    def _hold_account(
        self,
        name: str,
        path: str,
        found: Mapping[str, Account],
        errors: ViolationCollector,
    ) -> Account | None:
        try:
            names.parse_account_name(name)
        except names.BadName as exc:
            errors.add(path, str(exc))
            return None
        account = found.get(name)
        if account is None:
            errors.add(path, f"account {name} does not exist", "UNKNOWN_ACCOUNT")
        return account

    def _check_hold_limits(
        self,
        accounts_: Sequence[Account],
        running: Mapping[uuid.UUID, Running],
        later: Mapping[uuid.UUID, Sequence[tuple[dt.date, int]]],
        today: dt.date,
        amount: int,
        request_id: str,
    ) -> None:
        """Capacity, and must-not-go-negative as of today and every later date with what is held (this
        hold included) counted against each: `later` holds the per-day totals after today of the guarded
        accounts this hold reduces (ledger.posting.first_shortfall)."""
        for account in accounts_:
            state = running[account.id]
            check_capacity(account, state, request_id, request_id)
            if not account.must_not_go_negative:
                continue
            shortfall = first_shortfall(
                today,
                today,
                account.normal(state.posted),
                account.held(state.pending_debits, state.pending_credits),
                [(day, account.normal(delta)) for day, delta in later.get(account.id, ())],
            )
            if shortfall is not None:
                cures = [f"hold at most {amounts.format_minor(amount - shortfall.most, account.scale)}"]
                if shortfall.most >= amount:  # short even without this hold: nothing smaller helps
                    cures = []
                cures.append(
                    f"fund the account first (at least {amounts.format_minor(shortfall.most, account.scale)} "
                    f"{account.commodity})"
                )
                violation = PreconditionViolation(
                    "INSUFFICIENT_FUNDS",
                    account.name,
                    f"{account.name} must not go negative: with this hold, {shortfall_facts(account, shortfall)}; "
                    f"{', or '.join(cures)}",
                )
                raise InsufficientFunds(
                    violation.description,
                    [violation],
                    metadata={"request_id": request_id, "account": account.name},
                )

    def _locked_hold(self, conn: sa.Connection, hold_id: uuid.UUID, name: str) -> Any:
        row = conn.execute(sa.select(t.holds.c.party_id).where(t.holds.c.id == hold_id)).first()
        if row is None:
            raise NotFound(name, "hold")
        posting_state.lock_books(conn, [row.party_id])
        return conn.execute(sa.select(t.holds).where(t.holds.c.id == hold_id)).one()

    def _release(self, conn: sa.Connection, row: Any) -> None:
        running = posting_state.load_running(conn, [row.debit_account_id, row.credit_account_id])
        running[row.debit_account_id].pending_debits -= row.amount
        running[row.credit_account_id].pending_credits -= row.amount
        touched = self._catalog.accounts_by_ids(conn, running.keys())
        posting_state.write_running(conn, running, touched)

    def capture_hold_in(
        self,
        conn: sa.Connection,
        *,
        request_id: str,
        name: str,
        value: str | None = None,
        value_date: dt.date | None = None,
        reach: frozenset[str] = frozenset(),
    ) -> tuple[Hold, Transaction]:
        """Post all or part of a pending hold and release the rest, in one database transaction
        (the caller's `conn`; capture_hold runs it in its own). `reach`: the books besides the caller's own
        its capture may post to (LedgerSession.reach), as for any posting."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        hold_id = None
        try:
            hold_id = names.parse_uuid_name(name, "holds")
        except names.BadName as exc:
            errors.add("name", str(exc))
        if value_date is not None:
            check_value_date(value_date, "value_date", errors, self._today())
        errors.raise_if_any()
        assert hold_id is not None
        capture_date = value_date or self._today()

        def work(conn: sa.Connection) -> tuple[Hold, Transaction]:
            row = self._locked_hold(conn, hold_id, name)
            hold = self._hold(conn, row)
            previous = posting_state.existing_requests(conn, [request_id])
            if request_id in previous:
                if row.capture_transaction_id == previous[request_id][0]:
                    return hold, self._journal.load_transactions(conn, [row.capture_transaction_id])[0]
                raise request_id_reused(request_id)
            if hold.state is not HoldState.PENDING:
                raise _hold_state(hold, "captured")
            if as_utc(row.expire_at) <= self._clock():
                self._expire(conn, row)
                raise uow.AfterCommit(
                    FailedPrecondition(
                        f"{name} expired at {as_utc(row.expire_at).isoformat()} and was released; "
                        "it cannot be captured",
                        [PreconditionViolation("HOLD_EXPIRED", name, "the hold expired")],
                        reason="HOLD_EXPIRED",
                    )
                )
            errs = ViolationCollector()
            amount = (
                hold.amount if value is None else positive_amount(value, hold.debit_account.scale, "amount.value", errs)
            )
            if not errs and amount > hold.amount:
                errs.add(
                    "amount.value",
                    f"is more than the hold's {amounts.format_minor(hold.amount, hold.debit_account.scale)}",
                    "CAPTURE_EXCEEDS_HOLD",
                )
            errs.raise_if_any()
            self._release(conn, row)
            spec = ValidTransaction(
                request_id=request_id,
                value_date=capture_date,
                description=hold.description or f"Capture of {hold.name}",
                metadata={**hold.metadata, "toudai.hold": str(hold.id)},
                postings=(
                    Posting(hold.debit_account, Side.DEBIT, amount),
                    Posting(hold.credit_account, Side.CREDIT, amount),
                ),
                reverses=None,
                fingerprint=fingerprint(
                    {
                        "capture": str(hold.id),
                        "amount": amount,
                        "value_date": capture_date.isoformat(),
                    }
                ),
            )
            result = self._post(conn, [spec], reach=reach)
            posted = result.transactions[0]
            conn.execute(
                t.holds.update()
                .where(t.holds.c.id == hold.id)
                .values(
                    state=HoldState.CAPTURED.value,
                    captured=amount,
                    capture_transaction_id=posted.id,
                    resolved_at=self._clock(),
                    **actor.columns("resolved_"),
                )
            )
            return self._hold(
                conn,
                conn.execute(sa.select(t.holds).where(t.holds.c.id == hold.id)).one(),
            ), posted

        return work(conn)

    def void_hold_in(self, conn: sa.Connection, *, request_id: str, name: str) -> Hold:
        """Release a pending hold, inside the caller's database transaction `conn` (void_hold runs it in its own)."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        hold_id = None
        try:
            hold_id = names.parse_uuid_name(name, "holds")
        except names.BadName as exc:
            errors.add("name", str(exc))
        errors.raise_if_any()
        assert hold_id is not None

        def work(conn: sa.Connection) -> Hold:
            row = self._locked_hold(conn, hold_id, name)
            if row.void_request_id == request_id:
                return self._hold(conn, row)
            hold = self._hold(conn, row)
            if hold.state is not HoldState.PENDING:
                raise _hold_state(hold, "voided")
            self._release(conn, row)
            conn.execute(
                t.holds.update()
                .where(t.holds.c.id == hold.id)
                .values(
                    state=HoldState.VOIDED.value,
                    void_request_id=request_id,
                    resolved_at=self._clock(),
                    **actor.columns("resolved_"),
                )
            )
            return self._hold(
                conn,
                conn.execute(sa.select(t.holds).where(t.holds.c.id == hold.id)).one(),
            )

        return work(conn)

    # ------------------------------------------------------------------ each in its own unit of work

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
        """CreateHold: `create_hold_in` in a unit of work of its own."""
        return uow.run(
            self._engines.writer,
            lambda conn: self.create_hold_in(
                conn,
                request_id=request_id,
                debit_account=debit_account,
                credit_account=credit_account,
                commodity=commodity,
                value=value,
                expire_time=expire_time,
                description=description,
                metadata=metadata,
            ),
            what="CreateHold",
        )

    def capture_hold(
        self, *, request_id: str, name: str, value: str | None = None, value_date: dt.date | None = None
    ) -> tuple[Hold, Transaction]:
        """CaptureHold: `capture_hold_in` in a unit of work of its own."""
        return uow.run(
            self._engines.writer,
            lambda conn: self.capture_hold_in(
                conn, request_id=request_id, name=name, value=value, value_date=value_date
            ),
            what="CaptureHold",
        )

    def void_hold(self, *, request_id: str, name: str) -> Hold:
        """VoidHold: `void_hold_in` in a unit of work of its own."""
        return uow.run(
            self._engines.writer,
            lambda conn: self.void_hold_in(conn, request_id=request_id, name=name),
            what="VoidHold",
        )

    def get_hold(self, name: str) -> Hold:
        hold_id = parse_field(lambda n: names.parse_uuid_name(n, "holds"), name, "name")

        def work(conn: sa.Connection) -> Hold:
            row = conn.execute(sa.select(t.holds).where(t.holds.c.id == hold_id)).first()
            if row is None:
                raise NotFound(name, "hold")
            return self._hold(conn, row)

        return uow.read(self._engines.reader, work)

    def get_hold_within(self, conn: sa.Connection, hold_id: uuid.UUID) -> Hold:
        """A hold read on the caller's connection (inside its unit of work)."""
        row = conn.execute(sa.select(t.holds).where(t.holds.c.id == hold_id)).first()
        if row is None:
            raise NotFound(f"holds/{hold_id}", "hold")
        return self._hold(conn, row)

    def expire_holds(self, limit: int = 1_000) -> int:
        """Release pending holds whose expiry has passed; returns how many. Safe to run from any replica."""
        now = self._clock()
        query = (
            sa.select(t.holds.c.id, t.holds.c.party_id)
            .where(t.holds.c.state == HoldState.PENDING.value, t.holds.c.expire_at <= now)
            .limit(limit)
        )
        due = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        expired = 0
        for hold_id, _party_id in due:

            def work(conn: sa.Connection, hold_id: uuid.UUID = hold_id) -> int:
                row = self._locked_hold(conn, hold_id, f"holds/{hold_id}")
                if row.state != HoldState.PENDING.value:
                    return 0
                self._expire(conn, row)
                return 1

            expired += uow.run(self._engines.writer, work, what="ExpireHold")
        return expired

    def _expire(self, conn: sa.Connection, row: Any) -> None:
        self._release(conn, row)
        conn.execute(
            t.holds.update()
            .where(t.holds.c.id == row.id)
            .values(state=HoldState.EXPIRED.value, resolved_at=self._clock(), **actor.columns("resolved_"))
        )

    def _hold(self, conn: sa.Connection, row: Any) -> Hold:
        accounts_ = self._catalog.accounts_by_ids(conn, [row.debit_account_id, row.credit_account_id])
        return Hold(
            id=row.id,
            request_id=row.request_id,
            debit_account=accounts_[row.debit_account_id],
            credit_account=accounts_[row.credit_account_id],
            amount=row.amount,
            captured=row.captured,
            state=HoldState(row.state),
            expire_time=as_utc(row.expire_at),
            description=row.description,
            metadata=json.loads(row.metadata_json),
            create_time=as_utc(row.created_at),
            capture_transaction=row.capture_transaction_id,
        )


def _reduces(account: Account, debit: Account) -> bool:
    """Whether a hold from `debit` reduces `account`'s normal-side balance (the debit account if it is
    credit-normal, the credit account if it is debit-normal), i.e. counts as held on it."""
    return account.type.debit_normal != (account is debit)


def _hold_state(hold: Hold, verb: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"{hold.name} is {hold.state.value}; only a pending hold can be {verb}",
        [PreconditionViolation("HOLD_NOT_PENDING", hold.name, f"state is {hold.state.value}")],
        reason="HOLD_NOT_PENDING",
        metadata={"state": hold.state.value},
    )
