"""What a linked deal is, as the deal desk gives it out: its status, events, balances and step results,
and the small naming rules its journal entries follow (ledger request ids, metadata)."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deals import accounting
from deals.terms import DealTerms
from ledger import actor
from ledger.amounts import format_minor

#: The kind of the event a default records (its details carry compensation_paid and compensation_claim).
DEFAULTED_EVENT = "defaulted"
CLAIM_APPROVED_EVENT = "claim_approved"  # the pool approved a pending claim: its compensation posted then
INSURANCE_APPROVED_EVENT = "insurance_approved"  # the insurer approved its claim: its share posted then
INSURANCE_REJECTED_EVENT = "insurance_rejected"
INSURANCE_SETTLED_EVENT = "insurance_settled"  # the insurer paid (part of) its approved claim
RECOVERED_EVENT = "recovered"  # a recovery after default (details: costs, principal, interest, each party's share)

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


#: Deals whose risk pool can still owe compensation: they count against an agreement's exposure cap.
OPEN_STATUSES = (DealStatus.BOOKED, DealStatus.DISBURSED, DealStatus.REPAYING, DealStatus.DEFAULTED)


@dataclass(frozen=True, slots=True)
class DealEvent:
    kind: str
    value_date: dt.date
    request_id: str
    transaction: str
    create_time: dt.datetime
    details: Mapping[str, str]
    principal: str = ""
    role: str = ""


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
    booked_by: str = ""  # principal
    booked_role: str = ""
    non_accrual_since: dt.date | None = None  # first day of interest tracked off balance sheet (None: accruing)
    off_balance_interest: int = 0  # interest owed but not recognised (表外应收利息), fen

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
class StepResult:
    """The deal after a step, the step's amounts (fen, by name) and the transactions it posted; `replayed`
    when the request id had been used for this step before (the first call's amounts and transactions,
    nothing posted this time)."""

    deal: Deal
    amounts: Mapping[str, int]
    transactions: tuple[str, ...]
    replayed: bool = False


def deal_accounts(deal_id: str, terms: DealTerms) -> accounting.DealAccounts:
    return accounting.DealAccounts(
        deal=deal_id,
        branch=terms.branch,
        holder=terms.option.holder,
        pool=terms.risk.pool,
        subsidy_fund=terms.subsidy_fund if terms.subsidy.kind.value != "none" else "",
        insurer=terms.risk.insurer,
    )


def event_row(
    deal_id: str,
    seq: int,
    kind: str,
    request_id: str,
    print_: str,
    value_date: dt.date,
    transaction_id: Any,
    details: Mapping[str, str],
    now: dt.datetime,
    scope: str,
) -> dict[str, Any]:
    """An event row, attributed to the bound caller; `scope` is the party whose key `request_id` is."""
    return {
        "deal_id": deal_id,
        "scope": scope,
        **actor.columns(),
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


def ledger_request(deal_id: str, seq: int, n: int) -> str:
    return f"deals/{deal_id}/events/{seq}/{n}"


def deal_meta(deal_id: str, step: str, request_id: str = "") -> dict[str, str]:
    """A deal transaction's metadata: the deal, the step, and the client's request id that caused it, so
    the hash chain records which request (as well as who, `toudai.principal`) wrote each entry."""
    meta = {"toudai.deal": deal_id}
    if step:
        meta["toudai.step"] = step
    if request_id:
        meta["toudai.request_id"] = request_id
    return meta


def yuan(fen: int) -> str:
    return f"{format_minor(fen, 2)} CNY"
