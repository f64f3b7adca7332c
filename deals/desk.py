"""The deal desk: books linked deals and runs their loans on the ledger, one unit of work per step.

Each step locks the deal's row (so concurrent calls on one deal serialise), locks every book the deal
posts to in party-id order (so steps on different deals sharing a branch or pool cannot deadlock),
checks the state machine, posts its journal entries through the ledger in the same database
transaction, and appends an event. A retried request_id returns the recorded outcome and posts nothing.

State machine:  booked → disbursed → repaying → closed
                            └──────────┴──→ defaulted → written_off
                                  (a recovery on a defaulted or written-off deal keeps its status)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import accounting, branch_accrual, codec, insurance, recovery, uscc
from deals import schema as ds
from deals.accrual import AccrualState, start_segment
from deals.agreements.reach import reach_for_caller, reach_legacy_deal
from deals.booking import insert_bookings, prepare_booking
from deals.branch_accrual import BranchAccrual
from deals.claims import Claim, ClaimStatus, claim_of, claim_row, decidable, decide, file_claim
from deals.credit.arrears import Payment
from deals.credit.classification import DEFAULT_POLICY, Policy
from deals.insurance import InsuranceClaim, InsuranceStatus, file_insurance, insurance_claim_of, insurance_row
from deals.model import (
    BOOK_MANY_LIMIT,
    CLAIM_APPROVED_EVENT,
    DEFAULTED_EVENT,
    INSURANCE_APPROVED_EVENT,
    INSURANCE_REJECTED_EVENT,
    INSURANCE_SETTLED_EVENT,
    Booking,
    Deal,
    DealStatus,
    StepResult,
    deal_accounts,
    deal_meta,
    ledger_request,
    yuan,
)
from deals.names import deal_id_in, party_filters
from deals.queries import decoded_terms
from deals.records import append_event, load_deal, locked_row, next_seq
from deals.schedule import Period, build_schedule, round_fen
from deals.steps import StepContext, StepPlan
from deals.terms import DealTerms
from ledger import names, pagination
from ledger.canonical import fingerprint
from ledger.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import Page
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import check_request_id, check_value_date


@dataclass(frozen=True, slots=True)
class StepCall:
    """One step for `DealDesk.steps_many`: kind "disbursed" (value_date None: the loan's start), "repaid"
    (amount in fen on value_date) or "accrued" (through value_date)."""

    kind: str
    request_id: str
    name: str
    value_date: dt.date | None
    amount: int = 0


class DealDesk:
    """Linked deals on a `Ledger` (same database)."""

    def __init__(self, ledger: Ledger, policy: Policy = DEFAULT_POLICY) -> None:
        self._ledger = ledger
        self.policy = policy  # the credit policy: its non-accrual threshold decides what accrual posts

    # ------------------------------------------------------------------ booking

    def book(
        self, *, request_id: str, deal_id: str, terms: DealTerms, violations: Iterable[FieldViolation] = ()
    ) -> Deal:
        """Validate every term at once, open the deal's accounts and record the option units.

        `violations` are problems the caller already found (e.g. unreadable fields of a request); they are
        reported together with the rest, so a booking is refused once with everything that is wrong.
        """
        errors = ViolationCollector(list(violations))
        booking = prepare_booking(Booking(request_id, deal_id, terms), "", errors)
        errors.raise_if_any()

        def work(session: LedgerSession) -> Deal:
            reach_for_caller(session)
            conn = session.connection
            row = conn.execute(
                sa.select(ds.deals).where(ds.deals.c.request_id == request_id, ds.deals.c.branch == terms.branch)
            ).first()
            if row is not None:
                if row.fingerprint != booking.fingerprint:
                    raise request_id_reused(request_id)
                return load_deal(session, row)
            insert_bookings(session, [booking], lambda _: "")
            return load_deal(session, locked_row(conn, deal_id))

        return self._ledger.write(work, what="BookLinkedDeal")

    def book_many(self, bookings: Sequence[Booking]) -> tuple[str, ...]:
        """Book up to `BOOK_MANY_LIMIT` deals in one unit of work, all or nothing; returns their names.

        For loading a portfolio (a migration, a benchmark's book of 10,000 deals): each deal gets exactly
        what `book` gives it (the same validation, accounts, option-grant transaction, request ids and
        event), but the accounts are opened, the grants posted and the rows inserted for the whole batch
        at once, instead of a unit of work per deal (docs/performance.md has the figures). Bookings whose request_id
        is already recorded with the same terms are replays and are skipped; with other terms the batch
        is refused (ALREADY_EXISTS). Fields are reported as `bookings[i].terms...`.
        """
        errors = ViolationCollector()
        if not bookings or len(bookings) > BOOK_MANY_LIMIT:
            errors.add("bookings", f"must hold 1 to {BOOK_MANY_LIMIT} bookings, got {len(bookings)}")
        errors.raise_if_any()
        prepared = [prepare_booking(b, f"bookings[{i}].", errors) for i, b in enumerate(bookings)]
        keys = (("request_id", [b.request_id for b in bookings]), ("deal_id", [b.deal_id for b in bookings]))
        for what, values in keys:
            first: dict[str, int] = {}
            for i, value in enumerate(values):
                if value in first:
                    errors.add(f"bookings[{i}].{what}", f"repeats bookings[{first[value]}].{what}", "DUPLICATE")
                first.setdefault(value, i)
        errors.raise_if_any()
        index = {b.request_id: i for i, b in enumerate(bookings)}

        def work(session: LedgerSession) -> tuple[str, ...]:
            reach_for_caller(session)
            conn = session.connection
            branch_of = {p.request_id: p.terms.branch for p in prepared}
            recorded = {
                r.request_id: r.fingerprint
                for start in range(0, len(prepared), 500)
                for r in conn.execute(
                    sa.select(ds.deals.c.request_id, ds.deals.c.fingerprint, ds.deals.c.branch).where(
                        ds.deals.c.request_id.in_([p.request_id for p in prepared[start : start + 500]])
                    )
                )
                if branch_of.get(r.request_id) == r.branch
            }
            for request_id, print_ in recorded.items():
                if prepared[index[request_id]].fingerprint != print_:
                    raise request_id_reused(request_id)
            fresh = [p for p in prepared if p.request_id not in recorded]
            if fresh:
                insert_bookings(session, fresh, lambda p: f"bookings[{index[p.request_id]}].")
            return tuple(f"deals/{p.deal_id}" for p in prepared)

        return self._ledger.write(work, what="BookLinkedDeals")

    def steps_many(self, calls: Sequence[StepCall]) -> int:
        """Run up to `BOOK_MANY_LIMIT` disbursements, repayments and accruals in one unit of work, all or
        nothing, in the order given; returns how many ran (replays included).

        For loading a portfolio's history (a migration, the month-end benchmark's 100,000 deals): each step
        is exactly the step its own RPC runs (the same checks, postings, events and request ids), only the
        commit is shared, as `book_many` does for bookings. A refused step refuses the whole batch.
        """
        if not calls or len(calls) > BOOK_MANY_LIMIT:
            raise InvalidArgument.one("calls", f"must hold 1 to {BOOK_MANY_LIMIT} steps, got {len(calls)}")
        plans = []
        for call in calls:
            if call.kind == "disbursed":
                plans.append(self._disburse_plan(call.request_id, call.name, call.value_date))
            elif call.kind == "repaid" and call.value_date is not None:
                plans.append(self._repay_plan(call.request_id, call.name, call.amount, call.value_date))
            elif call.kind == "accrued" and call.value_date is not None:
                plans.append(self._accrue_plan(call.request_id, call.name, call.value_date))
            else:
                raise InvalidArgument.one("kind", f"{call.kind!r} with {call.value_date}: not a step steps_many runs")

        def work(session: LedgerSession) -> int:
            for plan in plans:
                self._run(session, plan)
            return len(plans)

        return self._ledger.write(work, what="deal steps")

    # ------------------------------------------------------------------ reading

    def get(self, name: str) -> Deal:
        deal_id = deal_id_in(name, "name")

        def work(session: LedgerSession) -> Deal:

            conn = session.connection
            row = conn.execute(sa.select(ds.deals).where(ds.deals.c.id == deal_id)).first()
            if row is None:
                raise NotFound(name, "deal")
            return load_deal(session, row)

        return self._ledger.read(work)

    def list_deals(
        self,
        *,
        branch: str = "",
        status: DealStatus | None = None,
        borrower_uscc: str = "",
        holder: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Deal]:
        size = pagination.page_size(page_size)
        errors = ViolationCollector()
        parties = party_filters(errors, branch=branch, holder=holder)
        if borrower_uscc:  # a malformed code matches nothing; say so (and keep e.g. NUL out of the query)
            try:
                uscc.validate(borrower_uscc)
            except uscc.InvalidUSCC as exc:
                errors.add("borrower_uscc", f"is not a valid unified social credit code: {exc}", "INVALID_USCC")
        errors.raise_if_any()
        filters = {
            "list": "deals",
            "branch": branch,
            "status": status.value if status else "",
            "borrower": borrower_uscc,
            "holder": holder,
        }
        after = pagination.decode(page_token, filters, (pagination.text,))
        query = sa.select(ds.deals).order_by(ds.deals.c.id).limit(size + 1)
        if "branch" in parties:
            query = query.where(ds.deals.c.branch == parties["branch"])
        if "holder" in parties:
            query = query.where(ds.deals.c.holder == parties["holder"])
        if status is not None:
            query = query.where(ds.deals.c.status == status.value)
        if borrower_uscc:
            query = query.where(ds.deals.c.borrower_uscc == borrower_uscc)
        if after:
            query = query.where(ds.deals.c.id > after[0])

        def work(session: LedgerSession) -> list[Deal]:

            conn = session.connection
            return [load_deal(session, row) for row in conn.execute(query).all()]

        found = self._ledger.read(work)
        items = found[:size]
        token = pagination.encode(filters, [items[-1].id]) if len(found) > size else ""
        return Page(tuple(items), token)

    def schedule(self, name: str) -> list[Period]:
        deal = self.get(name)
        return build_schedule(deal.terms.loan, deal.terms.subsidy)

    # ------------------------------------------------------------------ steps

    def disburse(self, *, request_id: str, name: str, value_date: dt.date | None) -> StepResult:
        return self._execute(self._disburse_plan(request_id, name, value_date))

    def _disburse_plan(self, request_id: str, name: str, value_date: dt.date | None) -> StepPlan:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.BOOKED, verb="disbursed")
            day = ctx.value_date or ctx.terms.loan.start
            ctx.post(accounting.disburse(ctx.accounts, ctx.ledger_request(), day, ctx.terms.loan.principal, ctx.meta()))
            ctx.state = AccrualState(accrued_to=day, segment_start=day)
            ctx.status = DealStatus.DISBURSED
            ctx.day = day
            ctx.amounts["principal"] = ctx.terms.loan.principal

        # The value date as requested (empty: the start date) is part of the payload, so a retry with
        # another date is a different request, not a replay.
        payload = {"date": value_date.isoformat() if value_date else ""}
        return self._plan(request_id, name, "disbursed", value_date, step, payload=payload)

    def accrue_interest(
        self, *, request_id: str, name: str, through: dt.date, payload: Mapping[str, str] | None = None
    ) -> StepResult:
        """Accrue interest through a date: that day's interest included, posted on it, so accruing through
        a month's last day puts the month's interest in the month (月末计提; docs/deals.md "Dates").
        `payload` is what the request said (a legacy exclusive `to` date keeps its own fingerprint)."""
        return self._execute(self._accrue_plan(request_id, name, through, payload))

    def _accrue_plan(
        self, request_id: str, name: str, through: dt.date, payload: Mapping[str, str] | None = None
    ) -> StepPlan:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="accrued")
            ctx.not_before_accrued(through)
            ctx.accrue_to(through + dt.timedelta(days=1))

        sent = payload or {"through": through.isoformat()}
        return self._plan(request_id, name, "accrued", through, step, payload=sent)

    def accrue_branch(self, *, request_id: str, branch: str, through: dt.date) -> BranchAccrual:
        """Accrue every open loan of a branch through a date, in one unit of work (deals.branch_accrual):
        each loan gets exactly what `accrue_interest` with request id `{request_id}#{deal}` would post.
        The same request id again replays the first call's figures and posts nothing."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        branch_id = ""
        try:
            branch_id = names.parse_party_name(branch)
        except names.BadName as exc:
            errors.add("parent", str(exc))
        check_value_date(through, "through_date", errors, self._ledger.today())
        errors.raise_if_any()

        def work(session: LedgerSession) -> BranchAccrual:
            reach_for_caller(session)
            if not session.existing_parties([branch_id]):
                raise NotFound(branch, "party")
            return branch_accrual.accrue_branch(
                session,
                request_id=request_id,
                branch=branch_id,
                through=through,
                policy=self.policy,
            )

        return self._ledger.write(work, what="AccrueBranchInterest")

    def repay(self, *, request_id: str, name: str, amount: int, value_date: dt.date) -> StepResult:
        """Allocate a payment to overdue interest, then current interest, then principal (prepayment); on a
        non-accrual loan to interest on the books, interest off balance sheet, then principal."""
        return self._execute(self._repay_plan(request_id, name, amount, value_date))

    def _repay_plan(self, request_id: str, name: str, amount: int, value_date: dt.date) -> StepPlan:
        if amount <= 0:
            raise InvalidArgument.one("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")

        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="repaid")
            ctx.not_before_last_event(value_date, "repaid")
            ctx.accrue_to(value_date)
            if ctx.non_accrual_since is not None:
                _repay_non_accrual(ctx, amount, value_date)
                return
            balances = ctx.balances()
            interest_due = balances["interest-receivable"]
            principal_due = balances["loans"]
            if amount > interest_due + principal_due:
                raise InvalidArgument.one(
                    "amount",
                    f"{yuan(amount)} is more than the {yuan(interest_due + principal_due)} owed "
                    f"({yuan(interest_due)} interest, {yuan(principal_due)} principal)",
                    "OVERPAYMENT",
                )
            state = ctx.accrual()
            current_due = min(interest_due, state.period_borrower_interest)
            overdue_due = interest_due - current_due
            overdue = min(amount, overdue_due)
            current = min(amount - overdue, current_due)
            principal = amount - overdue - current
            subsidy = balances["subsidy-receivable"]
            ctx.post(
                accounting.repay(
                    ctx.accounts, ctx.ledger_request(), value_date, overdue + current, principal, subsidy, ctx.meta()
                )
            )
            if principal:
                ctx.state = start_segment(state, value_date)
            ctx.status = DealStatus.REPAYING
            ctx.amounts.update(overdue_interest=overdue, interest=current, principal=principal, subsidy=subsidy)

        return self._plan(
            request_id, name, "repaid", value_date, step, payload={"amount": amount, "date": value_date.isoformat()}
        )

    def record_default(self, *, request_id: str, name: str, value_date: dt.date, reason: str) -> StepResult:
        """Measure the loss; the insurer owes its share, and the pool compensates within its agreement's
        auto-approval limit (paid from its cash as far as it goes, the rest owed) or files a pending claim
        for the pool to decide (deals.claims)."""

        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="defaulted")
            ctx.not_before_last_event(value_date, "defaulted")
            ctx.accrue_to(value_date)
            balances = ctx.balances()
            risk = ctx.terms.risk
            loss = balances["loans"] + balances["interest-receivable"]
            compensation = risk.compensation(loss)
            automatic = risk.auto_approval_limit is None or compensation <= risk.auto_approval_limit
            paid = min(compensation, ctx.pool_cash()) if automatic else 0
            owed = compensation - paid if automatic else 0
            insurer = round_fen(Decimal(loss) * risk.insurer_rate) if risk.insurer else 0
            # The insurer's share is claimed, not posted: it lands in the insurer's book when its staff
            # approve the claim (deals.insurance).
            amounts = accounting.DefaultAmounts(
                principal=balances["loans"],
                interest=balances["interest-receivable"],
                pool_paid=paid,
                pool_claim=owed,
                insurer=0,
            )
            _open_cover_accounts(ctx)
            # 贴息 is paid only with the borrower's own repayments: what accrued since the last one is never due.
            reversed_subsidy = balances["subsidy-receivable"]
            if reversed_subsidy:
                ctx.post(
                    accounting.reverse_subsidy(
                        ctx.accounts, ctx.ledger_request(), value_date, reversed_subsidy, ctx.meta()
                    )
                )
            posted_before = len(ctx.posted)
            ctx.post(accounting.default(ctx.accounts, ctx.ledger_request(), value_date, amounts, ctx.meta()))
            ctx.status = DealStatus.DEFAULTED
            ctx.defaulted = True
            ctx.amounts.update(
                loss=loss,
                compensation_paid=paid,
                compensation_claim=owed,
                insurer_share=insurer,
                compensation_pending=0 if automatic else compensation,
                subsidy_reversed=reversed_subsidy,
                off_balance_interest=ctx.off_balance_interest(),
            )
            agreements = ctx.terms.agreements
            file_claim(
                ctx.conn,
                deal_id=ctx.deal_id,
                pool=risk.pool,
                branch=ctx.terms.branch,
                status=ClaimStatus.AUTO_APPROVED if automatic else ClaimStatus.PENDING,
                loss=loss,
                amount=compensation,
                paid=paid,
                owed=owed,
                value_date=value_date,
                agreement=(
                    f"agreements/{agreements.risk_sharing}/versions/{agreements.risk_sharing_version}"
                    if agreements.risk_sharing
                    else ""
                ),
                request_id=request_id,
                transaction_id=ctx.posted[-1] if automatic and len(ctx.posted) > posted_before else None,
                now=ctx.session.now(),
            )
            if insurer:
                file_insurance(
                    ctx.conn,
                    deal_id=ctx.deal_id,
                    insurer=risk.insurer,
                    branch=ctx.terms.branch,
                    loss=loss,
                    rate=risk.insurer_rate,
                    amount=insurer,
                    value_date=value_date,
                    request_id=request_id,
                    now=ctx.session.now(),
                )

        return self._step(
            request_id,
            name,
            DEFAULTED_EVENT,
            value_date,
            step,
            payload={"date": value_date.isoformat(), "reason": reason},
            note=reason,
        )

    # ------------------------------------------------------------------ compensation claims

    def get_claim(self, name: str) -> Claim:
        deal_id = _claim_deal(name, "name")

        def work(session: LedgerSession) -> Claim:
            row = claim_row(session.connection, deal_id)
            if row is None:
                raise NotFound(name, "claim")
            return claim_of(row)

        return self._ledger.read(work)

    def list_claims(
        self,
        *,
        pool: str = "",
        branch: str = "",
        status: ClaimStatus | None = None,
        parties_of: str | None = None,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Claim]:
        """Claims by deal id; `parties_of` (a scoped caller's party) keeps those of its pool or branch."""
        errors = ViolationCollector()
        parties = party_filters(errors, risk_pool=pool, branch=branch)
        errors.raise_if_any()
        table = ds.compensation_claims
        where = {table.c.pool: parties.get("risk_pool"), table.c.branch: parties.get("branch")}
        filters = {"list": "claims", "pool": pool, "branch": branch}
        return self._claims_page(table, claim_of, where, filters, status, parties_of, page_size, page_token)

    def _claims_page(
        self,
        table: sa.Table,
        convert: Callable[[Any], Any],
        where: Mapping[sa.Column[Any], str | None],
        filters: dict[str, str],
        status: ClaimStatus | InsuranceStatus | None,
        parties_of: str | None,
        page_size: int,
        page_token: str,
    ) -> Page[Any]:
        """A page of a claims table by deal id: `where` maps its party columns to a filter's party (None: no
        filter); `parties_of` (a scoped caller's party) keeps the rows any of those columns names."""
        size = pagination.page_size(page_size)
        filters = {**filters, "status": status.value if status else "", "scope": parties_of or ""}
        after = pagination.decode(page_token, filters, (pagination.text,))
        query = sa.select(table).order_by(table.c.deal_id).limit(size + 1)
        for column, party in where.items():
            if party:
                query = query.where(column == party)
        if status is not None:
            query = query.where(table.c.status == status.value)
        if parties_of is not None:
            query = query.where(sa.or_(*(column == parties_of for column in where)))
        if after:
            query = query.where(table.c.deal_id > after[0])
        found = self._ledger.read(lambda session: [convert(r) for r in session.connection.execute(query)])
        items = found[:size]
        token = pagination.encode(filters, [items[-1].deal_id]) if len(found) > size else ""
        return Page(tuple(items), token)

    def approve_claim(self, *, request_id: str, name: str, value_date: dt.date | None) -> Claim:
        """The pool approves a pending claim: its compensation is posted now (cash first, the rest owed)."""
        deal_id = _claim_deal(name, "name")

        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DEFAULTED, verb="compensated")
            claim = _pending_claim(ctx, name)
            day = ctx.value_date or claim.value_date
            ctx.not_before_last_event(day, "compensated")
            balances = ctx.balances()
            paid = min(claim.amount, ctx.pool_cash())
            amounts = accounting.DefaultAmounts(
                principal=balances["loans"],
                interest=balances["interest-receivable"],
                pool_paid=paid,
                pool_claim=claim.amount - paid,
                insurer=0,
            )
            _open_cover_accounts(ctx)
            ctx.post(accounting.compensate(ctx.accounts, ctx.ledger_request(), day, amounts, ctx.meta()))
            ctx.day = day
            ctx.amounts.update(compensation_paid=paid, compensation_claim=claim.amount - paid)
            decide(
                ctx.conn,
                ctx.deal_id,
                status=ClaimStatus.APPROVED,
                request_id=request_id,
                now=ctx.session.now(),
                paid=paid,
                owed=claim.amount - paid,
                transaction_id=ctx.posted[0] if ctx.posted else None,
            )

        payload = {"date": value_date.isoformat() if value_date else ""}
        self._step(request_id, f"deals/{deal_id}", CLAIM_APPROVED_EVENT, value_date, step, payload=payload)
        return self.get_claim(name)

    def reject_claim(self, *, request_id: str, name: str, reason: str) -> Claim:
        """The pool rejects a pending claim: nothing is posted; write-off leaves the loss with the branch."""
        deal_id = _claim_deal(name, "name")
        if not reason.strip():
            raise InvalidArgument.one("reason", "is required: say why the pool rejects the claim")

        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DEFAULTED, verb="compensated")
            ctx.day = _pending_claim(ctx, name).value_date  # the decision is dated as the default
            decide(
                ctx.conn,
                ctx.deal_id,
                status=ClaimStatus.REJECTED,
                request_id=request_id,
                now=ctx.session.now(),
                reason=reason,
            )

        self._step(
            request_id, f"deals/{deal_id}", "claim_rejected", None, step, payload={"reason": reason}, note=reason
        )
        return self.get_claim(name)

    # ------------------------------------------------------------------ insurance claims (deals.insurance)

    def get_insurance_claim(self, name: str) -> InsuranceClaim:
        deal_id = _insurance_deal(name, "name")

        def work(session: LedgerSession) -> InsuranceClaim:
            row = insurance_row(session.connection, deal_id)
            if row is None:
                raise NotFound(name, "insurance claim")
            return insurance_claim_of(row)

        return self._ledger.read(work)

    def list_insurance_claims(
        self,
        *,
        insurer: str = "",
        branch: str = "",
        status: InsuranceStatus | None = None,
        parties_of: str | None = None,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[InsuranceClaim]:
        """Insurance claims by deal id; `parties_of` (a scoped caller's party) keeps its insurer's or branch's."""
        errors = ViolationCollector()
        parties = party_filters(errors, insurer=insurer, branch=branch)
        errors.raise_if_any()
        table = ds.insurance_claims
        where = {table.c.insurer: parties.get("insurer"), table.c.branch: parties.get("branch")}
        filters = {"list": "insuranceClaims", "insurer": insurer, "branch": branch}
        return self._claims_page(table, insurance_claim_of, where, filters, status, parties_of, page_size, page_token)

    def approve_insurance_claim(self, *, request_id: str, name: str, value_date: dt.date | None) -> InsuranceClaim:
        """The insurer's staff approve a pending claim: its share is posted in both books (deals.insurance)."""
        deal_id = _insurance_deal(name, "name")
        payload = {"date": value_date.isoformat() if value_date else ""}
        self._step(
            request_id,
            f"deals/{deal_id}",
            INSURANCE_APPROVED_EVENT,
            value_date,
            lambda ctx: insurance.approve_step(ctx, name, value_date),
            payload=payload,
        )
        return self.get_insurance_claim(name)

    def reject_insurance_claim(self, *, request_id: str, name: str, reason: str) -> InsuranceClaim:
        """The insurer's staff reject a pending claim, saying why: nothing is posted."""
        deal_id = _insurance_deal(name, "name")
        if not reason.strip():
            raise InvalidArgument.one("reason", "is required: say why the insurer rejects the claim")
        self._step(
            request_id,
            f"deals/{deal_id}",
            INSURANCE_REJECTED_EVENT,
            None,
            lambda ctx: insurance.reject_step(ctx, name, reason),
            payload={"reason": reason},
            note=reason,
        )
        return self.get_insurance_claim(name)

    def settle_insurance_claim(
        self, *, request_id: str, name: str, amount: int, value_date: dt.date | None
    ) -> tuple[InsuranceClaim, StepResult]:
        """The insurer pays `amount` of an approved claim (no date: the business date)."""
        deal_id = _insurance_deal(name, "name")
        if amount <= 0:
            raise InvalidArgument.one("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")
        payload = {"amount": amount, "date": value_date.isoformat() if value_date else ""}
        result = self._step(
            request_id,
            f"deals/{deal_id}",
            INSURANCE_SETTLED_EVENT,
            value_date,
            lambda ctx: insurance.settle_step(ctx, name, amount, ctx.value_date or ctx.session.today()),
            payload=payload,
        )
        return self.get_insurance_claim(name), result

    def write_off(self, *, request_id: str, name: str, value_date: dt.date) -> StepResult:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DEFAULTED, verb="written off")
            ctx.not_before_last_event(value_date, "written off")
            pending = claim_row(ctx.conn, ctx.deal_id)
            if pending is not None and pending.status == ClaimStatus.PENDING.value:
                raise FailedPrecondition(
                    f"the risk pool has not decided claims/{ctx.deal_id} yet; write off after it approves or "
                    "rejects the claim",
                    [PreconditionViolation("CLAIM_PENDING", f"claims/{ctx.deal_id}", "pending")],
                    reason="CLAIM_PENDING",
                )
            _no_pending_insurance(ctx, "write off")
            balances = ctx.balances()
            _open_cover_accounts(ctx)
            cover = _cover(ctx)
            written_off = balances["loans"] + balances["interest-receivable"]
            uncovered = written_off - cover["compensation-received"] - cover["insurance-compensation"]
            allowance = min(_allowance(ctx), max(uncovered, 0))
            ctx.post(
                accounting.write_off(
                    ctx.accounts,
                    ctx.ledger_request(),
                    value_date,
                    balances["loans"],
                    balances["interest-receivable"],
                    ctx.meta(),
                    compensation=cover["compensation-received"],
                    insurance=cover["insurance-compensation"],
                    allowance=allowance,
                )
            )
            ctx.status = DealStatus.WRITTEN_OFF
            ctx.amounts.update(
                written_off=written_off,
                principal=balances["loans"],
                interest=balances["interest-receivable"],
                compensation_applied=cover["compensation-received"],
                insurance_applied=cover["insurance-compensation"],
                allowance_applied=allowance,
                loan_loss=uncovered - allowance,
                off_balance_interest=ctx.off_balance_interest(),
            )

        return self._step(request_id, name, "written_off", value_date, step, payload={"date": value_date.isoformat()})

    def record_recovery(
        self, *, request_id: str, name: str, amount: int, costs: int = 0, value_date: dt.date | None = None
    ) -> StepResult:
        """A recovery on a defaulted or written-off loan: costs, then principal, then interest, shared with the
        pool and the insurer pro rata to what they bore (deals.recovery). No date: the business date."""
        errors = ViolationCollector()
        if amount <= 0:
            errors.add("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")
        if costs < 0:
            errors.add("costs", "must not be negative", "NEGATIVE_AMOUNT")
        elif amount > 0 and costs > amount:
            errors.add("costs", f"{yuan(costs)} is more than the {yuan(amount)} recovered", "COSTS_EXCEED_AMOUNT")
        errors.raise_if_any()

        def step(ctx: StepContext) -> None:
            recovery.apply_recovery(ctx, amount=amount, costs=costs, day=ctx.value_date or ctx.session.today())

        # The date as sent (empty: the business date) is part of the payload, as for DisburseLoan.
        payload = {"amount": amount, "costs": costs, "date": value_date.isoformat() if value_date else ""}
        return self._step(request_id, name, recovery.RECOVERED_EVENT, value_date, step, payload=payload)

    def close(self, *, request_id: str, name: str) -> StepResult:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="closed")
            balances = ctx.balances()
            balances["off-balance-interest"] = ctx.off_balance_interest()
            keys = ("loans", "interest-receivable", "subsidy-receivable", "off-balance-interest")
            owed = {k: v for k, v in balances.items() if k in keys and v}
            if owed:
                raise FailedPrecondition(
                    f"deals/{ctx.deal_id} still has "
                    + ", ".join(f"{yuan(v)} on {k}" for k, v in sorted(owed.items()))
                    + "; record the repayment first",
                    [PreconditionViolation("NOT_REPAID", f"deals/{ctx.deal_id}", "balances remain")],
                    reason="NOT_REPAID",
                )
            ctx.status = DealStatus.CLOSED

        return self._step(request_id, name, "closed", None, step, payload={})

    def fund_pool(self, *, request_id: str, pool: str, amount: int, value_date: dt.date) -> tuple[int, tuple[str, ...]]:
        """Fill a risk pool and pay its open claims, oldest default first, as far as the money goes."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        pool_id = ""
        try:
            pool_id = names.parse_party_name(pool)
        except names.BadName as exc:
            errors.add("risk_pool", str(exc))
        if amount <= 0:
            errors.add("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")
        check_value_date(value_date, "value_date", errors, self._ledger.today())
        errors.raise_if_any()
        funding_request = f"pool-funding:{request_id}"

        def work(session: LedgerSession) -> tuple[int, tuple[str, ...]]:
            reach_for_caller(session)
            conn = session.connection
            if not session.existing_parties([pool_id]):
                raise NotFound(pool, "risk pool")
            claims = conn.execute(
                sa.select(ds.deals.c.id, ds.deals.c.terms_json, ds.deals.c.branch)
                .where(ds.deals.c.pool == pool_id, ds.deals.c.defaulted_at.is_not(None))
                .order_by(ds.deals.c.defaulted_at, ds.deals.c.id)
            ).all()
            session.lock_books([pool_id, *(r.branch for r in claims)])
            # A pool may be funded before any deal names it: open its cash and capital accounts if needed.
            session.open_accounts(
                [
                    (p.party, p.code, p.type, p.commodity, p.guarded, p.display_name)
                    for p in accounting.DealAccounts(deal="-", branch="-", holder="-", pool=pool_id).plan()
                    if p.party == pool_id and p.code in ("cash", "capital")
                ],
            )
            replay = funding_request in session.posted_requests([funding_request])
            # The ledger refuses the same request_id with another pool, amount or date (REQUEST_ID_REUSED).
            funding = session.post(
                [
                    accounting.fund_pool(
                        pool_id, funding_request, value_date, amount, {"toudai.pool_funding": request_id}
                    )
                ],
            )
            posted = [funding.transactions[0].name]
            payments = sa.select(ds.deal_events).where(
                ds.deal_events.c.scope == pool_id, ds.deal_events.c.request_id.like(f"{request_id}#%")
            )
            if replay:
                rows = conn.execute(payments).all()
                paid = sum(int(json.loads(r.details_json)["paid"]) for r in rows)
                return paid, tuple(posted + [f"transactions/{r.transaction_id}" for r in rows])
            cash = session.balances([names.account_name(pool_id, "cash")])
            remaining = max(next(iter(cash.values())).available, 0)
            total = 0
            for i, row in enumerate(claims):
                claim_terms = decoded_terms(row.terms_json)
                reach_legacy_deal(session, claim_terms)
                accounts = deal_accounts(row.id, claim_terms)
                owed = session.balances([accounts.deal_account(pool_id, "claims-payable")])
                pay = min(next(iter(owed.values())).balance, remaining)
                if pay <= 0:
                    continue
                seq = next_seq(conn, row.id)
                spec = accounting.pay_claim(
                    accounts,
                    ledger_request(row.id, seq, 0),
                    value_date,
                    pay,
                    deal_meta(row.id, "claim_paid", request_id),
                )
                result = session.post([spec])
                append_event(
                    conn,
                    row.id,
                    seq,
                    "claim_paid",
                    f"{request_id}#{i}",
                    fingerprint({"funding": request_id, "paid": pay}),
                    value_date,
                    result.transactions[0].id,
                    {"paid": str(pay)},
                    session.now(),
                    pool_id,
                )
                posted.append(result.transactions[0].name)
                remaining -= pay
                total += pay
            return total, tuple(posted)

        return self._ledger.write(work, what="FundRiskPool")

    # ------------------------------------------------------------------ machinery

    def _step(
        self,
        request_id: str,
        name: str,
        kind: str,
        value_date: dt.date | None,
        apply: Callable[[StepContext], None],
        *,
        payload: Mapping[str, Any],
        note: str = "",
    ) -> StepResult:
        return self._execute(self._plan(request_id, name, kind, value_date, apply, payload=payload, note=note))

    def _execute(self, plan: StepPlan) -> StepResult:
        """One step in a unit of work of its own, answered with the deal as it stands after it."""

        def work(session: LedgerSession) -> StepResult:
            amounts, posted = self._run(session, plan)
            return StepResult(load_deal(session, locked_row(session.connection, plan.deal_id)), amounts, posted)

        return self._ledger.write(work, what=f"deal step {plan.kind}")

    def _plan(
        self,
        request_id: str,
        name: str,
        kind: str,
        value_date: dt.date | None,
        apply: Callable[[StepContext], None],
        *,
        payload: Mapping[str, Any],
        note: str = "",
    ) -> StepPlan:
        """A step checked for what can be checked without the database (request id, name, date)."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        deal_id = ""
        try:
            deal_id = deal_id_in(name, "name")
        except InvalidArgument as exc:
            errors.violations.extend(exc.violations)
        if value_date is not None:
            check_value_date(value_date, "value_date", errors, self._ledger.today())
        errors.raise_if_any()
        print_ = fingerprint({"deal": deal_id, "kind": kind, **payload})
        return StepPlan(request_id, deal_id, kind, value_date, apply, print_, note)

    def _run(self, session: LedgerSession, plan: StepPlan) -> tuple[dict[str, int], tuple[str, ...]]:
        """One step inside the caller's unit of work: its amounts and the transactions it posted (a replay:
        what the first call recorded)."""
        reach_for_caller(session)
        conn = session.connection
        request_id, deal_id, kind, value_date = plan.request_id, plan.deal_id, plan.kind, plan.value_date
        row = locked_row(conn, deal_id)
        previous = conn.execute(
            sa.select(ds.deal_events).where(
                ds.deal_events.c.scope == row.branch, ds.deal_events.c.request_id == request_id
            )
        ).first()
        if previous is not None:
            if previous.fingerprint != plan.fingerprint or previous.deal_id != deal_id:
                raise request_id_reused(request_id)
            details = json.loads(previous.details_json)
            return (
                {k: int(v) for k, v in details.items() if k != "note" and str(v).lstrip("-").isdigit()},
                tuple(f"transactions/{t}" for t in details.get("transactions", "").split(",") if t),
            )
        terms = codec.terms_from_json(row.terms_json)
        reach_legacy_deal(session, terms)
        session.lock_books(terms.parties())
        ctx = StepContext(session, row, terms, value_date, request_id, self.policy)
        plan.apply(ctx)
        now = session.now()
        updates: dict[str, Any] = {"status": ctx.status.value, "updated_at": now}
        if ctx.state is not None:
            updates.update(
                accrued_to=ctx.state.accrued_to,
                segment_start=ctx.state.segment_start,
                segment_interest=ctx.state.segment_interest,
                segment_subsidy=ctx.state.segment_subsidy,
                subsidy_before_segment=ctx.state.subsidy_before_segment,
                period_borrower_interest=ctx.state.period_borrower_interest,
            )
        if ctx.defaulted:
            updates["defaulted_at"] = now
        if ctx.non_accrual_since != row.non_accrual_since:
            updates["non_accrual_since"] = ctx.non_accrual_since
        conn.execute(ds.deals.update().where(ds.deals.c.id == deal_id).values(**updates))
        details = {k: str(v) for k, v in ctx.amounts.items()}
        details["transactions"] = ",".join(str(t) for t in ctx.posted)
        if plan.note:
            details["note"] = plan.note
        append_event(
            conn,
            deal_id,
            ctx.seq,
            kind,
            request_id,
            plan.fingerprint,
            ctx.day or value_date or session.today(),
            ctx.posted[0] if ctx.posted else None,
            details,
            now,
            row.branch,
        )
        return dict(ctx.amounts), tuple(f"transactions/{t}" for t in ctx.posted)


