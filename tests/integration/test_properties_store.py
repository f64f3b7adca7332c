"""Hypothesis properties of the ledger against the real store, on SQLite and on PostgreSQL.

The `ledger` fixture gives one fresh database per test (not per example), so each example creates its own
parties with unique ids and only reasons about those. Expected balances are computed here from the
postings the test generated, never read back from the code under test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import schema
from ledger.errors import AlreadyExists, FailedPrecondition, InsufficientFunds, InvalidArgument
from ledger.model import AccountType, CommodityKind, PartyKind, PostingSpec, Side, TransactionSpec
from ledger.store import Ledger
from tests.chains import verify_book

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

SHARE = "SHR.ACME"
SCALES = {"CNY": 2, SHARE: 0}
# Per commodity: the accounts every party gets (code, type). Indices into these lists are what strategies draw.
CHART: dict[str, list[tuple[str, AccountType]]] = {
    "CNY": [("cash", AccountType.ASSET), ("deposits", AccountType.LIABILITY), ("capital", AccountType.EQUITY)],
    SHARE: [("shares", AccountType.ASSET), ("share-capital", AccountType.EQUITY)],
}
MAX_PARTIES = 3


def text_amount(minor: int, scale: int, pad: int) -> str:
    """Decimal text for a positive amount, written independently of ledger.amounts (optionally zero-padded)."""
    if scale == 0:
        whole, fraction = str(minor), ""
    else:
        whole, fraction = str(minor // 10**scale), str(minor % 10**scale).rjust(scale, "0")
    fraction += "0" * pad
    return f"{whole}.{fraction}" if fraction else whole


@dataclass(frozen=True)
class Move:
    """One balanced pair inside one party: debit account `debit`, credit account `credit`, of `minor` units."""

    party: int
    commodity: str
    debit: int
    credit: int
    minor: int
    pad: int


@st.composite
def moves(draw: st.DrawFn, parties: int) -> Move:
    commodity = draw(st.sampled_from(sorted(CHART)))
    n = len(CHART[commodity])
    debit = draw(st.integers(0, n - 1))
    credit = (debit + draw(st.integers(1, n - 1))) % n
    upper = 10**9 if commodity == "CNY" else 10**6
    return Move(
        party=draw(st.integers(0, parties - 1)),
        commodity=commodity,
        debit=debit,
        credit=credit,
        minor=draw(st.integers(1, upper)),
        pad=draw(st.integers(0, 2)),
    )


def transaction_moves(parties: int) -> st.SearchStrategy[list[Move]]:
    return st.lists(moves(parties), min_size=1, max_size=4)


class World:
    """The parties and accounts of one example, and the postings it generated (debit-positive)."""

    def __init__(self, ledger: Ledger, parties: int) -> None:
        self.ledger = ledger
        self.tag = uuid.uuid4().hex[:10]
        ledger.create_commodity(request_id="test-commodity-share", code=SHARE, kind=CommodityKind.SHARE, scale=0)
        self.parties = [f"p{self.tag}-{i}" for i in range(parties)]
        self.types: dict[str, AccountType] = {}
        for party in self.parties:
            ledger.create_party(request_id=f"party-{party}", party_id=party, display_name=party, kind=PartyKind.OTHER)
            for commodity, chart in CHART.items():
                for code, kind in chart:
                    name = f"parties/{party}/accounts/{code}"
                    self.types[name] = kind
                    ledger.create_account(
                        request_id=f"acct-{party}-{code}",
                        party=f"parties/{party}",
                        code=code,
                        display_name=code,
                        type=kind,
                        commodity=commodity,
                        must_not_go_negative=False,
                    )
        self.counter = 0
        # (account name, value date, signed debit-positive minor units) for every accepted posting
        self.postings: list[tuple[str, dt.date, int]] = []

    def account(self, party: int, commodity: str, index: int) -> str:
        return f"parties/{self.parties[party]}/accounts/{CHART[commodity][index][0]}"

    @property
    def accounts(self) -> list[str]:
        return sorted(self.types)

    def spec(self, tx_moves: list[Move], value_date: dt.date | None = None) -> TransactionSpec:
        self.counter += 1
        postings: list[PostingSpec] = []
        for m in tx_moves:
            value = text_amount(m.minor, SCALES[m.commodity], m.pad)
            postings.append(PostingSpec(self.account(m.party, m.commodity, m.debit), Side.DEBIT, m.commodity, value))
            postings.append(PostingSpec(self.account(m.party, m.commodity, m.credit), Side.CREDIT, m.commodity, value))
        return TransactionSpec(
            request_id=f"{self.tag}-{self.counter}",
            value_date=value_date or self.ledger.today(),
            description=f"property {self.counter}",
            metadata={"example": self.tag},
            postings=tuple(postings),
        )

    @staticmethod
    def effect(spec: TransactionSpec) -> dict[str, int]:
        """Debit-positive net effect per account, recomputed from the spec's own (independent) numbers."""
        out: dict[str, int] = defaultdict(int)
        for p in spec.postings:
            whole, _, fraction = p.value.partition(".")
            scale = SCALES[p.commodity]
            minor = int(whole) * 10**scale + (int(fraction[:scale].ljust(scale, "0")) if scale else 0)
            out[p.account] += minor if p.side is Side.DEBIT else -minor
        return out

    def post(self, specs: list[TransactionSpec]) -> Any:
        result = self.ledger.post_transactions(specs)
        for spec in specs:
            assert spec.value_date is not None
            for account, delta in self.effect(spec).items():
                self.postings.append((account, spec.value_date, delta))
        return result

    def normal(self, account: str, signed: int) -> int:
        return signed if self.types[account] in (AccountType.ASSET, AccountType.EXPENSE) else -signed

    def expected(self, as_of: dt.date | None = None) -> dict[str, int]:
        totals = dict.fromkeys(self.accounts, 0)
        for account, value_date, delta in self.postings:
            if as_of is None or value_date <= as_of:
                totals[account] += delta
        return {a: self.normal(a, v) for a, v in totals.items()}

    def balances(self, as_of: dt.date | None = None) -> dict[str, int]:
        found = self.ledger.batch_get_balances(self.accounts, as_of)
        return {b.account.name: b.balance for b in found}


