"""Expected credit loss against figures worked out by hand (parameters "2026-1" of docs/credit.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from deals.credit.classification import Category, Classification
from deals.credit.impairment import PARAMETERS, EclStage, Inputs, ecl_stage, expected_loss, inputs_for
from deals.terms import RiskSharing, Stage

P = PARAMETERS["2026-1"]
DAY = dt.date(2026, 6, 30)
POOL = RiskSharing(pool="pool", base_rate=Decimal("0.50"), insurer="ins", insurer_rate=Decimal("0.20"))


def classified(days: int, category: Category, *, impaired: bool = False) -> Classification:
    return Classification(DAY, category, days, category, category, Category.NORMAL, impaired, False)


def test_stages() -> None:
    assert ecl_stage(None, P) is EclStage.PERFORMING  # booked, not disbursed
    assert ecl_stage(classified(0, Category.NORMAL), P) is EclStage.PERFORMING
    assert ecl_stage(classified(30, Category.SPECIAL_MENTION), P) is EclStage.SIGNIFICANT_INCREASE  # special mention
    assert ecl_stage(classified(31, Category.SPECIAL_MENTION), P) is EclStage.SIGNIFICANT_INCREASE
    assert ecl_stage(classified(91, Category.SUBSTANDARD), P) is EclStage.CREDIT_IMPAIRED
    assert ecl_stage(classified(0, Category.SUBSTANDARD, impaired=True), P) is EclStage.CREDIT_IMPAIRED


def test_a_growth_loan_in_each_stage() -> None:
    # EAD 1,000,000.00, LGD 60 %: a loss of 600,000.00; the pool pays 50 % = 300,000.00 and the insurer 20 %
    # = 120,000.00, so the bank would bear 180,000.00.
    def ecl(c: Classification | None) -> int:
        i = inputs_for(
            classification=c, borrower_stage=Stage.GROWTH, ead=100_000_000, risk=POOL, measured_cover=None, params=P
        )
        assert i.cover == 42_000_000
        return i.ecl

    assert ecl(classified(0, Category.NORMAL)) == 450_000  # 2.5 % × 180,000.00 = 4,500.00
    assert ecl(classified(45, Category.SPECIAL_MENTION)) == 1_800_000  # 10 % lifetime = 18,000.00
    assert ecl(classified(120, Category.SUBSTANDARD)) == 18_000_000  # PD 1: 180,000.00


def test_after_a_default_the_measured_cover_counts() -> None:
    # Loss measured at default: 1,000,000.00 + 12,500.00 interest; pool 50 % = 506,250.00, insurer 20 % =
    # 202,500.00; the uncovered 303,750.00 × LGD 60 % × PD 1 = 182,250.00.
    i = inputs_for(
        classification=classified(10, Category.SUBSTANDARD, impaired=True),
        borrower_stage=Stage.GROWTH,
        ead=101_250_000,
        risk=POOL,
        measured_cover=70_875_000,
        params=P,
    )
    assert (i.stage, i.pd, i.ecl) == (EclStage.CREDIT_IMPAIRED, Decimal(1), 18_225_000)


def test_the_pools_cap_and_the_start_up_tier() -> None:
    # EAD 10,000,000.00, start-up LGD 65 %: 6,500,000.00; the pool's 50 % is 3,250,000.00, capped at
    # 3,000,000.00; no insurer: the bank bears 3,500,000.00 × 4 % = 140,000.00. No stage: start-up.
    capped = RiskSharing(pool="pool", base_rate=Decimal("0.50"), cap=300_000_000)
    i = inputs_for(
        classification=classified(0, Category.NORMAL),
        borrower_stage=None,
        ead=1_000_000_000,
        risk=capped,
        measured_cover=None,
        params=P,
    )
    assert (i.tier, i.cover, i.ecl) == ("start_up", 300_000_000, 14_000_000)


def test_reproducible_from_the_recorded_inputs() -> None:
    recorded = Inputs(EclStage.SIGNIFICANT_INCREASE, "mature", Decimal("0.060"), Decimal("0.55"), 33_333_333, 1_000_000)
    # LGD × EAD = 0.55 × 333,333.33 = 183,333.3315 → 183,333.33; less 10,000.00 cover = 173,333.33;
    # × 6 % = 10,399.9998 → 10,400.00.
    assert expected_loss(recorded) == 1_040_000
