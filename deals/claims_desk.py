"""Deciding the claims a default files: the risk pool's compensation claims (deals.claims) and the
insurer's claims (deals.insurance), each read, listed, approved or rejected as a step on its deal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa

from deals import accounting, insurance
from deals import schema as ds
from deals.claims import Claim, ClaimStatus, claim_of, claim_row, decidable, decide
from deals.insurance import InsuranceClaim, InsuranceStatus, insurance_claim_of, insurance_row
from deals.model import (
    CLAIM_APPROVED_EVENT,
    INSURANCE_APPROVED_EVENT,
    INSURANCE_REJECTED_EVENT,
    INSURANCE_SETTLED_EVENT,
    DealStatus,
    StepResult,
)
from deals.names import deal_id_in, party_filters
from deals.step_runner import StepRunner
from deals.steps import StepContext
from ledger import pagination
from ledger.errors import InvalidArgument, NotFound, ViolationCollector
from ledger.model import Page
from ledger.session import LedgerSession

T = TypeVar("T")

#: The collections claims are named in: the risk pool's compensation claims and the insurer's claims.
CLAIMS = "claims"
INSURANCE_CLAIMS = "insuranceClaims"


class ClaimsDesk(StepRunner):
    """Reads and decides compensation and insurance claims (part of `deals.desk.DealDesk`)."""

    def get_claim(self, name: str) -> Claim:
        return self._read_claim(name, CLAIMS, claim_row, claim_of, "claim")

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

    def _read_claim(
        self,
        name: str,
        collection: str,
        row_of: Callable[[sa.Connection, str], Any],
        convert: Callable[[Any], T],
        what: str,
    ) -> T:
        """One claim by its name `{collection}/{deal}`: the pool's and the insurer's claims are read alike."""
        deal_id = _claim_deal(name, "name", collection)

        def work(session: LedgerSession) -> T:
            row = row_of(session.connection, deal_id)
            if row is None:
                raise NotFound(name, what)
            return convert(row)

        return self._ledger.read(work)

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
            ctx.open_cover_accounts()
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
        self._execute(
            self._plan(request_id, f"deals/{deal_id}", CLAIM_APPROVED_EVENT, value_date, step, payload=payload)
        )
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

        self._execute(
            self._plan(
                request_id, f"deals/{deal_id}", "claim_rejected", None, step, payload={"reason": reason}, note=reason
            )
        )
        return self.get_claim(name)

    def get_insurance_claim(self, name: str) -> InsuranceClaim:
        return self._read_claim(name, INSURANCE_CLAIMS, insurance_row, insurance_claim_of, "insurance claim")

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
        deal_id = _claim_deal(name, "name", INSURANCE_CLAIMS)
        payload = {"date": value_date.isoformat() if value_date else ""}
        self._execute(
            self._plan(
                request_id,
                f"deals/{deal_id}",
                INSURANCE_APPROVED_EVENT,
                value_date,
                lambda ctx: insurance.approve_step(ctx, name, value_date),
                payload=payload,
            )
        )
        return self.get_insurance_claim(name)

    def reject_insurance_claim(self, *, request_id: str, name: str, reason: str) -> InsuranceClaim:
        """The insurer's staff reject a pending claim, saying why: nothing is posted."""
        deal_id = _claim_deal(name, "name", INSURANCE_CLAIMS)
        if not reason.strip():
            raise InvalidArgument.one("reason", "is required: say why the insurer rejects the claim")
        self._execute(
            self._plan(
                request_id,
                f"deals/{deal_id}",
                INSURANCE_REJECTED_EVENT,
                None,
                lambda ctx: insurance.reject_step(ctx, name, reason),
                payload={"reason": reason},
                note=reason,
            )
        )
        return self.get_insurance_claim(name)

    def settle_insurance_claim(
        self, *, request_id: str, name: str, amount: int, value_date: dt.date | None
    ) -> tuple[InsuranceClaim, StepResult]:
        """The insurer pays `amount` of an approved claim (no date: the business date)."""
        deal_id = _claim_deal(name, "name", INSURANCE_CLAIMS)
        if amount <= 0:
            raise InvalidArgument.one("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")
        payload = {"amount": amount, "date": value_date.isoformat() if value_date else ""}
        result = self._execute(
            self._plan(
                request_id,
                f"deals/{deal_id}",
                INSURANCE_SETTLED_EVENT,
                value_date,
                lambda ctx: insurance.settle_step(ctx, name, amount, ctx.value_date or ctx.session.today()),
                payload=payload,
            )
        )
        return self.get_insurance_claim(name), result


def _claim_deal(name: str, field: str, collection: str = CLAIMS) -> str:
    """`{collection}/{deal}` → the deal id: a claim is named after its deal, one claim of each kind a deal."""
    prefix = f"{collection}/"
    if not (name or "").startswith(prefix):
        raise InvalidArgument.one(field, f"must be {collection}/{{deal}}, e.g. {collection}/hz-2026-001")
    return deal_id_in("deals/" + name.removeprefix(prefix), field)


def _pending_claim(ctx: StepContext, name: str) -> Claim:
    """The deal's claim, pending, locked; and its decider is not the person who filed it (four eyes)."""
    row = claim_row(ctx.conn, ctx.deal_id, lock=True)
    if row is None:
        raise NotFound(name, "claim")
    claim = claim_of(row)
    decidable(name, claim.status.value, claim.filed_by[0], "the pool's staff")
    return claim
