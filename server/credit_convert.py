"""CreditService's protobuf edge: categories, classifications and overrides out, categories in."""

from __future__ import annotations

from deals.credit.classification import Category, Classification
from deals.credit.desk import HistoryEntry, ImpairmentRun, Override
from ledger.db import as_utc
from ledger.errors import ViolationCollector
from server.convert import date_out, instant_out

__all__ = ["category_in", "classification_out", "date_out", "impairment_out", "override_out", "record_out"]
from server.deal_convert import attribution_out, money_out
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


def impairment_out(run: ImpairmentRun) -> pb.ImpairmentRun:
    lines = []
    for line in run.lines:
        i = line.inputs
        lines.append(
            pb.ImpairmentLine(
                deal=f"deals/{line.deal_id}",
                category=CATEGORY[line.category] if line.category else pb.LOAN_CATEGORY_UNSPECIFIED,
                days_past_due=line.days_past_due,
                stage=int(i.stage),
                tier=i.tier,
                probability_of_default=format(i.pd, "f"),
                loss_given_default=format(i.lgd, "f"),
                exposure_at_default=money_out(i.ead),
                cover=money_out(i.cover),
                cover_measured=i.cover_measured,
                expected_credit_loss=money_out(i.ecl),
                previous_allowance=money_out(line.previous),
                change=money_out(line.change),
                assessment=line.assessment,
            )
        )
    return pb.ImpairmentRun(
        name=run.name,
        branch=f"parties/{run.branch}",
        as_of_date=date_out(run.as_of),
        parameters=run.parameters,
        lines=lines,
        allowance=money_out(run.allowance),
        change=money_out(run.change),
        transaction=run.transaction,
        run_by=attribution_out(run.principal, run.role, run.request_id, as_utc(run.create_time)),
        transactions=list(run.transactions),
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
