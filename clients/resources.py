"""What the client returns: frozen dataclasses with Decimal amounts, and their construction from protobuf.

Callers of `ToudaiClient` never see a protobuf message. Amounts are `Decimal` exactly as the server
rendered them (scale included, "100.00" stays "100.00"), and amounts in a currency also offer a
py-moneyed `Money`, which refuses arithmetic across currencies. Dates are `datetime.date`, instants
timezone-aware `datetime`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import moneyed

from clients.values import AccountType, CommodityKind, HoldState, PartyKind, Side, client_enum_value
from toudai.v1 import ledger_pb2 as pb


def is_currency(commodity: str) -> bool:
    """Whether `commodity` is an ISO 4217 currency code that py-moneyed knows."""
    try:
        moneyed.get_currency(commodity)
    except moneyed.CurrencyDoesNotExist:
        return False
    return True


def money(value: Decimal, commodity: str) -> moneyed.Money:
    """`value` as py-moneyed Money; ValueError if `commodity` is not a currency (e.g. option units)."""
    if not is_currency(commodity):
        raise ValueError(f"{commodity} is not a currency; use the Decimal amount instead")
    return moneyed.Money(value, commodity)


@dataclass(frozen=True, slots=True)
class Party:
    """A legal entity with its own book."""

    name: str
    party_id: str
    display_name: str
    kind: PartyKind
    create_time: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Commodity:
    """A registered commodity: a currency or a non-money unit with its scale."""

    name: str
    code: str
    kind: CommodityKind
    scale: int
    display_name: str


@dataclass(frozen=True, slots=True)
class Account:
    """An account in one party's book."""

    name: str
    party: str
    code: str
    display_name: str
    type: AccountType
    commodity: str
    must_not_go_negative: bool
    create_time: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of a posted transaction; `amount` is strictly positive, `side` says which way it goes."""

    account: str
    side: Side
    amount: Decimal
    commodity: str

    @property
    def money(self) -> moneyed.Money:
        return money(self.amount, self.commodity)


@dataclass(frozen=True, slots=True)
class Leg:
    """One party's part of a transaction, with its place in that party's hash chain."""

    party: str
    sequence: int
    hash: str


@dataclass(frozen=True, slots=True)
class Transaction:
    """A posted transaction."""

    name: str
    request_id: str
    value_date: dt.date | None
    description: str
    metadata: Mapping[str, str]
    postings: tuple[Posting, ...]
    legs: tuple[Leg, ...]
    create_time: dt.datetime | None
    reverses: str
    reversed_by: str


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's balance on its normal side; `available` is `balance` less pending holds."""

    account: str
    commodity: str
    balance: Decimal
    held: Decimal
    available: Decimal
    as_of_date: dt.date | None

    @property
    def money(self) -> moneyed.Money:
        """The posted balance as Money (ValueError for a non-currency commodity)."""
        return money(self.balance, self.commodity)

    @property
    def available_money(self) -> moneyed.Money:
        """The available balance as Money (ValueError for a non-currency commodity)."""
        return money(self.available, self.commodity)


@dataclass(frozen=True, slots=True)
class Hold:
    """A reservation of an amount to move from one account to another of the same party."""

    name: str
    request_id: str
    debit_account: str
    credit_account: str
    commodity: str
    amount: Decimal
    captured: Decimal
    state: HoldState
    expire_time: dt.datetime | None
    description: str
    metadata: Mapping[str, str]
    capture_transaction: str
    create_time: dt.datetime | None

    @property
    def money(self) -> moneyed.Money:
        return money(self.amount, self.commodity)


@dataclass(frozen=True, slots=True)
class PostResult:
    """The posted transactions, in request order, and the resulting balances of every account touched.

    `replayed` names the transactions an earlier call with the same request id had already posted: this
    call changed nothing for them (a safe retry), which a caller can tell a person (`is_replay`).
    """

    transactions: tuple[Transaction, ...]
    balances: tuple[Balance, ...] = field(default=())
    replayed: frozenset[str] = field(default=frozenset())

    def is_replay(self, transaction: Transaction) -> bool:
        """Whether an earlier call already posted `transaction` (nothing was written for it this time)."""
        return transaction.name in self.replayed


