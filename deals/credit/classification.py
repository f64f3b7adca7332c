"""Loan classification (五级分类) as of a date: the rule set, pure.

The rules (docs/credit.md, "Classification"), after the 商业银行金融资产风险分类办法 (effective 2023-07-01)
for non-retail loans, every threshold a field of `Policy`:
- by days past due: 0 → normal (正常); 1 to 90 → special mention (关注); 91 to 270 → substandard (次级);
  271 to 360 → doubtful (可疑); more than 360 → loss (损失);
- a defaulted loan is credit-impaired: at least substandard; a written-off loan is loss;
- an approved manual downgrade (a floor, with a reason, four eyes) holds the loan at least at its
  category from its effective date until another approved override replaces it;
- upgrades wait for the cure period: the category by days past due is the worst the loan reached on any
  day of the last `cure_days` days (90 by default), so a loan that pays up moves back up only after
  `cure_days` days of keeping current. Downgrades apply at once.
Substandard, doubtful and loss are non-performing (不良贷款).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from deals.credit.arrears import ArrearsBook

__all__ = ["Category", "Classification", "Policy", "by_days_past_due", "classify"]


class Category(enum.Enum):
    """The five categories, in order of worsening credit (comparisons follow that order)."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def rank(self) -> int:
        return list(Category).index(self)

    @property
    def non_performing(self) -> bool:
        return self.rank >= Category.SUBSTANDARD.rank

    @property
    def chinese(self) -> str:
        return {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"}[
            self.value
        ]


def worst(*categories: Category) -> Category:
    return max(categories, key=lambda c: c.rank)


@dataclass(frozen=True, slots=True)
class Policy:
    """The thresholds of the rule set: each the most days past due a category allows; and the most days
    past due on which a loan's interest is still recognised as income (non-accrual beyond it)."""

    normal_max_days: int = 0
    special_mention_max_days: int = 90
    substandard_max_days: int = 270
    doubtful_max_days: int = 360
    cure_days: int = 90
    non_accrual_days: int = 90


DEFAULT_POLICY = Policy()


def by_days_past_due(days: int, policy: Policy = DEFAULT_POLICY) -> Category:
    if days <= policy.normal_max_days:
        return Category.NORMAL
    if days <= policy.special_mention_max_days:
        return Category.SPECIAL_MENTION
    if days <= policy.substandard_max_days:
        return Category.SUBSTANDARD
    if days <= policy.doubtful_max_days:
        return Category.DOUBTFUL
    return Category.LOSS


@dataclass(frozen=True, slots=True)
class Classification:
    """A loan's category as of a date and every input that decided it."""

    as_of: dt.date
    category: Category
    days_past_due: int
    by_days: Category  # from days past due on the day itself
    by_cure: Category  # the worst over the cure window (what days past due decide)
    floor: Category  # the approved manual override in force (NORMAL: none)
    impaired: bool  # defaulted on or before the date
    written_off: bool

    @property
    def reason(self) -> str:
        """Which rule decided the category, in words."""
        if self.written_off:
            return "written off"
        if self.floor.rank >= self.category.rank and self.floor is not Category.NORMAL:
            return f"manual override to {self.floor.value}"
        if self.by_cure.rank > self.by_days.rank and self.by_cure is self.category:
            return f"cure period: {self.by_cure.value} within the last days of the window"
        if self.impaired and self.category is Category.SUBSTANDARD and self.by_days.rank < self.category.rank:
            return "defaulted (credit-impaired)"
        return f"{self.days_past_due} days past due"


def classify(
    arrears: ArrearsBook,
    as_of: dt.date,
    *,
    defaulted_on: dt.date | None,
    written_off_on: dt.date | None,
    floor: Category = Category.NORMAL,
    policy: Policy = DEFAULT_POLICY,
) -> Classification:
    """The category of a loan as of `as_of` (module docstring)."""
    days = arrears.days_past_due(as_of)
    window_start = as_of - dt.timedelta(days=max(policy.cure_days - 1, 0))
    by_days = by_days_past_due(days, policy)
    by_cure = worst(by_days, by_days_past_due(arrears.worst_over(window_start, as_of), policy))
    impaired = defaulted_on is not None and defaulted_on <= as_of
    written_off = written_off_on is not None and written_off_on <= as_of
    category = worst(by_cure, floor, Category.SUBSTANDARD if impaired else Category.NORMAL)
    if written_off:
        category = Category.LOSS
    return Classification(as_of, category, days, by_days, by_cure, floor, impaired, written_off)
