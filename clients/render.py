"""How the `toudai` CLI shows results: stable JSON for scripts, rich tables for people.

Tables are laid out for an 80-column terminal with the short names and the one amount and time style of
clients.humanize; `-o wide` shows full names and ids; `--json` always carries everything, unshortened.

JSON keys are the client dataclasses' field names, so they change only when the client's API does;
amounts are strings ("100.00") so that no JSON parser turns them into floats, dates are ISO 8601.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import sys
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clients import humanize
from clients.resources import Account, Balance, Commodity, Hold, Party, Posting, PostResult, Transaction


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data: dataclasses to objects, Decimal to exact strings, dates to ISO text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    return value


def print_json(value: Any) -> None:
    """Write `value` as indented JSON to stdout (plain text, never wrapped or coloured)."""
    sys.stdout.write(json.dumps(jsonable(value), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


#: Columns never wrapped: an account, an id or a date broken over two lines is misread or mis-copied; the
#: free-text columns (descriptions, names) give way instead.
KEEP_WHOLE = frozenset(
    {
        "Account",
        "Posting",
        "Debit / credit",
        "Tx",
        "Date / tx",
        "Value date",
        "Hold",
        "Deal",
        "Party",
        "Code",
        "Commodity",
    }
)


def table(title: str, *columns: str, numeric: Iterable[str] = ()) -> Table:
    """A table for an 80-column terminal: a header rule and no vertical borders (they cost two columns each),
    `numeric` columns right-aligned, text folded at word boundaries when it must wrap."""
    result = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    right = set(numeric)
    whole = not humanize.is_wide()  # full names (-o wide) are for copying: folded, never cut off with "…"
    for column in columns:
        justify: Literal["left", "right"] = "right" if column in right else "left"
        if whole and (column in right or column in KEEP_WHOLE):
            result.add_column(column, justify=justify, no_wrap=True)
        else:
            result.add_column(column, justify=justify, overflow="fold")
    return result


def titled(title: str) -> Table:
    """An empty table in the style of `table` (a header rule, no vertical borders) for callers that add
    their own columns (justification, folding, styles); every table the CLI prints looks the same."""
    return Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def fields(title: str, rows: Iterable[tuple[str, str]]) -> Table:
    """A two-column "field: value" table (one resource shown in detail); empty values are left out."""
    result = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    result.add_column("Field", style="bold", no_wrap=True)
    result.add_column("Value", overflow="fold")
    for key, value in rows:
        if value:
            result.add_row(key, value)
    return result


def parties_table(parties: Iterable[Party]) -> Table:
    result = table("Parties", "Party", "Name", "Kind", "Created")
    for p in parties:
        result.add_row(humanize.party(p.name), p.display_name, p.kind.value, humanize.when(p.create_time))
    return result


def commodities_table(commodities: Iterable[Commodity]) -> Table:
    result = table("Commodities", "Code", "Kind", "Scale", "Name", numeric=("Scale",))
    for c in commodities:
        result.add_row(c.code, c.kind.value, str(c.scale), c.display_name)
    return result


def accounts_table(accounts: Iterable[Account]) -> Table:
    result = table("Accounts", "Account", "Type", "Commodity", "Not negative", "Name")
    for a in accounts:
        result.add_row(
            humanize.account(a.name), a.type.value, a.commodity, "yes" if a.must_not_go_negative else "", a.display_name
        )
    return result


def balances_table(balances: Iterable[Balance], title: str = "Balances") -> Table:
    """Balance with its commodity, then held and available in the same commodity; the as-of date in the title
    (every row of one answer has the same one)."""
    rows = list(balances)
    dates = {b.as_of_date for b in rows}
    day = next(iter(dates)) if len(dates) == 1 else None
    title = f"{title} as of {day.isoformat()}" if day else (f"{title} now" if dates == {None} else title)
    result = table(title, "Account", "Balance", "Held", "Available", numeric=("Balance", "Held", "Available"))
    for b in rows:
        result.add_row(
            humanize.account(b.account),
            humanize.amount(b.balance, b.commodity),
            humanize.amount(b.held, b.commodity if not humanize.is_currency(b.commodity) else None),
            humanize.amount(b.available, b.commodity if not humanize.is_currency(b.commodity) else None),
        )
    return result


def _description(tx: Transaction) -> str:
    """The description, what it reverses or is reversed by, and the request id (dim) under it."""
    text = tx.description
    if tx.reverses:
        text = f"{text} (reverses {humanize.ident(tx.reverses)})".strip()
    if tx.reversed_by:
        text = f"{text} (reversed by {humanize.ident(tx.reversed_by)})".strip()
    request = f"[dim]{escape(tx.request_id)}[/dim]" if tx.request_id else ""
    return "\n".join(part for part in (escape(text), request) if part)


def transactions_table(transactions: Iterable[Transaction], title: str = "Transactions") -> Table:
    """One line per posting (Dr/Cr, account, amount); the transaction's value date over its short id, and its
    description over its request id, on its first lines. Account and amount columns never wrap; the
    description gives way."""
    result = table(title, "Date / tx", "Description", "Posting", "Amount", numeric=("Amount",))
    for tx in transactions:
        postings: list[Posting | None] = [*tx.postings] or [None]
        head = "\n".join(part for part in (humanize.when(tx.value_date), humanize.ident(tx.name)) if part)
        for i, p in enumerate(postings):
            first = i == 0
            posting = ""
            money = ""
            if p is not None:
                side = "Dr" if p.side.value == "debit" else "Cr"
                posting = f"{side} {humanize.account(p.account)}"
                money = humanize.amount(p.amount, p.commodity)
            result.add_row(
                head if first else "",
                _description(tx) if first else "",
                posting,
                money,
                end_section=i == len(postings) - 1,
            )
    return result


def holds_table(holds: Iterable[Hold], title: str = "Holds") -> Table:
    result = table(
        title, "Hold", "State", "Debit / credit", "Amount", "Captured", "Expires", numeric=("Amount", "Captured")
    )
    for h in holds:
        capture = f" -> {humanize.ident(h.capture_transaction)}" if h.capture_transaction else ""
        result.add_row(
            humanize.ident(h.name),
            f"{h.state.value}{capture}",
            f"Dr {humanize.account(h.debit_account)}\nCr {humanize.account(h.credit_account)}",
            humanize.amount(h.amount, h.commodity),
            humanize.amount(h.captured, None if humanize.is_currency(h.commodity) else h.commodity),
            humanize.when(h.expire_time),
        )
    return result


def replay_notes(result: PostResult) -> list[str]:
    """One line per transaction an earlier call had already posted: the clerk must see that no money moved."""
    return [
        f"{tx.request_id}: already posted at {humanize.when(tx.create_time)}, nothing changed "
        f"({humanize.ident(tx.name)})"
        for tx in result.transactions
        if result.is_replay(tx)
    ]


def show(console: Console, *tables: Table) -> None:
    for table in tables:
        console.print(table)
