"""Group commit: concurrent PostTransactions calls share one database transaction, each still on its own.

One writer thread per Ledger takes every call waiting in its queue (no timer: whatever arrived while
the previous group was being written), merges their transactions into one batch and appends it in one
unit of work, so the fsync of the commit, the book locks and every bulk statement are paid once per
group instead of once per call. Each call still succeeds or fails alone:

- the merged batch is written in one go; if it is refused (which ledger.posting.compute does before it writes
  anything), the error names the transaction (its request_id) that caused it, the call that sent it is
  failed with exactly the error it would have had alone (its batch is re-run by itself under a savepoint,
  rolled back, to get it), and the rest is merged again;
- the same request_id in two calls of one group is served once: the same payload gets the same
  transaction, another payload the usual REQUEST_ID_REUSED;
- a database conflict retries the whole group (ledger.unit_of_work.run), exactly as for one call.

Validation stays in the caller's thread before queueing, so a malformed call never reaches the writer.
This is the shape TigerBeetle and LMAX-style sequencers use; docs/performance.md has its figures.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import sqlalchemy as sa

from ledger import actor
from ledger import unit_of_work as uow
from ledger.errors import LedgerError, request_id_reused
from ledger.model import PostResult
from ledger.validation import ValidTransaction

#: Transactions per group at most (a call larger than this still goes in alone).
MAX_GROUP_TRANSACTIONS = 10_000

#: (connection, batch, field prefix for messages, the actor of each transaction) → result
PostFn = Callable[[sa.Connection, Sequence[ValidTransaction], str, Sequence[actor.Actor | None]], PostResult]


@dataclass(slots=True)
class _Call:
    batch: list[ValidTransaction]
    actor: actor.Actor | None  # who called: stamped into each of its transactions by the writer
    future: Future[PostResult]  # the committed result, or the call's error


class GroupCommitter:
    """Queues validated batches and writes them in groups on one writer thread."""

    def __init__(self, engine: sa.Engine, post: PostFn) -> None:
        self._engine = engine
        self._post = post
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="toudai-group-commit", daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self.groups_written = 0  # statistics for metrics and tests: groups and the calls in them
        self.calls_written = 0

    def submit(self, batch: Sequence[ValidTransaction]) -> PostResult:
        """Post `batch` all or nothing, in whatever group it lands in; blocks until committed (or refused)."""
        call = _Call(list(batch), actor.current(), Future())  # (the writer has no caller context)
        self._ensure_started()
        self._queue.put(call)
        return call.future.result()

    def close(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout=30)

    def _ensure_started(self) -> None:
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            size = len(first.batch)
            stop = False
            while size < MAX_GROUP_TRANSACTIONS:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                group.append(nxt)
                size += len(nxt.batch)

            def write(conn: sa.Connection, calls: list[_Call] = group) -> list[PostResult | BaseException]:
                return self._write(conn, calls)

            try:
                outcomes: list[PostResult | BaseException] = uow.run(self._engine, write, what="PostTransactions")
            except BaseException as error:  # the whole group failed (database down, ...): each call gets it
                outcomes = [error] * len(group)
            else:
                self.groups_written += 1
                self.calls_written += len(group)
            for call, outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    call.future.set_exception(outcome)
                else:
                    call.future.set_result(outcome)
            if stop:
                return

    def _write(self, conn: sa.Connection, group: list[_Call]) -> list[PostResult | BaseException]:
        """Write the group; returns each call's result or the error that refused it alone."""
        outcomes: list[PostResult | BaseException | None] = [None] * len(group)
        pending = list(range(len(group)))
        owner: dict[str, tuple[int, str]] = {}
        for index in list(pending):
            for tx in group[index].batch:
                first = owner.setdefault(tx.request_id, (index, tx.fingerprint))
                if first[0] != index and first[1] != tx.fingerprint:
                    outcomes[index] = request_id_reused(tx.request_id)
                    pending.remove(index)
                    break
        if len(group) == 1 and pending:  # alone in its group: no savepoint, its own field paths in errors
            call = group[0]
            try:
                return [self._post(conn, call.batch, "transactions", [call.actor] * len(call.batch))]
            except LedgerError as error:  # refused before anything was written (ledger.posting.compute checks first)
                return [error]
        while pending:
            merged: list[ValidTransaction] = []
            actors: list[actor.Actor | None] = []
            seen: set[str] = set()
            for index in pending:
                who = group[index].actor
                for tx in group[index].batch:
                    if tx.request_id not in seen:
                        seen.add(tx.request_id)
                        merged.append(tx)
                        actors.append(who)
            try:  # no savepoint needed: ledger.posting.compute refuses before its first write, or not at all
                result = self._post(conn, merged, "", actors)
            except LedgerError as error:
                culprit = self._culprit(group, pending, error)
                outcomes[culprit] = self._alone(conn, group[culprit], error)
                pending.remove(culprit)
                continue
            by_request = {tx.request_id: tx for tx in result.transactions}
            claimed: set[str] = set()  # request ids an earlier call of this group posted: a replay for later ones
            for index in pending:
                batch = group[index].batch
                touched = {p.account.id for tx in batch for p in tx.postings}
                mine = tuple(by_request[tx.request_id] for tx in batch)
                outcomes[index] = PostResult(
                    mine,
                    tuple(b for b in result.balances if b.account.id in touched),
                    frozenset(tx.id for tx in mine if tx.id in result.replayed or tx.request_id in claimed),
                )
                claimed.update(tx.request_id for tx in batch)
            break
        return [o if o is not None else RuntimeError("group commit lost a call") for o in outcomes]

    def _culprit(self, group: list[_Call], pending: list[int], error: LedgerError) -> int:
        """The call whose transaction the error names; the first pending call if none is named."""
        request_id = error.metadata.get("request_id", "")
        for index in pending:
            if any(tx.request_id == request_id for tx in group[index].batch):
                return index
        return pending[0]

    def _alone(self, conn: sa.Connection, call: _Call, fallback: LedgerError) -> BaseException:
        """The error this call's batch gets when written by itself (so its message names its own index)."""
        savepoint = conn.begin_nested()
        try:
            self._post(conn, call.batch, "transactions", [call.actor] * len(call.batch))
        except LedgerError as error:
            savepoint.rollback()
            return error
        savepoint.rollback()  # it would succeed alone: the conflict was with another call's transaction
        return fallback
