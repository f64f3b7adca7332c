"""`toudai value|round|captable|revalue`: option pricing for people and scripts, and ValuationService calls.

`value option`, `value warrant` and `value backsolve` compute **locally** with the same code the server
runs (`valuation.price_option`, `valuation.backsolve`): no server is needed, so a desk can price terms on a
laptop, and a script gets the same numbers the service would give. With `--json` they print one JSON
object whose figures are JSON numbers (float64, full precision); without it, a table.
Model input errors exit with 2 (usage) and name the field.

`value deal`, `value record|records`, `round record|list`, `captable show` and `revalue` call the server
(exit codes as for every command, see `toudai --help`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from clients import cli_args, humanize, render
from clients.client import ToudaiClient
from clients.value_client import ValuationClient

__all__ = ["register"]

EXIT_OK = 0
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace, ToudaiClient, Console], int]


def _usage_error(message: str) -> int:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return EXIT_USAGE


def _local(compute: Callable[[argparse.Namespace, Console], int]) -> Handler:
    """A handler that computes in-process: model errors are usage errors naming the field."""

    def handler(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
        from valuation.pricing import ValuationInputError  # numpy and scipy load only when a command prices

        try:
            return compute(args, console)
        except ValuationInputError as error:
            return _usage_error(f"{error.field}: {error.message}")

    return handler


def _figures_table(title: str, figures: Mapping[str, Any]) -> Table:
    table = render.titled(title)
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:.10g}" if isinstance(value, float) else str(value))
    return table


def _emit(args: argparse.Namespace, console: Console, data: Mapping[str, Any], *tables: Table) -> int:
    if args.json:
        render.print_json(data)
    else:
        render.show(console, *tables)
    return EXIT_OK


# ---------------------------------------------------------------- local pricing


def _option(args: argparse.Namespace, console: Console) -> int:
    from valuation.price_option import price_option

    priced = price_option(
        args.model,
        right=args.right,
        style=args.style,
        spot=args.spot,
        strike=args.strike,
        rate=args.rate,
        volatility=args.volatility,
        years=args.years,
        dividend_yield=args.dividend_yield,
        steps=args.steps,
        paths=args.paths,
        seed=args.seed,
    )
    data: dict[str, Any] = {"model": args.model, "engine": priced.engine, "price": priced.price}
    if args.model == "bsm":
        data.update(delta=priced.delta, gamma=priced.gamma, vega=priced.vega, theta=priced.theta, rho=priced.rho)
    if args.model == "mc":
        data.update(std_error=priced.std_error, paths=priced.paths)
    if args.model == "binomial":
        data.update(steps=priced.steps)
    title = f"{args.style.capitalize()} {args.right}, {priced.engine}"
    return _emit(args, console, data, _figures_table(title, data))


def _warrant(args: argparse.Namespace, console: Console) -> int:
    from valuation.price_option import price_option

    priced = price_option(
        "warrant",
        right="call",
        style="european",
        spot=args.spot,
        strike=args.strike,
        rate=args.rate,
        volatility=args.volatility,
        years=args.years,
        dividend_yield=args.dividend_yield,
        shares_outstanding=args.shares_outstanding,
        new_shares=args.new_shares,
    )
    data = {"engine": priced.engine, "price": priced.price}
    return _emit(args, console, data, _figures_table("Dilution-adjusted warrant (Galai-Schneller)", data))


def _load_document(path: str) -> Any:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".json"):
        return json.loads(text, parse_float=Decimal)
    return yaml.safe_load(text)


def _backsolve(args: argparse.Namespace, console: Console) -> int:
    from valuation.pricing import backsolve, parse_cap_table

    try:
        document = _load_document(args.cap_table)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        return _usage_error(f"cannot read {args.cap_table}: {error}")
    table = parse_cap_table(document)
    result = backsolve(table, args.class_name, args.price, rate=args.rate, volatility=args.volatility, years=args.years)
    data = {
        "class": args.class_name,
        "price": args.price,
        "equity_value": result.equity_value,
        "per_share": dict(result.per_share),
        "breakpoints": list(result.breakpoints),
    }
    summary = _figures_table(
        f"OPM backsolve: {args.class_name} at {args.price:g}", {"equity value": result.equity_value}
    )
    classes = render.titled("Value per share")
    classes.add_column("Class or pool")
    classes.add_column("Shares", justify="right")
    classes.add_column("Per share", justify="right")
    for name, value in result.per_share.items():
        classes.add_row(name, f"{table.shares_of(name):,.0f}", f"{value:.6f}")
    points = render.titled("Breakpoints (total equity value)")
    points.add_column("#", justify="right")
    points.add_column("Breakpoint", justify="right")
    for i, point in enumerate(result.breakpoints, 1):
        points.add_row(str(i), f"{point:,.2f}")
    return _emit(args, console, data, summary, classes, points)


# ---------------------------------------------------------------- server calls


def _valuation_table(valuations: list[dict[str, Any]], title: str) -> Table:
    table = render.titled(title)
    for column in ("Deal", "Engine", "Quantity", "Per share", "Fair value", "Change"):
        table.add_column(column, justify="right" if column not in ("Deal", "Engine") else "left")
    for v in valuations:
        table.add_row(
            v["deal"],
            v["engine"],
            f"{v['quantity']:,}",
            f"{Decimal(v['value_per_share']):.6f}",
            v["fair_value"],
            v["change"],
        )
    return table


def _deal(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    valuation = ValuationClient(client).value_deal(
        args.deal, as_of=args.as_of, volatility=args.volatility, rate=args.rate, exit_years=args.exit_years
    )
    inputs = render.titled("Inputs")
    inputs.add_column("Input")
    inputs.add_column("Value", overflow="fold")
    for key, value in valuation["inputs"].items():
        inputs.add_row(key, value)
    title = f"{valuation['deal']} as of {valuation['as_of']} ({valuation['code_version']})"
    return _emit(args, console, valuation, _valuation_table([valuation], title), inputs)


def _rounds_table(rounds: list[dict[str, Any]]) -> Table:
    table = render.titled("Funding rounds")
    for column in ("Date", "Class", "Price", "Shares issued", "Name"):
        table.add_column(column, justify="right" if column in ("Price", "Shares issued") else "left", overflow="fold")
    for r in rounds:
        table.add_row(
            r["round_date"],
            r["share_class"],
            humanize.amount(r["price_per_share"], places=2),
            f"{r['shares_issued']:,}",
            r["name"],
        )
    return table


def _cap_table(found: dict[str, Any]) -> Table:
    table = render.titled(f"Cap table of {found['company']} after the {found['round_date']} round")
    for column in ("Class or pool", "Shares", "Conversion", "Preference", "Seniority", "Participation", "Strike"):
        table.add_column(column, justify="right" if column in ("Shares", "Strike") else "left")
    for c in found["cap_table"]["classes"]:
        p = c.get("preference")
        participation = ""
        if p and p.get("participating"):
            participation = f"capped at {p['participation_cap']}×" if p.get("participation_cap") else "uncapped"
        table.add_row(
            c["name"],
            f"{c['shares']:,}",
            c.get("conversion_ratio", "1"),
            f"{p['price']} × {p.get('multiple', '1')}" if p else "",
            str(p.get("seniority", 1)) if p else "",
            participation,
            "",
        )
    for pool in found["cap_table"]["option_pools"]:
        table.add_row(pool["name"], f"{pool['shares']:,}", "", "", "", "", humanize.amount(pool["strike"], places=2))
    return table


def _round_record(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    try:
        document = _load_document(args.cap_table)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        return _usage_error(f"cannot read {args.cap_table}: {error}")
    if not isinstance(document, Mapping):
        return _usage_error(f"{args.cap_table} must hold a cap-table object (docs/valuation.md)")
    found = ValuationClient(client).record_round(
        args.company,
        round_date=args.date,
        share_class=args.class_name,
        price_per_share=args.price,
        shares_issued=args.shares_issued,
        cap_table=document,
        request_id=args.request_id,
    )
    return _emit(args, console, found, _rounds_table([found]), _cap_table(found))


def _round_list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    rounds = list(ValuationClient(client).list_rounds(args.company))
    if args.json:
        render.print_json(rounds)
        return EXIT_OK
    render.show(console, _rounds_table(rounds))
    return EXIT_OK


def _captable_show(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = ValuationClient(client).cap_table(args.company, args.as_of)
    return _emit(args, console, found, _rounds_table([found]), _cap_table(found))


def _revalue(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    valuation = ValuationClient(client)

    def call() -> dict[str, Any]:
        return valuation.revalue(
            args.as_of,
            volatility=args.volatility,
            rate=args.rate,
            exit_years=args.exit_years,
            request_id=args.request_id,
        )

    if args.json:
        result = call()
    else:
        with Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            progress.add_task(f"revaluing every open option right as of {args.as_of.isoformat()}", total=None)
            result = call()
    summary = _figures_table(
        f"Revaluation {result['name']} as of {result['as_of']}",
        {
            "deals valued": len(result["valuations"]),
            "deals skipped": len(result["skipped"]),
            "total fair value (CNY)": result["total_fair_value"],
            "total change posted (CNY)": result["total_change"],
            "transactions posted": result["transactions_posted"],
        },
    )
    tables = [summary, _valuation_table(result["valuations"], "Marks")]
    if result["skipped"]:
        skipped = render.titled("Skipped")
        skipped.add_column("Deal")
        skipped.add_column("Reason", overflow="fold")
        for s in result["skipped"]:
            skipped.add_row(s["deal"], s["reason"])
        tables.append(skipped)
    return _emit(args, console, result, *tables)


def _record_tables(found: dict[str, Any]) -> list[Table]:
    title = f"{found['name']} ({found['deal']} as of {found['as_of']}, {found['code_version']})"
    summary = _figures_table(
        title,
        {
            "engine": found["engine"],
            "value per share": found["value_per_share"],
            "quantity": f"{found['quantity']:,}",
            "fair value (CNY)": found["fair_value"],
            "rounding": found["rounding"],
            "change posted (CNY)": found["change"],
            "transaction": found["transaction"],
            "funding round": found["funding_round"],
            "N (shares outstanding)": found["shares_outstanding"] or "not used",
            "M (new shares)": found["new_shares"] or "not used",
            "dilution": found["dilution"],
            "breakpoints": ", ".join(found["breakpoints"]) or "not recorded",
            "participation": ", ".join(found["participation"]) or "not recorded",
        },
    )
    inputs = render.titled("Inputs")
    inputs.add_column("Input")
    inputs.add_column("Value", overflow="fold")
    for key, value in found["inputs"].items():
        inputs.add_row(key, value)
    return [summary, inputs]


def _record(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    found = ValuationClient(client).record(args.name)
    return _emit(args, console, found, *_record_tables(found))


def _records(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    if args.from_date and args.to_date and args.from_date > args.to_date:
        return _usage_error(f"--to-date {args.to_date} is before --from-date {args.from_date}")
    found = list(
        ValuationClient(client).records(
            deal=args.deal or "", from_date=args.from_date, to_date=args.to_date, revaluation=args.revaluation or ""
        )
    )
    if args.json:
        render.print_json(found)
        return EXIT_OK
    table = render.titled("Valuation records")
    for column in ("As of", "Deal", "Engine", "Per share", "Fair value", "Change", "Name"):
        table.add_column(column, justify="right" if column in ("Per share", "Fair value", "Change") else "left")
    for r in found:
        table.add_row(
            r["as_of"],
            r["deal"],
            r["engine"],
            f"{Decimal(r['value_per_share']):.6f}",
            r["fair_value"],
            r["change"],
            r["name"],
        )
    render.show(console, table)
    return EXIT_OK


# ---------------------------------------------------------------- registration


def _market_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spot", type=float, required=True, help="share price S")
    parser.add_argument("--strike", type=float, required=True, help="strike K per share")
    parser.add_argument("--rate", type=float, required=True, help="risk-free rate, continuous, e.g. 0.02")
    parser.add_argument("--volatility", type=float, required=True, help="annual volatility, e.g. 0.30")
    parser.add_argument("--years", type=float, required=True, help="years to expiry (ACT/365F)")
    parser.add_argument("--dividend-yield", type=float, default=0.0, help="continuous dividend yield (default 0)")


def _assumption_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--volatility", help="annual equity volatility (server default 0.50)")
    parser.add_argument("--rate", help="risk-free rate, continuous (server default 0.02)")
    parser.add_argument("--exit-years", help="years to the expected exit, the OPM's horizon (server default 3)")


def register(subparsers: Any, command: Callable[..., argparse.ArgumentParser], group: Callable[..., Any]) -> None:
    """Add `value`, `round`, `captable` and `revalue` to the `toudai` parser (see clients.cli)."""
    value = group(subparsers, "value", "price options and value deals' option rights")
    option = command(
        value,
        "option",
        _local(_option),
        "price an option locally: bsm (with greeks), binomial (CRR) or mc (Monte Carlo)",
    )
    option.add_argument("--model", choices=["bsm", "binomial", "mc"], required=True)
    option.add_argument("--right", choices=["call", "put"], default="call")
    option.add_argument("--style", choices=["european", "american"], default="european")
    _market_options(option)
    option.add_argument("--steps", type=cli_args.positive_int, help="binomial time steps (default 500)")
    option.add_argument("--paths", type=cli_args.positive_int, help="Monte Carlo paths (default 100,000)")
    option.add_argument("--seed", type=int, help="Monte Carlo seed (default 0)")

    warrant = command(value, "warrant", _local(_warrant), "price a dilution-adjusted warrant locally")
    warrant.add_argument("--shares-outstanding", type=float, required=True, help="N, shares before exercise")
    warrant.add_argument("--new-shares", type=float, required=True, help="M, new shares created on exercise")
    _market_options(warrant)

    solve = command(value, "backsolve", _local(_backsolve), "OPM backsolve of a cap table to a round price, locally")
    solve.add_argument("--cap-table", required=True, metavar="FILE", help="cap table, JSON or YAML (docs/valuation.md)")
    solve.add_argument("--class", dest="class_name", required=True, help="the class the price is for")
    solve.add_argument("--price", type=float, required=True, help="the round's price per share")
    solve.add_argument("--rate", type=float, required=True, help="risk-free rate, continuous")
    solve.add_argument("--volatility", type=float, required=True, help="annual equity volatility")
    solve.add_argument("--years", type=float, required=True, help="years to the expected exit")

    deal = command(value, "deal", _deal, "value one deal's option right on the server (posts nothing)")
    deal.add_argument("deal", help="deal id or deals/{deal}")
    deal.add_argument("--as-of", type=cli_args.date, help="valuation date (default: the server's business date)")
    _assumption_options(deal)

    stored = command(value, "record", _record, "a valuation record a revaluation stored (inputs, breakpoints, N, M)")
    stored.add_argument("name", help="revaluations/{uuid}/valuationRecords/{deal}")
    listed = command(value, "records", _records, "list valuation records, oldest first")
    listed.add_argument("--deal", help="deal id or deals/{deal}")
    listed.add_argument("--from-date", type=cli_args.date, help="valued on or after this date")
    listed.add_argument("--to-date", type=cli_args.date, help="valued on or before this date")
    listed.add_argument("--revaluation", help="revaluations/{uuid}")

    rounds = group(subparsers, "round", "funding rounds of the companies behind the option rights")
    record = command(rounds, "record", _round_record, "record a funding round with its cap table", mutation=True)
    record.add_argument("company", help="the company, as deals name it")
    record.add_argument("--date", type=cli_args.date, required=True, help="round date YYYY-MM-DD")
    record.add_argument("--class", dest="class_name", required=True, help="the class issued")
    record.add_argument("--price", required=True, help="price per share, exact decimal, e.g. 3.00")
    record.add_argument("--shares-issued", type=cli_args.positive_int, required=True, help="shares issued")
    record.add_argument("--cap-table", required=True, metavar="FILE", help="post-round cap table, JSON or YAML")
    listing = command(rounds, "list", _round_list, "list a company's rounds, oldest first")
    listing.add_argument("company")

    captable = group(subparsers, "captable", "cap tables")
    show = command(captable, "show", _captable_show, "the cap table of the latest round on or before a date")
    show.add_argument("company")
    show.add_argument("--as-of", type=cli_args.date, help="date (default today)")

    revalue = command(
        subparsers,
        "revalue",
        _revalue,
        "value every open option right and post the changes in fair value",
        mutation=True,
    )
    revalue.add_argument("--as-of", type=cli_args.date, required=True, help="date of the marks")
    _assumption_options(revalue)
