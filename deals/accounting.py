"""The chart of accounts of a linked deal and the journal entry of every step, as pure functions.

Each function returns the `TransactionSpec`s a step posts; the deal service posts them in the same
database transaction as the deal's state change. Every entry balances within each party: value that
crosses parties (subsidy owed by the fund, compensation owed by the pool) sits in a receivable in one
book and a payable in the other. docs/accounting.md shows these entries on the worked example.

Accounts (codes are per party; `{deal}` is the deal id, so each deal's exposure has its own accounts):

  branch (bank)     clearing                      asset      the branch's funds at head office
                    loans.{deal}                  asset      principal the borrower owes (贷款)
                    interest-receivable.{deal}    asset      interest accrued, owed by the borrower (应收利息)
                    subsidy-receivable.{deal}     asset      interest accrued, owed by the subsidy fund (应收贴息)
                    compensation-receivable.{deal} asset     pool compensation due but unpaid (应收风险补偿款)
                    insurance-receivable.{deal}   asset      the insurer's share of a loss (应收保险赔款)
                    compensation-received.{deal}  liability  the pool's compensation, held against the loss
                                                             until write-off (其他应付款—风险补偿款)
                    insurance-compensation.{deal} liability  the insurer's share, likewise (其他应付款—保险赔款)
                    interest-income               income
                    loan-loss                     expense    the loss the bank bears at write-off (贷款损失)
                    collection-costs              expense    collection costs; recovered costs credit it (催收费用)
                    written-off-recoveries        income     the bank's share of recoveries after write-off
                                                             (已核销贷款收回)
                    off-balance-interest.{deal}   asset      memo: interest a non-accrual loan's borrower owes
                                                             but the bank does not recognise (表外应收利息)
                    off-balance-interest-contra.{deal} asset memo contra: always its negative, so the pair
                                                             nets to zero on the balance sheet (表外利息备查)
                    loan-loss-allowance.{deal}    asset      contra asset, credit balance: the expected credit
                                                             loss (贷款损失准备; deals.credit)
  investment arm    options.{deal}                asset      option units (commodity OPT-{DEAL}) held
                    options-granted.{deal}        equity     contra account of the units (no money value)
  risk pool         cash                          asset      must not go negative: the pool pays only what it holds
                    capital                       equity     contributions that fill the pool
                    compensation-expense          expense
                    claims-payable.{deal}         liability  compensation owed but not yet paid
                    recovery-income               income     its share of recoveries (代偿回收)
  subsidy fund      cash                          asset
                    subsidy-expense               expense
                    subsidy-payable.{deal}        liability  subsidy accrued, owed to the branch
  insurer           claims-expense                expense    posted when its claims staff approve the claim
                    claims-payable.{deal}         liability
                    recovery-income               income     its share of recoveries (追偿款收入)
                    cash                          asset      receives its share once its payable is settled
                    clearing                      asset      its payments of claims to the bank (往来清算)

Pool and insurer cover never reduces `loans` or `interest-receivable`: the borrower owes the whole debt
until it pays, a recovery comes in, or the loan is written off (核销), where the compensation held offsets
the loss. The recovery accounts are opened by the first recovery (`recovery_plan`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.amounts import format_minor
from ledger.model import AccountType, PostingSpec, Side, TransactionSpec
from ledger.names import account_name

CNY = "CNY"
OFF_BALANCE_INTEREST = "off-balance-interest"
OFF_BALANCE_CONTRA = "off-balance-interest-contra"
ALLOWANCE = "loan-loss-allowance"


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """An account a deal needs: party, code, type, commodity and whether it may go negative."""

    party: str
    code: str
    type: AccountType
    commodity: str = CNY
    guarded: bool = False
    display_name: str = ""

    @property
    def name(self) -> str:
        return account_name(self.party, self.code)


def option_commodity(deal_id: str) -> str:
    """The per-deal option commodity code, e.g. OPT-HZ-2026-001 (units of the right, scale 0)."""
    return f"OPT-{deal_id.upper()}"


@dataclass(frozen=True, slots=True)
class DealAccounts:
    """The names of one deal's accounts in every party's book."""

    deal: str
    branch: str
    holder: str
    pool: str
    subsidy_fund: str = ""
    insurer: str = ""

    def plan(self) -> list[AccountPlan]:
        d = self.deal
        plans = [
            AccountPlan(self.branch, "clearing", AccountType.ASSET, display_name="Clearing with head office"),
            AccountPlan(self.branch, f"loans.{d}", AccountType.ASSET, guarded=True, display_name=f"Loan {d}"),
            AccountPlan(self.branch, f"interest-receivable.{d}", AccountType.ASSET, guarded=True),
            AccountPlan(self.branch, f"subsidy-receivable.{d}", AccountType.ASSET, guarded=True),
            AccountPlan(self.branch, f"compensation-receivable.{d}", AccountType.ASSET, guarded=True),
            AccountPlan(self.branch, f"insurance-receivable.{d}", AccountType.ASSET, guarded=True),
            *self.cover_plan(),
            AccountPlan(self.branch, "interest-income", AccountType.INCOME),
            AccountPlan(self.branch, "loan-loss", AccountType.EXPENSE),
            AccountPlan(self.holder, f"options.{d}", AccountType.ASSET, option_commodity(d), guarded=True),
            AccountPlan(self.holder, f"options-granted.{d}", AccountType.EQUITY, option_commodity(d)),
            AccountPlan(self.pool, "cash", AccountType.ASSET, guarded=True, display_name="Pool cash"),
            AccountPlan(self.pool, "capital", AccountType.EQUITY, display_name="Pool capital"),
            AccountPlan(self.pool, "compensation-expense", AccountType.EXPENSE),
            AccountPlan(self.pool, f"claims-payable.{d}", AccountType.LIABILITY, guarded=True),
        ]
        if self.subsidy_fund:
            plans += [
                AccountPlan(self.subsidy_fund, "cash", AccountType.ASSET),
                AccountPlan(self.subsidy_fund, "subsidy-expense", AccountType.EXPENSE),
                AccountPlan(self.subsidy_fund, f"subsidy-payable.{d}", AccountType.LIABILITY, guarded=True),
            ]
        if self.insurer:
            plans += [
                AccountPlan(self.insurer, "claims-expense", AccountType.EXPENSE),
                AccountPlan(self.insurer, f"claims-payable.{d}", AccountType.LIABILITY, guarded=True),
            ]
        return plans

    def cover_plan(self) -> list[AccountPlan]:
        """The bank's accounts that hold the pool's and the insurer's cover of a loss until write-off: opened
        at booking, and by a default or an approval on a deal booked before they existed."""
        d = self.deal
        return [
            AccountPlan(
                self.branch,
                f"compensation-received.{d}",
                AccountType.LIABILITY,
                guarded=True,
                display_name=f"Risk-pool compensation {d} (风险补偿款)",
            ),
            AccountPlan(
                self.branch,
                f"insurance-compensation.{d}",
                AccountType.LIABILITY,
                guarded=True,
                display_name=f"Insurance compensation {d} (保险赔款)",
            ),
        ]

    def insurance_plan(self, *, settling: bool = False) -> list[AccountPlan]:
        """The insurer's accounts an approved claim posts to (idempotent; a booking opens them too), and its
        `clearing`, which only a settlement opens (`settling=True`)."""
        return [
            AccountPlan(self.insurer, "claims-expense", AccountType.EXPENSE, display_name="Claims expense (赔付支出)"),
            AccountPlan(
                self.insurer,
                f"claims-payable.{self.deal}",
                AccountType.LIABILITY,
                guarded=True,
                display_name=f"Claims payable {self.deal} (应付赔付款)",
            ),
            *(
                [
                    AccountPlan(
                        self.insurer, "clearing", AccountType.ASSET, display_name="Clearing with the bank (往来清算)"
                    )
                ]
                if settling
                else []
            ),
        ]

    def recovery_plan(self) -> list[AccountPlan]:
        """The accounts a recovery posts to beyond the booking's: opened by the first recovery (idempotent)."""
        plans = [
            AccountPlan(
                self.branch, "collection-costs", AccountType.EXPENSE, display_name="Collection costs (催收费用)"
            ),
            AccountPlan(
                self.branch,
                "written-off-recoveries",
                AccountType.INCOME,
                display_name="Recoveries of written-off loans (已核销贷款收回)",
            ),
            AccountPlan(self.pool, "recovery-income", AccountType.INCOME, display_name="Recoveries (代偿回收)"),
        ]
        if self.insurer:
            plans += [
                AccountPlan(
                    self.insurer, "recovery-income", AccountType.INCOME, display_name="Recoveries (追偿款收入)"
                ),
                AccountPlan(self.insurer, "cash", AccountType.ASSET, guarded=True, display_name="Insurer cash"),
            ]
        return plans

    def off_balance_plan(self) -> list[AccountPlan]:
        """The memo pair of a non-accrual loan (表外): opened when the loan enters non-accrual (idempotent).
        Both are assets so the pair nets to zero within the bank's assets: the memo amount is in the books
        and in every export, and the balance sheet is untouched."""
        d = self.deal
        return [
            AccountPlan(
                self.branch,
                f"{OFF_BALANCE_INTEREST}.{d}",
                AccountType.ASSET,
                guarded=True,
                display_name=f"Off-balance interest {d} (表外应收利息)",
            ),
            AccountPlan(
                self.branch,
                f"{OFF_BALANCE_CONTRA}.{d}",
                AccountType.ASSET,
                display_name=f"Off-balance interest contra {d} (表外利息备查)",
            ),
        ]

    # Names used by the entries below.
    def branch_account(self, code: str) -> str:
        return account_name(self.branch, code)

    def deal_account(self, party: str, prefix: str) -> str:
        return account_name(party, f"{prefix}.{self.deal}")


