"""Opaque page tokens (AIP-158) bound to the filters they were issued for.

A token is base64url JSON holding the keyset position after the last item returned and a fingerprint
of the query's filters. Presenting it with other filters is refused, so a client can never silently
page through a mix of two different listings.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ledger.canonical import fingerprint
from ledger.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.one("page_size", f"must not be negative (got {requested})")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def encode(filters: Mapping[str, Any], position: list[Any]) -> str:
    payload = {"f": fingerprint(dict(filters))[:16], "p": position}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sequence(value: Any) -> int:
    """A book sequence number from a page token (a non-negative BIGINT)."""
    if not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError("not a sequence number")
    return value


def text(value: Any) -> str:
    """A string from a page token."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def decode(
    token: str,
    filters: Mapping[str, Any],
    shape: Sequence[Callable[[Any], Any]] | None = None,
) -> list[Any] | None:
    """The position in `token`, None for an empty token; InvalidArgument if malformed or for other filters.

    With `shape`, the position must have one element per converter (e.g. `(int,)` or `(str, uuid.UUID)`)
    and is returned converted, so a tampered position is refused here rather than failing in a query.
    """
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        position = payload["p"]
        issued_for = payload["f"]
        if not isinstance(position, list) or not isinstance(issued_for, str):
            raise ValueError("bad shape")
        if shape is not None:
            if len(position) != len(shape):
                raise ValueError("bad position")
            position = [convert(value) for convert, value in zip(shape, position, strict=True)]
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument.one(
            "page_token",
            "is not a page token this server issued; pass next_page_token back unchanged",
            "INVALID_PAGE_TOKEN",
        ) from None
    if issued_for != fingerprint(dict(filters))[:16]:
        raise InvalidArgument.one(
            "page_token",
            "was issued for a listing with different filters; repeat the same filters or start over",
            "PAGE_TOKEN_FILTER_MISMATCH",
        )
    return position
