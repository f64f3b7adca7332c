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

A defaulted or written-off deal's right is exercised like any other: the option is a contract of its
own, not a term of the loan. Only a linkage agreement saying the right lapses on write-off
(OptionOnWriteOff.LAPSES) stops it: then requests are refused, pending ones expire on their next step
and ExpireOptions takes the units off as of the write-off date.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import accounting as deal_accounting
from deals import queries as deal_queries
from deals.agreements.reach import reach_for_caller, reach_legacy_deal
from deals.terms import Trigger
from ledger import pagination
from ledger.amounts import format_minor
from ledger.canonical import fingerprint
from ledger.db import as_utc
from ledger.errors import (
    FailedPrecondition,
    InvalidArgument,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import CommodityKind, Page
from ledger.principal import same_person  # four eyes: one person however the names are spelled
from ledger.session import AfterCommit, LedgerSession
from ledger.store import Ledger
from ledger.validation import check_request_id, check_text, check_value_date
from settlement import accounting
from settlement import schema as ss
from settlement.model import DEFAULT_REQUEST_TTL, Exercise, ExerciseInput, Method, Preview, State, to_fen
from settlement.proceeds import compute_preview, trigger_price
from settlement.records import (
    deal_of,
    exercise_row,
    expire_exercise,
    load_exercise,
    lock_deal,
    record_step,
    release_holds,
)
from settlement.rules import (
    LAPSED_ON_WRITE_OFF,
    deal_id_of,
    exercise_accounts,
    exercise_id_of,
    lapsed_message,
    lapsed_on_write_off,
    precondition,
    require_state,
    strike_price,
)
from settlement.settle import settle_postings


class ExerciseDesk:
    """The exercise workflow on a Ledger (deals are read through deals.queries, in the same database)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    # ------------------------------------------------------------------ request

    def request(self, *, request_id: str, spec: ExerciseInput, principal: str) -> Exercise:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        deal_id = deal_id_of(spec.deal, errors)
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
            reach_for_caller(session)
            conn = session.connection
            existing = conn.execute(sa.select(ss.exercises).where(ss.exercises.c.request_id == request_id)).first()
            if existing is not None:
                if existing.fingerprint != print_:
                    raise request_id_reused(request_id)
                return load_exercise(session, existing)
            deal = lock_deal(session, deal_id)
            terms = deal.terms
            reach_legacy_deal(session, terms)
            # The right survives a write-off of the loan unless the linkage agreement says it lapses with it.
            lapsed = lapsed_on_write_off(session, deal)
            if lapsed:
                raise precondition(lapsed_message(deal_id, lapsed), LAPSED_ON_WRITE_OFF)
            option = terms.option
            if (option.window_start and value_date < option.window_start) or (
                option.window_end and value_date > option.window_end
            ):
                raise precondition(
                    f"{value_date.isoformat()} is outside the exercise window "
                    f"{option.window_start} to {option.window_end} of deals/{deal_id}",
                    "OUTSIDE_EXERCISE_WINDOW",
                )
            if trigger not in option.triggers:
                raise precondition(
                    f"deals/{deal_id} does not allow exercise on {trigger.value}; its triggers are "
                    + ", ".join(t.value for t in option.triggers),
                    "TRIGGER_NOT_IN_TERMS",
                )
            price = trigger_price(session, terms, spec, value_date)
            strike = strike_price(terms, price)
            if method is Method.NET and price <= strike:
                raise precondition(
                    f"a net exercise at {price} per share with strike {strike} delivers no shares; "
                    "the right is out of the money",
                    "OUT_OF_THE_MONEY",
                )
            accounts = exercise_accounts(deal_id, terms)
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
            strike_total = to_fen(strike * spec.quantity)
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
            record_step(session, exercise_id, None, State.REQUESTED, principal, request_id, print_, "", [], now)
            return load_exercise(session, exercise_row(session, exercise_id))

        return self._ledger.write(work, what="RequestExercise")

    # ------------------------------------------------------------------ decisions

    def approve(self, *, request_id: str, name: str, principal: str, reason: str = "") -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            require_state(row, State.REQUESTED, "approved")
            if same_person(principal, row.requested_by):
                raise FailedPrecondition(
                    f"{principal} requested this exercise and cannot also approve it; another person must (four eyes)",
                    [PreconditionViolation("FOUR_EYES", f"exercises/{row.id}", "requester and approver are the same")],
                    reason="FOUR_EYES",
                )
            return State.APPROVED, []

        return self._transition(request_id, name, principal, reason, "approve", step)

    def reject(self, *, request_id: str, name: str, principal: str, reason: str = "") -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            require_state(row, State.REQUESTED, "rejected")
            release_holds(session, row)
            return State.REJECTED, []

        return self._transition(request_id, name, principal, reason, "reject", step)

    def cancel(self, *, request_id: str, name: str, principal: str, reason: str = "") -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            require_state(row, State.REQUESTED, "cancelled")
            if principal != row.requested_by:
                raise FailedPrecondition(
                    f"only the requester ({row.requested_by}) can cancel exercises/{row.id}; reject it instead",
                    [PreconditionViolation("NOT_REQUESTER", f"exercises/{row.id}", "only the requester may cancel")],
                    reason="NOT_REQUESTER",
                )
            release_holds(session, row)
            return State.CANCELLED, []

        return self._transition(request_id, name, principal, reason, "cancel", step)

    def settle(self, *, request_id: str, name: str, principal: str) -> Exercise:
        def step(session: LedgerSession, row: Any) -> tuple[State, list[str]]:
            require_state(row, State.APPROVED, "settled")
            return State.SETTLED, settle_postings(session, row)

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
                row = exercise_row(session, exercise_id)
                lock_deal(session, row.deal_id)
                row = exercise_row(session, exercise_id)
                if row.state in (State.REQUESTED.value, State.APPROVED.value):
                    expire_exercise(session, row, self._ledger.now())

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
            require_state(row, State.SETTLED, "exited")
            if row.method != Method.NET.value:
                raise precondition(
                    f"exercises/{row.id} was a {row.method} exercise; only a net exercise keeps shares", "NOT_NET"
                )
            terms = deal_of(session, row.deal_id).terms
            reach_legacy_deal(session, terms)
            a = exercise_accounts(row.deal_id, terms)
            session.lock_books([a.holder, a.branch, a.pool])
            wanted = [a.deal_account(a.holder, k) for k in ("shares", "shares-at-cost", "due-to-bank", "due-to-pool")]
            held = session.balances(wanted)
            remaining, cost_left, bank_left, pool_left = (held[n].balance for n in wanted)
            if shares > remaining:
                raise precondition(
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
                    a, base, value_date, shares=shares, proceeds=to_fen(price_per_share * shares), cost=cost, meta=meta
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
            reach_for_caller(session)
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
                deal = lock_deal(session, deal_id)
                terms = deal.terms
                end = terms.option.window_end
                day = end if end is not None and end < as_of else None
                on_write_off = False
                if lapsed_on_write_off(session, deal):
                    written_off = deal_queries.written_off_on(session, deal.id)
                    if written_off is not None and written_off <= as_of and (day is None or written_off < day):
                        day, on_write_off = written_off, True
                if day is None:
                    continue
                pending = conn.execute(
                    sa.select(ss.exercises).where(
                        ss.exercises.c.deal_id == deal.id,
                        ss.exercises.c.state.in_([State.REQUESTED.value, State.APPROVED.value]),
                    )
                ).all()
                for exercise in pending:
                    expire_exercise(session, exercise, self._ledger.now())
                a = exercise_accounts(deal.id, terms)
                session.lock_books([a.holder])
                options = a.deal_account(a.holder, "options")
                mark = a.deal_account(a.holder, "options-fair-value")
                balances = session.balances([options, mark])
                units = balances[options].available if options in balances else 0
                fair_value = balances[mark].balance if mark in balances else 0
                if units <= 0 and fair_value <= 0:
                    continue
                meta = {"toudai.deal": deal.id, "toudai.lapse": request_id}
                if on_write_off:
                    meta["toudai.lapse_cause"] = "write_off"
                specs = accounting.lapse(
                    a, f"lapse/{deal.id}", day, units=units, fair_value=fair_value, meta=meta, on_write_off=on_write_off
                )
                for spec in specs:
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
        exercise_id = exercise_id_of(name)

        def work(session: LedgerSession) -> Exercise:
            return load_exercise(session, exercise_row(session, exercise_id))

        return self._ledger.read(work)

    def list_exercises(
        self, *, deal: str = "", state: State | None = None, page_size: int = 0, page_token: str = ""
    ) -> Page[Exercise]:
        size = pagination.page_size(page_size)
        errors = ViolationCollector()
        deal_id = deal_id_of(deal, errors) if deal else ""
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
            return [load_exercise(session, r) for r in rows[:size]], rows

        items, rows = self._ledger.read(work)
        token = ""
        if len(rows) > size:
            last = rows[size - 1]
            token = pagination.encode(filters, [as_utc(last.created_at).isoformat(), str(last.id)])
        return Page(tuple(items), token)

    def preview(self, name: str) -> Preview:
        """The split settling `name` would produce, computed from the books as they are now."""
        exercise_id = exercise_id_of(name)

        def work(session: LedgerSession) -> Preview:
            row = exercise_row(session, exercise_id)
            terms = deal_of(session, row.deal_id).terms
            return compute_preview(session, row, terms)

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
            exercise_id = exercise_id_of(name)
        except InvalidArgument as exc:
            errors.violations.extend(exc.violations)
        errors.raise_if_any()
        assert exercise_id is not None
        print_ = fingerprint({"exercise": str(exercise_id), "action": action, "reason": reason})

        def work(session: LedgerSession) -> Exercise:
            reach_for_caller(session)
            conn = session.connection
            done = conn.execute(
                sa.select(ss.exercise_steps).where(ss.exercise_steps.c.request_id == request_id)
            ).first()
            if done is not None:
                if done.fingerprint != print_:
                    raise request_id_reused(request_id)
                return load_exercise(session, exercise_row(session, exercise_id))
            row = exercise_row(session, exercise_id)
            deal = lock_deal(session, row.deal_id)
            row = exercise_row(session, exercise_id)
            now = self._ledger.now()
            if row.state in (State.REQUESTED.value, State.APPROVED.value) and as_utc(row.expire_at) <= now:
                expire_exercise(session, row, now)
                raise AfterCommit(
                    FailedPrecondition(
                        f"exercises/{row.id} expired at {as_utc(row.expire_at).isoformat()}; its holds were released",
                        [PreconditionViolation("EXERCISE_EXPIRED", f"exercises/{row.id}", "expired")],
                        reason="EXERCISE_EXPIRED",
                        metadata={"state": State.EXPIRED.value},
                    )
                )
            lapsed = lapsed_on_write_off(session, deal) if action in ("approve", "settle") else ""
            if lapsed and row.state in (State.REQUESTED.value, State.APPROVED.value):
                # Requested before the write-off, under an agreement whose right lapses with the loan.
                expire_exercise(session, row, now)
                raise AfterCommit(
                    FailedPrecondition(
                        f"{lapsed_message(row.deal_id, lapsed)}; exercises/{row.id} expired and its holds were "
                        "released",
                        [PreconditionViolation(LAPSED_ON_WRITE_OFF, f"exercises/{row.id}", "expired")],
                        reason=LAPSED_ON_WRITE_OFF,
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
            record_step(
                session, row.id, State(row.state), new_state, principal, request_id, print_, reason, transactions, now
            )
            return load_exercise(session, exercise_row(session, exercise_id))

        return self._ledger.write(work, what=f"{action.capitalize()}Exercise")
