"""The accounts and journal entries of exercising an option right, as pure functions.

Accounts added by settlement (codes per party; `{deal}` is the deal id):

  investment arm   options-exercised.{deal}      asset      option units exercised or transferred (OPT-{DEAL})
                   exercise-clearing.{deal}      asset      the strike paid to the company, until the sale
                   cash                          asset      must not go negative: the strike needs cash
                   option-gains                  income     the arm's own share of gains (negative: a loss)
                   due-to-bank.{deal}            liability  the bank's share, until paid
                   due-to-pool.{deal}            liability  the pool's reimbursement and share, until paid
                   shares.{deal}                 asset      shares kept after a net exercise (SHR-{DEAL})
                   shares-acquired.{deal}        equity     contra of those share units
                   shares-at-cost.{deal}         asset      those shares at fair value on exercise (CNY)
                   exit-gains                    income     exit price minus fair value on exercise
  branch (bank)    due-from-arm.{deal}           asset
                   advisory-fee-income           income
                   option-gain-income            income
  risk pool        due-from-arm.{deal}           asset
                   reimbursement-income          income     what the pool paid on this borrower, recovered
                   option-gain-income            income

Every entry balances within each party; value crosses parties only through due-to / due-from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from deals.accounting import AccountPlan, option_commodity
from ledger.amounts import format_minor
from ledger.model import AccountType, PostingSpec, Side, TransactionSpec
from ledger.names import account_name
from settlement.split import Waterfall

CNY = "CNY"


def share_commodity(deal_id: str) -> str:
    """Per-deal commodity of the shares a net exercise delivers, e.g. SHR-HZ-001 (scale 0)."""
    return f"SHR-{deal_id.upper()}"


@dataclass(frozen=True, slots=True)
class ExerciseAccounts:
    deal: str
    branch: str
    holder: str
    pool: str

    def plan(self) -> list[AccountPlan]:
        d, opt, shr = self.deal, option_commodity(self.deal), share_commodity(self.deal)
        return [
            AccountPlan(self.holder, f"options-exercised.{d}", AccountType.ASSET, opt),
            AccountPlan(self.holder, f"exercise-clearing.{d}", AccountType.ASSET, guarded=True),
            AccountPlan(self.holder, "cash", AccountType.ASSET, guarded=True, display_name="Cash"),
            AccountPlan(self.holder, "option-gains", AccountType.INCOME),
            AccountPlan(self.holder, f"due-to-bank.{d}", AccountType.LIABILITY, guarded=True),
            AccountPlan(self.holder, f"due-to-pool.{d}", AccountType.LIABILITY, guarded=True),
            AccountPlan(self.holder, f"shares.{d}", AccountType.ASSET, shr, guarded=True),
            AccountPlan(self.holder, f"shares-acquired.{d}", AccountType.EQUITY, shr),
            AccountPlan(self.holder, f"shares-at-cost.{d}", AccountType.ASSET, guarded=True),
            AccountPlan(self.holder, "exit-gains", AccountType.INCOME),
            AccountPlan(self.branch, f"due-from-arm.{d}", AccountType.ASSET, guarded=True),
            AccountPlan(self.branch, "advisory-fee-income", AccountType.INCOME),
            AccountPlan(self.branch, "option-gain-income", AccountType.INCOME),
            AccountPlan(self.pool, f"due-from-arm.{d}", AccountType.ASSET, guarded=True),
            AccountPlan(self.pool, "reimbursement-income", AccountType.INCOME),
            AccountPlan(self.pool, "option-gain-income", AccountType.INCOME),
        ]

    def holder_account(self, code: str) -> str:
        return account_name(self.holder, code)

    def deal_account(self, party: str, prefix: str) -> str:
        return account_name(party, f"{prefix}.{self.deal}")


Lines = list[tuple[str, Side, int]]


def _spec(
    request_id: str, day: dt.date, description: str, lines: Lines, meta: Mapping[str, str], commodity: str = CNY
) -> TransactionSpec:
    scale = 2 if commodity == CNY else 0
    postings = tuple(
        PostingSpec(account, side if amount > 0 else side.opposite, commodity, format_minor(abs(amount), scale))
        for account, side, amount in lines
        if amount
    )
    return TransactionSpec(request_id, day, description, dict(meta), postings)


def _split_lines(a: ExerciseAccounts, split: Waterfall) -> Lines:
    """The gain's split: the arm's share is its income, the others' shares are owed to them."""
    return [
        (a.holder_account("option-gains"), Side.CREDIT, split.investment_arm),
        (a.deal_account(a.holder, "due-to-bank"), Side.CREDIT, split.to_bank),
        (a.deal_account(a.holder, "due-to-pool"), Side.CREDIT, split.to_pool),
        (a.deal_account(a.branch, "due-from-arm"), Side.DEBIT, split.to_bank),
        (account_name(a.branch, "advisory-fee-income"), Side.CREDIT, split.advisory_fee),
        (account_name(a.branch, "option-gain-income"), Side.CREDIT, split.bank),
        (a.deal_account(a.pool, "due-from-arm"), Side.DEBIT, split.to_pool),
        (account_name(a.pool, "reimbursement-income"), Side.CREDIT, split.pool_reimbursement),
        (account_name(a.pool, "option-gain-income"), Side.CREDIT, split.risk_pool),
    ]


