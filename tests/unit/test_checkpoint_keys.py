"""Checkpoint signing keys: `--checkpoint-key [KID=]FILE`, the development key, verifier keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import checkpoint as cp
from clients.cli import build_parser
from server.app import checkpoint_signers


def _pem(path: Path) -> Path:
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def test_configured_keys_sign_and_rotate(tmp_path: Path) -> None:
    old, new = _pem(tmp_path / "ckpt-2025.pem"), _pem(tmp_path / "k.pem")
    signers = checkpoint_signers([str(old), f"ckpt-2026={new}"])
    assert [s.kid for s in signers] == ["ckpt-2025", "ckpt-2026"]
    checkpoint = cp.build("example/log", [("b", 0, "0" * 64)], {}, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    note = cp.sign(checkpoint, signers)
    for signer in signers:  # each key alone is enough during a rotation
        key = cp.parse_vkey(signer.verifier.vkey)
        assert cp.verify_note(note, [key]).signed_by == (signer.kid,)
    with pytest.raises(cp.CheckpointError, match="two checkpoint keys"):
        checkpoint_signers([str(old), f"ckpt-2025={new}"])
    (tmp_path / "secret").write_text("not a key")
    with pytest.raises(cp.CheckpointError, match="cannot read"):
        checkpoint_signers([str(tmp_path / "secret")])


def test_the_development_key_is_created_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "var" / "dev-checkpoint-key.pem"
    monkeypatch.setenv(cp.DEV_KEY_ENV, str(path))
    first = checkpoint_signers([])
    assert path.stat().st_mode & 0o777 == 0o600
    assert [s.verifier.vkey for s in checkpoint_signers([])] == [s.verifier.vkey for s in first]
    assert first[0].kid == cp.DEV_KID


def test_serve_accepts_the_options() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--checkpoint-key",
            "k=a.pem",
            "--checkpoint-key",
            "b.pem",
            "--checkpoint-origin",
            "bank.example/ledger",
        ]
    )
    assert args.checkpoint_key == ["k=a.pem", "b.pem"] and args.checkpoint_origin == "bank.example/ledger"
