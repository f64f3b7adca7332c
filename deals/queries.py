"""What other packages may know of a deal, as typed values read in their own unit of work.

Settlement and valuation never read the deal tables or the deal events' JSON themselves: they call these
functions with their `LedgerSession`, so the deal desk can change how it stores a deal without breaking
them. Terms are decoded once per distinct stored text (they never change after booking).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from deals import codec
from deals import schema as ds
from deals.model import CLAIM_APPROVED_EVENT, DEFAULTED_EVENT, RECOVERED_EVENT, DealStatus
from deals.terms import DealTerms, OptionTerms
from ledger.session import LedgerSession

__all__ = [
    "DealRecord",
    "OptionRight",
    "all_deal_ids",
    "deal_ids_under_agreement",
    "deal_record",
    "deals_of_borrower",
    "decoded_terms",
    "open_option_rights",
    "option_right",
    "pool_compensation_on_borrower",
    "written_off_on",
]


@dataclass(frozen=True, slots=True)
class DealRecord:
    """A deal as another package sees it: its id, status, terms and option units."""

    id: str
    status: DealStatus
    terms: DealTerms
    option_quantity: int
    defaulted_at: dt.datetime | None


@functools.lru_cache(maxsize=65_536)
def decoded_terms(terms_json: str) -> DealTerms:
    """A deal's terms from their stored JSON text, decoded once per distinct text (terms are immutable)."""
    return codec.terms_from_json(terms_json)


def deal_record(session: LedgerSession, deal_id: str, *, lock: bool = False) -> DealRecord | None:
    """The deal `deal_id`, or None. With `lock`, its row is locked until the unit of work ends, so steps on
    one deal (a repayment, an exercise) serialise."""
    query = sa.select(ds.deals).where(ds.deals.c.id == deal_id)
    row = session.connection.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    return DealRecord(
        row.id, DealStatus(row.status), decoded_terms(row.terms_json), int(row.option_quantity), row.defaulted_at
    )


def all_deal_ids(session: LedgerSession) -> list[str]:
    """Every deal's id, in id order."""
    return [r.id for r in session.connection.execute(sa.select(ds.deals.c.id).order_by(ds.deals.c.id))]


def deals_of_borrower(session: LedgerSession, borrower_uscc: str, pool: str) -> list[DealRecord]:
    """The borrower's deals covered by `pool`, by default date (the database's NULL order for those never
    defaulted), then id."""
    rows = session.connection.execute(
        sa.select(ds.deals)
        .where(ds.deals.c.borrower_uscc == borrower_uscc, ds.deals.c.pool == pool)
        .order_by(ds.deals.c.defaulted_at, ds.deals.c.id)
    ).all()
    return [
        DealRecord(r.id, DealStatus(r.status), decoded_terms(r.terms_json), int(r.option_quantity), r.defaulted_at)
        for r in rows
    ]


def deal_ids_under_agreement(session: LedgerSession, agreement_id: str) -> list[str]:
    """Every deal booked under the risk-sharing agreement `agreement_id` (any version), by id."""
    return [
        r.id
        for r in session.connection.execute(
            sa.select(ds.deals.c.id).where(ds.deals.c.risk_agreement == agreement_id).order_by(ds.deals.c.id)
        )
    ]


def pool_compensation_on_borrower(session: LedgerSession, deal_ids: Sequence[str]) -> int:
    """What the pool paid, or owes as a claim, at the defaults of these deals (and on the claims it approved
    later), less what recoveries on them have given back to it, in fen: the amount a later option gain
    reimburses it first."""
    if not deal_ids:
        return 0
    total = 0
    for event in session.connection.execute(
        sa.select(ds.deal_events.c.kind, ds.deal_events.c.details_json).where(
            ds.deal_events.c.deal_id.in_(list(deal_ids)),
            ds.deal_events.c.kind.in_([DEFAULTED_EVENT, CLAIM_APPROVED_EVENT, RECOVERED_EVENT]),
        )
    ):
        details = json.loads(event.details_json)
        if event.kind == RECOVERED_EVENT:
            total -= int(details.get("pool_share", 0))
        else:
            total += int(details.get("compensation_paid", 0)) + int(details.get("compensation_claim", 0))
    return max(total, 0)


def written_off_on(session: LedgerSession, deal_id: str) -> dt.date | None:
    """The value date of the deal's write-off (核销), or None if it was not written off."""
    e = ds.deal_events
    return session.connection.execute(
        # The write-off step records an event of the status's name.
        sa.select(sa.func.min(e.c.value_date)).where(e.c.deal_id == deal_id, e.c.kind == DealStatus.WRITTEN_OFF.value)
    ).scalar()


@dataclass(frozen=True, slots=True)
class OptionRight:
    """A deal's option right as valuation needs it: who holds it, its terms, how many units, since when."""

    deal_id: str
    holder: str
    terms: OptionTerms
    quantity: int
    booked_on: dt.date  # the loan's start or the booking date, whichever is earlier


def _option_right(row: Any) -> OptionRight:
    terms, start = codec.option_terms_from_json(row.terms_json)
    booked = row.created_at.date()
    return OptionRight(row.id, row.holder, terms, int(row.option_quantity), min(start or booked, booked))


_OPTION_COLUMNS = (
    ds.deals.c.id,
    ds.deals.c.holder,
    ds.deals.c.terms_json,
    ds.deals.c.option_quantity,
    ds.deals.c.created_at,
)


def option_right(session: LedgerSession, deal_id: str) -> OptionRight | None:
    """The option right of the deal `deal_id`, or None if there is no such deal."""
    row = session.connection.execute(sa.select(*_OPTION_COLUMNS).where(ds.deals.c.id == deal_id)).first()
    return _option_right(row) if row is not None else None


def open_option_rights(session: LedgerSession) -> list[OptionRight]:
    """Every deal's option right but those of written-off deals, in deal id order (one query)."""
    query = sa.select(*_OPTION_COLUMNS).where(ds.deals.c.status != DealStatus.WRITTEN_OFF.value).order_by(ds.deals.c.id)
    return [_option_right(row) for row in session.connection.execute(query)]
