"""CreditService's protobuf edge: categories, classifications and overrides out, categories in."""

from __future__ import annotations

from deals.credit.classification import Category, Classification
from deals.credit.desk import HistoryEntry, Override
from ledger.db import as_utc
from ledger.errors import ViolationCollector
from server.convert import date_out, instant_out

__all__ = ["category_in", "classification_out", "date_out", "override_out", "record_out"]
from server.deal_convert import attribution_out
from toudai.v1 import credit_pb2 as pb

CATEGORY = {
    Category.NORMAL: pb.LOAN_CATEGORY_NORMAL,
    Category.SPECIAL_MENTION: pb.LOAN_CATEGORY_SPECIAL_MENTION,
    Category.SUBSTANDARD: pb.LOAN_CATEGORY_SUBSTANDARD,
    Category.DOUBTFUL: pb.LOAN_CATEGORY_DOUBTFUL,
    Category.LOSS: pb.LOAN_CATEGORY_LOSS,
}
CATEGORY_IN: dict[int, Category] = {int(v): k for k, v in CATEGORY.items()}
STATUS = {
    "pending": pb.OVERRIDE_STATUS_PENDING,
    "approved": pb.OVERRIDE_STATUS_APPROVED,
    "rejected": pb.OVERRIDE_STATUS_REJECTED,
}


def category_in(value: int, path: str, errors: ViolationCollector) -> Category | None:
    """A required category; unset or unknown adds a violation."""
    found = CATEGORY_IN.get(value)
    if found is None:
        known = ", ".join(pb.LoanCategory.Name(v) for v in CATEGORY.values())
        errors.add(path, f"is required: one of {known}" if value == 0 else f"{value} is not a category ({known})")
    return found


def classification_out(deal: str, c: Classification) -> pb.LoanClassification:
    return pb.LoanClassification(
        deal=deal,
        as_of_date=date_out(c.as_of),
        category=CATEGORY[c.category],
        days_past_due=c.days_past_due,
        category_by_days=CATEGORY[c.by_days],
        category_by_cure_window=CATEGORY[c.by_cure],
        override_category=CATEGORY[c.floor],
        impaired=c.impaired,
        written_off=c.written_off,
        non_performing=c.category.non_performing,
        reason=c.reason,
    )


def record_out(entry: HistoryEntry) -> pb.ClassificationRecord:
    return pb.ClassificationRecord(
        run=entry.run,
        as_of_date=date_out(entry.as_of),
        category=CATEGORY[entry.category],
        days_past_due=entry.days_past_due,
        reason=entry.reason,
        record_time=instant_out(as_utc(entry.recorded_at)),
    )


def override_out(o: Override) -> pb.ClassificationOverride:
    decided = (
        attribution_out(o.decided_by, o.decided_role, "", as_utc(o.decided_at)) if o.decided_at is not None else None
    )
    return pb.ClassificationOverride(
        name=o.name,
        category=CATEGORY[o.category],
        reason=o.reason,
        effective_date=date_out(o.effective_from),
        status=STATUS[o.status],
        requested_by=attribution_out(o.requested_by, o.requested_role, o.request_id, as_utc(o.requested_at)),
        decided_by=decided,
        decision_note=o.decision_note,
    )