def _open_cover_accounts(ctx: StepContext) -> None:
    """Deals booked before the cover accounts existed get them when a default or an approval needs them."""
    ctx.session.open_accounts(
        [(p.party, p.code, p.type, p.commodity, p.guarded, p.display_name) for p in ctx.accounts.cover_plan()]
    )


def _cover(ctx: StepContext) -> dict[str, int]:
    """The pool's compensation and the insurer's share the bank holds for the deal (fen)."""
    a = ctx.accounts
    wanted = {key: a.deal_account(a.branch, key) for key in ("compensation-received", "insurance-compensation")}
    found = ctx.session.balances(list(wanted.values()))
    return {key: found[name].balance if name in found else 0 for key, name in wanted.items()}


def _no_pending_insurance(ctx: StepContext, verb: str) -> None:
    """What the insurer bears is not known while its claim is pending: refused, as for a pool claim."""
    row = insurance_row(ctx.conn, ctx.deal_id)
    if row is not None and row.status == InsuranceStatus.PENDING.value:
        raise FailedPrecondition(
            f"the insurer has not decided insuranceClaims/{ctx.deal_id} yet; {verb} after it approves or rejects it",
            [PreconditionViolation("CLAIM_PENDING", f"insuranceClaims/{ctx.deal_id}", "pending")],
            reason="CLAIM_PENDING",
        )


