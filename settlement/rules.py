"""The small rules the exercise workflow checks everywhere: names it parses, states it requires, the
refusals it raises, the accounts an exercise moves, the strike per share."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from deals.agreements import records as agreement_records
from deals.agreements.model import LinkageTerms, OptionOnWriteOff
from deals.model import DealStatus
from deals.names import parse_deal_name
from deals.queries import DealRecord
from deals.terms import DealTerms, StrikeBasis
from ledger import names
from ledger.errors import (
    FailedPrecondition,
    InvalidArgument,
    PreconditionViolation,
    ViolationCollector,
)
from ledger.session import LedgerSession
from ledger.validation import check_decimal
from settlement import accounting
from settlement.model import State


def require_state(row: Any, state: State, verb: str) -> None:
    if row.state != state.value:
        raise FailedPrecondition(
            f"exercises/{row.id} is {row.state}; only {'an' if state.value[0] in 'aeiou' else 'a'} {state.value} "
            f"exercise can be {verb}",
            [PreconditionViolation("EXERCISE_STATE", f"exercises/{row.id}", f"state is {row.state}")],
            reason="ILLEGAL_EXERCISE_TRANSITION",
            metadata={"state": row.state},
        )


def precondition(message: str, reason: str) -> FailedPrecondition:
    return FailedPrecondition(message, [PreconditionViolation(reason, "", message)], reason=reason)


def deal_id_of(name: str, errors: ViolationCollector) -> str:
    """The deal id of `deals/{deal}` (deals.names.parse_deal_name), or a violation on field `deal`."""
    try:
        return parse_deal_name(name)
    except names.BadName as exc:
        errors.add("deal", str(exc))
        return ""


def exercise_id_of(name: str) -> uuid.UUID:
    try:
        return names.parse_uuid_name(name, "exercises")
    except names.BadName as exc:
        raise InvalidArgument.one("name", str(exc)) from None


def round_id_of(name: str) -> uuid.UUID:
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
    """Exact decimal text (a price per share; empty is 0); junk is a violation (ledger.validation.check_decimal)."""
    return check_decimal(text, path, errors)


def exercise_accounts(deal_id: str, terms: DealTerms) -> accounting.ExerciseAccounts:
    return accounting.ExerciseAccounts(
        deal=deal_id, branch=terms.branch, holder=terms.option.holder, pool=terms.risk.pool
    )


def strike_price(terms: DealTerms, price: Decimal) -> Decimal:
    option = terms.option
    if option.strike_basis is StrikeBasis.NEXT_ROUND_DISCOUNT:
        return (price * (1 - option.discount)).quantize(Decimal("0.000001"))
    if option.strike_basis is StrikeBasis.VALUATION_CAP:
        cap_price = option.reference_price
        return min(cap_price, price) if price > 0 else cap_price
    return option.strike_price


LAPSED_ON_WRITE_OFF = "OPTION_LAPSED_ON_WRITE_OFF"


def lapsed_on_write_off(session: LedgerSession, deal: DealRecord) -> str:
    """The linkage agreement version (`agreements/{id}/versions/{n}`) under which the option right of a
    written-off deal lapsed with its loan, or "" when the right survives: the deal is not written off, its
    agreement says the right survives (the default), or it was booked before agreements existed.

    The right (认股选择权) is a contract of its own, not a term of the loan, so by default a write-off
    leaves it exercisable in its window (docs/settlement.md, "Defaulted and written-off deals")."""
    linkage = deal.terms.agreements
    if deal.status is not DealStatus.WRITTEN_OFF or not linkage.linkage:
        return ""
    agreement = agreement_records.version_of(session.connection, linkage.linkage, linkage.linkage_version)
    if agreement is None or not isinstance(agreement.terms, LinkageTerms):
        return ""
    return agreement.version_name if agreement.terms.option_on_write_off is OptionOnWriteOff.LAPSES else ""


def lapsed_message(deal_id: str, agreement_version: str) -> str:
    return (
        f"deals/{deal_id} is written off and its linkage agreement {agreement_version} says the option right "
        "lapses on the write-off; it can no longer be exercised"
    )
