"""Revaluation entries (valuation.journal) on the real ledger, SQLite and PostgreSQL: a posting per deal and one
netted `fair-value-gains` posting leave every account exactly where a balanced pair per deal would; and
the ledger calls the valuation desk relies on (accounts returned by `LedgerSession.open_accounts` and handed to
`LedgerSession.post`, never cached before their unit of work commits).

Expected balances are worked out by hand in the comments, not read back from the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.errors import InvalidArgument, NotFound
from ledger.model import AccountType, CommodityKind, PartyKind, PostingSpec, Side, TransactionSpec
from ledger.session import LedgerSession
from ledger.store import Ledger
from tests.chains import verify_book
from valuation.journal import Change, entries

Q1, Q2, Q3 = dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30)
DEALS = ("a", "b", "c")


def _plans(holder: str) -> list[tuple[str, str, AccountType, str, bool, str]]:
    return [(holder, "fair-value-gains", AccountType.INCOME, "CNY", False, "Fair-value gains")] + [
        (holder, f"options-fair-value.{d}", AccountType.ASSET, "CNY", True, f"Option {d}") for d in DEALS
    ]


def _pairs(changes: list[Change], request_id: str, day: dt.date) -> TransactionSpec:
    """The earlier shape, for comparison: a balanced pair per deal."""
    postings = []
    for c in changes:
        rise = c.amount > 0
        value = f"{abs(c.amount) / 100:.2f}"
        account = f"parties/{c.holder}/accounts/options-fair-value.{c.deal_id}"
        postings.append(PostingSpec(account, Side.DEBIT if rise else Side.CREDIT, "CNY", value))
        gains = f"parties/{c.holder}/accounts/fair-value-gains"
        postings.append(PostingSpec(gains, Side.CREDIT if rise else Side.DEBIT, "CNY", value))
    return TransactionSpec(
        request_id=request_id, value_date=day, description="pairs", metadata={}, postings=tuple(postings)
    )


@pytest.fixture
def holders(ledger: Ledger) -> Ledger:
    for party in ("arm", "fund"):
        ledger.create_party(
            request_id=f"party-{party}", party_id=party, display_name=party, kind=PartyKind.INVESTMENT_ARM
        )
    return ledger


def test_netted_gains_leave_every_balance_where_pairs_would(holders: Ledger) -> None:
    ledger = holders
    # Q1: a +10.00, b +3.00, c +2.50 (net +15.50); Q2: a -4.00, b +2.00, c -2.50 (net -4.50);
    # Q3: a +1.00, b -1.00 (net 0: no gains posting at all).
    quarters = [
        (Q1, {"a": 1000, "b": 300, "c": 250}),
        (Q2, {"a": -400, "b": 200, "c": -250}),
        (Q3, {"a": 100, "b": -100}),
    ]
    posting_counts = []
    for n, (day, moves) in enumerate(quarters, start=1):
        arm = [Change(d, "arm", amount) for d, amount in moves.items()]
        fund = [Change(d, "fund", amount) for d, amount in moves.items()]
        planned = entries(arm, revaluation=f"r{n}", as_of=day, code_version="v")

        def work(
            session: LedgerSession,
            planned: list[tuple[TransactionSpec, tuple[str, ...]]] = planned,
            fund: list[Change] = fund,
            n: int = n,
            day: dt.date = day,
        ) -> int:
            opened = session.open_accounts([*_plans("arm"), *_plans("fund")])
            # Accounts opened here are handed over (but c's, to be looked up with those of earlier quarters).
            handed = {name: account for name, account in opened.items() if not name.endswith(".c")}
            result = session.post([spec for spec, _ in planned], accounts=handed)
            session.post([_pairs(fund, f"pairs-{n}", day)])
            return len(result.transactions[0].postings)

        posting_counts.append(ledger.write(work))
    assert posting_counts == [4, 4, 2]  # a posting per deal, then the gains (none when the net is 0)

    def balance(party: str, code: str, as_of: dt.date | None = None) -> int:
        return ledger.get_balance(f"parties/{party}/accounts/{code}", as_of).balance

    # a: 1000 - 400 + 100 = 700; b: 300 + 200 - 100 = 400; c: 250 - 250 = 0; gains: 1550 - 450 + 0 = 1100.
    expected = {"options-fair-value.a": 700, "options-fair-value.b": 400, "options-fair-value.c": 0}
    expected["fair-value-gains"] = 1100
    for party in ("arm", "fund"):
        assert {code: balance(party, code) for code in expected} == expected
        assert set(ledger.trial_balance(party).values()) == {0}
    # As of Q2 (the per-day totals): a 600, b 500, c 0, gains 1550 - 450 = 1100; as of Q1 gains 1550.
    for party in ("arm", "fund"):
        assert balance(party, "options-fair-value.a", Q2) == 600 and balance(party, "options-fair-value.b", Q2) == 500
        assert balance(party, "fair-value-gains", Q2) == 1100 and balance(party, "fair-value-gains", Q1) == 1550
    for party in ("arm", "fund"):
        assert verify_book(ledger, party).ok


def test_opened_accounts_are_returned_and_not_cached_before_their_unit_of_work_commits(holders: Ledger) -> None:
    ledger = holders
    plan = ("arm", "options-fair-value.z", AccountType.ASSET, "CNY", True, "Option z")
    ledger.write(lambda session: session.open_accounts(_plans("arm")[:1]))  # gains

    class Abandon(Exception):
        pass

    def opened_then_abandoned(session: LedgerSession) -> None:
        opened = session.open_accounts([plan])
        assert list(opened) == ["parties/arm/accounts/options-fair-value.z"]
        raise Abandon

    with pytest.raises(Abandon):
        ledger.write(opened_then_abandoned)
    with pytest.raises(NotFound):  # rolled back, and remembered nowhere
        ledger.get_account("parties/arm/accounts/options-fair-value.z")
    with pytest.raises(InvalidArgument, match=r"options-fair-value\.z"):
        ledger.post_transactions(
            [
                TransactionSpec(
                    request_id="to-z",
                    value_date=Q1,
                    description="to an account that was never opened",
                    metadata={},
                    postings=(
                        PostingSpec("parties/arm/accounts/options-fair-value.z", Side.DEBIT, "CNY", "1.00"),
                        PostingSpec("parties/arm/accounts/fair-value-gains", Side.CREDIT, "CNY", "1.00"),
                    ),
                )
            ]
        )

    opened = ledger.write(lambda session: session.open_accounts([plan]))
    account = opened["parties/arm/accounts/options-fair-value.z"]
    assert ledger.get_account(account.name) == account  # what the database holds, field for field
    again = ledger.write(lambda session: session.open_accounts([plan]))
    assert again == {}  # already open: nothing opened, nothing returned

    # On a commodity registered by the same call (from commodity_kind), opened but not returned: its
    # scale is the registry's once committed, so session.post looks such an account up itself.
    units = ("arm", "options.z", AccountType.ASSET, "OPT-Z", True, "Option units z")
    with_units = ledger.write(
        lambda session: session.open_accounts([units], commodity_kind={"OPT-Z": (CommodityKind.OPTION, 0)})
    )
    assert with_units == {}
    assert ledger.get_account("parties/arm/accounts/options.z").scale == 0
