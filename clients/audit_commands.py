"""`toudai export` and `toudai audit ...`: exports, the live feed, offline verification, reports.

`toudai audit verify FILE` runs entirely offline (no server is contacted): it needs only the exported
file and its manifest, FILE.manifest.json, which `toudai export` writes next to it. Exit codes follow
clients.cli; in addition `audit verify` and `audit verify-chain` exit 1 when they find any fault.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from audit import report as html_report
from audit.manifest import MANIFEST_VERSION
from audit.model import LegRow, PostingRow
from audit.verify import VerifyError, load_manifest, manifest_path, verify_export
from clients import cli_args, humanize, render
from clients.client import ToudaiClient
from clients.errors import from_rpc_error
from ledger.amounts import format_minor
from ledger.canonical import canonical_json
from toudai.v1 import audit_pb2 as pb
from toudai.v1 import audit_pb2_grpc as pb_grpc
from toudai.v1 import ledger_pb2

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_USAGE = 2

FORMATS = {"csv": pb.EXPORT_FORMAT_CSV, "jsonl": pb.EXPORT_FORMAT_JSONL, "beancount": pb.EXPORT_FORMAT_BEANCOUNT}

EXPORT_HELP = """\
Export the journal (every book, or the parties given) to FILE, with a progress bar, and write the
manifest next to it as FILE.manifest.json: counts, totals per party and commodity, each book's range and
chain head, the checkpoint over all books and the SHA-256 of FILE. `toudai audit verify FILE` checks both
offline. Formats: csv and jsonl carry every field of the hashed leg encoding; beancount is a Beancount v3
ledger (bean-check passes). See docs/audit.md.
"""


def _stub(client: ToudaiClient) -> Any:
    return client.stub(pb_grpc.AuditServiceStub)


def _metadata(client: ToudaiClient) -> tuple[tuple[str, str], ...]:
    return client.metadata


def _date(value: dt.date | None) -> Any:
    from google.type import date_pb2

    return None if value is None else date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _stream(call: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """Messages of a server stream; a failure becomes the client's typed error (exit codes in clients.cli)."""
    try:
        yield from call()
    except grpc.RpcError as error:
        raise from_rpc_error(error) from error


def leg_row(leg: pb.JournalLeg) -> LegRow:
    """A JournalLeg message back to the exported row (the same fields the hash covers)."""
    date = leg.value_date
    stamp = leg.record_time.ToDatetime(tzinfo=dt.UTC)
    return LegRow(
        book=leg.book,
        seq=leg.sequence,
        prev=leg.prev_hash,
        hash=leg.hash,
        tx=leg.transaction_id,
        request_id=leg.request_id,
        value_date=dt.date(date.year, date.month, date.day).isoformat() if date.year else "",
        recorded_at=stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if leg.HasField("record_time") else "",
        description=leg.description,
        metadata=dict(leg.metadata),
        reverses=leg.reverses or None,
        postings=tuple(PostingRow(p.account, p.commodity, p.amount_minor) for p in leg.postings),
        v=leg.encoding_version,
    )


# ---------------------------------------------------------------- export


