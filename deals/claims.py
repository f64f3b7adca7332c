"""Compensation claims: the risk pool's say over money leaving its book.

A default measures the pool's compensation from the deal's agreed terms. Within the risk-sharing
agreement's auto-approval limit it is posted with the default (the claim is recorded as
`auto_approved`); above it nothing of the pool's share is posted and the claim waits (`pending`) until
the pool's staff approve it (posted then: paid from the pool's cash as far as it goes, the rest owed as
a claim payable) or reject it (nothing posted; the branch bears the loss at write-off). The person who
decides must not be the person who filed it (four eyes on a normalised identity).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from deals import schema as ds
from ledger import actor
from ledger.db import as_utc
from ledger.errors import FailedPrecondition, PreconditionViolation
from ledger.principal import same_person


class ClaimStatus(enum.Enum):
    AUTO_APPROVED = "auto_approved"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Claim:
    deal_id: str
    pool: str
    branch: str
    status: ClaimStatus
    loss: int
    amount: int
    paid: int
    owed: int
    value_date: dt.date
    agreement: str
    filed_by: tuple[str, str, str]  # principal, role, request id
    filed_at: dt.datetime
    decided_by: tuple[str, str, str] | None
    decided_at: dt.datetime | None
    reason: str
    transaction: str

    @property
    def name(self) -> str:
        return f"claims/{self.deal_id}"


def claim_of(row: Any) -> Claim:
    decided = (
        (row.decided_principal, row.decided_role or "", row.decided_request or "") if row.decided_principal else None
    )
    return Claim(
        deal_id=row.deal_id,
        pool=row.pool,
        branch=row.branch,
        status=ClaimStatus(row.status),
        loss=row.loss,
        amount=row.amount,
        paid=row.paid,
        owed=row.owed,
        value_date=row.value_date,
        agreement=row.agreement,
        filed_by=(row.filed_principal, row.filed_role, row.filed_request),
        filed_at=as_utc(row.created_at),
        decided_by=decided,
        decided_at=as_utc(row.decided_at) if row.decided_at else None,
        reason=row.reason,
        transaction=f"transactions/{row.transaction_id}" if row.transaction_id else "",
    )


def decidable(name: str, status: str, filer: str, decider: str) -> None:
    """A claim (the pool's or the insurer's) may be decided only while pending, and not by its filer."""
    if status != "pending":
        raise FailedPrecondition(
            f"{name} is {status}; only a pending claim can be approved or rejected",
            [PreconditionViolation("CLAIM_STATE", name, f"status is {status}")],
            reason="CLAIM_NOT_PENDING",
        )
    not_the_filer(name, filer, decider)


def not_the_filer(name: str, filer: str, decider: str) -> None:
    """Four eyes: whoever filed a claim (recorded the default) cannot also decide it."""
    bound = actor.current()
    if bound is not None and same_person(bound.principal, filer):
        raise FailedPrecondition(
            f"{bound.principal} filed this claim (the default) and cannot also decide it; {decider} must",
            [PreconditionViolation("FOUR_EYES", name, "the filer cannot decide")],
            reason="FOUR_EYES",
        )


def claim_row(conn: sa.Connection, deal_id: str, *, lock: bool = False) -> Any:
    query = sa.select(ds.compensation_claims).where(ds.compensation_claims.c.deal_id == deal_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def file_claim(
    conn: sa.Connection,
    *,
    deal_id: str,
    pool: str,
    branch: str,
    status: ClaimStatus,
    loss: int,
    amount: int,
    paid: int,
    owed: int,
    value_date: dt.date,
    agreement: str,
    request_id: str,
    transaction_id: Any,
    now: dt.datetime,
) -> None:
    conn.execute(
        ds.compensation_claims.insert(),
        {
            "deal_id": deal_id,
            "pool": pool,
            "branch": branch,
            "status": status.value,
            "loss": loss,
            "amount": amount,
            "paid": paid,
            "owed": owed,
            "value_date": value_date,
            "agreement": agreement,
            **actor.columns("filed_"),
            "filed_request": request_id,
            "transaction_id": transaction_id,
            "created_at": now,
        },
    )


def decide(
    conn: sa.Connection,
    deal_id: str,
    *,
    status: ClaimStatus,
    request_id: str,
    now: dt.datetime,
    paid: int = 0,
    owed: int = 0,
    reason: str = "",
    transaction_id: Any = None,
) -> None:
    conn.execute(
        ds.compensation_claims.update()
        .where(ds.compensation_claims.c.deal_id == deal_id)
        .values(
            status=status.value,
            paid=paid,
            owed=owed,
            reason=reason,
            transaction_id=transaction_id,
            **actor.columns("decided_"),
            decided_request=request_id,
            decided_at=now,
        )
    )
