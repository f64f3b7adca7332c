"""TLS and mutual TLS for the client side: PEM files in, gRPC channel credentials out.

`toudai serve --tls-cert/--tls-key` serves TLS and `--client-ca` adds mutual TLS (docs/security.md). A
client then needs the CA that signed the server's certificate (or the system's roots, for a server with a
publicly trusted certificate) and, for mutual TLS, its own certificate and key. Every file is read and
checked here, when the client is made, so that a wrong path or a certificate without its key is a clear
`TlsConfigError` naming the file, not an opaque handshake failure on the first call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import grpc

PathLike = str | os.PathLike[str]

#: The channel option that makes the client check the server's certificate against another name than the
#: target's host (e.g. when connecting by IP address to a certificate issued for a DNS name).
SERVER_NAME_OPTION = "grpc.ssl_target_name_override"


class TlsConfigError(ValueError):
    """The TLS settings cannot work: an unreadable or malformed file, or a certificate without its key."""


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """What a client needs to speak TLS to a toudai server.

    Attributes:
        ca: PEM file of the CA certificate(s) that signed the server's certificate; None: the system's roots.
        cert: PEM file of the client's certificate chain, for mutual TLS (needs `key`).
        key: PEM file of the client's private key (needs `cert`).
        server_name: the name to check the server's certificate against, instead of the target's host.
    """

    ca: PathLike | None = None
    cert: PathLike | None = None
    key: PathLike | None = None
    server_name: str | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        """gRPC channel credentials, or TlsConfigError saying which setting or file is wrong."""
        if bool(self.cert) != bool(self.key):
            given, missing = ("certificate", "key") if self.cert else ("key", "certificate")
            raise TlsConfigError(
                f"a TLS client {given} needs its {missing} as well: give both the client certificate "
                "(--tls-cert, tls_cert=) and its private key (--tls-key, tls_key=) for mutual TLS, or neither"
            )
        roots = _read(self.ca, "CA", ("-----BEGIN CERTIFICATE-----",)) if self.ca else None
        chain = _read(self.cert, "client certificate", ("-----BEGIN CERTIFICATE-----",)) if self.cert else None
        private = _read(self.key, "client key", ("PRIVATE KEY-----",)) if self.key else None
        return grpc.ssl_channel_credentials(root_certificates=roots, private_key=private, certificate_chain=chain)

    def channel_options(self) -> list[tuple[str, str]]:
        """Extra channel options: the server-name override, if any."""
        return [(SERVER_NAME_OPTION, self.server_name)] if self.server_name else []


def _read(path: PathLike, what: str, markers: tuple[str, ...]) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise TlsConfigError(f"cannot read the TLS {what} file {os.fspath(path)}: {reason}") from None
    if not any(marker.encode() in data for marker in markers):
        raise TlsConfigError(
            f"the TLS {what} file {os.fspath(path)} is not PEM: expected a block containing {markers[0]!r}"
        )
    return data
