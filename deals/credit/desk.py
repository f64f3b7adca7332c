"""The credit desk: classifies deals as of a date, records classification runs, and keeps the manual
overrides (a downgrade with its reason, or lifting one) that a second person must approve.

A classification is a pure function of the deal's terms, its dated steps and the approved overrides
(deals.credit.classification), so any date can be classified again and gives the same answer; a run
records what it found so the history is kept as it was reported. docs/credit.md.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import schema as ds
from deals.accounting import ALLOWANCE, CNY
from deals.credit import schema as cs
from deals.credit.arrears import ArrearsBook, dues_of
from deals.credit.classification import DEFAULT_POLICY, Category, Classification, Policy, classify
from deals.credit.events import payments_of, steps_of
from deals.credit.facts import BranchFacts, chunks, read_branch_facts
from deals.credit.impairment import CURRENT as CURRENT_PARAMETERS
from deals.credit.impairment import PARAMETERS, EclStage, Inputs, Parameters, inputs_for, tier_of
from deals.insurance import InsuranceStatus, insurance_row
from deals.model import deal_accounts
from deals.names import deal_id_in, parse_deal_name
from deals.queries import decoded_terms
from ledger import actor, names
from ledger.amounts import format_minor
from ledger.canonical import fingerprint
from ledger.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import AccountType, Balance, PostingSpec, Side, TransactionSpec
from ledger.principal import same_person
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import MAX_POSTINGS, check_request_id, check_value_date

__all__ = ["CreditDesk", "DealClassification", "HistoryEntry", "Override", "Run"]

REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """What one run recorded for a deal."""

    run: str
    as_of: dt.date
    category: Category
    days_past_due: int
    reason: str
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DealClassification:
    """A deal's classification as of a date, with the runs that recorded it up to that date."""

    deal: str
    classification: Classification
    history: tuple[HistoryEntry, ...]


@dataclass(frozen=True, slots=True)
class Run:
    """A classification run over a branch's deals as of a date."""

    name: str
    branch: str
    as_of: dt.date
    request_id: str
    deals: tuple[tuple[str, Classification], ...]
    principal: str
    role: str
    create_time: dt.datetime


@dataclass(frozen=True, slots=True)
class Override:
    """A manual classification: a floor from `effective_from` (NORMAL lifts an earlier one)."""

    name: str  # deals/{deal}/overrides/{n}
    deal: str
    category: Category
    reason: str
    effective_from: dt.date
    status: str  # pending | approved | rejected
    request_id: str
    requested_by: str
    requested_role: str
    requested_at: dt.datetime
    decided_by: str = ""
    decided_role: str = ""
    decided_at: dt.datetime | None = None
    decision_note: str = ""


@dataclass(frozen=True, slots=True)
class ImpairmentLine:
    """One deal in an impairment run: its category and days past due (None and 0 before disbursement), ECL
    inputs and the allowance it had before the run (fen)."""

    deal_id: str
    category: Category | None
    days_past_due: int
    inputs: Inputs
    previous: int
    assessment: str = ""  # assessments/{uuid} that gave the tier ("" : the booked stage)

    @property
    def change(self) -> int:
        return self.inputs.ecl - self.previous


@dataclass(frozen=True, slots=True)
class ImpairmentRun:
    name: str
    branch: str
    as_of: dt.date
    parameters: str
    request_id: str
    lines: tuple[ImpairmentLine, ...]
    allowance: int
    change: int
    transaction: str  # the first of `transactions` ("" when no allowance changed)
    principal: str
    role: str
    create_time: dt.datetime
    transactions: tuple[str, ...] = ()  # every transaction posted, in order (_post_allowance)


