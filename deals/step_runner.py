"""Running one deal step: checked before the database is touched, then run inside a unit of work.

Every step of the deal desk (a disbursement, a repayment, a default, a claim's decision, ...) is a
`StepPlan`: its request id, deal, kind, value date, fingerprint and what it does to the deal's
`StepContext`. `StepRunner._run` is the one place a plan meets the database: it locks the deal's row,
answers a retried request id with what the first call recorded, locks every book the deal posts to in
party-id order, applies the step, and writes the deal's new state and the step's event. The desk's
parts (deals.desk) all run their steps through it, alone (`_execute`) or many in one unit of work
(`LoanSteps.steps_many`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from deals import codec
from deals import schema as ds
from deals.agreements.reach import reach_for_caller, reach_legacy_deal
from deals.credit.classification import DEFAULT_POLICY, Policy
from deals.model import StepResult
from deals.names import deal_id_in
from deals.records import append_event, load_deal, locked_row
from deals.steps import StepContext, StepPlan, accrual_columns, event_details
from ledger.canonical import fingerprint
from ledger.errors import InvalidArgument, ViolationCollector, request_id_reused
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import check_request_id, check_value_date

#: What a step answers: its amounts (fen, by name), the names of the transactions it posted, and whether
#: it was a replay (the request id had been used: the first call's amounts and transactions).
Outcome = tuple[dict[str, int], tuple[str, ...], bool]


class StepRunner:
    """The ledger and credit policy the desk works with, and the running of its steps (module docstring)."""

    def __init__(self, ledger: Ledger, policy: Policy = DEFAULT_POLICY) -> None:
        self._ledger = ledger
        self.policy = policy  # the credit policy: its non-accrual threshold decides what accrual posts

    def _plan(
        self,
        request_id: str,
        name: str,
        kind: str,
        value_date: dt.date | None,
        apply: Callable[[StepContext], None],
        *,
        payload: Mapping[str, Any],
        note: str = "",
    ) -> StepPlan:
        """A step checked for what can be checked without the database (request id, name, date)."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        deal_id = ""
        try:
            deal_id = deal_id_in(name, "name")
        except InvalidArgument as exc:
            errors.violations.extend(exc.violations)
        if value_date is not None:
            check_value_date(value_date, "value_date", errors, self._ledger.today())
        errors.raise_if_any()
        print_ = fingerprint({"deal": deal_id, "kind": kind, **payload})
        return StepPlan(request_id, deal_id, kind, value_date, apply, print_, note)

    def _execute(self, plan: StepPlan) -> StepResult:
        """One step in a unit of work of its own, answered with the deal as it stands after it."""

        def work(session: LedgerSession) -> StepResult:
            amounts, posted, replayed = self._run(session, plan)
            deal = load_deal(session, locked_row(session.connection, plan.deal_id))
            return StepResult(deal, amounts, posted, replayed)

        return self._ledger.write(work, what=f"deal step {plan.kind}")

    def _run(self, session: LedgerSession, plan: StepPlan) -> Outcome:
        """One step inside the caller's unit of work: its amounts and the transactions it posted (a replay:
        what the first call recorded)."""
        reach_for_caller(session)
        row = locked_row(session.connection, plan.deal_id)
        recorded = _recorded_outcome(session.connection, plan, row.branch)
        if recorded is not None:
            return recorded
        terms = codec.terms_from_json(row.terms_json)
        reach_legacy_deal(session, terms)
        session.lock_books(terms.parties())
        ctx = StepContext(session, row, terms, plan.value_date, plan.request_id, self.policy)
        plan.apply(ctx)
        _record_step(ctx, plan)
        return dict(ctx.amounts), tuple(f"transactions/{t}" for t in ctx.posted), False


def _recorded_outcome(conn: sa.Connection, plan: StepPlan, scope: str) -> Outcome | None:
    """What the first call under the plan's request id answered (None: the request id is new); the same
    request id with another payload or on another deal is refused."""
    previous = conn.execute(
        sa.select(ds.deal_events).where(ds.deal_events.c.scope == scope, ds.deal_events.c.request_id == plan.request_id)
    ).first()
    if previous is None:
        return None
    if previous.fingerprint != plan.fingerprint or previous.deal_id != plan.deal_id:
        raise request_id_reused(plan.request_id)
    details = json.loads(previous.details_json)
    return (
        {k: int(v) for k, v in details.items() if k != "note" and str(v).lstrip("-").isdigit()},
        tuple(f"transactions/{t}" for t in details.get("transactions", "").split(",") if t),
        True,
    )


def _record_step(ctx: StepContext, plan: StepPlan) -> None:
    """The deal's row as the step left it (status, accrual state, default and non-accrual dates), and the
    step's event."""
    session, row = ctx.session, ctx.row
    now = session.now()
    updates: dict[str, Any] = {"status": ctx.status.value, "updated_at": now}
    if ctx.state is not None:
        updates.update(accrual_columns(ctx.state))
    if ctx.defaulted:
        updates["defaulted_at"] = now
    if ctx.non_accrual_since != row.non_accrual_since:
        updates["non_accrual_since"] = ctx.non_accrual_since
    ctx.conn.execute(ds.deals.update().where(ds.deals.c.id == plan.deal_id).values(**updates))
    append_event(
        ctx.conn,
        plan.deal_id,
        ctx.seq,
        plan.kind,
        plan.request_id,
        plan.fingerprint,
        ctx.day or plan.value_date or session.today(),
        ctx.posted[0] if ctx.posted else None,
        event_details(ctx.amounts, ctx.posted, plan.note),
        now,
        row.branch,
    )
