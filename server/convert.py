"""Protobuf <-> domain conversion for the ledger API. The only module that knows both worlds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from google.protobuf import timestamp_pb2
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.type import date_pb2

from ledger import amounts
from ledger.errors import ViolationCollector
from ledger.model import (
    Account,
    AccountType,
    Balance,
    Commodity,
    CommodityKind,
    Hold,
    HoldState,
    Party,
    PartyKind,
    Posting,
    PostingSpec,
    Side,
    Transaction,
    TransactionSpec,
)
from ledger.validation import PlainTransaction
from toudai.v1 import ledger_pb2 as pb

PARTY_KIND = {
    PartyKind.BANK_BRANCH: pb.PARTY_KIND_BANK_BRANCH,
    PartyKind.INVESTMENT_ARM: pb.PARTY_KIND_INVESTMENT_ARM,
    PartyKind.RISK_POOL: pb.PARTY_KIND_RISK_POOL,
    PartyKind.SUBSIDY_FUND: pb.PARTY_KIND_SUBSIDY_FUND,
    PartyKind.INSURER: pb.PARTY_KIND_INSURER,
    PartyKind.BORROWER: pb.PARTY_KIND_BORROWER,
    PartyKind.OTHER: pb.PARTY_KIND_OTHER,
}
ACCOUNT_TYPE = {
    AccountType.ASSET: pb.ACCOUNT_TYPE_ASSET,
    AccountType.LIABILITY: pb.ACCOUNT_TYPE_LIABILITY,
    AccountType.EQUITY: pb.ACCOUNT_TYPE_EQUITY,
    AccountType.INCOME: pb.ACCOUNT_TYPE_INCOME,
    AccountType.EXPENSE: pb.ACCOUNT_TYPE_EXPENSE,
}
SIDE = {Side.DEBIT: pb.SIDE_DEBIT, Side.CREDIT: pb.SIDE_CREDIT}
COMMODITY_KIND = {
    CommodityKind.CURRENCY: pb.COMMODITY_KIND_CURRENCY,
    CommodityKind.OPTION: pb.COMMODITY_KIND_OPTION,
    CommodityKind.SHARE: pb.COMMODITY_KIND_SHARE,
    CommodityKind.OTHER: pb.COMMODITY_KIND_OTHER,
}
HOLD_STATE = {
    HoldState.PENDING: pb.HOLD_STATE_PENDING,
    HoldState.CAPTURED: pb.HOLD_STATE_CAPTURED,
    HoldState.VOIDED: pb.HOLD_STATE_VOIDED,
    HoldState.EXPIRED: pb.HOLD_STATE_EXPIRED,
}

_DEBIT, _CREDIT = pb.SIDE_DEBIT, pb.SIDE_CREDIT
PARTY_KIND_IN = {v: k for k, v in PARTY_KIND.items()}
ACCOUNT_TYPE_IN = {v: k for k, v in ACCOUNT_TYPE.items()}
SIDE_IN = {v: k for k, v in SIDE.items()}
COMMODITY_KIND_IN = {v: k for k, v in COMMODITY_KIND.items()}


# ---------------------------------------------------------------- inbound


def date_in(message: date_pb2.Date, path: str, errors: ViolationCollector) -> dt.date | None:
    """A google.type.Date to a date; an all-zero (unset) date is None; an impossible one is a violation."""
    if message.year == 0 and message.month == 0 and message.day == 0:
        return None
    try:
        return dt.date(message.year, message.month, message.day)
    except ValueError as exc:
        errors.add(path, f"{message.year:04d}-{message.month:02d}-{message.day:02d} is not a valid date ({exc})")
        return None


def optional_date_in(owner: object, field: str, path: str, errors: ViolationCollector) -> dt.date | None:
    if not owner.HasField(field):  # type: ignore[attr-defined]
        return None
    return date_in(getattr(owner, field), path, errors)


def required_date_in(owner: object, field: str, errors: ViolationCollector) -> dt.date:
    """A required date field; missing or impossible adds a violation (the caller then refuses the call)."""
    value = optional_date_in(owner, field, field, errors)
    if value is None and not any(v.field == field for v in errors.violations):
        errors.add(field, "is required")
    return value or dt.date.min


def instant_in(message: timestamp_pb2.Timestamp) -> dt.datetime:
    return message.ToDatetime(tzinfo=dt.UTC)


def optional_instant_in(owner: object, field: str, path: str, errors: ViolationCollector) -> dt.datetime | None:
    """A set google.protobuf.Timestamp to a UTC datetime; an out-of-range one is a violation."""
    if not owner.HasField(field):  # type: ignore[attr-defined]
        return None
    try:
        return instant_in(getattr(owner, field))
    except (ValueError, OverflowError) as exc:
        errors.add(path, f"is not a valid timestamp ({exc})")
        return None


def transaction_in(message: pb.TransactionInput) -> tuple[TransactionSpec, list[tuple[str, str]]]:
    """A TransactionInput to a spec; returns conversion problems (path suffix, description) separately.

    Runs once per transaction of every PostTransactions batch, so it reads each field once and builds
    nothing it does not return.
    """
    problems: list[tuple[str, str]] = []
    value_date = None
    if message.HasField("value_date"):
        errors = ViolationCollector()
        value_date = date_in(message.value_date, "value_date", errors)
        problems.extend((v.field, v.description) for v in errors.violations)
    postings = []
    for j, p in enumerate(message.postings):
        side = SIDE_IN.get(p.side)
        if side is None and p.side:
            problems.append((f"postings[{j}].side", f"{p.side} is not a known side"))
        amount = p.amount
        postings.append(PostingSpec(p.account, side, amount.commodity, amount.value))
    spec = TransactionSpec(
        request_id=message.request_id,
        value_date=value_date,
        description=message.description,
        metadata=dict(message.metadata) if message.metadata else {},
        postings=tuple(postings),
    )
    return spec, problems


def plain_batch(messages: Iterable[pb.TransactionInput]) -> list[PlainTransaction] | None:
    """A PostTransactions batch as tuples for `Ledger.post_plain` (ledger.validation.validate_plain), or
    None when a transaction has what `transaction_in` reports or defaults (an impossible or all-zero
    value date, an unknown side) or an unset side. So the plain path starts only where the general path
    finds no conversion problem: nothing it reads from the database comes before a refusal the general
    path gives without reading it.

    Reads each field once and builds no dataclass: at batch 1,000 this and the fast checks are most of
    the server's CPU before posting.
    """
    side_in = SIDE_IN.get
    batch: list[PlainTransaction] = []
    for message in messages:
        value_date = None
        if message.HasField("value_date"):
            day = message.value_date
            try:
                value_date = dt.date(day.year, day.month, day.day)
            except ValueError:
                return None
        postings = [(p.account, side_in(p.side), p.amount.commodity, p.amount.value) for p in message.postings]
        if any(side is None for _, side, _, _ in postings):
            return None
        batch.append(
            (
                message.request_id,
                value_date,
                message.description,
                dict(message.metadata) if message.metadata else {},
                postings,
            )
        )
    return batch


# ---------------------------------------------------------------- outbound


def date_out(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def instant_out(value: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def amount_out(minor: int, commodity: str, scale: int) -> pb.Amount:
    return pb.Amount(commodity=commodity, value=amounts.format_minor(minor, scale))


def party_out(party: Party) -> pb.Party:
    return pb.Party(
        name=party.name,
        display_name=party.display_name,
        kind=PARTY_KIND[party.kind],
        create_time=instant_out(party.create_time),
    )


def commodity_out(commodity: Commodity) -> pb.Commodity:
    return pb.Commodity(
        name=f"commodities/{commodity.code}",
        code=commodity.code,
        kind=COMMODITY_KIND[commodity.kind],
        scale=commodity.scale,
        display_name=commodity.display_name,
    )


def account_out(account: Account) -> pb.Account:
    return pb.Account(
        name=account.name,
        party=f"parties/{account.party_id}",
        code=account.code,
        display_name=account.display_name,
        type=ACCOUNT_TYPE[account.type],
        commodity=account.commodity,
        must_not_go_negative=account.must_not_go_negative,
        create_time=instant_out(account.create_time),
    )


def posting_out(posting: Posting) -> pb.Posting:
    account = posting.account
    return pb.Posting(
        account=account.name,
        side=SIDE[posting.side],
        amount=amount_out(posting.amount, account.commodity, account.scale),
    )


def transaction_out(tx: Transaction) -> pb.Transaction:
    message = pb.Transaction()
    _fill_transaction(message, tx, {}, {})
    return message


def transactions_into(
    repeated: RepeatedCompositeFieldContainer[pb.Transaction],
    transactions: Iterable[Transaction],
    *,
    basic: bool = False,
) -> None:
    """Append `transactions` to a response's repeated field, building each message in place.

    Adding to the container and filling in place is about twice as fast as building free-standing
    messages and handing a list to the response (which copies them); the timestamp and date messages of
    a batch repeat, so each distinct one is built once. With `basic` (TRANSACTION_VIEW_BASIC) the
    description, metadata and postings, which the caller sent itself, are left out.
    """
    stamps: dict[dt.datetime, timestamp_pb2.Timestamp] = {}
    dates: dict[dt.date, date_pb2.Date] = {}
    for tx in transactions:
        _fill_transaction(repeated.add(), tx, stamps, dates, basic)


def _fill_transaction(
    message: pb.Transaction,
    tx: Transaction,
    stamps: dict[dt.datetime, timestamp_pb2.Timestamp],
    dates: dict[dt.date, date_pb2.Date],
    basic: bool = False,
) -> None:
    stamp = stamps.get(tx.create_time)
    if stamp is None:
        stamp = stamps[tx.create_time] = instant_out(tx.create_time)
    day = dates.get(tx.value_date)
    if day is None:
        day = dates[tx.value_date] = date_out(tx.value_date)
    message.name = tx.name
    message.request_id = tx.request_id
    message.value_date.CopyFrom(day)
    message.create_time.CopyFrom(stamp)
    if not basic:
        message.description = tx.description
        if tx.metadata:
            entries = message.metadata
            for key, value in tx.metadata.items():  # (the map's update() is MutableMapping's, key by key)
                entries[key] = value
        postings = message.postings
        for p in tx.postings:
            account = p.account
            posting = postings.add(account=account.name, side=_DEBIT if p.side is Side.DEBIT else _CREDIT)
            amount = posting.amount  # filled in place: cheaper than building an Amount and copying it in
            amount.commodity = account.commodity
            amount.value = amounts.format_minor(p.amount, account.scale)
    legs = message.legs
    for leg in tx.legs:
        legs.add(party=f"parties/{leg.party_id}", sequence=leg.sequence, hash=leg.hash)
    if tx.reverses:
        message.reverses = f"transactions/{tx.reverses}"
    if tx.reversed_by:
        message.reversed_by = f"transactions/{tx.reversed_by}"


def balance_out(balance: Balance) -> pb.Balance:
    account = balance.account
    message = pb.Balance(
        account=account.name,
        balance=amount_out(balance.balance, account.commodity, account.scale),
        held=amount_out(balance.held, account.commodity, account.scale),
        available=amount_out(balance.available, account.commodity, account.scale),
    )
    if balance.as_of is not None:
        message.as_of_date.CopyFrom(date_out(balance.as_of))
    return message


def balances_out(balances: Iterable[Balance]) -> list[pb.Balance]:
    return [balance_out(b) for b in balances]


def hold_out(hold: Hold) -> pb.Hold:
    account = hold.debit_account
    return pb.Hold(
        name=hold.name,
        request_id=hold.request_id,
        debit_account=hold.debit_account.name,
        credit_account=hold.credit_account.name,
        amount=amount_out(hold.amount, account.commodity, account.scale),
        captured=amount_out(hold.captured, account.commodity, account.scale),
        state=HOLD_STATE[hold.state],
        expire_time=instant_out(hold.expire_time),
        description=hold.description,
        metadata=dict(hold.metadata),
        capture_transaction=f"transactions/{hold.capture_transaction}" if hold.capture_transaction else "",
        create_time=instant_out(hold.create_time),
    )
