"""Reading deals at the desk: one deal, a filtered page of them, and a deal's repayment schedule."""

from __future__ import annotations

import sqlalchemy as sa

from deals import schema as ds
from deals import uscc
from deals.model import Deal, DealStatus
from deals.names import deal_id_in, party_filters
from deals.records import load_deal
from deals.schedule import Period, build_schedule
from deals.step_runner import StepRunner
from ledger import pagination
from ledger.errors import NotFound, ViolationCollector
from ledger.model import Page
from ledger.session import LedgerSession


class DealReads(StepRunner):
    """Reads deals (part of `deals.desk.DealDesk`)."""

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
