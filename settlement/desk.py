"""The exercise workflow: request → approve → settle, or reject / cancel / expire, on the ledger.

Every step is one unit of work that locks the deal's row first, so steps on one deal serialise across
threads and server processes, then the books of the holder, the branch and the pool in party order.
A request reserves what will move with real ledger holds: the option units (the holder's options
account must not go negative, so two requests can never reserve more units than exist) and, for a cash
exercise, the strike from the holder's cash. Settling captures the holds and posts the sale, the
waterfall split and the payments in the same database transaction; rejecting, cancelling or expiring
voids them. Each transition is recorded with who, when and why; a retried request_id returns the
recorded outcome.

States: requested → approved → settled
        requested → rejected | cancelled;  requested | approved → expired
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from deals import accounting as deal_accounting
from deals import queries as deal_queries
from deals.desk import DealDesk
from deals.model import DealStatus
from deals.queries import DealRecord
from deals.schedule import round_fen
from deals.terms import DealTerms, StrikeBasis, Trigger
from ledger import names, pagination
from ledger.amounts import format_minor
from ledger.canonical import fingerprint
from ledger.db import as_utc
from ledger.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import CommodityKind, HoldState, Page
from ledger.session import AfterCommit, LedgerSession
from ledger.store import Ledger
from ledger.validation import check_request_id, check_text, check_value_date
from settlement import accounting
from settlement import schema as ss
from settlement.split import Waterfall, waterfall
from valuation.rounds import funding_round

DEFAULT_REQUEST_TTL = dt.timedelta(days=7)


class Method(enum.Enum):
    CASH_AND_SALE = "cash_and_sale"
    NET = "net"
    TRANSFER = "transfer"


class State(enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    SETTLED = "settled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ExerciseInput:
    """What the investment arm asks for. Prices are CNY per share; money in fen."""

    deal: str  # deals/{deal}
    quantity: int
    method: Method | None
    trigger: Trigger | None
    funding_round: str = ""  # companies/{company}/fundingRounds/{id}, for round and valuation triggers
    price_per_share: Decimal = Decimal(0)  # sale price / fair value per share; default: the round's price
    transfer_price: int = 0
    fees: int = 0
    value_date: dt.date | None = None
    expire_time: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    from_state: str | None
    to_state: str
    principal: str
    reason: str
    create_time: dt.datetime
    transactions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Exercise:
    id: uuid.UUID
    deal: str
    state: State
    method: Method
    quantity: int
    trigger: str
    trigger_ref: str
    price_per_share: Decimal
    strike_per_share: Decimal
    transfer_price: int
    fees: int
    value_date: dt.date
    requested_by: str
    decided_by: str
    split: Waterfall | None
    gain: int
    shares_received: int
    expire_time: dt.datetime
    create_time: dt.datetime
    steps: tuple[Step, ...]

    @property
    def name(self) -> str:
        return f"exercises/{self.id}"


@dataclass(frozen=True, slots=True)
class Preview:
    """What settling would post, without posting it."""

    gain: int
    proceeds: int
    strike_paid: int
    shares_received: int
    fraction_cash: int
    split: Waterfall


def _money(value: Decimal) -> int:
    """CNY (Decimal) to fen: the one rounding of a price to money, half up."""
    return round_fen(value * 100)


class ExerciseDesk:
    """The exercise workflow on a Ledger and its DealDesk (same database)."""

    def __init__(self, ledger: Ledger, deals: DealDesk) -> None:
        self._ledger = ledger
        self._deals = deals

    # ------------------------------------------------------------------ request

    def request(self, *, request_id: str, spec: ExerciseInput, principal: str) -> Exercise:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        deal_id = _deal_id(spec.deal, errors)
        if spec.quantity <= 0:
            errors.add("quantity", "must be greater than zero: the number of option units to exercise")
        if spec.method is None:
            errors.add("method", "is required: cash and sale, net exercise or transfer")
        if spec.trigger is None:
            errors.add("trigger", "is required: the event that allows exercise")
        if spec.price_per_share < 0:
            errors.add("price_per_share", "must not be negative")
        if spec.fees < 0:
            errors.add("fees", "must not be negative")
        if spec.method is Method.TRANSFER and spec.transfer_price <= 0:
            errors.add("transfer_price", "is required for a transfer of the right: the agreed price")
        if spec.trigger in (Trigger.QUALIFYING_ROUND, Trigger.VALUATION_THRESHOLD) and not spec.funding_round:
            errors.add("funding_round", "is required for a round or valuation trigger: the recorded round")
        if (
            spec.trigger in (Trigger.IPO, Trigger.MERGER)
            and spec.price_per_share <= 0
            and spec.method is not Method.TRANSFER
        ):
            errors.add("price_per_share", "is required for an IPO or M&A trigger: the listing or deal price")
        today = self._ledger.today()
        value_date = spec.value_date or today
        check_value_date(value_date, "value_date", errors, today)
        now = self._ledger.now()
        expire_at = spec.expire_time or now + DEFAULT_REQUEST_TTL
        if expire_at <= now:
            errors.add("expire_time", "is in the past")
        errors.raise_if_any()
        method, trigger = spec.method, spec.trigger
        assert method is not None and trigger is not None
        print_ = fingerprint(
            {
                "deal": deal_id,
                "quantity": spec.quantity,
                "method": method.value,
                "trigger": trigger.value,
                "round": spec.funding_round,
                "price": str(spec.price_per_share),
                "transfer": spec.transfer_price,
                "fees": spec.fees,
                "date": value_date.isoformat(),
            }
        )

        def work(session: LedgerSession) -> Exercise:
            conn = session.connection
            existing = conn.execute(sa.select(ss.exercises).where(ss.exercises.c.request_id == request_id)).first()
            if existing is not None:
                if existing.fingerprint != print_:
                    raise request_id_reused(request_id)
                return self._exercise(session, existing)
            deal = self._lock_deal(session, deal_id)
            terms = deal.terms
            if deal.status is DealStatus.WRITTEN_OFF:
                raise _precondition(
                    f"deals/{deal_id} is written off; its option right cannot be exercised", "DEAL_WRITTEN_OFF"
                )
            option = terms.option
            if (option.window_start and value_date < option.window_start) or (
                option.window_end and value_date > option.window_end
            ):
                raise _precondition(
                    f"{value_date.isoformat()} is outside the exercise window "
                    f"{option.window_start} to {option.window_end} of deals/{deal_id}",
                    "OUTSIDE_EXERCISE_WINDOW",
                )
            if trigger not in option.triggers:
                raise _precondition(
                    f"deals/{deal_id} does not allow exercise on {trigger.value}; its triggers are "
                    + ", ".join(t.value for t in option.triggers),
                    "TRIGGER_NOT_IN_TERMS",
                )
            price = self._trigger_price(session, terms, spec, value_date)
            strike = _strike(terms, price)
            if method is Method.NET and price <= strike:
                raise _precondition(
                    f"a net exercise at {price} per share with strike {strike} delivers no shares; "
                    "the right is out of the money",
                    "OUT_OF_THE_MONEY",
                )
            accounts = _accounts(deal_id, terms)
            session.lock_books([accounts.holder, accounts.branch, accounts.pool])
            session.open_accounts(
                [(p.party, p.code, p.type, p.commodity, p.guarded, p.display_name) for p in accounts.plan()],
                commodity_kind={accounting.share_commodity(deal_id): (CommodityKind.SHARE, 0)},
            )
            exercise_id = uuid.uuid4()
            units = session.create_hold(
                request_id=f"exercises/{exercise_id}/units",
                debit_account=accounts.deal_account(accounts.holder, "options-exercised"),
                credit_account=accounts.deal_account(accounts.holder, "options"),
                commodity=deal_accounting.option_commodity(deal_id),
                value=str(spec.quantity),
                expire_time=expire_at,
                description=f"Option units of exercises/{exercise_id}",
            )
            cash_hold = None
            strike_total = _money(strike * spec.quantity)
            if method is Method.CASH_AND_SALE and strike_total > 0:
                cash_hold = session.create_hold(
                    request_id=f"exercises/{exercise_id}/cash",
                    debit_account=accounts.deal_account(accounts.holder, "exercise-clearing"),
                    credit_account=accounts.holder_account("cash"),
                    commodity="CNY",
                    value=format_minor(strike_total, 2),
                    expire_time=expire_at,
                    description=f"Strike of exercises/{exercise_id}",
                )
            conn.execute(
                ss.exercises.insert(),
                {
                    "id": exercise_id,
                    "deal_id": deal_id,
                    "state": State.REQUESTED.value,
                    "method": method.value,
                    "quantity": spec.quantity,
                    "trigger": trigger.value,
                    "trigger_ref": spec.funding_round,
                    "price_per_share": format(price, "f"),
                    "strike_per_share": format(strike, "f"),
                    "transfer_price": spec.transfer_price,
                    "fees": spec.fees,
                    "value_date": value_date,
                    "requested_by": principal,
                    "units_hold_id": units.id,
                    "cash_hold_id": cash_hold.id if cash_hold else None,
                    "request_id": request_id,
                    "fingerprint": print_,
                    "expire_at": expire_at,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            self._record(session, exercise_id, None, State.REQUESTED, principal, request_id, print_, "", [], now)
            return self._exercise(session, self._row(session, exercise_id))

        return self._ledger.write(work, what="RequestExercise")

    # ------------------------------------------------------------------ decisions

    def approve(self, *, request_id: str, name: str, principal: str, reason: str = "") -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            _require(row, State.REQUESTED, "approved")
            if principal == row.requested_by:
                raise FailedPrecondition(
                    f"{principal} requested this exercise and cannot also approve it; another person must (four eyes)",
                    [PreconditionViolation("FOUR_EYES", f"exercises/{row.id}", "requester and approver are the same")],
                    reason="FOUR_EYES",
                )
            return State.APPROVED, []

        return self._transition(request_id, name, principal, reason, "approve", step)

    def reject(self, *, request_id: str, name: str, principal: str, reason: str = "") -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            _require(row, State.REQUESTED, "rejected")
            self._release(session, row)
            return State.REJECTED, []

        return self._transition(request_id, name, principal, reason, "reject", step)

    def cancel(self, *, request_id: str, name: str, principal: str, reason: str = "") -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            _require(row, State.REQUESTED, "cancelled")
            if principal != row.requested_by:
                raise FailedPrecondition(
                    f"only the requester ({row.requested_by}) can cancel exercises/{row.id}; reject it instead",
                    [PreconditionViolation("NOT_REQUESTER", f"exercises/{row.id}", "only the requester may cancel")],
                    reason="NOT_REQUESTER",
                )
            self._release(session, row)
            return State.CANCELLED, []

        return self._transition(request_id, name, principal, reason, "cancel", step)

    def settle(self, *, request_id: str, name: str, principal: str) -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            _require(row, State.APPROVED, "settled")
            return State.SETTLED, self._settle(session, row)

        return self._transition(request_id, name, principal, "", "settle", step)

    def expire_requests(self) -> int:
        """Expire lapsed requests (and release their holds); returns how many. Safe on any replica."""
        now = self._ledger.now()
        query = sa.select(ss.exercises.c.id).where(
            ss.exercises.c.state.in_([State.REQUESTED.value, State.APPROVED.value]), ss.exercises.c.expire_at <= now
        )
        due = self._ledger.read(lambda session: [r.id for r in session.connection.execute(query)])
        for exercise_id in due:

            def work(session: LedgerSession, exercise_id: uuid.UUID = exercise_id) -> None:
                row = self._row(session, exercise_id)
                self._lock_deal(session, row.deal_id)
                row = self._row(session, exercise_id)
                if row.state in (State.REQUESTED.value, State.APPROVED.value):
                    self._expire(session, row, self._ledger.now())

            self._ledger.write(work, what="ExpireExercise")
        return len(due)

    def record_exit(
        self, *, request_id: str, name: str, shares: int, price_per_share: Decimal, value_date: dt.date, principal: str
    ) -> Exercise:
        """Shares kept after a net exercise are sold: the arm books its exit gain or loss against their fair
        value at exercise, and pays the bank and the pool their shares (fixed at that fair value) pro rata
        to the shares sold; the last exit pays whatever remains."""
        errors = ViolationCollector()
        if shares <= 0:
            errors.add("shares", "must be greater than zero")
        if price_per_share <= 0:
            errors.add("price_per_share", "must be greater than zero")
        check_value_date(value_date, "value_date", errors, self._ledger.today())
        errors.raise_if_any()
        payload = {"shares": shares, "price": format(price_per_share, "f"), "date": value_date.isoformat()}

        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            _require(row, State.SETTLED, "exited")
            if row.method != Method.NET.value:
                raise _precondition(
                    f"exercises/{row.id} was a {row.method} exercise; only a net exercise keeps shares", "NOT_NET"
                )
            terms = self._deal_row(session, row.deal_id).terms
            a = _accounts(row.deal_id, terms)
            session.lock_books([a.holder, a.branch, a.pool])
            wanted = [a.deal_account(a.holder, k) for k in ("shares", "shares-at-cost", "due-to-bank", "due-to-pool")]
            held = session.balances(wanted)
            remaining, cost_left, bank_left, pool_left = (held[n].balance for n in wanted)
            if shares > remaining:
                raise _precondition(
                    f"only {remaining} shares of exercises/{row.id} are left to sell, not {shares}", "NOT_ENOUGH_SHARES"
                )
            last = shares == remaining
            cost = cost_left if last else cost_left * shares // remaining
            to_bank = bank_left if last else bank_left * shares // remaining
            to_pool = pool_left if last else pool_left * shares // remaining
            meta = {"toudai.deal": row.deal_id, "toudai.exercise": str(row.id)}
            base = f"exercises/{row.id}/exit/{request_id}"
            specs = [
                *accounting.exit_sale(
                    a, base, value_date, shares=shares, proceeds=_money(price_per_share * shares), cost=cost, meta=meta
                ),
                accounting.pay_shares(a, f"{base}/pay", value_date, to_bank, to_pool, meta),
            ]
            posted = [session.post([spec]).transactions[0].name for spec in specs if spec.postings]
            return State.SETTLED, posted

        return self._transition(request_id, name, principal, json.dumps(payload), "exit", step)

    def expire_options(self, *, request_id: str, as_of: dt.date, principal: str) -> list[tuple[str, int, int]]:
        """Lapse every right whose exercise window ended before `as_of`: its pending requests expire, its
        remaining units leave the books and its fair value mark is reversed. Returns (deal, units, fair
        value reversed) per lapsed right. A later run lapses nothing twice; a retry of `request_id` with the
        same `as_of` returns the answer recorded by the first call (and posts nothing), with another `as_of`
        it is refused."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        check_value_date(as_of, "as_of", errors, self._ledger.today())
        errors.raise_if_any()
        print_ = fingerprint({"action": "expire_options", "as_of": as_of.isoformat()})

        def work(session: LedgerSession) -> list[tuple[str, int, int]]:
            conn = session.connection
            done = conn.execute(
                sa.select(ss.option_lapse_runs).where(ss.option_lapse_runs.c.request_id == request_id)
            ).first()
            if done is not None:
                if done.fingerprint != print_:
                    raise request_id_reused(request_id)
                return [(str(d), int(u), int(v)) for d, u, v in json.loads(done.lapsed_json)]
            lapsed = []
            for deal_id in deal_queries.all_deal_ids(session):
                deal = self._lock_deal(session, deal_id)
                terms = deal.terms
                end = terms.option.window_end
                if end is None or end >= as_of:
                    continue
                pending = conn.execute(
                    sa.select(ss.exercises).where(
                        ss.exercises.c.deal_id == deal.id,
                        ss.exercises.c.state.in_([State.REQUESTED.value, State.APPROVED.value]),
                    )
                ).all()
                for exercise in pending:
                    self._expire(session, exercise, self._ledger.now())
                a = _accounts(deal.id, terms)
                session.lock_books([a.holder])
                options = a.deal_account(a.holder, "options")
                mark = a.deal_account(a.holder, "options-fair-value")
                balances = session.balances([options, mark])
                units = balances[options].available if options in balances else 0
                fair_value = balances[mark].balance if mark in balances else 0
                if units <= 0 and fair_value <= 0:
                    continue
                meta = {"toudai.deal": deal.id, "toudai.lapse": request_id}
                for spec in accounting.lapse(a, f"lapse/{deal.id}", end, units=units, fair_value=fair_value, meta=meta):
                    if spec.postings:
                        session.post([spec])
                lapsed.append((f"deals/{deal.id}", units, fair_value))
            conn.execute(
                ss.option_lapse_runs.insert(),
                {
                    "id": uuid.uuid4(),
                    "request_id": request_id,
                    "fingerprint": print_,
                    "as_of": as_of,
                    "principal": principal,
                    "lapsed_json": json.dumps([list(item) for item in lapsed]),
                    "created_at": self._ledger.now(),
                },
            )
            return lapsed

        return self._ledger.write(work, what="ExpireOptions")

    # ------------------------------------------------------------------ reading

    def get(self, name: str) -> Exercise:
        exercise_id = _exercise_id(name)

        def work(session: LedgerSession) -> Exercise:
            return self._exercise(session, self._row(session, exercise_id))

        return self._ledger.read(work)

    def list_exercises(
        self, *, deal: str = "", state: State | None = None, page_size: int = 0, page_token: str = ""
    ) -> Page[Exercise]:
        size = pagination.page_size(page_size)
        errors = ViolationCollector()
        deal_id = _deal_id(deal, errors) if deal else ""
        errors.raise_if_any()
        filters = {"list": "exercises", "deal": deal_id, "state": state.value if state else ""}
        after = pagination.decode(page_token, filters, (dt.datetime.fromisoformat, uuid.UUID))
        e = ss.exercises
        query = sa.select(e).order_by(e.c.created_at, e.c.id).limit(size + 1)
        if deal_id:
            query = query.where(e.c.deal_id == deal_id)
        if state is not None:
            query = query.where(e.c.state == state.value)
        if after:
            query = query.where(
                sa.or_(e.c.created_at > after[0], sa.and_(e.c.created_at == after[0], e.c.id > after[1]))
            )

        def work(session: LedgerSession) -> tuple[list[Exercise], list[Any]]:
            conn = session.connection
            rows = list(conn.execute(query).all())
            return [self._exercise(session, r) for r in rows[:size]], rows

        items, rows = self._ledger.read(work)
        token = ""
        if len(rows) > size:
            last = rows[size - 1]
            token = pagination.encode(filters, [as_utc(last.created_at).isoformat(), str(last.id)])
        return Page(tuple(items), token)

    def preview(self, name: str) -> Preview:
        """The split settling `name` would produce, computed from the books as they are now."""
        exercise_id = _exercise_id(name)

        def work(session: LedgerSession) -> Preview:
            row = self._row(session, exercise_id)
            terms = self._deal_row(session, row.deal_id).terms
            return self._compute(session, row, terms)

        return self._ledger.read(work)

    # ------------------------------------------------------------------ machinery

    def _transition(
        self,
        request_id: str,
        name: str,
        principal: str,
        reason: str,
        action: str,
        apply: Callable[[LedgerSession, Any], tuple[State, list[str]]],
    ) -> Exercise:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        check_text(reason, "reason", errors)
        exercise_id: uuid.UUID | None = None
        try:
            exercise_id = _exercise_id(name)
        except InvalidArgument as exc:
            errors.violations.extend(exc.violations)
        errors.raise_if_any()
        assert exercise_id is not None
        print_ = fingerprint({"exercise": str(exercise_id), "action": action, "reason": reason})

        def work(session: LedgerSession) -> Exercise:
            conn = session.connection
            done = conn.execute(
                sa.select(ss.exercise_steps).where(ss.exercise_steps.c.request_id == request_id)
            ).first()
            if done is not None:
                if done.fingerprint != print_:
                    raise request_id_reused(request_id)
                return self._exercise(session, self._row(session, exercise_id))
            row = self._row(session, exercise_id)
            self._lock_deal(session, row.deal_id)
            row = self._row(session, exercise_id)
            now = self._ledger.now()
            if row.state in (State.REQUESTED.value, State.APPROVED.value) and as_utc(row.expire_at) <= now:
                self._expire(session, row, now)
                raise AfterCommit(
                    FailedPrecondition(
                        f"exercises/{row.id} expired at {as_utc(row.expire_at).isoformat()}; its holds were released",
                        [PreconditionViolation("EXERCISE_EXPIRED", f"exercises/{row.id}", "expired")],
                        reason="EXERCISE_EXPIRED",
                        metadata={"state": State.EXPIRED.value},
                    )
                )
            new_state, transactions = apply(session, row)
            conn.execute(
                ss.exercises.update()
                .where(ss.exercises.c.id == row.id)
                .values(
                    state=new_state.value,
                    decided_by=principal if action in ("approve", "reject") else row.decided_by,
                    updated_at=now,
                )
            )
            self._record(
                session, row.id, State(row.state), new_state, principal, request_id, print_, reason, transactions, now
            )
            return self._exercise(session, self._row(session, exercise_id))

        return self._ledger.write(work, what=f"{action.capitalize()}Exercise")

    def _trigger_price(self, session: LedgerSession, terms: DealTerms, spec: ExerciseInput, day: dt.date) -> Decimal:
        """Check the trigger event against the deal's terms and return the price per share to use."""
        option = terms.option
        if spec.trigger in (Trigger.QUALIFYING_ROUND, Trigger.VALUATION_THRESHOLD):
            found = funding_round(session, _round_id(spec.funding_round))
            if found is None or found.company != option.company:
                raise NotFound(spec.funding_round, f"funding round of {option.company}")
            if found.round_date > day:
                raise _precondition(
                    f"the round closes on {found.round_date}, after the value date {day}", "ROUND_NOT_CLOSED"
                )
            round_price = Decimal(found.price_per_share)
            if spec.trigger is Trigger.QUALIFYING_ROUND:
                raised = _money(round_price * found.shares_issued)
                if raised < option.qualifying_round_size:
                    raise _precondition(
                        f"the round raised {format_minor(raised, 2)} CNY, below the qualifying size "
                        f"{format_minor(option.qualifying_round_size, 2)} CNY",
                        "TRIGGER_NOT_MET",
                    )
            else:
                valuation = _money(round_price * found.fully_diluted_shares)
                if valuation < option.valuation_threshold:
                    raise _precondition(
                        f"the post-money valuation {format_minor(valuation, 2)} CNY is below the threshold "
                        f"{format_minor(option.valuation_threshold, 2)} CNY",
                        "TRIGGER_NOT_MET",
                    )
            return spec.price_per_share or round_price
        return spec.price_per_share

    def _compute(self, session: LedgerSession, row: Any, terms: DealTerms) -> Preview:
        method = Method(row.method)
        price = Decimal(row.price_per_share)
        strike = Decimal(row.strike_per_share)
        quantity = int(row.quantity)
        strike_paid = shares = fraction_cash = 0
        if method is Method.CASH_AND_SALE:
            proceeds = _money(price * quantity) - row.fees
            strike_paid = _money(strike * quantity)
            gain = proceeds - strike_paid
        elif method is Method.TRANSFER:
            proceeds = row.transfer_price - row.fees
            gain = proceeds
        else:
            exact = Decimal(quantity) * (price - strike) / price
            shares = int(exact)
            fraction_cash = _money((exact - shares) * price)
            proceeds = _money(price * shares) + fraction_cash - row.fees
            gain = proceeds
        split = waterfall(
            gain,
            reimbursement_due=self._reimbursement_due(session, row.deal_id, terms),
            advisory_fee=terms.split.advisory_fee,
            bps=(terms.split.bank_bps, terms.split.arm_bps, terms.split.pool_bps),
        )
        return Preview(gain, proceeds, strike_paid, shares, fraction_cash, split)

    def _reimbursement_due(self, session: LedgerSession, deal_id: str, terms: DealTerms) -> int:
        """What the pool paid or owes on this borrower's defaults, less what settlements gave back already."""
        conn = session.connection
        ids = [d.id for d in deal_queries.deals_of_borrower(session, terms.borrower.uscc, terms.risk.pool)]
        compensated = deal_queries.pool_compensation_on_borrower(session, ids)
        reimbursed = 0
        settled = sa.select(ss.exercises.c.split_json).where(
            ss.exercises.c.deal_id.in_(ids), ss.exercises.c.state == State.SETTLED.value
        )
        for exercise in conn.execute(settled):
            reimbursed += int(json.loads(exercise.split_json or "{}").get("pool_reimbursement", 0))
        return max(compensated - reimbursed, 0)

    def _settle(self, session: LedgerSession, row: Any) -> list[str]:
        conn = session.connection
        deal = self._deal_row(session, row.deal_id)
        terms = deal.terms
        accounts = _accounts(row.deal_id, terms)
        session.lock_books([accounts.holder, accounts.branch, accounts.pool])
        computed = self._compute(session, row, terms)
        split = computed.split
        day = row.value_date
        meta = {"toudai.deal": row.deal_id, "toudai.exercise": str(row.id)}
        base = f"exercises/{row.id}/settle"
        posted: list[str] = []
        _, units = session.capture_hold(request_id=f"{base}/units", name=f"holds/{row.units_hold_id}", value_date=day)
        posted.append(units.name)
        method = Method(row.method)
        if row.cash_hold_id is not None:
            _, cash = session.capture_hold(
                request_id=f"{base}/strike", name=f"holds/{row.cash_hold_id}", value_date=day
            )
            posted.append(cash.name)
        specs = []
        if method is Method.NET:
            if computed.shares_received:
                specs.append(accounting.net_units(accounts, f"{base}/shares", day, computed.shares_received, meta))
            specs.append(
                accounting.net_value(
                    accounts,
                    f"{base}/value",
                    day,
                    shares_value=_money(Decimal(row.price_per_share) * computed.shares_received),
                    fraction_cash=computed.fraction_cash - row.fees,
                    split=split,
                    meta=meta,
                )
            )
        else:
            specs.append(
                accounting.sale(
                    accounts,
                    f"{base}/sale",
                    day,
                    cash_in=computed.proceeds,
                    strike_paid=computed.strike_paid,
                    gain=computed.gain,
                    split=split,
                    meta=meta,
                )
            )
            if split.to_bank or split.to_pool:
                specs.append(accounting.pay_shares(accounts, f"{base}/pay", day, split.to_bank, split.to_pool, meta))
        for spec in specs:
            if spec.postings:
                posted.append(session.post([spec]).transactions[0].name)
        if method is not Method.NET and split.pool_reimbursement:
            posted += self._pay_open_claims(session, terms, day, f"{base}/claims", meta)
        conn.execute(
            ss.exercises.update()
            .where(ss.exercises.c.id == row.id)
            .values(split_json=json.dumps(_split_dict(split, computed.gain)), shares_received=computed.shares_received)
        )
        return posted

    def _pay_open_claims(
        self, session: LedgerSession, terms: DealTerms, day: dt.date, base: str, meta: Mapping[str, str]
    ) -> list[str]:
        """The reimbursed pool settles what it still owes the bank on this borrower's defaults."""
        posted = []
        rows = deal_queries.deals_of_borrower(session, terms.borrower.uscc, terms.risk.pool)
        for i, found in enumerate(rows):
            deal_accounts = deal_accounting.DealAccounts(
                deal=found.id,
                branch=found.terms.branch,
                holder=terms.option.holder,
                pool=terms.risk.pool,
            )
            claim = deal_accounts.deal_account(terms.risk.pool, "claims-payable")
            cash = names.account_name(terms.risk.pool, "cash")
            balances = session.balances([claim, cash])
            if claim not in balances:
                continue
            pay = min(balances[claim].balance, max(balances[cash].available, 0))
            if pay > 0:
                spec = deal_accounting.pay_claim(deal_accounts, f"{base}/{i}", day, pay, meta)
                posted.append(session.post([spec]).transactions[0].name)
        return posted

    def _release(self, session: LedgerSession, row: Any) -> None:
        for hold_id, part in ((row.units_hold_id, "units"), (row.cash_hold_id, "cash")):
            if hold_id is None:
                continue
            hold = session.hold(hold_id)
            if hold.state is HoldState.PENDING:
                session.void_hold(request_id=f"exercises/{row.id}/release/{part}", name=f"holds/{hold_id}")

    def _expire(self, session: LedgerSession, row: Any, now: dt.datetime) -> None:
        conn = session.connection
        self._release(session, row)
        conn.execute(
            ss.exercises.update().where(ss.exercises.c.id == row.id).values(state=State.EXPIRED.value, updated_at=now)
        )
        self._record(
            session,
            row.id,
            State(row.state),
            State.EXPIRED,
            "toudai",
            f"exercises/{row.id}/expired",
            fingerprint({"expired": str(row.id)}),
            "the request expired",
            [],
            now,
        )

    def _record(
        self,
        session: LedgerSession,
        exercise_id: uuid.UUID,
        from_state: State | None,
        to_state: State,
        principal: str,
        request_id: str,
        print_: str,
        reason: str,
        transactions: list[str],
        now: dt.datetime,
    ) -> None:
        conn = session.connection
        seq = conn.execute(
            sa.select(sa.func.count())
            .select_from(ss.exercise_steps)
            .where(ss.exercise_steps.c.exercise_id == exercise_id)
        ).scalar_one()
        conn.execute(
            ss.exercise_steps.insert(),
            {
                "exercise_id": exercise_id,
                "seq": int(seq) + 1,
                "from_state": from_state.value if from_state else None,
                "to_state": to_state.value,
                "principal": principal,
                "request_id": request_id,
                "fingerprint": print_,
                "reason": reason,
                "transactions": ",".join(transactions),
                "created_at": now,
            },
        )

    def _row(self, session: LedgerSession, exercise_id: uuid.UUID) -> Any:
        conn = session.connection
        row = conn.execute(sa.select(ss.exercises).where(ss.exercises.c.id == exercise_id)).first()
        if row is None:
            raise NotFound(f"exercises/{exercise_id}", "exercise")
        return row

    def _deal_row(self, session: LedgerSession, deal_id: str) -> DealRecord:
        found = deal_queries.deal_record(session, deal_id)
        if found is None:
            raise NotFound(f"deals/{deal_id}", "deal")
        return found

    def _lock_deal(self, session: LedgerSession, deal_id: str) -> DealRecord:
        found = deal_queries.deal_record(session, deal_id, lock=True)
        if found is None:
            raise NotFound(f"deals/{deal_id}", "deal")
        return found

    def _exercise(self, session: LedgerSession, row: Any) -> Exercise:
        conn = session.connection
        steps = conn.execute(
            sa.select(ss.exercise_steps)
            .where(ss.exercise_steps.c.exercise_id == row.id)
            .order_by(ss.exercise_steps.c.seq)
        ).all()
        split_data = json.loads(row.split_json) if row.split_json else None
        return Exercise(
            id=row.id,
            deal=f"deals/{row.deal_id}",
            state=State(row.state),
            method=Method(row.method),
            quantity=row.quantity,
            trigger=row.trigger,
            trigger_ref=row.trigger_ref,
            price_per_share=Decimal(row.price_per_share),
            strike_per_share=Decimal(row.strike_per_share),
            transfer_price=row.transfer_price,
            fees=row.fees,
            value_date=row.value_date,
            requested_by=row.requested_by,
            decided_by=row.decided_by or "",
            split=Waterfall(**{k: v for k, v in split_data.items() if k != "gain_before_floor"})
            if split_data
            else None,
            gain=int(split_data["gain_before_floor"]) if split_data else 0,
            shares_received=row.shares_received,
            expire_time=as_utc(row.expire_at),
            create_time=as_utc(row.created_at),
            steps=tuple(
                Step(
                    s.from_state,
                    s.to_state,
                    s.principal,
                    s.reason,
                    as_utc(s.created_at),
                    tuple(t for t in s.transactions.split(",") if t),
                )
                for s in steps
            ),
        )


