"""`toudai demo`: a small, realistic portfolio of linked deals on a running server, in one command.

Two sub-branches (杭州 and 嘉兴) book fifteen deals between January and November 2026: bullet, equal
principal (等额本金) and equal instalment (等额本息) loans, monthly and quarterly, ACT/360 and ACT/365F;
a rate-points subsidy (4.35% loan, 3.65 points paid by the subsidy fund, the borrower pays 0.70%) and an
interest-share subsidy with a cap; option rights stated by coverage, by stake and by shares; the
worked example of the business description (10,000,000.00 CNY, 10% coverage at 10.00 → 100,000 units).
Borrowers pay on schedule up to 26 Nov 2026, one pays late (so a repayment settles overdue interest
first), one loan is repaid and closed, one is booked but not yet paid out, and one defaults while the
risk pool is short: the pool pays what it holds, the rest stays a claim, and a refill of the pool pays
it before the bank writes off what is left, against the allowance the quarter-end impairment run
provided; a recovery on that written-off loan is then shared with the pool pro rata to what it bore. One
loan stops paying in July and is on non-accrual (停止计息) from November; another misses October's
instalment (special mention). The last deal is insured: the pool's agreement is amended to name the
insurer (insurer-kb), the deal defaults, and the insurer's claims staff approve and pay its claim before
the write-off. Each branch's loans are classified (五级分类) and provided for (expected
credit loss) as of the quarter end and the last accrued day; the summary shows each loan's figures.

Every request carries a fixed request_id (`demo:...`), so running the demo again books nothing twice:
the server answers each retried request with its recorded result. The summary shows the deals by branch
and status and each party's trial balance, which must be zero in every commodity.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clients import render
from clients.assessment_client import demo_steps as assessment_demo_steps
from clients.client import ToudaiClient
from clients.credit_client import CreditClient
from clients.deal_client import (
    DealClient,
)
from clients.deal_convert import date_message, money_message
from clients.deal_types import (
    Borrower,
    BorrowerStage,
    BusinessDay,
    DayCount,
    Deal,
    DealAgreements,
    DealTerms,
    ExerciseTrigger,
    InterestFrequency,
    LoanTerms,
    OptionTerms,
    ProceedsSplit,
    QuantityBasis,
    RiskSharingTerms,
    ScheduleType,
    StrikeBasis,
    SubsidyTerms,
    SubsidyType,
)
from clients.errors import AlreadyExistsError
from clients.insurance_client import InsuranceClient
from clients.sharing_client import ExportResult
from clients.sharing_client import demo_steps as sharing_demo_steps
from clients.values import AccountType, PartyKind
from toudai.v1 import agreements_pb2 as apb
from toudai.v1 import agreements_pb2_grpc as apb_grpc
from toudai.v1 import deals_pb2 as dpb

EXIT_OK = 0
EXIT_UNBALANCED = 1

DEMO_HELP = """\
Book a small portfolio of linked deals on the server at --target and run it to 26 Nov 2026: two
branches (bank-hz, bank-jx), the investment arm (invest-arm), the risk pool (risk-pool), the subsidy
fund (subsidy-fund) and the insurer (insurer-kb), the agreements they sign with each branch first;
fifteen deals with different schedules, subsidies, repayments, a closed loan, a loan on non-accrual, a
default that the pool, short of cash, pays in part until it is refilled, written off against the
allowance and partly recovered (the recovery shared with the pool), and an insured default whose claim
the insurer approves and pays; classification and impairment runs at the quarter end and the cut-off.
Every request has a fixed request_id, so running it again books nothing twice. Ends with the deals by
branch and status, each loan's credit figures and each party's trial balance (zero in every commodity,
or the exit code is 1).
"""

CUT_OFF = dt.date(2026, 11, 26)
D = Decimal

PARTIES = (
    ("bank-hz", "杭州科技支行", PartyKind.BANK_BRANCH),
    ("bank-jx", "嘉兴科技支行", PartyKind.BANK_BRANCH),
    ("invest-arm", "科创投资有限公司", PartyKind.INVESTMENT_ARM),
    ("risk-pool", "科技信贷风险补偿资金池", PartyKind.RISK_POOL),
    ("subsidy-fund", "科技贷款贴息资金", PartyKind.SUBSIDY_FUND),
    ("insurer-kb", "科技保险（嘉科保）承保公司", PartyKind.INSURER),
)
HOLDER = "invest-arm"
POOL = "risk-pool"
FUND = "subsidy-fund"
INSURER = "insurer-kb"
INSURER_STAFF = "demo:insurer-claims"  # the insurer's claims staff: not the clerk who filed the claim
INSURER_RATE = Decimal("0.20")


@dataclass(frozen=True, slots=True)
class DemoDeal:
    """A deal of the demo and what happens to it up to the cut-off date."""

    deal_id: str
    terms: DealTerms
    disburse: bool = True
    pay_until: dt.date | None = CUT_OFF  # pay every scheduled instalment due on or before this date
    late_payment: tuple[dt.date, Decimal] | None = None  # a lump sum paid late
    accrue_to: dt.date | None = CUT_OFF
    close: bool = False
    default_on: dt.date | None = None
    write_off_on: dt.date | None = None
    recovery: tuple[dt.date, Decimal] | None = None  # cash recovered after the write-off, shared with the pool
    # Insured (科技保险): the pool's agreement is amended to name the insurer before this deal is booked;
    # after the default the insurer approves its claim on the first date and pays it on the second.
    insurance: tuple[dt.date, dt.date] | None = None


def _terms(
    branch: str,
    company: str,
    uscc: str,
    stage: BorrowerStage,
    loan: LoanTerms,
    *,
    option: dict[str, Any] | None = None,
    subsidy: SubsidyTerms | None = None,
    risk: dict[str, Any] | None = None,
    split: tuple[int, int, int] = (3000, 5000, 2000),
) -> DealTerms:
    """A demo deal's terms; it names its agreements (see AGREEMENTS): the branch has two linkage
    agreements with the arm, so an unnamed one would be ambiguous."""
    option_terms = OptionTerms(
        holder=HOLDER,
        company=company,
        share_class="A",
        quantity_basis=QuantityBasis.COVERAGE,
        strike_basis=StrikeBasis.LAST_ROUND_PRICE,
        coverage=D("0.10"),
        strike_price=D("10.00"),
        exercise_window_start=loan.maturity_date,
        exercise_window_end=loan.maturity_date.replace(year=loan.maturity_date.year + 6),
        triggers=(ExerciseTrigger.QUALIFYING_ROUND, ExerciseTrigger.IPO, ExerciseTrigger.MERGER),
        qualifying_round_size=D("50000000.00"),
    )
    if option:
        option_terms = replace(option_terms, **option)
    risk_terms = RiskSharingTerms(
        risk_pool=POOL,
        base_rate=D("0.50"),
        first_loan_rate=D("0.90"),
        unsecured_threshold=D("0.70"),
        unsecured_rate=D("0.70"),
        unsecured_share=D("0.40"),
        cap=D("3000000.00"),
    )
    if risk:
        risk_terms = replace(risk_terms, **risk)
    return DealTerms(
        branch=branch,
        borrower=Borrower(name=company, uscc=uscc, stage=stage),
        loan=loan,
        option=option_terms,
        risk_sharing=risk_terms,
        split=ProceedsSplit(bank_bps=split[0], investment_arm_bps=split[1], risk_pool_bps=split[2]),
        subsidy=subsidy or SubsidyTerms(),
        agreements=DealAgreements(
            risk_sharing=f"rsa-{POOL}-{branch}",
            linkage=f"link-{HOLDER}-{branch}" + ("" if split == (3000, 5000, 2000) else "-442"),
            subsidy=f"sub-{FUND}-{branch}" if subsidy else "",
        ),
    )


def _agreement(
    agreement_id: str, kind: apb.AgreementKind, owner: str, branch: str, **terms: Any
) -> apb.CreateAgreementRequest:
    return apb.CreateAgreementRequest(
        request_id=_request("agreement", agreement_id),
        agreement_id=agreement_id,
        agreement=apb.Agreement(
            kind=kind,
            owner=f"parties/{owner}",
            counterparty=f"parties/{branch}",
            effective_from=date_message(dt.date(2026, 1, 1)),
            reference=agreement_id.upper(),
            **terms,
        ),
    )


def agreements() -> list[apb.CreateAgreementRequest]:
    """What the pool, the arm and the subsidy fund sign with each branch before it books: the pool pays 50 %
    of a loss (90 % on a first loan, 70 % when at least 70 % is unsecured) up to 3,000,000.00 a loan and
    20,000,000.00 in all, automatically up to 3,000,000.00; the arm splits gains 30/50/20 (and 40/40/20
    on one bank-jx deal); the fund pays up to 4 rate points or 50 % of the interest."""
    signed = []
    for branch in ("bank-hz", "bank-jx"):
        signed.append(
            _agreement(
                f"rsa-{POOL}-{branch}",
                apb.AGREEMENT_KIND_RISK_SHARING,
                POOL,
                branch,
                risk_sharing=apb.RiskSharingAgreement(
                    base_rate="0.50",
                    first_loan_rate="0.90",
                    unsecured_threshold="0.70",
                    unsecured_rate="0.70",
                    per_deal_cap=money_message("3000000.00"),
                    exposure_cap=money_message("20000000.00"),
                    auto_approval_limit=money_message("3000000.00"),
                ),
            )
        )
        signed.append(
            _agreement(
                f"link-{HOLDER}-{branch}",
                apb.AGREEMENT_KIND_LINKAGE,
                HOLDER,
                branch,
                linkage=apb.LinkageAgreement(bank_bps=3000, investment_arm_bps=5000, risk_pool_bps=2000),
            )
        )
        signed.append(
            _agreement(
                f"sub-{FUND}-{branch}",
                apb.AGREEMENT_KIND_SUBSIDY,
                FUND,
                branch,
                subsidy=apb.SubsidyAgreement(
                    types=[dpb.SUBSIDY_TYPE_RATE_POINTS, dpb.SUBSIDY_TYPE_INTEREST_SHARE],
                    max_rate_points="0.04",
                    max_share="0.50",
                ),
            )
        )
    signed.append(
        _agreement(
            f"link-{HOLDER}-bank-jx-442",
            apb.AGREEMENT_KIND_LINKAGE,
            HOLDER,
            "bank-jx",
            linkage=apb.LinkageAgreement(bank_bps=4000, investment_arm_bps=4000, risk_pool_bps=2000),
        )
    )
    return signed


def _sign(client: ToudaiClient, request: apb.CreateAgreementRequest) -> None:
    stub = client.stub(apb_grpc.AgreementServiceStub)
    with contextlib.suppress(AlreadyExistsError):  # signed earlier under another request_id: it stands
        client.call(stub, "CreateAgreement", request)


def _loan(
    principal: str,
    rate: str,
    start: str,
    maturity: str,
    schedule: ScheduleType = ScheduleType.BULLET,
    frequency: InterestFrequency = InterestFrequency.MONTHLY,
    day_count: DayCount = DayCount.ACT_360,
) -> LoanTerms:
    return LoanTerms(
        principal=D(principal),
        annual_rate=D(rate),
        start_date=dt.date.fromisoformat(start),
        maturity_date=dt.date.fromisoformat(maturity),
        schedule=schedule,
        frequency=frequency,
        day_count=day_count,
        business_day=BusinessDay.MODIFIED_FOLLOWING,
    )


G, S, M = BorrowerStage.GROWTH, BorrowerStage.START_UP, BorrowerStage.MATURE
EP, EI, BULLET = ScheduleType.EQUAL_PRINCIPAL, ScheduleType.EQUAL_INSTALMENT, ScheduleType.BULLET
Q = InterestFrequency.QUARTERLY

PORTFOLIO = (
    # The worked example: 10,000,000.00 × 10% ÷ 10.00 = 100,000 option units.
    DemoDeal(
        "hz-2026-101",
        _terms(
            "bank-hz",
            "杭州云芯科技有限公司",
            "91330106MA2H7K3C08",
            G,
            _loan("10000000.00", "0.0435", "2026-03-16", "2027-03-16"),
        ),
    ),
    DemoDeal(
        "hz-2026-102",
        _terms(
            "bank-hz",
            "杭州深澜生物医药有限公司",
            "91330108MA2J4N8L0T",
            G,
            _loan("3000000.00", "0.0385", "2026-01-20", "2027-01-20", EP),
            option={"coverage": D("0.15"), "strike_price": D("12.50")},
        ),
    ),
    # An interest-share subsidy (40% of the interest) whose cap of 30,000.00 is reached in the second quarter.
    DemoDeal(
        "hz-2026-103",
        _terms(
            "bank-hz",
            "杭州极光智能装备有限公司",
            "91330110MA2K9P2D0X",
            M,
            _loan("5000000.00", "0.0400", "2026-02-10", "2028-02-10", EI, Q),
            subsidy=SubsidyTerms(
                type=SubsidyType.INTEREST_SHARE, subsidy_fund=FUND, share=D("0.40"), cap=D("30000.00")
            ),
        ),
    ),
    # The right stated as a stake: 2% of 20,000,000 fully diluted shares at a fixed 6.00.
    DemoDeal(
        "hz-2026-104",
        _terms(
            "bank-hz",
            "杭州量子传感技术有限公司",
            "91330402MA2L6Q5E0F",
            S,
            _loan("2000000.00", "0.0420", "2026-06-01", "2027-06-01", BULLET, Q),
            option={
                "quantity_basis": QuantityBasis.STAKE,
                "stake": D("0.02"),
                "fully_diluted_shares": 20_000_000,
                "coverage": None,
                "strike_basis": StrikeBasis.FIXED_PRICE,
                "strike_price": D("6.00"),
            },
            risk={"first_loan": True},
        ),
    ),
    # Six months, repaid on schedule and closed.
    DemoDeal(
        "hz-2026-105",
        _terms(
            "bank-hz",
            "杭州青禾数据科技有限公司",
            "91330411MA2M3R7F0F",
            G,
            _loan("1500000.00", "0.0395", "2026-04-01", "2026-10-01"),
        ),
        close=True,
    ),
    # Signed, to be paid out in December.
    DemoDeal(
        "hz-2026-106",
        _terms(
            "bank-hz",
            "杭州星河新材料有限公司",
            "91330421MA2N8T4G0F",
            S,
            _loan("2500000.00", "0.0410", "2026-12-15", "2027-12-15", EP),
        ),
        disburse=False,
        pay_until=None,
        accrue_to=None,
    ),
    # The Jiaxing equipment loan: 4.35%, of which the subsidy fund pays 3.65 points; the borrower pays 0.70%.
    DemoDeal(
        "jx-2026-201",
        _terms(
            "bank-jx",
            "嘉兴精工智造有限公司",
            "91330481MA2P5U6H0B",
            M,
            _loan("4000000.00", "0.0435", "2026-01-15", "2028-01-15", EP, Q),
            subsidy=SubsidyTerms(type=SubsidyType.RATE_POINTS, subsidy_fund=FUND, rate_points=D("0.0365")),
        ),
    ),
    # The strike from a valuation cap: 200,000,000.00 over 25,000,000 shares = 8.00 a share.
    DemoDeal(
        "jx-2026-202",
        _terms(
            "bank-jx",
            "嘉兴光启半导体有限公司",
            "91330483MA2Q2W9J0W",
            G,
            _loan("2500000.00", "0.0395", "2026-03-05", "2028-03-05", EI),
            option={
                "strike_basis": StrikeBasis.VALUATION_CAP,
                "strike_price": None,
                "valuation_cap": D("200000000.00"),
                "fully_diluted_shares": 25_000_000,
                "coverage": D("0.20"),
            },
        ),
    ),
    # A first loan (90% cover, capped at 3,000,000.00) that defaults while the pool holds 1,000,000.00.
    DemoDeal(
        "jx-2026-203",
        _terms(
            "bank-jx",
            "嘉兴云帆航空科技有限公司",
            "91330106MA2R7X1K01",
            S,
            _loan("3000000.00", "0.0450", "2026-02-02", "2027-02-02"),
            risk={"first_loan": True},
        ),
        pay_until=dt.date(2026, 6, 2),
        accrue_to=None,
        default_on=dt.date(2026, 8, 20),
        write_off_on=dt.date(2026, 10, 15),
        recovery=(dt.date(2026, 11, 20), D("350000.00")),
    ),
    # Pays on schedule to September, misses October, and pays a lump sum late in November.
    DemoDeal(
        "jx-2026-204",
        _terms(
            "bank-jx",
            "嘉兴禾丰农业科技有限公司",
            "91330108MA2T4Y3L0W",
            G,
            _loan("1200000.00", "0.0410", "2026-05-11", "2027-05-11", EP),
            option={"quantity_basis": QuantityBasis.SHARES, "shares": 30_000, "coverage": None},
        ),
        pay_until=dt.date(2026, 9, 30),
        late_payment=(dt.date(2026, 11, 20), D("220000.00")),
    ),
    # ACT/365F, quarterly interest.
    DemoDeal(
        "jx-2026-205",
        _terms(
            "bank-jx",
            "嘉兴蓝海海洋科技有限公司",
            "91330402MA2U9H5M0D",
            G,
            _loan("800000.00", "0.0400", "2026-07-01", "2027-07-01", BULLET, Q, DayCount.ACT_365F),
            option={
                "quantity_basis": QuantityBasis.SHARES,
                "shares": 50_000,
                "coverage": None,
                "strike_basis": StrikeBasis.FIXED_PRICE,
                "strike_price": D("8.00"),
            },
        ),
    ),
    # Pays to July, then nothing: more than 90 days past due by 9 Nov, so on non-accrual (停止计息) from then,
    # substandard at the cut-off.
    DemoDeal(
        "hz-2026-107",
        _terms(
            "bank-hz",
            "杭州极光储能科技有限公司",
            "91330110MA2K8P4Q10",
            S,
            _loan("2000000.00", "0.0420", "2026-03-10", "2027-03-10"),
        ),
        pay_until=dt.date(2026, 7, 10),
    ),
    # Pays to September and misses October's instalment: special mention at the cut-off.
    DemoDeal(
        "jx-2026-207",
        _terms(
            "bank-jx",
            "嘉兴星图遥感科技有限公司",
            "91330402MA2X5R6T2E",
            G,
            _loan("1500000.00", "0.0400", "2026-04-20", "2027-04-20"),
        ),
        pay_until=dt.date(2026, 9, 30),
    ),
    # Mostly unsecured credit: the 70% tier applies.
    DemoDeal(
        "jx-2026-206",
        _terms(
            "bank-jx",
            "嘉兴睿思医疗器械有限公司",
            "91330411MA2W6J7N0D",
            M,
            _loan("6000000.00", "0.0375", "2026-09-15", "2027-09-15"),
            risk={"unsecured_share": D("0.80")},
            split=(4000, 4000, 2000),
        ),
    ),
    # Insured for 20 % of a loss: stops paying after June, defaults in August; the insurer approves and
    # pays its claim; written off in October against the quarter-end allowance. Booked last: the pool's
    # agreement names the insurer only from then on.
    DemoDeal(
        "jx-2026-208",
        _terms(
            "bank-jx",
            "嘉兴云栖智能装备有限公司",
            "91330402MA2Y7U8W3F",
            S,
            _loan("1000000.00", "0.0400", "2026-04-01", "2027-04-01"),
            risk={"insurer": INSURER, "insurer_rate": INSURER_RATE},
        ),
        pay_until=dt.date(2026, 6, 1),
        accrue_to=None,
        default_on=dt.date(2026, 8, 3),
        write_off_on=dt.date(2026, 10, 20),
        insurance=(dt.date(2026, 8, 20), dt.date(2026, 9, 15)),
    ),
)

BRANCHES = ("bank-hz", "bank-jx")
QUARTER_END = dt.date(2026, 9, 30)  # classification and impairment before the write-off, which uses the allowance
LAST_ACCRUED = CUT_OFF - dt.timedelta(days=1)  # the credit figures the summary shows are as of this day
INSURED_BRANCH = "bank-jx"
POOL_SEED = (dt.date(2026, 1, 5), D("1000000.00"))
POOL_REFILL = (dt.date(2026, 9, 30), D("3000000.00"))


def _request(*parts: object) -> str:
    return "demo:" + ":".join(str(p) for p in parts)


def _ensure_party(client: ToudaiClient, party_id: str, display_name: str, kind: PartyKind) -> None:
    try:
        client.create_party(party_id, display_name=display_name, kind=kind, request_id=_request("party", party_id))
    except AlreadyExistsError:
        client.get_party(party_id)  # created earlier under another request_id: use it as it is


def _pay_on_schedule(deals: DealClient, demo: DemoDeal) -> None:
    """Pay each instalment due on or before `pay_until`, on its payment date, for exactly what is due."""
    if demo.pay_until is None:
        return
    for period in deals.schedule(demo.deal_id).periods:
        if period.payment_date is None or period.payment_date > demo.pay_until:
            break
        deals.repay(
            demo.deal_id,
            period.borrower_payment,
            period.payment_date,
            request_id=_request(demo.deal_id, "repay", period.number),
        )


Step = tuple[str, Callable[[], object]]


def _steps(deals: DealClient, demo: DemoDeal) -> list[Step]:
    d = demo.deal_id
    steps: list[Step] = [(f"book {d}", partial(deals.book, d, demo.terms, request_id=_request(d, "book")))]
    if not demo.disburse:
        return steps
    steps.append((f"disburse {d}", partial(deals.disburse, d, request_id=_request(d, "disburse"))))
    if demo.pay_until is not None:
        steps.append((f"repayments of {d}", partial(_pay_on_schedule, deals, demo)))
    if demo.late_payment is not None:
        day, amount = demo.late_payment
        steps.append((f"late payment on {d}", partial(deals.repay, d, amount, day, request_id=_request(d, "late"))))
    if demo.accrue_to is not None and not demo.close:
        to = demo.accrue_to  # exclusive: interest through the day before
        through = to - dt.timedelta(days=1)
        steps.append((f"accrue {d}", partial(deals.accrue, d, through, request_id=_request(d, "accrue", to))))
    if demo.close:
        steps.append((f"close {d}", partial(deals.close, d, request_id=_request(d, "close"))))
    if demo.default_on is not None:
        reason = "borrower ceased operations"
        request_id = _request(d, "default")
        steps.append(
            (f"default of {d}", partial(deals.record_default, d, demo.default_on, reason=reason, request_id=request_id))
        )
    return steps


def _name_the_insurer(client: ToudaiClient) -> None:
    """The pool amends its agreement with the insured deal's branch to name the insurer (up to 20 % of a
    loss); deals booked before keep the version they were booked under."""
    stub = client.stub(apb_grpc.AgreementServiceStub)
    name = f"agreements/rsa-{POOL}-{INSURED_BRANCH}"
    current = client.call(stub, "GetAgreement", apb.GetAgreementRequest(name=name)).agreement
    if current.risk_sharing.insurer:
        return  # amended by an earlier run
    amended = apb.Agreement()
    amended.CopyFrom(current)
    amended.risk_sharing.insurer = f"parties/{INSURER}"
    amended.risk_sharing.insurer_rate = str(INSURER_RATE)
    request = apb.AmendAgreementRequest(request_id=_request("agreement", "insurer"), name=name, agreement=amended)
    client.call(stub, "AmendAgreement", request)


def _insurance_steps(client: ToudaiClient, demo: DemoDeal, dates: tuple[dt.date, dt.date]) -> list[Step]:
    """The insurer's claims staff approve the claim the default filed, then pay it in full."""
    insurance = InsuranceClient(client, principal=INSURER_STAFF)
    d, (approve_on, pay_on) = demo.deal_id, dates

    def pay() -> object:
        claim = insurance.get(d)
        owed = claim.amount - claim.settled
        if claim.status != "approved" or not owed:
            return claim  # paid by an earlier run
        return insurance.settle(d, owed, pay_on, request_id=_request(d, "insurance", "pay"))

    return [
        (
            f"insurer approves {d}",
            partial(insurance.approve, d, approve_on, request_id=_request(d, "insurance", "approve")),
        ),
        (f"insurer pays {d}", pay),
    ]


