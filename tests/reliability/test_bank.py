"""Jepsen-style bank test: random transfers and reads over real gRPC while servers are SIGKILLed and restarted.

50 must-not-go-negative accounts are funded from equity; transfer clients move random amounts between
them and reader clients read all 50 balances in one BatchGetBalances, all for a bounded time, each
client retrying a call with the same request_id on any transient error, on another server when it has
several. Meanwhile a killer SIGKILLs a server and restarts it, several times. Afterwards, from the
database itself: the total is conserved, no account is negative, every acknowledged transfer is
stored exactly once, no refused transfer is stored, no transfer is stored twice, every read summed to
the total, and the book's hash chain verifies. PostgreSQL: 3 server processes on one database, one
of them killed; SQLite: one server process, killed and restarted.
"""

from __future__ import annotations

import pathlib
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import grpc
import pytest

from ledger import db
from ledger.store import Ledger
from tests.chains import verify_book
from tests.reliability.helpers import ServerProcess, setup_book, soak, transfer
from tests.serving import wait_until_serving
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

MIN_KILLS = 3  # SIGKILLs each bank run must survive

ACCOUNTS = 50
OPENING = Decimal("1000.00")
TOTAL_MINOR = ACCOUNTS * int(OPENING * 100)
TRANSIENT = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]
GIVE_UP_SECONDS = 60.0


@dataclass
class History:
    """What the clients saw."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # gave up without an answer
    retries: int = 0
    reads: int = 0
    bad_reads: list[tuple[int, list[int]]] = field(default_factory=list)
    odd_statuses: list[str] = field(default_factory=list)  # INTERNAL, UNKNOWN, ...: never expected
    errors: list[BaseException] = field(default_factory=list)


def _stubs(addresses: list[str]) -> tuple[list[grpc.Channel], list[ledger_pb2_grpc.LedgerServiceStub]]:
    channels = [grpc.insecure_channel(a, options=CHANNEL_OPTIONS) for a in addresses]
    return channels, [ledger_pb2_grpc.LedgerServiceStub(c) for c in channels]


def _call_until_answered(
    history: History, stubs: list[ledger_pb2_grpc.LedgerServiceStub], method: str, request: object, start: int
) -> tuple[str, object]:
    """Send `request` (unchanged, so with the same request_id) until a definite answer: ('ok', reply),
    ('refused', code) or ('unknown', None) after GIVE_UP_SECONDS of transient errors."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    attempt = 0
    while time.monotonic() < deadline:
        stub = stubs[(start + attempt) % len(stubs)]
        try:
            return "ok", getattr(stub, method)(request, timeout=5)
        except grpc.RpcError as error:
            code = error.code()
            if code in TRANSIENT:
                attempt += 1
                with history.lock:
                    history.retries += 1
                time.sleep(min(0.5, 0.02 * attempt))
                continue
            if code not in (grpc.StatusCode.FAILED_PRECONDITION,):
                with history.lock:
                    history.odd_statuses.append(f"{method}: {code.name}: {error.details()}")
            return "refused", code
    return "unknown", None


