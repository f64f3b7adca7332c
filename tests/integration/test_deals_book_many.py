"""DealDesk.book_many: a batch of bookings in one unit of work, each exactly what `book` records."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from deals.desk import DealDesk
from deals.model import Booking, DealStatus
from deals.schedule import LoanTerms
from deals.terms import (
    Borrower,
    DealTerms,
    OptionTerms,
    QuantityBasis,
    RiskSharing,
    Split,
    Stage,
    StrikeBasis,
    Trigger,
)
from ledger.errors import AlreadyExists, InvalidArgument
from ledger.model import PartyKind
from ledger.store import Ledger
from tests.agreements_world import sign_in_process


def _terms(shares: int, pool: str = "pool") -> DealTerms:
    return DealTerms(
        branch="bank-hz",
        borrower=Borrower("Borrower", "91350100M000100Y43", Stage.GROWTH),
        loan=LoanTerms(
            principal=1_000_000_000,
            annual_rate=Decimal("0.0435"),
            start=dt.date(2025, 3, 3),
            maturity=dt.date(2027, 3, 3),
        ),
        option=OptionTerms(
            holder="arm",
            company="Jiaxing Photonics Co., Ltd.",
            share_class="common",
            quantity_basis=QuantityBasis.SHARES,
            shares=shares,
            strike_basis=StrikeBasis.FIXED_PRICE,
            strike_price=Decimal("1.00"),
            window_start=dt.date(2025, 3, 3),
            window_end=dt.date(2030, 3, 3),
            triggers=(Trigger.QUALIFYING_ROUND,),
        ),
        risk=RiskSharing(pool=pool, base_rate=Decimal("0.50")),
        split=Split(3000, 5000, 2000),
    )


@pytest.fixture
def desk(ledger: Ledger) -> DealDesk:
    for party, kind in (
        ("bank-hz", PartyKind.BANK_BRANCH),
        ("arm", PartyKind.INVESTMENT_ARM),
        ("pool", PartyKind.RISK_POOL),
    ):
        ledger.create_party(request_id=str(uuid.uuid4()), party_id=party, display_name=party, kind=kind)
    sign_in_process(ledger, branch="bank-hz", arm="arm", pool="pool")
    return DealDesk(ledger)


def _shape(ledger: Ledger, deal: str) -> list[tuple[str, str, str, int]]:
    """Every account of every book with the deal id masked, and its balance: what a booking opened."""
    rows = []
    for party in ("bank-hz", "arm", "pool"):
        page = ledger.list_accounts(party=f"parties/{party}", page_size=1000)
        accounts = [a for a in page.items if deal in a.code or "." not in a.code]
        balances = ledger.batch_get_balances([a.name for a in accounts]) if accounts else []
        rows += [
            (
                party,
                b.account.code.replace(deal, "{deal}"),
                b.account.commodity.replace(deal.upper(), "{DEAL}"),
                b.balance,
            )
            for b in balances
        ]
    return sorted(rows)


def test_book_many_records_what_book_records(ledger: Ledger, desk: DealDesk) -> None:
    one = desk.book(request_id="book-one", deal_id="one", terms=_terms(60_000))
    names = desk.book_many([Booking("many-a", "alpha", _terms(60_000)), Booking("many-b", "beta", _terms(70_000))])
    assert names == ("deals/alpha", "deals/beta")
    alpha, beta = desk.get("deals/alpha"), desk.get("deals/beta")
    for deal, quantity in ((alpha, 60_000), (beta, 70_000)):
        assert deal.status is DealStatus.BOOKED and deal.option_quantity == quantity
        assert [(e.kind, e.request_id, e.details) for e in deal.events] == [
            ("booked", f"many-{deal.id[0]}", {"option_quantity": str(quantity)})
        ]
        assert deal.events[0].transaction.startswith("transactions/")
    assert alpha.terms == one.terms and alpha.events[0].value_date == one.events[0].value_date
    assert _shape(ledger, "alpha") == _shape(ledger, "one") and len(_shape(ledger, "one")) >= 14
    for party in ("bank-hz", "arm", "pool"):
        assert set(ledger.trial_balance(party).values()) == {0}


def test_book_many_replays_and_refusals(ledger: Ledger, desk: DealDesk) -> None:
    batch = [Booking("many-a", "alpha", _terms(60_000)), Booking("many-b", "beta", _terms(70_000))]
    desk.book_many(batch)
    heads = ledger.book_heads()
    assert desk.book_many(batch) == ("deals/alpha", "deals/beta")  # a replay posts nothing
    assert ledger.book_heads() == heads
    with pytest.raises(AlreadyExists) as reused:
        desk.book_many([Booking("many-a", "alpha", _terms(61_000))])
    assert reused.value.reason == "REQUEST_ID_REUSED"
    with pytest.raises(AlreadyExists) as taken:
        desk.book_many([Booking("many-c", "gamma", _terms(1_000)), Booking("many-d", "alpha", _terms(1_000))])
    assert taken.value.reason == "DEAL_EXISTS"
    with pytest.raises(InvalidArgument) as bad:
        desk.book_many([Booking("many-e", "delta", _terms(1_000)), Booking("many-f", "delta", _terms(0))])
    fields = {v.field for v in bad.value.violations}
    assert "bookings[1].deal_id" in fields and any(f.startswith("bookings[1].terms.") for f in fields)
    with pytest.raises(InvalidArgument) as unknown:
        desk.book_many([Booking("many-g", "eps", _terms(1_000, pool="nobody"))])
    assert [v.field for v in unknown.value.violations] == ["bookings[0].terms.risk_sharing.risk_pool"]
    assert ledger.book_heads() == heads  # nothing of the refused batches was recorded
    with pytest.raises(InvalidArgument):
        desk.book_many([])
