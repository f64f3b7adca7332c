"""Scoping calls to the caller's own party: the part of authorization that needs the resource.

server.auth decides from the role alone whether an RPC may be called at all. When POLICY says a role's
access is "own", the servicer calls one of these before doing anything else: branch staff see and act on
the resources of their branch, the investment arm on deals whose option it holds, the risk pool on deals
it backs and its own book. Another party's existing resource is NOT_FOUND with the same message as a
missing one, so that its existence does not leak; lists are narrowed to the caller's own items; a write
that names another party as its own (booking a deal for another branch) is PERMISSION_DENIED.

Every helper is a no-op for unscoped callers (administrators, auditors, and roles whose access to the
RPC is "any"). Outside an authenticated call they refuse (UNAUTHENTICATED): scoping fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc

from deals.claims import Claim
from deals.desk import DealDesk
from deals.model import Deal
from ledger import names
from ledger.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from ledger.model import Hold, Transaction
from server.auth import Call, Role, bound_call
from settlement.model import Exercise


def call_of(context: grpc.ServicerContext) -> Call:
    call = bound_call(context)
    if call is None:
        raise Unauthenticated("the call was not authenticated", reason="UNAUTHENTICATED")
    return call


def scope(context: grpc.ServicerContext) -> str | None:
    """The caller's party when this call is limited to it, else None."""
    return call_of(context).scope


def _account_party(name: str, field: str) -> str:
    try:
        return names.parse_account_name(name)[0]
    except names.BadName as exc:
        raise InvalidArgument.one(field, str(exc)) from None


def _party_id(name: str, field: str) -> str:
    candidate = name if name.startswith("parties/") else f"parties/{name}"
    try:
        return names.parse_party_name(candidate)
    except names.BadName as exc:
        raise InvalidArgument.one(field, str(exc)) from None


# ---------------------------------------------------------------------- ledger resources


def own_accounts(context: grpc.ServicerContext, accounts: Iterable[tuple[str, str]]) -> None:
    """Every (account name, field path) is in the caller's book; else NOT_FOUND for the first that is not."""
    party = scope(context)
    if party is None:
        return
    for name, field in accounts:
        if _account_party(name, field) != party:
            raise NotFound(name, "account")


def own_transaction(context: grpc.ServicerContext, tx: Transaction, *, only: bool = False) -> None:
    """The transaction posts to the caller's book (with `only`: to no other book); else NOT_FOUND."""
    party = scope(context)
    if party is None:
        return
    books = {leg.party_id for leg in tx.legs}
    if party not in books or (only and books != {party}):
        raise NotFound(tx.name, "transaction")


def own_hold(context: grpc.ServicerContext, hold: Hold) -> None:
    party = scope(context)
    if party is not None and hold.debit_account.party_id != party:
        raise NotFound(hold.name, "hold")


def list_party(context: grpc.ServicerContext, requested: str, field: str = "party") -> str | None:
    """The party filter a list runs with: as requested (unscoped) or the caller's own.

    None means the caller asked for another party's items: the answer is an empty page.
    """
    party = scope(context)
    if party is None:
        return requested
    if requested and _party_id(requested, field) != party:
        return None
    return names.party_name(party)


def list_account(context: grpc.ServicerContext, requested: str, field: str = "account") -> bool:
    """Whether an account filter of a list is visible to the caller (False: an empty page)."""
    party = scope(context)
    return party is None or not requested or _account_party(requested, field) == party


# ---------------------------------------------------------------------- deals and exercises


def deal_party(role: Role, deal: Deal) -> str:
    """The party of `deal` that makes it a caller's own, for a scoped role."""
    terms = deal.terms
    if role is Role.BRANCH:
        return terms.branch
    if role is Role.INVESTMENT_ARM:
        return terms.option.holder
    if role is Role.RISK_POOL:
        return terms.risk.pool
    return ""


def visible(call: Call, deal: Deal) -> bool:
    party = call.scope
    return party is None or deal_party(call.identity.role, deal) == party


def own_deal(context: grpc.ServicerContext, desk: DealDesk, name: str) -> None:
    """The deal `name` is the caller's (see `deal_party`); another party's deal is NOT_FOUND."""
    call = call_of(context)
    if call.scope is None:
        return
    if not visible(call, desk.get(name)):  # a missing deal is NOT_FOUND from desk.get already
        raise NotFound(name, "deal")


def own_claim(context: grpc.ServicerContext, claim: Claim, *, pool_only: bool = False) -> None:
    """The claim is the caller's: its pool (risk-pool staff) or, unless `pool_only`, its branch (branch
    staff); else NOT_FOUND."""
    party = scope(context)
    if party is None:
        return
    if party == claim.pool or (party == claim.branch and not pool_only):
        return
    raise NotFound(claim.name, "claim")


def own_exercise(context: grpc.ServicerContext, exercise: Exercise, desk: DealDesk) -> None:
    """The exercise's deal is the caller's; else the exercise is NOT_FOUND."""
    call = call_of(context)
    if call.scope is None:
        return
    try:
        deal = desk.get(exercise.deal)
    except NotFound:
        deal = None
    if deal is None or not visible(call, deal):
        raise NotFound(exercise.name, "exercise")


def named_party_is_own(context: grpc.ServicerContext, name: str, field: str) -> None:
    """A write naming `name` as the caller's own party (terms.branch, risk_pool): PERMISSION_DENIED if not.

    An empty or malformed name is left to the request's validation.
    """
    call = call_of(context)
    party = call.scope
    if party is None or not name:
        return
    try:
        named = _party_id(name, field)
    except InvalidArgument:
        return
    if named != party:
        raise PermissionDenied(
            f"{field} names parties/{named}, but {call.identity.subject} acts for parties/{party}",
            reason="PARTY_MISMATCH",
            metadata={"field": field, "party": f"parties/{party}"},
        )
