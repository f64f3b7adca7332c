"""TLS and mutual TLS through grpc credentials (server.auth.server_credentials), with generated certificates."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ledger import db
from ledger.store import Ledger
from server.app import create_server
from server.auth import server_credentials
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer.subject if issuer else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    ca_key = _key()
    ca = _cert("toudai test CA", ca_key, None, ca_key, ca=True)
    server_key, client_key = _key(), _key()
    server_cert = _cert("localhost", server_key, ca, ca_key, server=True)
    client_cert = _cert("branch-client", client_key, ca, ca_key)
    pem = serialization.Encoding.PEM
    return {
        "ca": _write(tmp_path / "ca.pem", ca.public_bytes(pem)),
        "server_cert": _write(tmp_path / "server.pem", server_cert.public_bytes(pem)),
        "server_key": _write(tmp_path / "server.key", _pem(server_key)),
        "client_cert": _write(tmp_path / "client.pem", client_cert.public_bytes(pem)),
        "client_key": _write(tmp_path / "client.key", _pem(client_key)),
    }


def _serve(tmp_path: Path, credentials: grpc.ServerCredentials) -> Iterator[str]:
    engines = db.create_engines(f"sqlite:///{tmp_path}/t.db")
    db.upgrade(engines.writer)
    server, port = create_server(Ledger(engines), "127.0.0.1:0", credentials=credentials)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(0).wait()
        engines.dispose()


def _list(target: str, credentials: grpc.ChannelCredentials | None) -> pb.ListPartiesResponse:
    channel = grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
    with channel:
        response: pb.ListPartiesResponse = ledger_pb2_grpc.LedgerServiceStub(channel).ListParties(
            pb.ListPartiesRequest(), timeout=5
        )
        return response


def test_tls_serves_verified_clients_only(tmp_path: Path, pki: dict[str, str]) -> None:
    ca = Path(pki["ca"]).read_bytes()
    for target in _serve(tmp_path, server_credentials(pki["server_cert"], pki["server_key"])):
        assert _list(target, grpc.ssl_channel_credentials(root_certificates=ca)) is not None
        with pytest.raises(grpc.RpcError) as plaintext:
            _list(target, None)
        assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls_requires_a_client_certificate(tmp_path: Path, pki: dict[str, str]) -> None:
    ca = Path(pki["ca"]).read_bytes()
    credentials = server_credentials(pki["server_cert"], pki["server_key"], pki["ca"])
    for target in _serve(tmp_path, credentials):
        with_cert = grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=Path(pki["client_key"]).read_bytes(),
            certificate_chain=Path(pki["client_cert"]).read_bytes(),
        )
        assert _list(target, with_cert) is not None
        with pytest.raises(grpc.RpcError) as anonymous:
            _list(target, grpc.ssl_channel_credentials(root_certificates=ca))
        assert anonymous.value.code() == grpc.StatusCode.UNAVAILABLE
