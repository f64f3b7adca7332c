"""End to end: what `toudai serve` logs and refuses, as the processes an operator runs.

- every line the server writes on stderr is one JSON object, also when a token's `alg` carries a newline and
  a JSON object of its own; the access log names the caller;
- a non-loopback address without TLS is refused (exit 1, saying what to configure) unless
  `--plaintext-behind-proxy`, which is logged as a WARNING;
- `--max-token-lifetime` (here through TOUDAI_MAX_TOKEN_LIFETIME) bounds the tokens' lifetime, and
  `toudai token --ttl` beyond the default maximum says so.
"""

from __future__ import annotations

import base64
import json
import secrets
import signal
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.serving import TOUDAI, cli_env, free_port, toudai_serve, wait_until_serving
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc


def toudai(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TOUDAI, *args], capture_output=True, text=True, timeout=60, env=env, cwd=cwd, check=False)


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]  # raises on a non-JSON line


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "k1.secret"
    path.write_text(secrets.token_urlsafe(48))
    return path


def test_every_log_line_is_json_even_with_a_forged_alg(tmp_path: Path, secret: Path) -> None:
    env = cli_env()
    log = tmp_path / "serve.log"
    admin = toudai("token", "--role", "admin", "--sub", "ops.li", "--key", f"k1={secret}", env=env, cwd=tmp_path)
    assert admin.returncode == 0, admin.stderr
    forged_line = '{"time": "2026-01-01T00:00:00.000Z", "level": "INFO", "logger": "toudai.auth", "message": "ok"}'
    forged = f"{_part({'alg': 'HS256' + chr(10) + forged_line, 'kid': 'k1'})}.{_part({'sub': 'x'})}.c2ln"
    with toudai_serve(f"sqlite:///{tmp_path}/t.db", log, "--jwt-key", f"k1={secret}", graceful_stop=True) as server:
        with grpc.insecure_channel(server.target) as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                stub.ListParties(pb.ListPartiesRequest(), metadata=(("authorization", f"Bearer {forged}"),))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            stub.ListParties(pb.ListPartiesRequest(), metadata=(("authorization", f"Bearer {admin.stdout.strip()}"),))
        assert server.stop() == 0
    records = _records(log)
    assert all({"time", "level", "logger"} <= r.keys() for r in records)
    assert not [r for r in records if r.get("message") == "ok"]
    (warning,) = [r for r in records if r["logger"] == "toudai.auth" and r["level"] == "WARNING"]
    assert "unauthenticated call to /toudai.v1.LedgerService/ListParties" in warning["message"]
    assert "'HS256\\n{" in warning["message"]  # the alg, quoted
    calls = [r for r in records if r["logger"] == "toudai.access" and r["method"].startswith("/toudai.")]
    access = [(r["status"], r["principal"], r["role"]) for r in calls]  # (health checks answer without a token)
    assert access == [("UNAUTHENTICATED", None, None), ("OK", "ops.li", "admin")]
    assert any(r["logger"] == "toudai.server" and "toudai listening" in r["message"] for r in records)


def test_plaintext_off_loopback_is_refused_unless_behind_a_proxy(tmp_path: Path, secret: Path) -> None:
    port = free_port()
    serve = ["serve", "--listen", f"0.0.0.0:{port}", "--database-url", f"sqlite:///{tmp_path}/t.db"]
    refused = toudai(*serve, "--jwt-key", f"k1={secret}", env=cli_env(), cwd=tmp_path)
    assert refused.returncode == 1, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "refusing to serve 0.0.0.0" in message and "in plaintext" in message
    assert "--tls-cert" in message and "--tls-key" in message and "--plaintext-behind-proxy" in message
    assert not (tmp_path / "t.db").exists()  # refused before touching the database

    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [TOUDAI, *serve, "--jwt-key", f"k1={secret}", "--plaintext-behind-proxy"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            env=cli_env(),
            cwd=tmp_path,
        )
        try:
            wait_until_serving(f"127.0.0.1:{port}", process, log=log)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
    (warning,) = [r for r in _records(log) if r["level"] == "WARNING" and "PLAINTEXT" in r["message"]]
    assert "assumed to be protected elsewhere" in warning["message"] and f"0.0.0.0:{port}" in warning["message"]


def test_token_lifetime_flag_env_and_the_ttl_warning(tmp_path: Path, secret: Path) -> None:
    env = cli_env()
    key = f"k1={secret}"
    short = toudai("token", "--role", "admin", "--ttl", "24h", "--key", key, env=env, cwd=tmp_path)
    assert short.returncode == 0 and "warning" not in short.stderr
    week = toudai("token", "--role", "admin", "--ttl", "7d", "--key", key, env=env, cwd=tmp_path)
    assert week.returncode == 0 and week.stdout.strip()
    warning = " ".join(week.stderr.split())
    assert "--ttl 7d is longer than the default maximum token lifetime (24h)" in warning
    assert "--max-token-lifetime 7d" in warning
    eight = toudai("token", "--role", "admin", "--ttl", "8d", "--key", key, env=env, cwd=tmp_path)
    served_env = {**env, "TOUDAI_MAX_TOKEN_LIFETIME": "7d"}
    log = tmp_path / "serve.log"
    with toudai_serve(f"sqlite:///{tmp_path}/t.db", log, "--jwt-key", key, env=served_env) as server:
        listed = toudai(
            "--target", server.target, "--token", week.stdout.strip(), "party", "list", env=env, cwd=tmp_path
        )
        assert listed.returncode == 0, listed.stderr
        too_long = toudai(
            "--target", server.target, "--token", eight.stdout.strip(), "party", "list", env=env, cwd=tmp_path
        )
        assert too_long.returncode == 1 and "UNAUTHENTICATED" in too_long.stderr
        assert "maximum token lifetime of 7d" in " ".join(too_long.stderr.split())
    bad = toudai(
        "serve", "--database-url", f"sqlite:///{tmp_path}/u.db", "--jwt-key", key,
        env={**env, "TOUDAI_MAX_TOKEN_LIFETIME": "forever"}, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1 and "TOUDAI_MAX_TOKEN_LIFETIME" in bad.stderr
