"""`toudai exercise ...`: the exercise workflow (SettlementService) for people and scripts.

    toudai exercise request DEAL --quantity N --method cash-and-sale --trigger qualifying-round --round NAME
    toudai exercise approve|reject|cancel NAME [--reason TEXT]
    toudai exercise settle NAME
    toudai exercise exit NAME --shares N --price P --date D       (shares kept after a net exercise sold)
    toudai exercise show NAME | list [--deal D] [--state S] | preview NAME
    toudai exercise expire-options --as-of D

Every subcommand takes `--as NAME` (env TOUDAI_PRINCIPAL): who is acting, sent as `x-toudai-principal`
metadata. The approval must come from someone other than the requester (four eyes), and only the
requester may cancel. `--json` prints the exercise as JSON (money as strings, e.g. "390000.00").
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from clients import cli_args, humanize, render
from clients.client import ToudaiClient
from clients.errors import InsufficientFundsError, NotFoundError, ToudaiError
from clients.exercise_client import METHODS, STATES, TRIGGERS, ExerciseClient

__all__ = ["register"]

EXIT_OK = 0

REQUEST_HELP = """\
Request the exercise of (part of) a deal's option right, as the investment arm. Holds are placed on the
option units and, for a cash exercise, on the strike in the arm's cash; nothing is posted until settle.

  --method cash-and-sale   pay the strike, sell the shares into the event at --price (default: the round's)
  --method net             keep shares worth the gain (Y·(A−B)/A), the fraction paid in cash
  --method transfer        sell the right to an incoming investor for --transfer-price

  --trigger qualifying-round|valuation-threshold need --round companies/{company}/fundingRounds/{id};
  --trigger ipo|merger need --price (the listing or deal price per share).
"""

SPLIT_LABELS = (
    ("gain", "Gain"),
    ("pool_reimbursement", "1. Risk pool reimbursed"),
    ("advisory_fee", "2. Bank advisory fee"),
    ("bank", "3. Bank share"),
    ("investment_arm", "3. Investment arm share"),
    ("risk_pool", "3. Risk pool share"),
)


def _grouped(amount: str) -> str:
    return humanize.amount(Decimal(amount), places=2)


def _per_share(amount: str) -> str:
    """A price per share in the one amount style: `25.00` and `10.00`, not `25.00` beside `10`."""
    return humanize.amount(Decimal(amount), places=2) if amount else ""


def _client(args: argparse.Namespace, client: ToudaiClient) -> ExerciseClient:
    return ExerciseClient(client, principal=args.principal)


def _fields(title: str, rows: Iterable[tuple[str, str]]) -> Table:
    return render.fields(title, rows)


def split_table(split: dict[str, str], title: str = "Split") -> Table:
    """The waterfall, in order, with each party's total."""
    table = render.table(title, "Step", "CNY", numeric=("CNY",))
    for key, label in SPLIT_LABELS:
        table.add_row(label, _grouped(split[key]))
    bank = Decimal(split["advisory_fee"]) + Decimal(split["bank"])
    pool = Decimal(split["pool_reimbursement"]) + Decimal(split["risk_pool"])
    table.add_section()
    table.add_row("To the bank", humanize.amount(bank, places=2))
    table.add_row("To the investment arm", _grouped(split["investment_arm"]))
    table.add_row("To the risk pool", humanize.amount(pool, places=2))
    return table


def exercise_tables(e: dict[str, Any]) -> list[Table]:
    rows = [
        ("State", e["state"]),
        ("Deal", humanize.ident(e["deal"])),
        ("Method", e["method"]),
        ("Quantity", f"{e['quantity']:,}"),
        ("Trigger", e["trigger"] + (f" ({e['funding_round']})" if e["funding_round"] else "")),
        ("Price per share", _per_share(e["price_per_share"])),
        ("Strike per share", _per_share(e["strike_per_share"])),
        ("Transfer price", _grouped(e["transfer_price"]) if e["method"] == "transfer" else ""),
        ("Fees", _grouped(e["fees"]) if Decimal(e["fees"]) else ""),
        ("Value date", e["value_date"]),
        ("Requested by", e["requested_by"]),
        ("Decided by", e["decided_by"]),
        ("Shares received", f"{e['shares_received']:,}" if e["shares_received"] else ""),
        ("Expires", humanize.when(e["expire_time"])),
    ]
    tables = [_fields(f"Exercise {humanize.ident(e['name'])}", rows)]
    history = render.table("History", "#", "From", "To", "Who", "When", "Why", "Tx", numeric=("#",))
    for number, step in enumerate(e["steps"], start=1):
        history.add_row(
            str(number),
            step["from_state"],
            step["to_state"],
            step["principal"],
            humanize.when(step["create_time"]),
            step["reason"],
            "\n".join(humanize.ident(t) for t in step["transactions"]),
        )
    tables.append(history)
    if e["split"] is not None:
        tables.append(split_table(e["split"]))
    return tables


def _show(args: argparse.Namespace, console: Console, exercise: dict[str, Any]) -> int:
    if args.json:
        render.print_json(exercise)
    else:
        render.show(console, *exercise_tables(exercise))
    return EXIT_OK


def _request(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    try:
        exercise = _client(args, client).request(
            args.deal,
            quantity=args.quantity,
            method=args.method,
            trigger=args.trigger,
            funding_round=args.round or "",
            price_per_share=str(args.price) if args.price is not None else "",
            transfer_price=args.transfer_price,
            fees=args.fees,
            value_date=args.date,
            request_id=args.request_id,
        )
    except InsufficientFundsError as error:
        raise _missing_cash(client, error) from None
    return _show(args, console, exercise)


def _missing_cash(client: ToudaiClient, error: InsufficientFundsError) -> ToudaiError:
    """A cash exercise's strike is held on the investment arm's `cash` account. The workflow opens the
    accounts it books to, but an empty account it has just opened cannot pay the strike, and the refusal
    rolls the opening back: the server's "has 0.00 CNY" then names an account that does not exist. Say
    so, and how to open and fund it."""
    holder_cash = next((s for _, s, _ in error.precondition_violations if s.endswith("/accounts/cash")), "")
    if not holder_cash:
        return error
    try:
        client.get_account(holder_cash)
        return error  # it exists: the server's shortfall message is the right one
    except NotFoundError:
        pass
    party = holder_cash.removeprefix("parties/").split("/accounts/", 1)[0]
    short = re.search(r"short by (\d+(?:\.\d+)?) CNY", error.message)
    strike = humanize.amount(Decimal(short.group(1)), "CNY") if short else "the strike"
    amount = short.group(1) if short else "AMOUNT"
    return type(error)(
        error.code,
        f"a cash exercise pays the strike ({strike}) from {party}/cash, and {party} has no such account. "
        f"Open it with `toudai account create {party} cash --type asset --commodity CNY --must-not-go-negative`, "
        f"fund it with `toudai transfer --from {party}/ACCOUNT --to {party}/cash --amount {amount} --date DATE` "
        "(dated today or earlier: the strike is held from today), then request the exercise again",
        reason=error.reason,
        metadata=error.metadata,
    )


def _decision(verb: str) -> Callable[[argparse.Namespace, ToudaiClient, Console], int]:
    def handler(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
        act = getattr(_client(args, client), verb)
        return _show(args, console, act(args.name, reason=args.reason, request_id=args.request_id))

    return handler


def _settle(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    return _show(args, console, _client(args, client).settle(args.name, request_id=args.request_id))


def _exit(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    exercise = _client(args, client).record_exit(
        args.name, shares=args.shares, price_per_share=str(args.price), value_date=args.date, request_id=args.request_id
    )
    return _show(args, console, exercise)


def _get(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    return _show(args, console, _client(args, client).get(args.name))


def _list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = list(_client(args, client).list(deal=args.deal or "", state=args.state or ""))
    if args.json:
        render.print_json(found)
        return EXIT_OK
    table = render.table(
        "Exercises",
        "Exercise",
        "Deal",
        "State",
        "Method",
        "Quantity",
        "Price",
        "Requested by",
        "Value date",
        numeric=("Quantity", "Price"),
    )
    for e in found:
        table.add_row(
            humanize.ident(e["name"]),
            humanize.ident(e["deal"]),
            e["state"],
            e["method"],
            f"{e['quantity']:,}",
            _per_share(e["price_per_share"]),
            e["requested_by"],
            e["value_date"],
        )
    render.show(console, table)
    return EXIT_OK


def _preview(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    preview = _client(args, client).preview(args.name)
    if args.json:
        render.print_json(preview)
        return EXIT_OK
    figures = render.titled(f"Preview of {preview['name']} (nothing posted)")
    figures.add_column("Figure")
    figures.add_column("Value", justify="right")
    figures.add_row("Proceeds (CNY)", _grouped(preview["proceeds"]))
    figures.add_row("Strike paid (CNY)", _grouped(preview["strike_paid"]))
    if preview["shares_received"]:
        figures.add_row("Shares received", f"{preview['shares_received']:,}")
        figures.add_row("Fraction paid in cash (CNY)", _grouped(preview["fraction_cash"]))
    figures.add_row("Gain (CNY)", _grouped(preview["gain"]))
    render.show(console, figures, split_table(preview["split"]))
    return EXIT_OK


def _expire(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = _client(args, client).expire_options(args.as_of, request_id=args.request_id)
    if args.json:
        render.print_json(result)
        return EXIT_OK
    table = render.titled(f"Rights lapsed as of {result['as_of']}")
    table.add_column("Deal")
    table.add_column("Units", justify="right")
    table.add_column("Fair value reversed (CNY)", justify="right")
    for item in result["lapsed"]:
        table.add_row(item["deal"], f"{item['units']:,}", _grouped(item["fair_value_reversed"]))
    render.show(console, table)
    return EXIT_OK


def _principal_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="principal",
        metavar="NAME",
        default=os.environ.get("TOUDAI_PRINCIPAL") or None,
        help="who is acting, sent as x-toudai-principal (env TOUDAI_PRINCIPAL)",
    )


def register(subparsers: Any, command: Callable[..., argparse.ArgumentParser], group: Callable[..., Any]) -> None:
    """Add `exercise` and its subcommands to the `toudai` parser (see clients.cli)."""
    exercise = group(subparsers, "exercise", "exercise option rights and split the proceeds (four eyes)")

    def sub(name: str, handler: Any, help_text: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser = command(exercise, name, handler, help_text, **kwargs)
        _principal_option(parser)
        return parser

    request = sub(
        "request",
        _request,
        "request an exercise (places holds, posts nothing)",
        mutation=True,
        description=REQUEST_HELP,
    )
    request.add_argument("deal", help="deal id or deals/{deal}")
    request.add_argument("--quantity", type=cli_args.positive_int, required=True, help="option units to exercise")
    request.add_argument("--method", choices=list(METHODS), required=True)
    request.add_argument("--trigger", choices=list(TRIGGERS), required=True)
    request.add_argument("--round", help="companies/{company}/fundingRounds/{id}, for round and valuation triggers")
    request.add_argument("--price", type=cli_args.amount, help="price per share (default: the round's)")
    request.add_argument("--transfer-price", type=cli_args.cny, help="transfer: the agreed price, CNY")
    request.add_argument("--fees", type=cli_args.cny, help="fees deducted from the proceeds, CNY")
    request.add_argument("--date", type=cli_args.date, help="value date YYYY-MM-DD (default: server's business date)")

    for verb, help_text in (
        ("approve", "approve a requested exercise (someone other than the requester)"),
        ("reject", "reject a requested exercise and release its holds"),
        ("cancel", "cancel your own requested exercise and release its holds"),
    ):
        parser = sub(verb, _decision(verb), help_text, mutation=True)
        parser.add_argument("name", help="exercises/{uuid} or the bare uuid")
        parser.add_argument("--reason", default="", help="why, for the record")

    settle = sub("settle", _settle, "settle an approved exercise: post the sale, the split and payments", mutation=True)
    settle.add_argument("name", help="exercises/{uuid} or the bare uuid")

    exit_ = sub("exit", _exit, "record the sale of shares kept after a net exercise; pays bank and pool", mutation=True)
    exit_.add_argument("name", help="exercises/{uuid} or the bare uuid")
    exit_.add_argument("--shares", type=cli_args.positive_int, required=True, help="shares sold")
    exit_.add_argument("--price", type=cli_args.amount, required=True, help="price per share")
    exit_.add_argument("--date", type=cli_args.date, required=True, help="value date YYYY-MM-DD")

    show = sub("show", _get, "show an exercise: state, history (who, when, why) and split")
    show.add_argument("name", help="exercises/{uuid} or the bare uuid")

    listing = sub("list", _list, "list exercises, oldest first")
    listing.add_argument("--deal", help="only this deal")
    listing.add_argument("--state", choices=list(STATES), help="only this state")

    preview = sub("preview", _preview, "the split settling an exercise would produce (posts nothing)")
    preview.add_argument("name", help="exercises/{uuid} or the bare uuid")

    expire = sub("expire-options", _expire, "lapse rights whose exercise window ended before a date", mutation=True)
    expire.add_argument("--as-of", type=cli_args.date, required=True, help="date YYYY-MM-DD")