Lines = list[tuple[str, Side, int]]


def _spec(
    request_id: str,
    value_date: dt.date,
    description: str,
    lines: Lines,
    metadata: Mapping[str, str],
    commodity: str = CNY,
) -> TransactionSpec:
    """A transaction from (account, side, amount in minor units) lines; zero lines are dropped."""
    scale = 0 if commodity != CNY else 2
    postings = tuple(
        PostingSpec(account, side, commodity, format_minor(amount, scale)) for account, side, amount in lines if amount
    )
    return TransactionSpec(request_id, value_date, description, dict(metadata), postings)


def grant_option(
    a: DealAccounts, request_id: str, day: dt.date, quantity: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """Booking: the holder records the option units (quantity, no money value until marked)."""
    lines: Lines = [
        (a.deal_account(a.holder, "options"), Side.DEBIT, quantity),
        (a.deal_account(a.holder, "options-granted"), Side.CREDIT, quantity),
    ]
    return _spec(request_id, day, f"Option right of deal {a.deal}", lines, meta, option_commodity(a.deal))


def disburse(
    a: DealAccounts, request_id: str, day: dt.date, principal: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """Disbursement: the loan asset rises, the branch's clearing funds fall."""
    lines: Lines = [
        (a.deal_account(a.branch, "loans"), Side.DEBIT, principal),
        (a.branch_account("clearing"), Side.CREDIT, principal),
    ]
    return _spec(request_id, day, f"Disbursement of deal {a.deal}", lines, meta)


def accrue(
    a: DealAccounts, request_id: str, day: dt.date, borrower: int, subsidy: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """Accrual: interest income, owed partly by the borrower and partly by the subsidy fund (贴息)."""
    lines: Lines = [
        (a.deal_account(a.branch, "interest-receivable"), Side.DEBIT, borrower),
        (a.deal_account(a.branch, "subsidy-receivable"), Side.DEBIT, subsidy),
        (a.branch_account("interest-income"), Side.CREDIT, borrower + subsidy),
    ]
    if subsidy:
        lines += [
            (account_name(a.subsidy_fund, "subsidy-expense"), Side.DEBIT, subsidy),
            (a.deal_account(a.subsidy_fund, "subsidy-payable"), Side.CREDIT, subsidy),
        ]
    return _spec(request_id, day, f"Interest accrual of deal {a.deal} to {day.isoformat()}", lines, meta)


def repay(
    a: DealAccounts,
    request_id: str,
    day: dt.date,
    interest: int,
    principal: int,
    subsidy: int,
    meta: Mapping[str, str],
) -> TransactionSpec:
    """Repayment: the borrower's cash settles interest then principal; the fund settles its subsidy."""
    lines: Lines = [
        (a.branch_account("clearing"), Side.DEBIT, interest + principal + subsidy),
        (a.deal_account(a.branch, "interest-receivable"), Side.CREDIT, interest),
        (a.deal_account(a.branch, "loans"), Side.CREDIT, principal),
        (a.deal_account(a.branch, "subsidy-receivable"), Side.CREDIT, subsidy),
    ]
    if subsidy:
        lines += [
            (a.deal_account(a.subsidy_fund, "subsidy-payable"), Side.DEBIT, subsidy),
            (account_name(a.subsidy_fund, "cash"), Side.CREDIT, subsidy),
        ]
    return _spec(request_id, day, f"Repayment of deal {a.deal}", lines, meta)


@dataclass(frozen=True, slots=True)
class DefaultAmounts:
    """How a default's loss is covered: paid now by the pool, owed by the pool, owed by the insurer."""

    principal: int  # outstanding principal at default
    interest: int  # borrower interest accrued and unpaid
    pool_paid: int
    pool_claim: int
    insurer: int

    @property
    def loss(self) -> int:
        return self.principal + self.interest

    @property
    def compensation(self) -> int:
        return self.pool_paid + self.pool_claim


def default(
    a: DealAccounts, request_id: str, day: dt.date, amounts: DefaultAmounts, meta: Mapping[str, str]
) -> TransactionSpec:
    """Default: the pool compensates (paid now, or owed as a claim) and the insurer owes its share.

    The cover goes to accounts of its own, never against the loan: the bank holds the pool's compensation
    on `compensation-received` (其他应付款—风险补偿款) and the insurer's share on `insurance-compensation`
    (其他应付款—保险赔款) until write-off, where they offset the loss; the borrower still owes the whole
    principal and interest on `loans` and `interest-receivable`.
    """
    compensation = amounts.compensation
    lines: Lines = [
        (a.branch_account("clearing"), Side.DEBIT, amounts.pool_paid),
        (a.deal_account(a.branch, "compensation-receivable"), Side.DEBIT, amounts.pool_claim),
        (a.deal_account(a.branch, "compensation-received"), Side.CREDIT, compensation),
        (a.deal_account(a.branch, "insurance-receivable"), Side.DEBIT, amounts.insurer),
        (a.deal_account(a.branch, "insurance-compensation"), Side.CREDIT, amounts.insurer),
        (account_name(a.pool, "compensation-expense"), Side.DEBIT, compensation),
        (account_name(a.pool, "cash"), Side.CREDIT, amounts.pool_paid),
        (a.deal_account(a.pool, "claims-payable"), Side.CREDIT, amounts.pool_claim),
    ]
    if amounts.insurer:
        lines += [
            (account_name(a.insurer, "claims-expense"), Side.DEBIT, amounts.insurer),
            (a.deal_account(a.insurer, "claims-payable"), Side.CREDIT, amounts.insurer),
        ]
    return _spec(request_id, day, f"Default of deal {a.deal}: risk-pool and insurer cover", lines, meta)


def compensate(
    a: DealAccounts, request_id: str, day: dt.date, amounts: DefaultAmounts, meta: Mapping[str, str]
) -> TransactionSpec:
    """An approved claim: the pool's compensation posted after the default, as the default would have."""
    spec = default(a, request_id, day, amounts, meta)
    return TransactionSpec(
        spec.request_id,
        spec.value_date,
        f"Risk pool compensates deal {a.deal} (claim approved)",
        spec.metadata,
        spec.postings,
    )


def reverse_subsidy(
    a: DealAccounts, request_id: str, day: dt.date, amount: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """Default: the subsidy accrued since the borrower's last repayment is never due (贴息 is paid only with
    the borrower's own payments), so the bank's receivable and income and the fund's payable and expense
    are reversed (docs/deals.md, "Subsidy at default")."""
    lines: Lines = [
        (a.branch_account("interest-income"), Side.DEBIT, amount),
        (a.deal_account(a.branch, "subsidy-receivable"), Side.CREDIT, amount),
    ]
    if amount:
        lines += [
            (a.deal_account(a.subsidy_fund, "subsidy-payable"), Side.DEBIT, amount),
            (account_name(a.subsidy_fund, "subsidy-expense"), Side.CREDIT, amount),
        ]
    return _spec(request_id, day, f"Subsidy of deal {a.deal} reversed at default", lines, meta)


def pay_claim(a: DealAccounts, request_id: str, day: dt.date, amount: int, meta: Mapping[str, str]) -> TransactionSpec:
    """The refilled pool pays (part of) an open claim: its cash and payable fall, the bank's claim is settled."""
    lines: Lines = [
        (a.deal_account(a.pool, "claims-payable"), Side.DEBIT, amount),
        (account_name(a.pool, "cash"), Side.CREDIT, amount),
        (a.branch_account("clearing"), Side.DEBIT, amount),
        (a.deal_account(a.branch, "compensation-receivable"), Side.CREDIT, amount),
    ]
    return _spec(request_id, day, f"Risk pool pays its claim on deal {a.deal}", lines, meta)


def fund_pool(pool: str, request_id: str, day: dt.date, amount: int, meta: Mapping[str, str]) -> TransactionSpec:
    """A contribution fills the pool."""
    lines: Lines = [
        (account_name(pool, "cash"), Side.DEBIT, amount),
        (account_name(pool, "capital"), Side.CREDIT, amount),
    ]
    return _spec(request_id, day, "Contribution to the risk pool", lines, meta)


def write_off(
    a: DealAccounts,
    request_id: str,
    day: dt.date,
    principal: int,
    interest: int,
    meta: Mapping[str, str],
    *,
    compensation: int = 0,
    insurance: int = 0,
    allowance: int = 0,
) -> TransactionSpec:
    """Write-off (核销): the borrower's principal and interest leave the books; the pool's compensation and
    the insurer's share held for the deal offset them, the loan loss allowance provided for the deal takes
    what is left (`allowance`, at most that), and only the rest is a loan loss of the day."""
    loss = principal + interest - compensation - insurance - allowance
    lines: Lines = [
        (a.deal_account(a.branch, "compensation-received"), Side.DEBIT, compensation),
        (a.deal_account(a.branch, "insurance-compensation"), Side.DEBIT, insurance),
        (a.deal_account(a.branch, ALLOWANCE), Side.DEBIT, allowance),
        # Cover above the debt left (possible only by a fen of rounding) is a negative loss.
        (a.branch_account("loan-loss"), Side.DEBIT if loss >= 0 else Side.CREDIT, abs(loss)),
        (a.deal_account(a.branch, "loans"), Side.CREDIT, principal),
        (a.deal_account(a.branch, "interest-receivable"), Side.CREDIT, interest),
    ]
    return _spec(request_id, day, f"Write-off of deal {a.deal}", lines, meta)


@dataclass(frozen=True, slots=True)
class RecoveryAmounts:
    """How a recovery is applied and shared (fen): costs, principal and interest; the pool's and the
    insurer's shares, each partly set off against what that party still owes the bank on the deal."""

    costs: int
    principal: int
    interest: int
    pool_share: int
    pool_set_off: int
    insurer_share: int
    insurer_set_off: int

    @property
    def amount(self) -> int:
        return self.costs + self.principal + self.interest

    @property
    def bank_share(self) -> int:
        return self.principal + self.interest - self.pool_share - self.insurer_share


def recover(
    a: DealAccounts,
    request_id: str,
    day: dt.date,
    r: RecoveryAmounts,
    meta: Mapping[str, str],
    *,
    written_off: bool,
) -> TransactionSpec:
    """A recovery (回收) from the borrower on a defaulted or written-off loan.

    The costs part credits the bank's collection costs. Before write-off, principal and interest reduce
    `loans` and `interest-receivable`, and the pool's and insurer's shares reduce the cover the bank holds
    for them (`compensation-received`, `insurance-compensation`); after write-off the loan is off the
    books, and the bank's own share is `written-off-recoveries` income. Each share is first set off
    against what that party still owes the bank on the deal (its claim payable), the rest paid in cash.
    """
    pool_cash = r.pool_share - r.pool_set_off
    insurer_cash = r.insurer_share - r.insurer_set_off
    lines: Lines = [
        (a.branch_account("clearing"), Side.DEBIT, r.amount - pool_cash - insurer_cash),
        (a.branch_account("collection-costs"), Side.CREDIT, r.costs),
    ]
    if written_off:
        lines.append((a.branch_account("written-off-recoveries"), Side.CREDIT, r.bank_share))
    else:
        lines += [
            (a.deal_account(a.branch, "loans"), Side.CREDIT, r.principal),
            (a.deal_account(a.branch, "interest-receivable"), Side.CREDIT, r.interest),
            (a.deal_account(a.branch, "compensation-received"), Side.DEBIT, r.pool_share),
            (a.deal_account(a.branch, "insurance-compensation"), Side.DEBIT, r.insurer_share),
        ]
    lines += [
        (a.deal_account(a.branch, "compensation-receivable"), Side.CREDIT, r.pool_set_off),
        (a.deal_account(a.branch, "insurance-receivable"), Side.CREDIT, r.insurer_set_off),
        (a.deal_account(a.pool, "claims-payable"), Side.DEBIT, r.pool_set_off),
        (account_name(a.pool, "cash"), Side.DEBIT, pool_cash),
        (account_name(a.pool, "recovery-income"), Side.CREDIT, r.pool_share),
    ]
    if a.insurer:
        lines += [
            (a.deal_account(a.insurer, "claims-payable"), Side.DEBIT, r.insurer_set_off),
            (account_name(a.insurer, "cash"), Side.DEBIT, insurer_cash),
            (account_name(a.insurer, "recovery-income"), Side.CREDIT, r.insurer_share),
        ]
    return _spec(request_id, day, f"Recovery on deal {a.deal}", lines, meta)


def _off_balance(a: DealAccounts, amount: int, *, into: bool) -> Lines:
    """The memo pair moves together: into the memo (Dr interest, Cr contra) or out of it."""
    interest = a.deal_account(a.branch, OFF_BALANCE_INTEREST)
    contra = a.deal_account(a.branch, OFF_BALANCE_CONTRA)
    return [
        (interest, Side.DEBIT if into else Side.CREDIT, amount),
        (contra, Side.CREDIT if into else Side.DEBIT, amount),
    ]


def enter_non_accrual(
    a: DealAccounts, request_id: str, day: dt.date, interest: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """Non-accrual (停止计息, 转表外): the borrower interest accrued and unpaid leaves the books — the income
    it made is reversed (冲减利息收入) — and is tracked in the memo pair until the borrower pays it."""
    lines: Lines = [
        (a.branch_account("interest-income"), Side.DEBIT, interest),
        (a.deal_account(a.branch, "interest-receivable"), Side.CREDIT, interest),
        *_off_balance(a, interest, into=True),
    ]
    return _spec(request_id, day, f"Deal {a.deal} on non-accrual: unpaid interest moved off balance sheet", lines, meta)


def accrue_off_balance(
    a: DealAccounts, request_id: str, day: dt.date, interest: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """Accrual on a non-accrual loan: the borrower's interest is tracked in the memo pair, not income."""
    lines = _off_balance(a, interest, into=True)
    return _spec(request_id, day, f"Off-balance interest of deal {a.deal} to {day.isoformat()}", lines, meta)


def repay_non_accrual(
    a: DealAccounts,
    request_id: str,
    day: dt.date,
    interest: int,
    principal: int,
    off_balance: int,
    meta: Mapping[str, str],
) -> TransactionSpec:
    """Repayment of a non-accrual loan: interest still on the books, interest tracked off balance sheet
    (income only now that it is received, 收付实现制), then principal."""
    lines: Lines = [
        (a.branch_account("clearing"), Side.DEBIT, interest + principal + off_balance),
        (a.deal_account(a.branch, "interest-receivable"), Side.CREDIT, interest),
        (a.deal_account(a.branch, "loans"), Side.CREDIT, principal),
        (a.branch_account("interest-income"), Side.CREDIT, off_balance),
        *_off_balance(a, off_balance, into=False),
    ]
    return _spec(request_id, day, f"Repayment of deal {a.deal} (non-accrual)", lines, meta)


def resume_accrual(
    a: DealAccounts, request_id: str, day: dt.date, interest: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """A non-accrual loan brought current: the interest still off balance sheet is owed on a performing loan
    again, so it returns to the books as a receivable and income (恢复计息)."""
    lines: Lines = [
        (a.deal_account(a.branch, "interest-receivable"), Side.DEBIT, interest),
        (a.branch_account("interest-income"), Side.CREDIT, interest),
        *_off_balance(a, interest, into=False),
    ]
    return _spec(request_id, day, f"Deal {a.deal} back on accrual: off-balance interest recognised", lines, meta)


def recover_off_balance(
    a: DealAccounts, request_id: str, day: dt.date, interest: int, meta: Mapping[str, str], *, written_off: bool
) -> TransactionSpec:
    """A recovery beyond the debt on the books pays interest tracked off balance sheet: the bank's alone
    (nobody compensated it), income when received (interest income, or recoveries after write-off)."""
    income = "written-off-recoveries" if written_off else "interest-income"
    lines: Lines = [
        (a.branch_account("clearing"), Side.DEBIT, interest),
        (a.branch_account(income), Side.CREDIT, interest),
        *_off_balance(a, interest, into=False),
    ]
    return _spec(request_id, day, f"Recovery of off-balance interest on deal {a.deal}", lines, meta)


def approve_insurance(
    a: DealAccounts, request_id: str, day: dt.date, amount: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """The insurer approves its claim: it owes its share (赔付支出 / 应付赔付款), and the bank holds it as
    cover against the loss until write-off, receivable until paid."""
    lines: Lines = [
        (a.deal_account(a.branch, "insurance-receivable"), Side.DEBIT, amount),
        (a.deal_account(a.branch, "insurance-compensation"), Side.CREDIT, amount),
        (account_name(a.insurer, "claims-expense"), Side.DEBIT, amount),
        (a.deal_account(a.insurer, "claims-payable"), Side.CREDIT, amount),
    ]
    return _spec(request_id, day, f"Insurer approves its claim on deal {a.deal}", lines, meta)


def settle_insurance(
    a: DealAccounts, request_id: str, day: dt.date, amount: int, meta: Mapping[str, str]
) -> TransactionSpec:
    """The insurer pays (part of) an approved claim: its payable falls and its clearing with the bank pays;
    the bank receives the cash and its receivable falls."""
    lines: Lines = [
        (a.deal_account(a.insurer, "claims-payable"), Side.DEBIT, amount),
        (account_name(a.insurer, "clearing"), Side.CREDIT, amount),
        (a.branch_account("clearing"), Side.DEBIT, amount),
        (a.deal_account(a.branch, "insurance-receivable"), Side.CREDIT, amount),
    ]
    return _spec(request_id, day, f"Insurer pays its claim on deal {a.deal}", lines, meta)
