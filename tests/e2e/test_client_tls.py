"""The client side of TLS and mutual TLS: `ToudaiClient(tls_ca=..., tls_cert=..., tls_key=...)` and the CLI's
`--tls-ca/--tls-cert/--tls-key/--tls-server-name` (and TOUDAI_TLS_*), against real servers on free ports
with certificates generated per test (tests/pki.py).

The servers are in-process (`create_server(..., credentials=...)`) except in the last test, which runs
`toudai serve --tls-cert --tls-key --client-ca` and the CLI as the processes an operator runs.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from clients import PartyKind, TlsConfigError, ToudaiClient, UnavailableError
from clients.cli import EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, main
from clients.deal_client import DealClient
from clients.exercise_client import ExerciseClient
from server.auth import server_credentials
from tests.pki import make_pki
from tests.serving import TOUDAI, cli_env, serve_in_process, toudai_serve

Pki = dict[str, str]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def other_pki(tmp_path: Path) -> Pki:
    """Another CA with its own server and client certificates: trusted by nobody here."""
    return make_pki(tmp_path / "other", ca_name="some other CA")


@pytest.fixture
def tls_server(tmp_path: Path, pki: Pki) -> Iterator[str]:
    with serve_in_process(tmp_path, server_credentials(pki["server_cert"], pki["server_key"])) as target:
        yield target


@pytest.fixture
def mtls_server(tmp_path: Path, pki: Pki) -> Iterator[str]:
    with serve_in_process(tmp_path, server_credentials(pki["server_cert"], pki["server_key"], pki["ca"])) as target:
        yield target


def _unreachable(**kwargs: Any) -> UnavailableError:
    """A client made with `kwargs` cannot complete a call: UNAVAILABLE, at once (no retries)."""
    with ToudaiClient(timeout=10, retries=0, **kwargs) as client, pytest.raises(UnavailableError) as caught:
        list(client.list_parties())
    return caught.value


# ---------------------------------------------------------------------- ToudaiClient


def test_client_over_tls_with_the_servers_ca(tls_server: str, pki: Pki, other_pki: Pki) -> None:
    with ToudaiClient(tls_server, tls_ca=pki["ca"]) as client:
        assert client.tls is not None
        client.create_party("bank-hz", display_name="杭州科技支行", kind=PartyKind.BANK_BRANCH, request_id="p-1")
        assert [p.party_id for p in client.list_parties()] == ["bank-hz"]
        # The other services' clients share the channel, and so its TLS.
        assert list(DealClient(client).list()) == []
        assert list(ExerciseClient(client).list()) == []
    # A CA that did not sign the server's certificate: the handshake fails, nothing is sent.
    wrong = _unreachable(target=tls_server, tls_ca=other_pki["ca"])
    assert "handshake" in wrong.message.lower() or "certificate" in wrong.message.lower(), wrong.message
    # Plaintext to a TLS port fails too.
    _unreachable(target=tls_server)


def test_server_name_override(tmp_path: Path) -> None:
    """A certificate for ledger.internal only: checked against that name when told, refused otherwise."""
    pki = make_pki(tmp_path / "pki", hosts=("ledger.internal",))
    with serve_in_process(tmp_path, server_credentials(pki["server_cert"], pki["server_key"])) as target:
        with ToudaiClient(target, tls_ca=pki["ca"], tls_server_name="ledger.internal") as client:
            assert list(client.list_parties()) == []
        _unreachable(target=target, tls_ca=pki["ca"])  # 127.0.0.1 is not in the certificate
        _unreachable(target=target, tls_ca=pki["ca"], tls_server_name="evil.example")


def test_mutual_tls_needs_the_client_certificate(mtls_server: str, pki: Pki, other_pki: Pki) -> None:
    with ToudaiClient(mtls_server, tls_ca=pki["ca"], tls_cert=pki["client_cert"], tls_key=pki["client_key"]) as client:
        assert list(client.list_parties()) == []
    _unreachable(target=mtls_server, tls_ca=pki["ca"])  # no client certificate
    # A client certificate the server's client CA did not sign.
    _unreachable(
        target=mtls_server, tls_ca=pki["ca"], tls_cert=other_pki["client_cert"], tls_key=other_pki["client_key"]
    )


def test_bad_tls_settings_are_clear_errors_before_any_call(tmp_path: Path, pki: Pki) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"tls_cert": pki["client_cert"]}, "certificate needs its key"),
        ({"tls_key": pki["client_key"]}, "key needs its certificate"),
        ({"tls_ca": str(tmp_path / "missing.pem")}, f"cannot read the TLS CA file {tmp_path / 'missing.pem'}"),
        (
            {"tls_ca": pki["ca"], "tls_cert": pki["client_cert"], "tls_key": str(tmp_path)},
            f"cannot read the TLS client key file {tmp_path}",
        ),
        ({"tls_ca": pki["client_key"]}, "is not PEM"),  # a key where the CA belongs
        ({"tls_cert": pki["client_key"], "tls_key": pki["client_key"]}, "client certificate file"),
    ]
    for kwargs, expected in cases:
        with pytest.raises(TlsConfigError) as caught:
            ToudaiClient("127.0.0.1:1", **kwargs)
        assert expected in str(caught.value), (kwargs, str(caught.value))
        assert isinstance(caught.value, ValueError)


# ---------------------------------------------------------------------- the CLI, in process


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_toudai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("TARGET", "TOKEN", "TLS", "TLS_CA", "TLS_CERT", "TLS_KEY", "TLS_SERVER_NAME")
    for name in names:
        monkeypatch.delenv(f"TOUDAI_{name}", raising=False)


@pytest.mark.usefixtures("no_toudai_env")
def test_cli_over_tls(tls_server: str, pki: Pki, other_pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(
        capsys, "--target", tls_server, "--tls-ca", pki["ca"], "party", "create", "bank-hz",
        "--name", "杭州科技支行", "--kind", "bank_branch", "--request-id", "p-1",
    )  # fmt: skip
    assert code == EXIT_OK, err
    # The options also go after the subcommand.
    code, out, err = _cli(capsys, "party", "list", "--json", "--target", tls_server, "--tls-ca", pki["ca"])
    assert code == EXIT_OK, err
    assert [p["party_id"] for p in json.loads(out)] == ["bank-hz"]
    code, _, err = _cli(capsys, "--target", tls_server, "--tls-ca", other_pki["ca"], "party", "list")
    assert code == EXIT_UNREACHABLE
    assert f"cannot reach toudai at {tls_server}" in err and "TLS: the handshake failed" in err, err
    code, _, err = _cli(capsys, "--target", tls_server, "party", "list")  # plaintext to a TLS port
    assert code == EXIT_UNREACHABLE
    assert "--tls-ca" in err, err


@pytest.mark.usefixtures("no_toudai_env")
def test_cli_over_mutual_tls_and_its_environment(
    mtls_server: str, pki: Pki, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tls = ("--tls-ca", pki["ca"], "--tls-cert", pki["client_cert"], "--tls-key", pki["client_key"])
    code, out, err = _cli(capsys, "--target", mtls_server, *tls, "party", "list", "--json")
    assert (code, json.loads(out)) == (EXIT_OK, []), err
    code, _, err = _cli(capsys, "--target", mtls_server, "--tls-ca", pki["ca"], "party", "list")
    assert code == EXIT_UNREACHABLE and "--tls-cert and --tls-key" in err, err
    # A certificate without its key is a usage error, before anything is sent.
    code, _, err = _cli(capsys, "--target", mtls_server, *tls[:4], "party", "list")
    assert code == EXIT_USAGE and "needs its key" in err, err
    code, _, err = _cli(capsys, "--target", mtls_server, "--tls-ca", "/nonexistent/ca.pem", "party", "list")
    assert code == EXIT_USAGE and "cannot read the TLS CA file /nonexistent/ca.pem" in err, err
    # TOUDAI_TLS_* stand in for the options.
    monkeypatch.setenv("TOUDAI_TARGET", mtls_server)
    monkeypatch.setenv("TOUDAI_TLS_CA", pki["ca"])
    monkeypatch.setenv("TOUDAI_TLS_CERT", pki["client_cert"])
    monkeypatch.setenv("TOUDAI_TLS_KEY", pki["client_key"])
    monkeypatch.setenv("TOUDAI_TLS_SERVER_NAME", "localhost")
    code, out, err = _cli(capsys, "party", "list", "--json")
    assert (code, json.loads(out)) == (EXIT_OK, []), err


# ---------------------------------------------------------------------- the processes an operator runs


def test_toudai_serve_with_mutual_tls_and_the_cli(tmp_path: Path, pki: Pki) -> None:
    env = {**cli_env(), "TOUDAI_DEV_SECRET_FILE": str(tmp_path / "dev-jwt-secret")}
    tls = ["--tls-cert", pki["server_cert"], "--tls-key", pki["server_key"], "--client-ca", pki["ca"]]
    health_credentials = grpc.ssl_channel_credentials(
        root_certificates=Path(pki["ca"]).read_bytes(),
        private_key=Path(pki["client_key"]).read_bytes(),
        certificate_chain=Path(pki["client_cert"]).read_bytes(),
    )
    database_url = f"sqlite:///{tmp_path}/t.db"
    with toudai_serve(
        database_url,
        tmp_path / "serve.log",
        *tls,
        env=env,
        cwd=tmp_path,
        health_credentials=health_credentials,
        graceful_stop=True,
    ) as server:
        target = server.target

        def toudai(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [TOUDAI, "--target", target, *args],
                capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path, check=False,
            )  # fmt: skip

        client_tls = ("--tls-ca", pki["ca"], "--tls-cert", pki["client_cert"], "--tls-key", pki["client_key"])
        created = toudai(*client_tls, "party", "create", "pool-zj", "--name", "浙江风险池", "--kind", "risk_pool")
        assert created.returncode == EXIT_OK, created.stderr
        listed = toudai(*client_tls, "party", "list", "--json")
        assert listed.returncode == EXIT_OK, listed.stderr
        assert [p["party_id"] for p in json.loads(listed.stdout)] == ["pool-zj"]
        anonymous = toudai("--tls-ca", pki["ca"], "party", "list")
        assert anonymous.returncode == EXIT_UNREACHABLE, anonymous.stderr
        assert "cannot reach toudai" in anonymous.stderr
