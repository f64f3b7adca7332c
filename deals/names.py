"""Deal resource names (`deals/{deal}`): the one parser, used by deals, settlement and valuation alike."""

from __future__ import annotations

from ledger import names
from ledger.errors import InvalidArgument, ViolationCollector

__all__ = ["DEAL_ID_MAX", "deal_id_in", "deal_name", "parse_deal_name", "party_filters"]

#: A deal id is a party-id-shaped slug of at most this many characters (it becomes part of account codes).
DEAL_ID_MAX = 40


def deal_name(deal_id: str) -> str:
    return f"deals/{deal_id}"


def parse_deal_name(name: str) -> str:
    """The deal id of `deals/{deal}`; raises ledger.names.BadName with a message a person can act on."""
    deal_id = name[6:] if name.startswith("deals/") else ""
    if not deal_id or not names.PARTY_ID.match(deal_id) or len(deal_id) > DEAL_ID_MAX:
        raise names.BadName(f"{name!r} is not a deal name; expected deals/{{deal}} such as deals/hz-2026-001")
    return deal_id


def deal_id_in(name: str, field: str) -> str:
    """The deal id of a request's `deals/{deal}` field; INVALID_ARGUMENT naming `field` if it is not one."""
    try:
        return parse_deal_name(name)
    except names.BadName as exc:
        raise InvalidArgument.one(field, str(exc)) from None


def party_filters(errors: ViolationCollector, **filters: str) -> dict[str, str]:
    """The party ids of a list's party filters (`field=parties/{party}`, empty ones left out); a violation
    on its field for each that is not a party name."""
    parsed = {}
    for field, value in filters.items():
        if value:
            try:
                parsed[field] = names.parse_party_name(value)
            except names.BadName as exc:
                errors.add(field, str(exc))
    return parsed