def _credit_steps(credit: CreditClient, as_of: dt.date) -> list[Step]:
    """Each branch's classification run and impairment run as of the date (fixed request ids: a rerun
    replays them)."""
    steps: list[Step] = []
    for branch in BRANCHES:
        steps.append(
            (
                f"classify {branch} {as_of:%m-%d}",
                partial(credit.reclassify, branch, as_of, request_id=_request("classify", branch, as_of)),
            )
        )
        steps.append(
            (
                f"impairment {branch} {as_of:%m-%d}",
                partial(credit.run_impairment, branch, as_of, request_id=_request("impairment", branch, as_of)),
            )
        )
    return steps


def plan(deals: DealClient, credit: CreditClient | None = None, exports: list[Any] | None = None) -> list[Step]:
    """Every step of the demo in order: seed the pool, run the deals, refill the pool, classify and provide
    at the quarter end, write off (against the allowance), recover, classify and provide at the cut-off."""
    seed_day, seed = POOL_SEED
    refill_day, refill = POOL_REFILL
    steps: list[Step] = [
        ("seed the risk pool", partial(deals.fund_pool, POOL, seed, seed_day, request_id=_request("pool", "seed")))
    ]
    # Four-dimension assessments (创新力/竞争力/进化力/影响力) of two bank-hz borrowers: the impairment
    # runs use the tier in force on their dates (docs/assessment.md).
    steps += [(label.split(" (")[0][:40], call) for label, call in assessment_demo_steps(deals.client)]
    for demo in PORTFOLIO:
        if demo.insurance is not None:
            steps.append((f"the pool's agreement names {INSURER}", partial(_name_the_insurer, deals.client)))
        steps += _steps(deals, demo)
        if demo.insurance is not None and demo.default_on is not None:
            steps += _insurance_steps(deals.client, demo, demo.insurance)
    steps.append(
        (
            "refill the risk pool",
            partial(deals.fund_pool, POOL, refill, refill_day, request_id=_request("pool", "refill")),
        )
    )
    if credit is not None:
        steps += _credit_steps(credit, QUARTER_END)
    for demo in PORTFOLIO:
        if demo.write_off_on is not None:
            d = demo.deal_id
            steps.append(
                (f"write off {d}", partial(deals.write_off, d, demo.write_off_on, request_id=_request(d, "write-off")))
            )
    for demo in PORTFOLIO:
        if demo.recovery is not None:
            d, (day, amount) = demo.deal_id, demo.recovery
            steps.append(
                (
                    f"recovery on {d}",
                    partial(deals.record_recovery, d, amount, value_date=day, request_id=_request(d, "recovery")),
                )
            )
    if credit is not None:
        steps += _credit_steps(credit, LAST_ACCRUED)
    if exports is not None:
        # The hz-2026-107 borrower consents to credit-data sharing; its facts are exported (docs/credit-data.md).
        for label, call in sharing_demo_steps(deals.client, None):
            steps.append((label, partial(_kept, call, exports)))
    return steps


