"""What the exercise workflow deals in: an exercise and its steps, its states and methods, a preview of
its split, and the one rounding of a price to fen."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal

from deals.schedule import round_fen
from deals.terms import Trigger
from settlement.split import Waterfall

DEFAULT_REQUEST_TTL = dt.timedelta(days=7)


class Method(enum.Enum):
    CASH_AND_SALE = "cash_and_sale"
    NET = "net"
    TRANSFER = "transfer"


class State(enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    SETTLED = "settled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ExerciseInput:
    """What the investment arm asks for. Prices are CNY per share; money in fen."""

    deal: str  # deals/{deal}
    quantity: int
    method: Method | None
    trigger: Trigger | None
    funding_round: str = ""  # companies/{company}/fundingRounds/{id}, for round and valuation triggers
    price_per_share: Decimal = Decimal(0)  # sale price / fair value per share; default: the round's price
    transfer_price: int = 0
    fees: int = 0
    value_date: dt.date | None = None
    expire_time: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    from_state: str | None
    to_state: str
    principal: str
    reason: str
    create_time: dt.datetime
    transactions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Exercise:
    id: uuid.UUID
    deal: str
    state: State
    method: Method
    quantity: int
    trigger: str
    trigger_ref: str
    price_per_share: Decimal
    strike_per_share: Decimal
    transfer_price: int
    fees: int
    value_date: dt.date
    requested_by: str
    decided_by: str
    split: Waterfall | None
    gain: int
    shares_received: int
    expire_time: dt.datetime
    create_time: dt.datetime
    steps: tuple[Step, ...]

    @property
    def name(self) -> str:
        return f"exercises/{self.id}"


@dataclass(frozen=True, slots=True)
class Preview:
    """What settling would post, without posting it."""

    gain: int
    proceeds: int
    strike_paid: int
    shares_received: int
    fraction_cash: int
    split: Waterfall


def to_fen(value: Decimal) -> int:
    """CNY (Decimal) to fen: the one rounding of a price to money, half up."""
    return round_fen(value * 100)
