"""Client-side input coercion: exact amounts, resource names and enum values.

Amounts enter as `Decimal`, `str` or `int` and leave as exact decimal text; a `float` is refused with
TypeError because 0.1 + 0.2 != 0.3 in binary, and a ledger that accepts floats will one day book a fen
that nobody paid. Names accept the shorthand people type (`bank-hz/cash`) as well as full resource
names (`parties/bank-hz/accounts/cash`), so the CLI and scripts need not repeat `parties/` everywhere.
"""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation

AmountInput = Decimal | str | int


class PartyKind(enum.StrEnum):
    """What kind of legal entity a party is."""

    BANK_BRANCH = "bank_branch"
    INVESTMENT_ARM = "investment_arm"
    RISK_POOL = "risk_pool"
    SUBSIDY_FUND = "subsidy_fund"
    INSURER = "insurer"
    BORROWER = "borrower"
    OTHER = "other"


class AccountType(enum.StrEnum):
    """Accounting class of an account; decides its normal balance side."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class CommodityKind(enum.StrEnum):
    """Money or not."""

    CURRENCY = "currency"
    OPTION = "option"
    SHARE = "share"
    OTHER = "other"


class Side(enum.StrEnum):
    """Which side of an account a posting lands on."""

    DEBIT = "debit"
    CREDIT = "credit"


class TransactionView(enum.StrEnum):
    """How much of each posted transaction PostTransactions answers with (AIP-157).

    FULL echoes everything; BASIC leaves out the postings, description and metadata the caller sent
    (the transactions come back with their name, request id, value date, create time and legs), which
    is what a bulk loader needs and much less for both sides to encode and decode.
    """

    FULL = "full"
    BASIC = "basic"


class HoldState(enum.StrEnum):
    """The life of a hold."""

    UNSPECIFIED = "unspecified"
    PENDING = "pending"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


def to_decimal(value: AmountInput, what: str = "amount") -> Decimal:
    """An exact Decimal from Decimal, str or int; TypeError for float (or bool), ValueError for junk."""
    if isinstance(value, float):
        raise TypeError(
            f"{what} is a float ({value!r}); pass a Decimal, str or int so that no binary rounding can creep in"
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise TypeError(f"{what} must be a Decimal, str or int, not {type(value).__name__}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"{what} {value!r} is not a decimal number") from None
    if not result.is_finite():
        raise ValueError(f"{what} {value!r} is not a finite number")
    return result


def decimal_text(value: AmountInput, what: str = "amount") -> str:
    """Exact decimal text for the wire ("1E+2" becomes "100"); the server checks the commodity's scale."""
    return format(to_decimal(value, what), "f")


def party_name(party: str) -> str:
    """`bank-hz` or `parties/bank-hz` → `parties/bank-hz`."""
    return party if party.startswith("parties/") else f"parties/{party}"


def account_name(account: str) -> str:
    """`bank-hz/cash` or `parties/bank-hz/accounts/cash` → `parties/bank-hz/accounts/cash`.

    Anything else is passed through unchanged so that the server, which owns the naming rules, can
    explain what is wrong with it.
    """
    if account.startswith("parties/"):
        return account
    party, slash, code = account.partition("/")
    if slash and party and code and "/" not in code:
        return f"parties/{party}/accounts/{code}"
    return account


def transaction_name(name: str) -> str:
    """A bare UUID or `transactions/{uuid}` → `transactions/{uuid}`."""
    return name if "/" in name else f"transactions/{name}"


def hold_name(name: str) -> str:
    """A bare UUID or `holds/{uuid}` → `holds/{uuid}`."""
    return name if "/" in name else f"holds/{name}"


def proto_enum_name(prefix: str, value: str) -> str:
    """The protobuf enum value name of a client enum value: ("PARTY_KIND", "bank_branch") → PARTY_KIND_BANK_BRANCH."""
    return f"{prefix}_{value.upper()}"


def client_enum_value(prefix: str, proto_name: str) -> str:
    """The client enum value for a protobuf enum value name, e.g. PARTY_KIND_BANK_BRANCH → bank_branch."""
    return proto_name.removeprefix(f"{prefix}_").lower()
