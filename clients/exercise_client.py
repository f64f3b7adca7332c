"""SettlementService calls for the CLI and Python callers: the exercise workflow and the proceeds split.

Thin wrappers on `ToudaiClient.call` (deadline, retries, typed errors) that take plain Python values
(dates, decimal strings, short names) and return plain JSON-ready data: money as decimal strings in CNY
("390000.00"), dates ISO, instants ISO in UTC, states and methods as lower-case words ("cash-and-sale").

Who acts is sent as `x-toudai-principal` request metadata (the development stand-in for a verified
token, see server/identity.py): pass `principal=` to `ExerciseClient`. Four eyes means the approval of a
request must come from an `ExerciseClient` with a different principal than the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from google.protobuf import timestamp_pb2
from google.type import date_pb2, money_pb2

from clients.client import ToudaiClient, new_request_id
from toudai.v1 import settlement_pb2 as pb
from toudai.v1 import settlement_pb2_grpc as pb_grpc

__all__ = ["METHODS", "PRINCIPAL_METADATA", "STATES", "TRIGGERS", "ExerciseClient", "exercise_name"]

PRINCIPAL_METADATA = "x-toudai-principal"

METHODS = {
    "cash-and-sale": pb.EXERCISE_METHOD_CASH_AND_SALE,
    "net": pb.EXERCISE_METHOD_NET,
    "transfer": pb.EXERCISE_METHOD_TRANSFER,
}
TRIGGERS = {
    "qualifying-round": pb.TRIGGER_EVENT_QUALIFYING_ROUND,
    "ipo": pb.TRIGGER_EVENT_IPO,
    "merger": pb.TRIGGER_EVENT_MERGER,
    "valuation-threshold": pb.TRIGGER_EVENT_VALUATION_THRESHOLD,
}
STATES = {
    "requested": pb.EXERCISE_STATE_REQUESTED,
    "approved": pb.EXERCISE_STATE_APPROVED,
    "settled": pb.EXERCISE_STATE_SETTLED,
    "rejected": pb.EXERCISE_STATE_REJECTED,
    "cancelled": pb.EXERCISE_STATE_CANCELLED,
    "expired": pb.EXERCISE_STATE_EXPIRED,
}
_METHOD_WORD = {v: k for k, v in METHODS.items()}
_TRIGGER_WORD = {v: k for k, v in TRIGGERS.items()}
_STATE_WORD = {v: k for k, v in STATES.items()}
SPLIT_FIELDS = ("gain", "pool_reimbursement", "advisory_fee", "bank", "investment_arm", "risk_pool")


def exercise_name(value: str) -> str:
    """`exercises/{uuid}` from that or the bare uuid."""
    return value if value.startswith("exercises/") else f"exercises/{value}"


def deal_name(value: str) -> str:
    """`deals/{deal}` from that or the bare deal id."""
    return value if value.startswith("deals/") else f"deals/{value}"


def _date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _date_text(value: date_pb2.Date) -> str:
    return dt.date(value.year, value.month, value.day).isoformat() if value.year else ""


def _instant_text(value: timestamp_pb2.Timestamp) -> str:
    if not value.seconds and not value.nanos:
        return ""
    return value.ToDatetime(tzinfo=dt.UTC).isoformat()


def _cny(amount: Decimal) -> money_pb2.Money:
    """Exact CNY to google.type.Money; more than two decimals is refused, not rounded."""
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{amount} CNY has more than two decimal places")
    units = int(amount)
    nanos = int((amount - units) * 1_000_000_000)
    return money_pb2.Money(currency_code="CNY", units=units, nanos=nanos)


def _money(value: money_pb2.Money) -> str:
    return str((Decimal(value.units) + Decimal(value.nanos) / Decimal(10**9)).quantize(Decimal("0.01")))


def split_data(split: pb.ProceedsSplitResult) -> dict[str, str]:
    return {field: _money(getattr(split, field)) for field in SPLIT_FIELDS}


def exercise_data(e: pb.Exercise) -> dict[str, Any]:
    """An Exercise message as JSON-ready data."""
    return {
        "name": e.name,
        "deal": e.deal,
        "state": _STATE_WORD.get(e.state, "unspecified"),
        "method": _METHOD_WORD.get(e.method, "unspecified"),
        "quantity": e.quantity,
        "trigger": _TRIGGER_WORD.get(e.trigger, "unspecified"),
        "funding_round": e.funding_round,
        "price_per_share": e.price_per_share,
        "strike_per_share": e.strike_per_share,
        "transfer_price": _money(e.transfer_price),
        "fees": _money(e.fees),
        "value_date": _date_text(e.value_date),
        "requested_by": e.requested_by,
        "decided_by": e.decided_by,
        "split": split_data(e.split) if e.HasField("split") else None,
        "shares_received": e.shares_received,
        "expire_time": _instant_text(e.expire_time),
        "create_time": _instant_text(e.create_time),
        "steps": [
            {
                "from_state": _STATE_WORD.get(s.from_state, ""),
                "to_state": _STATE_WORD.get(s.to_state, ""),
                "principal": s.principal,
                "reason": s.reason,
                "create_time": _instant_text(s.create_time),
                "transactions": list(s.transactions),
            }
            for s in e.steps
        ],
    }


class AsPrincipal:
    """A stub whose calls also carry the principal's metadata (added to the client's own, e.g. a token)."""

    def __init__(self, stub: Any, principal: str | None) -> None:
        self._stub = stub
        self._principal = principal

    def __getattr__(self, method: str) -> Any:
        rpc = getattr(self._stub, method)
        extra = ((PRINCIPAL_METADATA, self._principal),) if self._principal else ()
        return _WithPrincipal(rpc, extra)


class _WithPrincipal:
    """One RPC of an AsPrincipal stub: called directly or `.with_call` (ToudaiClient.call uses the latter to
    read the response's trailing metadata), each time with the principal's metadata added."""

    def __init__(self, rpc: Any, extra: tuple[tuple[str, str], ...]) -> None:
        self._rpc = rpc
        self._extra = extra

    def __call__(self, request: Any, *, timeout: float | None = None, metadata: Any = ()) -> Any:
        return self._rpc(request, timeout=timeout, metadata=tuple(metadata or ()) + self._extra)

    def with_call(self, request: Any, *, timeout: float | None = None, metadata: Any = ()) -> Any:
        return self._rpc.with_call(request, timeout=timeout, metadata=tuple(metadata or ()) + self._extra)


class ExerciseClient:
    """SettlementService over a `ToudaiClient`, acting as `principal`."""

    def __init__(self, client: ToudaiClient, *, principal: str | None = None) -> None:
        self._client = client
        self._stub = AsPrincipal(client.stub(pb_grpc.SettlementServiceStub), principal)

    def _call(self, method: str, request: Any) -> Any:
        return self._client.call(self._stub, method, request)

    def request(
        self,
        deal: str,
        *,
        quantity: int,
        method: str,
        trigger: str,
        funding_round: str = "",
        price_per_share: str = "",
        transfer_price: Decimal | None = None,
        fees: Decimal | None = None,
        value_date: dt.date | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        message = pb.RequestExerciseRequest(
            request_id=request_id or new_request_id(),
            deal=deal_name(deal),
            quantity=quantity,
            method=METHODS[method],
            trigger=TRIGGERS[trigger],
            funding_round=funding_round,
            price_per_share=price_per_share,
        )
        if transfer_price is not None:
            message.transfer_price.CopyFrom(_cny(transfer_price))
        if fees is not None:
            message.fees.CopyFrom(_cny(fees))
        if value_date is not None:
            message.value_date.CopyFrom(_date(value_date))
        return exercise_data(self._call("RequestExercise", message).exercise)

    def approve(self, name: str, *, reason: str = "", request_id: str | None = None) -> dict[str, Any]:
        message = pb.ApproveExerciseRequest(
            request_id=request_id or new_request_id(), name=exercise_name(name), reason=reason
        )
        return exercise_data(self._call("ApproveExercise", message).exercise)

    def reject(self, name: str, *, reason: str = "", request_id: str | None = None) -> dict[str, Any]:
        message = pb.RejectExerciseRequest(
            request_id=request_id or new_request_id(), name=exercise_name(name), reason=reason
        )
        return exercise_data(self._call("RejectExercise", message).exercise)

    def cancel(self, name: str, *, reason: str = "", request_id: str | None = None) -> dict[str, Any]:
        message = pb.CancelExerciseRequest(
            request_id=request_id or new_request_id(), name=exercise_name(name), reason=reason
        )
        return exercise_data(self._call("CancelExercise", message).exercise)

    def settle(self, name: str, *, request_id: str | None = None) -> dict[str, Any]:
        message = pb.SettleExerciseRequest(request_id=request_id or new_request_id(), name=exercise_name(name))
        return exercise_data(self._call("SettleExercise", message).exercise)

    def record_exit(
        self, name: str, *, shares: int, price_per_share: str, value_date: dt.date, request_id: str | None = None
    ) -> dict[str, Any]:
        message = pb.RecordExitRequest(
            request_id=request_id or new_request_id(),
            name=exercise_name(name),
            shares=shares,
            price_per_share=price_per_share,
            value_date=_date(value_date),
        )
        return exercise_data(self._call("RecordExit", message).exercise)

    def get(self, name: str) -> dict[str, Any]:
        return exercise_data(self._call("GetExercise", pb.GetExerciseRequest(name=exercise_name(name))).exercise)

    def list(self, *, deal: str = "", state: str = "") -> Iterator[dict[str, Any]]:
        message = pb.ListExercisesRequest(
            deal=deal_name(deal) if deal else "", state=STATES[state] if state else pb.EXERCISE_STATE_UNSPECIFIED
        )
        for item in self._client.pages(self._stub, "ListExercises", message, "exercises"):
            yield exercise_data(item)

    def preview(self, name: str) -> dict[str, Any]:
        found = self._call("PreviewExercise", pb.PreviewExerciseRequest(name=exercise_name(name)))
        return {
            "name": exercise_name(name),
            "gain": _money(found.gain),
            "proceeds": _money(found.proceeds),
            "strike_paid": _money(found.strike_paid),
            "shares_received": found.shares_received,
            "fraction_cash": _money(found.fraction_cash),
            "split": split_data(found.split),
        }

    def expire_options(self, as_of: dt.date, *, request_id: str | None = None) -> dict[str, Any]:
        message = pb.ExpireOptionsRequest(request_id=request_id or new_request_id(), as_of=_date(as_of))
        found = self._call("ExpireOptions", message)
        return {
            "as_of": as_of.isoformat(),
            "lapsed": [
                {"deal": item.deal, "units": item.units, "fair_value_reversed": _money(item.fair_value_reversed)}
                for item in found.lapsed
            ],
        }
