"""End to end: `toudai serve` refuses to expose itself without keys; `toudai token` tokens work with the CLI.

Real processes: the server and every CLI call are subprocesses, with the environment the operator would
have (TOUDAI_* variables removed, except the ones a test sets).
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.serving import TOUDAI, cli_env, free_port, toudai_serve


def toudai(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TOUDAI, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
    )


def test_serve_without_keys_on_a_public_address_refuses_to_start(tmp_path: Path) -> None:
    result = toudai(
        "serve", "--listen", f"0.0.0.0:{free_port()}", "--database-url", f"sqlite:///{tmp_path}/t.db",
        env=cli_env(), cwd=tmp_path, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "without token keys" in result.stderr and "--jwt-key" in result.stderr
    assert not (tmp_path / "t.db").exists()  # refused before touching the database


@pytest.fixture
def dev_env(tmp_path: Path) -> dict[str, str]:
    return {**cli_env(), "TOUDAI_DEV_SECRET_FILE": str(tmp_path / "dev-jwt-secret")}


@contextmanager
def _serve(tmp_path: Path, env: dict[str, str], *extra: str) -> Iterator[str]:
    """`toudai serve` on an SQLite file in `tmp_path`, in `env`, its stderr in tmp_path/serve.log."""
    database_url = f"sqlite:///{tmp_path}/t.db"
    log = tmp_path / "serve.log"
    with toudai_serve(database_url, log, *extra, env=env, cwd=tmp_path, graceful_stop=True) as server:
        yield server.target


def test_development_tokens_from_toudai_token_work_with_the_cli(tmp_path: Path, dev_env: dict[str, str]) -> None:
    with _serve(tmp_path, dev_env) as target:
        assert "DEVELOPMENT MODE" in (tmp_path / "serve.log").read_text()
        created = toudai("--target", target, "party", "create", "bank-hz", "--name", "杭州", "--kind", "bank_branch",
                         env=dev_env, cwd=tmp_path)  # fmt: skip
        assert created.returncode == 0, created.stderr  # no token: the development administrator
        minted = toudai("token", "--role", "auditor", "--sub", "audit.li", env=dev_env, cwd=tmp_path)
        assert minted.returncode == 0, minted.stderr
        token = minted.stdout.strip()
        listed = toudai("--target", target, "--token", token, "party", "list", env=dev_env, cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert "bank-hz" in listed.stdout
        # TOUDAI_TOKEN works as well; an auditor writes nothing.
        as_auditor = {**dev_env, "TOUDAI_TOKEN": token}
        refused = toudai("--target", target, "party", "create", "bank-sh", "--name", "上海", "--kind", "bank_branch",
                         env=as_auditor, cwd=tmp_path)  # fmt: skip
        assert refused.returncode == 1 and "PERMISSION_DENIED" in refused.stderr
        # A presented token is always verified, even in development mode.
        forged = toudai("--target", target, "--token", token[:-4] + "AAAA", "party", "list", env=dev_env, cwd=tmp_path)
        assert forged.returncode == 1 and "UNAUTHENTICATED" in forged.stderr
        missing_branch = toudai("token", "--role", "branch", env=dev_env, cwd=tmp_path)
        assert missing_branch.returncode == 2 and "--branch" in missing_branch.stderr


def test_with_keys_a_token_is_required_and_keys_rotate_by_kid(tmp_path: Path) -> None:
    env = cli_env()
    old, new = tmp_path / "old.secret", tmp_path / "new.secret"
    old.write_text(secrets.token_urlsafe(48))
    new.write_text(secrets.token_urlsafe(48))
    # Both keys on the command line and in TOUDAI_JWT_KEYS would do; here the env names the old one.
    served_env = {**env, "TOUDAI_JWT_KEYS": f"2025={old},2026={new}"}
    with _serve(tmp_path, served_env) as target:
        assert "DEVELOPMENT MODE" not in (tmp_path / "serve.log").read_text()
        anonymous = toudai("--target", target, "party", "list", env=env, cwd=tmp_path)
        assert anonymous.returncode == 1 and "UNAUTHENTICATED" in anonymous.stderr
        for kid, path in (("2025", old), ("2026", new)):
            minted = toudai("token", "--role", "admin", "--key", f"{kid}={path}", env=env, cwd=tmp_path)
            assert minted.returncode == 0, minted.stderr
            listed = toudai(
                "--target", target, "--token", minted.stdout.strip(), "party", "list", env=env, cwd=tmp_path
            )
            assert listed.returncode == 0, listed.stderr
        unknown = toudai("token", "--role", "admin", "--key", f"2024={old}", env=env, cwd=tmp_path)
        rejected = toudai("--target", target, "--token", unknown.stdout.strip(), "party", "list", env=env, cwd=tmp_path)
        assert rejected.returncode == 1 and "no key with id '2024'" in rejected.stderr
