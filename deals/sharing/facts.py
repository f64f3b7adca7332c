"""The credit facts of a borrower's loans as records for a credit-data platform, built from stored rows.

Pure: the desk (deals.sharing.desk) reads a deal's row, its dated steps and the classification runs that
recorded it; everything here turns those into records, one per fact, in a fixed order so that the same
database gives byte for byte the same export. The record schema is docs/schemas/credit-facts.schema.json
(one JSON Lines record); docs/credit-data.md describes each field and the CSV columns.

Money is a decimal string in yuan with two places (the ledger's fen, never a float) and every record
names its currency; dates are ISO 8601. Days past due and the classification are those of CreditService
(deals.credit.arrears, deals.credit.classification), so a platform sees what the bank's own reports say.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deals.credit.arrears import ArrearsBook, Payment, dues_of
from deals.credit.classification import DEFAULT_POLICY, Category, Policy, classify
from deals.schedule import DayCount
from deals.sharing.consent import Scope
from deals.terms import DealTerms
from ledger.amounts import format_minor

__all__ = [
    "COLUMNS",
    "CURRENCY",
    "SCHEMA_VERSION",
    "SCOPE_OF",
    "DealFacts",
    "Event",
    "RunRecord",
    "build_records",
    "chunks",
    "encode",
    "month_ends",
]

SCHEMA_VERSION = 1
CURRENCY = "CNY"

#: The record types, in the order a deal's records are written, and the scope each needs.
SCOPE_OF: dict[str, Scope] = {
    "loan": Scope.LOANS,
    "repayment": Scope.REPAYMENTS,
    "overdue": Scope.OVERDUE,
    "classification": Scope.CLASSIFICATION,
    "default": Scope.DEFAULTS,
    "write_off": Scope.DEFAULTS,
    "recovery": Scope.DEFAULTS,
}
_COMMON = ("schema_version", "record_id", "record_type", "borrower_uscc", "deal", "branch", "date", "currency")
#: The fields of each record type after the common ones (the JSON Schema lists the same).
FIELDS: dict[str, tuple[str, ...]] = {
    "loan": (
        "principal",
        "annual_rate",
        "day_count",
        "start_date",
        "maturity_date",
        "disbursement_date",
        "status",
    ),
    "repayment": ("amount", "principal", "interest"),
    "overdue": ("days_past_due", "amount_past_due"),
    "classification": ("category", "days_past_due", "reason", "source", "run"),
    "default": ("amount", "principal", "interest", "off_balance_interest"),
    "write_off": ("amount", "principal", "interest", "off_balance_interest"),
    "recovery": ("amount", "costs", "principal", "interest"),
}
#: The CSV header: the common fields, then every type's fields once, in first-seen order.
COLUMNS: tuple[str, ...] = tuple(dict.fromkeys((*_COMMON, *(f for fs in FIELDS.values() for f in fs))))

_DAY_COUNT = {DayCount.ACT_360: "ACT/360", DayCount.ACT_365F: "ACT/365F"}


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded step of a deal (deal_events): its sequence number, kind, value date and amounts (fen)."""

    seq: int
    kind: str  # repaid | defaulted | written_off | recovered | booked | disbursed | closed | ...
    on: dt.date
    amounts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What a classification run recorded for a deal."""

    run: str  # classificationRuns/{uuid}
    as_of: dt.date
    category: str
    days_past_due: int
    reason: str


@dataclass(frozen=True, slots=True)
class DealFacts:
    """Everything the records of one deal are built from."""

    deal_id: str
    branch: str
    borrower_uscc: str
    terms: DealTerms
    events: tuple[Event, ...]  # in sequence order
    runs: tuple[RunRecord, ...] = ()  # oldest first
    floor: Category = Category.NORMAL  # the approved override in force at the range's end
    policy: Policy = field(default=DEFAULT_POLICY)

    def first(self, kind: str) -> dt.date | None:
        return min((e.on for e in self.events if e.kind == kind), default=None)


def _yuan(fen: int) -> str:
    return format_minor(fen, 2)


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The last day of every month whose end falls in [first, last]."""
    found: list[dt.date] = []
    year, month = first.year, first.month
    while True:
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        if end > last:
            return found
        if end >= first:
            found.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _status_on(facts: DealFacts, day: dt.date) -> str:
    """The deal's status as of `day`, from the dates of its steps (the latest stage reached by then)."""
    reached = {e.kind for e in facts.events if e.on <= day}
    for kind, status in (
        ("closed", "closed"),
        ("written_off", "written_off"),
        ("defaulted", "defaulted"),
        ("repaid", "repaying"),
        ("disbursed", "disbursed"),
    ):
        if kind in reached:
            return status
    return "booked"


def _payments(facts: DealFacts) -> list[Payment]:
    """The borrower's repayments as deals.credit.events reads them: every part paid, and the principal."""
    found = []
    for e in facts.events:
        if e.kind == "repaid":
            total = sum(
                e.amounts.get(k, 0) for k in ("overdue_interest", "interest", "principal", "off_balance_interest")
            )
            found.append(Payment(e.on, total, e.amounts.get("principal", 0)))
    return found


