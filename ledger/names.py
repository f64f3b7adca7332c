"""Resource names and identifier formats (AIP-122), parsed and formatted in one place."""

from __future__ import annotations

import re
import uuid

PARTY_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}\Z")
ACCOUNT_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}\Z")
COMMODITY_CODE = re.compile(r"^[A-Z][A-Z0-9._-]{0,31}\Z")
REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}\Z")

_PARTY_NAME = re.compile(r"^parties/([^/]+)\Z")
_ACCOUNT_NAME = re.compile(r"^parties/([^/]+)/accounts/([^/]+)\Z")


class BadName(ValueError):
    """A resource name that does not parse; the message is for a person."""


def party_name(party_id: str) -> str:
    return f"parties/{party_id}"


def account_name(party_id: str, code: str) -> str:
    return f"parties/{party_id}/accounts/{code}"


def parse_party_name(name: str) -> str:
    """`parties/{party}` → party id."""
    match = _PARTY_NAME.match(name or "")
    if match is None or not PARTY_ID.match(match.group(1)):
        raise BadName(f"{name!r} is not a party name; expected parties/{{party}} such as parties/bank-hz")
    return match.group(1)


def parse_account_name(name: str) -> tuple[str, str]:
    """`parties/{party}/accounts/{code}` → (party id, account code)."""
    match = _ACCOUNT_NAME.match(name or "")
    if match is None or not PARTY_ID.match(match.group(1)) or not ACCOUNT_CODE.match(match.group(2)):
        raise BadName(
            f"{name!r} is not an account name; expected parties/{{party}}/accounts/{{code}} "
            "such as parties/bank-hz/accounts/cash"
        )
    return match.group(1), match.group(2)


def parse_uuid_name(name: str, collection: str) -> uuid.UUID:
    """`{collection}/{uuid}` → UUID."""
    prefix = f"{collection}/"
    if not name or not name.startswith(prefix):
        raise BadName(f"{name!r} is not a {collection[:-1]} name; expected {collection}/{{uuid}}")
    try:
        return uuid.UUID(name[len(prefix) :])
    except ValueError:
        raise BadName(f"{name!r} does not end in a UUID; expected {collection}/{{uuid}}") from None


def parse_commodity_name(name: str) -> str:
    """`commodities/{code}` or a bare code → code."""
    code = name.removeprefix("commodities/")
    if not COMMODITY_CODE.match(code):
        raise BadName(f"{name!r} is not a commodity code (capitals, digits, '.', '-', '_'; e.g. CNY)")
    return code
