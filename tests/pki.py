"""Throw-away certificates for TLS tests: a CA, a server certificate signed by it, a client certificate.

Used by the server's TLS tests (tests/e2e/test_auth_tls.py) and the client's (tests/e2e/test_client_tls.py).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOCAL_HOSTS = ("localhost", "127.0.0.1")


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    hosts: Sequence[str] = (),
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
    if hosts:
        builder = builder.add_extension(_san(hosts), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def make_pki(directory: Path, *, hosts: Sequence[str] = LOCAL_HOSTS, ca_name: str = "toudai test CA") -> dict[str, str]:
    """Write a CA, a server certificate for `hosts` and a client certificate (each signed by the CA) with
    their keys into `directory`; returns the paths: ca, server_cert, server_key, client_cert, client_key."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca = _cert(ca_name, ca_key, None, ca_key, ca=True)
    server_key, client_key = _key(), _key()
    server_cert = _cert(hosts[0] if hosts else "server", server_key, ca, ca_key, hosts=hosts)
    client_cert = _cert("branch-client", client_key, ca, ca_key)
    pem = serialization.Encoding.PEM
    return {
        "ca": _write(directory / "ca.pem", ca.public_bytes(pem)),
        "server_cert": _write(directory / "server.pem", server_cert.public_bytes(pem)),
        "server_key": _write(directory / "server.key", _pem(server_key)),
        "client_cert": _write(directory / "client.pem", client_cert.public_bytes(pem)),
        "client_key": _write(directory / "client.key", _pem(client_key)),
    }
