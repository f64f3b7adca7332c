"""`toudai audit checkpoint | prove | consistency | verify-proof` and `audit verify --checkpoint/--heads`.

Signed checkpoints and Merkle proofs (docs/audit.md, "Signed checkpoints", "The Merkle tree and proofs",
"Offline procedure"). `checkpoint`, `prove` and `consistency` ask the server; `verify-proof` and the
checkpoint options of `verify` run offline, with audit/checkpoint.py and audit/proofs.py only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from audit import checkpoint as cp
from audit import proofs
from clients import cli_args, render
from clients.client import ToudaiClient
from toudai.v1 import audit_pb2 as pb
from toudai.v1 import audit_pb2_grpc as pb_grpc

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_USAGE = 2


def _stub(client: ToudaiClient) -> Any:
    return client.stub(pb_grpc.AuditServiceStub)


def _err(message: str) -> None:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False)


def _write_json(document: dict[str, Any], out: str | None, console: Console) -> None:
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        console.print(f"wrote {escape(out)}", highlight=False)
    else:
        sys.stdout.write(text)


def checkpoint(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    """Fetch the signed checkpoint; with --out DIR, keep it there under a timestamped name."""
    response = client.call(_stub(client), "GetCheckpoint", pb.GetCheckpointRequest())
    note = response.signed_note
    keys = [cp.parse_vkey(k.vkey) for k in response.keys]
    parsed = cp.verify_note(note, keys)  # the server's own keys: a consistency check, not trust
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / cp.note_file_name(parsed)
        path.write_text(note, encoding="utf-8")
        keys_file = folder / cp.KEYS_FILE
        known = keys_file.read_text(encoding="utf-8").splitlines() if keys_file.exists() else []
        added = [k.vkey for k in keys if k.vkey not in known]
        if added:
            keys_file.write_text("".join(line + "\n" for line in [*known, *added] if line.strip()), encoding="utf-8")
        if args.json:
            render.print_json({"file": str(path), "keys": [k.vkey for k in keys], "checkpoint": response.checkpoint})
        else:
            console.print(f"wrote {escape(str(path))}", highlight=False)
        return EXIT_OK
    if args.json:
        render.print_json({"signed_note": note, "keys": [k.vkey for k in keys], "checkpoint": response.checkpoint})
    else:
        sys.stdout.write(note)
        for key in keys:
            console.print(f"key: {key.vkey}", highlight=False, soft_wrap=True)
    return EXIT_OK


def prove(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    request = pb.GetInclusionProofRequest(book=args.book, sequence=args.seq, tree_size=args.tree_size or 0)
    if args.checkpoint:
        request.checkpoint = cp.read_note(Path(args.checkpoint))
    r = client.call(_stub(client), "GetInclusionProof", request)
    _write_json(
        {
            "type": proofs.INCLUSION,
            "book": r.book,
            "seq": r.sequence,
            "tree_size": r.tree_size,
            "leaf_hash": proofs.b64(r.leaf_hash),
            "leg_hash": r.leg_hash,
            "path": [proofs.b64(p) for p in r.path],
            "root": proofs.b64(r.root),
        },
        args.out,
        console,
    )
    return EXIT_OK


def consistency(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    request = pb.GetConsistencyProofRequest(book=args.book, first_size=args.first, second_size=args.second or 0)
    r = client.call(_stub(client), "GetConsistencyProof", request)
    _write_json(
        {
            "type": proofs.CONSISTENCY,
            "book": r.book,
            "first_size": r.first_size,
            "second_size": r.second_size,
            "first_root": proofs.b64(r.first_root),
            "second_root": proofs.b64(r.second_root),
            "path": [proofs.b64(p) for p in r.path],
        },
        args.out,
        console,
    )
    return EXIT_OK


def _trusted_checkpoints(paths: list[str], keys: list[str]) -> list[cp.Checkpoint]:
    out = []
    for name in paths:
        path = Path(name)
        trusted = cp.trusted_keys(keys, path)
        if not trusted:
            raise cp.CheckpointError(f"no trusted key for {path}: pass --key VKEY (or keep {cp.KEYS_FILE} beside it)")
        out.append(cp.verify_note(cp.read_note(path), trusted))
    return out


def verify_proof(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    """Offline: a proof file against one or two signed checkpoints."""
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
        checkpoints = _trusted_checkpoints(args.checkpoint, args.key or [])
    except (OSError, ValueError) as error:  # CheckpointError and JSON errors are ValueErrors
        _err(str(error))
        return EXIT_USAGE
    roots: dict[str, dict[int, bytes]] = {}
    for checked in checkpoints:
        for book, tree in checked.books.items():
            roots.setdefault(book, {})[tree.size] = tree.root
    try:
        proved = proofs.check_proof(document, roots)
    except proofs.ProofError as error:
        if args.json:
            render.print_json({"ok": False, "fault": str(error)})
        else:
            console.print(f"FAILED: {escape(str(error))}", highlight=False, soft_wrap=True)
        return EXIT_FAULT
    if args.json:
        render.print_json({"ok": True, "proven": proved, "signed_by": [list(c.signed_by) for c in checkpoints]})
    else:
        signed = "; ".join(f"{c.time} signed by {', '.join(c.signed_by)}" for c in checkpoints)
        console.print(f"OK: {escape(proved)} ({escape(signed)})", highlight=False, soft_wrap=True)
    return EXIT_OK


def read_heads(path: Path) -> list[tuple[str, int, str]]:
    """Heads recorded earlier: `toudai audit head --json` output, or a manifest's checkpoint.books."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, dict) and isinstance(document.get("heads"), list):
        return [
            (str(h["party"]).removeprefix("parties/"), int(h["sequence"]), str(h["hash"])) for h in document["heads"]
        ]
    if isinstance(document, dict) and isinstance(document.get("checkpoint"), dict):
        return [(str(b), int(s), str(h)) for b, s, h in document["checkpoint"]["books"]]
    raise ValueError(f"{path}: expected `toudai audit head --json` output or a manifest")


