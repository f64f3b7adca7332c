"""Funding rounds and their cap tables: validating, storing and finding the round a valuation uses.

A round records the company, its date, the class issued with its price per share and shares issued,
and the whole post-round cap table in the cap-table file format of docs/valuation.md (plain JSON,
prices as decimal strings). The latest round on or before a date is what `GetCapTable` returns and
what a valuation calibrates to (OPM backsolve from the round's price).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from ledger import actor, pagination
from ledger.canonical import fingerprint
from ledger.db import as_utc
from ledger.errors import InvalidArgument, NotFound, ViolationCollector, request_id_reused
from ledger.model import Page
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import check_decimal, check_request_id, check_value_date
from valuation import schema as ms
from valuation.pricing import CapTable, ValuationInputError, parse_cap_table

__all__ = ["FundingRound", "RoundBook", "check_company", "funding_round", "round_from_row"]

COMPANY = re.compile(r"^[^\s/\x00-\x1f][^/\x00-\x1f]{0,127}$")


@dataclass(frozen=True, slots=True)
class FundingRound:
    """A recorded round; `cap_table` is the plain cap-table document (docs/valuation.md format)."""

    id: uuid.UUID
    company: str
    round_date: dt.date
    share_class: str
    price_per_share: str
    shares_issued: int
    cap_table: Mapping[str, Any]
    create_time: dt.datetime

    @property
    def name(self) -> str:
        return f"companies/{self.company}/fundingRounds/{self.id}"

    @property
    def preference(self) -> Mapping[str, Any] | None:
        """The issued class's preference terms from the cap table (None for common)."""
        for share_class in self.cap_table.get("classes", []):
            if share_class.get("name") == self.share_class:
                found = share_class.get("preference")
                return dict(found) if found is not None else None
        return None

    def parsed(self) -> CapTable:
        return parse_cap_table(self.cap_table)

    @property
    def fully_diluted_shares(self) -> int:
        """Every share of every class plus every option pool's shares, after the round."""
        return sum(int(c["shares"]) for c in self.cap_table.get("classes", [])) + sum(
            int(p["shares"]) for p in self.cap_table.get("option_pools", [])
        )


def funding_round(session: LedgerSession, round_id: uuid.UUID) -> FundingRound | None:
    """A recorded round by id, read in the caller's unit of work (settlement checks exercise triggers with it)."""
    row = session.connection.execute(sa.select(ms.funding_rounds).where(ms.funding_rounds.c.id == round_id)).first()
    return round_from_row(row) if row is not None else None


def check_company(company: str, path: str, errors: ViolationCollector) -> None:
    if not company:
        errors.add(path, "is required: the company as deals name it in their option terms")
    elif not COMPANY.match(company):
        errors.add(path, "must be 1 to 128 characters, without '/' or control characters, not starting with a space")


def round_from_row(row: Any) -> FundingRound:
    return FundingRound(
        id=row.id,
        company=row.company,
        round_date=row.round_date,
        share_class=row.share_class,
        price_per_share=row.price_per_share,
        shares_issued=int(row.shares_issued),
        cap_table=json.loads(row.cap_table_json),
        create_time=as_utc(row.created_at),
    )


def _positive_decimal(text: str, path: str, errors: ViolationCollector) -> Decimal:
    before = len(errors.violations)
    value = check_decimal(text, path, errors, required="3.00")
    if len(errors.violations) > before:
        return Decimal(0)
    if value <= 0:
        errors.add(
            path,
            f"{text} cannot be reproduced by any equity value: a round's price per share must be positive",
            "PRICE_NOT_REPRODUCIBLE",
        )
    return value


def _same_preference(given: Mapping[str, Any], table: Mapping[str, Any] | None) -> bool:
    """Preference terms compared by meaning: decimals by value, defaults filled in."""
    if table is None:
        return False

    def norm(p: Mapping[str, Any]) -> tuple[Any, ...]:
        cap = p.get("participation_cap")
        return (
            Decimal(str(p.get("price", "0"))),
            Decimal(str(p.get("multiple", 1))),
            bool(p.get("participating", False)),
            None if cap in (None, "") else Decimal(str(cap)),
            int(p.get("seniority", 1) or 1),
        )

    try:
        return norm(given) == norm(table)
    except (InvalidOperation, ValueError, TypeError):
        return False