def _kept(call: Callable[[], object], into: list[Any]) -> object:
    into.append(result := call())
    return result


# ---------------------------------------------------------------- the summary


@dataclass(frozen=True, slots=True)
class TrialBalance:
    """A party's trial balance in one commodity: debits and credits of its accounts' balances."""

    party: str
    commodity: str
    debits: Decimal
    credits: Decimal

    @property
    def difference(self) -> Decimal:
        return self.debits - self.credits


DEBIT_NORMAL = (AccountType.ASSET, AccountType.EXPENSE)


def trial_balances(client: ToudaiClient, parties: list[str]) -> list[TrialBalance]:
    """Each party's accounts summed per commodity, debit balances against credit balances."""
    result = []
    for party in parties:
        accounts = list(client.list_accounts(party=party))
        balances = {b.account: b for b in client.get_balances([a.name for a in accounts])} if accounts else {}
        sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for account in accounts:
            amount = balances[account.name].balance
            signed = amount if account.type in DEBIT_NORMAL else -amount
            column = 0 if signed >= 0 else 1
            sums[account.commodity][column] += abs(signed)
        result += [TrialBalance(party, c, dr, cr) for c, (dr, cr) in sorted(sums.items())]
    return result


def _summary(deals: list[Deal]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Deal]] = defaultdict(list)
    for deal in deals:
        groups[(deal.terms.branch, deal.status.value)].append(deal)
    return [
        {
            "branch": branch,
            "status": status,
            "deals": len(found),
            "principal": sum((d.terms.loan.principal for d in found), Decimal("0.00")),
            "outstanding": sum((d.principal_outstanding for d in found), Decimal("0.00")),
            "interest_receivable": sum((d.interest_receivable for d in found), Decimal("0.00")),
        }
        for (branch, status), found in sorted(groups.items())
    ]


