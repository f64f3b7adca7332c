"""Machinery of the availability tests: `toudai serve` processes with their own options and environment,
health probes, the ErrorInfo of a refusal, and a TCP proxy that plays a database that is down or up.

The proxy is how a database outage is simulated without touching the PostgreSQL every test shares: the
server is given the proxy's port. While "down", the port is bound but not listening, so a connection is
refused exactly as by a stopped PostgreSQL (ECONNREFUSED); "up", it listens and forwards every connection
to the real database; going down again closes every forwarded connection, as a database restart would.
"""

from __future__ import annotations

import contextlib
import pathlib
import socket
import subprocess
import threading
import time
from decimal import Decimal
from typing import Any

import grpc
import sqlalchemy as sa
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from tests.serving import TOUDAI, cli_env, free_port
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc


class Served:
    """`toudai serve` (the real command line) in a child process, its output in a log file."""

    def __init__(self, database_url: str, work_dir: pathlib.Path, *options: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log_path = work_dir / f"serve-{self.port}.log"
        environment = {**cli_env(), **(env or {})}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [TOUDAI, "serve", "--listen", self.address, "--database-url", database_url, *options],
                stdout=log,
                stderr=log,
                cwd=work_dir,  # the development keys (var/...) go into the test's directory
                env=environment,
            )
        self.channel = grpc.insecure_channel(self.address)
        self.stub = ledger_pb2_grpc.LedgerServiceStub(self.channel)

    def health(self) -> int | None:
        """The whole server's health status, or None while the port does not answer."""
        try:
            with grpc.insecure_channel(self.address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError:
            return None
        return int(reply.status)

    def wait_for_health(self, status: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"toudai serve exited with {self.process.returncode}: {self.log()}"
            if self.health() == status:
                return
            time.sleep(0.1)
        raise AssertionError(f"health never became {status} within {timeout} s: {self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    """The ErrorInfo detail of a refused call."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, error
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError(f"no ErrorInfo in {status}")


def balances(stub: ledger_pb2_grpc.LedgerServiceStub, names: list[str]) -> list[Decimal]:
    reply = stub.BatchGetBalances(pb.BatchGetBalancesRequest(accounts=names), timeout=30)
    by_name = {b.account: Decimal(b.balance.value) for b in reply.balances}
    return [by_name[name] for name in names]


def through(url: str, port: int) -> str:
    """`url` with its host and port replaced by 127.0.0.1:`port` (the proxy's)."""
    return sa.make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


class DatabaseProxy:
    """A TCP proxy to `target` that can be down (connections refused) or up (forwarding)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._pipes: list[socket.socket] = []
        self._lock = threading.Lock()
        self._bind()

    def _bind(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))  # bound, not listening: connections are refused
        self._listener = listener

    def up(self) -> None:
        assert self._listener is not None
        self._listener.listen(64)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and cut every forwarded one."""
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
            for pipe in self._pipes:
                with contextlib.suppress(OSError):
                    pipe.shutdown(socket.SHUT_RDWR)
                pipe.close()
            self._pipes.clear()
            self._bind()

    def close(self) -> None:
        self.down()
        if self._listener is not None:
            self._listener.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed (down)
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._pipes += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for end in (source, sink):
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)


def process_state(pid: int) -> str:
    """The kernel's one-letter state of a process (T: stopped)."""
    stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")
