""" "Did you mean ...?" for the CLI: when a name a clerk typed does not exist, the closest existing ones.

A filter naming a party that does not exist is an error here (the server answers an empty page, which
looks like "nothing there" to someone who mistyped `bank-hz` as `bank-zh`), and an account that is not
found gets the nearest accounts of its party. The lists are read with the caller's own credential, so a
suggestion never names anything the caller could not list itself.
"""

from __future__ import annotations

import difflib
import re

import grpc

from clients.client import ToudaiClient
from clients.errors import NotFoundError, ToudaiError
from clients.values import account_name, party_name

__all__ = ["as_flags", "check_party", "closest", "unknown_account", "unknown_commodity"]


def closest(typed: str, known: list[str], *, limit: int = 3) -> list[str]:
    """The known names most like `typed` (difflib's ratio, at least 0.6), best first."""
    return difflib.get_close_matches(typed, known, n=limit, cutoff=0.6)


def _hint(matches: list[str]) -> str:
    return f"; did you mean {' or '.join(matches)}?" if matches else ""


def check_party(client: ToudaiClient, party: str | None, field: str = "--party") -> None:
    """Raise NotFoundError (exit 1) when `party` names no party, with the closest party ids."""
    if not party:
        return
    try:
        client.get_party(party)
    except NotFoundError:
        typed = party_name(party).removeprefix("parties/")
        known = [p.name.removeprefix("parties/") for p in client.list_parties()]
        raise NotFoundError(
            grpc.StatusCode.NOT_FOUND,
            f"{field} {party}: there is no party {typed}{_hint(closest(typed, known))} "
            "(`toudai party list` shows them)",
            reason="UNKNOWN_PARTY",
        ) from None


def unknown_account(client: ToudaiClient, account: str, error: NotFoundError) -> NotFoundError:
    """The server's NOT_FOUND for `account`, with the closest accounts of its party when there are any."""
    name = account_name(account)
    if not name.startswith("parties/") or "/accounts/" not in name:
        return error
    party, code = name.removeprefix("parties/").split("/accounts/", 1)
    try:
        known = [a.name.split("/accounts/", 1)[1] for a in client.list_accounts(party=party)]
    except NotFoundError:
        known = []
    matches = [f"{party}/{c}" for c in closest(code, known)]
    if not matches:
        return error
    return NotFoundError(error.code, error.message + _hint(matches), reason=error.reason, metadata=error.metadata)


def unknown_commodity(client: ToudaiClient, typed: str, error: ToudaiError) -> ToudaiError:
    """The server's UNKNOWN_COMMODITY refusal for `typed`, with the closest registered commodity codes."""
    try:
        known = [c.code for c in client.list_commodities()]
    except ToudaiError:
        known = []
    matches = closest(typed.upper(), known) or closest(typed, known)
    if not matches:
        return error
    return type(error)(
        error.code,
        error.message + _hint(matches),
        reason=error.reason,
        field_violations=[(f, d + _hint(matches)) for f, d in error.field_violations],
        metadata=error.metadata,
    )


def as_flags(error: ToudaiError, flags: dict[str, str]) -> ToudaiError:
    """`error` with the request's field paths replaced by the command-line flags that set them.

    `flags` maps a field path prefix to a flag, longest first wins: {"transactions[0].postings[1]": "--from"}
    turns "transactions[0].postings[1].account: account ... does not exist" into "--from: account ...".
    """

    def rename(text: str) -> str:
        for path in sorted(flags, key=len, reverse=True):
            text = re.sub(re.escape(path) + r"(\.[\w.\[\]]+)?", flags[path], text)
        return text

    violations = list(dict.fromkeys((rename(f), rename(d)) for f, d in error.field_violations))
    message = rename(error.message)
    if len(violations) == 1:  # both legs of a transfer refused for the same flag: one problem, said once
        message = re.sub(r" \(and \d+ more problems?\)$", "", message)
    return type(error)(
        error.code,
        message,
        reason=error.reason,
        field_violations=violations,
        precondition_violations=[(k, s, rename(d)) for k, s, d in error.precondition_violations],
        metadata=error.metadata,
    )