def _credit_summary(credit: CreditClient, deals: list[Deal]) -> list[dict[str, Any]]:
    """Each loan's classification and allowance as of the last accrued day, from the runs the demo recorded
    (their request ids replay them)."""
    by_deal = {d.name: d for d in deals}
    rows: list[dict[str, Any]] = []
    for branch in BRANCHES:
        run = credit.reclassify(branch, LAST_ACCRUED, request_id=_request("classify", branch, LAST_ACCRUED))
        impairment = credit.run_impairment(
            branch, LAST_ACCRUED, request_id=_request("impairment", branch, LAST_ACCRUED)
        )
        ecl = {line["deal"]: line for line in impairment["lines"]}
        classified = {c.deal: c for c in run.classifications}
        for name in sorted({*ecl, *classified}):  # a loan not yet paid out is provided for, not classified
            deal, c, line = by_deal.get(name), classified.get(name), ecl.get(name, {})
            rows.append(
                {
                    "deal": name.removeprefix("deals/"),
                    "branch": branch,
                    "status": deal.status.value if deal else "",
                    "category": c.category if c else "",
                    "days_past_due": c.days_past_due if c else None,
                    "non_accrual_since": deal.non_accrual_since.isoformat()
                    if deal and deal.non_accrual_since
                    else None,
                    "off_balance_interest": deal.off_balance_interest if deal else Decimal(0),
                    "stage": line.get("stage"),
                    "expected_credit_loss": line.get("expected_credit_loss"),
                }
            )
    return rows


