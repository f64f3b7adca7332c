"""The exercise desk's own rows, inside the caller's unit of work: an exercise read back with its steps,
a step recorded, the deal locked for a transition, the holds released when an exercise ends unsettled."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import queries as deal_queries
from deals.queries import DealRecord
from ledger.canonical import fingerprint
from ledger.db import as_utc
from ledger.errors import (
    NotFound,
)
from ledger.model import HoldState
from ledger.session import LedgerSession
from settlement import schema as ss
from settlement.model import Exercise, Method, State, Step
from settlement.split import Waterfall


def exercise_row(session: LedgerSession, exercise_id: uuid.UUID) -> Any:
    conn = session.connection
    row = conn.execute(sa.select(ss.exercises).where(ss.exercises.c.id == exercise_id)).first()
    if row is None:
        raise NotFound(f"exercises/{exercise_id}", "exercise")
    return row


def deal_of(session: LedgerSession, deal_id: str) -> DealRecord:
    found = deal_queries.deal_record(session, deal_id)
    if found is None:
        raise NotFound(f"deals/{deal_id}", "deal")
    return found


def lock_deal(session: LedgerSession, deal_id: str) -> DealRecord:
    found = deal_queries.deal_record(session, deal_id, lock=True)
    if found is None:
        raise NotFound(f"deals/{deal_id}", "deal")
    return found


def load_exercise(session: LedgerSession, row: Any) -> Exercise:
    conn = session.connection
    steps = conn.execute(
        sa.select(ss.exercise_steps).where(ss.exercise_steps.c.exercise_id == row.id).order_by(ss.exercise_steps.c.seq)
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
        split=Waterfall(**{k: v for k, v in split_data.items() if k != "gain_before_floor"}) if split_data else None,
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


def record_step(
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
        sa.select(sa.func.count()).select_from(ss.exercise_steps).where(ss.exercise_steps.c.exercise_id == exercise_id)
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


def release_holds(session: LedgerSession, row: Any) -> None:
    for hold_id, part in ((row.units_hold_id, "units"), (row.cash_hold_id, "cash")):
        if hold_id is None:
            continue
        hold = session.hold(hold_id)
        if hold.state is HoldState.PENDING:
            session.void_hold(request_id=f"exercises/{row.id}/release/{part}", name=f"holds/{hold_id}")


def expire_exercise(session: LedgerSession, row: Any, now: dt.datetime) -> None:
    conn = session.connection
    release_holds(session, row)
    conn.execute(
        ss.exercises.update().where(ss.exercises.c.id == row.id).values(state=State.EXPIRED.value, updated_at=now)
    )
    record_step(
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
