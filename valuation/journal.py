"""The journal entries of a revaluation: one ledger transaction per holder and batch of deals.

A revaluation moves each deal's `options-fair-value.{deal}` account to its new fair value against the
holder's `fair-value-gains`. Posting that as one ledger transaction per deal cost one validation, one
chain link (leg hash) and a transaction row with six metadata rows per deal, and was most of a
revaluation's time. Here the changes are grouped: per holder (each entry stays within one book, so
every party's trial balance stays zero), up to `DEALS_PER_TRANSACTION` deals per transaction, as one
compound entry: a posting per deal on its fair-value account and ONE posting of the batch's net change
on `fair-value-gains`:

    Dr options-fair-value.{deal}   for each deal whose fair value rose (by the rise)
    Cr options-fair-value.{deal}   for each deal whose fair value fell (by the fall)
    Cr fair-value-gains            the net: rises less falls (Dr when the falls are larger;
                                   no gains posting at all when they cancel out exactly)

Every account ends with the same balance as with a balanced pair per deal (each fair-value account
moves by its deal's change, `fair-value-gains` by the sum of the changes), in N + 1 postings instead of
2N, which halves the ledger's per-posting work (validation, leg text, posting rows). The batch size is
the ledger's limit of postings per transaction (`ledger.validation.MAX_POSTINGS`, 256) less the gains
posting. Per-deal traceability is kept: the posting's account names the deal, the transaction's
metadata names the revaluation (`toudai.revaluation`) and its records' collection
(`toudai.valuation_records`, `revaluations/{id}/valuationRecords`), and the deal's valuation record,
`revaluations/{id}/valuationRecords/{deal}` (ValuationService.GetValuationRecord), holds the change,
inputs, engine, value per share and the transaction id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ledger import names
from ledger.amounts import format_minor
from ledger.model import PostingSpec, Side, TransactionSpec
from ledger.validation import MAX_POSTINGS

__all__ = [
    "DEALS_PER_TRANSACTION",
    "FAIR_VALUE_ACCOUNT",
    "GAINS_ACCOUNT",
    "Change",
    "entries",
    "fair_value_account",
    "record_collection",
    "record_name",
]

FAIR_VALUE_ACCOUNT = "options-fair-value"
GAINS_ACCOUNT = "fair-value-gains"
CNY = "CNY"
DEALS_PER_TRANSACTION = MAX_POSTINGS - 1
"""Deals per transaction: a posting each, and one netted `fair-value-gains` posting."""


@dataclass(frozen=True, slots=True)
class Change:
    """One deal's change in fair value (fen, non-zero) on its holder's books."""

    deal_id: str
    holder: str
    amount: int


def record_collection(revaluation: str) -> str:
    """`revaluations/{id}/valuationRecords`: the collection of a revaluation's valuation records."""
    return f"revaluations/{revaluation}/valuationRecords"


def record_name(revaluation: str, deal_id: str) -> str:
    """The name of the valuation record of `deal_id` in revaluation `revaluation` (its uuid text)."""
    return f"{record_collection(revaluation)}/{deal_id}"


def fair_value_account(holder: str, deal_id: str) -> str:
    """The full name of the account carrying a deal's option right at fair value."""
    return names.account_name(holder, f"{FAIR_VALUE_ACCOUNT}.{deal_id}")


def entries(
    changes: Sequence[Change], *, revaluation: str, as_of: dt.date, code_version: str
) -> list[tuple[TransactionSpec, tuple[str, ...]]]:
    """The transactions posting `changes`, each with the deals it carries, in holder then given order.

    Each transaction has a posting per deal (in the given order) and then, unless the deals' changes
    sum to zero, the net change on the holder's `fair-value-gains`.

    Request ids are `revaluations/{id}/{holder}/{n}` (n counts the holder's batches from 1), so the
    entries of one revaluation are distinct and a replay inside the same unit of work is recognised.
    """
    by_holder: dict[str, list[Change]] = {}
    for change in changes:
        by_holder.setdefault(change.holder, []).append(change)
    result: list[tuple[TransactionSpec, tuple[str, ...]]] = []
    for holder in sorted(by_holder):
        gains = names.account_name(holder, GAINS_ACCOUNT)
        mine = by_holder[holder]
        for n, start in enumerate(range(0, len(mine), DEALS_PER_TRANSACTION), start=1):
            batch = mine[start : start + DEALS_PER_TRANSACTION]
            postings: list[PostingSpec] = []
            for change in batch:
                side = Side.DEBIT if change.amount > 0 else Side.CREDIT
                account = fair_value_account(holder, change.deal_id)
                postings.append(PostingSpec(account, side, CNY, format_minor(abs(change.amount), 2)))
            net = sum(c.amount for c in batch)
            if net:
                postings.append(
                    PostingSpec(gains, Side.CREDIT if net > 0 else Side.DEBIT, CNY, format_minor(abs(net), 2))
                )
            deals = tuple(c.deal_id for c in batch)
            span = deals[0] if len(deals) == 1 else f"{deals[0]} … {deals[-1]}"
            spec = TransactionSpec(
                request_id=f"revaluations/{revaluation}/{holder}/{n}",
                value_date=as_of,
                description=(
                    f"Fair value of the option rights of {len(deals)} deal{'s' if len(deals) > 1 else ''} "
                    f"({span}) as of {as_of.isoformat()}"
                ),
                metadata={
                    "toudai.revaluation": revaluation,
                    "toudai.deals": str(len(deals)),
                    "toudai.first_deal": deals[0],
                    "toudai.last_deal": deals[-1],
                    "toudai.code_version": code_version,
                    # The deals' valuation records: this collection + "/" + the deal of a posting's account
                    # (`options-fair-value.{deal}`), for ValuationService.GetValuationRecord.
                    "toudai.valuation_records": record_collection(revaluation),
                },
                postings=tuple(postings),
            )
            result.append((spec, deals))
    return result
