"""CreditDataService calls for the CLI and Python callers: borrowers' consents and credit-data exports.

Plain Python values in (USCCs, dates, scope words such as "loans"), frozen dataclasses out. An export
streams the file: `export` writes it and its manifest (FILE.manifest.json) and checks the SHA-256 of what
it wrote against the manifest, calling `progress(records_exported, records_total)` as chunks arrive.
docs/credit-data.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pathlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import grpc
from google.type import date_pb2

from clients.client import ToudaiClient, new_request_id
from clients.errors import ToudaiError, from_rpc_error
from toudai.v1 import sharing_pb2 as pb
from toudai.v1 import sharing_pb2_grpc as pb_grpc

__all__ = [
    "FORMATS",
    "SCOPES",
    "Consent",
    "CreditDataClient",
    "ExportEntry",
    "ExportResult",
    "consent_name",
    "demo_steps",
]

SCOPES = {
    "loans": pb.CONSENT_SCOPE_LOANS,
    "repayments": pb.CONSENT_SCOPE_REPAYMENTS,
    "overdue": pb.CONSENT_SCOPE_OVERDUE,
    "classification": pb.CONSENT_SCOPE_CLASSIFICATION,
    "defaults": pb.CONSENT_SCOPE_DEFAULTS,
}
_SCOPE_WORD = {v: k for k, v in SCOPES.items()}
FORMATS = {"jsonl": pb.CREDIT_DATA_FORMAT_JSONL, "csv": pb.CREDIT_DATA_FORMAT_CSV}
_FORMAT_WORD = {v: k for k, v in FORMATS.items()}


@dataclass(frozen=True, slots=True)
class Consent:
    name: str
    branch: str
    borrower_uscc: str
    platform: str
    scopes: tuple[str, ...]
    signed_date: dt.date | None
    expiry_date: dt.date | None
    evidence_reference: str
    evidence_sha256: str
    state: str  # active | revoked
    revoked_date: dt.date | None
    revocation_reason: str
    recorded_by: str
    revoked_by: str


@dataclass(frozen=True, slots=True)
class ExportEntry:
    """One export in the audit trail."""

    name: str
    platform: str
    borrower_usccs: tuple[str, ...]
    scopes: tuple[str, ...]
    from_date: dt.date | None
    to_date: dt.date | None
    format: str
    export_date: dt.date | None
    consents: tuple[str, ...]
    record_count: int
    sha256: str
    size_bytes: int
    principal: str
    role: str
    create_time: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A finished export: where the file and the manifest are, and what the manifest says."""

    file: pathlib.Path
    manifest_file: pathlib.Path
    export: str
    record_count: int
    sha256: str
    size_bytes: int
    manifest: dict[str, Any]


def consent_name(value: str) -> str:
    return value if value.startswith("consents/") else f"consents/{value}"


def _date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _day(value: date_pb2.Date) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value.year else None


def _consent(c: Any) -> Consent:
    return Consent(
        name=c.name,
        branch=c.branch.removeprefix("parties/"),
        borrower_uscc=c.borrower_uscc,
        platform=c.platform,
        scopes=tuple(_SCOPE_WORD.get(s, "") for s in c.scopes),
        signed_date=_day(c.signed_date),
        expiry_date=_day(c.expiry_date),
        evidence_reference=c.evidence_reference,
        evidence_sha256=c.evidence_sha256,
        state="revoked" if c.state == pb.CONSENT_STATE_REVOKED else "active",
        revoked_date=_day(c.revoked_date),
        revocation_reason=c.revocation_reason,
        recorded_by=c.recorded_by.principal,
        revoked_by=c.revoked_by.principal,
    )


def _entry(e: Any) -> ExportEntry:
    return ExportEntry(
        name=e.name,
        platform=e.platform,
        borrower_usccs=tuple(e.borrower_usccs),
        scopes=tuple(_SCOPE_WORD.get(s, "") for s in e.scopes),
        from_date=_day(e.from_date),
        to_date=_day(e.to_date),
        format=_FORMAT_WORD.get(e.format, ""),
        export_date=_day(e.export_date),
        consents=tuple(e.consents),
        record_count=e.record_count,
        sha256=e.sha256,
        size_bytes=e.size_bytes,
        principal=e.principal,
        role=e.role,
        create_time=e.create_time.ToDatetime(tzinfo=dt.UTC) if e.HasField("create_time") else None,
    )