def sale(
    a: ExerciseAccounts,
    request_id: str,
    day: dt.date,
    *,
    cash_in: int,
    strike_paid: int,
    gain: int,
    split: Waterfall,
    meta: Mapping[str, str],
) -> TransactionSpec:
    """Cash exercise and sale (or a transfer of the right): the net cash arrives, the strike paid is
    cleared, and the gain is split. A loss (gain < 0) is the arm's alone: nothing is owed to anyone."""
    lines: Lines = [
        (a.holder_account("cash"), Side.DEBIT, cash_in),
        (a.deal_account(a.holder, "exercise-clearing"), Side.CREDIT, strike_paid),
    ]
    if gain < 0:
        lines.append((a.holder_account("option-gains"), Side.DEBIT, -gain))
    else:
        lines += _split_lines(a, split)
    return _spec(request_id, day, f"Exercise of the option right of deal {a.deal}: sale and split", lines, meta)


def pay_shares(
    a: ExerciseAccounts, request_id: str, day: dt.date, to_bank: int, to_pool: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """The arm pays the bank and the pool what it owes them, in cash."""
    lines: Lines = [
        (a.deal_account(a.holder, "due-to-bank"), Side.DEBIT, to_bank),
        (a.deal_account(a.holder, "due-to-pool"), Side.DEBIT, to_pool),
        (a.holder_account("cash"), Side.CREDIT, to_bank + to_pool),
        (account_name(a.branch, "clearing"), Side.DEBIT, to_bank),
        (a.deal_account(a.branch, "due-from-arm"), Side.CREDIT, to_bank),
        (account_name(a.pool, "cash"), Side.DEBIT, to_pool),
        (a.deal_account(a.pool, "due-from-arm"), Side.CREDIT, to_pool),
    ]
    return _spec(request_id, day, f"Gain shares of deal {a.deal} paid to the bank and the risk pool", lines, meta)


def net_units(
    a: ExerciseAccounts, request_id: str, day: dt.date, shares: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """Net exercise: the share units the arm keeps."""
    lines: Lines = [
        (a.deal_account(a.holder, "shares"), Side.DEBIT, shares),
        (a.deal_account(a.holder, "shares-acquired"), Side.CREDIT, shares),
    ]
    return _spec(
        request_id, day, f"Shares received on net exercise of deal {a.deal}", lines, meta, share_commodity(a.deal)
    )


def net_value(
    a: ExerciseAccounts,
    request_id: str,
    day: dt.date,
    *,
    shares_value: int,
    fraction_cash: int,
    split: Waterfall,
    meta: Mapping[str, str],
) -> TransactionSpec:
    """Net exercise: the shares at fair value and the fraction paid in cash are the gain; the bank's and
    the pool's shares are owed to them at fair value until the shares are sold (RecordExit)."""
    lines: Lines = [
        (a.deal_account(a.holder, "shares-at-cost"), Side.DEBIT, shares_value),
        (a.holder_account("cash"), Side.DEBIT, fraction_cash),
        *_split_lines(a, split),
    ]
    return _spec(request_id, day, f"Net exercise of deal {a.deal}: gain at fair value and split", lines, meta)


def exit_sale(
    a: ExerciseAccounts,
    request_id: str,
    day: dt.date,
    *,
    shares: int,
    proceeds: int,
    cost: int,
    meta: Mapping[str, str],
) -> tuple[TransactionSpec, TransactionSpec]:
    """Selling shares kept after a net exercise: units leave; cash in; the difference to fair value at
    exercise is the arm's exit gain or loss."""
    units: Lines = [
        (a.deal_account(a.holder, "shares-acquired"), Side.DEBIT, shares),
        (a.deal_account(a.holder, "shares"), Side.CREDIT, shares),
    ]
    value: Lines = [
        (a.holder_account("cash"), Side.DEBIT, proceeds),
        (a.deal_account(a.holder, "shares-at-cost"), Side.CREDIT, cost),
        (a.holder_account("exit-gains"), Side.CREDIT, proceeds - cost),
    ]
    return (
        _spec(f"{request_id}/units", day, f"Shares of deal {a.deal} sold", units, meta, share_commodity(a.deal)),
        _spec(f"{request_id}/value", day, f"Shares of deal {a.deal} sold: proceeds", value, meta),
    )


def derecognise_mark(
    a: ExerciseAccounts, request_id: str, day: dt.date, carrying: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """The exercised units' share of the fair-value mark leaves the books: the unrealised gain booked by
    revaluations is reversed, so that over the right's life the holder's income is the realised gain
    (booked by the settlement entries) and never the mark on top of it."""
    side_gains, side_value = (Side.DEBIT, Side.CREDIT) if carrying >= 0 else (Side.CREDIT, Side.DEBIT)
    lines: Lines = [
        (a.holder_account("fair-value-gains"), side_gains, abs(carrying)),
        (a.deal_account(a.holder, "options-fair-value"), side_value, abs(carrying)),
    ]
    return _spec(request_id, day, f"Fair value of the exercised right of deal {a.deal} derecognised", lines, meta)


def lapse(
    a: ExerciseAccounts,
    request_id: str,
    day: dt.date,
    *,
    units: int,
    fair_value: int,
    meta: Mapping[str, str],
    on_write_off: bool = False,
) -> list[TransactionSpec]:
    """An unexercised right lapses (its window ended, or its loan was written off under a linkage agreement
    that lets the right lapse with it): its units leave the books and its fair value mark is reversed."""
    cause = " with the write-off of its loan" if on_write_off else ""
    specs = [
        _spec(
            f"{request_id}/units",
            day,
            f"Option right of deal {a.deal} lapsed{cause}",
            [
                (a.deal_account(a.holder, "options-granted"), Side.DEBIT, units),
                (a.deal_account(a.holder, "options"), Side.CREDIT, units),
            ],
            meta,
            option_commodity(a.deal),
        )
    ]
    if fair_value:
        specs.append(
            _spec(
                f"{request_id}/value",
                day,
                f"Fair value of the lapsed right of deal {a.deal} reversed",
                [
                    (a.holder_account("fair-value-gains"), Side.DEBIT, fair_value),
                    (a.deal_account(a.holder, "options-fair-value"), Side.CREDIT, fair_value),
                ],
                meta,
            )
        )
    return specs
