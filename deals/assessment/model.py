"""The four-dimension assessment of a tech company, pure: raw indicators in, points, scores and a tier out.

The region rates tech SMEs on four dimensions: 创新力 (innovation), 竞争力 (competitiveness), 进化力
(growth capacity) and 影响力 (influence), and sorts them into start-up, growth and mature tiers
(`deals.terms.Stage`), which set the support they get: the risk pool's compensation rate of a
risk-sharing agreement with tier rates, and the PD/LGD row of the impairment (docs/assessment.md).

A model is versioned like the impairment's PARAMETERS: a bank adds a version here, reviewed like code,
and every assessment records the version it was scored with. Every scoring rule is a multiplication or
a step table, so every indicator's points and every dimension's score are exact decimals; only the total
is rounded, once, half up to two places. `score(MODELS[record.model], record.indicators)` therefore
reproduces any record exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from deals.terms import Stage
from ledger.amounts import AmountError, parse_plain_decimal
from ledger.errors import ViolationCollector

__all__ = [
    "CURRENT",
    "MODELS",
    "Dimension",
    "Indicator",
    "Model",
    "Score",
    "parse_indicators",
    "score",
]

HUNDRED = Decimal(100)
ZERO = Decimal(0)
#: Raw values may carry at most this many decimal places: enough for a ratio to the basis point and for
#: money to the fen, few enough that points stay short exact decimals.
MAX_PLACES = 6


class RuleKind(enum.Enum):
    LINEAR = "linear"  # points = value × factor, clamped to 0..100
    STEPS = "steps"  # points = those of the highest threshold the value reaches


@dataclass(frozen=True, slots=True)
class Indicator:
    """One raw figure and how it turns into 0 to 100 points.

    `factor` (LINEAR) is the points per unit of the raw value; `steps` (STEPS) are (threshold, points)
    pairs in rising order, the first at the minimum. `minimum`/`maximum` bound what a caller may state
    (`maximum` None: unbounded); `whole` asks for a whole number (a count, a level, a yes/no)."""

    name: str
    label: str
    unit: str
    weight: Decimal  # within its dimension
    kind: RuleKind
    factor: Decimal = ZERO
    steps: tuple[tuple[Decimal, Decimal], ...] = ()
    minimum: Decimal = ZERO
    maximum: Decimal | None = None
    whole: bool = False

    def points(self, value: Decimal) -> Decimal:
        if self.kind is RuleKind.LINEAR:
            return min(max(value * self.factor, ZERO), HUNDRED)
        found = ZERO
        for threshold, points in self.steps:
            if value >= threshold:
                found = points
        return found


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    label: str
    weight: Decimal  # of the total
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True, slots=True)
class Model:
    """One version of the model: four dimensions and the tier thresholds on the total (0 to 100)."""

    version: str
    dimensions: tuple[Dimension, ...]
    growth_from: Decimal  # a total below this is start_up
    mature_from: Decimal  # at or above this mature; between the two growth

    @property
    def indicators(self) -> dict[str, Indicator]:
        return {i.name: i for d in self.dimensions for i in d.indicators}

    def tier(self, total: Decimal) -> Stage:
        if total < self.growth_from:
            return Stage.START_UP
        if total < self.mature_from:
            return Stage.GROWTH
        return Stage.MATURE

    def check(self) -> None:
        """The weights sum to 1 (dimensions, and indicators within each); raises ValueError if not."""
        if sum(d.weight for d in self.dimensions) != 1:
            raise ValueError(f"model {self.version}: dimension weights do not sum to 1")
        for d in self.dimensions:
            if sum(i.weight for i in d.indicators) != 1:
                raise ValueError(f"model {self.version}: indicator weights of {d.name} do not sum to 1")


@dataclass(frozen=True, slots=True)
class Score:
    """What a model gives for a set of raw values: each indicator's points, each dimension's score (exact),
    the total (rounded half up to 2 places, once) and the tier."""

    model: str
    points: dict[str, Decimal]
    dimensions: dict[str, Decimal]
    total: Decimal
    tier: Stage


def _d(text: str | int) -> Decimal:
    return Decimal(text)


def _linear(name: str, label: str, unit: str, weight: str, factor: str, **kw: object) -> Indicator:
    return Indicator(name, label, unit, _d(weight), RuleKind.LINEAR, factor=_d(factor), **kw)  # type: ignore[arg-type]


#: The versions a bank may score with; an assessment names its version. docs/assessment.md explains every
#: figure: illustrative calibration for tech SMEs, replaced by a bank's own by adding a version.
MODELS: dict[str, Model] = {
    "2026-1": Model(
        version="2026-1",
        dimensions=(
            Dimension(
                "innovation",
                "创新力 innovation",
                _d("0.30"),
                (
                    # R&D spending / revenue: 10 % or more is full marks (高新技术企业 asks 3–5 %).
                    _linear(
                        "rd_intensity",
                        "研发投入强度 R&D spending / revenue",
                        "fraction",
                        "0.40",
                        "1000",
                        maximum=_d(10),
                    ),
                    # Granted invention patents (发明专利): 20 points each, five or more full marks.
                    _linear(
                        "invention_patents", "发明专利 granted invention patents", "count", "0.35", "20", whole=True
                    ),
                    # R&D staff / all staff: 40 % or more is full marks.
                    _linear("rd_staff_share", "研发人员占比 R&D staff share", "fraction", "0.25", "250", maximum=_d(1)),
                ),
            ),
            Dimension(
                "competitiveness",
                "竞争力 competitiveness",
                _d("0.25"),
                (
                    # Revenue growth year on year: nothing at or below 0, full marks at 50 %.
                    _linear("revenue_growth", "营收增长率 revenue growth", "fraction", "0.50", "200", minimum=_d(-1)),
                    # Gross margin: full marks at 50 %.
                    _linear(
                        "gross_margin", "毛利率 gross margin", "fraction", "0.50", "200", minimum=_d(-1), maximum=_d(1)
                    ),
                ),
            ),
            Dimension(
                "growth_capacity",
                "进化力 growth capacity",
                _d("0.25"),
                (
                    # Equity financing raised in the last 24 months (CNY): steps, as investors' rounds come.
                    Indicator(
                        "financing_24m",
                        "近24个月股权融资 financing raised in 24 months",
                        "CNY",
                        _d("0.50"),
                        RuleKind.STEPS,
                        steps=((ZERO, ZERO), (_d("0.01"), _d(40)), (_d(5_000_000), _d(70)), (_d(20_000_000), HUNDRED)),
                    ),
                    # Compound annual revenue growth over three years: full marks at 40 %.
                    _linear(
                        "revenue_cagr",
                        "营收复合增长率 revenue CAGR (3 years)",
                        "fraction",
                        "0.50",
                        "250",
                        minimum=_d(-1),
                    ),
                ),
            ),
            Dimension(
                "influence",
                "影响力 influence",
                _d("0.20"),
                (
                    # 0 none, 1 创新型中小企业, 2 省级专精特新, 3 国家级专精特新"小巨人".
                    Indicator(
                        "specialized_level",
                        "专精特新 level (0 none, 1 innovative SME, 2 provincial, 3 national little giant)",
                        "level",
                        _d("0.40"),
                        RuleKind.STEPS,
                        steps=((ZERO, ZERO), (_d(1), _d(40)), (_d(2), _d(70)), (_d(3), HUNDRED)),
                        maximum=_d(3),
                        whole=True,
                    ),
                    # 高新技术企业 certified: 1 yes, 0 no.
                    _linear(
                        "high_tech_enterprise",
                        "高新技术企业 certified (1 yes, 0 no)",
                        "yes/no",
                        "0.30",
                        "100",
                        maximum=_d(1),
                        whole=True,
                    ),
                    # National, industry or group standards drafted or co-drafted: 25 points each.
                    _linear("standards_drafted", "参与制定标准 standards drafted", "count", "0.30", "25", whole=True),
                ),
            ),
        ),
        growth_from=_d(60),
        mature_from=_d(80),
    )
}
CURRENT = "2026-1"

for _model in MODELS.values():
    _model.check()


def score(model: Model, indicators: Mapping[str, Decimal]) -> Score:
    """Points per indicator, weighted into dimension scores and the total (rounded once, half up, to 0.01).

    `indicators` must hold every indicator of the model (parse_indicators checks a request's)."""
    points = {i.name: i.points(indicators[i.name]) for d in model.dimensions for i in d.indicators}
    dimensions = {d.name: sum((i.weight * points[i.name] for i in d.indicators), ZERO) for d in model.dimensions}
    exact = sum((d.weight * dimensions[d.name] for d in model.dimensions), ZERO)
    total = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Score(model.version, points, dimensions, total, model.tier(total))


def parse_indicators(
    model: Model, raw: Mapping[str, str], errors: ViolationCollector, field: str = "indicators"
) -> dict[str, Decimal]:
    """A request's indicators (name → decimal text) checked against the model, every problem at once
    with its field path (`indicators[name]`): unknown, missing, not a decimal, out of range, not whole."""
    known = model.indicators
    found: dict[str, Decimal] = {}
    for name in sorted(raw):
        path = f"{field}[{name}]"
        if name not in known:
            errors.add(path, f"is not an indicator of model {model.version}: {', '.join(known)}", "UNKNOWN_INDICATOR")
            continue
        spec = known[name]
        try:
            value = parse_plain_decimal(raw[name].strip())
        except AmountError as exc:
            errors.add(path, f"{raw[name]!r} is not a decimal: {exc}", "INVALID_DECIMAL")
            continue
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_PLACES:
            errors.add(path, f"has more than {MAX_PLACES} decimal places")
        elif value < spec.minimum:
            errors.add(path, f"must not be below {spec.minimum} ({spec.unit}); got {value}", "OUT_OF_RANGE")
        elif spec.maximum is not None and value > spec.maximum:
            errors.add(path, f"must not be above {spec.maximum} ({spec.unit}); got {value}", "OUT_OF_RANGE")
        elif spec.whole and value != value.to_integral_value():
            errors.add(path, f"must be a whole number ({spec.unit}); got {value}")
        else:
            found[name] = value
    for name in known:
        if name not in raw:
            errors.add(
                f"{field}[{name}]", f"is required by model {model.version} ({known[name].label})", "MISSING_INDICATOR"
            )
    return found