def _allowance(ctx: StepContext) -> int:
    """The loan loss allowance impairment runs provided for the deal (a contra asset's credit balance)."""
    name = ctx.accounts.deal_account(ctx.accounts.branch, accounting.ALLOWANCE)
    found = ctx.session.balances([name])
    return max(-found[name].balance, 0) if name in found else 0


def _repay_non_accrual(ctx: StepContext, amount: int, day: dt.date) -> None:
    """A repayment of a non-accrual loan (docs/credit.md, "Non-accrual"), in the loan contract's order as for
    any loan: interest still on the books, then interest tracked off balance sheet (recognised as income
    now that it is received), then principal. A payment that brings the loan current (0 days past due)
    ends non-accrual: the interest still off balance sheet returns to the books."""
    balances = ctx.balances()
    interest_due, principal_due = balances["interest-receivable"], balances["loans"]
    off_balance_due = ctx.off_balance_interest()
    owed = interest_due + principal_due + off_balance_due
    if amount > owed:
        raise InvalidArgument.one(
            "amount",
            f"{yuan(amount)} is more than the {yuan(owed)} owed ({yuan(interest_due)} interest on the books, "
            f"{yuan(principal_due)} principal, {yuan(off_balance_due)} interest off balance sheet)",
            "OVERPAYMENT",
        )
    interest = min(amount, interest_due)
    off_balance = min(amount - interest, off_balance_due)
    principal = amount - interest - off_balance
    ctx.post(
        accounting.repay_non_accrual(
            ctx.accounts, ctx.ledger_request(), day, interest, principal, off_balance, ctx.meta()
        )
    )
    state = ctx.accrual()
    if principal:
        ctx.state = start_segment(state, day)
    ctx.status = DealStatus.REPAYING
    ctx.amounts.update(
        overdue_interest=interest, interest=0, principal=principal, subsidy=0, off_balance_interest=off_balance
    )
    if ctx.arrears(Payment(day, amount, principal)).days_past_due(day) == 0:
        resumed = off_balance_due - off_balance
        if resumed:
            ctx.post(accounting.resume_accrual(ctx.accounts, ctx.ledger_request(), day, resumed, ctx.meta()))
        ctx.non_accrual_since = None
        ctx.amounts["accrual_resumed"] = resumed


def _insurance_deal(name: str, field: str) -> str:
    """`insuranceClaims/{deal}` → the deal id."""
    if not (name or "").startswith("insuranceClaims/"):
        raise InvalidArgument.one(field, "must be insuranceClaims/{deal}, e.g. insuranceClaims/hz-2026-001")
    return deal_id_in("deals/" + name.removeprefix("insuranceClaims/"), field)


def _claim_deal(name: str, field: str) -> str:
    """`claims/{deal}` → the deal id."""
    if not (name or "").startswith("claims/"):
        raise InvalidArgument.one(field, "must be claims/{deal}, e.g. claims/hz-2026-001")
    return deal_id_in("deals/" + name.removeprefix("claims/"), field)


def _pending_claim(ctx: StepContext, name: str) -> Claim:
    """The deal's claim, pending, locked; and its decider is not the person who filed it (four eyes)."""
    row = claim_row(ctx.conn, ctx.deal_id, lock=True)
    if row is None:
        raise NotFound(name, "claim")
    claim = claim_of(row)
    decidable(name, claim.status.value, claim.filed_by[0], "the pool's staff")
    return claim
