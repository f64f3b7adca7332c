"""Deal terms: every violation at once with its proto field path; option quantity and compensation tiers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from deals.schedule import LoanTerms, Subsidy, SubsidyKind
from deals.terms import (
    Borrower,
    DealTerms,
    OptionTerms,
    QuantityBasis,
    RiskSharing,
    Split,
    Stage,
    StrikeBasis,
    Trigger,
    option_quantity,
    validate_terms,
)
from ledger.errors import ViolationCollector

D = dt.date.fromisoformat


def good_terms() -> DealTerms:
    """The worked example of domain.md: 10,000,000.00 CNY, 10% coverage at a last-round price of 10.00."""
    return DealTerms(
        branch="bank-hz",
        borrower=Borrower(name="Jiaxing Photonics Co., Ltd.", uscc="91350100M000100Y43", stage=Stage.GROWTH),
        loan=LoanTerms(
            principal=1_000_000_000, annual_rate=Decimal("0.0435"), start=D("2025-03-03"), maturity=D("2026-03-03")
        ),
        option=OptionTerms(
            holder="invest-arm",
            company="Jiaxing Photonics Co., Ltd.",
            share_class="common",
            quantity_basis=QuantityBasis.COVERAGE,
            coverage=Decimal("0.10"),
            strike_basis=StrikeBasis.LAST_ROUND_PRICE,
            strike_price=Decimal("10.00"),
            window_start=D("2025-03-03"),
            window_end=D("2032-03-03"),
            triggers=(Trigger.QUALIFYING_ROUND,),
        ),
        risk=RiskSharing(pool="pool-zj", base_rate=Decimal("0.50")),
        split=Split(bank_bps=3000, arm_bps=5000, pool_bps=2000),
        subsidy=Subsidy(kind=SubsidyKind.RATE_POINTS, rate_points=Decimal("0.0365")),
        subsidy_fund="subsidy-fund",
    )


def violations(terms: DealTerms) -> dict[str, str]:
    errors = ViolationCollector()
    validate_terms(terms, errors, prefix="terms.")
    return {v.field: v.description for v in errors.violations}


def test_good_terms_pass_and_give_100000_option_units() -> None:
    terms = good_terms()
    assert violations(terms) == {}
    # 10,000,000.00 × 10% = 1,000,000.00 of cover ÷ 10.00 a share = 100,000 shares.
    assert option_quantity(terms) == 100_000
    assert terms.parties() == ["bank-hz", "invest-arm", "pool-zj", "subsidy-fund"]


def test_quantity_by_stake_shares_and_valuation_cap() -> None:
    terms = good_terms()
    stake = dataclasses.replace(
        terms.option, quantity_basis=QuantityBasis.STAKE, stake=Decimal("0.03"), fully_diluted_shares=2_000_000
    )
    assert option_quantity(dataclasses.replace(terms, option=stake)) == 60_000  # 3% of 2,000,000
    shares = dataclasses.replace(terms.option, quantity_basis=QuantityBasis.SHARES, shares=12_345)
    assert option_quantity(dataclasses.replace(terms, option=shares)) == 12_345
    # A 40,000,000.00 cap over 5,000,000 shares is 8.00 a share; 10% of 10,000,000.00 / 8.00 = 125,000.
    capped = dataclasses.replace(
        terms.option,
        strike_basis=StrikeBasis.VALUATION_CAP,
        valuation_cap=4_000_000_000,
        fully_diluted_shares=5_000_000,
    )
    assert option_quantity(dataclasses.replace(terms, option=capped)) == 125_000


def test_every_violation_is_reported_at_once_with_its_path() -> None:
    terms = good_terms()
    bad = dataclasses.replace(
        terms,
        borrower=Borrower(name=" ", uscc="91350100M000100Y44", stage=None, credit_score=1001),
        loan=dataclasses.replace(terms.loan, principal=0, annual_rate=Decimal("0.40"), maturity=D("2025-03-03")),
        option=dataclasses.replace(
            terms.option, holder="bank-hz", company="", coverage=Decimal("1.5"), window_end=D("2025-01-01"), triggers=()
        ),
        risk=dataclasses.replace(terms.risk, pool="Pool ZJ", base_rate=Decimal("1.2"), cap=-1),
        split=Split(bank_bps=3000, arm_bps=5000, pool_bps=1000, advisory_fee=-5),
        subsidy=Subsidy(kind=SubsidyKind.RATE_POINTS, rate_points=Decimal("0.50")),
    )
    found = violations(bad)
    assert set(found) == {
        "terms.borrower.name",
        "terms.borrower.uscc",
        "terms.borrower.stage",
        "terms.borrower.credit_score",
        "terms.loan.principal",
        "terms.loan.annual_rate",
        "terms.loan.maturity_date",
        "terms.subsidy.rate_points",
        "terms.option.holder",
        "terms.option.company",
        "terms.option.coverage",
        "terms.option.exercise_window_end",
        "terms.option.triggers",
        "terms.risk_sharing.risk_pool",
        "terms.risk_sharing.base_rate",
        "terms.risk_sharing.cap",
        "terms.risk_sharing.insurer_rate",  # 120% alone is already more than the whole loss
        "terms.split",
        "terms.split.advisory_fee",
    }
    assert "require '3'" in found["terms.borrower.uscc"]
    assert "must be after the start date" in found["terms.loan.maturity_date"]
    assert "sum to 9000" in found["terms.split"]
    assert "Commercial Bank Law" in found["terms.option.holder"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"maturity": D("2036-03-04")}, {"terms.loan.maturity_date"}),  # more than 10 years
        # A negative rate, and the 3.65 points of subsidy now exceed it.
        ({"annual_rate": Decimal("-0.01")}, {"terms.loan.annual_rate", "terms.subsidy.rate_points"}),
    ],
)
def test_loan_limits(change: dict[str, object], path: set[str]) -> None:
    terms = good_terms()
    assert set(violations(dataclasses.replace(terms, loan=dataclasses.replace(terms.loan, **change)))) == path


def test_a_subsidy_needs_a_fund() -> None:
    terms = dataclasses.replace(good_terms(), subsidy_fund="")
    assert set(violations(terms)) == {"terms.subsidy.subsidy_fund"}


def test_compensation_tiers() -> None:
    # Zhuhai-style tiers: 50% base, 70% when at least 70% of the loan is unsecured, 90% for a first loan.
    base = RiskSharing(
        pool="pool-zj",
        base_rate=Decimal("0.50"),
        first_loan_rate=Decimal("0.90"),
        unsecured_threshold=Decimal("0.70"),
        unsecured_rate=Decimal("0.70"),
    )
    assert base.compensation_rate == Decimal("0.50")
    assert dataclasses.replace(base, unsecured_share=Decimal("0.69")).compensation_rate == Decimal("0.50")
    assert dataclasses.replace(base, unsecured_share=Decimal("0.70")).compensation_rate == Decimal("0.70")
    first = dataclasses.replace(base, first_loan=True, unsecured_share=Decimal("0.80"))
    assert first.compensation_rate == Decimal("0.90")
