"""Servers for tests: free ports, waiting on health checks, `toudai serve` as a process, TLS servers in process.

- `free_port()` and `wait_until_serving()`: for every test that starts a server in a child process
  (the end-to-end tests here, the concurrency tests in tests/integration, tests/reliability/helpers.py).
- `toudai_serve()`: `toudai serve` as the operator runs it, with its stderr in a log file, driven through
  `Server` by the `toudai` CLI (`run()`), itself a process too. tests/e2e/conftest.py builds the `server`
  fixture on it, on SQLite and on PostgreSQL.
- `serve_in_process()`: `create_server(..., credentials=...)` on a fresh SQLite file, for the TLS tests
  (their certificates come from tests/pki.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ledger import db
from ledger.store import Ledger
from server import database
from server.app import create_server

TOUDAI = shutil.which("toudai", path=str(Path(sys.executable).parent)) or str(Path(sys.executable).parent / "toudai")
LEDGER_SERVICE = "toudai.v1.LedgerService"
START_SECONDS = 60  # for `toudai serve` to answer health checks (it migrates the database first)
GRACE_SECONDS = 15  # for a server to exit once told to
POLL_SECONDS = 0.1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exit_details(process: subprocess.Popen[Any], log: Path | None) -> str:
    if log is not None:
        return log.read_text(errors="replace") if log.exists() else ""
    if process.stderr is not None:  # stderr=subprocess.PIPE
        output = process.stderr.read()
        return output.decode(errors="replace") if isinstance(output, bytes) else str(output)
    return ""


def wait_until_serving(
    target: str,
    process: subprocess.Popen[Any] | None = None,
    *,
    timeout: float = START_SECONDS,
    service: str = "",
    credentials: grpc.ChannelCredentials | None = None,
    log: Path | None = None,
) -> None:
    """Return once the server at `target` answers a health check for `service` ("" = the whole server)
    with SERVING; raise AssertionError if `process` exits first or `timeout` seconds pass.

    `credentials` make the checks over TLS (mutual TLS if they carry a client certificate). When the
    process exits early, the message carries its output: the `log` file it writes to, else its stderr
    if that is a pipe. Each check uses a new channel, so no reconnection back-off delays the answer.
    """
    deadline = time.monotonic() + timeout
    request = health_pb2.HealthCheckRequest(service=service)
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            details = _exit_details(process, log)
            raise AssertionError(f"server at {target} exited early with {process.returncode}: {details}")
        channel = grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        try:
            with channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(request, timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"server at {target} did not answer health checks within {timeout} s")


def cli_env() -> dict[str, str]:
    """The environment of the `toudai` processes: this one's, less every TOUDAI_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUDAI_")}
    env["COLUMNS"] = "200"
    return env


def run(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`toudai *args` as a process, in `cli_env()`; never raises on a non-zero exit."""
    return subprocess.run(
        [TOUDAI, *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=cli_env(), check=False
    )


@dataclass
class Server:
    """A running `toudai serve` process and the CLI pointed at it."""

    target: str
    process: subprocess.Popen[str]

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run("--target", self.target, *args, stdin=stdin)

    def ok(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = self.cli(*args, stdin=stdin)
        assert result.returncode == 0, f"toudai {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def stop(self) -> int:
        """SIGTERM, as an operator stops it; the exit code (0: a clean shutdown)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=GRACE_SECONDS)


@contextmanager
def toudai_serve(
    database_url: str,
    log: Path,
    *options: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    health_credentials: grpc.ChannelCredentials | None = None,
    graceful_stop: bool = False,
) -> Iterator[Server]:
    """`toudai serve --listen 127.0.0.1:<free port> --database-url <database_url> *options` as a process,
    once it answers health checks for toudai.v1.LedgerService (within START_SECONDS).

    Its stderr goes to `log` (written afresh; read it to check what the server logged). `env` defaults to
    `cli_env()`; `health_credentials` are for a server that only speaks TLS. On the way out a server still
    running is killed (SIGKILL), or with `graceful_stop` terminated (SIGTERM), and waited for.
    """
    target = f"127.0.0.1:{free_port()}"
    with log.open("w+") as stderr:
        process = subprocess.Popen(
            [TOUDAI, "serve", "--listen", target, "--database-url", database_url, *options],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            env=dict(env) if env is not None else cli_env(),
            cwd=cwd,
        )
        try:
            wait_until_serving(target, process, service=LEDGER_SERVICE, credentials=health_credentials, log=log)
            yield Server(target, process)
        finally:
            if process.poll() is None:
                if graceful_stop:
                    process.terminate()
                else:
                    process.kill()
                process.wait(timeout=GRACE_SECONDS)


@contextmanager
def serve_in_process(directory: Path, credentials: grpc.ServerCredentials) -> Iterator[str]:
    """A server in this process on a free port with `credentials` (server.auth.server_credentials), on a
    fresh SQLite file in `directory`; yields its target. Stopped at once on the way out."""
    engines = db.create_engines(f"sqlite:///{directory}/t.db")
    database.upgrade(engines.writer)
    server, port = create_server(Ledger(engines), "127.0.0.1:0", credentials=credentials)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(0).wait()
        engines.dispose()
