"""argparse `type=` converters for the `toudai` CLI: exact amounts, dates, durations, KEY=VALUE pairs.

A converter that raises `argparse.ArgumentTypeError` makes argparse print the usage and exit 2, which
is the CLI's documented exit code for "you typed it wrong": a malformed amount never reaches the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from decimal import Decimal

from clients.values import to_decimal

_DURATION = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def amount(text: str) -> Decimal:
    """An exact decimal amount such as 100.00 (never through a float)."""
    try:
        return to_decimal(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a decimal amount such as 100.00") from None


def cny(text: str) -> Decimal:
    """An exact CNY amount: at most two decimal places (fen), so that a typo such as 1000.001 is caught here
    and not by the server in the API's words (`amount.nanos ... multiple of 10,000,000`)."""
    value = amount(text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(
            f"{text!r} has more than two decimal places; CNY amounts are in fen, e.g. 100.25"
        )
    return value


def date(text: str) -> dt.date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-11-26") from None


def timezone(text: str) -> str:
    """An IANA time zone name such as Asia/Shanghai, checked against the zone database."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time zone (an IANA name such as Asia/Shanghai)") from None
    return text


DEFAULT_PORT = 50051


def target(text: str) -> str:
    """A server address: HOST:PORT, or HOST alone for the default port (gRPC would otherwise try 443), or a
    gRPC target URI such as dns:///host:port or unix:path, passed as it is."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError("the server address is empty; write HOST:PORT, e.g. 127.0.0.1:50051")
    if "://" in value or value.startswith("unix:") or value.startswith("["):
        return value
    if ":" not in value:
        return f"{value}:{DEFAULT_PORT}"
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (a port from 1 to 65535), e.g. 127.0.0.1:50051")
    return value


def days(text: str) -> int:
    """A whole number of days, 0 to 3650."""
    if not text.strip().isdigit() or int(text) > 3650:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 0 to 3650, e.g. 90")
    return int(text)


def duration(text: str) -> dt.timedelta:
    """A duration such as 7d, 12h, 30m or 90s."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; write e.g. 7d, 12h, 30m or 90s")
    return dt.timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})


_MILLISECONDS = re.compile(r"^\s*(\d+)\s*(ms|s|m)\s*$")
_MS_PER_UNIT = {"ms": 1, "s": 1000, "m": 60_000}


def milliseconds(text: str) -> int:
    """A database time limit such as 500ms, 10s or 2m, in milliseconds; 0 turns the limit off."""
    if text.strip() == "0":
        return 0
    match = _MILLISECONDS.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time limit; write e.g. 500ms, 10s or 2m (0: no limit)")
    return int(match.group(1)) * _MS_PER_UNIT[match.group(2)]


def key_value(text: str) -> tuple[str, str]:
    """KEY=VALUE, split at the first '='."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE, e.g. deal=D-1")
    return key, value


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return number


def positive_float(text: str) -> float:
    """A positive number of seconds (a timeout, not money: a float is fine here)."""
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return number


def scale(text: str) -> int:
    """A commodity scale: decimal places, 0 to 18."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 18:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scale between 0 and 18")
    return number
