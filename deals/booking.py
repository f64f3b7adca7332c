"""Booking linked deals: checking a booking's terms, then recording deals, their accounts, option grants and
first events inside one unit of work (one deal from BookLinkedDeal, up to BOOK_MANY_LIMIT from book_many)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from deals import accounting, codec
from deals import schema as ds
from deals.model import Booking, DealStatus, deal_accounts, deal_meta, deal_option_commodity, event_row, ledger_request
from deals.names import DEAL_ID_MAX
from deals.terms import DealTerms, option_quantity, validate_terms
from ledger import names
from ledger.canonical import fingerprint
from ledger.errors import AlreadyExists, FieldViolation, InvalidArgument, ViolationCollector
from ledger.model import CommodityKind
from ledger.session import LedgerSession
from ledger.validation import check_request_id


@dataclass(frozen=True, slots=True)
class PreparedBooking:
    """A booking checked and encoded: what recording it needs."""

    request_id: str
    deal_id: str
    terms: DealTerms
    encoded: str
    fingerprint: str
    accounts: accounting.DealAccounts | None
    quantity: int


def prepare_booking(booking: Booking, prefix: str, errors: ViolationCollector) -> PreparedBooking:
    """Check one booking (violations go to `errors`, fields under `prefix`) and encode its terms."""
    check_request_id(booking.request_id, f"{prefix}request_id", errors)
    deal_id, terms = booking.deal_id, booking.terms
    if not names.PARTY_ID.match(deal_id or "") or len(deal_id) > DEAL_ID_MAX:
        errors.add(
            f"{prefix}deal_id",
            f"must be 1 to {DEAL_ID_MAX} lowercase letters, digits or hyphens, starting with a letter",
        )
    before = len(errors.violations)
    validate_terms(terms, errors, prefix=f"{prefix}terms.")
    if len(errors.violations) > before:
        return PreparedBooking(booking.request_id, deal_id, terms, "", "", None, 0)
    encoded = codec.terms_to_json(terms)
    print_ = fingerprint({"deal": deal_id, "terms": json.loads(encoded)})
    return PreparedBooking(
        booking.request_id, deal_id, terms, encoded, print_, deal_accounts(deal_id, terms), option_quantity(terms)
    )


def insert_bookings(
    session: LedgerSession, bookings: Sequence[PreparedBooking], prefix: Callable[[PreparedBooking], str]
) -> None:
    """Record new deals (checked, not yet recorded) inside the caller's unit of work."""
    conn = session.connection
    ids = [b.deal_id for b in bookings]
    taken = {
        r.id
        for start in range(0, len(ids), 500)
        for r in conn.execute(sa.select(ds.deals.c.id).where(ds.deals.c.id.in_(ids[start : start + 500])))
    }
    if taken:
        first = next(i for i in ids if i in taken)
        raise AlreadyExists(f"deal deals/{first} already exists", reason="DEAL_EXISTS")
    parties = sorted({p for b in bookings for p in b.terms.parties()})
    missing = set(parties) - session.existing_parties(parties)
    if missing:
        raise InvalidArgument(
            [
                FieldViolation(prefix(b) + v.field, v.description, v.reason)
                for b in bookings
                for v in party_violations(b.terms, missing)
            ]
        )
    session.lock_books(parties)
    now = session.now()
    session.open_accounts(
        [
            (p.party, p.code, p.type, p.commodity, p.guarded, p.display_name)
            for b in bookings
            for p in b.accounts.plan()  # type: ignore[union-attr]  # set for every checked booking
        ],
        commodity_kind={deal_option_commodity(b.deal_id): (CommodityKind.OPTION, 0) for b in bookings},
    )
    conn.execute(
        ds.deals.insert(),
        [
            {
                "id": b.deal_id,
                "branch": b.terms.branch,
                "holder": b.terms.option.holder,
                "pool": b.terms.risk.pool,
                "borrower_uscc": b.terms.borrower.uscc,
                "status": DealStatus.BOOKED.value,
                "terms_json": b.encoded,
                "option_quantity": b.quantity,
                "request_id": b.request_id,
                "fingerprint": b.fingerprint,
                "created_at": now,
                "updated_at": now,
            }
            for b in bookings
        ],
    )
    today = session.today()
    booked_on = [min(b.terms.loan.start, today) for b in bookings]
    posted = session.post(
        [
            accounting.grant_option(
                b.accounts,  # type: ignore[arg-type]  # set for every checked booking
                ledger_request(b.deal_id, 1, 0),
                day,
                b.quantity,
                deal_meta(b.deal_id, "booked"),
            )
            for b, day in zip(bookings, booked_on, strict=True)
        ],
    )
    conn.execute(
        ds.deal_events.insert(),
        [
            event_row(
                b.deal_id,
                1,
                "booked",
                b.request_id,
                b.fingerprint,
                day,
                tx.id,
                {"option_quantity": str(b.quantity)},
                now,
            )
            for b, day, tx in zip(bookings, booked_on, posted.transactions, strict=True)
        ],
    )


def party_violations(terms: DealTerms, missing: set[str]) -> list[FieldViolation]:
    fields = {
        "terms.branch": terms.branch,
        "terms.option.holder": terms.option.holder,
        "terms.risk_sharing.risk_pool": terms.risk.pool,
        "terms.subsidy.subsidy_fund": terms.subsidy_fund,
        "terms.risk_sharing.insurer": terms.risk.insurer,
    }
    return [
        FieldViolation(path, f"parties/{party} does not exist; create the party first", "UNKNOWN_PARTY")
        for path, party in fields.items()
        if party in missing
    ]
