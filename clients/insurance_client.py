"""InsuranceService calls for the CLI and Python callers: the insurer's claims on defaulted deals
(科技保险理赔). A default files a claim; the insurer's claims staff approve or reject it and pay it.

Plain Python values in (short deal names, dates, exact amounts), frozen dataclasses out, amounts as
`Decimal` yuan. Who acts is the client's credential (an `insurer` token for the claim's insurer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clients.client import ToudaiClient, new_request_id
from clients.deal_convert import date_message, money_message, money_value
from clients.exercise_client import AsPrincipal
from clients.values import AmountInput
from toudai.v1 import insurance_pb2 as pb
from toudai.v1 import insurance_pb2_grpc as pb_grpc

__all__ = ["STATUSES", "InsuranceClaim", "InsuranceClient", "Settlement", "insurance_claim_name"]

STATUSES = {
    "pending": pb.INSURANCE_CLAIM_STATUS_PENDING,
    "approved": pb.INSURANCE_CLAIM_STATUS_APPROVED,
    "rejected": pb.INSURANCE_CLAIM_STATUS_REJECTED,
    "settled": pb.INSURANCE_CLAIM_STATUS_SETTLED,
}
_WORD = {v: k for k, v in STATUSES.items()}


@dataclass(frozen=True, slots=True)
class InsuranceClaim:
    name: str
    deal: str
    insurer: str
    branch: str
    status: str
    loss: Decimal
    rate: str
    amount: Decimal
    settled: Decimal
    value_date: dt.date | None
    decision_date: dt.date | None
    filed_by: str
    decided_by: str
    reason: str
    transaction: str

    @property
    def outstanding(self) -> Decimal:
        """What the insurer has not paid of an approved claim (recovery set-offs aside)."""
        return self.amount - self.settled if self.status in ("approved", "settled") else Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Settlement:
    claim: InsuranceClaim
    outstanding: Decimal  # what the insurer still owes after this payment
    transaction: str


def insurance_claim_name(deal: str) -> str:
    """`hz-2026-001`, `deals/hz-2026-001` or `insuranceClaims/hz-2026-001` → `insuranceClaims/hz-2026-001`."""
    return "insuranceClaims/" + deal.removeprefix("insuranceClaims/").removeprefix("deals/")


def _day(value: Any) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value.year else None


def _claim(c: Any) -> InsuranceClaim:
    return InsuranceClaim(
        name=c.name,
        deal=c.deal,
        insurer=c.insurer.removeprefix("parties/"),
        branch=c.branch.removeprefix("parties/"),
        status=_WORD.get(c.status, ""),
        loss=money_value(c.loss),
        rate=c.rate,
        amount=money_value(c.amount),
        settled=money_value(c.settled),
        value_date=_day(c.value_date),
        decision_date=_day(c.decision_date),
        filed_by=c.filed_by.principal,
        decided_by=c.decided_by.principal,
        reason=c.reason,
        transaction=c.transaction,
    )


def _party(name: str) -> str:
    return name if not name or name.startswith("parties/") else f"parties/{name}"


class InsuranceClient:
    """InsuranceService over a `ToudaiClient`; `principal` (development servers) names who acts, sent as
    `x-toudai-principal`, so the insurer's claims staff are not the clerk who filed the claim."""

    def __init__(self, client: ToudaiClient, *, principal: str | None = None) -> None:
        self._client = client
        self._stub = AsPrincipal(client.stub(pb_grpc.InsuranceServiceStub), principal)

    def get(self, deal: str) -> InsuranceClaim:
        request = pb.GetInsuranceClaimRequest(name=insurance_claim_name(deal))
        return _claim(self._client.call(self._stub, "GetInsuranceClaim", request).claim)

    def list(self, *, insurer: str = "", branch: str = "", status: str = "") -> Iterator[InsuranceClaim]:
        """Every claim the caller may see, by deal id, across pages."""
        token = ""
        while True:
            request = pb.ListInsuranceClaimsRequest(
                insurer=_party(insurer),
                branch=_party(branch),
                status=STATUSES[status] if status else pb.INSURANCE_CLAIM_STATUS_UNSPECIFIED,
                page_token=token,
            )
            page = self._client.call(self._stub, "ListInsuranceClaims", request)
            yield from (_claim(c) for c in page.claims)
            token = page.next_page_token
            if not token:
                return

    def approve(self, deal: str, value_date: dt.date | None = None, *, request_id: str | None = None) -> InsuranceClaim:
        """The insurer approves its pending claim: its share is posted (dated `value_date`, default the
        default's date)."""
        request = pb.ApproveInsuranceClaimRequest(
            request_id=request_id or new_request_id(),
            name=insurance_claim_name(deal),
            value_date=date_message(value_date) if value_date else None,
        )
        return _claim(self._client.call(self._stub, "ApproveInsuranceClaim", request).claim)

    def reject(self, deal: str, reason: str, *, request_id: str | None = None) -> InsuranceClaim:
        request = pb.RejectInsuranceClaimRequest(
            request_id=request_id or new_request_id(), name=insurance_claim_name(deal), reason=reason
        )
        return _claim(self._client.call(self._stub, "RejectInsuranceClaim", request).claim)

    def settle(
        self, deal: str, amount: AmountInput, value_date: dt.date | None = None, *, request_id: str | None = None
    ) -> Settlement:
        """The insurer pays `amount` (CNY) of its approved claim into the bank's book."""
        request = pb.SettleInsuranceClaimRequest(
            request_id=request_id or new_request_id(),
            name=insurance_claim_name(deal),
            amount=money_message(amount),
            value_date=date_message(value_date) if value_date else None,
        )
        r = self._client.call(self._stub, "SettleInsuranceClaim", request)
        return Settlement(_claim(r.claim), money_value(r.outstanding), r.transaction)
