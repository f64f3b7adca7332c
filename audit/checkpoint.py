"""Signed checkpoints: every book's tree size, Merkle root and chain head in a C2SP signed note.

The note (https://github.com/C2SP/C2SP/blob/main/signed-note.md) is a text body followed by a blank line
and one signature line per key, `— <key name> <base64(key id || Ed25519 signature of the body)>`, where
the key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte public key). The body
(grammar in docs/audit.md, "Signed checkpoints"), each line ending in one newline:

    <origin>
    checkpoint <the chain checkpoint hash, 64 lowercase hex>
    time <RFC 3339 UTC instant, six fractional digits, Z>
    book <book id> <tree size = head sequence> <base64 Merkle root> <head chain hash, 64 hex>   (per book)

Books appear in code-point order, every book of the ledger, books with no legs as size 0, the empty
root (SHA-256 of nothing) and the genesis hash. A verifier key is given as the C2SP vkey string
`<name>+<key id hex>+<base64(0x01 || public key)>`.

`check_export` proves an export consistent with a checkpoint the auditor obtained earlier (docs/audit.md,
"Offline procedure"). Uses the standard library and `cryptography` only.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.proofs import EMPTY_ROOT, leg_leaf_hash, root_of

GENESIS = "0" * 64
EM_DASH = "\u2014"
ED25519 = 0x01
KEYS_ENV = "TOUDAI_CHECKPOINT_KEYS"
ORIGIN_ENV = "TOUDAI_CHECKPOINT_ORIGIN"
DEV_KEY_ENV = "TOUDAI_DEV_CHECKPOINT_KEY"
DEFAULT_DEV_KEY = "var/dev-checkpoint-key.pem"
DEFAULT_ORIGIN = "toudai.local/ledger"
DEV_KID = "dev-checkpoint"
KEYS_FILE = "checkpoint.keys"  # next to collected checkpoints: the vkeys they were fetched with

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ORIGIN = re.compile(r"^[\x21-\x7e]{1,200}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_BOOK_LINE = re.compile(r"^book ([^ ]+) (0|[1-9][0-9]*) ([A-Za-z0-9+/]{43}=) ([0-9a-f]{64})$")


class CheckpointError(ValueError):
    """A checkpoint that is malformed, unsigned by a trusted key, or that an export contradicts."""


# ---------------------------------------------------------------------- the body


@dataclass(frozen=True, slots=True)
class BookTree:
    size: int  # the head sequence: the tree has one leaf per leg 1..size
    root: bytes  # the Merkle root of those legs (32 bytes)
    head: str  # the chain hash of leg `size` (the genesis hash for 0)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    checkpoint: str  # the chain checkpoint hash over every book's head (docs/audit.md, "The checkpoint")
    time: str
    books: dict[str, BookTree]
    note: str = ""  # the signed note it was read from
    signed_by: tuple[str, ...] = field(default=())  # names of the trusted keys whose signatures verified

    def body(self) -> str:
        lines = [self.origin, f"checkpoint {self.checkpoint}", f"time {self.time}"]
        for book in sorted(self.books):
            tree = self.books[book]
            lines.append(f"book {book} {tree.size} {base64.b64encode(tree.root).decode()} {tree.head}")
        return "".join(line + "\n" for line in lines)

    def heads(self) -> list[tuple[str, int, str]]:
        return [(b, tree.size, tree.head) for b, tree in sorted(self.books.items())]


def chain_checkpoint(heads: Iterable[tuple[str, int, str]]) -> str:
    """docs/audit.md "The checkpoint": SHA-256 of canonical JSON {"books": [[book, seq, hash], ...], "v": 1}."""
    books = sorted([book, seq, head] for book, seq, head in heads)
    text = json.dumps({"v": 1, "books": books}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build(
    origin: str, heads: Iterable[tuple[str, int, str]], roots: Mapping[str, bytes], time: dt.datetime
) -> Checkpoint:
    """The checkpoint over `heads` (book, seq, hash) with each book's Merkle root at that size."""
    heads = list(heads)
    stamp = time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    books = {b: BookTree(s, roots.get(b, EMPTY_ROOT) if s else EMPTY_ROOT, h) for b, s, h in heads}
    return Checkpoint(origin, chain_checkpoint(heads), stamp, books)