def _transfer_client(
    history: History, addresses: list[str], names: list[str], worker: int, stop: threading.Event, seed: int
) -> None:
    rng = random.Random(seed * 1000 + worker)
    channels, stubs = _stubs(addresses)
    try:
        n = 0
        while not stop.is_set():
            source, target = rng.sample(names, 2)
            amount = Decimal(rng.randint(1, int(OPENING * 100) // 4)) / 100
            request_id = f"w{worker}-{n}"
            n += 1
            request = pb.PostTransactionsRequest(transactions=[transfer(request_id, source, target, amount)])
            outcome, _reply = _call_until_answered(history, stubs, "PostTransactions", request, rng.randrange(9))
            with history.lock:
                {"ok": history.acknowledged, "refused": history.refused, "unknown": history.unknown}[outcome].add(
                    request_id
                )
    except BaseException as exc:
        history.errors.append(exc)
    finally:
        for c in channels:
            c.close()


def _read_client(history: History, addresses: list[str], names: list[str], worker: int, stop: threading.Event) -> None:
    channels, stubs = _stubs(addresses)
    request = pb.BatchGetBalancesRequest(accounts=names)
    try:
        n = 0
        while not stop.is_set():
            outcome, reply = _call_until_answered(history, stubs, "BatchGetBalances", request, worker + n)
            n += 1
            if outcome != "ok":
                continue
            values = [int(Decimal(b.balance.value) * 100) for b in reply.balances]  # type: ignore[attr-defined]
            with history.lock:
                history.reads += 1
                if sum(values) != TOTAL_MINOR or min(values) < 0 or len(values) != ACCOUNTS:
                    history.bad_reads.append((sum(values), values))
    except BaseException as exc:
        history.errors.append(exc)
    finally:
        for c in channels:
            c.close()


def _killer(
    victims: list[ServerProcess], every: float, stop: threading.Event, seed: int, errors: list[BaseException]
) -> None:
    rng = random.Random(seed)
    try:
        while not stop.wait(every * rng.uniform(0.6, 1.4)):
            victim = rng.choice(victims)
            victim.kill()
            time.sleep(rng.uniform(0.0, 0.5))
            victim.start()
    except BaseException as exc:
        errors.append(exc)


def run_bank(
    servers: list[ServerProcess],
    victims: list[ServerProcess],
    database_url: str,
    *,
    seconds: float,
    kill_every: float,
    transfer_clients: int,
    read_clients: int,
    seed: int,
) -> tuple[History, dict[str, int]]:
    addresses = [s.address for s in servers]
    with grpc.insecure_channel(addresses[0]) as channel:
        names = setup_book(ledger_pb2_grpc.LedgerServiceStub(channel), ACCOUNTS, OPENING)
    history = History()
    stop_clients = threading.Event()
    stop_killer = threading.Event()
    killer_errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_transfer_client, args=(history, addresses, names, w, stop_clients, seed))
        for w in range(transfer_clients)
    ] + [
        threading.Thread(target=_read_client, args=(history, addresses, names, r, stop_clients))
        for r in range(read_clients)
    ]
    killer = threading.Thread(target=_killer, args=(victims, kill_every, stop_killer, seed, killer_errors))
    for th in threads:
        th.start()
    killer.start()
    # Run `seconds`, and on past them (up to three times as long) until MIN_KILLS restarts have happened: a
    # restart takes longer on a loaded machine (a server waits for its database and migrates before it
    # serves), and the test is about surviving kills, not about how many fit into a fixed time.
    started = time.monotonic()
    while time.monotonic() - started < seconds or (
        sum(v.kills for v in victims) < MIN_KILLS and time.monotonic() - started < 3 * seconds
    ):
        time.sleep(0.2)
    stop_killer.set()
    killer.join()
    for victim in victims:  # every server is up again, so that in-flight retries can conclude
        if victim.process is None or victim.process.poll() is not None:
            victim.start()
    stop_clients.set()
    for th in threads:
        th.join(timeout=GIVE_UP_SECONDS + 30)
    assert not any(th.is_alive() for th in threads), "a client hung"
    assert not killer_errors, killer_errors
    assert not history.errors, history.errors
    stats = _check_database(database_url, names, history)
    stats["kills"] = sum(v.kills for v in victims)
    return history, stats


