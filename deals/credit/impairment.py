"""Expected credit loss (ECL, CAS 22 / IFRS 9) of a loan as of a date, pure.

ECL = PD × (the bank's share of LGD × EAD), each input recorded by the run that used it (docs/credit.md,
"Impairment"):
- **Stage** from the loan's days past due and classification: stage 3 (credit-impaired) when defaulted,
  non-performing (substandard or worse) or more than 90 days past due; stage 2 (significant increase in
  credit risk) when more than 30 days past due or special mention; stage 1 otherwise; a booked loan not
  yet disbursed is stage 1.
- **PD** from the parameter table by the borrower's tier (the branch's assessment in force on the run's
  date, docs/assessment.md, else its booked stage: start-up, growth, mature; none: the start-up row, the
  most prudent) and the ECL stage: twelve-month PD in stage 1, lifetime PD in stage 2,
  1 in stage 3.
- **EAD**: principal outstanding plus borrower interest receivable; an undrawn commitment (booked, not
  disbursed) counts in full (a credit conversion factor of 1).
- **LGD** from the table by tier, applied to the EAD; the loss the bank would bear is that loss less what
  the agreements make others pay: the risk pool's compensation of it (its tiers, bands and cap) and the
  insurer's share. For a defaulted loan the cover is what the default already measured (compensation and
  the insurer's share), so only LGD of the uncovered rest is expected to be lost.
- ECL is rounded to the fen once, half up.

The parameters are versioned: a run records the version it used and every input per deal, so any run
can be recomputed from its record (`expected_loss` on the recorded inputs gives the recorded ECL).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from deals.credit.classification import Category, Classification
from deals.schedule import round_fen
from deals.terms import RiskSharing, Stage

__all__ = ["PARAMETERS", "EclStage", "Inputs", "Parameters", "ecl_stage", "expected_loss", "inputs_for"]


class EclStage(enum.IntEnum):
    PERFORMING = 1  # twelve-month ECL
    SIGNIFICANT_INCREASE = 2  # lifetime ECL
    CREDIT_IMPAIRED = 3  # lifetime ECL, PD 1


@dataclass(frozen=True, slots=True)
class Parameters:
    """One version of the PD and LGD tables, by borrower tier."""

    version: str
    pd_12_month: dict[str, Decimal]
    pd_lifetime: dict[str, Decimal]
    lgd: dict[str, Decimal]
    stage_2_days: int = 30
    stage_3_days: int = 90

    def pd(self, tier: str, stage: EclStage) -> Decimal:
        if stage is EclStage.CREDIT_IMPAIRED:
            return Decimal(1)
        table = self.pd_12_month if stage is EclStage.PERFORMING else self.pd_lifetime
        return table[tier]


#: The tables in force (docs/credit.md lists them). Illustrative figures for unsecured lending to tech
#: start-ups; a bank replaces them with its own calibration by adding a version here (reviewed like code).
PARAMETERS: dict[str, Parameters] = {
    "2026-1": Parameters(
        version="2026-1",
        pd_12_month={"start_up": Decimal("0.040"), "growth": Decimal("0.025"), "mature": Decimal("0.015")},
        pd_lifetime={"start_up": Decimal("0.150"), "growth": Decimal("0.100"), "mature": Decimal("0.060")},
        lgd={"start_up": Decimal("0.65"), "growth": Decimal("0.60"), "mature": Decimal("0.55")},
    )
}
CURRENT = "2026-1"


def tier_of(stage: Stage | None) -> str:
    return stage.value if stage is not None else Stage.START_UP.value


def ecl_stage(c: Classification | None, params: Parameters) -> EclStage:
    """The ECL stage (module docstring); None (not disbursed) is stage 1."""
    if c is None:
        return EclStage.PERFORMING
    if c.impaired or c.written_off or c.category.non_performing or c.days_past_due > params.stage_3_days:
        return EclStage.CREDIT_IMPAIRED
    if c.days_past_due > params.stage_2_days or c.category is Category.SPECIAL_MENTION:
        return EclStage.SIGNIFICANT_INCREASE
    return EclStage.PERFORMING


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything one loan's ECL is computed from (fen and Decimal fractions), as a run records it."""

    stage: EclStage
    tier: str
    pd: Decimal
    lgd: Decimal
    ead: int
    cover: int  # what the pool and the insurer would pay of the loss (after default: were measured to pay)
    cover_measured: bool = False  # True after a default: `cover` is of the whole exposure, not of LGD × EAD

    @property
    def ecl(self) -> int:
        return expected_loss(self)


def expected_loss(i: Inputs) -> int:
    """Before a default: PD × (LGD × EAD rounded to the fen − the cover of that loss); after one: PD × LGD
    × (EAD − the measured cover). Never below zero; the ECL is rounded to the fen once, half up."""
    if i.cover < 0 or i.ead < 0:
        raise ValueError("EAD and cover are never negative")
    if i.cover_measured:
        return round_fen(i.pd * i.lgd * max(i.ead - i.cover, 0))
    return round_fen(i.pd * max(round_fen(i.lgd * i.ead) - i.cover, 0))


def inputs_for(
    *,
    classification: Classification | None,
    borrower_stage: Stage | None,
    ead: int,
    risk: RiskSharing,
    measured_cover: int | None,
    params: Parameters,
) -> Inputs:
    """A loan's inputs: `measured_cover` is what its default measured (None before a default)."""
    stage = ecl_stage(classification, params)
    tier = tier_of(borrower_stage)
    lgd = params.lgd[tier]
    if measured_cover is not None:
        return Inputs(stage, tier, params.pd(tier, stage), lgd, ead, measured_cover, cover_measured=True)
    loss = round_fen(lgd * ead)
    insurer = round_fen(Decimal(loss) * risk.insurer_rate) if risk.insurer else 0
    cover = min(risk.compensation(loss) + insurer, loss)
    return Inputs(stage, tier, params.pd(tier, stage), lgd, ead, cover)
