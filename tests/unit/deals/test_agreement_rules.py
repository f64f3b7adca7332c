"""The pure agreement rules: compensation by bands and tiers, and what a booking may ask for (issue 15).

Every expected figure is worked out by hand in the comments; amounts are fen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from deals.agreements.model import (
    Agreement,
    AgreementDraft,
    AgreementKind,
    Attribution,
    LinkageTerms,
    RiskSharingTerms,
)
from deals.agreements.rules import check_draft, within_agreements
from deals.terms import Band, RiskSharing, Split, banded
from ledger.errors import ViolationCollector
from tests.unit.deals.test_terms import good_terms

BANDS = (Band(100_000_000, Decimal("0.50")), Band(0, Decimal("0.70")))  # 50 % up to 1,000,000.00, 70 % above


def agreement(kind: AgreementKind, owner: str, terms: object, **dates: dt.date | None) -> Agreement:
    return Agreement(
        id=f"{kind.value}-{owner}",
        kind=kind,
        owner=owner,
        counterparty="bank-hz",
        version=3,
        effective_from=dates.get("effective_from") or dt.date(2025, 1, 1),
        effective_until=dates.get("effective_until"),
        terms=terms,  # type: ignore[arg-type]
        recorded_by=Attribution("pool-li", "risk_pool", "sign-1"),
    )


RISK = agreement(
    AgreementKind.RISK_SHARING,
    "pool",
    RiskSharingTerms(base_rate=Decimal("0.50"), per_deal_cap=300_000_000, auto_approval_limit=100_000_000),
)
LINK = agreement(AgreementKind.LINKAGE, "invest-arm", LinkageTerms(3000, 5000, 2000, advisory_fee=5_000_000))


def test_bands_pay_each_slice_at_its_rate() -> None:
    # 3,000,000.00: 1,000,000.00 × 0.50 + 2,000,000.00 × 0.70 = 500,000.00 + 1,400,000.00 = 1,900,000.00
    assert banded(300_000_000, BANDS) == Decimal(190_000_000)
    # 600,000.00 lies in the first band only: 300,000.00
    assert banded(60_000_000, BANDS) == Decimal(30_000_000)
    # exactly at the edge: 1,000,000.00 × 0.50 = 500,000.00
    assert banded(100_000_000, BANDS) == Decimal(50_000_000)


def test_a_tier_applies_to_the_whole_loss_and_the_cap_last() -> None:
    risk = RiskSharing(pool="pool", base_rate=Decimal(0), bands=BANDS, first_loan_rate=Decimal("0.90"))
    assert risk.compensation(300_000_000) == 190_000_000  # bands
    first = dataclasses.replace(risk, first_loan=True)
    assert first.compensation(300_000_000) == 270_000_000  # 3,000,000.00 × 0.90, bands not used
    capped = dataclasses.replace(first, cap=250_000_000)
    assert capped.compensation(300_000_000) == 250_000_000
    # 0.5 fen is rounded half up once: 1.01 CNY × 0.50 = 0.505 → 0.51
    assert RiskSharing(pool="pool", base_rate=Decimal("0.50")).compensation(101) == 51


def test_a_booking_takes_what_it_leaves_out_from_the_agreements() -> None:
    asked = dataclasses.replace(
        good_terms(),
        risk=RiskSharing(pool="pool", base_rate=Decimal(0)),
        split=Split(0, 0, 0),
    )
    applied, problems = within_agreements(asked, RISK, LINK, None)
    assert problems == []
    risk = applied.terms.risk
    assert (risk.base_rate, risk.cap, risk.auto_approval_limit) == (Decimal("0.50"), 300_000_000, 100_000_000)
    assert applied.terms.split == Split(3000, 5000, 2000, 5_000_000)
    agreements = applied.terms.agreements
    assert (agreements.risk_sharing, agreements.risk_sharing_version) == ("risk_sharing-pool", 3)
    # The pool's worst case on this 10,000,000.00 loan: 50 % = 5,000,000.00, capped at 3,000,000.00.
    assert applied.max_compensation == 300_000_000


def test_asking_for_more_than_agreed_names_every_term_and_the_version() -> None:
    asked = dataclasses.replace(
        good_terms(),
        risk=RiskSharing(pool="pool", base_rate=Decimal("0.60"), cap=500_000_000),
        split=Split(2000, 6000, 2000),
    )
    asked = dataclasses.replace(asked, option=dataclasses.replace(asked.option, holder="bank-sh"))
    _, problems = within_agreements(asked, RISK, LINK, None)
    subjects = {p.subject for p in problems}
    assert subjects == {
        "terms.risk_sharing.base_rate",
        "terms.risk_sharing.cap",
        "terms.option.holder",
        "terms.split",
    }
    assert all(p.type == "OUTSIDE_AGREEMENT" for p in problems)
    assert any("agreements/risk_sharing-pool/versions/3" in p.description for p in problems)


def test_asking_for_less_is_within() -> None:
    asked = dataclasses.replace(good_terms(), risk=RiskSharing(pool="pool", base_rate=Decimal("0.40"), cap=1))
    applied, problems = within_agreements(asked, RISK, LINK, None)
    assert problems == [] and (applied.terms.risk.base_rate, applied.terms.risk.cap) == (Decimal("0.40"), 1)


def test_an_agreement_not_in_effect_on_the_start_date_refuses() -> None:
    late = dataclasses.replace(RISK, effective_from=dt.date(2026, 1, 1))  # the loan starts 2025-03-03
    _, problems = within_agreements(good_terms(), late, LINK, None)
    assert [p.subject for p in problems if "in effect" in p.description] == ["terms.loan.start_date"]


def test_a_draft_reports_every_problem_with_its_path() -> None:
    errors = ViolationCollector()
    draft = AgreementDraft(
        AgreementKind.RISK_SHARING,
        "pool",
        "pool",
        dt.date(2025, 1, 1),
        dt.date(2024, 1, 1),
        RiskSharingTerms(base_rate=Decimal("0.5"), bands=BANDS, insurer_rate=Decimal("0.2"), per_deal_cap=-1),
    )
    check_draft(draft, errors)
    assert {v.field for v in errors.violations} == {
        "agreement.counterparty",
        "agreement.effective_until",
        "agreement.risk_sharing.base_rate",
        "agreement.risk_sharing.per_deal_cap",
        "agreement.risk_sharing.insurer",
    }


def test_a_base_rate_under_a_banded_agreement_is_refused_by_name() -> None:
    banded_risk = dataclasses.replace(RISK, terms=RiskSharingTerms(bands=BANDS))
    asked = dataclasses.replace(good_terms(), risk=RiskSharing(pool="pool", base_rate=Decimal("0.30")))
    applied, problems = within_agreements(asked, banded_risk, LINK, None)
    assert [(p.subject, p.description.split(": ", 1)[1]) for p in problems] == [
        ("terms.risk_sharing.base_rate", "pays by bands; leave base_rate out")
    ]
    left_out = dataclasses.replace(asked, risk=RiskSharing(pool="pool", base_rate=Decimal(0)))
    applied, problems = within_agreements(left_out, banded_risk, LINK, None)
    assert problems == [] and applied.terms.risk.bands == BANDS