def _check_database(database_url: str, names: list[str], history: History) -> dict[str, int]:
    engines = db.create_engines(database_url)
    try:
        ledger = Ledger(engines)
        balances = ledger.batch_get_balances(names)
        negative = [(b.account.name, b.balance) for b in balances if b.balance < 0]
        assert not negative, f"must-not-go-negative accounts went negative: {negative}"
        assert sum(b.balance for b in balances) == TOTAL_MINOR, "CNY was created or destroyed"
        assert ledger.trial_balance("bank") == {"CNY": 0}
        report = verify_book(ledger, "bank")
        assert report.ok, report.faults
        listed: list[str] = []
        token = ""
        while True:
            page = ledger.list_transactions(party="parties/bank", page_size=1000, page_token=token)
            listed.extend(tx.request_id for tx in page.items)
            token = page.next_page_token
            if not token:
                break
        counts = Counter(r for r in listed if not r.startswith("fund-"))
        twice = {r: c for r, c in counts.items() if c > 1}
        assert not twice, f"transfers stored more than once: {twice}"
        missing = history.acknowledged - counts.keys()
        assert not missing, f"acknowledged transfers lost: {sorted(missing)[:20]}"
        stored_refused = history.refused & counts.keys()
        assert not stored_refused, f"refused transfers stored: {sorted(stored_refused)[:20]}"
        phantom = counts.keys() - history.acknowledged - history.unknown
        assert not phantom, f"transfers stored that no client sent or saw refused: {sorted(phantom)[:20]}"
        # The same by metadata, for a sample of the acknowledged transfers.
        for request_id in sorted(history.acknowledged)[:: max(1, len(history.acknowledged) // 25)]:
            page = ledger.list_transactions(metadata_key="bank-test", metadata_value=request_id, page_size=10)
            assert [tx.request_id for tx in page.items] == [request_id]
        assert report.head_sequence == report.legs_checked == len(listed), "the chain has gaps or extra legs"
        return {"stored_transfers": len(counts), "legs": report.legs_checked}
    finally:
        engines.dispose()


def _assert_history(history: History) -> None:
    assert not history.odd_statuses, history.odd_statuses[:10]
    assert not history.bad_reads, f"{len(history.bad_reads)} reads did not sum to the total: {history.bad_reads[:3]}"
    assert not history.unknown, f"transfers never answered within {GIVE_UP_SECONDS} s: {sorted(history.unknown)}"


def _report(name: str, history: History, stats: dict[str, int], seconds: float) -> None:
    print(
        f"\n[{name}] {seconds:.0f} s: {len(history.acknowledged)} transfers acknowledged, {len(history.refused)} "
        f"refused (insufficient funds), {history.reads} reads of 50 balances, {history.retries} retries, "
        f"{stats['kills']} SIGKILLs survived, {stats['stored_transfers']} transfers stored, "
        f"{stats['legs']} legs verified"
    )


@pytest.mark.postgres
def test_bank_three_servers_on_postgres_with_kills(postgres_url: str, tmp_path: pathlib.Path) -> None:
    seconds = soak(20.0)
    servers = [ServerProcess(postgres_url, tmp_path, name=f"pg{i}") for i in range(3)]
    for s in servers:
        s.start(wait=False)
    try:
        for s in servers:
            wait_until_serving(s.address, s.process, timeout=30, log=s.log_path)
        history, stats = run_bank(
            servers,
            servers[:1],
            postgres_url,
            seconds=seconds,
            kill_every=2.5,
            transfer_clients=8,
            read_clients=3,
            seed=11,
        )
    finally:
        for s in servers:
            s.terminate()
    _report("postgresql, 3 servers", history, stats, seconds)
    _assert_history(history)
    assert stats["kills"] >= MIN_KILLS
    assert len(history.acknowledged) > 200 and history.reads > 50


def test_bank_one_server_on_sqlite_with_kills(sqlite_url: str, tmp_path: pathlib.Path) -> None:
    seconds = soak(15.0)
    server = ServerProcess(sqlite_url, tmp_path, name="sqlite")
    server.start()
    try:
        history, stats = run_bank(
            [server],
            [server],
            sqlite_url,
            seconds=seconds,
            kill_every=2.0,
            transfer_clients=6,
            read_clients=2,
            seed=12,
        )
    finally:
        server.terminate()
    _report("sqlite, 1 server", history, stats, seconds)
    _assert_history(history)
    assert stats["kills"] >= MIN_KILLS
    assert len(history.acknowledged) > 100 and history.reads > 20
