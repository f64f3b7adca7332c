"""Reading and writing agreement rows inside a unit of work, and decoding their stored terms."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from deals import codec
from deals.agreements import schema as ags
from deals.agreements.model import TERMS_OF, Agreement, AgreementKind, Attribution, Terms


def terms_to_json(terms: Terms) -> str:
    return json.dumps(codec.plain(terms), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def terms_from_json(kind: AgreementKind, text: str) -> Terms:
    built: Terms = codec.build(TERMS_OF[kind], json.loads(text))
    return built


def _agreement(head: Any, row: Any) -> Agreement:
    kind = AgreementKind(head.kind)
    return Agreement(
        id=head.id,
        kind=kind,
        owner=head.owner,
        counterparty=head.counterparty,
        version=row.version,
        effective_from=row.effective_from,
        effective_until=row.effective_until,
        terms=terms_from_json(kind, row.terms_json),
        recorded_by=Attribution(row.principal, row.role, row.request_id, row.created_at),
        reference=row.reference,
    )


def head_row(conn: sa.Connection, agreement_id: str, *, lock: bool = False) -> Any:
    query = sa.select(ags.agreements).where(ags.agreements.c.id == agreement_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def version_of(conn: sa.Connection, agreement_id: str, version: int = 0) -> Agreement | None:
    """One version (0: the latest) of an agreement, or None."""
    head = head_row(conn, agreement_id)
    if head is None:
        return None
    row = conn.execute(
        sa.select(ags.agreement_versions).where(
            ags.agreement_versions.c.agreement_id == agreement_id,
            ags.agreement_versions.c.version == (version or head.latest_version),
        )
    ).first()
    return None if row is None else _agreement(head, row)


def between(conn: sa.Connection, owner: str, counterparty: str, kind: AgreementKind) -> list[Agreement]:
    """The latest versions of every agreement of this kind the owner has with the counterparty."""
    heads = conn.execute(
        sa.select(ags.agreements)
        .where(
            ags.agreements.c.owner == owner,
            ags.agreements.c.counterparty == counterparty,
            ags.agreements.c.kind == kind.value,
        )
        .order_by(ags.agreements.c.id)
    ).all()
    found = [version_of(conn, h.id) for h in heads]
    return [a for a in found if a is not None]


def by_request(conn: sa.Connection, scope: str, request_id: str) -> Any:
    return conn.execute(
        sa.select(ags.agreement_versions).where(
            ags.agreement_versions.c.request_scope == scope, ags.agreement_versions.c.request_id == request_id
        )
    ).first()


def insert_version(
    conn: sa.Connection,
    agreement_id: str,
    version: int,
    *,
    effective_from: dt.date,
    effective_until: dt.date | None,
    terms: Terms,
    reference: str,
    scope: str,
    request_id: str,
    fingerprint: str,
    who: Attribution,
) -> None:
    conn.execute(
        ags.agreement_versions.insert(),
        {
            "agreement_id": agreement_id,
            "version": version,
            "effective_from": effective_from,
            "effective_until": effective_until,
            "terms_json": terms_to_json(terms),
            "reference": reference,
            "request_scope": scope,
            "request_id": request_id,
            "fingerprint": fingerprint,
            "principal": who.principal,
            "role": who.role,
            "created_at": who.at,
        },
    )
