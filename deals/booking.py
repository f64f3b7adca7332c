"""Booking linked deals: checking a booking's terms, then recording deals, their accounts, option grants and
first events inside one unit of work (one deal from BookLinkedDeal, up to BOOK_MANY_LIMIT from book_many)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from deals import accounting, codec
from deals import schema as ds
from deals.agreements.model import Agreement
from deals.agreements.resolve import Cache, resolve_agreements
from deals.agreements.rules import AssessedTier, within_agreements
from deals.assessment import records as assessment_records
from deals.model import (
    OPEN_STATUSES,
    Booking,
    DealStatus,
    deal_accounts,
    deal_meta,
    deal_option_commodity,
    event_row,
    ledger_request,
)
from deals.names import DEAL_ID_MAX
from deals.terms import DealTerms, option_quantity, validate_terms
from ledger import actor, names
from ledger.canonical import fingerprint
from ledger.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PreconditionViolation,
    ViolationCollector,
)
from ledger.model import CommodityKind, PartyKind
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
    max_compensation: int = 0


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
    print_ = fingerprint({"deal": deal_id, "terms": _requested(json.loads(encoded))})
    return PreparedBooking(
        booking.request_id, deal_id, terms, encoded, print_, deal_accounts(deal_id, terms), option_quantity(terms)
    )


def _requested(plain: dict[str, object]) -> dict[str, object]:
    """The terms as fingerprinted: the assessment fields booking fills in (never a caller's) left out, so
    a retry of a booking recorded before they existed still matches its fingerprint."""
    agreements = plain.get("agreements")
    if isinstance(agreements, dict):
        for key in ("assessment", "assessment_tier", "assessment_score"):
            if agreements.get(key) == "":
                del agreements[key]
    return plain


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
    bookings = apply_agreements(session, bookings, prefix)
    session.lock_books(parties)
    now = session.now()
    who = actor.columns()
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
                **who,
                "risk_agreement": b.terms.agreements.risk_sharing or None,
                "max_compensation": b.max_compensation,
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
                deal_meta(b.deal_id, "booked", b.request_id),
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
                b.terms.branch,
            )
            for b, day, tx in zip(bookings, booked_on, posted.transactions, strict=True)
        ],
    )


def _deal_parties(terms: DealTerms) -> list[tuple[str, str, PartyKind]]:
    """(field path, party id, the kind it must be) for every party a deal posts to."""
    return [
        ("terms.branch", terms.branch, PartyKind.BANK_BRANCH),
        ("terms.option.holder", terms.option.holder, PartyKind.INVESTMENT_ARM),
        ("terms.risk_sharing.risk_pool", terms.risk.pool, PartyKind.RISK_POOL),
        ("terms.subsidy.subsidy_fund", terms.subsidy_fund, PartyKind.SUBSIDY_FUND),
        ("terms.risk_sharing.insurer", terms.risk.insurer, PartyKind.INSURER),
    ]


def apply_agreements(
    session: LedgerSession, bookings: Sequence[PreparedBooking], prefix: Callable[[PreparedBooking], str]
) -> list[PreparedBooking]:
    """Each booking checked against its parties' kinds and agreements, with the agreed terms filled in.

    Refuses (FAILED_PRECONDITION, every problem of every booking at once) a party of the wrong kind
    (a bank branch as option holder or pool), a missing or ambiguous agreement, terms outside an
    agreement, and bookings that would take a pool past the exposure cap of its agreement.
    """
    conn = session.connection
    kinds = session.party_kinds({p for b in bookings for p in b.terms.parties()})
    problems: list[PreconditionViolation] = []
    applied: list[PreparedBooking] = []
    under: list[tuple[PreparedBooking, Agreement]] = []  # each booking with the risk agreement it falls under
    cache: Cache = {}
    for b in bookings:
        where = prefix(b)
        before = len(problems)
        for path, party, kind in _deal_parties(b.terms):
            if party and kinds.get(party) not in (kind, None):
                problems.append(
                    PreconditionViolation(
                        "PARTY_KIND",
                        where + path,
                        f"parties/{party} is a {kinds[party].value} party; this must be a {kind.value} party",
                    )
                )
        if len(problems) > before:
            applied.append(b)
            continue
        found = resolve_agreements(conn, b.terms, where, cache)
        problems += found.problems
        if found.problems:
            applied.append(b)
            continue
        assert found.risk is not None and found.linkage is not None
        result, outside = within_agreements(
            b.terms,
            found.risk,
            found.linkage,
            found.subsidy,
            prefix=f"{where}terms.",
            assessed=_assessed(conn, b.terms),
        )
        problems += outside
        terms = result.terms
        encoded = codec.terms_to_json(terms)
        checked = dataclasses.replace(
            b,
            terms=terms,
            encoded=encoded,
            accounts=deal_accounts(b.deal_id, terms),
            max_compensation=result.max_compensation,
        )
        applied.append(checked)
        under.append((checked, found.risk))
    if not problems:
        problems = exposure_problems(conn, under, prefix)
    if problems:
        raise FailedPrecondition(
            f"the booking falls outside its parties' agreements: {problems[0].description}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            problems,
            reason="OUTSIDE_AGREEMENT",
        )
    return applied


def _assessed(conn: sa.Connection, terms: DealTerms) -> AssessedTier | None:
    """The branch's assessment of the borrower in force on the loan's start date (docs/assessment.md)."""
    found = assessment_records.in_force(conn, terms.borrower.uscc, terms.branch, terms.loan.start)
    if found is None:
        return None
    return AssessedTier(found.name, found.tier, format(found.total, "f"))


def exposure_problems(
    conn: sa.Connection,
    bookings: Sequence[tuple[PreparedBooking, Agreement]],
    prefix: Callable[[PreparedBooking], str],
) -> list[PreconditionViolation]:
    """Bookings that would take a risk pool past its agreement's cap on its total exposure to the branch:
    the most it can owe on the agreement's open deals (booked, disbursed, repaying, defaulted) plus these."""
    problems: list[PreconditionViolation] = []
    adding: dict[str, int] = {}
    for b, agreement in bookings:
        cap = getattr(agreement.terms, "exposure_cap", 0)
        if not cap:
            continue
        agreement_id = agreement.id
        if agreement_id not in adding:
            open_total = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(ds.deals.c.max_compensation), 0)).where(
                    ds.deals.c.risk_agreement == agreement_id,
                    ds.deals.c.status.in_([s.value for s in OPEN_STATUSES]),
                )
            ).scalar_one()
            adding[agreement_id] = int(open_total)
        adding[agreement_id] += b.max_compensation
        if adding[agreement_id] > cap:
            problems.append(
                PreconditionViolation(
                    "EXPOSURE_CAP",
                    prefix(b) + "terms.risk_sharing",
                    f"{agreement.version_name}: the pool's exposure to the branch would reach "
                    f"{adding[agreement_id] / 100:,.2f}, above its cap of {cap / 100:,.2f}",
                )
            )
    return problems


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