def build_records(facts: DealFacts, first: dt.date, last: dt.date, scopes: Iterable[Scope]) -> list[dict[str, Any]]:
    """The records of one deal for the range [first, last], only of the given scopes, in file order: the
    loan, its repayments, days past due at each month end, its classification, then default, write-off and
    recoveries. A deal booked after `last`, or closed before `first`, has none."""
    wanted = set(scopes)
    booked = facts.first("booked")
    closed = facts.first("closed")
    if booked is None or booked > last or (closed is not None and closed < first):
        return []
    loan = facts.terms.loan
    disbursed = facts.first("disbursed")
    if disbursed is not None and disbursed > last:
        disbursed = None
    payments = _payments(facts)
    book = ArrearsBook(dues_of(facts.terms, disbursed, payments), payments) if disbursed else None
    out: list[dict[str, Any]] = []

    def add(kind: str, on: dt.date, key: str, **values: Any) -> None:
        if SCOPE_OF[kind] not in wanted:
            return
        out.append(
            {
                "schema_version": SCHEMA_VERSION,
                "record_id": f"{facts.deal_id}/{kind}/{key}",
                "record_type": kind,
                "borrower_uscc": facts.borrower_uscc,
                "deal": f"deals/{facts.deal_id}",
                "branch": facts.branch,
                "date": on.isoformat(),
                "currency": CURRENCY,
                **values,
            }
        )

    add(
        "loan",
        last,
        last.isoformat(),
        principal=_yuan(loan.principal),
        annual_rate=format(loan.annual_rate.normalize(), "f"),
        day_count=_DAY_COUNT[loan.day_count],
        start_date=loan.start.isoformat(),
        maturity_date=loan.maturity.isoformat(),
        disbursement_date=disbursed.isoformat() if disbursed else None,
        status=_status_on(facts, last),
    )
    in_range = [e for e in facts.events if first <= e.on <= last]
    for e in in_range:
        if e.kind == "repaid":
            a = e.amounts
            interest = a.get("overdue_interest", 0) + a.get("interest", 0) + a.get("off_balance_interest", 0)
            principal = a.get("principal", 0)
            add(
                "repayment",
                e.on,
                str(e.seq),
                amount=_yuan(principal + interest),
                principal=_yuan(principal),
                interest=_yuan(interest),
            )
    if book is not None and disbursed is not None:
        for end in month_ends(first, last):
            if end < disbursed or (closed is not None and closed <= end):
                continue
            add(
                "overdue",
                end,
                end.isoformat(),
                days_past_due=book.days_past_due(end),
                amount_past_due=_yuan(_past_due(book, end)),
            )
        for run in facts.runs:
            if first <= run.as_of <= last:
                add(
                    "classification",
                    run.as_of,
                    run.run.rsplit("/", 1)[-1],
                    category=run.category,
                    days_past_due=run.days_past_due,
                    reason=run.reason,
                    source="run",
                    run=run.run,
                )
        if closed is None or closed > last:
            found = classify(
                book,
                last,
                defaulted_on=facts.first("defaulted"),
                written_off_on=facts.first("written_off"),
                floor=facts.floor,
                policy=facts.policy,
            )
            add(
                "classification",
                last,
                last.isoformat(),
                category=found.category.value,
                days_past_due=found.days_past_due,
                reason=found.reason,
                source="computed",
                run=None,
            )
    principal_repaid = 0
    for e in facts.events:
        a = e.amounts
        if e.kind == "repaid":
            principal_repaid += a.get("principal", 0)
        if not first <= e.on <= last:
            continue
        if e.kind == "defaulted":
            # The loss on the books is principal plus interest receivable; the principal still owed is the
            # loan less what repayments returned before the default.
            loss = a.get("loss", 0)
            owed = min(loan.principal - principal_repaid, loss)
            add(
                "default",
                e.on,
                str(e.seq),
                amount=_yuan(loss),
                principal=_yuan(owed),
                interest=_yuan(loss - owed),
                off_balance_interest=_yuan(a.get("off_balance_interest", 0)),
            )
        elif e.kind == "written_off":
            add(
                "write_off",
                e.on,
                str(e.seq),
                amount=_yuan(a.get("written_off", 0)),
                principal=_yuan(a.get("principal", 0)),
                interest=_yuan(a.get("interest", 0)),
                off_balance_interest=_yuan(a.get("off_balance_interest", 0)),
            )
        elif e.kind == "recovered":
            costs, principal = a.get("costs", 0), a.get("principal", 0)
            interest = a.get("interest", 0) + a.get("off_balance_interest", 0)
            add(
                "recovery",
                e.on,
                str(e.seq),
                amount=_yuan(costs + principal + interest),
                costs=_yuan(costs),
                principal=_yuan(principal),
                interest=_yuan(interest),
            )
    return out


def _past_due(book: ArrearsBook, day: dt.date) -> int:
    """What was due before `day` and is still unpaid on it (fen): the instalments falling due on `day` are
    not past due yet, as in days past due."""
    due = sum(d.amount for d in book.dues if d.on < day)
    return max(due - book.paid_through(day), 0)


# ---------------------------------------------------------------------- files


def encode(records: Sequence[Mapping[str, Any]], fmt: str) -> list[bytes]:
    """Each record as the bytes it takes in the file (CSV: the header is the first item)."""
    if fmt == "jsonl":
        return [
            (json.dumps(r, ensure_ascii=False, sort_keys=False, separators=(",", ":")) + "\n").encode("utf-8")
            for r in records
        ]
    if fmt == "csv":
        return [_csv_line(COLUMNS), *(_csv_line(tuple(_cell(r.get(c)) for c in COLUMNS)) for r in records)]
    raise ValueError(f"unknown format {fmt!r}")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _csv_line(values: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


def chunks(pieces: Sequence[bytes], limit: int, header: int = 0) -> Iterator[tuple[bytes, int]]:
    """The pieces joined into chunks of at most `limit` bytes (a piece larger than that alone), cut only
    between records, each with the count of records sent so far (the first `header` pieces are no record)."""
    buffer: list[bytes] = []
    size = 0
    sent = 0
    for index, piece in enumerate(pieces):
        if buffer and size + len(piece) > limit:
            yield b"".join(buffer), sent
            buffer, size = [], 0
        buffer.append(piece)
        size += len(piece)
        if index >= header:
            sent += 1
    if buffer:
        yield b"".join(buffer), sent
