"""What a borrower's consent allows, and when it holds: the pure rules an export checks.

A consent names one platform and a set of scopes. It holds on a day D when it was signed on or before D,
expires on or after D (the expiry day is the last day it holds) and was not revoked on or before D. An
export needs, for each borrower and each scope it exports, a consent for that platform holding on the
export's business date: several consents may together cover the scopes (the ones relied on are listed
in the manifest and the audit trail). docs/credit-data.md, "Consents".
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Consent", "Scope", "Shortfall", "cover", "holds_on", "parse_scopes", "scopes_text"]


class Scope(enum.Enum):
    """What may be shared. Each record type belongs to exactly one scope (deals.sharing.facts.SCOPE_OF)."""

    LOANS = "loans"
    REPAYMENTS = "repayments"
    OVERDUE = "overdue"
    CLASSIFICATION = "classification"
    DEFAULTS = "defaults"  # defaults, write-offs and recoveries


ORDER = tuple(Scope)


def scopes_text(scopes: Iterable[Scope]) -> str:
    """Scopes as stored: comma-separated words in enum order, each once."""
    wanted = set(scopes)
    return ",".join(s.value for s in ORDER if s in wanted)


def parse_scopes(text: str) -> tuple[Scope, ...]:
    return tuple(Scope(word) for word in text.split(",") if word)


@dataclass(frozen=True, slots=True)
class Consent:
    """A recorded consent, with its revocation if any."""

    id: str
    branch: str
    borrower_uscc: str
    platform: str
    scopes: tuple[Scope, ...]
    signed_on: dt.date
    expires_on: dt.date
    evidence_reference: str
    evidence_sha256: str
    request_id: str
    principal: str
    role: str
    created_at: dt.datetime
    revoked_on: dt.date | None = None
    revocation_reason: str = ""
    revoke_request_id: str = ""
    revoked_by: str = ""
    revoked_role: str = ""
    revoked_at: dt.datetime | None = None

    @property
    def name(self) -> str:
        return f"consents/{self.id}"


def holds_on(consent: Consent, day: dt.date) -> bool:
    """Signed by `day`, not expired on it (the expiry day still holds), not revoked on or before it."""
    if consent.revoked_on is not None and consent.revoked_on <= day:
        return False
    return consent.signed_on <= day <= consent.expires_on


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Why a borrower cannot be exported: the scopes no holding consent covers, and what was found."""

    borrower_uscc: str
    missing: tuple[Scope, ...]
    found: str  # "none", "expired", "revoked", "not yet signed", "other scopes"


def cover(
    borrower_uscc: str, platform: str, scopes: Sequence[Scope], consents: Sequence[Consent], day: dt.date
) -> tuple[tuple[Consent, ...], Shortfall | None]:
    """The consents a borrower's export relies on (those holding on `day` for `platform` that cover a
    wanted scope), or the shortfall when some wanted scope is not covered."""
    mine = [c for c in consents if c.borrower_uscc == borrower_uscc and c.platform == platform]
    holding = [c for c in mine if holds_on(c, day)]
    used = tuple(c for c in holding if set(c.scopes) & set(scopes))
    covered = {s for c in used for s in c.scopes}
    missing = tuple(s for s in ORDER if s in scopes and s not in covered)
    if not missing:
        return used, None
    return (), Shortfall(borrower_uscc, missing, _what_was_found(mine, holding, day))


def _what_was_found(mine: Sequence[Consent], holding: Sequence[Consent], day: dt.date) -> str:
    if holding:
        return "other scopes"
    if not mine:
        return "none"
    if any(c.revoked_on is not None and c.revoked_on <= day for c in mine):
        return "revoked"
    if any(c.expires_on < day for c in mine):
        return "expired"
    return "not yet signed"