def snapshot(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: what 'changes nothing' is checked against."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with ledger.engines.reader.connect() as conn:
        for table in schema.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def heads(ledger: Ledger, parties: list[str]) -> dict[str, tuple[int, str]]:
    return {p: (s, h) for p, s, h in ledger.book_heads() if p in parties}


# ---------------------------------------------------------------------------------------------- (a)


@PROPERTY
@given(
    data=st.data(),
    parties=st.integers(1, MAX_PARTIES),
    batches=st.integers(1, 3),
)
def test_accepted_batches_keep_books_balanced_and_balances_exact(
    ledger: Ledger, data: st.DataObject, parties: int, batches: int
) -> None:
    world = World(ledger, parties)
    specs: list[TransactionSpec] = []
    result = None
    for _ in range(batches):
        batch = data.draw(st.lists(transaction_moves(parties), min_size=1, max_size=6))
        specs = [world.spec(m) for m in batch]
        result = world.post(specs)
        assert len(result.transactions) == len(batch)
        # The response carries the resulting balances of every account it touched.
        touched = {p.account for spec_moves in batch for m in spec_moves for p in _names(world, m)}
        returned = {b.account.name: b.balance for b in result.balances}
        assert set(returned) == touched
        expected = world.expected()
        assert {a: expected[a] for a in touched} == returned
    for party in world.parties:
        trial = ledger.trial_balance(party)
        assert set(trial) == set(CHART)
        assert all(total == 0 for total in trial.values()), trial
    assert world.balances() == world.expected()

    # Retrying the last batch with the same request_ids returns the original transactions and writes nothing.
    assert result is not None
    before = snapshot(ledger)
    retry = ledger.post_transactions(specs)
    assert [x.id for x in retry.transactions] == [x.id for x in result.transactions]
    assert snapshot(ledger) == before


def _names(world: World, m: Move) -> list[PostingSpec]:
    return [
        PostingSpec(world.account(m.party, m.commodity, m.debit), Side.DEBIT, m.commodity, ""),
        PostingSpec(world.account(m.party, m.commodity, m.credit), Side.CREDIT, m.commodity, ""),
    ]


# ---------------------------------------------------------------------------------------------- (b)


@PROPERTY
@given(
    data=st.data(),
    parties=st.integers(1, MAX_PARTIES),
    funding=st.integers(1, 10**7),
    short_by=st.integers(1, 10**5),
    how=st.sampled_from(["overdraft", "unbalanced", "reused-request-id"]),
)
def test_rejected_batch_changes_nothing(
    ledger: Ledger, data: st.DataObject, parties: int, funding: int, short_by: int, how: str
) -> None:
    world = World(ledger, parties)
    vault = f"parties/{world.parties[0]}/accounts/vault"
    ledger.create_account(
        request_id=f"acct-{world.tag}-vault",
        party=f"parties/{world.parties[0]}",
        code="vault",
        display_name="vault",
        type=AccountType.ASSET,
        commodity="CNY",
        must_not_go_negative=True,
    )
    world.types[vault] = AccountType.ASSET
    capital = world.account(0, "CNY", 2)
    fund = TransactionSpec(
        request_id=f"{world.tag}-fund",
        value_date=ledger.today(),
        description="fund the vault",
        metadata={},
        postings=(
            PostingSpec(vault, Side.DEBIT, "CNY", text_amount(funding, 2, 0)),
            PostingSpec(capital, Side.CREDIT, "CNY", text_amount(funding, 2, 0)),
        ),
    )
    history = data.draw(st.lists(transaction_moves(parties), max_size=4))
    world.post([fund, *(world.spec(m) for m in history)])

    before_rows = snapshot(ledger)
    before_heads = heads(ledger, world.parties)
    before_balances = world.balances()
    before_checkpoint = ledger.checkpoint()

    prefix = [world.spec(m) for m in data.draw(st.lists(transaction_moves(parties), max_size=3))]
    suffix = [world.spec(m) for m in data.draw(st.lists(transaction_moves(parties), max_size=3))]
    if how == "overdraft":
        # Spend the whole vault and a little more: valid in form, refused by the balance check.
        spend = funding + short_by
        bad = TransactionSpec(
            request_id=f"{world.tag}-overdraft",
            value_date=ledger.today(),
            description="overdraft",
            metadata={},
            postings=(
                PostingSpec(capital, Side.DEBIT, "CNY", text_amount(spend, 2, 0)),
                PostingSpec(vault, Side.CREDIT, "CNY", text_amount(spend, 2, 0)),
            ),
        )
        expected_error: type[Exception] = InsufficientFunds
    elif how == "unbalanced":
        good = world.spec(data.draw(transaction_moves(parties)))
        first = good.postings[0]
        nudged = PostingSpec(
            first.account, first.side, first.commodity, text_amount(_minor(first) + 1, SCALES[first.commodity], 0)
        )
        bad = TransactionSpec(
            good.request_id, good.value_date, good.description, good.metadata, (nudged, *good.postings[1:])
        )
        expected_error = InvalidArgument
    else:
        # The funding request_id again, with another payload.
        bad = TransactionSpec(fund.request_id, fund.value_date, "changed", {}, fund.postings)
        expected_error = AlreadyExists
    with pytest.raises(expected_error) as info:
        ledger.post_transactions([*prefix, bad, *suffix])
    if how == "overdraft":
        assert info.value.violations[0].subject == vault  # type: ignore[attr-defined]
        assert f"transactions[{len(prefix)}]" in str(info.value)
    elif how == "reused-request-id":
        assert info.value.reason == "REQUEST_ID_REUSED"  # type: ignore[attr-defined]

    assert snapshot(ledger) == before_rows
    assert heads(ledger, world.parties) == before_heads
    assert world.balances() == before_balances == world.expected()
    assert ledger.checkpoint() == before_checkpoint


def _minor(p: PostingSpec) -> int:
    return World.effect(
        TransactionSpec("x", None, "", {}, (PostingSpec(p.account, Side.DEBIT, p.commodity, p.value),))
    )[p.account]


# ---------------------------------------------------------------------------------------------- (c)


@PROPERTY
@given(
    data=st.data(),
    parties=st.integers(1, MAX_PARTIES),
    offset=st.integers(-20, 0),
)
def test_reversal_restores_balances(ledger: Ledger, data: st.DataObject, parties: int, offset: int) -> None:
    world = World(ledger, parties)
    today = ledger.today()
    history = data.draw(st.lists(transaction_moves(parties), max_size=4))
    if history:
        world.post([world.spec(m, today + dt.timedelta(days=offset)) for m in history])
    before = world.balances()
    target_spec = world.spec(data.draw(transaction_moves(parties)), today + dt.timedelta(days=offset))
    [target] = world.post([target_spec]).transactions
    later = data.draw(st.lists(transaction_moves(parties), max_size=3))
    later_specs = [world.spec(m) for m in later]
    if later_specs:
        world.post(later_specs)

    result = ledger.reverse_transaction(request_id=f"{world.tag}-rev", name=target.name)
    [reversal] = result.transactions
    assert reversal.reverses == target.id
    assert reversal.value_date == target.value_date

    # Expected: the balances before the target, plus what the later transactions did (from their specs).
    expected = dict(before)
    for spec in later_specs:
        for account, delta in World.effect(spec).items():
            expected[account] += world.normal(account, delta)
    assert world.balances() == expected
    if not later_specs:
        assert world.balances() == before
    for party in world.parties:
        assert all(total == 0 for total in ledger.trial_balance(party).values())

    # A retry of the reversal is a no-op; a second reversal or a reversal of the reversal is refused.
    again = ledger.reverse_transaction(request_id=f"{world.tag}-rev", name=target.name)
    assert again.transactions[0].id == reversal.id
    with pytest.raises(FailedPrecondition, match="already reversed"):
        ledger.reverse_transaction(request_id=f"{world.tag}-rev2", name=target.name)
    with pytest.raises(FailedPrecondition, match="itself a reversal"):
        ledger.reverse_transaction(request_id=f"{world.tag}-rev3", name=reversal.name)
    assert world.balances() == expected


# ---------------------------------------------------------------------------------------------- (d)


@PROPERTY
@given(
    data=st.data(),
    parties=st.integers(1, 2),
    queries=st.lists(st.integers(-40, 40), min_size=1, max_size=6),
)
def test_as_of_balances_sum_postings_up_to_the_date(
    ledger: Ledger, data: st.DataObject, parties: int, queries: list[int]
) -> None:
    world = World(ledger, parties)
    today = ledger.today()
    dated = data.draw(st.lists(st.tuples(transaction_moves(parties), st.integers(-30, 30)), min_size=1, max_size=8))
    world.post([world.spec(m, today + dt.timedelta(days=d)) for m, d in dated])
    for q in queries:
        as_of = today + dt.timedelta(days=q)
        assert world.balances(as_of) == world.expected(as_of), as_of
        single = world.accounts[q % len(world.accounts)]
        balance = ledger.get_balance(single, as_of=as_of)
        assert balance.balance == world.expected(as_of)[single]
        assert balance.as_of == as_of
    # Before the first posting every account is zero; at the last date it equals the current balance.
    first = min(d for _, d in dated)
    assert set(world.balances(today + dt.timedelta(days=first - 1)).values()) == {0}
    assert world.balances(today + dt.timedelta(days=30)) == world.balances() == world.expected()


# ---------------------------------------------------------------------------------------------- (e)


@PROPERTY
@given(
    data=st.data(),
    parties=st.integers(1, MAX_PARTIES),
    what=st.sampled_from(["amount", "description"]),
)
def test_verify_book_clean_then_detects_tampering(ledger: Ledger, data: st.DataObject, parties: int, what: str) -> None:
    world = World(ledger, parties)
    batches = data.draw(st.lists(st.lists(transaction_moves(parties), min_size=1, max_size=4), min_size=1, max_size=3))
    posted = []
    for batch in batches:
        posted.extend(world.post([world.spec(m) for m in batch]).transactions)
    if data.draw(st.booleans()):
        victim = data.draw(st.sampled_from(posted))
        posted.extend(ledger.reverse_transaction(request_id=f"{world.tag}-rev", name=victim.name).transactions)

    for party in world.parties:
        report = verify_book(ledger, party)
        assert report.ok, report.faults
        legs = sum(1 for tx in posted for leg in tx.legs if leg.party_id == party)
        assert report.legs_checked == report.head_sequence == legs

    target = data.draw(st.sampled_from(posted))
    leg = data.draw(st.sampled_from(target.legs))
    with ledger.engines.writer.begin() as conn:
        if what == "amount":
            changed = conn.execute(
                sa.update(schema.postings)
                .where(
                    schema.postings.c.party_id == leg.party_id,
                    schema.postings.c.seq == leg.sequence,
                    schema.postings.c.idx
                    == sa.select(sa.func.min(schema.postings.c.idx))
                    .where(schema.postings.c.party_id == leg.party_id, schema.postings.c.seq == leg.sequence)
                    .scalar_subquery(),
                )
                .values(amount=schema.postings.c.amount + 1)
            ).rowcount
        else:
            changed = conn.execute(
                sa.update(schema.transactions)
                .where(schema.transactions.c.id == target.id)
                .values(description=schema.transactions.c.description + " (edited)")
            ).rowcount
    assert changed == 1

    # The edited transaction's leg is at one sequence number in each book it touches.
    tampered = {leg.party_id: leg.sequence} if what == "amount" else {x.party_id: x.sequence for x in target.legs}
    for party in world.parties:
        report = verify_book(ledger, party)
        if party in tampered:
            seq = tampered[party]
            assert not report.ok
            # Exactly the edited leg is blamed: EDITED (its content no longer matches its hash), and for an
            # amount also UNBALANCED (its postings no longer sum to zero); no other leg, no broken link.
            assert {f.seq for f in report.faults} == {seq}, report.faults
            assert "EDITED" in {f.kind for f in report.faults}, report.faults
            assert {f.kind for f in report.faults} <= {"EDITED", "UNBALANCED"}, report.faults
        else:
            assert report.ok, report.faults
