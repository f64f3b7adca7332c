"""`toudai serve --workers N`: N server processes sharing one port (SO_REUSEPORT), one supervisor.

Why processes: one CPython interpreter runs the server's Python (request parsing, validation, posting,
the answer) on one core at a time, so a machine's other cores sit idle under many single-transfer
clients. Each worker is a whole `toudai serve` (its own interpreter, thread pool, database pool and
group committer) bound to the same address with SO_REUSEPORT, and the kernel spreads incoming
*connections* across them; a gRPC channel is one HTTP/2 connection, so a client sticks to one worker.

Correctness across workers needs nothing new: every write locks the heads of the books it touches
(`SELECT ... FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) before it reads sequences,
balances and request ids, exactly as several replicas on one database always have (docs/operations.md);
each worker's group committer coalesces its own callers, and the book locks order the workers' groups.

The supervisor (this process) serves nothing. It starts the workers one at a time, each once the one
before reports that it serves (`serve`'s `ready`: its database open, waited for if need be, and
migrated), so no two workers race a migration, and a starting worker (which answers UNAVAILABLE until
its database is open) holds the port's new connections only for the moment it takes to open it.
SIGTERM or SIGINT is passed on to every worker; each drains its calls as a single `toudai serve` does.
If a worker exits on its own (a crash, a refused start), the supervisor stops the others and exits 1:
a half-sized deployment that looks healthy on its port is worse than one its process manager restarts.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

log = logging.getLogger("toudai.workers")

STOP_TIMEOUT_SECONDS = 120.0  # on top of each worker's own drain (--grace)


class WorkersError(ValueError):
    """A `--workers` configuration that cannot work (told to the operator in one line)."""


def check(workers: int, listen: str, metrics_listen: str | None) -> None:
    """Refuse what several workers cannot share: port 0 (each worker would pick its own port) and one
    metrics port (each worker has its own counters; run a single worker per metrics port instead)."""
    if workers < 1:
        raise WorkersError(f"--workers must be 1 or more, not {workers}")
    if workers == 1:
        return
    _, _, port = listen.rpartition(":")
    if port in ("", "0"):
        raise WorkersError(
            f"--workers {workers} needs a fixed port in --listen (got {listen!r}): port 0 would give "
            "each worker a port of its own"
        )
    if metrics_listen:
        raise WorkersError(
            f"--workers {workers} cannot share one --metrics-listen port: each worker counts its "
            "own calls; run one worker per metrics port, or leave --metrics-listen out"
        )


def _worker(args: argparse.Namespace) -> None:
    """One worker: `toudai serve` itself, sharing the port (runs in a spawned process)."""
    from clients import operate

    sys.exit(operate.serve(args))


def run(args: argparse.Namespace) -> int:
    """Supervise `args.workers` workers of `toudai serve args...` until a signal or a worker's exit.

    Returns the exit code: 0 when every worker drained and exited 0 after SIGTERM or SIGINT, else 1.
    """
    count = args.workers
    context = mp.get_context("spawn")  # a fresh interpreter per worker: no state shared by fork
    one = argparse.Namespace(**{**vars(args), "workers": 1, "reuse_port": True})
    stopping = False  # a signal came, or a worker exited on its own: every worker is being stopped
    crashed = False  # a worker exited on its own
    processes: list[BaseProcess] = []

    def stop_all(signum: int = signal.SIGTERM) -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):  # it exited between the check and the signal
                    os.kill(process.pid, signum)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        stop_all(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for index in range(count):
            if stopping:
                break
            ready = context.Event()
            process = context.Process(
                target=_worker, args=(argparse.Namespace(**vars(one), ready=ready),), name=f"toudai-worker-{index}"
            )
            process.start()
            processes.append(process)
            # One at a time: a worker sets `ready` once it serves (its database open and migrated), so no
            # two workers race a migration and a starting worker holds the port's connections only briefly.
            while not stopping and process.is_alive() and not ready.wait(0.2):
                pass
            if not process.is_alive() and not stopping:
                crashed = stopping = True
                log.error("worker %d exited while starting (code %s); stopping", index, process.exitcode)
                stop_all()
        if not stopping:
            log.info("supervising %d toudai workers on %s (SO_REUSEPORT)", len(processes), args.listen)
        while any(p.is_alive() for p in processes):
            wait([p.sentinel for p in processes if p.is_alive()], timeout=1.0)
            exited = [p for p in processes if not p.is_alive()]
            if exited and not stopping:
                crashed = True
                log.error(
                    "worker %s exited on its own (code %s); stopping the others",
                    exited[0].name,
                    exited[0].exitcode,
                )
                stopping = True
                stop_all()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for worker in processes:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():  # pragma: no cover - a worker that ignores SIGTERM past its grace
                worker.kill()
                worker.join()
        clean = not crashed and all(p.exitcode == 0 for p in processes)
        return 0 if clean else 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
