"""Assessments as values, and reading them inside a unit of work: one by id, a borrower's history, and the
one in force on a date, which booking (the agreement's tier rate) and impairment (the PD/LGD row) use.

The assessment in force for a borrower at a branch on a date is the latest with `as_of` on or before
that date (the latest recorded among several of the same date). Only the branch's own assessments count
for its deals: another branch's rating must not change what a pool pays on this branch's loans.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals.assessment import schema as s
from deals.terms import Stage

__all__ = ["Assessment", "assessment_of", "history", "in_force", "parse_assessment_name"]


@dataclass(frozen=True, slots=True)
class Assessment:
    """One recorded assessment: raw values, points, dimension scores, total and tier, and who recorded it."""

    id: uuid.UUID
    branch: str
    borrower_uscc: str
    as_of: dt.date
    model: str
    indicators: dict[str, Decimal]
    points: dict[str, Decimal]
    dimensions: dict[str, Decimal]
    total: Decimal
    tier: Stage
    request_id: str
    principal: str
    role: str
    create_time: dt.datetime

    @property
    def name(self) -> str:
        return f"assessments/{self.id}"


def parse_assessment_name(name: str) -> uuid.UUID | None:
    """`assessments/{uuid}` → the uuid, or None if `name` is not one."""
    parts = (name or "").split("/")
    if len(parts) != 2 or parts[0] != "assessments":
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


def decimals_to_json(values: dict[str, Decimal]) -> str:
    return json.dumps({k: plain(v) for k, v in values.items()}, sort_keys=True, separators=(",", ":"))


def plain(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros ("71.75", "80")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimals(text: str) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in json.loads(text).items()}


def assessment_of(row: Any) -> Assessment:
    return Assessment(
        id=row.id,
        branch=row.branch,
        borrower_uscc=row.borrower_uscc,
        as_of=row.as_of,
        model=row.model,
        indicators=_decimals(row.indicators_json),
        points=_decimals(row.points_json),
        dimensions=_decimals(row.dimensions_json),
        total=Decimal(row.total),
        tier=Stage(row.tier),
        request_id=row.request_id,
        principal=row.principal,
        role=row.role,
        create_time=row.created_at,
    )


def _ordered(query: sa.Select[Any]) -> sa.Select[Any]:
    t = s.assessments
    return query.order_by(t.c.as_of, t.c.created_at, t.c.id)


def history(conn: sa.Connection, uscc: str, branch: str | None, day: dt.date | None) -> list[Assessment]:
    """A borrower's assessments (at one branch, or all with None) with as_of on or before `day` (None: all),
    oldest first: the last is the one in force."""
    t = s.assessments
    query = sa.select(t).where(t.c.borrower_uscc == uscc)
    if branch is not None:
        query = query.where(t.c.branch == branch)
    if day is not None:
        query = query.where(t.c.as_of <= day)
    return [assessment_of(r) for r in conn.execute(_ordered(query))]


def in_force(conn: sa.Connection, uscc: str, branch: str, day: dt.date) -> Assessment | None:
    """The branch's assessment of the borrower in force on `day`, or None if it has none by then."""
    t = s.assessments
    row = conn.execute(
        sa.select(t)
        .where(t.c.borrower_uscc == uscc, t.c.branch == branch, t.c.as_of <= day)
        .order_by(t.c.as_of.desc(), t.c.created_at.desc(), t.c.id.desc())
        .limit(1)
    ).first()
    return assessment_of(row) if row is not None else None