class CreditDataClient:
    def __init__(self, client: ToudaiClient) -> None:
        self._client = client
        self._stub = client.stub(pb_grpc.CreditDataServiceStub)

    def record_consent(
        self,
        branch: str,
        borrower_uscc: str,
        platform: str,
        scopes: Sequence[str],
        signed_date: dt.date,
        expiry_date: dt.date,
        evidence_reference: str,
        evidence_sha256: str,
        *,
        request_id: str | None = None,
    ) -> Consent:
        """Record a borrower's signed consent at `branch` (scope words: see SCOPES)."""
        request = pb.RecordConsentRequest(
            request_id=request_id or new_request_id(),
            branch=branch if branch.startswith("parties/") else f"parties/{branch}",
            borrower_uscc=borrower_uscc,
            platform=platform,
            scopes=[SCOPES[s] for s in scopes],
            signed_date=_date(signed_date),
            expiry_date=_date(expiry_date),
            evidence_reference=evidence_reference,
            evidence_sha256=evidence_sha256,
        )
        return _consent(self._client.call(self._stub, "RecordConsent", request).consent)

    def revoke_consent(
        self, name: str, *, revoked_date: dt.date | None = None, reason: str = "", request_id: str | None = None
    ) -> Consent:
        request = pb.RevokeConsentRequest(
            request_id=request_id or new_request_id(),
            name=consent_name(name),
            revoked_date=_date(revoked_date) if revoked_date else None,
            reason=reason,
        )
        return _consent(self._client.call(self._stub, "RevokeConsent", request).consent)

    def consent(self, name: str) -> Consent:
        request = pb.GetConsentRequest(name=consent_name(name))
        return _consent(self._client.call(self._stub, "GetConsent", request).consent)

    def consents(self, *, branch: str = "", borrower_uscc: str = "", platform: str = "") -> tuple[Consent, ...]:
        request = pb.ListConsentsRequest(
            branch=branch if not branch or branch.startswith("parties/") else f"parties/{branch}",
            borrower_uscc=borrower_uscc,
            platform=platform,
        )
        return tuple(_consent(c) for c in self._client.call(self._stub, "ListConsents", request).consents)

    def exports(self, *, platform: str = "", borrower_uscc: str = "", limit: int = 0) -> tuple[ExportEntry, ...]:
        """The audit trail, newest first."""
        request = pb.ListCreditDataExportsRequest(platform=platform, borrower_uscc=borrower_uscc, page_size=limit)
        return tuple(_entry(e) for e in self._client.call(self._stub, "ListCreditDataExports", request).exports)

    def stream(
        self,
        platform: str,
        borrower_usccs: Sequence[str],
        from_date: dt.date,
        to_date: dt.date,
        fmt: str = "jsonl",
        scopes: Sequence[str] = (),
    ) -> Iterator[Any]:
        """The raw messages of the export stream (bytes, then the manifest last); errors are typed."""
        request = pb.ExportCreditDataRequest(
            platform=platform,
            borrower_usccs=list(borrower_usccs),
            from_date=_date(from_date),
            to_date=_date(to_date),
            format=FORMATS[fmt],
            scopes=[SCOPES[s] for s in scopes],
        )
        try:
            yield from self._stub.ExportCreditData(request, metadata=self._client.metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error

    def export(
        self,
        platform: str,
        borrower_usccs: Sequence[str],
        from_date: dt.date,
        to_date: dt.date,
        out: pathlib.Path,
        *,
        fmt: str = "jsonl",
        scopes: Sequence[str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> ExportResult:
        """Write the export to `out` and its manifest to `out`.manifest.json; the file appears only whole
        (written as `out`.partial, renamed once its SHA-256 matches the manifest's)."""
        partial_file = out.with_name(out.name + ".partial")
        digest = hashlib.sha256()
        manifest: Any = None
        with partial_file.open("wb") as stream:
            for message in self.stream(platform, borrower_usccs, from_date, to_date, fmt, scopes):
                if message.data:
                    stream.write(message.data)
                    digest.update(message.data)
                if progress is not None:
                    progress(message.records_exported, message.records_total)
                if message.HasField("manifest"):
                    manifest = message.manifest
        if manifest is None or manifest.sha256 != digest.hexdigest():
            partial_file.unlink(missing_ok=True)
            raise ToudaiError(
                grpc.StatusCode.DATA_LOSS,
                "the export ended without a manifest matching its bytes; nothing was written",
                reason="EXPORT_INCOMPLETE",
            )
        partial_file.replace(out)
        manifest_file = out.with_name(out.name + ".manifest.json")
        manifest_file.write_text(manifest.json + "\n", encoding="utf-8")
        return ExportResult(
            out,
            manifest_file,
            manifest.export,
            manifest.record_count,
            manifest.sha256,
            manifest.size_bytes,
            json.loads(manifest.json),
        )


# ---------------------------------------------------------------------- for `toudai demo`

DEMO_BRANCH = "bank-hz"
DEMO_BORROWER = "91330110MA2K8P4Q10"  # 杭州极光储能科技有限公司, deal hz-2026-107 of clients/demo.py
DEMO_PLATFORM = "zj-credit-platform"
DEMO_FORM = hashlib.sha256("demo: 征信授权书 hz-2026-107".encode()).hexdigest()


def demo_steps(client: ToudaiClient, out_dir: pathlib.Path | None) -> list[tuple[str, Callable[[], object]]]:
    """Steps for `toudai demo`: the demo borrower of hz-2026-107 consents at bank-hz to share every scope with
    the provincial platform, then its credit facts from March to 25 Nov 2026 are exported (to `out_dir` as
    hz-2026-107-credit-data.jsonl with its manifest, or into a temporary directory without one). Request ids
    are fixed (`demo:...`), so running the demo again records nothing twice; each export is a new entry of
    the audit trail."""
    sharing = CreditDataClient(client)
    record = partial(
        sharing.record_consent,
        DEMO_BRANCH,
        DEMO_BORROWER,
        DEMO_PLATFORM,
        tuple(SCOPES),
        dt.date(2026, 3, 1),
        dt.date(2031, 3, 1),
        "demo-form-hz-2026-107",
        DEMO_FORM,
        request_id="demo:consent:hz-2026-107",
    )

    def export() -> ExportResult:
        import tempfile

        directory = out_dir or pathlib.Path(tempfile.mkdtemp(prefix="toudai-credit-data-"))
        directory.mkdir(parents=True, exist_ok=True)
        return sharing.export(
            DEMO_PLATFORM,
            [DEMO_BORROWER],
            dt.date(2026, 3, 1),
            dt.date(2026, 11, 25),
            directory / "hz-2026-107-credit-data.jsonl",
        )

    return [("consent hz-2026-107 borrower", record), ("export credit data hz-2026-107", export)]
