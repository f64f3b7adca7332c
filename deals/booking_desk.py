"""Booking linked deals at the desk: one deal, or a portfolio's batch in one unit of work.

The checking of terms and the rows, accounts and option grants a booking writes are deals.booking's;
this is the desk's part: the caller's reach, the request id's replay, and the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from deals import schema as ds
from deals.agreements.reach import reach_for_caller
from deals.booking import insert_bookings, prepare_booking
from deals.model import BOOK_MANY_LIMIT, Booking, Deal
from deals.records import load_deal, locked_row
from deals.step_runner import StepRunner
from deals.terms import DealTerms
from ledger.errors import FieldViolation, ViolationCollector, request_id_reused
from ledger.session import LedgerSession


class BookingDesk(StepRunner):
    """Books linked deals (part of `deals.desk.DealDesk`)."""

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
