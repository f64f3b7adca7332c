"""How the `toudai` CLI shows results: stable JSON for scripts, rich tables for people.

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
from typing import Any

from rich.console import Console
from rich.table import Table

from clients.resources import Account, Balance, Commodity, Hold, Party, Transaction


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
    return value


def print_json(value: Any) -> None:
    """Write `value` as indented JSON to stdout (plain text, never wrapped or coloured)."""
    sys.stdout.write(json.dumps(jsonable(value), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        numeric = column in ("Balance", "Held", "Available", "Amount", "Captured", "Scale")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    return table


def _when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat()


def parties_table(parties: Iterable[Party]) -> Table:
    table = _table("Parties", "Party", "Name", "Kind", "Created")
    for p in parties:
        table.add_row(p.name, p.display_name, p.kind.value, _when(p.create_time))
    return table


def commodities_table(commodities: Iterable[Commodity]) -> Table:
    table = _table("Commodities", "Code", "Kind", "Scale", "Name")
    for c in commodities:
        table.add_row(c.code, c.kind.value, str(c.scale), c.display_name)
    return table


def accounts_table(accounts: Iterable[Account]) -> Table:
    table = _table("Accounts", "Account", "Type", "Commodity", "Must not go negative", "Name")
    for a in accounts:
        table.add_row(a.name, a.type.value, a.commodity, "yes" if a.must_not_go_negative else "", a.display_name)
    return table


def balances_table(balances: Iterable[Balance], title: str = "Balances") -> Table:
    table = _table(title, "Account", "Balance", "Held", "Available", "Commodity", "As of")
    for b in balances:
        table.add_row(
            b.account, str(b.balance), str(b.held), str(b.available), b.commodity, _when(b.as_of_date) or "now"
        )
    return table


def _posting_lines(transaction: Transaction) -> str:
    return "\n".join(
        f"{'Dr' if p.side.value == 'debit' else 'Cr'} {p.account} {p.amount} {p.commodity}"
        for p in transaction.postings
    )


def transactions_table(transactions: Iterable[Transaction], title: str = "Transactions") -> Table:
    table = _table(title, "Transaction", "Request id", "Value date", "Description", "Postings")
    for tx in transactions:
        description = tx.description
        if tx.reverses:
            description = f"{description} (reverses {tx.reverses})".strip()
        if tx.reversed_by:
            description = f"{description} (reversed by {tx.reversed_by})".strip()
        table.add_row(tx.name, tx.request_id, _when(tx.value_date), description, _posting_lines(tx))
    return table


def holds_table(holds: Iterable[Hold], title: str = "Holds") -> Table:
    table = _table(title, "Hold", "State", "Debit", "Credit", "Amount", "Captured", "Expires", "Capture")
    for h in holds:
        table.add_row(
            h.name,
            h.state.value,
            h.debit_account,
            h.credit_account,
            f"{h.amount} {h.commodity}",
            str(h.captured),
            _when(h.expire_time),
            h.capture_transaction,
        )
    return table


def show(console: Console, *tables: Table) -> None:
    for table in tables:
        console.print(table)