def parse_body(body: str) -> Checkpoint:
    """The checkpoint in a note's body; CheckpointError names the first line that breaks the grammar."""
    if not body.endswith("\n"):
        raise CheckpointError("the checkpoint body must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has at least 3 lines: origin, checkpoint, time")
    origin = lines[0]
    if not _ORIGIN.match(origin):
        raise CheckpointError(f"line 1: not an origin: {origin!r}")
    if not lines[1].startswith("checkpoint ") or not _HEX64.match(lines[1][11:]):
        raise CheckpointError(f"line 2: expected 'checkpoint <64 hex>', got {lines[1]!r}")
    if not re.match(r"^time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", lines[2]):
        raise CheckpointError(f"line 3: expected 'time <RFC 3339 UTC>', got {lines[2]!r}")
    books: dict[str, BookTree] = {}
    for number, line in enumerate(lines[3:], start=4):
        found = _BOOK_LINE.match(line)
        if found is None:
            raise CheckpointError(f"line {number}: expected 'book <id> <size> <base64 root> <hex head>', got {line!r}")
        book, size, root, head = found.groups()
        if books and book <= max(books):
            raise CheckpointError(f"line {number}: books must be in code-point order, each once ({book})")
        books[book] = BookTree(int(size), base64.b64decode(root), head)
    checkpoint = Checkpoint(origin, lines[1][11:], lines[2][5:], books)
    if chain_checkpoint(checkpoint.heads()) != checkpoint.checkpoint:
        raise CheckpointError("the checkpoint hash does not match the books' heads listed")
    if checkpoint.body() != body:  # pragma: no cover - the grammar above is exact
        raise CheckpointError("the body is not in canonical form")
    return checkpoint


# ---------------------------------------------------------------------- keys and signatures


def key_id(name: str, public: bytes) -> bytes:
    """C2SP signed-note key id of an Ed25519 key."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public).digest()[:4]


@dataclass(frozen=True, slots=True)
class VerifierKey:
    name: str
    public: bytes  # 32 bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(bytes([ED25519]) + self.public).decode()}"


def parse_vkey(text: str) -> VerifierKey:
    """A C2SP verifier key `<name>+<hex id>+<base64(0x01 || public key)>`."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise CheckpointError(f"not a verifier key (name+id+key): {text!r}")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"verifier key {name}: the key is not base64") from None
    if len(raw) != 33 or raw[0] != ED25519:
        raise CheckpointError(f"verifier key {name}: only Ed25519 keys (type 0x01, 32 bytes) are supported")
    key = VerifierKey(name, raw[1:])
    if key.id.hex() != hex_id.lower():
        raise CheckpointError(f"verifier key {name}: the key id {hex_id} does not match the key")
    return key


@dataclass(frozen=True, slots=True)
class Signer:
    """A checkpoint signing key; its note key name is its kid."""

    kid: str
    private: Ed25519PrivateKey
    source: str = ""

    @property
    def verifier(self) -> VerifierKey:
        public = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return VerifierKey(self.kid, public)

    def signature_line(self, body: str) -> str:
        signature = self.private.sign(body.encode("utf-8"))
        return f"{EM_DASH} {self.kid} {base64.b64encode(self.verifier.id + signature).decode()}\n"


