"""`toudai insurance ...`: the insurer's claims on defaulted deals (科技保险理赔, docs/insurance.md)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

from clients import cli_args, render
from clients.client import ToudaiClient
from clients.insurance_client import STATUSES, InsuranceClaim, InsuranceClient


def _claims(title: str, found: Iterable[InsuranceClaim]) -> Table:
    table = render.titled(title)
    columns = ("Claim", "Insurer", "Branch", "Status", "Loss", "Rate", "Claimed", "Paid", "Decided by", "Reason")
    for column in columns:
        table.add_column(column, justify="right" if column in ("Loss", "Claimed", "Paid") else "left")
    for c in found:
        table.add_row(
            c.deal.removeprefix("deals/"),
            c.insurer,
            c.branch,
            c.status,
            f"{c.loss:,.2f}",
            c.rate,
            f"{c.amount:,.2f}",
            f"{c.settled:,.2f}",
            c.decided_by,
            c.reason,
        )
    return table


def _emit(args: argparse.Namespace, console: Console, data: object, table: Table) -> int:
    if args.json:
        render.print_json(data)
    else:
        render.show(console, table)
    return 0


def _show(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = InsuranceClient(client, principal=args.principal).get(args.deal)
    return _emit(args, console, found, _claims(found.name, (found,)))


def _list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    insurance = InsuranceClient(client, principal=args.principal)
    found = list(insurance.list(insurer=args.insurer, branch=args.branch, status=args.status))
    return _emit(args, console, found, _claims("Insurance claims", found))


def _approve(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = InsuranceClient(client, principal=args.principal).approve(args.deal, args.date, request_id=args.request_id)
    return _emit(args, console, found, _claims(f"{found.name} approved: posted in both books", (found,)))


def _reject(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = InsuranceClient(client, principal=args.principal).reject(args.deal, args.reason, request_id=args.request_id)
    return _emit(args, console, found, _claims(f"{found.name} rejected: nothing posted", (found,)))


def _settle(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    insurance = InsuranceClient(client, principal=args.principal)
    paid = insurance.settle(args.deal, args.amount, args.date, request_id=args.request_id)
    title = (
        f"{paid.claim.name}: paid {args.amount:,.2f} CNY, {paid.outstanding:,.2f} CNY still owed ({paid.transaction})"
    )
    return _emit(args, console, paid, _claims(title, (paid.claim,)))


def register(subparsers: Any, command: Callable[..., argparse.ArgumentParser], group: Callable[..., Any]) -> None:
    """Add `insurance` and its subcommands to the `toudai` parser (see clients.cli)."""
    insurance = group(subparsers, "insurance", "technology-insurance claims (科技保险理赔): approve, reject, pay")
    show = command(insurance, "show", _show, "one deal's insurance claim")
    show.add_argument("deal", help="deal id, deals/{deal} or insuranceClaims/{deal}")
    listing = command(insurance, "list", _list, "the insurance claims you may see")
    listing.add_argument("--insurer", default="", help="only this insurer's (party id)")
    listing.add_argument("--branch", default="", help="only this branch's (party id)")
    listing.add_argument("--status", default="", choices=["", *STATUSES], help="only claims in this status")
    approve = command(
        insurance, "approve", _approve, "approve a pending claim as the insurer (posts its share)", mutation=True
    )
    approve.add_argument("deal", help="deal id, deals/{deal} or insuranceClaims/{deal}")
    approve.add_argument("--date", type=cli_args.date, help="value date YYYY-MM-DD (default: the default's date)")
    reject = command(insurance, "reject", _reject, "reject a pending claim as the insurer", mutation=True)
    reject.add_argument("deal", help="deal id, deals/{deal} or insuranceClaims/{deal}")
    reject.add_argument("--reason", required=True, help="why (kept with the claim; at most 1,024 characters)")
    settle = command(insurance, "pay", _settle, "pay (part of) an approved claim into the bank's book", mutation=True)
    settle.add_argument("deal", help="deal id, deals/{deal} or insuranceClaims/{deal}")
    settle.add_argument("--amount", required=True, type=cli_args.cny, help="CNY, e.g. 100000.00")
    settle.add_argument("--date", type=cli_args.date, help="value date YYYY-MM-DD (default: the business date)")
    for parser in (show, listing, approve, reject, settle):
        parser.add_argument(
            "--as",
            dest="principal",
            default=os.environ.get("TOUDAI_PRINCIPAL"),
            help="who is acting, sent as x-toudai-principal to a development server (env TOUDAI_PRINCIPAL); "
            "with a token, the token says who acts",
        )
