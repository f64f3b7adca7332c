"""Finding the agreements a booking falls under: the ones it names, or the one in effect.

A booking names each agreement by id, or leaves it out; left out, the one agreement of that kind
between the two parties in effect on the loan's start date applies. A named agreement must be of the
right kind and between the right parties; none, or several in effect, is a precondition failure that
says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from deals.agreements import records
from deals.agreements.model import Agreement, AgreementKind
from deals.schedule import SubsidyKind
from deals.terms import DealTerms
from ledger.errors import PreconditionViolation

_HOW = {
    AgreementKind.RISK_SHARING: "the pool records one first (AgreementService.CreateAgreement, docs/security.md)",
    AgreementKind.LINKAGE: "the investment arm records one first (AgreementService.CreateAgreement, docs/security.md)",
    AgreementKind.SUBSIDY: "the subsidy fund's administrator records one first (AgreementService.CreateAgreement)",
}


@dataclass
class Resolved:
    risk: Agreement | None = None
    linkage: Agreement | None = None
    subsidy: Agreement | None = None
    problems: list[PreconditionViolation] = field(default_factory=list)


#: (kind, owner, branch, named agreement) → the agreements read for it, within one unit of work.
Cache = dict[tuple[AgreementKind, str, str, str], list[Agreement]]


def resolve_agreements(conn: sa.Connection, terms: DealTerms, prefix: str = "", cache: Cache | None = None) -> Resolved:
    """The agreements `terms` fall under; `cache` (one per unit of work) saves re-reading them for every
    booking of a batch between the same parties."""
    found = Resolved()
    wanted = [
        (AgreementKind.RISK_SHARING, terms.risk.pool, terms.agreements.risk_sharing, "risk_sharing"),
        (AgreementKind.LINKAGE, terms.option.holder, terms.agreements.linkage, "linkage"),
    ]
    if terms.subsidy.kind is not SubsidyKind.NONE:
        wanted.append((AgreementKind.SUBSIDY, terms.subsidy_fund, terms.agreements.subsidy, "subsidy"))
    for kind, owner, named, attr in wanted:
        path = f"{prefix}terms.agreements.{attr}"
        key = (kind, owner, terms.branch, named)
        if cache is None or key not in cache:
            candidates = _candidates(conn, kind, owner, terms.branch, named)
            if cache is not None:
                cache[key] = candidates
        else:
            candidates = cache[key]
        agreement = _one(candidates, kind, owner, terms.branch, named, terms, path, found.problems)
        setattr(found, attr if attr != "risk_sharing" else "risk", agreement)
    return found


def _candidates(conn: sa.Connection, kind: AgreementKind, owner: str, branch: str, named: str) -> list[Agreement]:
    """The named agreement's latest version, or every agreement of this kind between the two parties."""
    if named:
        agreement = records.version_of(conn, named)
        return [agreement] if agreement is not None else []
    return records.between(conn, owner, branch, kind)


def _one(
    found: list[Agreement],
    kind: AgreementKind,
    owner: str,
    branch: str,
    named: str,
    terms: DealTerms,
    path: str,
    problems: list[PreconditionViolation],
) -> Agreement | None:
    if named:
        agreement = found[0] if found else None
        if agreement is None:
            problems.append(PreconditionViolation("NO_AGREEMENT", path, f"agreements/{named} does not exist"))
            return None
        if agreement.kind is not kind or agreement.owner != owner or agreement.counterparty != branch:
            problems.append(
                PreconditionViolation(
                    "WRONG_AGREEMENT",
                    path,
                    f"agreements/{named} is a {agreement.kind.value} agreement of parties/{agreement.owner} with "
                    f"parties/{agreement.counterparty}; this deal needs a {kind.value} agreement of "
                    f"parties/{owner} with parties/{branch}",
                )
            )
            return None
        return agreement
    candidates = [a for a in found if a.in_effect_on(terms.loan.start)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        problems.append(
            PreconditionViolation(
                "NO_AGREEMENT",
                path,
                f"parties/{owner} has no {kind.value} agreement with parties/{branch} in effect on "
                f"{terms.loan.start.isoformat()}; {_HOW[kind]}",
            )
        )
        return None
    ids = ", ".join(a.name for a in candidates)
    problems.append(
        PreconditionViolation("AMBIGUOUS_AGREEMENT", path, f"several agreements are in effect ({ids}); name one")
    )
    return None