def _credit_table(rows: list[dict[str, Any]]) -> Table:
    title = f"Credit as of {LAST_ACCRUED.isoformat()}: classification, non-accrual, impairment"
    table = render.titled(title)
    columns = (
        "Deal",
        "Status",
        "Category",
        "Days past due",
        "Non-accrual since",
        "Off-balance interest",
        "Stage",
        "Allowance",
    )
    for column in columns:
        left = column in ("Deal", "Status", "Category", "Non-accrual since")
        table.add_column(column, justify="left" if left else "right")
    for row in rows:
        table.add_row(
            row["deal"],
            row["status"],
            row["category"],
            "" if row["days_past_due"] is None else str(row["days_past_due"]),
            row["non_accrual_since"] or "",
            _cny(row["off_balance_interest"]) if row["off_balance_interest"] else "",
            str(row["stage"] or ""),
            _cny(Decimal(row["expected_credit_loss"])) if row["expected_credit_loss"] else "",
        )
    return table


def _cny(value: Decimal) -> str:
    return f"{value:,.2f}"


def _deals_by_branch(rows: list[dict[str, Any]]) -> Table:
    table = render.titled("Deals by branch and status")
    for column in ("Branch", "Status", "Deals", "Principal", "Outstanding", "Interest receivable"):
        table.add_column(column, justify="left" if column in ("Branch", "Status") else "right")
    for row in rows:
        table.add_row(
            row["branch"],
            row["status"],
            str(row["deals"]),
            _cny(row["principal"]),
            _cny(row["outstanding"]),
            _cny(row["interest_receivable"]),
        )
    return table


