"""The books a caller's writes may reach through agreements (the ledger's second line of defence).

A branch and the parties holding agreements with it form the branch's circle: the risk pool, the
investment arm, the subsidy fund of its agreements, and the insurer a risk-sharing agreement names.
A caller acting for a party may post into the books of every circle its party belongs to, and nowhere
else (`LedgerSession.reach`); the set comes from the agreements recorded by the consenting parties,
never from a request. So even a servicer bug that let a branch name another branch as its option
holder could not post there: no agreement puts that branch in the caller's circle.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from deals.agreements import schema as ags
from deals.terms import DealTerms
from ledger import actor
from ledger.session import LedgerSession


def circle_of(conn: sa.Connection, party: str) -> set[str]:
    """Every party in a circle `party` belongs to (itself included)."""
    t = ags.agreements
    branches = {party} | {r.counterparty for r in conn.execute(sa.select(t.c.counterparty).where(t.c.owner == party))}
    branches |= _insured_branches(conn, party)
    rows = conn.execute(
        sa.select(t.c.id, t.c.owner, t.c.kind, t.c.latest_version).where(t.c.counterparty.in_(sorted(branches)))
    ).all()
    circle = branches | {r.owner for r in rows}
    risk = [(r.id, r.latest_version) for r in rows if r.kind == "risk_sharing"]
    if risk:
        v = ags.agreement_versions
        for found in conn.execute(sa.select(v.c.terms_json).where(sa.tuple_(v.c.agreement_id, v.c.version).in_(risk))):
            insurer = json.loads(found.terms_json).get("insurer")
            if insurer:
                circle.add(insurer)
    return circle


def _insured_branches(conn: sa.Connection, party: str) -> set[str]:
    """The branches whose risk-sharing agreements (latest versions) name `party` as the insurer: an insurer
    consents to no agreement of its own, so the pool's agreement naming it puts it in the branch's circle."""
    t, v = ags.agreements, ags.agreement_versions
    rows = conn.execute(
        sa.select(t.c.counterparty, v.c.terms_json)
        .join(v, sa.and_(v.c.agreement_id == t.c.id, v.c.version == t.c.latest_version))
        .where(t.c.kind == "risk_sharing")
    ).all()
    return {r.counterparty for r in rows if json.loads(r.terms_json).get("insurer") == party}


def reach_for_caller(session: LedgerSession) -> None:
    """Declare the caller's circles as the books this unit of work may post to (a no-op for callers acting
    for no party: administrators and the system)."""
    bound = actor.current()
    if bound is not None and bound.party:
        session.reach(circle_of(session.connection, bound.party))


def reach_legacy_deal(session: LedgerSession, terms: DealTerms) -> None:
    """A deal booked before agreements existed (migration 0006) names none: its parties, recorded at its
    booking, stay reachable for the steps and exercises on it, for a caller that is one of them. Deals
    booked since always name their agreements, and this adds nothing for them."""
    bound = actor.current()
    parties = set(terms.parties())
    if terms.agreements.risk_sharing or bound is None or bound.party not in parties:
        return
    session.reach(parties)
