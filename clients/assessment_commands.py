"""`toudai assess ...`: record and read four-dimension assessments of tech companies (docs/assessment.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from clients import cli_args, render
from clients.assessment_client import Assessment, AssessmentClient
from clients.client import ToudaiClient

CHINESE = {"start_up": "初创期", "growth": "成长期", "mature": "成熟期"}


def _tier(tier: str) -> str:
    return f"{tier} {CHINESE.get(tier, '')}".strip()


def _one(a: Assessment) -> Table:
    day = a.as_of.isoformat() if a.as_of else ""
    table = render.titled(
        f"{a.name}: {a.borrower_uscc} as of {day} by {a.branch} (model {a.model_version}): "
        f"{a.total_score} → {_tier(a.tier)}"
    )
    for column in ("Indicator", "Value", "Points"):
        table.add_column(column, justify="left" if column == "Indicator" else "right", overflow="fold")
    for name, value in a.indicators.items():
        table.add_row(name, str(value), str(a.points.get(name, "")))
    for name, score in a.dimensions.items():
        table.add_row(f"[bold]{name}[/bold]", "", str(score))
    return table


def _many(title: str, found: tuple[Assessment, ...]) -> Table:
    table = render.titled(title)
    for column in ("Assessment", "As of", "Branch", "Model", "Total", "Tier", "Recorded by"):
        table.add_column(column, overflow="fold")
    for a in found:
        table.add_row(
            a.name,
            a.as_of.isoformat() if a.as_of else "",
            a.branch,
            a.model_version,
            str(a.total_score),
            _tier(a.tier),
            a.recorded_by,
        )
    return table


def _record(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = AssessmentClient(client).record(
        args.uscc,
        args.as_of,
        dict(args.indicator or []),
        branch=args.branch or "",
        model_version=args.model or "",
        request_id=args.request_id,
    )
    if args.json:
        render.print_json(found)
    else:
        render.show(console, _one(found))
    return 0


def _show(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = AssessmentClient(client).get(args.name)
    if args.json:
        render.print_json(found)
    else:
        render.show(console, _one(found))
    return 0


def _history(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = AssessmentClient(client).history(args.uscc, args.as_of, branch=args.branch or "")
    if args.json:
        render.print_json(found)
        return 0
    day = f" as of {args.as_of.isoformat()}" if args.as_of else ""
    in_force = f"; in force: {found.in_force.name} ({_tier(found.in_force.tier)})" if found.in_force else ""
    render.show(console, _many(f"Assessments of {args.uscc}{day}{in_force}", found.assessments))
    return 0


def register(subparsers: Any, command: Callable[..., argparse.ArgumentParser], group: Callable[..., Any]) -> None:
    """Add `assess` and its subcommands to the `toudai` parser (see clients.cli)."""
    assess = group(subparsers, "assess", "four-dimension assessments of tech companies (创新力 竞争力 进化力 影响力)")
    record = command(assess, "record", _record, "score a borrower and record the assessment", mutation=True)
    record.add_argument("--uscc", required=True, help="the borrower's unified social credit code")
    record.add_argument("--as-of", required=True, type=cli_args.date, help="YYYY-MM-DD: the date the figures describe")
    record.add_argument(
        "--indicator",
        action="append",
        type=cli_args.key_value,
        metavar="NAME=VALUE",
        help="one indicator, e.g. rd_intensity=0.08 (repeat for each; docs/assessment.md lists them)",
    )
    record.add_argument("--branch", help="party id of the assessing branch (branch staff: their own)")
    record.add_argument("--model", help="model version (default: the current one)")
    show = command(assess, "show", _show, "show a recorded assessment with every figure")
    show.add_argument("name", help="assessments/{uuid} or the bare uuid")
    history = command(assess, "history", _history, "a borrower's assessments, and the one in force on a date")
    history.add_argument("--uscc", required=True, help="the borrower's unified social credit code")
    history.add_argument("--as-of", type=cli_args.date, help="YYYY-MM-DD (default: all)")
    history.add_argument("--branch", help="party id of the assessing branch (default: every branch you may see)")
