"""A risk-sharing agreement's per-tier rates (docs/assessment.md): which tier applies (the assessed one,
else the booked stage), what a booking may ask for, and that the booking records the assessment.
Amounts are fen, worked out by hand."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from deals.agreements.model import AgreementKind, RiskSharingTerms, TierRate
from deals.agreements.rules import AssessedTier, check_draft, within_agreements
from deals.terms import Band, RiskSharing, Split, Stage
from ledger.errors import ViolationCollector
from tests.unit.deals.test_agreement_rules import LINK, agreement
from tests.unit.deals.test_terms import good_terms

TIERED = RiskSharingTerms(
    base_rate=Decimal("0.50"),
    tier_rates=(TierRate(Stage.START_UP, Decimal("0.80")), TierRate(Stage.MATURE, Decimal("0.40"))),
)
RISK = agreement(AgreementKind.RISK_SHARING, "pool", TIERED)


def _asked(base_rate: str = "0") -> object:
    return dataclasses.replace(
        good_terms(), risk=RiskSharing(pool="pool", base_rate=Decimal(base_rate)), split=Split(0, 0, 0)
    )


def test_the_assessed_tier_sets_the_rate_else_the_booked_stage() -> None:
    terms = _asked()
    assert terms.borrower.stage is Stage.GROWTH  # type: ignore[attr-defined]
    # No assessment: the booked stage, growth, is not listed: the base rate 0.50.
    applied, problems = within_agreements(terms, RISK, LINK, None)  # type: ignore[arg-type]
    assert (problems, applied.terms.risk.base_rate, applied.terms.agreements.assessment) == ([], Decimal("0.50"), "")
    # Assessed start-up: 0.80; the most the pool can owe on 10,000,000.00 is 8,000,000.00.
    assessed = AssessedTier("assessments/a1", Stage.START_UP, "15.60")
    applied, problems = within_agreements(terms, RISK, LINK, None, assessed=assessed)  # type: ignore[arg-type]
    assert (problems, applied.terms.risk.base_rate, applied.max_compensation) == ([], Decimal("0.80"), 800_000_000)
    recorded = applied.terms.agreements
    assert (recorded.assessment, recorded.assessment_tier, recorded.assessment_score) == (
        "assessments/a1",
        "start_up",
        "15.60",
    )


def test_a_booking_may_not_ask_more_than_its_tier_gives() -> None:
    mature = AssessedTier("assessments/a2", Stage.MATURE, "97.00")
    _, problems = within_agreements(_asked("0.50"), RISK, LINK, None, assessed=mature)  # type: ignore[arg-type]
    assert [(p.subject, p.description) for p in problems] == [
        ("terms.risk_sharing.base_rate", f"{RISK.version_name}: agrees to at most 0.40, not 0.50")
    ]


def test_eligibility_follows_the_assessed_tier() -> None:
    only_growth = agreement(
        AgreementKind.RISK_SHARING, "pool", dataclasses.replace(TIERED, eligible_stages=(Stage.GROWTH,))
    )
    mature = AssessedTier("assessments/a2", Stage.MATURE, "97.00")
    _, problems = within_agreements(_asked(), only_growth, LINK, None, assessed=mature)  # type: ignore[arg-type]
    assert [p.subject for p in problems] == ["terms.borrower.stage"]


def test_tier_rates_are_checked() -> None:
    import datetime as dt

    from deals.agreements.model import AgreementDraft

    def problems(terms: RiskSharingTerms) -> set[str]:
        errors = ViolationCollector()
        draft = AgreementDraft(AgreementKind.RISK_SHARING, "pool", "bank-hz", dt.date(2025, 1, 1), None, terms)
        check_draft(draft, errors)
        return {v.field for v in errors.violations}

    assert problems(TIERED) == set()
    every = tuple(TierRate(s, Decimal("0.6")) for s in Stage)
    assert problems(RiskSharingTerms(tier_rates=every)) == set()  # no base rate needed when every tier is listed
    assert problems(RiskSharingTerms(tier_rates=every[:2])) == {"agreement.risk_sharing.base_rate"}
    twice = (TierRate(Stage.GROWTH, Decimal("0.6")), TierRate(Stage.GROWTH, Decimal("1.2")))
    assert problems(dataclasses.replace(TIERED, tier_rates=twice)) == {
        "agreement.risk_sharing.tier_rates[1].tier",
        "agreement.risk_sharing.tier_rates[1].rate",
    }
    banded = RiskSharingTerms(bands=(Band(0, Decimal("0.5")),), tier_rates=every)
    assert problems(banded) == {"agreement.risk_sharing.tier_rates"}
