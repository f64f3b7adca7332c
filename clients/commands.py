"""The `toudai` subcommands that talk to a running server, one function each.

Every function takes the parsed arguments, a connected `ToudaiClient` and the console to print on, and
returns the exit code. Errors are not handled here: `clients.cli` turns a raised ToudaiError into the
right message and exit code, in one place.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clients import render
from clients.client import ToudaiClient
from clients.errors import NotFoundError, ToudaiError
from clients.postfile import load_transactions
from clients.resources import PostResult
from clients.suggest import as_flags, check_party, unknown_account, unknown_commodity
from clients.values import account_name

EXIT_OK = 0


def _emit(args: argparse.Namespace, console: Console, data: object, *tables: Table) -> int:
    """JSON when --json was given, tables otherwise."""
    if args.json:
        render.print_json(data)
    else:
        render.show(console, *tables)
    return EXIT_OK


# ---------------------------------------------------------------- parties


def party_create(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    party = client.create_party(args.id, display_name=args.name, kind=args.kind, request_id=args.request_id)
    return _emit(args, console, party, render.parties_table([party]))


def party_list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    parties = list(client.list_parties())
    return _emit(args, console, parties, render.parties_table(parties))


def party_get(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    party = client.get_party(args.id)
    return _emit(args, console, party, render.parties_table([party]))


# ---------------------------------------------------------------- commodities


def commodity_create(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    commodity = client.create_commodity(
        args.code, kind=args.kind, scale=args.scale, display_name=args.name, request_id=args.request_id
    )
    return _emit(args, console, commodity, render.commodities_table([commodity]))


def commodity_list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    commodities = client.list_commodities()
    return _emit(args, console, commodities, render.commodities_table(commodities))


# ---------------------------------------------------------------- accounts


def account_create(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    try:
        account = client.create_account(
            args.party,
            args.code,
            account_type=args.type,
            commodity=args.commodity,
            display_name=args.name,
            must_not_go_negative=args.must_not_go_negative,
            request_id=args.request_id,
        )
    except ToudaiError as error:
        if error.reason != "UNKNOWN_COMMODITY":
            raise
        raise as_flags(unknown_commodity(client, args.commodity, error), {"commodity": "--commodity"}) from None
    return _emit(args, console, account, render.accounts_table([account]))


def account_list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    accounts = list(client.list_accounts(party=args.party, commodity=args.commodity, account_type=args.type))
    if not accounts:
        check_party(client, args.party)
    return _emit(args, console, accounts, render.accounts_table(accounts))


def account_get(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    try:
        account = client.get_account(args.account)
    except NotFoundError as error:
        raise unknown_account(client, args.account, error) from None
    return _emit(args, console, account, render.accounts_table([account]))


# ---------------------------------------------------------------- posting


def _posted(args: argparse.Namespace, console: Console, result: PostResult) -> int:
    """The posted transactions and resulting balances; a retry of an earlier call says so first (the
    tables of a replay look like those of a new posting, and a clerk must know whether money moved)."""
    notes = [] if args.json else render.replay_notes(result)
    for note in notes:
        console.print(note, highlight=False, soft_wrap=True)
    everything = len(notes) == len(result.transactions)
    return _emit(
        args,
        console,
        result,
        render.transactions_table(result.transactions, "Already posted (a retry)" if everything else "Posted"),
        render.balances_table(result.balances, "Current balances" if everything else "Resulting balances"),
    )


def post(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    source = "<stdin>" if args.file == "-" else args.file
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    transactions = load_transactions(text, source)
    unnamed = [i for i, tx in enumerate(transactions) if tx.request_id is None]
    if unnamed:
        where = ", ".join(f"transactions[{i}]" for i in unnamed[:5]) + (" ..." if len(unnamed) > 5 else "")
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]warning:[/] {where} {'has' if len(unnamed) == 1 else 'have'} no request_id; "
            "posting this file again would book them again",
            highlight=False,
        )
    return _posted(args, console, client.post_transactions(transactions, view=args.view))


#: The transfer's request fields as its flags (the typed client debits --to first, then credits --from).
TRANSFER_FLAGS = {
    "transactions[0].postings[0].amount.commodity": "--commodity",
    "transactions[0].postings[1].amount.commodity": "--commodity",
    "transactions[0].postings[0].amount": "--amount",
    "transactions[0].postings[1].amount": "--amount",
    "transactions[0].postings[0]": "--to",
    "transactions[0].postings[1]": "--from",
    "transactions[0].value_date": "--date",
    "transactions[0].description": "--description",
    "transactions[0].request_id": "--request-id",
    "transactions[0]": "the transfer",
}


def transfer(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    try:
        result = client.post_transfer(
            args.from_account,
            args.to_account,
            args.amount,
            commodity=args.commodity,
            value_date=args.date,
            description=args.description,
            request_id=args.request_id,
        )
    except ToudaiError as error:
        raise _transfer_error(client, args, error) from None
    return _posted(args, console, result)


def _transfer_error(client: ToudaiClient, args: argparse.Namespace, error: ToudaiError) -> ToudaiError:
    """A refused transfer in the transfer's own words: the flag at fault (`--from`), not `postings[1]`, and
    for an account that does not exist the closest ones and how to open it."""
    if error.reason == "UNKNOWN_ACCOUNT":
        for flag, typed in (("--from", args.from_account), ("--to", args.to_account)):
            name = account_name(typed)
            if name in error.message or any(name in d for _, d in error.field_violations):
                found = unknown_account(client, typed, NotFoundError(error.code, "", reason=error.reason))
                guess = found.message.removeprefix("; ")
                guess = guess[:1].upper() + guess[1:]
                party, _, code = name.removeprefix("parties/").partition("/accounts/")
                return type(error)(
                    error.code,
                    f"{flag} {typed}: there is no account {party}/{code}. {guess + ' ' if guess else ''}"
                    f"A new account is opened with `toudai account create {party} {code} --type TYPE "
                    f"--commodity CODE`; `toudai account list --party {party}` lists the party's accounts.",
                    reason=error.reason,
                    metadata=error.metadata,
                )
    if error.reason == "UNKNOWN_COMMODITY" and args.commodity:
        error = unknown_commodity(client, args.commodity, error)
    return as_flags(error, TRANSFER_FLAGS)


def balance(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    try:
        balances = client.get_balances(args.accounts, as_of=args.as_of)
    except NotFoundError as error:
        missing = next((a for a in args.accounts if account_name(a) in error.message), None)
        raise (unknown_account(client, missing, error) if missing else error) from None
    return _emit(args, console, balances, render.balances_table(balances))


# ---------------------------------------------------------------- transactions


def tx_list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    key, value = args.meta if args.meta else (None, None)
    listing = client.list_transactions(
        party=args.party,
        account=args.account,
        value_date_from=args.date_from,
        value_date_to=args.date_to,
        metadata_key=key,
        metadata_value=value,
        page_size=min(args.limit, 1000) if args.limit else 0,
    )
    transactions = list(itertools.islice(listing, args.limit) if args.limit else listing)
    if not transactions:
        check_party(client, args.party)
    return _emit(args, console, transactions, render.transactions_table(transactions))


def tx_get(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    transaction = client.get_transaction(args.name)
    return _emit(args, console, transaction, render.transactions_table([transaction], "Transaction"))


def tx_reverse(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = client.reverse_transaction(
        args.name, value_date=args.date, description=args.description, request_id=args.request_id
    )
    return _emit(
        args,
        console,
        result,
        render.transactions_table([result.transaction], "Reversal"),
        render.balances_table(result.balances, "Resulting balances"),
    )


# ---------------------------------------------------------------- holds


def hold_create(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    hold = client.create_hold(
        args.debit,
        args.credit,
        args.amount,
        commodity=args.commodity,
        expires_in=args.expires_in,
        description=args.description,
        request_id=args.request_id,
    )
    return _emit(args, console, hold, render.holds_table([hold], "Hold created"))


def hold_capture(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = client.capture_hold(args.name, amount=args.amount, value_date=args.date, request_id=args.request_id)
    return _emit(
        args,
        console,
        result,
        render.holds_table([result.hold], "Hold captured"),
        render.transactions_table([result.transaction], "Posted"),
    )


def hold_void(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    hold = client.void_hold(args.name, request_id=args.request_id)
    return _emit(args, console, hold, render.holds_table([hold], "Hold voided"))


def hold_get(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    hold = client.get_hold(args.name)
    return _emit(args, console, hold, render.holds_table([hold], "Hold"))
