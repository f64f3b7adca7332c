"""DealTerms to and from JSON, for storage: Decimals as strings, dates ISO, enums by value.

The stored JSON is what the deal was booked with; it is also part of the booking's fingerprint, so a
retried booking with the same terms in a different encoding ("0.10" vs "0.1") is still the same request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import json
import types
import typing
from decimal import Decimal
from typing import Any

from deals.calendar import LEGACY_CALENDAR
from deals.schedule import LoanTerms, Subsidy
from deals.terms import (
    Borrower,
    DealAgreements,
    DealTerms,
    OptionTerms,
    QuantityBasis,
    RiskSharing,
    Split,
    StrikeBasis,
)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # "10", never "1E+1"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def terms_to_json(terms: DealTerms) -> str:
    return json.dumps(_plain(terms), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    """A dataclass's resolved field types, once per class: `typing.get_type_hints` evaluates every
    annotation string on each call and was most of the cost of decoding a deal's terms."""
    return typing.get_type_hints(cls)


def plain(value: Any) -> Any:
    """A dataclass (or value) as JSON-ready data: Decimals as strings, dates ISO, enums by value."""
    return _plain(value)


def build(cls: Any, data: Any) -> Any:
    """A dataclass from `plain` data (missing fields take their defaults)."""
    return _build(cls, data)


def _build(cls: Any, data: Any) -> Any:
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _value(hints[f.name], data[f.name])
    return cls(**values)


def _value(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(inner[0], raw)
    if origin is tuple:
        return tuple(_value(typing.get_args(hint)[0], v) for v in raw)
    if hint is Decimal:
        return Decimal(raw)
    if hint is dt.date:
        return dt.date.fromisoformat(raw)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(raw)
    if dataclasses.is_dataclass(hint):
        return _build(hint, raw)
    return raw


def terms_from_json(text: str) -> DealTerms:
    """Stored terms back as DealTerms. Terms stored before a field existed take what that deal was booked
    under: a loan without a calendar was scheduled on weekends only (LEGACY_CALENDAR)."""
    data = json.loads(text)
    loan = _build(LoanTerms, data["loan"])
    if "calendar" not in data["loan"]:
        loan = dataclasses.replace(loan, calendar=LEGACY_CALENDAR)
    return DealTerms(
        branch=data["branch"],
        borrower=_build(Borrower, data["borrower"]),
        loan=loan,
        option=_build(OptionTerms, data["option"]),
        risk=_build(RiskSharing, data["risk"]),
        split=_build(Split, data["split"]),
        subsidy=_build(Subsidy, data["subsidy"]),
        subsidy_fund=data.get("subsidy_fund", ""),
        agreements=_build(DealAgreements, data.get("agreements") or {}),
    )


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@functools.lru_cache(maxsize=65_536)
def option_terms_from_json(text: str) -> tuple[OptionTerms, dt.date | None]:
    """The option terms of stored deal terms and the loan's start date, decoded from the same JSON as
    `terms_from_json` but only the fields a valuation needs, and once per distinct text.

    A revaluation reads every open deal: `terms_from_json` rebuilds every dataclass through
    `typing.get_type_hints`, which dominated a large revaluation (docs/performance.md). Triggers and the
    round thresholds are left at their defaults: valuation does not use them.
    """
    data = json.loads(text)
    o = data["option"]
    terms = OptionTerms(
        holder=o["holder"],
        company=o["company"],
        share_class=o["share_class"],
        quantity_basis=QuantityBasis(o["quantity_basis"]) if o.get("quantity_basis") else None,
        shares=int(o.get("shares") or 0),
        stake=Decimal(str(o.get("stake") or 0)),
        coverage=Decimal(str(o.get("coverage") or 0)),
        fully_diluted_shares=int(o.get("fully_diluted_shares") or 0),
        strike_basis=StrikeBasis(o["strike_basis"]) if o.get("strike_basis") else None,
        strike_price=Decimal(str(o.get("strike_price") or 0)),
        discount=Decimal(str(o.get("discount") or 0)),
        valuation_cap=int(o.get("valuation_cap") or 0),
        window_start=_date(o.get("window_start")),
        window_end=_date(o.get("window_end")),
    )
    return terms, _date(data["loan"].get("start"))