@dataclass(frozen=True, slots=True)
class ReversalResult:
    """The reversal transaction and the resulting balances of the accounts it touched."""

    transaction: Transaction
    balances: tuple[Balance, ...]


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """The captured hold and the transaction the capture posted."""

    hold: Hold
    transaction: Transaction


# ---------------------------------------------------------------- from protobuf


def _enum(enum_type: Any, prefix: str, number: int) -> str:
    return client_enum_value(prefix, enum_type.Name(number))


def _date(message: Any, owner: Any = None, field_name: str = "") -> dt.date | None:
    if owner is not None and not owner.HasField(field_name):
        return None
    if message.year == 0:
        return None
    return dt.date(message.year, message.month, message.day)


def _instant(owner: Any, field_name: str) -> dt.datetime | None:
    if not owner.HasField(field_name):
        return None
    result: dt.datetime = getattr(owner, field_name).ToDatetime(tzinfo=dt.UTC)
    return result


def _decimal(amount: Any) -> Decimal:
    return Decimal(amount.value) if amount.value else Decimal(0)


def party_from(message: pb.Party) -> Party:
    return Party(
        name=message.name,
        party_id=message.name.removeprefix("parties/"),
        display_name=message.display_name,
        kind=PartyKind(_enum(pb.PartyKind, "PARTY_KIND", message.kind)),
        create_time=_instant(message, "create_time"),
    )


def commodity_from(message: pb.Commodity) -> Commodity:
    return Commodity(
        name=message.name,
        code=message.code,
        kind=CommodityKind(_enum(pb.CommodityKind, "COMMODITY_KIND", message.kind)),
        scale=message.scale,
        display_name=message.display_name,
    )


def account_from(message: pb.Account) -> Account:
    return Account(
        name=message.name,
        party=message.party,
        code=message.code,
        display_name=message.display_name,
        type=AccountType(_enum(pb.AccountType, "ACCOUNT_TYPE", message.type)),
        commodity=message.commodity,
        must_not_go_negative=message.must_not_go_negative,
        create_time=_instant(message, "create_time"),
    )


def posting_from(message: pb.Posting) -> Posting:
    return Posting(
        account=message.account,
        side=Side(_enum(pb.Side, "SIDE", message.side)),
        amount=_decimal(message.amount),
        commodity=message.amount.commodity,
    )


def transaction_from(message: pb.Transaction) -> Transaction:
    return Transaction(
        name=message.name,
        request_id=message.request_id,
        value_date=_date(message.value_date, message, "value_date"),
        description=message.description,
        metadata=dict(message.metadata),
        postings=tuple(posting_from(p) for p in message.postings),
        legs=tuple(Leg(party=leg.party, sequence=leg.sequence, hash=leg.hash) for leg in message.legs),
        create_time=_instant(message, "create_time"),
        reverses=message.reverses,
        reversed_by=message.reversed_by,
    )


def balance_from(message: pb.Balance) -> Balance:
    return Balance(
        account=message.account,
        commodity=message.balance.commodity,
        balance=_decimal(message.balance),
        held=_decimal(message.held),
        available=_decimal(message.available),
        as_of_date=_date(message.as_of_date, message, "as_of_date"),
    )


def hold_from(message: pb.Hold) -> Hold:
    return Hold(
        name=message.name,
        request_id=message.request_id,
        debit_account=message.debit_account,
        credit_account=message.credit_account,
        commodity=message.amount.commodity,
        amount=_decimal(message.amount),
        captured=_decimal(message.captured),
        state=HoldState(_enum(pb.HoldState, "HOLD_STATE", message.state)),
        expire_time=_instant(message, "expire_time"),
        description=message.description,
        metadata=dict(message.metadata),
        capture_transaction=message.capture_transaction,
        create_time=_instant(message, "create_time"),
    )