def _split_dict(split: Waterfall, gain: int) -> dict[str, int]:
    return {
        "gain": split.gain,
        "pool_reimbursement": split.pool_reimbursement,
        "advisory_fee": split.advisory_fee,
        "bank": split.bank,
        "investment_arm": split.investment_arm,
        "risk_pool": split.risk_pool,
        "gain_before_floor": gain,
    }


def _strike(terms: DealTerms, price: Decimal) -> Decimal:
    option = terms.option
    if option.strike_basis is StrikeBasis.NEXT_ROUND_DISCOUNT:
        return (price * (1 - option.discount)).quantize(Decimal("0.000001"))
    if option.strike_basis is StrikeBasis.VALUATION_CAP:
        cap_price = option.reference_price
        return min(cap_price, price) if price > 0 else cap_price
    return option.strike_price


def _accounts(deal_id: str, terms: DealTerms) -> accounting.ExerciseAccounts:
    return accounting.ExerciseAccounts(
        deal=deal_id, branch=terms.branch, holder=terms.option.holder, pool=terms.risk.pool
    )


def _require(row: Any, state: State, verb: str) -> None:
    if row.state != state.value:
        raise FailedPrecondition(
            f"exercises/{row.id} is {row.state}; only {'an' if state.value[0] in 'aeiou' else 'a'} {state.value} "
            f"exercise can be {verb}",
            [PreconditionViolation("EXERCISE_STATE", f"exercises/{row.id}", f"state is {row.state}")],
            reason="ILLEGAL_EXERCISE_TRANSITION",
            metadata={"state": row.state},
        )