class RoundBook:
    """Funding rounds on the ledger's database."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def record(
        self,
        *,
        request_id: str,
        company: str,
        round_date: dt.date | None,
        share_class: str,
        price_per_share: str,
        shares_issued: int,
        preference: Mapping[str, Any] | None,
        cap_table: Mapping[str, Any],
    ) -> FundingRound:
        """Validate every field at once and store the round; a retried request_id returns the original."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        check_company(company, "company", errors)
        check_value_date(round_date, "round_date", errors, self._ledger.today())
        price = _positive_decimal(price_per_share, "price_per_share", errors)
        table: CapTable | None = None
        try:
            table = parse_cap_table(cap_table)
        except ValuationInputError as error:
            path = error.field if error.field.startswith("cap_table") else f"cap_table.{error.field}"
            errors.add(path, error.message, error.reason)
        if not share_class:
            errors.add("share_class", "is required: the class issued in the round")
        elif table is not None:
            try:
                issued = table.share_class(share_class, "share_class")
            except ValuationInputError as error:
                errors.add("share_class", error.message, "UNKNOWN_SHARE_CLASS")
            else:
                if not 0 < shares_issued <= issued.shares:
                    errors.add(
                        "shares_issued",
                        f"must be positive and at most the {issued.shares:,.0f} shares of class {share_class!r}",
                    )
                row = next(c for c in cap_table["classes"] if c.get("name") == share_class)
                if preference is not None and not _same_preference(preference, row.get("preference")):
                    errors.add(
                        "preference",
                        f"differs from the preference of class {share_class!r} in cap_table; give the same terms "
                        "or leave it out",
                    )
        errors.raise_if_any()
        assert round_date is not None
        print_ = fingerprint(
            {
                "company": company,
                "date": round_date.isoformat(),
                "class": share_class,
                "price": str(price.normalize()),
                "shares_issued": shares_issued,
                "cap_table": json.loads(json.dumps(cap_table, default=str)),
            }
        )
        document = json.dumps(cap_table, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)

        def work(session: LedgerSession) -> FundingRound:
            conn = session.connection
            row = conn.execute(sa.select(ms.funding_rounds).where(ms.funding_rounds.c.request_id == request_id)).first()
            if row is not None:
                if row.fingerprint != print_:
                    raise request_id_reused(request_id)
                return round_from_row(row)
            values = {
                "id": uuid.uuid4(),
                "company": company,
                "round_date": round_date,
                "share_class": share_class,
                "price_per_share": price_per_share,
                "shares_issued": shares_issued,
                "cap_table_json": document,
                "request_id": request_id,
                "fingerprint": print_,
                "created_at": self._ledger.now(),
                **actor.columns(),
            }
            conn.execute(ms.funding_rounds.insert(), values)
            return round_from_row(_Row(values))

        return self._ledger.write(work, what="RecordFundingRound")

    def cap_table_as_of(self, company: str, as_of: dt.date | None) -> FundingRound:
        """The latest round of `company` on or before `as_of` (default today); NotFound if none."""
        errors = ViolationCollector()
        check_company(company, "company", errors)
        errors.raise_if_any()
        day = as_of or self._ledger.today()
        query = (
            sa.select(ms.funding_rounds)
            .where(ms.funding_rounds.c.company == company, ms.funding_rounds.c.round_date <= day)
            .order_by(ms.funding_rounds.c.round_date.desc(), ms.funding_rounds.c.created_at.desc())
            .limit(1)
        )
        row = self._ledger.read(lambda session: session.connection.execute(query).first())
        if row is None:
            raise NotFound(f"companies/{company}/fundingRounds (on or before {day.isoformat()})", "funding round")
        return round_from_row(row)

    def list_rounds(self, company: str, *, page_size: int = 0, page_token: str = "") -> Page[FundingRound]:
        """A company's rounds, oldest first (by date, then recording time)."""
        errors = ViolationCollector()
        check_company(company, "company", errors)
        errors.raise_if_any()
        size = pagination.page_size(page_size)
        filters = {"list": "funding_rounds", "company": company}
        position = pagination.decode(page_token, filters, (pagination.sequence,))
        offset = int(position[0]) if position else 0
        query = (
            sa.select(ms.funding_rounds)
            .where(ms.funding_rounds.c.company == company)
            .order_by(ms.funding_rounds.c.round_date, ms.funding_rounds.c.created_at, ms.funding_rounds.c.id)
            .offset(offset)
            .limit(size + 1)
        )
        rows = self._ledger.read(lambda session: session.connection.execute(query).all())
        items = tuple(round_from_row(r) for r in rows[:size])
        token = pagination.encode(filters, [offset + size]) if len(rows) > size else ""
        return Page(items, token)


class _Row:
    """Attribute access over a dict of column values (what was just inserted)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)


def invalid_assumption(field: str, message: str) -> InvalidArgument:
    return InvalidArgument.one(field, message, "INVALID_VALUATION_INPUT")
