"""The context one deal step works in (a disbursement, an accrual, a repayment, a default, ...): the deal's
row, terms and accrual state, the ledger session it posts through, and what it has posted so far."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from deals import accounting
from deals import schema as ds
from deals.accrual import AccrualState, accrue
from deals.calendar import covered_years
from deals.credit.arrears import ArrearsBook, Payment, dues_of
from deals.credit.classification import DEFAULT_POLICY, Policy
from deals.credit.events import payments_of, steps_of
from deals.model import DealStatus, deal_accounts, deal_meta, ledger_request
from deals.records import next_seq
from deals.schedule import provisional_payments
from deals.terms import DealTerms
from ledger import names
from ledger.errors import FailedPrecondition, PreconditionViolation
from ledger.session import LedgerSession

#: The deal row's columns that store its accrual state: named as `AccrualState`'s fields, one each.
ACCRUAL_COLUMNS = tuple(f.name for f in fields(AccrualState))


def accrual_state_of(row: Any) -> AccrualState:
    """The accrual state a disbursed deal's row stores: read here for the per-deal step and the branch
    accrual alike, so both start from the same figures."""
    return AccrualState(**{column: getattr(row, column) for column in ACCRUAL_COLUMNS})


def accrual_columns(state: AccrualState) -> dict[str, Any]:
    """The deal row's columns that store `state` (`accrual_state_of` reads them back): one mapping for the
    per-deal step's update and the branch accrual's, so neither can forget a column."""
    return {column: getattr(state, column) for column in ACCRUAL_COLUMNS}


def event_details(amounts: Mapping[str, int], transactions: Sequence[Any], note: str = "") -> dict[str, str]:
    """What a step's event records: its amounts as text, the transactions it posted (comma-separated ids)
    and its note if any. A replay answers from these, so the per-deal step and the branch accrual write
    them the same way."""
    details = {k: str(v) for k, v in amounts.items()}
    details["transactions"] = ",".join(str(t) for t in transactions)
    if note:
        details["note"] = note
    return details


@dataclass(frozen=True, slots=True)
class StepPlan:
    """A step checked and ready to run in a unit of work: what it is, on which deal, and what it does to
    the deal's `StepContext`. `fingerprint` is the request's payload, for replays."""

    request_id: str
    deal_id: str
    kind: str
    value_date: dt.date | None
    apply: Callable[[StepContext], None]
    fingerprint: str
    note: str = ""


class StepContext:
    """The context one deal step works in: its connection, terms, state and what it posted."""

    def __init__(
        self,
        session: LedgerSession,
        row: Any,
        terms: DealTerms,
        value_date: dt.date | None,
        request_id: str = "",
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.policy = policy
        self.non_accrual_since: dt.date | None = row.non_accrual_since
        self.request_id = request_id
        self.session = session
        self.conn = session.connection
        self.row = row
        self.deal_id: str = row.id
        self.terms = terms
        self.accounts = deal_accounts(row.id, terms)
        self.value_date = value_date
        self.day: dt.date | None = None
        self.status = DealStatus(row.status)
        self.state: AccrualState | None = accrual_state_of(row) if row.accrued_to is not None else None
        self.defaulted = False
        self.amounts: dict[str, int] = {}
        self.posted: list[Any] = []
        self.seq = next_seq(self.conn, row.id)
        self._count = 0

    def require(self, *allowed: DealStatus, verb: str) -> None:
        if self.status not in allowed:
            expected = " or ".join(s.value for s in allowed)
            raise FailedPrecondition(
                f"deals/{self.deal_id} is {self.status.value}; it can only be {verb} when {expected}",
                [PreconditionViolation("DEAL_STATE", f"deals/{self.deal_id}", f"status is {self.status.value}")],
                reason="ILLEGAL_DEAL_TRANSITION",
                metadata={"status": self.status.value},
            )

    def not_before_last_event(self, day: dt.date, verb: str) -> None:
        """Late events are refused: a step dated before the deal's latest dated step (an accrual, a
        repayment, a default, ...) would change figures already booked as of later dates (interest accrued
        and paid twice, a loss measured on interest not yet due). docs/deals.md, "Dates"."""
        last = self.conn.execute(
            sa.select(sa.func.max(ds.deal_events.c.value_date)).where(
                ds.deal_events.c.deal_id == self.deal_id, ds.deal_events.c.kind != "booked"
            )
        ).scalar()
        accrued_to = self.state.accrued_to if self.state is not None else None
        if accrued_to is not None and day < accrued_to and (last is None or accrued_to > last):
            through = accrued_to - dt.timedelta(days=1)
            raise FailedPrecondition(
                f"deals/{self.deal_id} has interest accrued through {through.isoformat()}; it cannot be {verb} as "
                f"of {day.isoformat()}, which would change interest already accrued: record it with a value date "
                f"on or after {accrued_to.isoformat()}",
                [
                    PreconditionViolation(
                        "LATE_EVENT", f"deals/{self.deal_id}", f"accrued through {through.isoformat()}"
                    )
                ],
                reason="LATE_EVENT",
                metadata={"last_value_date": through.isoformat()},
            )
        if last is not None and day < last:
            raise FailedPrecondition(
                f"deals/{self.deal_id} has steps booked through {last.isoformat()}; it cannot be {verb} as of "
                f"{day.isoformat()}: record it with a value date on or after {last.isoformat()}",
                [PreconditionViolation("LATE_EVENT", f"deals/{self.deal_id}", f"last step dated {last.isoformat()}")],
                reason="LATE_EVENT",
                metadata={"last_value_date": last.isoformat()},
            )

    def ledger_request(self) -> str:
        request = ledger_request(self.deal_id, self.seq, self._count)
        self._count += 1
        return request

    def meta(self) -> dict[str, str]:
        return deal_meta(self.deal_id, "", self.request_id)

    def post(self, spec: Any) -> None:
        if not spec.postings:
            return
        result = self.session.post([spec])
        self.posted.append(result.transactions[0].id)

    def pool_cash(self) -> int:
        """What the deal's risk pool can pay now: its cash, never less than zero."""
        pool = self.terms.risk.pool
        found = self.session.balances([names.account_name(pool, "cash")])
        return max(next(iter(found.values())).available, 0) if found else 0

    def balances(self) -> dict[str, int]:
        a = self.accounts
        wanted = {
            key: a.deal_account(self.terms.branch, key)
            for key in ("loans", "interest-receivable", "subsidy-receivable")
        }
        found = self.session.balances(list(wanted.values()))
        return {key: found[name].balance for key, name in wanted.items()}

    def accrual(self) -> AccrualState:
        if self.state is None:  # pragma: no cover - every state that accrues has been disbursed
            raise AssertionError(f"deals/{self.deal_id} has no accrual state")
        return self.state

    def arrears(self, *extra: Payment) -> ArrearsBook:
        """The deal's dues and the borrower's recorded payments (and `extra`, one being recorded now)."""
        disbursed_on = steps_of(self.conn, self.deal_id).get("disbursed")
        if disbursed_on is None:  # pragma: no cover - every state that accrues has been disbursed
            raise AssertionError(f"deals/{self.deal_id} has not been disbursed")
        payments = [*payments_of(self.conn, self.deal_id), *extra]
        return ArrearsBook(dues_of(self.terms, disbursed_on, payments), payments)

    def accrue_to(self, to: dt.date) -> None:
        """Accrue interest for the days before `to` (nothing if already there) and post it on the last of
        them, `to` - 1: an accrual through D accrues to D + 1 and posts on D; a repayment on D accrues
        through D - 1 and posts that on D - 1. Interest is income of the days it covers, so the figures as
        of every date are the same whichever step accrued them (docs/deals.md "Dates").

        The days on which the loan is more than `policy.non_accrual_days` past due are not income: the
        first of them moves the unpaid interest off balance sheet, and from it on the borrower's interest
        accrues in the memo pair (docs/credit.md, "Non-accrual")."""
        self.state = self.accrual()
        self.amounts.setdefault("accrued", 0)
        self.amounts.setdefault("accrued_subsidy", 0)
        if to <= self.state.accrued_to:
            return
        self.calendar_covers(to)
        if self.non_accrual_since is None:
            start = self.arrears().non_accrual_from(self.state.accrued_to, to, self.policy.non_accrual_days)
            if start is None:
                self._accrue_on_balance(to)
                return
            self._accrue_on_balance(start)
            self.enter_non_accrual(start)
        self._accrue_off_balance(to)

    def _accrue_on_balance(self, to: dt.date) -> None:
        state = self.accrual()
        if to <= state.accrued_to:
            return
        principal = self.balances()["loans"]
        self.state, accrued = accrue(state, to, principal, self.terms.loan, self.terms.subsidy)
        day = to - dt.timedelta(days=1)
        if accrued.interest:
            self.post(
                accounting.accrue(
                    self.accounts, self.ledger_request(), day, accrued.borrower, accrued.subsidy, self.meta()
                )
            )
        self.amounts["accrued"] += accrued.interest
        self.amounts["accrued_subsidy"] += accrued.subsidy

    def _accrue_off_balance(self, to: dt.date) -> None:
        """Non-accrual: the borrower's share of the interest goes to the memo pair; the subsidy share of these
        days is not owed (贴息 is not paid on overdue loans: docs/credit.md, "Non-accrual")."""
        state = self.accrual()
        if to <= state.accrued_to:
            return
        principal = self.balances()["loans"]
        self.state, accrued = accrue(state, to, principal, self.terms.loan, self.terms.subsidy)
        if accrued.borrower:
            day = to - dt.timedelta(days=1)
            self.post(
                accounting.accrue_off_balance(self.accounts, self.ledger_request(), day, accrued.borrower, self.meta())
            )
        self.amounts["accrued_off_balance"] = self.amounts.get("accrued_off_balance", 0) + accrued.borrower
        self.amounts["subsidy_forgone"] = self.amounts.get("subsidy_forgone", 0) + accrued.subsidy

    def open_off_balance(self) -> None:
        plans = self.accounts.off_balance_plan()
        self.session.open_accounts([(p.party, p.code, p.type, p.commodity, p.guarded, p.display_name) for p in plans])

    def open_cover_accounts(self) -> None:
        """Deals booked before the cover accounts existed get them when a default or an approval needs them."""
        plans = self.accounts.cover_plan()
        self.session.open_accounts([(p.party, p.code, p.type, p.commodity, p.guarded, p.display_name) for p in plans])

    def enter_non_accrual(self, day: dt.date) -> None:
        """From `day` the loan is on non-accrual: its unpaid interest leaves the books for the memo pair, and
        the subsidy receivable (accrued since the borrower's last payment) is reversed, as at default."""
        self.open_off_balance()
        balances = self.balances()
        interest, subsidy = balances["interest-receivable"], balances["subsidy-receivable"]
        if subsidy:
            self.post(accounting.reverse_subsidy(self.accounts, self.ledger_request(), day, subsidy, self.meta()))
        if interest:
            self.post(accounting.enter_non_accrual(self.accounts, self.ledger_request(), day, interest, self.meta()))
        self.non_accrual_since = day
        self.amounts["non_accrual_interest"] = interest
        self.amounts["non_accrual_subsidy_reversed"] = subsidy

    def off_balance_interest(self) -> int:
        """What the memo pair holds for the deal: interest owed but not recognised (0 without the pair)."""
        name = self.accounts.deal_account(self.terms.branch, accounting.OFF_BALANCE_INTEREST)
        found = self.session.balances([name])
        return found[name].balance if name in found else 0

    def not_before_accrued(self, through: dt.date) -> None:
        """An accrual through a day before the last day accrued would have posted part of the interest
        on that day had it come in order: refused, like any late step."""
        accrued_to = self.accrual().accrued_to
        last = accrued_to - dt.timedelta(days=1)
        if through < last:
            raise FailedPrecondition(
                f"deals/{self.deal_id} has interest accrued through {last.isoformat()}; it cannot be accrued "
                f"through {through.isoformat()}: accrue through {last.isoformat()} or later",
                [PreconditionViolation("LATE_EVENT", f"deals/{self.deal_id}", f"accrued through {last.isoformat()}")],
                reason="LATE_EVENT",
                metadata={"last_value_date": last.isoformat()},
            )

    def calendar_covers(self, to: dt.date) -> None:
        """Interest before `to` may depend on a payment date the holiday calendar cannot fix yet (its year
        is not published or not installed): refuse rather than guess (deals.calendar)."""
        calendar_covers(self.deal_id, self.terms, to)


def calendar_covers(deal_id: str, terms: DealTerms, to: dt.date) -> None:
    """`StepContext.calendar_covers` for a deal's terms (the branch accrual checks every deal with it)."""
    loan = terms.loan
    for end, pay_on in provisional_payments(loan):
        if min(end, pay_on) < to:
            first, last = covered_years()
            raise FailedPrecondition(
                f"deals/{deal_id}: the payment date of the period ending {end.isoformat()} is not known yet: "
                f"this server's mainland China holiday calendar covers {first} to {last}, and interest "
                f"through {(to - dt.timedelta(days=1)).isoformat()} depends on it. Upgrade the "
                "chinese-calendar package once that year's holidays are published, or book the deal "
                "with its own calendar",
                [PreconditionViolation("CALENDAR_NOT_COVERED", f"deals/{deal_id}", f"payment date in {end.year}")],
                reason="CALENDAR_NOT_COVERED",
                metadata={"period_end": end.isoformat(), "calendar_last_year": str(last)},
            )
