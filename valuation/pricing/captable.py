"""A company's capitalisation table: share classes, their liquidation preferences, and option pools.

This is the instrument side of an OPM (`valuation.pricing.opm`): who is owed what when the company is sold or
wound up. Conventions (the same as the cap-table files the CLI reads, see docs/valuation.md):

- A class without `preference` is common stock. A preferred class has a liquidation preference of
  `price × multiple` per share, paid before anything junior to it.
- `seniority` 1 is paid first, then 2, and so on; classes of equal seniority rank pari passu, paid
  pro rata to their preference amounts when there is not enough for all.
- Non-participating preferred takes the larger of its preference and what it would receive as
  common (`shares × conversion_ratio` common shares): it converts when that pays more.
- Participating preferred takes its preference *and* shares in the rest as if converted; with a
  `participation_cap` (a multiple of the original `price`) its total per share stops at
  `participation_cap × price`, until converting to common pays more.
- Option pools (and warrants) are `shares` with a `strike`; they are exercised when the value per
  common share exceeds the strike, and then receive the excess (the strike's cash is not added to
  the company's value: the usual OPM simplification, exact in the limit of a cashless exercise).

Prices arrive as decimal strings (as loaded from JSON or YAML) and become float64 here: this package
values, it does not account; whoever turns a value into money rounds it once, explicitly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from valuation.pricing.errors import ValuationInputError

__all__ = ["CapTable", "OptionPool", "Preference", "ShareClass", "parse_cap_table"]


@dataclass(frozen=True, slots=True)
class Preference:
    """A liquidation preference: `price × multiple` per share, then (maybe capped) participation."""

    price: float
    multiple: float = 1.0
    participating: bool = False
    participation_cap: float | None = None
    seniority: int = 1

    @property
    def amount_per_share(self) -> float:
        """The preference owed on one share: original price × multiple."""
        return self.price * self.multiple

    @property
    def cap_per_share(self) -> float | None:
        """The most a participating share receives before it would rather convert; None if uncapped."""
        return None if self.participation_cap is None else self.participation_cap * self.price


@dataclass(frozen=True, slots=True)
class ShareClass:
    """A class of shares; `preference` None means common stock."""

    name: str
    shares: float
    conversion_ratio: float = 1.0
    preference: Preference | None = None

    @property
    def as_converted_shares(self) -> float:
        """The common shares this class becomes on conversion: shares × conversion ratio."""
        return self.shares * self.conversion_ratio


@dataclass(frozen=True, slots=True)
class OptionPool:
    """Options (or warrants) on `shares` common shares at `strike` each, exercised when in the money."""

    name: str
    shares: float
    strike: float


@dataclass(frozen=True, slots=True)
class CapTable:
    """Share classes and option pools; build it with `parse_cap_table` (which validates) or directly."""

    classes: tuple[ShareClass, ...]
    option_pools: tuple[OptionPool, ...] = ()

    def __post_init__(self) -> None:
        # Direct construction gets the same guarantees the waterfall relies on as parsing does.
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "option_pools", tuple(self.option_pools))
        if not self.classes:
            raise ValuationInputError("classes", "must list at least one share class")
        seen: set[str] = set()
        for i, c in enumerate(self.classes):
            _name(f"classes[{i}].name", c.name, seen)
            _positive(f"classes[{i}].shares", c.shares)
            _positive(f"classes[{i}].conversion_ratio", c.conversion_ratio)
            p = c.preference
            if p is not None:
                _non_negative(f"classes[{i}].preference.price", p.price)
                _non_negative(f"classes[{i}].preference.multiple", p.multiple)
                if p.seniority < 1:
                    raise ValuationInputError(f"classes[{i}].preference.seniority", "must be ≥ 1")
                if p.participation_cap is not None and (not p.participating or p.participation_cap < p.multiple):
                    raise ValuationInputError(
                        f"classes[{i}].preference.participation_cap",
                        "needs a participating class and a cap no lower than the multiple",
                    )
        for i, pool in enumerate(self.option_pools):
            _name(f"option_pools[{i}].name", pool.name, seen)
            _positive(f"option_pools[{i}].shares", pool.shares)
            _non_negative(f"option_pools[{i}].strike", pool.strike)

    def share_class(self, name: str, field: str = "class_name") -> ShareClass:
        """The class called `name`; raises ValuationInputError naming `field` if there is none."""
        for share_class in self.classes:
            if share_class.name == name:
                return share_class
        known = ", ".join(c.name for c in self.classes)
        raise ValuationInputError(field, f"unknown share class {name!r} (the cap table has {known})")

    @property
    def holders(self) -> tuple[str, ...]:
        """Every class and pool name, classes first, in table order."""
        return tuple(c.name for c in self.classes) + tuple(p.name for p in self.option_pools)

    def shares_of(self, name: str) -> float:
        """Shares (or options) held by class or pool `name`."""
        for share_class in self.classes:
            if share_class.name == name:
                return share_class.shares
        for pool in self.option_pools:
            if pool.name == name:
                return pool.shares
        raise ValuationInputError("class_name", f"unknown class or option pool {name!r}")


# -- parsing ------------------------------------------------------------------------------------------

_CLASS_KEYS = frozenset({"name", "shares", "conversion_ratio", "preference"})
_PREFERENCE_KEYS = frozenset({"price", "multiple", "participating", "participation_cap", "seniority"})
_POOL_KEYS = frozenset({"name", "shares", "strike"})


def _number(field: str, value: object) -> float:
    """A finite number from a decimal string, an int or a float (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValuationInputError(field, f"must be a number or a decimal string, got {value!r}")
    try:
        number = float(Decimal(value.strip()) if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise ValuationInputError(field, f"is not a decimal number: {value!r}") from None
    if not math.isfinite(number):
        raise ValuationInputError(field, f"must be finite, got {value!r}")
    return number


def _non_negative(field: str, value: object) -> float:
    number = _number(field, value)
    if number < 0.0:
        raise ValuationInputError(field, f"must not be negative, got {value!r}")
    return number


def _positive(field: str, value: object) -> float:
    number = _number(field, value)
    if number <= 0.0:
        raise ValuationInputError(field, f"must be positive, got {value!r}")
    return number


def _mapping(field: str, value: object, allowed: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValuationInputError(field, f"must be an object, got {type(value).__name__}")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise ValuationInputError(f"{field}.{unknown[0]}", f"unknown field (allowed: {', '.join(sorted(allowed))})")
    return value


def _list(field: str, value: object) -> Sequence[object]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise ValuationInputError(field, f"must be a list, got {type(value).__name__}")
    return value


def _name(field: str, value: object, seen: set[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValuationInputError(field, "must be a non-empty string")
    if value in seen:
        raise ValuationInputError(field, f"duplicate name {value!r}: class and pool names must be unique")
    seen.add(value)
    return value


def _preference(field: str, raw: object) -> Preference:
    data = _mapping(field, raw, _PREFERENCE_KEYS)
    if "price" not in data:
        raise ValuationInputError(f"{field}.price", "is required")
    price = _non_negative(f"{field}.price", data["price"])
    multiple = _non_negative(f"{field}.multiple", data.get("multiple", 1))
    participating = data.get("participating", False)
    if not isinstance(participating, bool):
        raise ValuationInputError(f"{field}.participating", f"must be true or false, got {participating!r}")
    cap: float | None = None
    if data.get("participation_cap") is not None:
        if not participating:
            raise ValuationInputError(f"{field}.participation_cap", "applies only to participating preferred")
        cap = _non_negative(f"{field}.participation_cap", data["participation_cap"])
        if cap < multiple:
            raise ValuationInputError(
                f"{field}.participation_cap",
                f"{cap} × price is below the preference itself ({multiple} × price): the terms don't add up",
            )
    seniority = data.get("seniority", 1)
    if isinstance(seniority, bool) or not isinstance(seniority, int) or seniority < 1:
        raise ValuationInputError(f"{field}.seniority", f"must be an integer ≥ 1 (1 is paid first), got {seniority!r}")
    return Preference(price, multiple, participating, cap, seniority)


def parse_cap_table(data: object) -> CapTable:
    """Build and validate a `CapTable` from plain data, as loaded from the JSON or YAML cap-table file.

    Example:
        >>> table = parse_cap_table({"classes": [{"name": "common", "shares": 8000000},
        ...     {"name": "A", "shares": 2000000, "preference": {"price": "1.00"}}]})
        >>> table.share_class("A").preference.amount_per_share
        1.0

    Raises:
        ValuationInputError: the first problem found, with its path (e.g. `classes[2].preference.price`).
    """
    top = _mapping("cap_table", data, frozenset({"classes", "option_pools"}))
    if "classes" not in top:
        raise ValuationInputError("classes", "is required")
    raw_classes = _list("classes", top["classes"])
    if not raw_classes:
        raise ValuationInputError("classes", "must list at least one share class")
    seen: set[str] = set()
    classes: list[ShareClass] = []
    for i, raw in enumerate(raw_classes):
        field = f"classes[{i}]"
        item = _mapping(field, raw, _CLASS_KEYS)
        name = _name(f"{field}.name", item.get("name"), seen)
        shares = _positive(f"{field}.shares", item.get("shares"))
        ratio = _positive(f"{field}.conversion_ratio", item.get("conversion_ratio", 1))
        raw_preference = item.get("preference")
        preference = None if raw_preference is None else _preference(f"{field}.preference", raw_preference)
        classes.append(ShareClass(name, shares, ratio, preference))
    pools: list[OptionPool] = []
    for i, raw in enumerate(_list("option_pools", top.get("option_pools", []))):
        field = f"option_pools[{i}]"
        item = _mapping(field, raw, _POOL_KEYS)
        name = _name(f"{field}.name", item.get("name"), seen)
        shares = _positive(f"{field}.shares", item.get("shares"))
        strike = _non_negative(f"{field}.strike", item.get("strike"))
        pools.append(OptionPool(name, shares, strike))
    return CapTable(tuple(classes), tuple(pools))