class CreditDesk:
    def __init__(self, ledger: Ledger, policy: Policy = DEFAULT_POLICY) -> None:
        self._ledger = ledger
        self.policy = policy

    # ------------------------------------------------------------------ classification

    def classification(self, name: str, as_of: dt.date | None) -> DealClassification:
        deal_id = deal_id_in(name, "name")
        if as_of is not None:
            errors = ViolationCollector()
            check_value_date(as_of, "as_of_date", errors, self._ledger.today())
            errors.raise_if_any()

        def work(session: LedgerSession) -> DealClassification:
            conn = session.connection
            row = _deal_row(conn, deal_id)
            day = as_of or session.today()
            found = self._classify(conn, row, day)
            if found is None:
                raise FailedPrecondition(
                    f"deals/{deal_id} was not disbursed on or before {day.isoformat()}: there is no loan to classify",
                    [PreconditionViolation("NOT_DISBURSED", f"deals/{deal_id}", "not disbursed by then")],
                    reason="NOT_DISBURSED",
                )
            return DealClassification(f"deals/{deal_id}", found, _history(conn, deal_id, day))

        return self._ledger.read(work)

    def reclassify(self, *, request_id: str, branch: str, as_of: dt.date | None) -> Run:
        """Classify every loan of `branch` open as of the date and record the run; the same request id
        replays the recorded run."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        branch_id = _party_id(branch, "branch", errors)
        if as_of is not None:
            check_value_date(as_of, "as_of_date", errors, self._ledger.today())
        errors.raise_if_any()

        def work(session: LedgerSession) -> Run:
            conn = session.connection
            day = as_of or session.today()
            print_ = fingerprint({"branch": branch_id, "as_of": as_of.isoformat() if as_of else ""})
            previous = _branch_run(session, cs.classification_runs, branch_id, request_id, print_)
            if previous is not None:
                return _run_of(conn, previous)
            rows = conn.execute(
                sa.select(ds.deals)
                .where(ds.deals.c.branch == branch_id, ds.deals.c.status != "booked")
                .order_by(ds.deals.c.id)
            ).all()
            run_id = uuid.uuid4()
            at = session.now()
            found: list[tuple[str, Classification]] = []
            facts = read_branch_facts(conn, branch_id, day)
            for row in rows:
                classified = self._classify(conn, row, day, facts)
                if classified is not None:
                    found.append((row.id, classified))
            who = actor.columns()
            conn.execute(
                cs.classification_runs.insert(),
                {
                    "id": run_id,
                    "branch": branch_id,
                    "as_of": day,
                    "request_id": request_id,
                    "fingerprint": print_,
                    "deals": len(found),
                    "principal": who["principal"],
                    "role": who["role"],
                    "created_at": at,
                },
            )
            if found:
                session.insert_rows(cs.deal_classifications, [_classification_row(run_id, d, c, at) for d, c in found])
            return Run(
                f"classificationRuns/{run_id}",
                branch_id,
                day,
                request_id,
                tuple(found),
                who["principal"],
                who["role"],
                at,
            )

        return self._ledger.write(work, what="ReclassifyDeals")

    def _classify(
        self, conn: sa.Connection, row: Any, day: dt.date, facts: BranchFacts | None = None
    ) -> Classification | None:
        """The deal's classification as of `day`, or None if it was not an open loan then. `facts`: the
        branch's facts already read for `day` (deals.credit.facts), instead of three queries for this deal."""
        steps = facts.steps_of(row.id) if facts is not None else steps_of(conn, row.id)
        disbursed_on = steps.get("disbursed")
        closed_on = steps.get("closed")
        if disbursed_on is None or disbursed_on > day or (closed_on is not None and closed_on <= day):
            return None
        terms = decoded_terms(row.terms_json)
        payments = facts.payments_of(row.id) if facts is not None else payments_of(conn, row.id)
        book = ArrearsBook(dues_of(terms, disbursed_on, payments, until=day), payments)
        return classify(
            book,
            day,
            defaulted_on=steps.get("defaulted"),
            written_off_on=steps.get("written_off"),
            floor=facts.floor(row.id) if facts is not None else _floor(conn, row.id, day),
            policy=self.policy,
        )

    # ------------------------------------------------------------------ impairment

    def run_impairment(self, *, request_id: str, branch: str, as_of: dt.date | None) -> ImpairmentRun:
        """Measure every loan of `branch` as of the date (deals.credit.impairment), post the change of each
        deal's allowance in one netted transaction in the branch's book, and record every input."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        branch_id = _party_id(branch, "branch", errors)
        if as_of is not None:
            check_value_date(as_of, "as_of_date", errors, self._ledger.today())
        errors.raise_if_any()
        params = PARAMETERS[CURRENT_PARAMETERS]

        def work(session: LedgerSession) -> ImpairmentRun:
            conn = session.connection
            day = as_of or session.today()
            print_ = fingerprint({"branch": branch_id, "as_of": as_of.isoformat() if as_of else ""})
            r = cs.impairment_runs
            previous_run = _branch_run(session, r, branch_id, request_id, print_)
            if previous_run is not None:
                return _impairment_of(session, previous_run)
            latest = conn.execute(sa.select(sa.func.max(r.c.as_of)).where(r.c.branch == branch_id)).scalar()
            if latest is not None and day < latest:
                raise FailedPrecondition(
                    f"parties/{branch_id} has an impairment run as of {latest.isoformat()}; a run as of "
                    f"{day.isoformat()} would change the allowance booked after it: run it as of {latest.isoformat()} "
                    "or later",
                    [PreconditionViolation("LATE_EVENT", f"parties/{branch_id}", f"last run {latest.isoformat()}")],
                    reason="LATE_EVENT",
                    metadata={"last_value_date": latest.isoformat()},
                )
            session.lock_books([branch_id])
            rows = conn.execute(sa.select(ds.deals).where(ds.deals.c.branch == branch_id).order_by(ds.deals.c.id)).all()
            facts = read_branch_facts(conn, branch_id, day, assessments=True)
            balances = _balances_as_of(session, [_measured_accounts(row) for row in rows], day)
            lines = [
                line for row in rows if (line := self._measure(session, row, day, params, facts, balances)) is not None
            ]
            run_id = uuid.uuid4()
            posted = _post_allowance(session, branch_id, run_id, request_id, day, lines)
            transaction_id = posted[0] if posted else None
            who = actor.columns()
            at = session.now()
            allowance = sum(line.inputs.ecl for line in lines)
            change = sum(line.inputs.ecl - line.previous for line in lines)
            conn.execute(
                r.insert(),
                {
                    "id": run_id,
                    "branch": branch_id,
                    "as_of": day,
                    "parameters": params.version,
                    "request_id": request_id,
                    "fingerprint": print_,
                    "transaction_id": transaction_id,
                    "allowance": allowance,
                    "change": change,
                    "principal": who["principal"],
                    "role": who["role"],
                    "created_at": at,
                },
            )
            if lines:
                session.insert_rows(cs.impairment_lines, [_line_row(run_id, line) for line in lines])
            return ImpairmentRun(
                f"impairmentRuns/{run_id}",
                branch_id,
                day,
                params.version,
                request_id,
                tuple(lines),
                allowance,
                change,
                f"transactions/{transaction_id}" if transaction_id else "",
                who["principal"],
                who["role"],
                at,
                tuple(f"transactions/{t}" for t in posted),
            )

        return self._ledger.write(work, what="RunImpairment")

    def impairment_run(self, name: str) -> ImpairmentRun:
        """A recorded run, `impairmentRuns/{uuid}`."""
        parts = (name or "").split("/")
        try:
            run_id = uuid.UUID(parts[1]) if len(parts) == 2 and parts[0] == "impairmentRuns" else None
        except ValueError:
            run_id = None
        if run_id is None:
            raise InvalidArgument.one("name", f"{name!r} is not an impairment run name: impairmentRuns/{{uuid}}")

        def work(session: LedgerSession) -> ImpairmentRun:
            conn = session.connection
            row = conn.execute(sa.select(cs.impairment_runs).where(cs.impairment_runs.c.id == run_id)).first()
            if row is None:
                raise NotFound(name, "impairment run")
            return _impairment_of(session, row)

        return self._ledger.read(work)

    def _measure(
        self,
        session: LedgerSession,
        row: Any,
        day: dt.date,
        params: Parameters,
        facts: BranchFacts,
        found: Mapping[str, Balance],
    ) -> ImpairmentLine | None:
        """One deal's ECL inputs as of `day`; None for a deal with nothing to measure and no allowance.
        `facts` and `found` (the balances of `_measured_accounts` as of `day`) were read for the branch."""
        conn = session.connection
        terms = decoded_terms(row.terms_json)
        steps = facts.steps_of(row.id)
        allowance_account, loans, interest = _measured_accounts(row)
        # As of the run's date: a write-off dated later may already have drawn on it (the next run releases
        # what is left for a written-off loan).
        previous = -found[allowance_account].balance if allowance_account in found else 0  # contra-asset
        booked_on = steps.get("booked")
        ended = [steps[k] for k in ("closed", "written_off") if k in steps and steps[k] <= day]
        if booked_on is None or booked_on > day or ended:
            if not previous:
                return None
            return ImpairmentLine(
                row.id,
                None,
                0,
                Inputs(EclStage.PERFORMING, tier_of(terms.borrower.stage), Decimal(0), Decimal(0), 0, 0),
                previous,
            )
        classification = self._classify(conn, row, day, facts)
        measured: int | None = None
        if classification is None:
            ead = terms.loan.principal  # an undrawn commitment counts in full
        else:
            ead = max(sum(found[n].balance for n in (loans, interest) if n in found), 0)
            # Only a default measures a cover (_measured_cover is None without one by `day`).
            defaulted = steps.get("defaulted")
            measured = _measured_cover(conn, row.id, day) if defaulted is not None and defaulted <= day else None
        # The tier: the branch's assessment of the borrower in force on the run's date, else the booked stage.
        assessed = facts.assessments.get(terms.borrower.uscc)
        inputs = inputs_for(
            classification=classification,
            borrower_stage=assessed.tier if assessed is not None else terms.borrower.stage,
            ead=ead,
            risk=terms.risk,
            measured_cover=measured,
            params=params,
        )
        return ImpairmentLine(
            row.id,
            classification.category if classification else None,
            classification.days_past_due if classification else 0,
            inputs,
            previous,
            assessed.name if assessed is not None else "",
        )

    # ------------------------------------------------------------------ overrides

    def request_override(
        self, *, request_id: str, name: str, category: Category | None, reason: str, effective_from: dt.date | None
    ) -> Override:
        """Propose a manual classification of a deal from a date; it holds only once another person approves."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        deal_id = deal_id_in(name, "name")
        if category is None:
            errors.add("category", "is required: normal (lifts an earlier override), special_mention, substandard, ...")
        if not reason.strip():
            errors.add("reason", "is required: why the loan is classified by hand (it is shown to the approver)")
        elif len(reason) > REASON_MAX:
            errors.add("reason", f"has {len(reason)} characters; at most {REASON_MAX}")
        if effective_from is not None:
            check_value_date(effective_from, "effective_date", errors, self._ledger.today())
        errors.raise_if_any()
        assert category is not None
        print_ = fingerprint(
            {
                "deal": deal_id,
                "category": category.value,
                "reason": reason,
                "from": effective_from.isoformat() if effective_from else "",
            }
        )

        def work(session: LedgerSession) -> Override:
            conn = session.connection
            row = _deal_row(conn, deal_id, lock=True)
            t = cs.classification_overrides
            previous = conn.execute(sa.select(t).where(t.c.scope == row.branch, t.c.request_id == request_id)).first()
            if previous is not None:
                if previous.fingerprint != print_ or previous.deal_id != deal_id:
                    raise request_id_reused(request_id)
                return _override_of(previous)
            if row.status == "booked":
                raise FailedPrecondition(
                    f"deals/{deal_id} is booked, not disbursed: there is no loan to classify yet",
                    [PreconditionViolation("NOT_DISBURSED", f"deals/{deal_id}", "status is booked")],
                    reason="NOT_DISBURSED",
                )
            number = int(conn.execute(sa.select(sa.func.max(t.c.number)).where(t.c.deal_id == deal_id)).scalar() or 0)
            who = actor.columns()
            values = {
                "deal_id": deal_id,
                "number": number + 1,
                "category": category.value,
                "reason": reason,
                "effective_from": effective_from or session.today(),
                "status": "pending",
                "scope": row.branch,
                "request_id": request_id,
                "fingerprint": print_,
                "requested_by": who["principal"],
                "requested_role": who["role"],
                "requested_at": session.now(),
            }
            conn.execute(t.insert(), values)
            return _override_of(
                conn.execute(sa.select(t).where(t.c.deal_id == deal_id, t.c.number == number + 1)).one()
            )

        return self._ledger.write(work, what="RequestClassificationOverride")

    def decide_override(self, *, request_id: str, name: str, approve: bool, note: str) -> Override:
        """Approve or reject a pending override; the person who asked for it cannot decide it."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        if len(note) > REASON_MAX:
            errors.add("note", f"has {len(note)} characters; at most {REASON_MAX}")
        deal_id, number = parse_override_name(name, "name")
        errors.raise_if_any()

        def work(session: LedgerSession) -> Override:
            conn = session.connection
            _deal_row(conn, deal_id, lock=True)
            t = cs.classification_overrides
            row = conn.execute(sa.select(t).where(t.c.deal_id == deal_id, t.c.number == number)).first()
            if row is None:
                raise NotFound(name, "override")
            wanted = "approved" if approve else "rejected"
            if row.status != "pending":
                if row.status == wanted and row.decision_request_id == request_id:
                    return _override_of(row)  # a retry of the decision
                raise FailedPrecondition(
                    f"{name} is already {row.status}",
                    [PreconditionViolation("OVERRIDE_DECIDED", name, f"status is {row.status}")],
                    reason="OVERRIDE_DECIDED",
                )
            who = actor.columns()
            if same_person(who["principal"], row.requested_by):
                raise FailedPrecondition(
                    f"{name} was requested by {row.requested_by}; another person must decide it (four eyes)",
                    [PreconditionViolation("FOUR_EYES", name, "the requester cannot decide")],
                    reason="FOUR_EYES",
                )
            conn.execute(
                t.update()
                .where(t.c.deal_id == deal_id, t.c.number == number)
                .values(
                    status=wanted,
                    decision_request_id=request_id,
                    decision_note=note,
                    decided_by=who["principal"],
                    decided_role=who["role"],
                    decided_at=session.now(),
                )
            )
            return _override_of(conn.execute(sa.select(t).where(t.c.deal_id == deal_id, t.c.number == number)).one())

        return self._ledger.write(work, what="DecideClassificationOverride")

    def overrides(self, name: str) -> list[Override]:
        deal_id = deal_id_in(name, "name")

        def work(session: LedgerSession) -> list[Override]:
            conn = session.connection
            _deal_row(conn, deal_id)
            t = cs.classification_overrides
            rows = conn.execute(sa.select(t).where(t.c.deal_id == deal_id).order_by(t.c.number)).all()
            return [_override_of(r) for r in rows]

        return self._ledger.read(work)


# ---------------------------------------------------------------------- reading the deal's record


def _party_id(name: str, field: str, errors: ViolationCollector) -> str:
    try:
        return names.parse_party_name(name)
    except names.BadName as exc:
        errors.add(field, str(exc))
        return ""


def parse_override_name(name: str, field: str) -> tuple[str, int]:
    """`deals/{deal}/overrides/{n}` → (deal id, n)."""
    parts = (name or "").split("/")
    if len(parts) == 4 and parts[0] == "deals" and parts[2] == "overrides" and parts[3].isdigit():
        try:
            return parse_deal_name("/".join(parts[:2])), int(parts[3])
        except names.BadName:
            pass
    raise InvalidArgument.one(field, f"{name!r} is not an override name: deals/{{deal}}/overrides/{{n}}")


def _deal_row(conn: sa.Connection, deal_id: str, *, lock: bool = False) -> Any:
    query = sa.select(ds.deals).where(ds.deals.c.id == deal_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"deals/{deal_id}", "deal")
    return row


def _measured_accounts(row: Any) -> tuple[str, str, str]:
    """The accounts an impairment run reads for a deal as of its date: its allowance, loan and interest."""
    terms = decoded_terms(row.terms_json)
    accounts = deal_accounts(row.id, terms)
    return (
        names.account_name(terms.branch, f"{ALLOWANCE}.{row.id}"),
        accounts.deal_account(terms.branch, "loans"),
        accounts.deal_account(terms.branch, "interest-receivable"),
    )


def _balances_as_of(session: LedgerSession, groups: Sequence[Sequence[str]], day: dt.date) -> dict[str, Balance]:
    """Balances as of `day` of every account named in `groups`, a thousand names a query."""
    wanted = [name for group in groups for name in group]
    found: dict[str, Balance] = {}
    for part in chunks(wanted):
        found.update(session.balances_as_of(part, day))
    return found


def _floor(conn: sa.Connection, deal_id: str, day: dt.date) -> Category:
    """The approved override in force on `day`: the latest effective on or before it (NORMAL: none)."""
    t = cs.classification_overrides
    row = conn.execute(
        sa.select(t.c.category)
        .where(t.c.deal_id == deal_id, t.c.status == "approved", t.c.effective_from <= day)
        .order_by(t.c.effective_from.desc(), t.c.number.desc())
        .limit(1)
    ).first()
    return Category(row.category) if row is not None else Category.NORMAL


def _history(conn: sa.Connection, deal_id: str, day: dt.date) -> tuple[HistoryEntry, ...]:
    c, r = cs.deal_classifications, cs.classification_runs
    rows = conn.execute(
        sa.select(c, r.c.created_at.label("run_at"))
        .join(r, r.c.id == c.c.run_id)
        .where(c.c.deal_id == deal_id, c.c.as_of <= day)
        .order_by(c.c.as_of, r.c.created_at)
    ).all()
    return tuple(
        HistoryEntry(
            f"classificationRuns/{row.run_id}",
            row.as_of,
            Category(row.category),
            row.days_past_due,
            row.reason,
            row.run_at,
        )
        for row in rows
    )


def _classification_row(run_id: uuid.UUID, deal_id: str, c: Classification, at: dt.datetime) -> dict[str, object]:
    return {
        "run_id": run_id,
        "deal_id": deal_id,
        "as_of": c.as_of,
        "category": c.category.value,
        "days_past_due": c.days_past_due,
        "by_days": c.by_days.value,
        "by_cure": c.by_cure.value,
        "floor": c.floor.value,
        "impaired": c.impaired,
        "written_off": c.written_off,
        "reason": c.reason[:200],
        "created_at": at,
    }


def _run_of(conn: sa.Connection, run: Any) -> Run:
    c = cs.deal_classifications
    rows = conn.execute(sa.select(c).where(c.c.run_id == run.id).order_by(c.c.deal_id)).all()
    found = tuple(
        (
            row.deal_id,
            Classification(
                row.as_of,
                Category(row.category),
                row.days_past_due,
                Category(row.by_days),
                Category(row.by_cure),
                Category(row.floor),
                row.impaired,
                row.written_off,
            ),
        )
        for row in rows
    )
    return Run(
        f"classificationRuns/{run.id}",
        run.branch,
        run.as_of,
        run.request_id,
        found,
        run.principal,
        run.role,
        run.created_at,
    )


def _override_of(row: Any) -> Override:
    return Override(
        name=f"deals/{row.deal_id}/overrides/{row.number}",
        deal=f"deals/{row.deal_id}",
        category=Category(row.category),
        reason=row.reason,
        effective_from=row.effective_from,
        status=row.status,
        request_id=row.request_id,
        requested_by=row.requested_by,
        requested_role=row.requested_role,
        requested_at=row.requested_at,
        decided_by=row.decided_by or "",
        decided_role=row.decided_role or "",
        decided_at=row.decided_at,
        decision_note=row.decision_note or "",
    )


#: The branch's expense the allowance's changes post to (信用减值损失); the deal's allowance account is
#: deals.accounting.ALLOWANCE (贷款损失准备, a contra-asset: its balance is negative on the asset side).
IMPAIRMENT_EXPENSE = "credit-impairment-loss"


def _branch_run(session: LedgerSession, table: sa.Table, branch: str, request_id: str, print_: str) -> Any:
    """The run a branch already recorded under `request_id` (a replay), or None for a new run of an existing
    branch; the same id with another payload is REQUEST_ID_REUSED, an unknown branch NOT_FOUND."""
    previous = session.connection.execute(
        sa.select(table).where(table.c.branch == branch, table.c.request_id == request_id)
    ).first()
    if previous is not None:
        if previous.fingerprint != print_:
            raise request_id_reused(request_id)
        return previous
    if not session.existing_parties([branch]):
        raise NotFound(f"parties/{branch}", "party")
    return None


def _measured_cover(conn: sa.Connection, deal_id: str, day: dt.date) -> int | None:
    """What others still bear of the deal's loss as of `day`: what its default measured (the pool's
    compensation, paid, owed or pending, and the insurer's share, claimed or approved), less a pool claim
    or an insurance claim rejected by then and the shares recoveries returned to them by then; None if it
    had not defaulted by `day`."""
    e = ds.deal_events
    rows = conn.execute(
        sa.select(e.c.kind, e.c.details_json)
        .where(
            e.c.deal_id == deal_id,
            e.c.kind.in_(["defaulted", "claim_rejected", "recovered"]),
            e.c.value_date <= day,  # a rejection is dated as the default
        )
        .order_by(e.c.seq)
    ).all()
    cover: int | None = None
    pending = 0
    for kind, details_json in rows:
        details = json.loads(details_json)
        if kind == "defaulted" and cover is None:
            keys = ("compensation_paid", "compensation_claim", "compensation_pending", "insurer_share")
            cover = sum(int(details.get(k, 0)) for k in keys)
            pending = int(details.get("compensation_pending", 0))
        elif cover is not None and kind == "claim_rejected":
            cover -= pending
        elif cover is not None and kind == "recovered":
            cover -= int(details.get("pool_share", 0)) + int(details.get("insurer_share", 0))
    insured = insurance_row(conn, deal_id)
    if cover is not None and insured is not None:
        rejected = insured.status == InsuranceStatus.REJECTED.value
        if rejected and insured.decision_date is not None and insured.decision_date <= day:
            cover -= insured.amount
    return max(cover, 0) if cover is not None else None


#: Deals' allowance postings per impairment transaction: with the netted expense posting, the ledger's
#: limit of postings per transaction (ledger.validation.MAX_POSTINGS).
ALLOWANCE_POSTINGS_PER_TRANSACTION = MAX_POSTINGS - 1


def _post_allowance(
    session: LedgerSession,
    branch: str,
    run_id: uuid.UUID,
    request_id: str,
    day: dt.date,
    lines: Sequence[ImpairmentLine],
) -> list[uuid.UUID]:
    """The run's transactions in the branch's book: each deal's allowance moves to its ECL, the net change
    to 信用减值损失. One transaction per 255 changed deals (in deal order), each netting its own part, so a
    branch of any size fits the ledger's postings per transaction; the first keeps the request id
    `impairment-{run}`, later ones `impairment-{run}-2`, `-3`, ... Nothing is posted when no allowance
    changes."""
    changed = [line for line in lines if line.change]
    if not changed:
        return []
    expense = names.account_name(branch, IMPAIRMENT_EXPENSE)
    plans = [(branch, IMPAIRMENT_EXPENSE, AccountType.EXPENSE, CNY, False, "Credit impairment loss 信用减值损失")]
    plans += [
        (branch, f"{ALLOWANCE}.{line.deal_id}", AccountType.ASSET, CNY, False, f"Loan loss allowance {line.deal_id}")
        for line in changed
    ]
    session.open_accounts(plans)
    meta = {"toudai.step": "impairment", "toudai.run": f"impairmentRuns/{run_id}", "toudai.request_id": request_id}
    specs = []
    for part, start in enumerate(range(0, len(changed), ALLOWANCE_POSTINGS_PER_TRANSACTION)):
        chunk = changed[start : start + ALLOWANCE_POSTINGS_PER_TRANSACTION]
        postings = [
            PostingSpec(
                names.account_name(branch, f"{ALLOWANCE}.{line.deal_id}"),
                Side.CREDIT if line.change > 0 else Side.DEBIT,
                CNY,
                format_minor(abs(line.change), 2),
            )
            for line in chunk
        ]
        net = sum(line.change for line in chunk)
        if net:
            postings.append(
                PostingSpec(expense, Side.DEBIT if net > 0 else Side.CREDIT, CNY, format_minor(abs(net), 2))
            )
        specs.append(
            TransactionSpec(
                _allowance_request_id(run_id, part),
                day,
                f"Impairment run as of {day.isoformat()}",
                meta,
                tuple(postings),
            )
        )
    return [t.id for t in session.post(specs).transactions]


def _allowance_request_id(run_id: uuid.UUID, part: int) -> str:
    return f"impairment-{run_id}" if part == 0 else f"impairment-{run_id}-{part + 1}"


def _allowance_transactions(
    session: LedgerSession, run_id: uuid.UUID, first: uuid.UUID | None, lines: Sequence[ImpairmentLine]
) -> tuple[str, ...]:
    """Every transaction a recorded run posted, in order: one per 255 of its changed lines, found by
    their request ids (_post_allowance)."""
    if first is None:
        return ()
    changed = sum(1 for line in lines if line.change)
    parts = -(-changed // ALLOWANCE_POSTINGS_PER_TRANSACTION)
    later = [_allowance_request_id(run_id, part) for part in range(1, parts)]
    found = session.posted_requests(later) if later else {}
    return (f"transactions/{first}", *(f"transactions/{found[r][0]}" for r in later if r in found))


def _line_row(run_id: uuid.UUID, line: ImpairmentLine) -> dict[str, object]:
    i = line.inputs
    return {
        "run_id": run_id,
        "deal_id": line.deal_id,
        "category": line.category.value if line.category else "",
        "days_past_due": line.days_past_due,
        "stage": int(i.stage),
        "tier": i.tier,
        "pd": format(i.pd, "f"),
        "lgd": format(i.lgd, "f"),
        "ead": i.ead,
        "cover": i.cover,
        "cover_measured": i.cover_measured,
        "ecl": i.ecl,
        "previous": line.previous,
        "assessment": line.assessment or None,
    }


def _impairment_of(session: LedgerSession, run: Any) -> ImpairmentRun:
    conn = session.connection
    rows = conn.execute(
        sa.select(cs.impairment_lines)
        .where(cs.impairment_lines.c.run_id == run.id)
        .order_by(cs.impairment_lines.c.deal_id)
    ).all()
    lines = tuple(
        ImpairmentLine(
            row.deal_id,
            Category(row.category) if row.category else None,
            row.days_past_due,
            Inputs(
                EclStage(row.stage), row.tier, Decimal(row.pd), Decimal(row.lgd), row.ead, row.cover, row.cover_measured
            ),
            row.previous,
            row.assessment or "",
        )
        for row in rows
    )
    return ImpairmentRun(
        f"impairmentRuns/{run.id}",
        run.branch,
        run.as_of,
        run.parameters,
        run.request_id,
        lines,
        run.allowance,
        run.change,
        f"transactions/{run.transaction_id}" if run.transaction_id else "",
        run.principal,
        run.role,
        run.created_at,
        _allowance_transactions(session, run.id, run.transaction_id, lines),
    )
