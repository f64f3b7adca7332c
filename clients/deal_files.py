"""Reading the deal file of `toudai deal book` (YAML, or JSON for *.json) into `DealTerms`.

    deal_id: hz-2026-001
    branch: bank-hz                       # party ids, as people type them
    borrower: {name: 杭州云芯科技有限公司, uscc: 91330106MA2H7K3C08, stage: growth}
    loan:
      principal: 10000000.00              # CNY, exact
      annual_rate: 0.0435                 # a fraction; "4.35%" is read the same way
      start_date: 2026-03-16
      maturity_date: 2027-03-16
      schedule: bullet                    # bullet | equal_principal | equal_instalment
      frequency: monthly                  # monthly | quarterly
    option: {holder: invest-arm, company: ..., share_class: A, quantity_basis: coverage, coverage: 0.10,
             strike_basis: last_round_price, strike_price: 10.00, triggers: [qualifying_round, ipo], ...}
    risk_sharing: {risk_pool: risk-pool, base_rate: 0.50, cap: 3000000.00}
    split: {bank_bps: 3000, investment_arm_bps: 5000, risk_pool_bps: 2000}

A file holds one deal, or several under `deals:`. As in clients.postfile, no number passes through a
binary float: YAML is read with BaseLoader (every scalar stays the text written) and JSON with
`parse_float=str`. This module checks the *shape* of the file (known keys, numbers, dates, enum values)
and reports every problem with its path at once (exit 2); the business rules (a valid USCC, a split of
10,000 basis points, ...) are the server's, which reports its own violations by field (exit 1).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import yaml

from clients.deal_types import (
    Borrower,
    BorrowerStage,
    BusinessDay,
    DayCount,
    DealAgreements,
    DealTerms,
    ExerciseTrigger,
    HolidayCalendar,
    InterestFrequency,
    LoanTerms,
    OptionTerms,
    ProceedsSplit,
    QuantityBasis,
    RiskSharingTerms,
    ScheduleType,
    StrikeBasis,
    SubsidyTerms,
    SubsidyType,
)
from clients.postfile import PostFileError, parse_document, syntax_problem

E = TypeVar("E", bound=enum.StrEnum)

DEAL_KEYS = frozenset(
    {
        "deal_id",
        "request_id",
        "branch",
        "borrower",
        "loan",
        "subsidy",
        "option",
        "risk_sharing",
        "split",
        "agreements",
    }
)
AGREEMENT_KEYS = frozenset({"risk_sharing", "linkage", "subsidy"})
BORROWER_KEYS = frozenset({"name", "uscc", "stage", "credit_score"})
LOAN_KEYS = frozenset(
    {
        "principal",
        "annual_rate",
        "day_count",
        "start_date",
        "maturity_date",
        "schedule",
        "frequency",
        "business_day",
        "end_of_month",
        "calendar",
        "extra_holidays",
        "extra_working_days",
    }
)
SUBSIDY_KEYS = frozenset({"type", "fund", "subsidy_fund", "rate_points", "share", "cap"})
OPTION_KEYS = frozenset(
    {
        "holder",
        "company",
        "share_class",
        "quantity_basis",
        "shares",
        "stake",
        "coverage",
        "fully_diluted_shares",
        "strike_basis",
        "strike_price",
        "discount",
        "valuation_cap",
        "exercise_window",
        "exercise_window_start",
        "exercise_window_end",
        "triggers",
        "qualifying_round_size",
        "valuation_threshold",
    }
)
WINDOW_KEYS = frozenset({"start", "end"})
RISK_KEYS = frozenset(
    {
        "risk_pool",
        "base_rate",
        "first_loan",
        "first_loan_rate",
        "unsecured_share",
        "unsecured_threshold",
        "unsecured_rate",
        "cap",
        "insurer",
        "insurer_rate",
    }
)
SPLIT_KEYS = frozenset({"bank_bps", "investment_arm_bps", "risk_pool_bps", "advisory_fee"})


class DealFileError(PostFileError):
    """The file cannot be read as deals; `problems` lists every one found, with its path."""


@dataclass(frozen=True, slots=True)
class DealFile:
    """One deal read from a file: its id, an optional request_id, and its terms."""

    deal_id: str
    request_id: str | None
    terms: DealTerms


def load_deals(text: str, source: str) -> list[DealFile]:
    """Deals from the text of a YAML or JSON file (`source` names it in messages; *.json is JSON)."""
    try:
        document = parse_document(text, json_syntax=source.lower().endswith(".json"))
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise DealFileError(source, [syntax_problem(exc)]) from exc
    if isinstance(document, Mapping) and "deals" in document:
        entries, prefix = document["deals"], "deals"
        if not isinstance(entries, list) or not entries:
            raise DealFileError(source, ["deals: expected a non-empty list of deals"])
        paths = [f"{prefix}[{i}]." for i in range(len(entries))]
    elif isinstance(document, Mapping):
        entries, paths = [document], [""]
    else:
        raise DealFileError(source, ["expected a deal (a mapping with deal_id, branch, borrower, loan, ...)"])
    reader = _Reader()
    deals = [reader.deal(entry, path) for entry, path in zip(entries, paths, strict=True)]
    ids = [d.deal_id for d in deals if d is not None]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        reader.problems.append(f"deal_id: {duplicate!r} appears more than once in the file")
    if reader.problems:
        raise DealFileError(source, reader.problems)
    return [d for d in deals if d is not None]


class _Reader:
    """Reads values at paths, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # ------------------------------------------------------------------ structure

    def section(self, owner: Mapping[str, Any], key: str, path: str, keys: frozenset[str], *, required: bool) -> Any:
        value = owner.get(key)
        if value is None or value == "":
            if required:
                self.problem(f"{path}{key}", "is required")
            return None
        if not isinstance(value, Mapping):
            self.problem(f"{path}{key}", "expected a mapping")
            return None
        for unknown in sorted(set(value) - keys):
            self.problem(f"{path}{key}.{unknown}", f"unknown key (expected one of {', '.join(sorted(keys))})")
        return value

    # ------------------------------------------------------------------ scalars

    @staticmethod
    def _given(owner: Mapping[str, Any] | None, key: str) -> Any:
        if owner is None:
            return None
        value = owner.get(key)
        return None if value in (None, "", "~", "null") else value

    def text(self, owner: Mapping[str, Any] | None, key: str, path: str, *, required: bool = False) -> str:
        value = self._given(owner, key)
        if value is None:
            if required and owner is not None:  # a missing section is reported once
                self.problem(f"{path}{key}", "is required")
            return ""
        if not isinstance(value, str | int):
            self.problem(f"{path}{key}", "expected text")
            return ""
        return str(value).strip()

    def party(self, owner: Mapping[str, Any] | None, key: str, path: str, *, required: bool = False) -> str:
        """A party id (`bank-hz`) or name (`parties/bank-hz`); the server checks that it exists."""
        return self.text(owner, key, path, required=required).removeprefix("parties/")

    def decimal(
        self, owner: Mapping[str, Any] | None, key: str, path: str, *, required: bool = False, percent: bool = False
    ) -> Decimal | None:
        """An exact decimal; with `percent`, "4.35%" means 0.0435."""
        value = self._given(owner, key)
        if value is None:
            if required and owner is not None:  # a missing section is reported once
                self.problem(f"{path}{key}", "is required")
            return None
        if isinstance(value, float):  # only if a caller parsed the document with a float-making loader
            self.problem(f"{path}{key}", f'{value!r} was read as a binary float; write it in quotes, e.g. "0.0435"')
            return None
        text = str(value).strip().replace("_", "")
        scale = Decimal(1)
        if percent and text.endswith("%"):
            text, scale = text[:-1].strip(), Decimal(100)
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or "e" in text.lower():
            example = '0.0435 or "4.35%"' if percent else "10000000.00"
            self.problem(f"{path}{key}", f"{value!r} is not a decimal number such as {example}")
            return None
        return number / scale if scale != 1 else number

    def money(self, owner: Mapping[str, Any] | None, key: str, path: str, *, required: bool = False) -> Decimal | None:
        amount = self.decimal(owner, key, path, required=required)
        if amount is not None and amount != amount.quantize(Decimal("0.01")):
            self.problem(f"{path}{key}", f"{amount} has more decimal places than a fen (0.01 CNY)")
            return None
        return amount

    def integer(self, owner: Mapping[str, Any] | None, key: str, path: str, *, required: bool = False) -> int:
        value = self._given(owner, key)
        if value is None:
            if required and owner is not None:  # a missing section is reported once
                self.problem(f"{path}{key}", "is required")
            return 0
        text = str(value).strip().replace("_", "").replace(",", "")
        try:
            return int(text)
        except ValueError:
            self.problem(f"{path}{key}", f"{value!r} is not a whole number")
            return 0

    def boolean(self, owner: Mapping[str, Any] | None, key: str, path: str) -> bool:
        value = self._given(owner, key)
        if value is None:
            return False
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        self.problem(f"{path}{key}", f"{value!r} is not true or false")
        return False

    def date(self, owner: Mapping[str, Any] | None, key: str, path: str, *, required: bool = False) -> dt.date | None:
        value = self._given(owner, key)
        if value is None:
            if required and owner is not None:  # a missing section is reported once
                self.problem(f"{path}{key}", "is required (YYYY-MM-DD)")
            return None
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(f"{path}{key}", f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def dates(self, owner: Mapping[str, Any] | None, key: str, path: str) -> tuple[dt.date, ...]:
        """A list of dates (YYYY-MM-DD), each checked; a single date is a list of one."""
        value = self._given(owner, key)
        if value is None:
            return ()
        found: list[dt.date] = []
        for i, entry in enumerate(value if isinstance(value, list) else [value]):
            try:
                found.append(dt.date.fromisoformat(str(entry).strip()))
            except ValueError:
                self.problem(f"{path}{key}[{i}]", f"{entry!r} is not a date (YYYY-MM-DD)")
        return tuple(found)

    def choice(
        self, owner: Mapping[str, Any] | None, key: str, path: str, enum_type: type[E], *, required: bool = False
    ) -> E | None:
        value = self._given(owner, key)
        if value is None:
            if required and owner is not None:  # a missing section is reported once
                self.problem(f"{path}{key}", f"is required: one of {', '.join(e.value for e in enum_type)}")
            return None
        return self._member(value, f"{path}{key}", enum_type)

    def _member(self, value: Any, path: str, enum_type: type[E]) -> E | None:
        text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return enum_type(text)
        except ValueError:
            self.problem(path, f"{value!r} is not one of {', '.join(e.value for e in enum_type)}")
            return None

    # ------------------------------------------------------------------ the deal

    def deal(self, entry: Any, path: str) -> DealFile | None:
        if not isinstance(entry, Mapping):
            self.problem(path.rstrip(".") or "deal", "expected a mapping with deal_id, branch, borrower, loan, ...")
            return None
        for unknown in sorted(set(entry) - DEAL_KEYS):
            self.problem(f"{path}{unknown}", f"unknown key (expected one of {', '.join(sorted(DEAL_KEYS))})")
        deal_id = self.text(entry, "deal_id", path, required=True).removeprefix("deals/")
        request_id = self.text(entry, "request_id", path) or None
        branch = self.party(entry, "branch", path, required=True)
        before = len(self.problems)
        borrower = self._borrower(entry, path)
        loan = self._loan(entry, path)
        subsidy = self._subsidy(entry, path)
        option = self._option(entry, path)
        risk = self._risk(entry, path)
        split = self._split(entry, path)
        if len(self.problems) > before or None in (borrower, loan, option, risk, split):
            return None
        assert borrower is not None and loan is not None and option is not None  # for mypy
        assert risk is not None and split is not None
        return DealFile(
            deal_id,
            request_id,
            DealTerms(
                branch=branch,
                borrower=borrower,
                loan=loan,
                option=option,
                risk_sharing=risk,
                split=split,
                subsidy=subsidy,
                agreements=self._agreements(entry, path),
            ),
        )

    def _agreements(self, entry: Mapping[str, Any], path: str) -> DealAgreements:
        a = self.section(entry, "agreements", path, AGREEMENT_KEYS, required=False)
        p = f"{path}agreements."
        return DealAgreements(
            risk_sharing=self.text(a, "risk_sharing", p),
            linkage=self.text(a, "linkage", p),
            subsidy=self.text(a, "subsidy", p),
        )

    def _borrower(self, entry: Mapping[str, Any], path: str) -> Borrower | None:
        b = self.section(entry, "borrower", path, BORROWER_KEYS, required=True)
        p = f"{path}borrower."
        name = self.text(b, "name", p, required=True)
        uscc = self.text(b, "uscc", p, required=True)
        stage = self.choice(b, "stage", p, BorrowerStage, required=True)
        score = self._given(b, "credit_score")
        credit_score = self.integer(b, "credit_score", p) if score is not None else None
        return Borrower(name=name, uscc=uscc, stage=stage, credit_score=credit_score) if b is not None else None

    def _loan(self, entry: Mapping[str, Any], path: str) -> LoanTerms | None:
        lo = self.section(entry, "loan", path, LOAN_KEYS, required=True)
        p = f"{path}loan."
        principal = self.money(lo, "principal", p, required=True)
        rate = self.decimal(lo, "annual_rate", p, required=True, percent=True)
        start = self.date(lo, "start_date", p, required=True)
        maturity = self.date(lo, "maturity_date", p, required=True)
        schedule = self.choice(lo, "schedule", p, ScheduleType) or ScheduleType.BULLET
        frequency = self.choice(lo, "frequency", p, InterestFrequency) or InterestFrequency.MONTHLY
        day_count = self.choice(lo, "day_count", p, DayCount) or DayCount.ACT_360
        business_day = self.choice(lo, "business_day", p, BusinessDay) or BusinessDay.MODIFIED_FOLLOWING
        end_of_month = self.boolean(lo, "end_of_month", p)
        calendar = self.choice(lo, "calendar", p, HolidayCalendar) or HolidayCalendar.CN_MAINLAND
        extra_holidays = self.dates(lo, "extra_holidays", p)
        extra_working_days = self.dates(lo, "extra_working_days", p)
        if principal is None or rate is None or start is None or maturity is None:
            return None
        return LoanTerms(
            principal=principal,
            annual_rate=rate,
            start_date=start,
            maturity_date=maturity,
            schedule=schedule,
            frequency=frequency,
            day_count=day_count,
            business_day=business_day,
            end_of_month=end_of_month,
            calendar=calendar,
            extra_holidays=extra_holidays,
            extra_working_days=extra_working_days,
        )

    def _subsidy(self, entry: Mapping[str, Any], path: str) -> SubsidyTerms:
        su = self.section(entry, "subsidy", path, SUBSIDY_KEYS, required=False)
        if su is None:
            return SubsidyTerms()
        p = f"{path}subsidy."
        if "fund" in su and "subsidy_fund" in su:
            self.problem(f"{p}fund", "give fund or subsidy_fund, not both")
        return SubsidyTerms(
            type=self.choice(su, "type", p, SubsidyType, required=True) or SubsidyType.NONE,
            subsidy_fund=self.party(su, "fund", p) or self.party(su, "subsidy_fund", p),
            rate_points=self.decimal(su, "rate_points", p, percent=True),
            share=self.decimal(su, "share", p, percent=True),
            cap=self.money(su, "cap", p),
        )

    def _option(self, entry: Mapping[str, Any], path: str) -> OptionTerms | None:
        op = self.section(entry, "option", path, OPTION_KEYS, required=True)
        p = f"{path}option."
        window = self.section(op, "exercise_window", p, WINDOW_KEYS, required=False) if op is not None else None
        start = self.date(op, "exercise_window_start", p)
        end = self.date(op, "exercise_window_end", p)
        if window is not None:
            if start is not None or end is not None:
                self.problem(f"{p}exercise_window", "give exercise_window or exercise_window_start/_end, not both")
            start = self.date(window, "start", f"{p}exercise_window.")
            end = self.date(window, "end", f"{p}exercise_window.")
        raw_triggers = self._given(op, "triggers")
        triggers: list[ExerciseTrigger] = []
        if isinstance(raw_triggers, str):
            raw_triggers = [raw_triggers]
        if raw_triggers is not None and not isinstance(raw_triggers, list):
            self.problem(f"{p}triggers", "expected a list, e.g. [qualifying_round, ipo]")
        for i, raw in enumerate(raw_triggers if isinstance(raw_triggers, list) else []):
            trigger = self._member(raw, f"{p}triggers[{i}]", ExerciseTrigger)
            if trigger is not None:
                triggers.append(trigger)
        option = OptionTerms(
            holder=self.party(op, "holder", p, required=True),
            company=self.text(op, "company", p, required=True),
            share_class=self.text(op, "share_class", p, required=True),
            quantity_basis=self.choice(op, "quantity_basis", p, QuantityBasis, required=True),
            strike_basis=self.choice(op, "strike_basis", p, StrikeBasis, required=True),
            shares=self.integer(op, "shares", p),
            stake=self.decimal(op, "stake", p, percent=True),
            coverage=self.decimal(op, "coverage", p, percent=True),
            fully_diluted_shares=self.integer(op, "fully_diluted_shares", p),
            strike_price=self.decimal(op, "strike_price", p),
            discount=self.decimal(op, "discount", p, percent=True),
            valuation_cap=self.money(op, "valuation_cap", p),
            exercise_window_start=start,
            exercise_window_end=end,
            triggers=tuple(triggers),
            qualifying_round_size=self.money(op, "qualifying_round_size", p),
            valuation_threshold=self.money(op, "valuation_threshold", p),
        )
        return option if op is not None else None

    def _risk(self, entry: Mapping[str, Any], path: str) -> RiskSharingTerms | None:
        ri = self.section(entry, "risk_sharing", path, RISK_KEYS, required=True)
        p = f"{path}risk_sharing."
        risk = RiskSharingTerms(
            risk_pool=self.party(ri, "risk_pool", p, required=True),
            base_rate=self.decimal(ri, "base_rate", p, percent=True) or Decimal(0),
            first_loan=self.boolean(ri, "first_loan", p),
            first_loan_rate=self.decimal(ri, "first_loan_rate", p, percent=True),
            unsecured_share=self.decimal(ri, "unsecured_share", p, percent=True),
            unsecured_threshold=self.decimal(ri, "unsecured_threshold", p, percent=True),
            unsecured_rate=self.decimal(ri, "unsecured_rate", p, percent=True),
            cap=self.money(ri, "cap", p),
            insurer=self.party(ri, "insurer", p),
            insurer_rate=self.decimal(ri, "insurer_rate", p, percent=True),
        )
        return risk if ri is not None else None

    def _split(self, entry: Mapping[str, Any], path: str) -> ProceedsSplit | None:
        sp = self.section(entry, "split", path, SPLIT_KEYS, required=True)
        p = f"{path}split."
        split = ProceedsSplit(
            bank_bps=self.integer(sp, "bank_bps", p, required=True),
            investment_arm_bps=self.integer(sp, "investment_arm_bps", p, required=True),
            risk_pool_bps=self.integer(sp, "risk_pool_bps", p, required=True),
            advisory_fee=self.money(sp, "advisory_fee", p),
        )
        return split if sp is not None else None
