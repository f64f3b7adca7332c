"""The credit-data desk: records and revokes borrowers' consents, and exports the credit facts of
consenting borrowers with an audit-trail entry per export.

Each request is one unit of work through the ledger's session. An export checks the consents, reads the
deals and writes its audit-trail row in the same database transaction, so an export is either refused
with nothing written or recorded exactly as it was built (its SHA-256 included) before its first byte is
sent. docs/credit-data.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from deals import schema as ds
from deals.credit import schema as cs
from deals.credit.classification import DEFAULT_POLICY, Category, Policy
from deals.queries import decoded_terms
from deals.sharing import schema as ss
from deals.sharing.consent import ORDER, Consent, Scope, Shortfall, cover, parse_scopes, scopes_text
from deals.sharing.facts import SCHEMA_VERSION, DealFacts, Event, RunRecord, build_records, encode
from deals.uscc import check_uscc
from ledger import actor, names
from ledger.canonical import fingerprint, format_instant
from ledger.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import PartyKind
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import EARLIEST_VALUE_DATE, check_request_id, check_text

__all__ = ["MAX_BORROWERS", "CreditDataExport", "ExportRecord", "SharingDesk", "consent_id_in"]

MAX_BORROWERS = 1000
REFERENCE_MAX = 200
REASON_MAX = 500
FORMATS = ("jsonl", "csv")
MANIFEST_VERSION = 1
_PLATFORM = re.compile(r"^[a-z][a-z0-9-]{0,62}\Z")
_SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
_BATCH = 500  # ids per IN (...) list: inside SQLite's and PostgreSQL's parameter limits with room to spare


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One entry of the audit trail: who exported what, when, relying on which consents."""

    id: str
    platform: str
    borrowers: tuple[str, ...]
    scopes: tuple[Scope, ...]
    first: dt.date
    last: dt.date
    format: str
    export_date: dt.date
    consents: tuple[str, ...]  # consents/{uuid}
    record_count: int
    sha256: str
    size_bytes: int
    principal: str
    role: str
    created_at: dt.datetime

    @property
    def name(self) -> str:
        return f"creditDataExports/{self.id}"


@dataclass(frozen=True, slots=True)
class CreditDataExport:
    """A built and recorded export: the file's pieces (CSV: the header first), the manifest, the record."""

    pieces: tuple[bytes, ...]
    header: int  # how many leading pieces are no record (1 for CSV's header, 0 for JSON Lines)
    manifest: dict[str, Any]
    record: ExportRecord


def _check_filters(borrower_uscc: str, platform: str) -> None:
    """A list's filters are what they name or INVALID_ARGUMENT (never a query with a malformed value)."""
    errors = ViolationCollector()
    if borrower_uscc:
        check_uscc(borrower_uscc, "borrower_uscc", errors)
    if platform:
        _check_platform(platform, "platform", errors)
    errors.raise_if_any()


def _check_platform(value: str, path: str, errors: ViolationCollector) -> None:
    if not _PLATFORM.match(value or ""):
        errors.add(path, "is required: a platform id of lowercase letters, digits and hyphens, e.g. zj-credit-platform")


def consent_id_in(name: str, field: str) -> uuid.UUID:
    """`consents/{uuid}` → the uuid; anything else is INVALID_ARGUMENT on `field`."""
    prefix, _, rest = (name or "").partition("/")
    if prefix == "consents" and rest:
        try:
            return uuid.UUID(rest)
        except ValueError:
            pass
    raise InvalidArgument.one(field, f"{name!r} is not a consent name: consents/{{uuid}}")


