"""The small rules the exercise workflow checks everywhere: names it parses, states it requires, the
refusals it raises, the accounts an exercise moves, the strike per share."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from deals.names import parse_deal_name
from deals.terms import DealTerms, StrikeBasis
from ledger import names
from ledger.errors import (
    FailedPrecondition,
    InvalidArgument,
    PreconditionViolation,
    ViolationCollector,
)
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
