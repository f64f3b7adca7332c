"""Reading the transactions file of `toudai post` (YAML or JSON) into `TransactionInput`s.

    transactions:
      - request_id: dep-001
        value_date: 2026-11-26        # default: the server's business date
        description: Customer deposit
        metadata: {deal: D-1}
        postings:
          - {account: bank-hz/cash, debit: "100.00"}          # commodity optional
          - {account: bank-hz/deposits, credit: "100.00", commodity: CNY}

An amount must never pass through a binary float, and YAML would happily turn `100.10` into one. So
YAML is read with PyYAML's BaseLoader, which resolves no types at all (every scalar stays the text that
was written), and JSON with `parse_float=str`: `100.10` reaches the ledger as the characters "100.10",
whether or not the author quoted it. Every problem in the file is reported with its path, all at once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import yaml

from clients.inputs import PostingInput, TransactionInput
from clients.values import Side, to_decimal

TRANSACTION_KEYS = frozenset({"request_id", "value_date", "description", "metadata", "postings"})
POSTING_KEYS = frozenset({"account", "debit", "credit", "commodity"})


class PostFileError(ValueError):
    """The file cannot be read as transactions; `problems` lists every one found, with its path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def parse_document(text: str, *, json_syntax: bool) -> Any:
    """The document's structure with every number still as the text that was written."""
    if json_syntax:
        return json.loads(text, parse_float=str, parse_int=str)
    return yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader constructs nothing but str/list/dict


def syntax_problem(exc: Exception) -> str:
    """A YAML or JSON syntax error as a clerk reads it: the line and column and what is wrong there, without
    the parser's internals (`while scanning ...`, `in "<unicode string>"`)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", "") or "").strip()
    if "'\\t'" in problem or "\\t" in problem:
        problem = "a tab character: YAML indents with spaces only"
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}not valid YAML ({problem or 'a syntax error'})"


def load_transactions(text: str, source: str) -> list[TransactionInput]:
    """Transactions from the text of a YAML or JSON file (`source` names it in messages; *.json is JSON)."""
    try:
        document = parse_document(text, json_syntax=source.lower().endswith(".json"))
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PostFileError(source, [syntax_problem(exc)]) from exc
    problems: list[str] = []
    entries = document.get("transactions") if isinstance(document, Mapping) else document
    if not isinstance(entries, list) or not entries:
        raise PostFileError(source, ["expected a non-empty list under `transactions:`"])
    transactions = []
    for i, entry in enumerate(entries):
        transaction = _transaction(entry, f"transactions[{i}]", problems)
        if transaction is not None:
            transactions.append(transaction)
    if problems:
        raise PostFileError(source, problems)
    return transactions


def _transaction(entry: Any, path: str, problems: list[str]) -> TransactionInput | None:
    if not isinstance(entry, Mapping):
        problems.append(f"{path}: expected a mapping with postings")
        return None
    for key in sorted(set(entry) - TRANSACTION_KEYS):
        problems.append(f"{path}.{key}: unknown key (expected one of {', '.join(sorted(TRANSACTION_KEYS))})")
    value_date = None
    if entry.get("value_date") not in (None, ""):
        try:
            value_date = dt.date.fromisoformat(str(entry["value_date"]))
        except ValueError:
            problems.append(f"{path}.value_date: {entry['value_date']!r} is not a date (YYYY-MM-DD)")
    metadata = entry.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        problems.append(f"{path}.metadata: expected a mapping of keys to values")
        metadata = {}
    raw_postings = entry.get("postings")
    if not isinstance(raw_postings, list) or not raw_postings:
        problems.append(f"{path}.postings: expected a list of postings")
        raw_postings = []
    postings = [_posting(p, f"{path}.postings[{j}]", problems) for j, p in enumerate(raw_postings)]
    request_id = entry.get("request_id")
    return TransactionInput(
        postings=[p for p in postings if p is not None],
        request_id=str(request_id) if request_id not in (None, "") else None,
        value_date=value_date,
        description=str(entry.get("description") or ""),
        metadata={str(k): str(v) for k, v in metadata.items()},
    )


def _posting(entry: Any, path: str, problems: list[str]) -> PostingInput | None:
    if not isinstance(entry, Mapping):
        problems.append(f"{path}: expected a mapping such as {{account: bank-hz/cash, debit: '100.00'}}")
        return None
    for key in sorted(set(entry) - POSTING_KEYS):
        problems.append(f"{path}.{key}: unknown key (expected one of {', '.join(sorted(POSTING_KEYS))})")
    account = entry.get("account")
    if not isinstance(account, str) or not account:
        problems.append(f"{path}.account: missing")
    sides = [side for side in (Side.DEBIT, Side.CREDIT) if side.value in entry]
    if len(sides) != 1:
        problems.append(f"{path}: give exactly one of `debit` or `credit` with the amount")
        return None
    side = sides[0]
    amount = _amount(entry[side.value], f"{path}.{side.value}", problems)
    if amount is None or not isinstance(account, str) or not account:
        return None
    commodity = entry.get("commodity")
    return PostingInput(account, side, amount, str(commodity) if commodity else None)


def _amount(value: Any, path: str, problems: list[str]) -> Decimal | None:
    if isinstance(value, float):  # only reachable if a caller parsed the document with a float-making loader
        problems.append(f'{path}: {value!r} was read as a binary float; write the amount in quotes, e.g. "100.10"')
        return None
    try:
        return to_decimal(value if isinstance(value, int | Decimal) else str(value))
    except (TypeError, ValueError):
        problems.append(f"{path}: {value!r} is not a decimal amount such as 100.00")
        return None