class SharingDesk:
    def __init__(self, ledger: Ledger, policy: Policy = DEFAULT_POLICY) -> None:
        self._ledger = ledger
        self.policy = policy

    # ------------------------------------------------------------------ consents

    def record_consent(
        self,
        *,
        request_id: str,
        branch: str,
        borrower_uscc: str,
        platform: str,
        scopes: Sequence[Scope],
        signed_on: dt.date | None,
        expires_on: dt.date | None,
        evidence_reference: str,
        evidence_sha256: str,
        errors: ViolationCollector | None = None,
    ) -> Consent:
        """Record a signed consent; the same request id (in the branch) replays it. `errors` may carry the
        violations the caller already found (the servicer's scope and date conversions)."""
        errors = errors or ViolationCollector()
        today = self._ledger.today()
        check_request_id(request_id, "request_id", errors)
        branch_id = ""
        try:
            branch_id = names.parse_party_name(branch)
        except names.BadName as exc:
            errors.add("branch", str(exc))
        check_uscc(borrower_uscc, "borrower_uscc", errors)
        _check_platform(platform, "platform", errors)
        if not scopes and not any(v.field == "scopes" for v in errors.violations):
            errors.add("scopes", "is required: at least one of LOANS, REPAYMENTS, OVERDUE, CLASSIFICATION, DEFAULTS")
        if signed_on is None:
            errors.add("signed_date", "is required: the day the borrower signed")
        elif signed_on > today or signed_on < EARLIEST_VALUE_DATE:
            errors.add("signed_date", f"{signed_on.isoformat()} is after today ({today.isoformat()}) or before 1990")
        if expires_on is None:
            errors.add("expiry_date", "is required: the last day the consent holds")
        elif signed_on is not None and expires_on <= signed_on:
            errors.add("expiry_date", f"{expires_on.isoformat()} must be after the signed date {signed_on.isoformat()}")
        if not evidence_reference:
            errors.add("evidence_reference", "is required: the signed form's reference")
        else:
            check_text(evidence_reference, "evidence_reference", errors, REFERENCE_MAX)
        if not _SHA256.match(evidence_sha256 or ""):
            errors.add("evidence_sha256", "is required: the lowercase hex SHA-256 of the signed form (64 characters)")
        errors.raise_if_any()
        assert signed_on is not None and expires_on is not None
        wanted = scopes_text(scopes)
        print_ = fingerprint(
            {
                "branch": branch_id,
                "borrower": borrower_uscc,
                "platform": platform,
                "scopes": wanted,
                "signed": signed_on.isoformat(),
                "expires": expires_on.isoformat(),
                "reference": evidence_reference,
                "sha256": evidence_sha256,
            }
        )

        def work(session: LedgerSession) -> Consent:
            conn = session.connection
            t = ss.credit_data_consents
            previous = conn.execute(sa.select(t).where(t.c.branch == branch_id, t.c.request_id == request_id)).first()
            if previous is not None:
                if previous.fingerprint != print_:
                    raise request_id_reused(request_id)
                return _consent_of(previous)
            _not_a_revocation(conn, branch_id, request_id)
            kind = session.party_kinds([branch_id]).get(branch_id)
            if kind is None:
                raise NotFound(f"parties/{branch_id}", "party")
            if kind is not PartyKind.BANK_BRANCH:
                raise FailedPrecondition(
                    f"parties/{branch_id} is not a bank branch: consents are signed at a branch",
                    [PreconditionViolation("NOT_A_BRANCH", f"parties/{branch_id}", "not a bank branch")],
                    reason="NOT_A_BRANCH",
                )
            row = {
                "id": uuid.uuid4(),
                "branch": branch_id,
                "borrower_uscc": borrower_uscc,
                "platform": platform,
                "scopes": wanted,
                "signed_on": signed_on,
                "expires_on": expires_on,
                "evidence_reference": evidence_reference,
                "evidence_sha256": evidence_sha256,
                "request_id": request_id,
                "fingerprint": print_,
                **actor.columns(),
                "created_at": session.now(),
            }
            conn.execute(t.insert(), row)
            return _consent_of(conn.execute(sa.select(t).where(t.c.id == row["id"])).one())

        return self._ledger.write(work, what="RecordConsent")

    def revoke_consent(self, *, request_id: str, name: str, revoked_on: dt.date | None, reason: str) -> Consent:
        """Revoke a consent from a day (default today); the same request id replays the revocation."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        consent_id: uuid.UUID | None = None
        try:
            consent_id = consent_id_in(name, "name")
        except InvalidArgument as exc:
            errors.violations.extend(exc.violations)
        if reason:
            check_text(reason, "reason", errors, REASON_MAX)
        today = self._ledger.today()
        if revoked_on is not None and revoked_on > today:
            errors.add("revoked_date", f"{revoked_on.isoformat()} is after today ({today.isoformat()})")
        errors.raise_if_any()
        print_ = fingerprint(
            {"consent": str(consent_id), "revoked": revoked_on.isoformat() if revoked_on else "", "reason": reason}
        )

        def work(session: LedgerSession) -> Consent:
            conn = session.connection
            t = ss.credit_data_consents
            row = conn.execute(sa.select(t).where(t.c.id == consent_id).with_for_update()).first()
            if row is None:
                raise NotFound(name, "consent")
            if row.revoke_request_id == request_id:
                if row.revoke_fingerprint != print_:
                    raise request_id_reused(request_id)
                return _consent_of(row)
            used = conn.execute(
                sa.select(t.c.id).where(
                    t.c.branch == row.branch,
                    sa.or_(t.c.request_id == request_id, t.c.revoke_request_id == request_id),
                )
            ).first()
            if used is not None:
                raise request_id_reused(request_id)
            if row.revoked_on is not None:
                raise FailedPrecondition(
                    f"{name} was already revoked from {row.revoked_on.isoformat()}",
                    [PreconditionViolation("CONSENT_REVOKED", name, f"revoked from {row.revoked_on.isoformat()}")],
                    reason="CONSENT_REVOKED",
                )
            day = revoked_on or session.today()
            if day < row.signed_on:
                raise FailedPrecondition(
                    f"{name} cannot be revoked from {day.isoformat()}, "
                    f"before it was signed ({row.signed_on.isoformat()})",
                    [PreconditionViolation("BEFORE_SIGNED", name, f"signed on {row.signed_on.isoformat()}")],
                    reason="BEFORE_SIGNED",
                )
            conn.execute(
                t.update()
                .where(t.c.id == row.id)
                .values(
                    revoked_on=day,
                    revocation_reason=reason,
                    revoke_request_id=request_id,
                    revoke_fingerprint=print_,
                    revoked_by=actor.columns()["principal"],
                    revoked_role=actor.columns()["role"],
                    revoked_at=session.now(),
                )
            )
            return _consent_of(conn.execute(sa.select(t).where(t.c.id == row.id)).one())

        return self._ledger.write(work, what="RevokeConsent")

    def consent(self, name: str) -> Consent:
        consent_id = consent_id_in(name, "name")

        def work(session: LedgerSession) -> Consent:
            t = ss.credit_data_consents
            row = session.connection.execute(sa.select(t).where(t.c.id == consent_id)).first()
            if row is None:
                raise NotFound(name, "consent")
            return _consent_of(row)

        return self._ledger.read(work)

    def consents(self, *, branch: str = "", borrower_uscc: str = "", platform: str = "") -> list[Consent]:
        """Consents, oldest first, filtered by branch id, borrower and platform (empty: any)."""
        _check_filters(borrower_uscc, platform)
        t = ss.credit_data_consents
        query = sa.select(t).order_by(t.c.created_at, t.c.id)
        if branch:
            query = query.where(t.c.branch == branch)
        if borrower_uscc:
            query = query.where(t.c.borrower_uscc == borrower_uscc)
        if platform:
            query = query.where(t.c.platform == platform)
        return self._ledger.read(lambda session: [_consent_of(r) for r in session.connection.execute(query)])

    # ------------------------------------------------------------------ exports

    def export(
        self,
        *,
        platform: str,
        borrowers: Sequence[str],
        first: dt.date | None,
        last: dt.date | None,
        fmt: str,
        scopes: Sequence[Scope],
        errors: ViolationCollector | None = None,
    ) -> CreditDataExport:
        """Build the export of `borrowers`' credit facts and record it; refused whole (NO_CONSENT) if any
        borrower lacks a consent for `platform` holding today that covers every scope asked for."""
        errors = errors or ViolationCollector()
        today = self._ledger.today()
        _check_platform(platform, "platform", errors)
        if not borrowers:
            errors.add("borrower_usccs", f"is required: 1 to {MAX_BORROWERS} unified social credit codes")
        elif len(borrowers) > MAX_BORROWERS:
            errors.add("borrower_usccs", f"has {len(borrowers)} codes; at most {MAX_BORROWERS} per export")
        else:
            seen: set[str] = set()
            for i, code in enumerate(borrowers):
                check_uscc(code, f"borrower_usccs[{i}]", errors)
                if code in seen:
                    errors.add(f"borrower_usccs[{i}]", f"{code} is listed twice")
                seen.add(code)
        if first is None:
            errors.add("from_date", "is required: the first day of the range")
        if last is None:
            errors.add("to_date", "is required: the last day of the range")
        elif last > today:
            errors.add("to_date", f"{last.isoformat()} is after today ({today.isoformat()})")
        if first is not None and last is not None and last < first:
            errors.add("to_date", "must not be before from_date")
        if fmt not in FORMATS:
            errors.add("format", "is required: CREDIT_DATA_FORMAT_JSONL or CREDIT_DATA_FORMAT_CSV")
        errors.raise_if_any()
        assert first is not None and last is not None
        wanted = tuple(s for s in ORDER if s in set(scopes)) or ORDER

        def work(session: LedgerSession) -> CreditDataExport:
            conn = session.connection
            day = session.today()
            consents = _consents_of(conn, borrowers)
            used: dict[str, Consent] = {}
            short: list[Shortfall] = []
            for code in borrowers:
                relied, shortfall = cover(code, platform, wanted, consents, day)
                if shortfall is not None:
                    short.append(shortfall)
                for c in relied:
                    used[c.id] = c
            if short:
                raise _no_consent(platform, day, short)
            records: list[dict[str, Any]] = []
            by_borrower = _facts_of(conn, borrowers, last, self.policy)
            for code in borrowers:
                for facts in by_borrower.get(code, []):
                    records.extend(build_records(facts, first, last, wanted))
            pieces = encode(records, fmt)
            digest = hashlib.sha256()
            for piece in pieces:
                digest.update(piece)
            size = sum(len(p) for p in pieces)
            export_id = uuid.uuid4()
            at = session.now()
            who = actor.columns()
            consent_names = tuple(f"consents/{c}" for c in sorted(used))
            record = ExportRecord(
                str(export_id),
                platform,
                tuple(borrowers),
                wanted,
                first,
                last,
                fmt,
                day,
                consent_names,
                len(records),
                digest.hexdigest(),
                size,
                who["principal"],
                who["role"],
                at,
            )
            conn.execute(
                ss.credit_data_exports.insert(),
                {
                    "id": export_id,
                    "platform": platform,
                    "borrowers": json.dumps(list(borrowers)),
                    "scopes": scopes_text(wanted),
                    "from_date": first,
                    "to_date": last,
                    "format": fmt,
                    "export_date": day,
                    "consents": json.dumps(list(consent_names)),
                    "record_count": len(records),
                    "sha256": record.sha256,
                    "size_bytes": size,
                    **who,
                    "created_at": at,
                },
            )
            counts: dict[str, int] = defaultdict(int)
            for r in records:
                counts[r["record_type"]] += 1
            return CreditDataExport(tuple(pieces), 1 if fmt == "csv" else 0, _manifest(record, dict(counts)), record)

        return self._ledger.write(work, what="ExportCreditData")

    def exports(self, *, platform: str = "", borrower_uscc: str = "", limit: int = 100) -> list[ExportRecord]:
        """The audit trail, newest first."""
        _check_filters(borrower_uscc, platform)
        t = ss.credit_data_exports
        query = sa.select(t).order_by(t.c.created_at.desc(), t.c.id).limit(limit)
        if platform:
            query = query.where(t.c.platform == platform)
        if borrower_uscc:
            query = query.where(t.c.borrowers.contains(f'"{borrower_uscc}"'))
        return self._ledger.read(lambda session: [_export_of(r) for r in session.connection.execute(query)])


# ---------------------------------------------------------------------- rows


def _consent_of(row: Any) -> Consent:
    return Consent(
        id=str(row.id),
        branch=row.branch,
        borrower_uscc=row.borrower_uscc,
        platform=row.platform,
        scopes=parse_scopes(row.scopes),
        signed_on=row.signed_on,
        expires_on=row.expires_on,
        evidence_reference=row.evidence_reference,
        evidence_sha256=row.evidence_sha256,
        request_id=row.request_id,
        principal=row.principal,
        role=row.role,
        created_at=row.created_at,
        revoked_on=row.revoked_on,
        revocation_reason=row.revocation_reason or "",
        revoke_request_id=row.revoke_request_id or "",
        revoked_by=row.revoked_by or "",
        revoked_role=row.revoked_role or "",
        revoked_at=row.revoked_at,
    )


def _export_of(row: Any) -> ExportRecord:
    return ExportRecord(
        str(row.id),
        row.platform,
        tuple(json.loads(row.borrowers)),
        parse_scopes(row.scopes),
        row.from_date,
        row.to_date,
        row.format,
        row.export_date,
        tuple(json.loads(row.consents)),
        row.record_count,
        row.sha256,
        row.size_bytes,
        row.principal,
        row.role,
        row.created_at,
    )


def _not_a_revocation(conn: sa.Connection, branch: str, request_id: str) -> None:
    t = ss.credit_data_consents
    if conn.execute(sa.select(t.c.id).where(t.c.branch == branch, t.c.revoke_request_id == request_id)).first():
        raise request_id_reused(request_id)


def _batches(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _BATCH] for i in range(0, len(values), _BATCH)]


def _consents_of(conn: sa.Connection, borrowers: Sequence[str]) -> list[Consent]:
    t = ss.credit_data_consents
    found: list[Consent] = []
    for batch in _batches(borrowers):
        found += [_consent_of(r) for r in conn.execute(sa.select(t).where(t.c.borrower_uscc.in_(batch)))]
    return found


def _no_consent(platform: str, day: dt.date, short: Sequence[Shortfall]) -> FailedPrecondition:
    violations = [
        PreconditionViolation(
            "NO_CONSENT",
            s.borrower_uscc,
            f"no consent for {platform} holding on {day.isoformat()} covers "
            f"{', '.join(m.name for m in s.missing)} (found: {s.found})",
        )
        for s in short
    ]
    return FailedPrecondition(
        f"{len(short)} borrower(s) have no valid consent for {platform}: nothing was exported",
        violations,
        reason="NO_CONSENT",
    )


def _amounts(details_json: str) -> dict[str, int]:
    details = json.loads(details_json)
    return {k: int(v) for k, v in details.items() if isinstance(v, (int, str)) and str(v).lstrip("-").isdigit()}


def _facts_of(
    conn: sa.Connection, borrowers: Sequence[str], last: dt.date, policy: Policy
) -> dict[str, list[DealFacts]]:
    """Every deal of the borrowers with its events, recorded classifications and the override in force at
    `last`, by borrower, deals in id order."""
    d, e = ds.deals, ds.deal_events
    rows: list[Any] = []
    for batch in _batches(borrowers):
        rows += conn.execute(sa.select(d).where(d.c.borrower_uscc.in_(batch))).all()
    rows.sort(key=lambda r: r.id)
    ids = [r.id for r in rows]
    events: dict[str, list[Event]] = defaultdict(list)
    runs: dict[str, list[RunRecord]] = defaultdict(list)
    floors: dict[str, Category] = {}
    dc, ov = cs.deal_classifications, cs.classification_overrides
    for batch in _batches(ids):
        for r in conn.execute(
            sa.select(e.c.deal_id, e.c.seq, e.c.kind, e.c.value_date, e.c.details_json)
            .where(e.c.deal_id.in_(batch))
            .order_by(e.c.deal_id, e.c.seq)
        ):
            events[r.deal_id].append(Event(r.seq, r.kind, r.value_date, _amounts(r.details_json)))
        for c in conn.execute(
            sa.select(dc)
            .where(dc.c.deal_id.in_(batch))
            .order_by(dc.c.deal_id, dc.c.as_of, dc.c.created_at, dc.c.run_id)
        ):
            runs[c.deal_id].append(
                RunRecord(f"classificationRuns/{c.run_id}", c.as_of, c.category, c.days_past_due, c.reason)
            )
        for o in conn.execute(
            sa.select(ov.c.deal_id, ov.c.category)
            .where(ov.c.deal_id.in_(batch), ov.c.status == "approved", ov.c.effective_from <= last)
            .order_by(ov.c.deal_id, ov.c.effective_from, ov.c.number)
        ):
            floors[o.deal_id] = Category(o.category)  # the latest in force wins (ordered ascending)
    found: dict[str, list[DealFacts]] = defaultdict(list)
    for row in rows:
        found[row.borrower_uscc].append(
            DealFacts(
                deal_id=row.id,
                branch=row.branch,
                borrower_uscc=row.borrower_uscc,
                terms=decoded_terms(row.terms_json),
                events=tuple(events[row.id]),
                runs=tuple(runs[row.id]),
                floor=floors.get(row.id, Category.NORMAL),
                policy=policy,
            )
        )
    return found


def _manifest(record: ExportRecord, counts: dict[str, int]) -> dict[str, Any]:
    """The manifest written next to the file (docs/credit-data.md, "The manifest")."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "schema_version": SCHEMA_VERSION,
        "schema": "docs/schemas/credit-facts.schema.json",
        "export": record.name,
        "format": record.format,
        "created_at": format_instant(record.created_at),
        "created_by": {"principal": record.principal, "role": record.role},
        "export_date": record.export_date.isoformat(),
        "filters": {
            "platform": record.platform,
            "borrower_usccs": list(record.borrowers),
            "from_date": record.first.isoformat(),
            "to_date": record.last.isoformat(),
            "scopes": [s.name for s in record.scopes],
        },
        "consents": list(record.consents),
        "record_count": record.record_count,
        "counts": dict(sorted(counts.items())),
        "currency": "CNY",
        "size_bytes": record.size_bytes,
        "sha256": record.sha256,
    }
