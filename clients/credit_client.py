"""CreditService calls for the CLI and Python callers: loan classification (五级分类), runs and overrides.

Plain Python values in (short deal and party names, dates), frozen dataclasses out, categories as lower-
case words ("special_mention"). Who acts is the client's credential (or, against a development server,
`x-toudai-principal` metadata): four eyes means an override's approval must come from another person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from google.type import date_pb2

from clients.client import ToudaiClient, new_request_id
from toudai.v1 import credit_pb2 as pb
from toudai.v1 import credit_pb2_grpc as pb_grpc

__all__ = [
    "CATEGORIES",
    "ClassificationRecord",
    "ClassificationRun",
    "CreditClient",
    "LoanClassification",
    "Override",
]

CATEGORIES = {
    "normal": pb.LOAN_CATEGORY_NORMAL,
    "special_mention": pb.LOAN_CATEGORY_SPECIAL_MENTION,
    "substandard": pb.LOAN_CATEGORY_SUBSTANDARD,
    "doubtful": pb.LOAN_CATEGORY_DOUBTFUL,
    "loss": pb.LOAN_CATEGORY_LOSS,
}
_WORD = {v: k for k, v in CATEGORIES.items()}
_STATUS = {
    pb.OVERRIDE_STATUS_PENDING: "pending",
    pb.OVERRIDE_STATUS_APPROVED: "approved",
    pb.OVERRIDE_STATUS_REJECTED: "rejected",
}


@dataclass(frozen=True, slots=True)
class LoanClassification:
    deal: str
    as_of: dt.date | None
    category: str
    days_past_due: int
    category_by_days: str
    category_by_cure_window: str
    override_category: str
    impaired: bool
    written_off: bool
    non_performing: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ClassificationRecord:
    run: str
    as_of: dt.date | None
    category: str
    days_past_due: int
    reason: str


@dataclass(frozen=True, slots=True)
class ClassificationRun:
    run: str
    as_of: dt.date | None
    classifications: tuple[LoanClassification, ...]
    run_by: str


@dataclass(frozen=True, slots=True)
class Override:
    name: str
    category: str
    reason: str
    effective_date: dt.date | None
    status: str
    requested_by: str
    decided_by: str
    decision_note: str


def deal_name(value: str) -> str:
    return value if value.startswith("deals/") else f"deals/{value}"


def override_name(deal: str, value: str) -> str:
    """`deals/{deal}/overrides/{n}` from that, or from a deal and a bare number."""
    return value if value.startswith("deals/") else f"{deal_name(deal)}/overrides/{value}"


def _date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _day(value: date_pb2.Date) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value.year else None


def _classification(c: Any) -> LoanClassification:
    return LoanClassification(
        deal=c.deal,
        as_of=_day(c.as_of_date),
        category=_WORD.get(c.category, ""),
        days_past_due=c.days_past_due,
        category_by_days=_WORD.get(c.category_by_days, ""),
        category_by_cure_window=_WORD.get(c.category_by_cure_window, ""),
        override_category=_WORD.get(c.override_category, ""),
        impaired=c.impaired,
        written_off=c.written_off,
        non_performing=c.non_performing,
        reason=c.reason,
    )


def _override(o: Any) -> Override:
    return Override(
        name=o.name,
        category=_WORD.get(o.category, ""),
        reason=o.reason,
        effective_date=_day(o.effective_date),
        status=_STATUS.get(o.status, ""),
        requested_by=o.requested_by.principal,
        decided_by=o.decided_by.principal,
        decision_note=o.decision_note,
    )


def _money(m: Any) -> str:
    """google.type.Money as a decimal string in yuan, e.g. "1500.00" or "-20.00"."""
    fen = m.units * 100 + m.nanos // 10_000_000
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _run_data(run: Any) -> dict[str, Any]:
    return {
        "name": run.name,
        "branch": run.branch,
        "as_of": _day(run.as_of_date),
        "parameters": run.parameters,
        "allowance": _money(run.allowance),
        "change": _money(run.change),
        "transaction": run.transaction,
        "transactions": list(run.transactions),
        "run_by": run.run_by.principal,
        "lines": [
            {
                "deal": line.deal,
                "category": _WORD.get(line.category, ""),
                "days_past_due": line.days_past_due,
                "stage": line.stage,
                "tier": line.tier,
                "probability_of_default": line.probability_of_default,
                "loss_given_default": line.loss_given_default,
                "exposure_at_default": _money(line.exposure_at_default),
                "cover": _money(line.cover),
                "cover_measured": line.cover_measured,
                "expected_credit_loss": _money(line.expected_credit_loss),
                "previous_allowance": _money(line.previous_allowance),
                "change": _money(line.change),
            }
            for line in run.lines
        ],
    }


class CreditClient:
    def __init__(self, client: ToudaiClient) -> None:
        self._client = client
        self._stub = client.stub(pb_grpc.CreditServiceStub)

    def reclassify(
        self, branch: str, as_of: dt.date | None = None, *, request_id: str | None = None
    ) -> ClassificationRun:
        """Classify every loan of `branch` open as of the date (default: the server's business date)."""
        request = pb.ReclassifyDealsRequest(
            request_id=request_id or new_request_id(),
            branch=branch if branch.startswith("parties/") else f"parties/{branch}",
            as_of_date=_date(as_of) if as_of else None,
        )
        r = self._client.call(self._stub, "ReclassifyDeals", request)
        return ClassificationRun(
            r.run, _day(r.as_of_date), tuple(_classification(c) for c in r.classifications), r.run_by.principal
        )

    def classification(
        self, deal: str, as_of: dt.date | None = None
    ) -> tuple[LoanClassification, tuple[ClassificationRecord, ...]]:
        """A deal's classification as of the date, and what runs recorded up to it."""
        request = pb.GetDealClassificationRequest(name=deal_name(deal), as_of_date=_date(as_of) if as_of else None)
        r = self._client.call(self._stub, "GetDealClassification", request)
        history = tuple(
            ClassificationRecord(h.run, _day(h.as_of_date), _WORD.get(h.category, ""), h.days_past_due, h.reason)
            for h in r.history
        )
        return _classification(r.classification), history

    def request_override(
        self,
        deal: str,
        category: str,
        reason: str,
        effective_date: dt.date | None = None,
        *,
        request_id: str | None = None,
    ) -> Override:
        request = pb.RequestClassificationOverrideRequest(
            request_id=request_id or new_request_id(),
            name=deal_name(deal),
            category=CATEGORIES[category],
            reason=reason,
            effective_date=_date(effective_date) if effective_date else None,
        )
        return _override(self._client.call(self._stub, "RequestClassificationOverride", request).override)

    def decide_override(self, name: str, *, approve: bool, note: str = "", request_id: str | None = None) -> Override:
        method = "ApproveClassificationOverride" if approve else "RejectClassificationOverride"
        message = pb.ApproveClassificationOverrideRequest if approve else pb.RejectClassificationOverrideRequest
        request = message(request_id=request_id or new_request_id(), name=name, note=note)
        return _override(self._client.call(self._stub, method, request).override)

    def run_impairment(
        self, branch: str, as_of: dt.date | None = None, *, request_id: str | None = None
    ) -> dict[str, Any]:
        """Measure a branch's loans and post the allowance change; the run as JSON-ready data."""
        request = pb.RunImpairmentRequest(
            request_id=request_id or new_request_id(),
            branch=branch if branch.startswith("parties/") else f"parties/{branch}",
            as_of_date=_date(as_of) if as_of else None,
        )
        return _run_data(self._client.call(self._stub, "RunImpairment", request).run)

    def impairment_run(self, name: str) -> dict[str, Any]:
        """A recorded run with every input (`impairmentRuns/{uuid}` or the bare uuid)."""
        full = name if name.startswith("impairmentRuns/") else f"impairmentRuns/{name}"
        request = pb.GetImpairmentRunRequest(name=full)
        return _run_data(self._client.call(self._stub, "GetImpairmentRun", request).run)

    def overrides(self, deal: str) -> tuple[Override, ...]:
        request = pb.ListClassificationOverridesRequest(name=deal_name(deal))
        return tuple(
            _override(o) for o in self._client.call(self._stub, "ListClassificationOverrides", request).overrides
        )
