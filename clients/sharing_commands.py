"""`toudai consent ...` and `toudai credit-data ...`: borrowers' consents to share their credit facts, and
the export of those facts for a credit-data platform with its audit trail (docs/credit-data.md)."""

from __future__ import annotations

import argparse
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from clients import cli_args, render
from clients.client import ToudaiClient
from clients.sharing_client import FORMATS, SCOPES, Consent, CreditDataClient, ExportEntry

EXPORT_HELP = """\
Export the credit facts of consenting borrowers (loans, repayments, days past due at each month end,
classification, defaults, write-offs, recoveries) to FILE, with a progress bar, and write the manifest
next to it as FILE.manifest.json (record count, SHA-256 of FILE, filters, the consents relied on, the
export's id and who made it). Refused whole when any borrower has no valid consent for the platform
covering the scopes asked for. Only the credit-data officer (role credit_data) and administrators may
export; every export is recorded (`toudai credit-data exports`). See docs/credit-data.md.
"""


def _consents(title: str, found: tuple[Consent, ...]) -> Table:
    table = render.titled(title)
    for column in ("Consent", "Branch", "Borrower", "Platform", "Scopes", "Signed", "Expires", "State", "By"):
        table.add_column(column, overflow="fold")
    for c in found:
        state = c.state + (f" from {c.revoked_date.isoformat()}" if c.revoked_date else "")
        table.add_row(
            c.name,
            c.branch,
            c.borrower_uscc,
            c.platform,
            ", ".join(c.scopes),
            c.signed_date.isoformat() if c.signed_date else "",
            c.expiry_date.isoformat() if c.expiry_date else "",
            state,
            c.recorded_by + (f" / revoked by {c.revoked_by}" if c.revoked_by else ""),
        )
    return table


def _exports(found: tuple[ExportEntry, ...]) -> Table:
    table = render.titled("Credit-data exports (newest first)")
    for column in ("Export", "When", "Who", "Platform", "Borrowers", "Range", "Records", "SHA-256"):
        table.add_column(column, overflow="fold")
    for e in found:
        table.add_row(
            e.name,
            e.create_time.isoformat(timespec="seconds") if e.create_time else "",
            f"{e.principal} ({e.role})",
            e.platform,
            ", ".join(e.borrower_usccs),
            f"{e.from_date} → {e.to_date}",
            str(e.record_count),
            e.sha256[:16] + "…",
        )
    return table


def _emit(args: argparse.Namespace, console: Console, data: object, table: Table) -> int:
    if args.json:
        render.print_json(data)
    else:
        render.show(console, table)
    return 0