def check_against(args: argparse.Namespace, path: Path, manifest: dict[str, Any], console: Console) -> bool:
    """`audit verify --checkpoint FILE --heads FILE`: the export against what the auditor got earlier."""
    try:
        earlier = _trusted_checkpoints([args.checkpoint], args.key or [])[0] if args.checkpoint else None
        heads = read_heads(Path(args.heads)) if args.heads else []
        trusted = cp.trusted_keys(args.key or [], Path(args.checkpoint) if args.checkpoint else None)
        result = cp.check_export(path, manifest, earlier, heads, trusted)
    except (OSError, ValueError, KeyError) as error:
        console.print(f"FAULT checkpoint: {escape(str(error))}", highlight=False, soft_wrap=True)
        return False
    for line in result.proven:
        console.print(escape(line), highlight=False, soft_wrap=True)
    for book, seq, message in result.faults:
        where = f"{book} seq {seq}: " if book else ""
        console.print(f"FAULT CHECKPOINT {escape(where + message)}", highlight=False, soft_wrap=True)
    if result.ok:
        console.print("OK: the export agrees with the earlier checkpoint/heads", highlight=False)
    else:
        book, seq, _ = result.faults[0]
        console.print(f"FAILED against the earlier checkpoint: first at book {book}, sequence {seq}", highlight=False)
    return result.ok


def add_verify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint", metavar="FILE", help="a signed checkpoint obtained earlier: prove the export extends it"
    )
    parser.add_argument("--heads", metavar="FILE", help="heads recorded earlier (`toudai audit head --json`)")
    parser.add_argument(
        "--key", action="append", metavar="VKEY", help="a trusted checkpoint key (C2SP vkey, or a file of them)"
    )


def register(audit: Any, command: Any) -> None:
    """Add the checkpoint and proof commands under `toudai audit`."""
    taking = command(
        audit, "checkpoint", checkpoint, "fetch the ledger's signed checkpoint (every book's root and head)"
    )
    taking.add_argument(
        "--out", metavar="DIR", help="write it to DIR/checkpoint-<time>.txt (and the keys to DIR/checkpoint.keys)"
    )
    proving = command(audit, "prove", prove, "an inclusion proof of one leg, as JSON")
    proving.add_argument("--book", required=True, help="party id or parties/{party}")
    proving.add_argument("--seq", required=True, type=cli_args.positive_int, help="the leg's sequence number")
    proving.add_argument("--tree-size", type=cli_args.positive_int, help="the tree size (default: the head)")
    proving.add_argument("--checkpoint", metavar="FILE", help="prove against this signed checkpoint's tree size")
    proving.add_argument("--out", metavar="FILE", help="write the proof here (default: standard output)")
    consistent = command(audit, "consistency", consistency, "a consistency proof between two tree sizes, as JSON")
    consistent.add_argument("--book", required=True, help="party id or parties/{party}")
    consistent.add_argument("--first", required=True, type=int, help="the earlier tree size")
    consistent.add_argument("--second", type=cli_args.positive_int, help="the later tree size (default: the head)")
    consistent.add_argument("--out", metavar="FILE", help="write the proof here (default: standard output)")
    checking = command(audit, "verify-proof", verify_proof, "check a proof offline against signed checkpoints")
    checking.add_argument("file", help="the proof (from `toudai audit prove` or `toudai audit consistency`)")
    checking.add_argument(
        "--checkpoint", action="append", required=True, metavar="FILE", help="a signed checkpoint (repeat for two)"
    )
    checking.add_argument(
        "--key", action="append", metavar="VKEY", help="a trusted checkpoint key (C2SP vkey, or a file of them)"
    )
