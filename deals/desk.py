"""The deal desk: books linked deals and runs their loans on the ledger, one unit of work per step.

Each step locks the deal's row (so concurrent calls on one deal serialise), locks every book the deal
posts to in party-id order (so steps on different deals sharing a branch or pool cannot deadlock),
checks the state machine, posts its journal entries through the ledger in the same database
transaction, and appends an event. A retried request_id returns the recorded outcome and posts nothing.

State machine:  booked → disbursed → repaying → closed
                            └──────────┴──→ defaulted → written_off
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import accounting, codec, uscc
from deals import schema as ds
from deals.accrual import AccrualState, accrue, start_segment
from deals.schedule import Period, build_schedule, round_fen
from deals.terms import DealTerms, option_quantity, validate_terms
from ledger import names, pagination
from ledger.amounts import format_minor
from ledger.canonical import fingerprint
from ledger.db import as_utc
from ledger.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import CommodityKind, Page
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import check_request_id, check_value_date

DEAL_ID_MAX = 40
BOOK_MANY_LIMIT = 500
"""Deals per `book_many` call: their accounts (about 10 each) are looked up in one query, which keeps its
bound parameters (two per account) inside SQLite's limit of 32,766."""


class DealStatus(enum.Enum):
    BOOKED = "booked"
    DISBURSED = "disbursed"
    REPAYING = "repaying"
    CLOSED = "closed"
    DEFAULTED = "defaulted"
    WRITTEN_OFF = "written_off"


@dataclass(frozen=True, slots=True)
class DealEvent:
    kind: str
    value_date: dt.date
    request_id: str
    transaction: str
    create_time: dt.datetime
    details: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Deal:
    """A deal as stored, with its live balances from the ledger (fen)."""

    id: str
    status: DealStatus
    terms: DealTerms
    option_quantity: int
    principal_outstanding: int
    interest_receivable: int
    subsidy_receivable: int
    accrued_to: dt.date | None
    create_time: dt.datetime
    events: tuple[DealEvent, ...]

    @property
    def name(self) -> str:
        return f"deals/{self.id}"

    @property
    def option_commodity(self) -> str:
        return accounting.option_commodity(self.id)


@dataclass(frozen=True, slots=True)
class Booking:
    """One deal to book: the caller's idempotency key, the deal id and its terms."""

    request_id: str
    deal_id: str
    terms: DealTerms


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A booking checked and encoded: what recording it needs."""

    request_id: str
    deal_id: str
    terms: DealTerms
    encoded: str
    fingerprint: str
    accounts: accounting.DealAccounts | None
    quantity: int


@dataclass(frozen=True, slots=True)
class StepResult:
    """The deal after a step, the step's amounts (fen, by name) and the transactions it posted."""

    deal: Deal
    amounts: Mapping[str, int]
    transactions: tuple[str, ...]


def _accounts(deal_id: str, terms: DealTerms) -> accounting.DealAccounts:
    return accounting.DealAccounts(
        deal=deal_id,
        branch=terms.branch,
        holder=terms.option.holder,
        pool=terms.risk.pool,
        subsidy_fund=terms.subsidy_fund if terms.subsidy.kind.value != "none" else "",
        insurer=terms.risk.insurer,
    )