def _record(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    sha = args.evidence_sha256
    if args.evidence_file:
        sha = hashlib.sha256(Path(args.evidence_file).read_bytes()).hexdigest()
    found = CreditDataClient(client).record_consent(
        args.branch,
        args.borrower,
        args.platform,
        args.scope or list(SCOPES),
        args.signed,
        args.expires,
        args.evidence_reference,
        sha or "",
        request_id=args.request_id,
    )
    return _emit(args, console, found, _consents("Consent recorded", (found,)))


def _revoke(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = CreditDataClient(client).revoke_consent(
        args.consent, revoked_date=args.date, reason=args.reason, request_id=args.request_id
    )
    return _emit(args, console, found, _consents("Consent revoked", (found,)))


def _show(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = CreditDataClient(client).consent(args.consent)
    return _emit(args, console, found, _consents(found.name, (found,)))


def _list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = CreditDataClient(client).consents(
        branch=args.branch or "", borrower_uscc=args.borrower or "", platform=args.platform or ""
    )
    return _emit(args, console, found, _consents("Consents", found))


def _export(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    out = Path(args.out)
    stderr = Console(stderr=True)
    progress = Progress(
        TextColumn("exporting {task.fields[name]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeRemainingColumn(),
        console=stderr,
        disable=args.json or (not stderr.is_terminal and not os.environ.get("TOUDAI_PROGRESS")),
    )
    with progress:
        task = progress.add_task("export", total=None, name=out.name)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        result = CreditDataClient(client).export(
            args.platform,
            args.uscc,
            args.from_date,
            args.to_date,
            out,
            fmt=args.format,
            scopes=args.scope or (),
            progress=advance,
        )
    summary = {
        "file": str(result.file),
        "manifest": str(result.manifest_file),
        "export": result.export,
        "records": result.record_count,
        "sha256": result.sha256,
        "size_bytes": result.size_bytes,
        "consents": result.manifest.get("consents", []),
    }
    if args.json:
        render.print_json(summary)
    else:
        console.print(
            f"exported {result.record_count} records to {escape(str(out))} ({result.export})\n"
            f"manifest: {escape(str(result.manifest_file))}\nsha256:   {result.sha256}",
            highlight=False,
        )
    return 0


def _trail(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = CreditDataClient(client).exports(
        platform=args.platform or "", borrower_uscc=args.borrower or "", limit=args.limit or 0
    )
    return _emit(args, console, found, _exports(found))


def register(subparsers: Any, command: Callable[..., argparse.ArgumentParser], group: Callable[..., Any]) -> None:
    """Add `consent` and `credit-data` to the `toudai` parser (see clients.cli.COMMAND_MODULES)."""
    consent = group(subparsers, "consent", "borrowers' consents to share their credit facts (征信授权)")
    record = command(consent, "record", _record, "record a borrower's signed consent at a branch", mutation=True)
    record.add_argument("--branch", required=True, help="party id of the branch where the borrower signed")
    record.add_argument("--borrower", required=True, metavar="USCC", help="the borrower's unified social credit code")
    record.add_argument("--platform", required=True, help="the credit-data platform, e.g. zj-credit-platform")
    record.add_argument(
        "--scope", action="append", choices=list(SCOPES), help="what may be shared (repeatable; default: all)"
    )
    record.add_argument("--signed", required=True, type=cli_args.date, help="YYYY-MM-DD the borrower signed")
    record.add_argument("--expires", required=True, type=cli_args.date, help="YYYY-MM-DD, the last day it holds")
    record.add_argument("--evidence-reference", required=True, help="the signed form's reference (document id)")
    evidence = record.add_mutually_exclusive_group(required=True)
    evidence.add_argument("--evidence-sha256", help="lowercase hex SHA-256 of the signed form")
    evidence.add_argument("--evidence-file", metavar="FILE", help="the signed form's file (its SHA-256 is sent)")
    revoke = command(consent, "revoke", _revoke, "revoke a consent (it stays on record)", mutation=True)
    revoke.add_argument("consent", help="consents/{uuid} or the bare uuid")
    revoke.add_argument("--date", type=cli_args.date, help="from YYYY-MM-DD (default: today)")
    revoke.add_argument("--reason", default="", help="why (at most 500 characters)")
    show = command(consent, "show", _show, "one consent")
    show.add_argument("consent", help="consents/{uuid} or the bare uuid")
    listing = command(consent, "list", _list, "list consents, oldest first")
    listing.add_argument("--branch", help="only this branch's")
    listing.add_argument("--borrower", metavar="USCC", help="only this borrower's")
    listing.add_argument("--platform", help="only this platform's")

    sharing = group(subparsers, "credit-data", "export consented credit facts to a credit-data platform (征信共享)")
    exporting = command(sharing, "export", _export, "export borrowers' credit facts", description=EXPORT_HELP)
    exporting.add_argument("--platform", required=True, help="the platform the borrowers consented to")
    exporting.add_argument("--uscc", required=True, action="append", help="a borrower's USCC (repeatable, 1 to 1000)")
    exporting.add_argument("--from-date", required=True, type=cli_args.date, help="first day of the range")
    exporting.add_argument("--to-date", required=True, type=cli_args.date, help="last day of the range")
    exporting.add_argument("--format", choices=sorted(FORMATS), default="jsonl", help="jsonl (default) or csv")
    exporting.add_argument("--scope", action="append", choices=list(SCOPES), help="only these scopes (default: all)")
    exporting.add_argument(
        "--out", required=True, metavar="FILE", help="the file to write (manifest: FILE.manifest.json)"
    )
    trail = command(sharing, "exports", _trail, "the audit trail of exports, newest first")
    trail.add_argument("--platform", help="only exports for this platform")
    trail.add_argument("--borrower", metavar="USCC", help="only exports that included this borrower")
    trail.add_argument("--limit", type=cli_args.positive_int, help="at most this many (default 100)")
