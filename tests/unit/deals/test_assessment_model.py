"""The four-dimension assessment model "2026-1" (deals.assessment.model), checked against figures worked
out by hand here from the rules in docs/assessment.md, not from the code.

Worked example (a growth company):
- innovation: R&D 8 % of revenue × 1000 = 80; 3 patents × 20 = 60; R&D staff 30 % × 250 = 75;
  0.40 × 80 + 0.35 × 60 + 0.25 × 75 = 32 + 21 + 18.75 = 71.75
- competitiveness: growth 25 % × 200 = 50; margin 40 % × 200 = 80; 0.5 × 50 + 0.5 × 80 = 65
- growth capacity: 8,000,000 raised (5 to 20 million) = 70; CAGR 20 % × 250 = 50; 0.5 × 70 + 0.5 × 50 = 60
- influence: provincial 专精特新 (level 2) = 70; 高新技术企业 = 100; one standard × 25 = 25;
  0.4 × 70 + 0.3 × 100 + 0.3 × 25 = 28 + 30 + 7.5 = 65.5
- total 0.30 × 71.75 + 0.25 × 65 + 0.25 × 60 + 0.20 × 65.5 = 21.525 + 16.25 + 15 + 13.1 = 65.875 → 65.88
  (half up, once): at least 60 and below 80, growth.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from deals.assessment.model import CURRENT, MODELS, parse_indicators, score
from deals.terms import Stage
from ledger.errors import ViolationCollector
from tests.integration.assessment_world import GROWTH, MATURE, START_UP

MODEL = MODELS["2026-1"]


def _values(raw: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in raw.items()}


def test_the_worked_example_by_hand() -> None:
    s = score(MODEL, _values(GROWTH))
    assert s.points == {
        "rd_intensity": 80,
        "invention_patents": 60,
        "rd_staff_share": 75,
        "revenue_growth": 50,
        "gross_margin": 80,
        "financing_24m": 70,
        "revenue_cagr": 50,
        "specialized_level": 70,
        "high_tech_enterprise": 100,
        "standards_drafted": 25,
    }
    assert s.dimensions == {
        "innovation": Decimal("71.75"),
        "competitiveness": 65,
        "growth_capacity": 60,
        "influence": Decimal("65.5"),
    }
    assert (str(s.total), s.tier, s.model) == ("65.88", Stage.GROWTH, "2026-1")


def test_mature_and_start_up_by_hand() -> None:
    # Everything at or above full marks but two standards (50): influence 0.4×100 + 0.3×100 + 0.3×50 = 85;
    # total 30 + 25 + 25 + 0.2×85 = 97.00: mature.
    mature = score(MODEL, _values(MATURE))
    assert (mature.dimensions["influence"], str(mature.total), mature.tier) == (85, "97.00", Stage.MATURE)
    # innovation 0.4×50 + 0.35×20 + 0.25×50 = 39.5; competitiveness: growth −10 % scores 0, margin 15 % × 200
    # = 30, so 15; nothing else: 0.3×39.5 + 0.25×15 = 11.85 + 3.75 = 15.60: start-up.
    start = score(MODEL, _values(START_UP))
    assert (start.points["revenue_growth"], start.dimensions["innovation"]) == (0, Decimal("39.5"))
    assert (str(start.total), start.tier) == ("15.60", Stage.START_UP)


@pytest.mark.parametrize(
    ("total", "tier"),
    [
        ("0", Stage.START_UP),
        ("59.99", Stage.START_UP),
        ("60", Stage.GROWTH),
        ("79.99", Stage.GROWTH),
        ("80", Stage.MATURE),
        ("100", Stage.MATURE),
    ],
)
def test_tier_thresholds(total: str, tier: Stage) -> None:
    assert MODEL.tier(Decimal(total)) is tier


def test_rules_clamp_and_step() -> None:
    ind = MODEL.indicators
    assert ind["rd_intensity"].points(Decimal("0.25")) == 100  # capped at 100
    assert ind["revenue_growth"].points(Decimal("-0.5")) == 0  # never negative
    assert ind["financing_24m"].points(Decimal("0")) == 0
    assert ind["financing_24m"].points(Decimal("0.01")) == 40
    assert ind["financing_24m"].points(Decimal("4999999.99")) == 40
    assert ind["financing_24m"].points(Decimal("20000000")) == 100
    assert ind["specialized_level"].points(Decimal("1")) == 40


def test_rounding_is_half_up_once() -> None:
    # gross margin 0.0001 × 200 = 0.02 points, × 0.5 × 0.25 = 0.0025 of the total; revenue growth the same:
    # 0.005 exactly, which rounds half up to 0.01 (a rounding of the points or dimensions first would lose it).
    zeros = {k: Decimal(0) for k in MODEL.indicators}
    half = score(MODEL, {**zeros, "gross_margin": Decimal("0.0001"), "revenue_growth": Decimal("0.0001")})
    assert str(half.total) == "0.01"


def test_weights_sum_to_one_and_current_exists() -> None:
    assert CURRENT in MODELS
    assert sum(d.weight for d in MODEL.dimensions) == 1
    assert all(sum(i.weight for i in d.indicators) == 1 for d in MODEL.dimensions)
    assert all(2 <= len(d.indicators) <= 4 for d in MODEL.dimensions)


def test_every_problem_of_the_indicators_at_once() -> None:
    errors = ViolationCollector()
    raw = {**GROWTH, "invention_patents": "-1", "rd_intensity": "lots", "staff": "9", "standards_drafted": "1.5"}
    del raw["gross_margin"]
    raw["rd_staff_share"] = "0.1234567"
    parse_indicators(MODEL, raw, errors)
    found = {(v.field, v.reason) for v in errors.violations}
    assert found == {
        ("indicators[invention_patents]", "OUT_OF_RANGE"),
        ("indicators[rd_intensity]", "INVALID_DECIMAL"),
        ("indicators[staff]", "UNKNOWN_INDICATOR"),
        ("indicators[standards_drafted]", "INVALID_FIELD"),
        ("indicators[gross_margin]", "MISSING_INDICATOR"),
        ("indicators[rd_staff_share]", "INVALID_FIELD"),
    }
