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

from deals.schedule import LoanTerms, Subsidy
from deals.terms import Borrower, DealTerms, OptionTerms, RiskSharing, Split


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
    data = json.loads(text)
    return DealTerms(
        branch=data["branch"],
        borrower=_build(Borrower, data["borrower"]),
        loan=_build(LoanTerms, data["loan"]),
        option=_build(OptionTerms, data["option"]),
        risk=_build(RiskSharing, data["risk"]),
        split=_build(Split, data["split"]),
        subsidy=_build(Subsidy, data["subsidy"]),
        subsidy_fund=data.get("subsidy_fund", ""),
    )
