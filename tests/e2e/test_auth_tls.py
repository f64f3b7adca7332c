"""TLS and mutual TLS through grpc credentials (server.auth.server_credentials), with generated certificates
(tests/pki.py)."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from server.auth import server_credentials
from tests.pki import make_pki
from tests.serving import serve_in_process
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    return make_pki(tmp_path)


def _list(target: str, credentials: grpc.ChannelCredentials | None) -> pb.ListPartiesResponse:
    channel = grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
    with channel:
        response: pb.ListPartiesResponse = ledger_pb2_grpc.LedgerServiceStub(channel).ListParties(
            pb.ListPartiesRequest(), timeout=5
        )
        return response


def test_tls_serves_verified_clients_only(tmp_path: Path, pki: dict[str, str]) -> None:
    ca = Path(pki["ca"]).read_bytes()
    with serve_in_process(tmp_path, server_credentials(pki["server_cert"], pki["server_key"])) as target:
        assert _list(target, grpc.ssl_channel_credentials(root_certificates=ca)) is not None
        with pytest.raises(grpc.RpcError) as plaintext:
            _list(target, None)
        assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls_requires_a_client_certificate(tmp_path: Path, pki: dict[str, str]) -> None:
    ca = Path(pki["ca"]).read_bytes()
    credentials = server_credentials(pki["server_cert"], pki["server_key"], pki["ca"])
    with serve_in_process(tmp_path, credentials) as target:
        with_cert = grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=Path(pki["client_key"]).read_bytes(),
            certificate_chain=Path(pki["client_cert"]).read_bytes(),
        )
        assert _list(target, with_cert) is not None
        with pytest.raises(grpc.RpcError) as anonymous:
            _list(target, grpc.ssl_channel_credentials(root_certificates=ca))
        assert anonymous.value.code() == grpc.StatusCode.UNAVAILABLE
