"""The ledger's value types: immutable, typed, free of I/O.

Signs: internally a posting's amount is signed debit-positive (a debit of 5.00 CNY is +500, a credit
-500), so a balanced leg sums to zero per commodity. What people see is the balance on the account's
normal side (assets and expenses on the debit side, the rest on the credit side), see `Account.normal`.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

PartyId = str
AccountName = str  # "parties/{party}/accounts/{code}"


class PartyKind(enum.Enum):
    """What kind of legal entity a party is."""

    BANK_BRANCH = "bank_branch"
    INVESTMENT_ARM = "investment_arm"
    RISK_POOL = "risk_pool"
    SUBSIDY_FUND = "subsidy_fund"
    INSURER = "insurer"
    BORROWER = "borrower"
    OTHER = "other"


class AccountType(enum.Enum):
    """Accounting class; decides the normal balance side."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class Side(enum.Enum):
    """Which side of an account a posting lands on."""

    DEBIT = "debit"
    CREDIT = "credit"

    def signed(self, amount: int) -> int:
        """The debit-positive signed form of a positive amount on this side."""
        return amount if self is Side.DEBIT else -amount

    @property
    def opposite(self) -> Side:
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


class CommodityKind(enum.Enum):
    """Money or not."""

    CURRENCY = "currency"
    OPTION = "option"
    SHARE = "share"
    OTHER = "other"


class HoldState(enum.Enum):
    """The life of a hold."""

    PENDING = "pending"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Commodity:
    """A unit the ledger counts; `scale` is the number of decimal places of its minor unit."""

    code: str
    kind: CommodityKind
    scale: int
    display_name: str = ""
    create_time: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """A legal entity; its id is also the id of its book."""

    id: PartyId
    display_name: str
    kind: PartyKind
    create_time: dt.datetime

    @property
    def name(self) -> str:
        return f"parties/{self.id}"


@dataclass(frozen=True, slots=True)
class Account:
    """An account in one party's book, holding one commodity."""

    id: uuid.UUID
    party_id: PartyId
    code: str
    display_name: str
    type: AccountType
    commodity: str
    scale: int
    must_not_go_negative: bool
    create_time: dt.datetime
    #: `parties/{party}/accounts/{code}`, and the id as text: derived, stored once because every posting
    #: of every batch reads them (as keys, in hashes, in COPY rows).
    name: AccountName = field(init=False, compare=False, repr=False)
    id_text: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"parties/{self.party_id}/accounts/{self.code}")
        object.__setattr__(self, "id_text", str(self.id))

    def normal(self, signed_debit_positive: int) -> int:
        """Convert a debit-positive figure to this account's normal side."""
        return signed_debit_positive if self.type.debit_normal else -signed_debit_positive

    def held(self, pending_debits: int, pending_credits: int) -> int:
        """The pending amount that would reduce this account's normal-side balance."""
        return pending_credits if self.type.debit_normal else pending_debits


@dataclass(frozen=True, slots=True)
class PostingSpec:
    """A posting as requested: account name, side, commodity code and decimal text."""

    account: AccountName
    side: Side | None
    commodity: str
    value: str


@dataclass(frozen=True, slots=True)
class TransactionSpec:
    """A transaction as requested, before validation."""

    request_id: str
    value_date: dt.date | None
    description: str
    metadata: Mapping[str, str]
    postings: tuple[PostingSpec, ...]
    reverses: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Posting:
    """A validated posting: resolved account and a positive amount in minor units."""

    account: Account
    side: Side
    amount: int

    @property
    def signed(self) -> int:
        return self.amount if self.side is Side.DEBIT else -self.amount

    @property
    def side_text(self) -> str:
        """The side's value ("debit" / "credit") without Enum.value's descriptor cost on the hot path."""
        return "debit" if self.side is Side.DEBIT else "credit"


@dataclass(frozen=True, slots=True)
class Leg:
    """One party's balanced part of a transaction, as appended to that party's book."""

    party_id: PartyId
    sequence: int
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Transaction:
    """A posted transaction."""

    id: uuid.UUID
    request_id: str
    value_date: dt.date
    description: str
    metadata: Mapping[str, str]
    postings: tuple[Posting, ...]
    legs: tuple[Leg, ...]
    create_time: dt.datetime
    reverses: uuid.UUID | None = None
    reversed_by: uuid.UUID | None = None

    @property
    def name(self) -> str:
        return f"transactions/{self.id}"


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's balance on its normal side, with held and available amounts, in minor units."""

    account: Account
    balance: int
    held: int
    as_of: dt.date | None = None

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class Hold:
    """A reservation of `amount` to move from `debit_account` to `credit_account` (same party)."""

    id: uuid.UUID
    request_id: str
    debit_account: Account
    credit_account: Account
    amount: int
    captured: int
    state: HoldState
    expire_time: dt.datetime
    description: str
    metadata: Mapping[str, str]
    create_time: dt.datetime
    capture_transaction: uuid.UUID | None = None

    @property
    def name(self) -> str:
        return f"holds/{self.id}"


@dataclass(frozen=True, slots=True)
class PostResult:
    """What PostTransactions returns: the transactions in request order and the touched balances.

    `replayed` holds the ids of the returned transactions that an earlier call had already posted (a
    retry with the same request id and payload): nothing was written for them, and a client says so.
    """

    transactions: tuple[Transaction, ...]
    balances: tuple[Balance, ...] = field(default=())
    replayed: frozenset[uuid.UUID] = field(default=frozenset())

    def is_replay(self, transaction: Transaction) -> bool:
        """Whether an earlier call already posted `transaction` (this call changed nothing for it)."""
        return transaction.id in self.replayed


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing and the token for the next (empty on the last page)."""

    items: tuple[T, ...]
    next_page_token: str
