"""What a caller hands to `ToudaiClient.post_transactions`: transactions and postings to book.

Amounts are validated here, when the input is built, so a float is refused at the line that wrote it
rather than deep inside a batch. A posting may leave out its commodity: the client fills in the
account's own commodity (every posting to an account is in that account's commodity anyway).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from clients.values import AmountInput, Side, account_name, to_decimal


@dataclass(frozen=True, slots=True, init=False)
class PostingInput:
    """One posting to book: `amount` (strictly positive) on `side` of `account`."""

    account: str
    side: Side
    amount: Decimal
    commodity: str | None

    def __init__(self, account: str, side: Side | str, amount: AmountInput, commodity: str | None = None) -> None:
        object.__setattr__(self, "account", account_name(account))
        object.__setattr__(self, "side", Side(side))
        object.__setattr__(self, "amount", to_decimal(amount, f"amount of the posting to {account}"))
        object.__setattr__(self, "commodity", commodity or None)


def debit(account: str, amount: AmountInput, commodity: str | None = None) -> PostingInput:
    """A debit posting (increases an asset or expense account)."""
    return PostingInput(account, Side.DEBIT, amount, commodity)


def credit(account: str, amount: AmountInput, commodity: str | None = None) -> PostingInput:
    """A credit posting (increases a liability, equity or income account)."""
    return PostingInput(account, Side.CREDIT, amount, commodity)


@dataclass(frozen=True, slots=True)
class TransactionInput:
    """A transaction to post.

    Without a request_id the client makes one up, once, and reuses it on retries; without a value date
    the server dates it on its business date (today in its time zone), never the caller's clock.
    """

    postings: Sequence[PostingInput]
    request_id: str | None = None
    value_date: dt.date | None = None
    description: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
