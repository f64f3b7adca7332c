"""`toudai serve --workers 2`: two server processes on one port and one PostgreSQL database.

Sixteen clients, each on its own channel (one HTTP/2 connection, which the kernel hands to one worker),
post random transfers between ten guarded accounts of one book at the same time. Both workers must
hold client connections (SO_REUSEPORT spread them), and afterwards the book must verify (gapless
sequence, linear hash chain), every acknowledged transfer must be stored exactly once, no CNY may be
created or lost, no guarded account may be negative, and SIGTERM must stop every worker cleanly.
Also: the configurations several workers cannot share are refused in one line.
"""

from __future__ import annotations

import random
import threading
import time
from decimal import Decimal
from pathlib import Path

import grpc
import pytest

from ledger import db
from ledger.store import Ledger
from tests.integration.test_concurrency import _assert_sound, _setup_book, _transfer
from tests.serving import START_SECONDS, run, toudai_serve
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

CLIENTS = 16
TRANSFERS_EACH = 12


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def _sockets(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _established_on(port: int) -> set[str]:
    """Inodes of the established TCP sockets whose local port is `port` (the server side of connections)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def _wait_for_workers(log: Path, count: int) -> None:
    deadline = time.monotonic() + START_SECONDS * count
    while log.read_text().count("toudai serving on") < count:
        assert time.monotonic() < deadline, f"{count} workers did not listen in time:\n{log.read_text()}"
        time.sleep(0.1)


@pytest.mark.postgres
def test_two_workers_on_one_port_keep_the_book_sound(postgres_url: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with toudai_serve(postgres_url, log, "--workers", "2", graceful_stop=True) as server:
        _wait_for_workers(log, 2)
        port = int(server.target.rsplit(":", 1)[1])
        with grpc.insecure_channel(server.target) as channel:
            names = _setup_book(ledger_pb2_grpc.LedgerServiceStub(channel))
        # Each channel its own connection (by default the channels of a process to one target share one).
        channels = [
            grpc.insecure_channel(server.target, options=[("grpc.use_local_subchannel_pool", 1)])
            for _ in range(CLIENTS)
        ]
        acknowledged: set[str] = set()
        failures: list[BaseException] = []
        lock = threading.Lock()

        def client(k: int) -> None:
            rng = random.Random(k)
            stub = ledger_pb2_grpc.LedgerServiceStub(channels[k])
            try:
                for n in range(TRANSFERS_EACH):
                    source, target = rng.sample(names, 2)
                    amount = Decimal(rng.randint(1, 40_000)) / 100
                    request = pb.PostTransactionsRequest(transactions=[_transfer(f"c{k}-{n}", source, target, amount)])
                    try:
                        stub.PostTransactions(request, timeout=60)
                    except grpc.RpcError as error:
                        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
                            continue  # insufficient funds: a correct refusal
                        raise
                    with lock:
                        acknowledged.add(f"c{k}-{n}")
            except BaseException as exc:  # surfaced to the test thread
                failures.append(exc)

        try:
            threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            workers = [pid for pid in _children(server.process.pid) if _sockets(pid) & _established_on(port)]
            # Both workers hold client connections (16 connections all on one worker: 2 chances in 65,536).
            assert len(workers) == 2, (workers, _children(server.process.pid))
        finally:
            for channel in channels:
                channel.close()
        assert not failures, failures
        assert len(acknowledged) > CLIENTS * TRANSFERS_EACH // 2
        assert server.stop() == 0  # SIGTERM: every worker drained and exited 0
    engines = db.create_engines(postgres_url)
    try:
        _assert_sound(Ledger(engines), names, acknowledged)
    finally:
        engines.dispose()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--listen", "127.0.0.1:0", "--workers", "2"), "--workers 2 needs a fixed port in --listen"),
        (("--workers", "0"), "--workers must be 1 or more, not 0"),
        (
            ("--workers", "2", "--metrics-listen", "127.0.0.1:0"),
            "--workers 2 cannot share one --metrics-listen port",
        ),
    ],
)
def test_what_several_workers_cannot_share_is_refused(options: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run("serve", "--database-url", f"sqlite:///{tmp_path}/t.db", *options)
    assert result.returncode == 1
    assert message in " ".join(result.stderr.split())
