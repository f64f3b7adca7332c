"""Pure checks: an agreement draft is well formed, and a deal's terms fall within its agreements.

`check_draft` reports every problem of a new agreement or version with its field path (INVALID_ARGUMENT).
`within_agreements` is what booking applies: it fills the terms a booking left out from the agreements
and returns, for every term that asks for more than an agreement gives, a precondition violation naming
the agreement version and the term, so the branch sees at once everything the counterparties did not
agree to (FAILED_PRECONDITION). A booking may ask for *less* than an agreement gives (a lower rate, a
lower cap, a higher unsecured threshold, no insurer); never more.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from deals.agreements.model import (
    AGREEMENT_ID_MAX,
    TERMS_OF,
    Agreement,
    AgreementDraft,
    LinkageTerms,
    RiskSharingTerms,
    SubsidyTerms,
)
from deals.schedule import SubsidyKind
from deals.terms import BASIS_POINTS, DealAgreements, DealTerms, RiskSharing, Split, Stage, validate_bands
from ledger import names
from ledger.errors import PreconditionViolation, ViolationCollector


def check_agreement_id(agreement_id: str, field: str, errors: ViolationCollector) -> None:
    if not names.PARTY_ID.match(agreement_id or "") or len(agreement_id) > AGREEMENT_ID_MAX:
        errors.add(
            field, f"must be 1 to {AGREEMENT_ID_MAX} lowercase letters, digits or hyphens, starting with a letter"
        )


def _fraction(value: Decimal, field: str, errors: ViolationCollector) -> None:
    if not Decimal(0) <= value <= Decimal(1):
        errors.add(field, f"must be a fraction between 0 and 1 (got {value}); 50% is 0.50")


def check_draft(draft: AgreementDraft, errors: ViolationCollector, prefix: str = "agreement.") -> None:
    """Every problem of a draft, with field paths under `prefix`."""
    p = prefix
    if draft.kind is None:
        errors.add(f"{p}kind", "is required: risk_sharing, linkage or subsidy")
    for field, party in (("owner", draft.owner), ("counterparty", draft.counterparty)):
        if not names.PARTY_ID.match(party or ""):
            errors.add(f"{p}{field}", "must be parties/{party}, e.g. parties/bank-hz")
    if draft.owner and draft.owner == draft.counterparty:
        errors.add(f"{p}counterparty", "must be another party than the owner")
    if draft.effective_from is None:
        errors.add(f"{p}effective_from", "is required")
    elif draft.effective_until is not None and draft.effective_until < draft.effective_from:
        errors.add(f"{p}effective_until", "must not be before effective_from")
    if len(draft.reference) > 200:
        errors.add(f"{p}reference", "must be at most 200 characters")
    terms = draft.terms
    if terms is None or draft.kind is None:
        if draft.kind is not None:
            errors.add(f"{p}{draft.kind.value}", f"the {draft.kind.value} terms are required for this kind")
        return
    if not isinstance(terms, TERMS_OF[draft.kind]):
        errors.add(f"{p}{draft.kind.value}", f"a {draft.kind.value} agreement needs {draft.kind.value} terms")
        return
    if isinstance(terms, RiskSharingTerms):
        _check_risk(terms, f"{p}risk_sharing", errors)
    elif isinstance(terms, LinkageTerms):
        _check_linkage(terms, f"{p}linkage", errors)
    elif isinstance(terms, SubsidyTerms):
        _check_subsidy(terms, f"{p}subsidy", errors)


def _check_risk(t: RiskSharingTerms, p: str, errors: ViolationCollector) -> None:
    for name in ("base_rate", "first_loan_rate", "unsecured_threshold", "unsecured_rate", "insurer_rate"):
        _fraction(getattr(t, name), f"{p}.{name}", errors)
    validate_bands(t.bands, f"{p}.bands", errors)
    if t.base_rate and t.bands:
        errors.add(f"{p}.base_rate", "give either a base rate or bands, not both")
    every_tier = {r.tier for r in t.tier_rates} == set(Stage)
    if not t.base_rate and not t.bands and not every_tier:
        errors.add(f"{p}.base_rate", "a base rate or bands are required (or a tier rate for every tier)")
    _check_tier_rates(t, f"{p}.tier_rates", errors)
    for name in ("per_deal_cap", "exposure_cap", "auto_approval_limit"):
        if getattr(t, name) < 0:
            errors.add(f"{p}.{name}", "must not be negative")
    if t.insurer and not names.PARTY_ID.match(t.insurer):
        errors.add(f"{p}.insurer", "must be parties/{party}")
    if t.insurer_rate and not t.insurer:
        errors.add(f"{p}.insurer", "is required with an insurer rate")
    # A rate and the insurer's share together above the whole loss is refused per deal, for the tier that
    # applies (deals.terms.validate_terms): an agreement states ceilings, not the deal's figures.


def _check_tier_rates(t: RiskSharingTerms, p: str, errors: ViolationCollector) -> None:
    """Each tier once, each rate a fraction; not with bands (bands split a loss, tiers the borrowers)."""
    seen: set[Stage] = set()
    for i, tier_rate in enumerate(t.tier_rates):
        if tier_rate.tier in seen:
            errors.add(f"{p}[{i}].tier", f"{tier_rate.tier.value} is listed twice")
        seen.add(tier_rate.tier)
        _fraction(tier_rate.rate, f"{p}[{i}].rate", errors)
    if t.tier_rates and t.bands:
        errors.add(p, "give either tier rates or bands, not both")


def _check_linkage(t: LinkageTerms, p: str, errors: ViolationCollector) -> None:
    for name in ("bank_bps", "arm_bps", "pool_bps"):
        if getattr(t, name) < 0:
            errors.add(
                f"{p}.{name.replace('arm_', 'investment_arm_').replace('pool_', 'risk_pool_')}", "must not be negative"
            )
    if t.bank_bps + t.arm_bps + t.pool_bps != BASIS_POINTS:
        errors.add(f"{p}", "basis points must sum to 10000 (bank + investment arm + pool)", "SPLIT_NOT_10000")
    if t.advisory_fee < 0:
        errors.add(f"{p}.advisory_fee", "must not be negative")


def _check_subsidy(t: SubsidyTerms, p: str, errors: ViolationCollector) -> None:
    if not t.kinds or SubsidyKind.NONE in t.kinds:
        errors.add(f"{p}.types", "name the subsidy types the fund pays: rate_points, interest_share")
    _fraction(t.max_rate_points, f"{p}.max_rate_points", errors)
    _fraction(t.max_share, f"{p}.max_share", errors)
    if SubsidyKind.RATE_POINTS in t.kinds and not t.max_rate_points:
        errors.add(f"{p}.max_rate_points", "is required when the fund pays rate points")
    if SubsidyKind.INTEREST_SHARE in t.kinds and not t.max_share:
        errors.add(f"{p}.max_share", "is required when the fund pays a share of interest")


# ---------------------------------------------------------------------- deals within agreements


@dataclasses.dataclass(frozen=True, slots=True)
class AssessedTier:
    """The borrower's assessment in force on the loan's start date, as booking applies and records it."""

    name: str  # assessments/{uuid}
    tier: Stage
    score: str  # the total, e.g. "65.88"


@dataclasses.dataclass(frozen=True, slots=True)
class Applied:
    """The agreements a booking falls under, and its terms with everything they fix filled in."""

    terms: DealTerms
    max_compensation: int  # the most the pool can owe on this deal (its exposure)


def _violation(agreement: Agreement, subject: str, description: str) -> PreconditionViolation:
    return PreconditionViolation("OUTSIDE_AGREEMENT", subject, f"{agreement.version_name}: {description}")


def within_agreements(
    terms: DealTerms,
    risk: Agreement,
    linkage: Agreement,
    subsidy: Agreement | None,
    *,
    prefix: str = "terms.",
    assessed: AssessedTier | None = None,
) -> tuple[Applied, list[PreconditionViolation]]:
    """`terms` with the agreements' terms filled in, and every way they ask for more than agreed.

    `assessed` is the borrower's assessment in force on the loan's start date (deals.assessment): its tier,
    not the booked stage, decides the tier rate and eligibility, and the booking records it."""
    problems: list[PreconditionViolation] = []
    start = terms.loan.start
    for agreement in (risk, linkage, subsidy):
        if agreement is not None and not agreement.in_effect_on(start):
            until = agreement.effective_until.isoformat() if agreement.effective_until else "open-ended"
            problems.append(
                _violation(
                    agreement,
                    f"{prefix}loan.start_date",
                    f"in effect from {agreement.effective_from.isoformat()} to {until}; the loan starts "
                    f"{start.isoformat()}",
                )
            )
    tier = assessed.tier if assessed is not None else terms.borrower.stage
    risk_terms, more = _within_risk(terms, risk, prefix, tier)
    problems += more
    split, more = _within_linkage(terms, linkage, prefix)
    problems += more
    if subsidy is not None:
        problems += _within_subsidy(terms, subsidy, prefix)
    applied = dataclasses.replace(
        terms,
        risk=risk_terms,
        split=split,
        agreements=DealAgreements(
            risk_sharing=risk.id,
            risk_sharing_version=risk.version,
            linkage=linkage.id,
            linkage_version=linkage.version,
            subsidy=subsidy.id if subsidy else "",
            subsidy_version=subsidy.version if subsidy else 0,
            assessment=assessed.name if assessed else "",
            assessment_tier=assessed.tier.value if assessed else "",
            assessment_score=assessed.score if assessed else "",
        ),
    )
    return Applied(applied, max_compensation(applied)), problems


def max_compensation(terms: DealTerms) -> int:
    """The most the pool can pay on a deal: its compensation of a loss of the whole principal (interest
    at default adds to a loss, but the exposure cap is agreed on principal, as pools state it)."""
    return terms.risk.compensation(terms.loan.principal)


def _within_risk(
    terms: DealTerms, agreement: Agreement, prefix: str, tier: Stage | None
) -> tuple[RiskSharing, list[PreconditionViolation]]:
    agreed = agreement.terms
    assert isinstance(agreed, RiskSharingTerms)
    asked = terms.risk
    p = f"{prefix}risk_sharing"
    problems: list[PreconditionViolation] = []
    if agreed.eligible_stages and tier not in agreed.eligible_stages:
        stages = ", ".join(s.value for s in agreed.eligible_stages)
        stage = tier.value if tier else "unset"
        problems.append(_violation(agreement, f"{prefix}borrower.stage", f"covers {stages} borrowers, not {stage}"))

    def rate(name: str, agreed_value: Decimal) -> Decimal:
        value: Decimal = getattr(asked, name)
        if not value:
            return agreed_value
        if name == "base_rate" and agreed.bands:
            problems.append(_violation(agreement, f"{p}.base_rate", "pays by bands; leave base_rate out"))
            return Decimal(0)
        if value > agreed_value:
            problems.append(_violation(agreement, f"{p}.{name}", f"agrees to at most {agreed_value}, not {value}"))
        return value

    base = rate("base_rate", agreed.rate_for(tier))
    first = rate("first_loan_rate", agreed.first_loan_rate)
    unsecured = rate("unsecured_rate", agreed.unsecured_rate)
    threshold = asked.unsecured_threshold or agreed.unsecured_threshold
    if asked.unsecured_threshold and agreed.unsecured_threshold and threshold < agreed.unsecured_threshold:
        problems.append(
            _violation(
                agreement,
                f"{p}.unsecured_threshold",
                f"applies the unsecured rate from {agreed.unsecured_threshold}, not {threshold}",
            )
        )
    if asked.bands and asked.bands != agreed.bands:
        problems.append(_violation(agreement, f"{p}.bands", "bands must be left out or equal the agreement's"))
    cap = asked.cap or agreed.per_deal_cap
    if agreed.per_deal_cap and cap > agreed.per_deal_cap:
        problems.append(_violation(agreement, f"{p}.cap", f"pays at most {agreed.per_deal_cap / 100:,.2f} per loan"))
    insurer, insurer_rate = asked.insurer, asked.insurer_rate
    if not insurer and not insurer_rate:
        insurer, insurer_rate = agreed.insurer, agreed.insurer_rate
    elif insurer != agreed.insurer:
        problems.append(
            _violation(agreement, f"{p}.insurer", f"names insurer {agreed.insurer or 'none'}, not {insurer}")
        )
    elif insurer_rate > agreed.insurer_rate:
        problems.append(_violation(agreement, f"{p}.insurer_rate", f"gives the insurer at most {agreed.insurer_rate}"))
    if asked.auto_approval_limit is not None and asked.auto_approval_limit != agreed.auto_approval_limit:
        problems.append(_violation(agreement, f"{p}.auto_approval_limit", "is the agreement's; leave it out"))
    filled = dataclasses.replace(
        asked,
        base_rate=base,
        first_loan_rate=first,
        unsecured_rate=unsecured,
        unsecured_threshold=threshold,
        bands=agreed.bands if not asked.base_rate else (),
        cap=cap,
        insurer=insurer,
        insurer_rate=insurer_rate,
        auto_approval_limit=agreed.auto_approval_limit,
        reimbursement=agreed.reimbursement,
    )
    return filled, problems


def _within_linkage(terms: DealTerms, agreement: Agreement, prefix: str) -> tuple[Split, list[PreconditionViolation]]:
    agreed = agreement.terms
    assert isinstance(agreed, LinkageTerms)
    problems: list[PreconditionViolation] = []
    if terms.option.holder != agreement.owner:
        problems.append(
            _violation(
                agreement,
                f"{prefix}option.holder",
                f"the option holder must be the agreement's investment arm parties/{agreement.owner}",
            )
        )
    asked = terms.split
    agreed_split = Split(agreed.bank_bps, agreed.arm_bps, agreed.pool_bps, agreed.advisory_fee)
    if (asked.bank_bps, asked.arm_bps, asked.pool_bps) not in (
        (0, 0, 0),
        (agreed.bank_bps, agreed.arm_bps, agreed.pool_bps),
    ):
        problems.append(
            _violation(
                agreement,
                f"{prefix}split",
                f"splits gains {agreed.bank_bps}/{agreed.arm_bps}/{agreed.pool_bps} (bank/arm/pool); leave the "
                "split out or repeat it",
            )
        )
    if asked.advisory_fee and asked.advisory_fee != agreed.advisory_fee:
        problems.append(
            _violation(
                agreement,
                f"{prefix}split.advisory_fee",
                f"sets the advisory fee at {agreed.advisory_fee / 100:,.2f}",
            )
        )
    return agreed_split, problems


def _within_subsidy(terms: DealTerms, agreement: Agreement, prefix: str) -> list[PreconditionViolation]:
    agreed = agreement.terms
    assert isinstance(agreed, SubsidyTerms)
    subsidy = terms.subsidy
    p = f"{prefix}subsidy"
    if subsidy.kind not in agreed.kinds:
        kinds = ", ".join(k.value for k in agreed.kinds)
        return [_violation(agreement, f"{p}.type", f"pays {kinds}, not {subsidy.kind.value}")]
    if subsidy.kind is SubsidyKind.RATE_POINTS and subsidy.rate_points > agreed.max_rate_points:
        return [_violation(agreement, f"{p}.rate_points", f"pays at most {agreed.max_rate_points} rate points")]
    if subsidy.kind is SubsidyKind.INTEREST_SHARE and subsidy.share > agreed.max_share:
        return [_violation(agreement, f"{p}.share", f"pays at most {agreed.max_share} of the interest")]
    return []
