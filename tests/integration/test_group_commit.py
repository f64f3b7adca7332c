"""Group commit: concurrent post_transactions calls share database transactions, yet each call succeeds
or fails on its own, with the error it would have had alone."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from ledger.errors import AlreadyExists, InsufficientFunds, LedgerError
from ledger.model import AccountType, PartyKind, PostingSpec, PostResult, Side, TransactionSpec
from ledger.store import Ledger
from tests.chains import verify_book

DAY = dt.date(2026, 11, 26)


def _book(ledger: Ledger, accounts: int) -> list[str]:
    """One bank: guarded cash accounts funded with 100.00 each from equity."""
    ledger.create_party(request_id="p", party_id="bank", display_name="Bank", kind=PartyKind.BANK_BRANCH)
    equity = ledger.create_account(
        request_id="eq",
        party="parties/bank",
        code="equity",
        display_name="Equity",
        type=AccountType.EQUITY,
        commodity="CNY",
        must_not_go_negative=False,
    )
    names = []
    for i in range(accounts):
        cash = ledger.create_account(
            request_id=f"c{i}",
            party="parties/bank",
            code=f"cash-{i}",
            display_name="Cash",
            type=AccountType.ASSET,
            commodity="CNY",
            must_not_go_negative=True,
        )
        names.append(cash.name)
    ledger.post_transactions([_move(f"fund-{i}", equity.name, name, "100.00") for i, name in enumerate(names)])
    return names


def _move(request_id: str, source: str, target: str, value: str) -> TransactionSpec:
    return TransactionSpec(
        request_id,
        DAY,
        "",
        {},
        (PostingSpec(target, Side.DEBIT, "CNY", value), PostingSpec(source, Side.CREDIT, "CNY", value)),
    )


def _concurrently(calls: list[list[TransactionSpec]], ledger: Ledger) -> list[PostResult | LedgerError]:
    outcomes: list[PostResult | LedgerError | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = ledger.post_transactions(calls[i])
        except LedgerError as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def test_one_overdraft_fails_alone_and_the_rest_commit(ledger: Ledger) -> None:
    names = _book(ledger, 17)
    sink = names[16]
    # 16 callers each move 60.00 out of their own account; caller 7 tries 160.00 (it holds 100.00).
    calls = [[_move(f"t{i}", names[i], sink, "160.00" if i == 7 else "60.00")] for i in range(16)]
    rounds = 3
    for r in range(rounds):
        outcomes = _concurrently([[_move(f"r{r}-{c[0].request_id}", *_legs(c[0]))] for c in calls], ledger)
        failed = [i for i, o in enumerate(outcomes) if isinstance(o, LedgerError)]
        if r == 0:
            assert failed == [7]
            assert isinstance(outcomes[7], InsufficientFunds)
            assert "transactions[0]" in outcomes[7].message and "short by 60.00 CNY" in outcomes[7].message
    balances = {b.account.name: b.balance for b in ledger.batch_get_balances(names)}
    # Every caller but 7 moved 60.00 once (round 0); later rounds overdraw everyone (40.00 left each).
    assert balances[names[7]] == 10000
    assert all(balances[names[i]] == 4000 for i in range(16) if i != 7)
    assert balances[sink] == 10000 + 15 * 6000
    assert ledger.trial_balance("bank") == {"CNY": 0}
    assert verify_book(ledger, "bank").ok
    committer = ledger.committer
    assert committer is not None and committer.calls_written >= 16 * rounds


def _legs(spec: TransactionSpec) -> tuple[str, str, str]:
    target, source = spec.postings
    return source.account, target.account, source.value


def test_calls_coalesce_into_fewer_database_transactions(ledger: Ledger) -> None:
    names = _book(ledger, 2)
    committer = ledger.committer
    assert committer is not None
    before_groups, before_calls = committer.groups_written, committer.calls_written
    calls = [[_move(f"m{i}", names[0], names[1], "0.01")] for i in range(64)]
    outcomes = _concurrently(calls, ledger)
    assert all(isinstance(o, PostResult) for o in outcomes)
    groups = committer.groups_written - before_groups
    assert committer.calls_written - before_calls == 64
    assert groups < 64, "no two concurrent calls shared a database transaction"
    first, second = ledger.batch_get_balances(names)
    assert (first.balance, second.balance) == (10000 - 64, 10000 + 64)


def test_same_request_id_in_one_group(ledger: Ledger) -> None:
    names = _book(ledger, 2)
    same = [[_move("dup", names[0], names[1], "1.00")] for _ in range(8)]
    other = [[_move("dup", names[0], names[1], "2.00")]]
    outcomes = _concurrently(same + other, ledger)
    posted = {o.transactions[0].id for o in outcomes if isinstance(o, PostResult)}
    refused = [o for o in outcomes if isinstance(o, LedgerError)]
    assert len(posted) == 1
    # Exactly one call posted it; every other call that got it back is told it replayed an earlier call.
    answered = [o for o in outcomes if isinstance(o, PostResult)]
    assert sum(not o.is_replay(o.transactions[0]) for o in answered) == 1
    # Whichever payload won, every call with the other payload is refused as a reused request_id.
    assert all(isinstance(e, AlreadyExists) and e.reason == "REQUEST_ID_REUSED" for e in refused)
    assert len(refused) in (1, 8)
    moved = 100 if len(refused) == 1 else 200
    first, second = ledger.batch_get_balances(names)
    assert (first.balance, second.balance) == (10000 - moved, 10000 + moved)


@pytest.mark.parametrize("index", [0, 2])
def test_a_refused_batch_names_its_own_transaction(ledger: Ledger, index: int) -> None:
    names = _book(ledger, 2)
    batch = [_move(f"b{i}", names[0], names[1], "500.00" if i == index else "1.00") for i in range(3)]
    with pytest.raises(InsufficientFunds) as refused:
        ledger.post_transactions(batch)
    assert refused.value.message.startswith(f"transactions[{index}] (b{index})")
    first, _ = ledger.batch_get_balances(names)
    assert first.balance == 10000  # all or nothing
