"""How the `toudai` CLI writes amounts, names and instants for a person: one style everywhere.

A clerk compares figures across commands (a ledger balance, a deal's outstanding principal, a trial
balance, an exercise price), so every command formats them here and nowhere else:

* amounts: thousands separators and, for a currency, at least two decimal places (its minor unit),
  never fewer than the value has: `40,000,000.00 CNY`, `10.00`, `0.3125`; option units and shares as
  whole numbers with separators (`100,000`);
* names: short where the context is clear: `bank-hz/cash` for `parties/bank-hz/accounts/cash`,
  `bank-hz` for `parties/bank-hz`, the first 8 characters of a UUID (`d8d05df6`); `-o wide` (and
  `--json`, which never goes through this module) keeps the full names;
* instants: `2026-12-05 03:43:02 +08:00`, in the business time zone (TOUDAI_TIMEZONE, default
  Asia/Shanghai, the default of `toudai serve --timezone`); dates as YYYY-MM-DD.

`configure(wide=...)` is called once by clients.cli before a command runs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from decimal import Decimal

DEFAULT_ZONE = "Asia/Shanghai"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ACCOUNT = re.compile(r"^parties/([^/]+)/accounts/(.+)$")
_ACCOUNT_IN_TEXT = re.compile(r"\bparties/([\w.-]+)/accounts/([\w./-]*[\w-])")
_MONEY_IN_TEXT = re.compile(r"(?<![\w.,])(-?\d{4,}(?:\.\d+)?) ([A-Z]{3})\b")


class _Settings:
    """What the command line chose: full names (`-o wide`) or short ones (the default)."""

    wide = False


_settings = _Settings()


def configure(*, wide: bool) -> None:
    """Full resource names and ids (`-o wide`) or the short forms (default)."""
    _settings.wide = wide


def is_wide() -> bool:
    return _settings.wide


def is_currency(commodity: str | None) -> bool:
    """ISO 4217 codes are three capital letters (CNY, USD); option units and shares are named otherwise."""
    return commodity is not None and len(commodity) == 3 and commodity.isalpha() and commodity.isupper()


def amount(value: Decimal | int | str | None, commodity: str | None = None, *, places: int | None = None) -> str:
    """`value` with thousands separators, at least `places` decimals (default: 2 for a currency or when
    no commodity is given, 0 otherwise) and never fewer than it has; the commodity after it when given.

    >>> amount(Decimal("50000000.00"), "CNY")
    '50,000,000.00 CNY'
    >>> amount(Decimal("10"))
    '10.00'
    >>> amount(100000, "OPT-ACME-A")
    '100,000 OPT-ACME-A'
    """
    if value is None or value == "":
        return ""
    number = Decimal(value) if not isinstance(value, Decimal) else value
    if places is None:
        places = 2 if commodity is None or is_currency(commodity) else 0
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent < places:
        number = number.quantize(Decimal(1).scaleb(-places))
    text = f"{number:,}"
    return f"{text} {commodity}" if commodity else text


def minor(value: int, scale: int, commodity: str | None = None) -> str:
    """An integer amount in minor units (fen) as money: `minor(1000000001, 2, "CNY")` is '10,000,000.01 CNY'."""
    return amount(Decimal(value).scaleb(-scale), commodity, places=scale)


def account(name: str) -> str:
    """`parties/bank-hz/accounts/cash` as `bank-hz/cash` (unchanged with `-o wide` or if not an account)."""
    if _settings.wide:
        return name
    match = _ACCOUNT.match(name)
    return f"{match.group(1)}/{match.group(2)}" if match else name


def party(name: str) -> str:
    """`parties/bank-hz` as `bank-hz` (unchanged with `-o wide`)."""
    if _settings.wide:
        return name
    return name.removeprefix("parties/")


def ident(name: str) -> str:
    """`transactions/d8d05df6-a223-...` as `d8d05df6`: the first 8 characters of a UUID id, enough to tell
    rows apart on screen (`tx get` and friends accept the full name only: copy it from `-o wide`/--json).
    Names whose last part is not a UUID (`deals/hz-2026-001`) lose only their collection prefix."""
    if not name or _settings.wide:
        return name
    last = name.rsplit("/", 1)[-1]
    return last[:8] if _UUID.match(last) else last


def zone() -> zoneinfo.ZoneInfo:
    """The business time zone instants are shown in (TOUDAI_TIMEZONE, default Asia/Shanghai)."""
    try:
        return zoneinfo.ZoneInfo(os.environ.get("TOUDAI_TIMEZONE") or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def when(value: dt.datetime | dt.date | str | None) -> str:
    """An instant as `2026-12-05 03:43:02 +08:00` in the business time zone; a date as YYYY-MM-DD.

    A string is read as ISO 8601 (what some services send in their JSON-shaped answers)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        local = aware.astimezone(zone())
        offset = local.strftime("%z")
        return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"
    return value.isoformat()


def in_words(text: str) -> str:
    """A message for a person in the same style as the tables: accounts as `bank-hz/cash` and amounts of four
    digits or more followed by a currency with separators (`-6000000.00 CNY` as `-6,000,000.00 CNY`)."""
    if not _settings.wide:
        text = _ACCOUNT_IN_TEXT.sub(lambda m: f"{m.group(1)}/{m.group(2)}", text)
    return _MONEY_IN_TEXT.sub(lambda m: amount(Decimal(m.group(1)), m.group(2)), text)