def sign(checkpoint: Checkpoint, signers: Sequence[Signer]) -> str:
    """The signed note: the body, a blank line, one signature line per signer."""
    body = checkpoint.body()
    return body + "\n" + "".join(s.signature_line(body) for s in signers)


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """(body, [(key name, key id, signature)]) of a signed note."""
    at = note.find("\n\n")
    if at < 0:
        raise CheckpointError("not a signed note: no blank line before the signatures")
    body, rest = note[: at + 1], note[at + 2 :]
    signatures = []
    if not rest.endswith("\n"):
        raise CheckpointError("not a signed note: the last signature line must end with a newline")
    for line in rest[:-1].split("\n"):
        found = re.match(rf"^{EM_DASH} ([^ +]+) ([A-Za-z0-9+/=]+)$", line)
        if found is None:
            raise CheckpointError(f"not a signature line: {line!r}")
        try:
            raw = base64.b64decode(found.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointError(f"signature of {found.group(1)}: not base64") from None
        if len(raw) < 5:
            raise CheckpointError(f"signature of {found.group(1)}: too short")
        signatures.append((found.group(1), raw[:4], raw[4:]))
    if not signatures:
        raise CheckpointError("the note has no signature")
    return body, signatures


def verify_note(note: str, trusted: Iterable[VerifierKey]) -> Checkpoint:
    """The checkpoint of `note` if a trusted key signed it; CheckpointError otherwise."""
    body, signatures = split_note(note)
    keys = {(k.name, k.id): k for k in trusted}
    good: list[str] = []
    for name, kid, signature in signatures:
        key = keys.get((name, kid))
        if key is None:
            continue  # a signature by a key the verifier does not know: ignored (signed-note.md)
        try:
            Ed25519PublicKey.from_public_bytes(key.public).verify(signature, body.encode("utf-8"))
        except InvalidSignature:
            raise CheckpointError(f"the signature of key {name} ({kid.hex()}) does not verify") from None
        good.append(name)
    if not good:
        names = ", ".join(f"{n} ({k.hex()})" for n, k, _ in signatures)
        raise CheckpointError(f"no signature by a trusted key (the note is signed by {names})")
    checkpoint = parse_body(body)
    return Checkpoint(checkpoint.origin, checkpoint.checkpoint, checkpoint.time, checkpoint.books, note, tuple(good))


def parse_key_spec(spec: str) -> tuple[str, Path]:
    """`[KID=]PATH` → (kid, path); without `KID=` the kid is the file name without its extension."""
    kid, sep, path = spec.partition("=")
    if not sep or not _NAME.match(kid):
        path, kid = spec, Path(spec).stem
    if not _NAME.match(kid):
        raise CheckpointError(f"key id {kid!r} (from {spec!r}) must be 1-64 characters of A-Z a-z 0-9 . _ -")
    return kid, Path(path)


def load_signer(spec: str) -> Signer:
    """A signer from `[KID=]FILE`, FILE an Ed25519 private key in PEM (PKCS #8)."""
    kid, path = parse_key_spec(spec)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise CheckpointError(f"cannot read the checkpoint key {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path}: a checkpoint key must be an Ed25519 private key")
    return Signer(kid, key, str(path))


def load_signers(specs: Iterable[str]) -> list[Signer]:
    signers: list[Signer] = []
    for spec in specs:
        signer = load_signer(spec)
        if any(s.kid == signer.kid for s in signers):
            raise CheckpointError(f"two checkpoint keys have the id {signer.kid!r}; name them KID=FILE")
        signers.append(signer)
    return signers


def specs_from_env(environ: Mapping[str, str] = os.environ) -> list[str]:
    """TOUDAI_CHECKPOINT_KEYS: `[KID=]FILE` entries separated by commas."""
    return [s.strip() for s in environ.get(KEYS_ENV, "").split(",") if s.strip()]


def ensure_dev_key(path: Path) -> Signer:
    """The development checkpoint key at `path`, created (mode 0600) when missing, with kid DEV_KID."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process created it first
        finally:
            draft.unlink()
    return load_signer(f"{DEV_KID}={path}")


def ephemeral_signer() -> Signer:
    """A key that lives as long as the process (tests, an in-process server without a configured key)."""
    return Signer(DEV_KID, Ed25519PrivateKey.generate(), "ephemeral")


# ---------------------------------------------------------------------- an export against a checkpoint


@dataclass(slots=True)
class ExportCheck:
    ok: bool
    proven: list[str]
    faults: list[tuple[str, int, str]]  # (book, seq, message), first first


def export_leg_hashes(path: Path, fmt: str, scales: Mapping[str, int]) -> dict[str, dict[int, str]]:
    """Book → sequence → chain hash of every leg in an export file (csv, jsonl or beancount)."""
    out: dict[str, dict[int, str]] = {}
    for book, seq, digest in _legs_of(path, fmt, scales):
        out.setdefault(book, {})[seq] = digest
    return out


def _legs_of(path: Path, fmt: str, scales: Mapping[str, int]) -> Iterator[tuple[str, int, str]]:
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    row = json.loads(line)
                    yield str(row["book"]), int(row["seq"]), str(row["hash"])
    elif fmt == "csv":
        with path.open(encoding="utf-8", newline="") as text:
            for row in csv.DictReader(text):
                yield row["book"], int(row["seq"]), row["hash"]
    elif fmt == "beancount":
        from audit.beancount_read import BeancountLeg, read_beancount

        with path.open(encoding="utf-8") as stream:
            for item in read_beancount(stream, dict(scales)):  # type: ignore[arg-type]
                if isinstance(item, BeancountLeg):
                    yield item.book, item.seq, item.hash
    else:
        raise CheckpointError(f"unknown export format {fmt!r}")


def check_export(
    path: Path,
    manifest: Mapping[str, Any],
    earlier: Checkpoint | None = None,
    heads: Sequence[tuple[str, int, str]] = (),
    trusted: Sequence[VerifierKey] = (),
) -> ExportCheck:
    """Prove that the export at `path` (already verified on its own) agrees with a checkpoint obtained
    earlier (`earlier`, its signature already verified) and with heads recorded earlier (`heads`).

    For every book of the earlier checkpoint with size m > 0: the export's leg m must have the checkpoint's
    head hash (the chain then ties legs 1..m to it), and when the export holds legs 1..m, the Merkle root of
    their leaves must be the checkpoint's root. A leg m that is not in the export is checked through the
    manifest's range ends (`prev_hash` at from_seq - 1, `head_hash` at to_seq) when one of them is m;
    otherwise it is reported as not proven. The manifest's own signed checkpoint (with `trusted` keys) must
    extend the earlier one: no book shrinks, and a book whose size did not change keeps its root and head.
    """
    fmt = str(manifest.get("format", ""))
    scales = {c["code"]: int(c["scale"]) for c in manifest.get("commodities", [])}
    legs = export_leg_hashes(path, fmt, scales)
    ends: dict[str, dict[int, str]] = {}
    for entry in manifest.get("books", []):
        known = ends.setdefault(entry["book"], {})
        known[int(entry["from_seq"]) - 1] = entry["prev_hash"]
        if int(entry["to_seq"]) >= int(entry["from_seq"]):
            known[int(entry["to_seq"])] = entry["head_hash"]
    faults: list[tuple[str, int, str]] = []
    proven: list[str] = []
    wanted: list[tuple[str, int, str, bytes | None, str]] = []
    if earlier is not None:
        label = f"the checkpoint signed at {earlier.time}"
        wanted += [(b, t.size, t.head, t.root, label) for b, t in sorted(earlier.books.items())]
    wanted += [(b, s, h, None, "the recorded heads") for b, s, h in heads]
    for book, size, head, root, label in wanted:
        if size == 0:
            continue
        mine = legs.get(book, {})
        found = mine.get(size, ends.get(book, {}).get(size))
        if found is None:
            proven.append(f"not proven: {book} leg {size} ({label}) is not in this export")
            continue
        if found != head:
            faults.append(
                (
                    book,
                    size,
                    f"{book}: leg {size} has hash {found} in the export, but {label} states {head}: the book was "
                    f"rewritten at or before sequence {size}",
                )
            )
            continue
        if root is not None and all(s in mine for s in range(1, size + 1)):
            computed = root_of([leg_leaf_hash(mine[s]) for s in range(1, size + 1)])
            if computed != root:
                faults.append((book, size, f"{book}: the Merkle root of legs 1..{size} differs from {label}"))
                continue
            proven.append(f"{book}: legs 1..{size} match {label} (chain head and Merkle root)")
        else:
            proven.append(f"{book}: leg {size} has the head hash in {label}, and the chain ties legs 1..{size} to it")
    note = manifest.get("signed_checkpoint")
    if earlier is not None and isinstance(note, str) and note and trusted:
        try:
            later = verify_note(note, trusted)
        except CheckpointError as error:
            faults.append(("", 0, f"the export's signed checkpoint: {error}"))
        else:
            for book, tree in sorted(earlier.books.items()):
                now = later.books.get(book)
                if now is None or now.size < tree.size or (now.size == tree.size and now.root != tree.root):
                    faults.append(
                        (book, tree.size, f"{book}: the export's signed checkpoint does not extend the earlier one")
                    )
    faults.sort(key=lambda f: (f[0], f[1]))
    return ExportCheck(not faults, proven, faults)


def read_note(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error}") from None


def trusted_keys(vkeys: Iterable[str], near: Path | None = None) -> list[VerifierKey]:
    """Verifier keys from `--key` values (a vkey or a file of vkeys, one a line) or, when none is given,
    from checkpoint.keys next to `near` (the keys recorded when the checkpoint was collected)."""
    texts: list[str] = []
    for value in vkeys:
        candidate = Path(value)
        if "+" not in value and candidate.exists():
            texts += [line for line in candidate.read_text(encoding="utf-8").splitlines() if line.strip()]
        else:
            texts.append(value)
    if not texts and near is not None and (near.parent / KEYS_FILE).exists():
        texts = [line for line in (near.parent / KEYS_FILE).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [parse_vkey(t) for t in texts]


def note_file_name(checkpoint: Checkpoint) -> str:
    """checkpoint-YYYYMMDDTHHMMSS.ffffffZ.txt, from the checkpoint's time (sorts by time)."""
    stamp = checkpoint.time.replace("-", "").replace(":", "")
    return f"checkpoint-{stamp}.txt"


def dump_keys(keys: Iterable[VerifierKey]) -> str:
    return "".join(k.vkey + "\n" for k in keys)
