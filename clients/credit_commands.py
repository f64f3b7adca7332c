"""`toudai credit ...`: days past due and the five-category classification of loans (docs/credit.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from clients import cli_args, humanize, render
from clients.client import ToudaiClient
from clients.credit_client import CATEGORIES, CreditClient, LoanClassification, Override, override_name

CHINESE = {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"}


def _word(category: str) -> str:
    return f"{category} {CHINESE.get(category, '')}".strip()


def _classifications(title: str, found: tuple[LoanClassification, ...]) -> Table:
    table = render.titled(title)
    for column in ("Deal", "Days past due", "Category", "Reason"):
        table.add_column(column, justify="right" if column == "Days past due" else "left", overflow="fold")
    for c in found:
        table.add_row(c.deal.removeprefix("deals/"), str(c.days_past_due), _word(c.category), c.reason)
    return table


def _overrides(title: str, found: tuple[Override, ...]) -> Table:
    table = render.titled(title)
    for column in ("Override", "Category", "From", "Status", "Requested by", "Decided by", "Reason"):
        table.add_column(column, overflow="fold")
    for o in found:
        table.add_row(
            o.name,
            _word(o.category),
            o.effective_date.isoformat() if o.effective_date else "",
            o.status,
            o.requested_by,
            o.decided_by,
            o.reason,
        )
    return table


def _emit(args: argparse.Namespace, console: Console, data: object, table: Table) -> int:
    if args.json:
        render.print_json(data)
    else:
        render.show(console, table)
    return 0


def _classify(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    run = CreditClient(client).reclassify(args.branch, args.as_of, request_id=args.request_id)
    day = run.as_of.isoformat() if run.as_of else ""
    return _emit(args, console, run, _classifications(f"{run.run}: {args.branch} as of {day}", run.classifications))


def _show(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found, history = CreditClient(client).classification(args.deal, args.as_of)
    if args.json:
        render.print_json({"classification": found, "history": history})
        return 0
    day = found.as_of.isoformat() if found.as_of else ""
    rows = [
        ("Category", _word(found.category) + (" (non-performing)" if found.non_performing else "")),
        ("Days past due", str(found.days_past_due)),
        ("By days past due", _word(found.category_by_days)),
        ("Worst in the cure window", _word(found.category_by_cure_window)),
        ("Override in force", _word(found.override_category)),
        ("Defaulted", "yes" if found.impaired else "no"),
        ("Written off", "yes" if found.written_off else "no"),
        ("Reason", found.reason),
    ]
    table = render.fields(f"{found.deal} as of {day}", ())
    for row in rows:
        table.add_row(*row)
    for h in history:
        table.add_row(
            f"Recorded {h.as_of.isoformat() if h.as_of else ''}",
            f"{_word(h.category)}, {h.days_past_due} days ({h.run})",
        )
    render.show(console, table)
    return 0


def _override(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = CreditClient(client).request_override(
        args.deal, args.category, args.reason, args.effective, request_id=args.request_id
    )
    return _emit(args, console, found, _overrides("Override requested (another person approves it)", (found,)))


def _decide(approve: bool) -> Callable[[argparse.Namespace, ToudaiClient, Console], int]:
    def decide(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
        found = CreditClient(client).decide_override(
            override_name(args.deal, args.override), approve=approve, note=args.note, request_id=args.request_id
        )
        return _emit(args, console, found, _overrides(f"Override {found.status}", (found,)))

    return decide


def _impairment_table(run: dict[str, Any]) -> Table:
    day = run["as_of"].isoformat() if run["as_of"] else ""
    table = render.titled(
        f"{run['name']}: {run['branch']} as of {day} (tables {run['parameters']}); allowance "
        f"{humanize.amount(run['allowance'], 'CNY')}, change {humanize.amount(run['change'], 'CNY')}"
    )
    columns = ("Deal", "Days", "Stage", "PD", "LGD", "EAD", "Cover", "ECL", "Change")
    for column in columns:
        table.add_column(column, justify="left" if column == "Deal" else "right", overflow="fold")
    for line in run["lines"]:
        table.add_row(
            line["deal"].removeprefix("deals/"),
            str(line["days_past_due"]),
            str(line["stage"]),
            line["probability_of_default"],
            line["loss_given_default"],
            humanize.amount(line["exposure_at_default"]),
            line["cover"],
            humanize.amount(line["expected_credit_loss"]),
            humanize.amount(line["change"]),
        )
    return table


def _impairment(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    run = CreditClient(client).run_impairment(args.branch, args.as_of, request_id=args.request_id)
    return _emit(args, console, run, _impairment_table(run))


def _impairment_show(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    run = CreditClient(client).impairment_run(args.name)
    return _emit(args, console, run, _impairment_table(run))


def _list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = CreditClient(client).overrides(args.deal)
    return _emit(args, console, found, _overrides(f"Overrides of {args.deal}", found))


def register(subparsers: Any, command: Callable[..., argparse.ArgumentParser], group: Callable[..., Any]) -> None:
    """Add `credit` and its subcommands to the `toudai` parser (see clients.cli)."""
    credit = group(subparsers, "credit", "loan classification (五级分类): days past due, runs, manual overrides")
    classify = command(
        credit,
        "classify",
        _classify,
        "classify every open loan of a branch as of a date and record the run",
        mutation=True,
    )
    classify.add_argument("--branch", required=True, help="party id of the branch, e.g. bank-hz")
    classify.add_argument("--as-of", type=cli_args.date, help="YYYY-MM-DD (default: the server's business date)")
    show = command(credit, "show", _show, "one deal's classification as of a date, and the runs that recorded it")
    show.add_argument("deal", help="deal id or deals/{deal}")
    show.add_argument("--as-of", type=cli_args.date, help="YYYY-MM-DD (default: the server's business date)")
    override = command(
        credit, "override", _override, "ask to hold a loan at a category (another person approves)", mutation=True
    )
    override.add_argument("deal", help="deal id or deals/{deal}")
    override.add_argument("--category", required=True, choices=list(CATEGORIES), help="normal lifts an earlier one")
    override.add_argument("--reason", required=True, help="why (shown to the approver; at most 500 characters)")
    override.add_argument("--effective", type=cli_args.date, help="from YYYY-MM-DD (default: the business date)")
    for verb, approve in (("approve", True), ("reject", False)):
        decide = command(credit, verb, _decide(approve), f"{verb} a pending override (not your own)", mutation=True)
        decide.add_argument("deal", help="deal id or deals/{deal}")
        decide.add_argument("override", help="the override's number, or deals/{deal}/overrides/{n}")
        decide.add_argument("--note", default="", help="optional note")
    impairment = command(
        credit,
        "impairment",
        _impairment,
        "measure expected credit loss of a branch's loans and post the allowance change (贷款损失准备)",
        mutation=True,
    )
    impairment.add_argument("--branch", required=True, help="party id of the branch, e.g. bank-hz")
    impairment.add_argument("--as-of", type=cli_args.date, help="YYYY-MM-DD (default: the server's business date)")
    run = command(credit, "impairment-run", _impairment_show, "show a recorded impairment run with every input")
    run.add_argument("name", help="impairmentRuns/{uuid} or the bare uuid")
    listing = command(credit, "overrides", _list, "list a deal's overrides")
    listing.add_argument("deal", help="deal id or deals/{deal}")
