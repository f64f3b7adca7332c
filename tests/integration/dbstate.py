"""Whole-database snapshots, to prove that a refused call changed nothing.

A snapshot holds, for every table in `ledger.schema.metadata`, its row count and all of its rows in
primary-key order, plus each book's chain head (head_seq, head_hash) and each account's running balance
row. `assert_unchanged` compares two snapshots and, when they differ, says exactly what moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledger import schema


@dataclass(frozen=True, slots=True)
class DbState:
    """Everything the ledger stores, as plain comparable values."""

    counts: dict[str, int]
    heads: dict[str, tuple[int, str]]
    balances: dict[str, tuple[int, int, int]]
    rows: dict[str, tuple[tuple[Any, ...], ...]]


def _order(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


def snapshot(engine: sa.Engine) -> DbState:
    """Read the whole ledger in one transaction."""
    counts: dict[str, int] = {}
    rows: dict[str, tuple[tuple[Any, ...], ...]] = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            counts[table.name] = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            rows[table.name] = tuple(tuple(r) for r in conn.execute(sa.select(table).order_by(*_order(table))))
        heads = {
            r.party_id: (int(r.head_seq), r.head_hash)
            for r in conn.execute(sa.select(schema.books).order_by(schema.books.c.party_id))
        }
        balances = {
            str(r.account_id): (int(r.posted), int(r.pending_debits), int(r.pending_credits))
            for r in conn.execute(sa.select(schema.balances).order_by(schema.balances.c.account_id))
        }
    return DbState(counts, heads, balances, rows)


def assert_unchanged(before: DbState, after: DbState, *, ignore: frozenset[str] = frozenset()) -> None:
    """Fail with a precise account of what changed between two snapshots (except in the tables `ignore`
    names, e.g. a request log that a call which changes nothing else still appends to)."""
    before_counts = {k: v for k, v in before.counts.items() if k not in ignore}
    after_counts = {k: v for k, v in after.counts.items() if k not in ignore}
    assert after_counts == before_counts, f"row counts changed: {_diff(before_counts, after_counts)}"
    assert after.heads == before.heads, f"book chain heads changed: {_diff(before.heads, after.heads)}"
    assert after.balances == before.balances, f"balances changed: {_diff(before.balances, after.balances)}"
    for table, rows in before.rows.items():
        if table in ignore:
            continue
        assert after.rows[table] == rows, f"rows of table {table} changed"


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    keys = sorted(before.keys() | after.keys())
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}
