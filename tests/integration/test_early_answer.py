"""The answer to a PostTransactions call is built while the database commits (Ledger.post_and_answer,
GroupCommitter.submit_and_answer): it must be handed the result before anything is written, be returned
only after the commit, describe the attempt that committed, and never be returned for a batch that did
not commit. Real ledgers on both databases; the writer's post function is wrapped only to hold it at a
point, or to fail one attempt the way a database would."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ledger import schema as t
from ledger.group_commit import GroupCommitter, OnComputed
from ledger.model import AccountType, PartyKind, PostingSpec, PostResult, Side, TransactionSpec
from ledger.store import Ledger
from ledger.validation import ValidTransaction, validate_batch

DAY = dt.date(2026, 11, 26)

#: One attempt of the writer: given the hook to hand the result over early (or None), post and return it.
Attempt = Callable[[OnComputed | None], PostResult]


@pytest.fixture
def accounts(ledger: Ledger) -> tuple[str, str]:
    ledger.create_party(request_id="p", party_id="bank", display_name="Bank", kind=PartyKind.BANK_BRANCH)
    names = []
    for code, kind in (("cash", AccountType.ASSET), ("equity", AccountType.EQUITY)):
        account = ledger.create_account(
            request_id=code,
            party="parties/bank",
            code=code,
            display_name=code,
            type=kind,
            commodity="CNY",
            must_not_go_negative=False,
        )
        names.append(account.name)
    return names[0], names[1]


def capital(ledger: Ledger, accounts: tuple[str, str], request_id: str, value: str) -> list[ValidTransaction]:
    cash, equity = accounts
    spec = TransactionSpec(
        request_id,
        DAY,
        "Paid-in capital",
        {},
        (PostingSpec(cash, Side.DEBIT, "CNY", value), PostingSpec(equity, Side.CREDIT, "CNY", value)),
    )
    resolved = ledger._resolve_accounts(p.account for p in spec.postings)
    return validate_batch([spec], resolved.get, today=ledger.today())


def stored_ids(ledger: Ledger, request_id: str) -> list[str]:
    """The committed transaction ids for a request id, read on a connection of its own."""
    with ledger.engines.reader.connect() as conn:
        rows = conn.execute(sa.select(t.transactions.c.id).where(t.transactions.c.request_id == request_id)).all()
    return [str(r.id) for r in rows]


@pytest.fixture
def committer(
    ledger: Ledger,
) -> Iterator[Callable[[Callable[[OnComputed | None, Attempt], PostResult]], GroupCommitter]]:
    """Group committers over the ledger's real posting code, each attempt passed through a wrapper."""
    made: list[GroupCommitter] = []

    def make(wrap: Callable[[OnComputed | None, Attempt], PostResult]) -> GroupCommitter:
        def post(
            conn: sa.Connection,
            batch: Sequence[ValidTransaction],
            prefix: str,
            actors: Sequence[Any],
            on_computed: OnComputed | None,
        ) -> PostResult:
            def attempt(hook: OnComputed | None) -> PostResult:
                return ledger._post(conn, batch, field_prefix=prefix, actors=actors, on_computed=hook)

            return wrap(on_computed, attempt)

        made.append(GroupCommitter(ledger.engines.writer, post))
        return made[-1]

    yield make
    for group in made:
        group.close()


def test_the_answer_is_built_before_the_write_and_returned_after_the_commit(
    ledger: Ledger, accounts: tuple[str, str], committer: Any
) -> None:
    seen_while_answering: list[list[str]] = []
    answered = threading.Event()

    def hold_until_answered(on_computed: OnComputed | None, attempt: Attempt) -> PostResult:
        assert on_computed is not None  # a lone call is handed over early

        def computed(result: PostResult) -> None:
            on_computed(result)
            assert answered.wait(10), "the caller was not given the result before the write"

        return attempt(computed)

    def answer(result: PostResult) -> str:
        seen_while_answering.append(stored_ids(ledger, "cap-1"))
        answered.set()
        return str(result.transactions[0].id)

    group = committer(hold_until_answered)
    returned = group.submit_and_answer(capital(ledger, accounts, "cap-1", "500.00"), answer)
    assert seen_while_answering == [[]]  # answered while nothing was written yet
    assert stored_ids(ledger, "cap-1") == [returned]  # and returned what was then committed


def test_an_answer_built_for_a_retried_attempt_is_built_again(
    ledger: Ledger, accounts: tuple[str, str], committer: Any
) -> None:
    attempts: list[str] = []

    def fail_first_attempt(on_computed: OnComputed | None, attempt: Attempt) -> PostResult:
        result = attempt(on_computed)  # written, not committed
        attempts.append(str(result.transactions[0].id))
        if len(attempts) == 1:
            raise sa_exc.OperationalError("COMMIT", None, Retryable("could not serialize access"))
        return result

    answers: list[str] = []

    def answer(result: PostResult) -> str:
        answers.append(str(result.transactions[0].id))
        return answers[-1]

    group = committer(fail_first_attempt)
    returned = group.submit_and_answer(capital(ledger, accounts, "cap-2", "7.00"), answer)
    assert len(attempts) == 2 and attempts[0] != attempts[1]  # each attempt makes its own transaction id
    assert returned == attempts[1] == stored_ids(ledger, "cap-2")[0]
    assert answers[-1] == attempts[1]  # (built first for attempt 1 while it ran, then again)
    assert ledger.get_balance(accounts[0]).balance == 700


def test_no_answer_for_a_batch_that_did_not_commit(ledger: Ledger, accounts: tuple[str, str], committer: Any) -> None:
    def fail_after_writing(on_computed: OnComputed | None, attempt: Attempt) -> PostResult:
        attempt(on_computed)
        raise OSError("the disk is full")

    answers: list[PostResult] = []
    group = committer(fail_after_writing)
    with pytest.raises(OSError, match="disk is full"):
        group.submit_and_answer(capital(ledger, accounts, "cap-3", "9.00"), answers.append)
    assert stored_ids(ledger, "cap-3") == []
    assert ledger.get_balance(accounts[0]).balance == 0


def test_post_and_answer_through_the_ledger(ledger: Ledger, accounts: tuple[str, str]) -> None:
    cash, equity = accounts
    spec = TransactionSpec(
        "cap-4",
        DAY,
        "",
        {},
        (PostingSpec(cash, Side.DEBIT, "CNY", "1.25"), PostingSpec(equity, Side.CREDIT, "CNY", "1.25")),
    )
    name, balance = ledger.post_and_answer([spec], lambda r: (r.transactions[0].name, r.balances[0].balance))
    assert name == f"transactions/{stored_ids(ledger, 'cap-4')[0]}"
    assert balance == 125  # fen, on cash (the balances come in account name order: cash before equity)
    # A replay answers the stored transaction (loaded after the write, not handed over early).
    again = ledger.post_and_answer([spec], lambda r: r.transactions[0].name)
    assert again == name


class Retryable(Exception):
    """What a driver raises on a serialization failure: SQLSTATE 40001, which the unit of work retries."""

    sqlstate = "40001"