def _precondition(message: str, reason: str) -> FailedPrecondition:
    return FailedPrecondition(message, [PreconditionViolation(reason, "", message)], reason=reason)


def _deal_id(name: str, errors: ViolationCollector) -> str:
    deal_id = name.removeprefix("deals/")
    if not names.PARTY_ID.match(deal_id):
        errors.add("deal", f"{name!r} is not a deal name; expected deals/{{deal}}")
    return deal_id


def _exercise_id(name: str) -> uuid.UUID:
    try:
        return names.parse_uuid_name(name, "exercises")
    except names.BadName as exc:
        raise InvalidArgument.one("name", str(exc)) from None


def _round_id(name: str) -> uuid.UUID:
    marker = "/fundingRounds/"
    try:
        if not name.startswith("companies/") or marker not in name:
            raise ValueError
        return uuid.UUID(name.rsplit(marker, 1)[1])
    except ValueError:
        raise InvalidArgument.one(
            "funding_round",
            f"{name!r} is not a funding round name; expected companies/{{company}}/fundingRounds/{{id}}",
        ) from None


def parse_decimal(text: str, path: str, errors: ViolationCollector) -> Decimal:
    """Exact decimal text (a price per share); junk is a violation."""
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.add(path, f"{text!r} is not a decimal number")
        return Decimal(0)
    if not value.is_finite() or "e" in text.lower():
        errors.add(path, f"{text!r} is not a plain decimal number")
        return Decimal(0)
    return value
