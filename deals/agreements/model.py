"""What the parties agree to, as plain values: one agreement version and the terms of each kind.

An agreement is owned by the party whose book it lets others reach (the risk pool pays compensation,
the investment arm holds options and splits gains, the subsidy fund pays interest) and names the bank
branch it consents for. Rates are Decimal fractions (0.50 = 50 %), money is integer fen (CNY).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from deals.schedule import SubsidyKind
from deals.terms import Band, Reimbursement, Stage
from ledger.model import PartyKind

AGREEMENT_ID_MAX = 40


class AgreementKind(enum.Enum):
    RISK_SHARING = "risk_sharing"
    LINKAGE = "linkage"
    SUBSIDY = "subsidy"


#: The kind of party that owns (consents through) each kind of agreement; the counterparty is a branch.
OWNER_KIND: dict[AgreementKind, PartyKind] = {
    AgreementKind.RISK_SHARING: PartyKind.RISK_POOL,
    AgreementKind.LINKAGE: PartyKind.INVESTMENT_ARM,
    AgreementKind.SUBSIDY: PartyKind.SUBSIDY_FUND,
}


@dataclass(frozen=True, slots=True)
class TierRate:
    """The compensation rate a pool pays for borrowers of one tier (docs/assessment.md)."""

    tier: Stage
    rate: Decimal


@dataclass(frozen=True, slots=True)
class RiskSharingTerms:
    """What the pool pays on the branch's losses, and how far it lets itself be committed."""

    base_rate: Decimal = Decimal(0)
    bands: tuple[Band, ...] = ()
    first_loan_rate: Decimal = Decimal(0)
    unsecured_threshold: Decimal = Decimal(0)
    unsecured_rate: Decimal = Decimal(0)
    per_deal_cap: int = 0  # fen; 0 = no cap
    exposure_cap: int = 0  # fen over all open deals of the agreement; 0 = no cap
    eligible_stages: tuple[Stage, ...] = ()  # empty = every stage
    insurer: str = ""
    insurer_rate: Decimal = Decimal(0)
    auto_approval_limit: int = 0  # fen; compensation above waits for the pool's approval
    reimbursement: Reimbursement = Reimbursement.BORROWER
    # Per-tier rates replacing base_rate for their tier (the borrower's assessed tier in force on the loan's
    # start date, else its booked stage); a tier not listed pays base_rate. Empty: one rate for all.
    tier_rates: tuple[TierRate, ...] = ()

    def rate_for(self, tier: Stage | None) -> Decimal:
        """The base rate the pool agrees to for a borrower of `tier`."""
        for t in self.tier_rates:
            if t.tier is tier:
                return t.rate
        return self.base_rate


class OptionOnWriteOff(enum.Enum):
    """What becomes of a deal's option right when its loan is written off (the linkage agreement says).

    The right (认股选择权) is a contract of its own, not a term of the loan: by default it survives the
    write-off and stays exercisable in its window (docs/settlement.md, "Defaulted and written-off deals"). An agreement
    may instead have it lapse on the write-off."""

    SURVIVES = "survives"
    LAPSES = "lapses"


@dataclass(frozen=True, slots=True)
class LinkageTerms:
    """The option holder's split of gains (basis points), the advisory fee (fen), and whether the option
    right survives a write-off of the loan."""

    bank_bps: int
    arm_bps: int
    pool_bps: int
    advisory_fee: int = 0
    option_on_write_off: OptionOnWriteOff = OptionOnWriteOff.SURVIVES


@dataclass(frozen=True, slots=True)
class SubsidyTerms:
    """Which subsidies the fund pays and how much at most."""

    kinds: tuple[SubsidyKind, ...]
    max_rate_points: Decimal = Decimal(0)
    max_share: Decimal = Decimal(0)


Terms = RiskSharingTerms | LinkageTerms | SubsidyTerms

TERMS_OF: dict[AgreementKind, type] = {
    AgreementKind.RISK_SHARING: RiskSharingTerms,
    AgreementKind.LINKAGE: LinkageTerms,
    AgreementKind.SUBSIDY: SubsidyTerms,
}


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who made a write: principal, role, request id and when."""

    principal: str
    role: str
    request_id: str
    at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class AgreementDraft:
    """What a caller asks to record as a new agreement or version."""

    kind: AgreementKind | None
    owner: str
    counterparty: str
    effective_from: dt.date | None
    effective_until: dt.date | None
    terms: Terms | None
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Agreement:
    """One recorded version of an agreement."""

    id: str
    kind: AgreementKind
    owner: str
    counterparty: str
    version: int
    effective_from: dt.date
    effective_until: dt.date | None
    terms: Terms
    recorded_by: Attribution
    reference: str = ""

    @property
    def name(self) -> str:
        return f"agreements/{self.id}"

    @property
    def version_name(self) -> str:
        return f"agreements/{self.id}/versions/{self.version}"

    def in_effect_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)