def _trial_balance_table(balances: list[TrialBalance]) -> Table:
    table = render.titled("Trial balance of each party")
    for column in ("Party", "Commodity", "Debit balances", "Credit balances", "Difference"):
        table.add_column(column, justify="left" if column in ("Party", "Commodity") else "right")
    for tb in balances:
        style = "" if tb.difference == 0 else "bold red"
        scale = "," if tb.commodity.startswith("OPT-") else ",.2f"
        table.add_row(
            tb.party,
            tb.commodity,
            format(tb.debits, scale),
            format(tb.credits, scale),
            format(tb.difference, scale),
            style=style,
        )
    return table


def run(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    """Book and run the portfolio, then print the summary; exit 1 if any trial balance is not zero."""
    deals = DealClient(client)
    credit = CreditClient(client)
    ids = {demo.deal_id for demo in PORTFOLIO}
    before = {d.deal_id: d for d in deals.list() if d.deal_id in ids}
    events_before = sum(len(d.events) for d in before.values())
    exports: list[Any] = []
    steps = plan(deals, credit, exports)
    progress = Progress(
        TextColumn("[bold]{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        signing = agreements()
        task = progress.add_task("demo", total=len(PARTIES) + len(signing) + len(steps))
        for party_id, display_name, kind in PARTIES:
            progress.update(task, description=f"party {party_id}")
            _ensure_party(client, party_id, display_name, kind)
            progress.advance(task)
        for request in signing:
            progress.update(task, description=f"agreement {request.agreement_id}")
            _sign(client, request)
            progress.advance(task)
        for label, step in steps:
            progress.update(task, description=label)
            step()
            progress.advance(task)
        progress.update(task, description="done")
    after = [d for d in deals.list() if d.deal_id in ids]
    new_deals = len(ids - set(before))
    new_events = sum(len(d.events) for d in after) - events_before
    by_branch = _summary(after)
    credit_rows = _credit_summary(credit, after)
    balances = trial_balances(client, [p for p, _, _ in PARTIES])
    balanced = all(tb.difference == 0 for tb in balances)
    if args.json:
        render.print_json(
            {
                "new_deals": new_deals,
                "new_events": new_events,
                "deals": by_branch,
                "credit": credit_rows,
                "credit_data_exports": [
                    {
                        "export": e.export,
                        "file": str(e.file),
                        "manifest": str(e.manifest_file),
                        "records": e.record_count,
                    }
                    for e in exports
                    if isinstance(e, ExportResult)
                ],
                "trial_balances": [
                    {
                        "party": tb.party,
                        "commodity": tb.commodity,
                        "debits": tb.debits,
                        "credits": tb.credits,
                        "difference": tb.difference,
                    }
                    for tb in balances
                ],
                "balanced": balanced,
            }
        )
    else:
        render.show(console, _deals_by_branch(by_branch), _credit_table(credit_rows), _trial_balance_table(balances))
        verdict = "every party's trial balance is zero" if balanced else "[bold red]a trial balance is not zero[/]"
        console.print(
            f"{len(after)} deals; this run booked {new_deals} new deal(s) and recorded {new_events} new step(s); "
            f"{verdict}.",
            highlight=False,
        )
        for e in exports:
            if isinstance(e, ExportResult):
                console.print(
                    f"Credit-data export {e.export}: {e.record_count} records of the hz-2026-107 borrower in {e.file} "
                    f"(manifest {e.manifest_file.name}).",
                    highlight=False,
                )
        console.print(
            "Try: toudai deal list · toudai deal show hz-2026-107 · toudai credit show jx-2026-207 · "
            "toudai insurance show jx-2026-208 · toudai assess history --uscc 91330106MA2H7K3C08 · "
            "toudai consent list · toudai tx list --party risk-pool",
            highlight=False,
        )
    return EXIT_OK if balanced else EXIT_UNBALANCED