def export(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    out = Path(args.out)
    request = pb.ExportJournalRequest(
        format=FORMATS[args.format],
        parties=args.party or [],
        accounts=args.account or [],
        from_sequence=args.from_seq or 0,
        to_sequence=args.to_seq or 0,
    )
    if args.date_from:
        request.value_date_from.CopyFrom(_date(args.date_from))
    if args.date_to:
        request.value_date_to.CopyFrom(_date(args.date_to))
    partial = out.with_name(out.name + ".partial")
    manifest: pb.ExportManifest | None = None
    stderr = Console(stderr=True)
    progress = Progress(
        TextColumn("exporting {task.fields[name]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("legs"),
        TimeRemainingColumn(),
        console=stderr,
        disable=args.json or (not stderr.is_terminal and not os.environ.get("TOUDAI_PROGRESS")),
    )
    messages = _stream(lambda: _stub(client).ExportJournal(request, metadata=_metadata(client)))
    with progress, partial.open("wb") as stream:
        task = progress.add_task("export", total=None, name=out.name)
        for message in messages:
            if message.data:
                stream.write(message.data)
            progress.update(task, completed=message.legs_exported, total=message.legs_total or None)
            if message.HasField("manifest"):
                manifest = message.manifest
    if manifest is None:
        partial.unlink(missing_ok=True)
        console.print("[bold red]error:[/] the export ended without its manifest; nothing written")
        return EXIT_FAULT
    partial.replace(out)
    manifest_file = manifest_path(out)
    manifest_file.write_text(manifest.json + "\n", encoding="utf-8")
    summary = {
        "file": str(out),
        "manifest": str(manifest_file),
        "format": args.format,
        "sha256": manifest.sha256,
        "size_bytes": manifest.size_bytes,
        "transactions": manifest.transaction_count,
        "legs": manifest.leg_count,
        "postings": manifest.posting_count,
        "checkpoint": manifest.checkpoint,
    }
    if args.json:
        render.print_json(summary)
    else:
        console.print(
            f"exported {manifest.leg_count} legs ({manifest.posting_count} postings, "
            f"{manifest.transaction_count} transactions) to {escape(str(out))}\n"
            f"manifest: {escape(str(manifest_file))}\nsha256:   {manifest.sha256}\ncheckpoint: {manifest.checkpoint}",
            highlight=False,
        )
    return EXIT_OK


# ---------------------------------------------------------------- follow


def _resume_positions(path: Path) -> dict[str, int]:
    """The last sequence per book already in the JSON Lines file `path`; a torn last line is cut off."""
    positions: dict[str, int] = {}
    if not path.exists():
        return positions
    good = 0
    with path.open("rb+") as stream:
        for line in stream:
            if not line.endswith(b"\n"):
                break
            row = json.loads(line)
            positions[row["book"]] = max(positions.get(row["book"], 0), int(row["seq"]))
            good += len(line)
        stream.truncate(good)
    return positions


def follow(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    request = pb.SubscribeJournalRequest(
        parties=args.party or [],
        start_sequence=args.from_seq or 0,
        cursor=args.cursor or "",
        stop_when_caught_up=args.once,
    )
    out_path = Path(args.out) if args.out else None
    if out_path is not None:
        # Resume after what the file already holds: whatever stopped the last run, no gap, no duplicate.
        for book, seq in sorted(_resume_positions(out_path).items()):
            request.after.append(pb.BookPosition(party=book, sequence=seq))
    out = out_path.open("ab") if out_path is not None else sys.stdout.buffer
    try:
        for message in _stream(lambda: _stub(client).SubscribeJournal(request, metadata=_metadata(client))):
            out.write(canonical_json(leg_row(message.leg).row()) + b"\n")
            out.flush()
    finally:
        if out_path is not None:
            out.close()
    return EXIT_OK


# ---------------------------------------------------------------- verify (offline)


def verify(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    path = Path(args.file)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        manifest = load_manifest(path, Path(args.manifest) if args.manifest else None)
        if not path.exists():
            raise VerifyError(f"{path} does not exist")
        result = verify_export(path, manifest)
    except VerifyError as error:
        errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        return EXIT_USAGE
    scales = {c["code"]: int(c["scale"]) for c in manifest.get("commodities", [])}
    if args.json:
        render.print_json(
            {
                "ok": result.ok,
                "format": result.format,
                "chain_checked": result.chain_checked,
                "complete": result.complete,
                "proven": result.proven,
                "not_proven": result.not_proven,
                "first_bad_sequence": result.first_bad,
                "legs": result.legs,
                "postings": result.postings,
                "transactions": result.transactions,
                "faults": [{"book": f.book, "seq": f.seq, "kind": f.kind, "message": f.message} for f in result.faults],
                "trial_balance": [  # decimal strings, as in every other --json output (not minor units)
                    {
                        "book": b,
                        "commodity": c,
                        "debits": format_minor(d, scales.get(c, 0)),
                        "credits": format_minor(k, scales.get(c, 0)),
                    }
                    for (b, c), (d, k) in result.trial_balance.items()
                ],
            }
        )
    else:
        for fault in result.faults:
            console.print(f"FAULT {escape(humanize.in_words(fault.text()))}", highlight=False, soft_wrap=True)
        table = verify_table(result.trial_balance, scales)
        if result.trial_balance:
            console.print(table)
        if result.ok:
            console.print(
                f"OK: {result.legs} legs, {result.postings} postings, {result.transactions} transactions "
                f"({result.format}, {'complete' if result.complete else 'not complete: filtered by account or date'})",
                highlight=False,
            )
            for line in result.proven:
                console.print(f"proven: {escape(line)}", highlight=False, soft_wrap=True)
            for line in result.not_proven:
                console.print(f"not proven: {escape(line)}", highlight=False, soft_wrap=True)
        else:
            console.print(
                f"FAILED: {len(result.faults)} fault(s); first bad sequence number: {result.first_bad or 'n/a'}",
                highlight=False,
            )
    if args.checkpoint or args.heads:  # against what the auditor obtained earlier (clients/checkpoint_commands.py)
        from clients.checkpoint_commands import check_against

        if not check_against(args, path, manifest, console):
            return EXIT_FAULT
    return EXIT_OK if result.ok else EXIT_FAULT


# ---------------------------------------------------------------- server-side checks


def verify_table(trial: Mapping[tuple[str, str], tuple[int, int]], scales: Mapping[str, int]) -> Table:
    """The trial balance `audit verify` re-derived from an export (minor units) as money, per book."""
    table = render.table(
        "Trial balance re-derived from the export",
        "Book",
        "Commodity",
        "Debits",
        "Credits",
        "Check",
        numeric=("Debits", "Credits"),
    )
    for (book, commodity), (debits, credits_) in trial.items():
        scale = scales.get(commodity, 0)
        table.add_row(
            humanize.party(book),
            commodity,
            humanize.minor(debits, scale),
            humanize.minor(credits_, scale),
            "ok" if debits == credits_ else "UNBALANCED",
        )
    return table


def trial_balance_table(response: pb.TrialBalanceResponse, as_of: dt.date | None) -> Table:
    """The server's trial balance: each party's debits and credits per commodity, right-aligned money."""
    table = render.table(
        f"Trial balance{' as of ' + as_of.isoformat() if as_of else ''}",
        "Party",
        "Commodity",
        "Debits",
        "Credits",
        "Check",
        numeric=("Debits", "Credits"),
    )
    for party in response.parties:
        for total in party.totals:
            table.add_row(
                humanize.party(party.party),
                total.commodity,
                humanize.amount(total.debit, places=_places(total.commodity)),
                humanize.amount(total.credit, places=_places(total.commodity)),
                "ok" if total.balanced else "UNBALANCED",
            )
    return table


def _places(commodity: str) -> int:
    """Decimal places shown at least: a currency's two; otherwise as many as the server's figure has."""
    return 2 if humanize.is_currency(commodity) else 0


def trial_balance(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    request = pb.TrialBalanceRequest(parties=args.party or [])
    if args.as_of:
        request.as_of_date.CopyFrom(_date(args.as_of))
    response = client.call(_stub(client), "TrialBalance", request)
    if args.json:
        render.print_json(
            {
                "as_of": args.as_of.isoformat() if args.as_of else None,
                "balanced": response.balanced,
                "parties": [
                    {
                        "party": p.party,
                        "balanced": p.balanced,
                        "totals": [
                            {"commodity": t.commodity, "debit": t.debit, "credit": t.credit, "balanced": t.balanced}
                            for t in p.totals
                        ],
                        "lines": [
                            {"account": x.account, "commodity": x.commodity, "debit": x.debit, "credit": x.credit}
                            for x in p.lines
                        ],
                    }
                    for p in response.parties
                ],
            }
        )
    else:
        console.print(trial_balance_table(response, args.as_of))
    return EXIT_OK if response.balanced else EXIT_FAULT


def verify_chain(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    request = pb.VerifyChainRequest(party=args.party, from_sequence=args.from_seq or 0, to_sequence=args.to_seq or 0)
    response = client.call(_stub(client), "VerifyChain", request)
    if args.json:
        render.print_json(
            {
                "party": response.party,
                "ok": response.ok,
                "legs_checked": response.legs_checked,
                "first_bad_sequence": response.first_bad_sequence,
                "faults": [{"seq": f.sequence, "kind": f.kind, "message": f.description} for f in response.faults],
                "head_sequence": response.head_sequence,
                "head_hash": response.head_hash,
            }
        )
    else:
        for fault in response.faults:
            console.print(f"FAULT seq {fault.sequence}: {fault.kind}: {escape(fault.description)}", highlight=False)
        state = "OK" if response.ok else f"FAILED (first bad sequence number: {response.first_bad_sequence})"
        console.print(
            f"{response.party}: {state}; {response.legs_checked} legs checked; "
            f"head {response.head_sequence} {response.head_hash}",
            highlight=False,
        )
    return EXIT_OK if response.ok else EXIT_FAULT


def head(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    response = client.call(_stub(client), "GetChainHead", pb.GetChainHeadRequest(parties=args.party or []))
    if args.json:
        render.print_json(
            {
                "heads": [{"party": h.party, "sequence": h.sequence, "hash": h.hash} for h in response.heads],
                "checkpoint": response.checkpoint,
                "read_time": response.read_time.ToDatetime(tzinfo=dt.UTC).isoformat(),
            }
        )
    else:
        table = render.titled("Chain heads")
        for column in ("Book", "Sequence", "Hash"):
            table.add_column(column)
        for h in response.heads:
            table.add_row(h.party, str(h.sequence), h.hash)
        console.print(table)
        console.print(f"checkpoint over all books: {response.checkpoint}", highlight=False)
    return EXIT_OK


# ---------------------------------------------------------------- HTML report


def report_data(client: ToudaiClient, as_of: dt.date) -> tuple[html_report.ReportData, bool]:
    """The figures of `toudai audit report --as-of DATE` (and whether every party balances).

    Every figure is as of the end of value date `as_of` (docs/audit.md, "As of a date"): the trial balance
    and the exposures from TrialBalance(as_of_date), the charts from GetBalanceHistory(as_of_date), whose
    last point is each account's balance at the end of `as_of`, the same as GetBalance(as_of_date).
    """
    stub = _stub(client)
    request = pb.TrialBalanceRequest()
    request.as_of_date.CopyFrom(_date(as_of))
    tb = client.call(stub, "TrialBalance", request)
    heads = client.call(stub, "GetChainHead", pb.GetChainHeadRequest())
    signed = client.call(stub, "GetCheckpoint", pb.GetCheckpointRequest())
    account_type = ledger_pb2.AccountType.Name
    trial: list[html_report.PartyTrial] = []
    exposure: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    option_accounts: list[str] = []
    pool_accounts: list[str] = []
    closing: dict[str, Decimal] = {}  # account → its balance at the end of `as_of`, on its normal side
    for party in tb.parties:
        party_id = party.party.removeprefix("parties/")
        kind = ledger_pb2.PartyKind.Name(party.kind)
        lines = []
        for line in party.lines:
            code = line.account.rsplit("/", 1)[-1]
            debit_minus_credit = Decimal(line.debit) - Decimal(line.credit)
            debit_normal = line.type in (ledger_pb2.ACCOUNT_TYPE_ASSET, ledger_pb2.ACCOUNT_TYPE_EXPENSE)
            closing[line.account] = debit_minus_credit if debit_normal else -debit_minus_credit
            lines.append(
                html_report.TrialLine(
                    code,
                    account_type(line.type).removeprefix("ACCOUNT_TYPE_").lower(),
                    line.commodity,
                    line.debit,
                    line.credit,
                )
            )
            if kind == "PARTY_KIND_BANK_BRANCH" and (code == "loans" or code.startswith("loans.")):
                entry = exposure[(party_id, line.commodity)]
                entry[0] += debit_minus_credit
                entry[1] += 1
            if code.startswith("options-fair-value"):
                option_accounts.append(line.account)
            if kind == "PARTY_KIND_RISK_POOL" and code == "cash":
                pool_accounts.append(line.account)
        trial.append(
            html_report.PartyTrial(
                party_id,
                party.display_name,
                kind.removeprefix("PARTY_KIND_").lower(),
                tuple(lines),
                tuple(html_report.TrialTotal(t.commodity, t.debit, t.credit, t.balanced) for t in party.totals),
                party.balanced,
            )
        )

    def series(accounts: list[str]) -> list[html_report.Series]:
        if not accounts:
            return []
        history = pb.GetBalanceHistoryRequest(accounts=accounts)
        history.as_of_date.CopyFrom(_date(as_of))
        found = client.call(stub, "GetBalanceHistory", history)
        out = []
        for h in found.histories:
            points = [
                (dt.date(p.value_date.year, p.value_date.month, p.value_date.day), Decimal(p.balance)) for p in h.points
            ]
            # The chart ends on the report's date at the as-of balance: a balance holds until the next
            # change, and the last change may be well before `as_of` (or none yet: the trial line's 0).
            if not points or points[-1][0] < as_of:
                points.append((as_of, points[-1][1] if points else closing[h.account]))
            label = h.account.removeprefix("parties/").replace("/accounts/", "/")
            out.append(html_report.Series(label, h.commodity, tuple(points)))
        return out

    data = html_report.ReportData(
        as_of=as_of,
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        trial=trial,
        exposures=[
            html_report.Exposure(branch, commodity, amount, count)
            for (branch, commodity), (amount, count) in sorted(exposure.items())
        ],
        option_values=series(option_accounts),
        pool_balances=series(pool_accounts),
        checkpoint=heads.checkpoint,
        signed_checkpoint=signed.signed_note,
        heads=tuple(html_report.BookHead(h.party.removeprefix("parties/"), h.sequence, h.hash) for h in heads.heads),
    )
    return data, bool(tb.balanced)


def report(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    data, balanced = report_data(client, args.as_of)
    out = Path(args.html)
    out.write_text(html_report.render_html(data), encoding="utf-8")
    if args.json:
        render.print_json({"file": str(out), "balanced": balanced, "manifest_version": MANIFEST_VERSION})
    else:
        console.print(f"wrote {escape(str(out))}", highlight=False)
    return EXIT_OK


# ---------------------------------------------------------------- registration


def register(subparsers: Any, command: Any, group: Any) -> None:
    """Add `export` and `audit ...` to the CLI (see clients.cli.COMMAND_MODULES)."""
    exporting = command(subparsers, "export", export, "export the journal for auditors", description=EXPORT_HELP)
    exporting.add_argument("--format", required=True, choices=sorted(FORMATS))
    exporting.add_argument(
        "--out", required=True, metavar="FILE", help="the file to write (manifest: FILE.manifest.json)"
    )
    exporting.add_argument("--party", action="append", metavar="PARTY", help="only this party's book (repeatable)")
    exporting.add_argument("--account", action="append", metavar="ACCOUNT", help="only legs touching this account")
    exporting.add_argument("--from-date", dest="date_from", type=cli_args.date, help="value date on or after")
    exporting.add_argument("--to-date", dest="date_to", type=cli_args.date, help="value date on or before")
    exporting.add_argument("--from-seq", type=cli_args.positive_int, help="first sequence number in each book")
    exporting.add_argument("--to-seq", type=cli_args.positive_int, help="last sequence number in each book")

    audit = group(subparsers, "audit", "audit: follow the journal, verify exports and chains, trial balances, reports")
    following = command(audit, "follow", follow, "print the journal as JSON Lines, following it live")
    following.add_argument("--from-seq", type=cli_args.positive_int, help="first sequence number in each book")
    following.add_argument("--from", dest="from_seq", type=cli_args.positive_int, help=argparse.SUPPRESS)  # deprecated
    following.add_argument("--party", action="append", metavar="PARTY", help="only this party's book (repeatable)")
    following.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (jsonl)")
    following.add_argument("--cursor", help="resume after the position of a cursor")
    following.add_argument("--out", metavar="FILE", help="append to FILE, resuming after the legs it already holds")
    following.add_argument("--once", action="store_true", help="stop when caught up instead of following")

    checking = command(audit, "verify", verify, "verify an export offline (no server): chains, manifest, balances")
    checking.add_argument("file", help="the exported .csv, .jsonl or .beancount file")
    checking.add_argument("--manifest", help="the manifest (default FILE.manifest.json)")
    from clients import checkpoint_commands

    checkpoint_commands.add_verify_options(checking)

    trial = command(audit, "trial-balance", trial_balance, "trial balance per party (every party sums to zero)")
    trial.add_argument("--as-of", type=cli_args.date, help="at the end of this value date (default: now)")
    trial.add_argument("--party", action="append", metavar="PARTY", help="only this party (repeatable)")

    chain = command(audit, "verify-chain", verify_chain, "recompute a book's hash chain on the server")
    chain.add_argument("party", help="party id or parties/{party}")
    chain.add_argument("--from-seq", type=cli_args.positive_int, help="first sequence number")
    chain.add_argument("--to-seq", type=cli_args.positive_int, help="last sequence number")

    heads = command(audit, "head", head, "chain heads and the checkpoint over all books")
    heads.add_argument("--party", action="append", metavar="PARTY", help="only this party's head (repeatable)")

    reporting = command(audit, "report", report, "write a self-contained HTML report with charts")
    reporting.add_argument("--as-of", required=True, type=cli_args.date, help="value date of the report")
    reporting.add_argument("--html", required=True, metavar="FILE", help="the HTML file to write")

    checkpoint_commands.register(audit, command)