class DealDesk:
    """Linked deals on a `Ledger` (same database)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._terms_cache: dict[str, DealTerms] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ booking

    def book(
        self, *, request_id: str, deal_id: str, terms: DealTerms, violations: Iterable[FieldViolation] = ()
    ) -> Deal:
        """Validate every term at once, open the deal's accounts and record the option units.

        `violations` are problems the caller already found (e.g. unreadable fields of a request); they are
        reported together with the rest, so a booking is refused once with everything that is wrong.
        """
        errors = ViolationCollector(list(violations))
        booking = self._prepare(Booking(request_id, deal_id, terms), "", errors)
        errors.raise_if_any()

        def work(session: LedgerSession) -> Deal:

            conn = session.connection
            row = conn.execute(sa.select(ds.deals).where(ds.deals.c.request_id == request_id)).first()
            if row is not None:
                if row.fingerprint != booking.fingerprint:
                    raise request_id_reused(request_id)
                return self._deal(session, row)
            self._insert_bookings(session, [booking], lambda _: "")
            return self._deal(session, self._locked(conn, deal_id))

        return self._ledger.write(work, what="BookLinkedDeal")

    def book_many(self, bookings: Sequence[Booking]) -> tuple[str, ...]:
        """Book up to `BOOK_MANY_LIMIT` deals in one unit of work, all or nothing; returns their names.

        For loading a portfolio (a migration, a benchmark's book of 10,000 deals): each deal gets exactly
        what `book` gives it (the same validation, accounts, option-grant transaction, request ids and
        event), but the accounts are opened, the grants posted and the rows inserted for the whole batch
        at once, which is several times faster than a unit of work per deal. Bookings whose request_id
        is already recorded with the same terms are replays and are skipped; with other terms the batch
        is refused (ALREADY_EXISTS). Fields are reported as `bookings[i].terms...`.
        """
        errors = ViolationCollector()
        if not bookings or len(bookings) > BOOK_MANY_LIMIT:
            errors.add("bookings", f"must hold 1 to {BOOK_MANY_LIMIT} bookings, got {len(bookings)}")
        errors.raise_if_any()
        prepared = [self._prepare(b, f"bookings[{i}].", errors) for i, b in enumerate(bookings)]
        keys = (("request_id", [b.request_id for b in bookings]), ("deal_id", [b.deal_id for b in bookings]))
        for what, values in keys:
            first: dict[str, int] = {}
            for i, value in enumerate(values):
                if value in first:
                    errors.add(f"bookings[{i}].{what}", f"repeats bookings[{first[value]}].{what}", "DUPLICATE")
                first.setdefault(value, i)
        errors.raise_if_any()
        index = {b.request_id: i for i, b in enumerate(bookings)}

        def work(session: LedgerSession) -> tuple[str, ...]:

            conn = session.connection
            recorded = {
                r.request_id: r.fingerprint
                for start in range(0, len(prepared), 500)
                for r in conn.execute(
                    sa.select(ds.deals.c.request_id, ds.deals.c.fingerprint).where(
                        ds.deals.c.request_id.in_([p.request_id for p in prepared[start : start + 500]])
                    )
                )
            }
            for request_id, print_ in recorded.items():
                if prepared[index[request_id]].fingerprint != print_:
                    raise request_id_reused(request_id)
            fresh = [p for p in prepared if p.request_id not in recorded]
            if fresh:
                self._insert_bookings(session, fresh, lambda p: f"bookings[{index[p.request_id]}].")
            return tuple(f"deals/{p.deal_id}" for p in prepared)

        return self._ledger.write(work, what="BookLinkedDeals")

    def _prepare(self, booking: Booking, prefix: str, errors: ViolationCollector) -> _Prepared:
        """Check one booking (violations go to `errors`, fields under `prefix`) and encode its terms."""
        check_request_id(booking.request_id, f"{prefix}request_id", errors)
        deal_id, terms = booking.deal_id, booking.terms
        if not names.PARTY_ID.match(deal_id or "") or len(deal_id) > DEAL_ID_MAX:
            errors.add(
                f"{prefix}deal_id",
                f"must be 1 to {DEAL_ID_MAX} lowercase letters, digits or hyphens, starting with a letter",
            )
        before = len(errors.violations)
        validate_terms(terms, errors, prefix=f"{prefix}terms.")
        if len(errors.violations) > before:
            return _Prepared(booking.request_id, deal_id, terms, "", "", None, 0)
        encoded = codec.terms_to_json(terms)
        print_ = fingerprint({"deal": deal_id, "terms": json.loads(encoded)})
        return _Prepared(
            booking.request_id, deal_id, terms, encoded, print_, _accounts(deal_id, terms), option_quantity(terms)
        )

    def _insert_bookings(
        self, session: LedgerSession, bookings: Sequence[_Prepared], prefix: Callable[[_Prepared], str]
    ) -> None:
        """Record new deals (checked, not yet recorded) inside the caller's unit of work."""
        conn = session.connection
        ids = [b.deal_id for b in bookings]
        taken = {
            r.id
            for start in range(0, len(ids), 500)
            for r in conn.execute(sa.select(ds.deals.c.id).where(ds.deals.c.id.in_(ids[start : start + 500])))
        }
        if taken:
            first = next(i for i in ids if i in taken)
            raise AlreadyExists(f"deal deals/{first} already exists", reason="DEAL_EXISTS")
        parties = sorted({p for b in bookings for p in b.terms.parties()})
        missing = set(parties) - session.existing_parties(parties)
        if missing:
            raise InvalidArgument(
                [
                    FieldViolation(prefix(b) + v.field, v.description, v.reason)
                    for b in bookings
                    for v in _party_violations(b.terms, missing)
                ]
            )
        session.lock_books(parties)
        now = session.now()
        session.open_accounts(
            [
                (p.party, p.code, p.type, p.commodity, p.guarded, p.display_name)
                for b in bookings
                for p in b.accounts.plan()  # type: ignore[union-attr]  # set for every checked booking
            ],
            commodity_kind={deal_option_commodity(b.deal_id): (CommodityKind.OPTION, 0) for b in bookings},
        )
        conn.execute(
            ds.deals.insert(),
            [
                {
                    "id": b.deal_id,
                    "branch": b.terms.branch,
                    "holder": b.terms.option.holder,
                    "pool": b.terms.risk.pool,
                    "borrower_uscc": b.terms.borrower.uscc,
                    "status": DealStatus.BOOKED.value,
                    "terms_json": b.encoded,
                    "option_quantity": b.quantity,
                    "request_id": b.request_id,
                    "fingerprint": b.fingerprint,
                    "created_at": now,
                    "updated_at": now,
                }
                for b in bookings
            ],
        )
        today = session.today()
        booked_on = [min(b.terms.loan.start, today) for b in bookings]
        posted = session.post(
            [
                accounting.grant_option(
                    b.accounts,  # type: ignore[arg-type]  # set for every checked booking
                    _ledger_request(b.deal_id, 1, 0),
                    day,
                    b.quantity,
                    _meta(b.deal_id, "booked"),
                )
                for b, day in zip(bookings, booked_on, strict=True)
            ],
        )
        conn.execute(
            ds.deal_events.insert(),
            [
                _event_row(
                    b.deal_id,
                    1,
                    "booked",
                    b.request_id,
                    b.fingerprint,
                    day,
                    tx.id,
                    {"option_quantity": str(b.quantity)},
                    now,
                )
                for b, day, tx in zip(bookings, booked_on, posted.transactions, strict=True)
            ],
        )

    # ------------------------------------------------------------------ reading

    def get(self, name: str) -> Deal:
        deal_id = _deal_id(name, "name")

        def work(session: LedgerSession) -> Deal:

            conn = session.connection
            row = conn.execute(sa.select(ds.deals).where(ds.deals.c.id == deal_id)).first()
            if row is None:
                raise NotFound(name, "deal")
            return self._deal(session, row)

        return self._ledger.read(work)

    def list_deals(
        self,
        *,
        branch: str = "",
        status: DealStatus | None = None,
        borrower_uscc: str = "",
        holder: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Deal]:
        size = pagination.page_size(page_size)
        errors = ViolationCollector()
        parties = {}
        for field, value in (("branch", branch), ("holder", holder)):
            if value:
                try:
                    parties[field] = names.parse_party_name(value)
                except names.BadName as exc:
                    errors.add(field, str(exc))
        if borrower_uscc:  # a malformed code matches nothing; say so (and keep e.g. NUL out of the query)
            try:
                uscc.validate(borrower_uscc)
            except uscc.InvalidUSCC as exc:
                errors.add("borrower_uscc", f"is not a valid unified social credit code: {exc}", "INVALID_USCC")
        errors.raise_if_any()
        filters = {
            "list": "deals",
            "branch": branch,
            "status": status.value if status else "",
            "borrower": borrower_uscc,
            "holder": holder,
        }
        after = pagination.decode(page_token, filters, (pagination.text,))
        query = sa.select(ds.deals).order_by(ds.deals.c.id).limit(size + 1)
        if "branch" in parties:
            query = query.where(ds.deals.c.branch == parties["branch"])
        if "holder" in parties:
            query = query.where(ds.deals.c.holder == parties["holder"])
        if status is not None:
            query = query.where(ds.deals.c.status == status.value)
        if borrower_uscc:
            query = query.where(ds.deals.c.borrower_uscc == borrower_uscc)
        if after:
            query = query.where(ds.deals.c.id > after[0])

        def work(session: LedgerSession) -> list[Deal]:

            conn = session.connection
            return [self._deal(session, row) for row in conn.execute(query).all()]

        found = self._ledger.read(work)
        items = found[:size]
        token = pagination.encode(filters, [items[-1].id]) if len(found) > size else ""
        return Page(tuple(items), token)

    def schedule(self, name: str) -> list[Period]:
        deal = self.get(name)
        return build_schedule(deal.terms.loan, deal.terms.subsidy)

    # ------------------------------------------------------------------ steps

    def disburse(self, *, request_id: str, name: str, value_date: dt.date | None) -> StepResult:
        def step(ctx: _Step) -> None:
            ctx.require(DealStatus.BOOKED, verb="disbursed")
            day = ctx.value_date or ctx.terms.loan.start
            ctx.post(accounting.disburse(ctx.accounts, ctx.ledger_request(), day, ctx.terms.loan.principal, ctx.meta()))
            ctx.state = AccrualState(accrued_to=day, segment_start=day)
            ctx.status = DealStatus.DISBURSED
            ctx.day = day
            ctx.amounts["principal"] = ctx.terms.loan.principal

        # The value date as requested (empty: the start date) is part of the payload, so a retry with
        # another date is a different request, not a replay.
        payload = {"date": value_date.isoformat() if value_date else ""}
        return self._step(request_id, name, "disbursed", value_date, step, payload=payload)

    def accrue_interest(self, *, request_id: str, name: str, to_date: dt.date) -> StepResult:
        def step(ctx: _Step) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="accrued")
            ctx.accrue_to(to_date)

        return self._step(request_id, name, "accrued", to_date, step, payload={"to": to_date.isoformat()})

    def repay(self, *, request_id: str, name: str, amount: int, value_date: dt.date) -> StepResult:
        """Allocate a payment to overdue interest, then current interest, then principal (prepayment)."""
        if amount <= 0:
            raise InvalidArgument.one("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")

        def step(ctx: _Step) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="repaid")
            ctx.accrue_to(value_date)
            balances = ctx.balances()
            interest_due = balances["interest-receivable"]
            principal_due = balances["loans"]
            if amount > interest_due + principal_due:
                raise InvalidArgument.one(
                    "amount",
                    f"{_yuan(amount)} is more than the {_yuan(interest_due + principal_due)} owed "
                    f"({_yuan(interest_due)} interest, {_yuan(principal_due)} principal)",
                    "OVERPAYMENT",
                )
            state = ctx.accrual()
            current_due = min(interest_due, state.period_borrower_interest)
            overdue_due = interest_due - current_due
            overdue = min(amount, overdue_due)
            current = min(amount - overdue, current_due)
            principal = amount - overdue - current
            subsidy = balances["subsidy-receivable"]
            ctx.post(
                accounting.repay(
                    ctx.accounts, ctx.ledger_request(), value_date, overdue + current, principal, subsidy, ctx.meta()
                )
            )
            if principal:
                ctx.state = start_segment(state, value_date)
            ctx.status = DealStatus.REPAYING
            ctx.amounts.update(overdue_interest=overdue, interest=current, principal=principal, subsidy=subsidy)

        return self._step(
            request_id, name, "repaid", value_date, step, payload={"amount": amount, "date": value_date.isoformat()}
        )

    def record_default(self, *, request_id: str, name: str, value_date: dt.date, reason: str) -> StepResult:
        """Measure the loss and have the pool (up to its cap and its cash) and the insurer cover their shares."""

        def step(ctx: _Step) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="defaulted")
            ctx.accrue_to(value_date)
            balances = ctx.balances()
            risk = ctx.terms.risk
            loss = balances["loans"] + balances["interest-receivable"]
            compensation = round_fen(Decimal(loss) * risk.compensation_rate)
            if risk.cap:
                compensation = min(compensation, risk.cap)
            pool_cash = ctx.session.balances([names.account_name(risk.pool, "cash")])
            available = max(next(iter(pool_cash.values())).available, 0)
            paid = min(compensation, available)
            insurer = round_fen(Decimal(loss) * risk.insurer_rate) if risk.insurer else 0
            amounts = accounting.DefaultAmounts(
                principal=balances["loans"],
                interest=balances["interest-receivable"],
                pool_paid=paid,
                pool_claim=compensation - paid,
                insurer=insurer,
            )
            ctx.post(accounting.default(ctx.accounts, ctx.ledger_request(), value_date, amounts, ctx.meta()))
            ctx.status = DealStatus.DEFAULTED
            ctx.defaulted = True
            ctx.amounts.update(
                loss=loss, compensation_paid=paid, compensation_claim=compensation - paid, insurer_share=insurer
            )

        return self._step(
            request_id,
            name,
            "defaulted",
            value_date,
            step,
            payload={"date": value_date.isoformat(), "reason": reason},
            note=reason,
        )

    def write_off(self, *, request_id: str, name: str, value_date: dt.date) -> StepResult:
        def step(ctx: _Step) -> None:
            ctx.require(DealStatus.DEFAULTED, verb="written off")
            balances = ctx.balances()
            ctx.post(
                accounting.write_off(
                    ctx.accounts,
                    ctx.ledger_request(),
                    value_date,
                    balances["loans"],
                    balances["interest-receivable"],
                    ctx.meta(),
                )
            )
            ctx.status = DealStatus.WRITTEN_OFF
            ctx.amounts["written_off"] = balances["loans"] + balances["interest-receivable"]

        return self._step(request_id, name, "written_off", value_date, step, payload={"date": value_date.isoformat()})

    def close(self, *, request_id: str, name: str) -> StepResult:
        def step(ctx: _Step) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="closed")
            balances = ctx.balances()
            owed = {
                k: v for k, v in balances.items() if k in ("loans", "interest-receivable", "subsidy-receivable") and v
            }
            if owed:
                raise FailedPrecondition(
                    f"deals/{ctx.deal_id} still has "
                    + ", ".join(f"{_yuan(v)} on {k}" for k, v in sorted(owed.items()))
                    + "; record the repayment first",
                    [PreconditionViolation("NOT_REPAID", f"deals/{ctx.deal_id}", "balances remain")],
                    reason="NOT_REPAID",
                )
            ctx.status = DealStatus.CLOSED

        return self._step(request_id, name, "closed", None, step, payload={})

    def fund_pool(self, *, request_id: str, pool: str, amount: int, value_date: dt.date) -> tuple[int, tuple[str, ...]]:
        """Fill a risk pool and pay its open claims, oldest default first, as far as the money goes."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        pool_id = ""
        try:
            pool_id = names.parse_party_name(pool)
        except names.BadName as exc:
            errors.add("risk_pool", str(exc))
        if amount <= 0:
            errors.add("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")
        check_value_date(value_date, "value_date", errors, self._ledger.today())
        errors.raise_if_any()
        ledger_request = f"pool-funding:{request_id}"

        def work(session: LedgerSession) -> tuple[int, tuple[str, ...]]:

            conn = session.connection
            if not session.existing_parties([pool_id]):
                raise NotFound(pool, "risk pool")
            claims = conn.execute(
                sa.select(ds.deals.c.id, ds.deals.c.terms_json, ds.deals.c.branch)
                .where(ds.deals.c.pool == pool_id, ds.deals.c.defaulted_at.is_not(None))
                .order_by(ds.deals.c.defaulted_at, ds.deals.c.id)
            ).all()
            session.lock_books([pool_id, *(r.branch for r in claims)])
            # A pool may be funded before any deal names it: open its cash and capital accounts if needed.
            session.open_accounts(
                [
                    (p.party, p.code, p.type, p.commodity, p.guarded, p.display_name)
                    for p in accounting.DealAccounts(deal="-", branch="-", holder="-", pool=pool_id).plan()
                    if p.party == pool_id and p.code in ("cash", "capital")
                ],
            )
            replay = ledger_request in session.posted_requests([ledger_request])
            # The ledger refuses the same request_id with another pool, amount or date (REQUEST_ID_REUSED).
            funding = session.post(
                [
                    accounting.fund_pool(
                        pool_id, ledger_request, value_date, amount, {"toudai.pool_funding": request_id}
                    )
                ],
            )
            posted = [funding.transactions[0].name]
            payments = sa.select(ds.deal_events).where(ds.deal_events.c.request_id.like(f"{request_id}#%"))
            if replay:
                rows = conn.execute(payments).all()
                paid = sum(int(json.loads(r.details_json)["paid"]) for r in rows)
                return paid, tuple(posted + [f"transactions/{r.transaction_id}" for r in rows])
            cash = session.balances([names.account_name(pool_id, "cash")])
            remaining = max(next(iter(cash.values())).available, 0)
            total = 0
            for i, row in enumerate(claims):
                accounts = _accounts(row.id, self._terms(row.id, row.terms_json))
                owed = session.balances([accounts.deal_account(pool_id, "claims-payable")])
                pay = min(next(iter(owed.values())).balance, remaining)
                if pay <= 0:
                    continue
                seq = self._next_seq(conn, row.id)
                spec = accounting.pay_claim(
                    accounts, _ledger_request(row.id, seq, 0), value_date, pay, _meta(row.id, "claim_paid")
                )
                result = session.post([spec])
                self._append_event(
                    conn,
                    row.id,
                    seq,
                    "claim_paid",
                    f"{request_id}#{i}",
                    fingerprint({"funding": request_id, "paid": pay}),
                    value_date,
                    result.transactions[0].id,
                    {"paid": str(pay)},
                    session.now(),
                )
                posted.append(result.transactions[0].name)
                remaining -= pay
                total += pay
            return total, tuple(posted)

        return self._ledger.write(work, what="FundRiskPool")

    # ------------------------------------------------------------------ machinery

    def _step(
        self,
        request_id: str,
        name: str,
        kind: str,
        value_date: dt.date | None,
        apply: Callable[[_Step], None],
        *,
        payload: Mapping[str, Any],
        note: str = "",
    ) -> StepResult:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        deal_id = ""
        try:
            deal_id = _deal_id(name, "name")
        except InvalidArgument as exc:
            errors.violations.extend(exc.violations)
        if value_date is not None:
            check_value_date(value_date, "value_date", errors, self._ledger.today())
        errors.raise_if_any()
        print_ = fingerprint({"deal": deal_id, "kind": kind, **payload})

        def work(session: LedgerSession) -> StepResult:

            conn = session.connection
            row = self._locked(conn, deal_id)
            previous = conn.execute(sa.select(ds.deal_events).where(ds.deal_events.c.request_id == request_id)).first()
            if previous is not None:
                if previous.fingerprint != print_ or previous.deal_id != deal_id:
                    raise request_id_reused(request_id)
                details = json.loads(previous.details_json)
                return StepResult(
                    self._deal(session, row),
                    {k: int(v) for k, v in details.items() if k != "note" and str(v).lstrip("-").isdigit()},
                    tuple(f"transactions/{t}" for t in details.get("transactions", "").split(",") if t),
                )
            terms = codec.terms_from_json(row.terms_json)
            session.lock_books(terms.parties())
            ctx = _Step(self, session, row, terms, value_date)
            apply(ctx)
            now = session.now()
            updates: dict[str, Any] = {"status": ctx.status.value, "updated_at": now}
            if ctx.state is not None:
                updates.update(
                    accrued_to=ctx.state.accrued_to,
                    segment_start=ctx.state.segment_start,
                    segment_interest=ctx.state.segment_interest,
                    segment_subsidy=ctx.state.segment_subsidy,
                    subsidy_before_segment=ctx.state.subsidy_before_segment,
                    period_borrower_interest=ctx.state.period_borrower_interest,
                )
            if ctx.defaulted:
                updates["defaulted_at"] = now
            conn.execute(ds.deals.update().where(ds.deals.c.id == deal_id).values(**updates))
            details = {k: str(v) for k, v in ctx.amounts.items()}
            details["transactions"] = ",".join(str(t) for t in ctx.posted)
            if note:
                details["note"] = note
            self._append_event(
                conn,
                deal_id,
                ctx.seq,
                kind,
                request_id,
                print_,
                ctx.day or value_date or session.today(),
                ctx.posted[0] if ctx.posted else None,
                details,
                now,
            )
            return StepResult(
                self._deal(session, self._locked(conn, deal_id)),
                dict(ctx.amounts),
                tuple(f"transactions/{t}" for t in ctx.posted),
            )

        return self._ledger.write(work, what=f"deal step {kind}")

    def _locked(self, conn: sa.Connection, deal_id: str) -> Any:
        row = conn.execute(sa.select(ds.deals).where(ds.deals.c.id == deal_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"deals/{deal_id}", "deal")
        return row

    def _next_seq(self, conn: sa.Connection, deal_id: str) -> int:
        last = conn.execute(
            sa.select(sa.func.max(ds.deal_events.c.seq)).where(ds.deal_events.c.deal_id == deal_id)
        ).scalar()
        return int(last or 0) + 1

    def _append_event(
        self,
        conn: sa.Connection,
        deal_id: str,
        seq: int,
        kind: str,
        request_id: str,
        print_: str,
        value_date: dt.date,
        transaction_id: Any,
        details: Mapping[str, str],
        now: dt.datetime,
    ) -> None:
        conn.execute(
            ds.deal_events.insert(),
            _event_row(deal_id, seq, kind, request_id, print_, value_date, transaction_id, details, now),
        )

    def _terms(self, deal_id: str, terms_json: str) -> DealTerms:
        cached = self._terms_cache.get(deal_id)
        if cached is None:
            cached = codec.terms_from_json(terms_json)
            with self._lock:
                self._terms_cache[deal_id] = cached
        return cached

    def _deal(self, session: LedgerSession, row: Any) -> Deal:
        conn = session.connection
        terms = self._terms(row.id, row.terms_json)
        accounts = _accounts(row.id, terms)
        wanted = {
            "loans": accounts.deal_account(terms.branch, "loans"),
            "interest-receivable": accounts.deal_account(terms.branch, "interest-receivable"),
            "subsidy-receivable": accounts.deal_account(terms.branch, "subsidy-receivable"),
        }
        balances = session.balances(list(wanted.values()))
        events = conn.execute(
            sa.select(ds.deal_events).where(ds.deal_events.c.deal_id == row.id).order_by(ds.deal_events.c.seq)
        ).all()
        return Deal(
            id=row.id,
            status=DealStatus(row.status),
            terms=terms,
            option_quantity=row.option_quantity,
            principal_outstanding=balances[wanted["loans"]].balance,
            interest_receivable=balances[wanted["interest-receivable"]].balance,
            subsidy_receivable=balances[wanted["subsidy-receivable"]].balance,
            accrued_to=row.accrued_to,
            create_time=as_utc(row.created_at),
            events=tuple(
                DealEvent(
                    kind=e.kind,
                    value_date=e.value_date,
                    request_id=e.request_id,
                    transaction=f"transactions/{e.transaction_id}" if e.transaction_id else "",
                    create_time=as_utc(e.created_at),
                    details={k: v for k, v in json.loads(e.details_json).items() if k != "transactions"},
                )
                for e in events
            ),
        )


class _Step:
    """The context one deal step works in: its connection, terms, state and what it posted."""

    def __init__(
        self, desk: DealDesk, session: LedgerSession, row: Any, terms: DealTerms, value_date: dt.date | None
    ) -> None:
        self.desk = desk
        self.session = session
        self.conn = session.connection
        self.row = row
        self.deal_id: str = row.id
        self.terms = terms
        self.accounts = _accounts(row.id, terms)
        self.value_date = value_date
        self.day: dt.date | None = None
        self.status = DealStatus(row.status)
        self.state: AccrualState | None = (
            AccrualState(
                accrued_to=row.accrued_to,
                segment_start=row.segment_start,
                segment_interest=row.segment_interest,
                segment_subsidy=row.segment_subsidy,
                subsidy_before_segment=row.subsidy_before_segment,
                period_borrower_interest=row.period_borrower_interest,
            )
            if row.accrued_to is not None
            else None
        )
        self.defaulted = False
        self.amounts: dict[str, int] = {}
        self.posted: list[Any] = []
        self.seq = desk._next_seq(self.conn, row.id)
        self._count = 0

    def require(self, *allowed: DealStatus, verb: str) -> None:
        if self.status not in allowed:
            expected = " or ".join(s.value for s in allowed)
            raise FailedPrecondition(
                f"deals/{self.deal_id} is {self.status.value}; it can only be {verb} when {expected}",
                [PreconditionViolation("DEAL_STATE", f"deals/{self.deal_id}", f"status is {self.status.value}")],
                reason="ILLEGAL_DEAL_TRANSITION",
                metadata={"status": self.status.value},
            )

    def ledger_request(self) -> str:
        request = _ledger_request(self.deal_id, self.seq, self._count)
        self._count += 1
        return request

    def meta(self) -> dict[str, str]:
        return _meta(self.deal_id, "")

    def post(self, spec: Any) -> None:
        if not spec.postings:
            return
        result = self.session.post([spec])
        self.posted.append(result.transactions[0].id)

    def balances(self) -> dict[str, int]:
        a = self.accounts
        wanted = {
            key: a.deal_account(self.terms.branch, key)
            for key in ("loans", "interest-receivable", "subsidy-receivable")
        }
        found = self.session.balances(list(wanted.values()))
        return {key: found[name].balance for key, name in wanted.items()}

    def accrual(self) -> AccrualState:
        if self.state is None:  # pragma: no cover - every state that accrues has been disbursed
            raise AssertionError(f"deals/{self.deal_id} has no accrual state")
        return self.state

    def accrue_to(self, to: dt.date) -> None:
        """Accrue interest up to `to` (nothing if already there) and post it."""
        self.state = self.accrual()
        if to < self.state.accrued_to:
            self.amounts.setdefault("accrued", 0)
            self.amounts.setdefault("accrued_subsidy", 0)
            return
        principal = self.balances()["loans"]
        self.state, accrued = accrue(self.state, to, principal, self.terms.loan, self.terms.subsidy)
        if accrued.interest:
            self.post(
                accounting.accrue(
                    self.accounts, self.ledger_request(), to, accrued.borrower, accrued.subsidy, self.meta()
                )
            )
        self.amounts["accrued"] = self.amounts.get("accrued", 0) + accrued.interest
        self.amounts["accrued_subsidy"] = self.amounts.get("accrued_subsidy", 0) + accrued.subsidy
        self.day = self.day or to


def _event_row(
    deal_id: str,
    seq: int,
    kind: str,
    request_id: str,
    print_: str,
    value_date: dt.date,
    transaction_id: Any,
    details: Mapping[str, str],
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "seq": seq,
        "kind": kind,
        "request_id": request_id,
        "fingerprint": print_,
        "value_date": value_date,
        "transaction_id": transaction_id,
        "details_json": json.dumps(dict(details), sort_keys=True, ensure_ascii=False),
        "created_at": now,
    }


def deal_option_commodity(deal_id: str) -> str:
    return accounting.option_commodity(deal_id)


def _ledger_request(deal_id: str, seq: int, n: int) -> str:
    return f"deals/{deal_id}/events/{seq}/{n}"


def _meta(deal_id: str, step: str) -> dict[str, str]:
    meta = {"toudai.deal": deal_id}
    if step:
        meta["toudai.step"] = step
    return meta


def _deal_id(name: str, field: str) -> str:
    if not name.startswith("deals/") or not names.PARTY_ID.match(name[6:]) or len(name) - 6 > DEAL_ID_MAX:
        raise InvalidArgument.one(
            field, f"{name!r} is not a deal name; expected deals/{{deal}} such as deals/hz-2026-001"
        )
    return name[6:]


def _party_violations(terms: DealTerms, missing: set[str]) -> list[FieldViolation]:
    fields = {
        "terms.branch": terms.branch,
        "terms.option.holder": terms.option.holder,
        "terms.risk_sharing.risk_pool": terms.risk.pool,
        "terms.subsidy.subsidy_fund": terms.subsidy_fund,
        "terms.risk_sharing.insurer": terms.risk.insurer,
    }
    return [
        FieldViolation(path, f"parties/{party} does not exist; create the party first", "UNKNOWN_PARTY")
        for path, party in fields.items()
        if party in missing
    ]


def _yuan(fen: int) -> str:
    return f"{format_minor(fen, 2)} CNY"
