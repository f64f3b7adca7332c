"""CreditDataService: protobuf in, SharingDesk call, protobuf out; consents scoped to the caller's branch.

The export is a server stream like AuditService/ExportJournal: the desk builds the whole file, checks
the consents and records the export in one transaction before the first chunk is sent, so a refusal
(NO_CONSENT) arrives before any byte and an export that sent bytes is always in the audit trail. The
error interceptor wraps unary handlers only, so the stream translates errors here, the same way, and logs
one access line when it ends (as server/audit_servicer.py does).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import grpc

from deals.sharing.consent import Consent, Scope
from deals.sharing.desk import ExportRecord, SharingDesk
from deals.sharing.facts import chunks
from ledger import names
from ledger.db import as_utc
from ledger.errors import InvalidArgument, LedgerError, NotFound, ViolationCollector
from server import authz
from server.auth import bound_call
from server.convert import date_out, instant_out, optional_date_in
from server.deal_convert import attribution_out
from server.errors import STATUS_OF_KIND, abort_with, internal_status, to_status
from server.interceptors import log_access
from server.logs import CallRecord
from toudai.v1 import sharing_pb2 as pb
from toudai.v1 import sharing_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024  # at most this many bytes per message (a longer record travels alone)
MAX_PAGE = 1000

SCOPE_IN = {
    pb.CONSENT_SCOPE_LOANS: Scope.LOANS,
    pb.CONSENT_SCOPE_REPAYMENTS: Scope.REPAYMENTS,
    pb.CONSENT_SCOPE_OVERDUE: Scope.OVERDUE,
    pb.CONSENT_SCOPE_CLASSIFICATION: Scope.CLASSIFICATION,
    pb.CONSENT_SCOPE_DEFAULTS: Scope.DEFAULTS,
}
SCOPE_OUT = {v: k for k, v in SCOPE_IN.items()}
FORMAT_IN = {pb.CREDIT_DATA_FORMAT_JSONL: "jsonl", pb.CREDIT_DATA_FORMAT_CSV: "csv"}
FORMAT_OUT = {v: k for k, v in FORMAT_IN.items()}


def scopes_in(values: Any, path: str, errors: ViolationCollector) -> tuple[Scope, ...]:
    found = []
    for i, value in enumerate(values):
        scope = SCOPE_IN.get(value)
        if scope is None:
            errors.add(f"{path}[{i}]", "must be one of LOANS, REPAYMENTS, OVERDUE, CLASSIFICATION, DEFAULTS")
        else:
            found.append(scope)
    return tuple(found)


def consent_out(c: Consent) -> pb.Consent:
    out = pb.Consent(
        name=c.name,
        branch=f"parties/{c.branch}",
        borrower_uscc=c.borrower_uscc,
        platform=c.platform,
        scopes=[SCOPE_OUT[s] for s in c.scopes],
        signed_date=date_out(c.signed_on),
        expiry_date=date_out(c.expires_on),
        evidence_reference=c.evidence_reference,
        evidence_sha256=c.evidence_sha256,
        state=pb.CONSENT_STATE_REVOKED if c.revoked_on is not None else pb.CONSENT_STATE_ACTIVE,
        revocation_reason=c.revocation_reason,
        recorded_by=attribution_out(c.principal, c.role, c.request_id, as_utc(c.created_at)),
    )
    if c.revoked_on is not None:
        out.revoked_date.CopyFrom(date_out(c.revoked_on))
        out.revoked_by.CopyFrom(
            attribution_out(
                c.revoked_by, c.revoked_role, c.revoke_request_id, as_utc(c.revoked_at) if c.revoked_at else None
            )
        )
    return out


def export_out(e: ExportRecord) -> pb.CreditDataExport:
    return pb.CreditDataExport(
        name=e.name,
        platform=e.platform,
        borrower_usccs=list(e.borrowers),
        scopes=[SCOPE_OUT[s] for s in e.scopes],
        from_date=date_out(e.first),
        to_date=date_out(e.last),
        format=FORMAT_OUT[e.format],
        export_date=date_out(e.export_date),
        consents=list(e.consents),
        record_count=e.record_count,
        sha256=e.sha256,
        size_bytes=e.size_bytes,
        principal=e.principal,
        role=e.role,
        create_time=instant_out(as_utc(e.created_at)),
    )


def _branch_filter(value: str) -> str:
    if not value:
        return ""
    try:
        return names.parse_party_name(value if value.startswith("parties/") else f"parties/{value}")
    except names.BadName as exc:
        raise InvalidArgument.one("branch", str(exc)) from None


class CreditDataServicer(pb_grpc.CreditDataServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.CreditDataService on a `SharingDesk`."""

    def __init__(self, desk: SharingDesk) -> None:
        self._desk = desk

    def RecordConsent(
        self, request: pb.RecordConsentRequest, context: grpc.ServicerContext
    ) -> pb.RecordConsentResponse:
        authz.named_party_is_own(context, request.branch, "branch")
        errors = ViolationCollector()
        scopes = scopes_in(request.scopes, "scopes", errors)
        signed = optional_date_in(request, "signed_date", "signed_date", errors)
        expires = optional_date_in(request, "expiry_date", "expiry_date", errors)
        consent = self._desk.record_consent(
            request_id=request.request_id,
            branch=request.branch,
            borrower_uscc=request.borrower_uscc,
            platform=request.platform,
            scopes=scopes,
            signed_on=signed,
            expires_on=expires,
            evidence_reference=request.evidence_reference,
            evidence_sha256=request.evidence_sha256,
            errors=errors,
        )
        return pb.RecordConsentResponse(consent=consent_out(consent))

    def RevokeConsent(
        self, request: pb.RevokeConsentRequest, context: grpc.ServicerContext
    ) -> pb.RevokeConsentResponse:
        self._own(context, request.name)
        errors = ViolationCollector()
        revoked = optional_date_in(request, "revoked_date", "revoked_date", errors)
        errors.raise_if_any()
        consent = self._desk.revoke_consent(
            request_id=request.request_id, name=request.name, revoked_on=revoked, reason=request.reason
        )
        return pb.RevokeConsentResponse(consent=consent_out(consent))

    def GetConsent(self, request: pb.GetConsentRequest, context: grpc.ServicerContext) -> pb.GetConsentResponse:
        return pb.GetConsentResponse(consent=consent_out(self._own(context, request.name)))

    def ListConsents(self, request: pb.ListConsentsRequest, context: grpc.ServicerContext) -> pb.ListConsentsResponse:
        branch = authz.list_party(context, request.branch, "branch")
        if branch is None:
            return pb.ListConsentsResponse()
        found = self._desk.consents(
            branch=_branch_filter(branch), borrower_uscc=request.borrower_uscc, platform=request.platform
        )
        return pb.ListConsentsResponse(consents=[consent_out(c) for c in found])

    def ExportCreditData(
        self, request: pb.ExportCreditDataRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportCreditDataResponse]:
        started = time.perf_counter()
        status = "OK"
        sent = 0
        try:
            errors = ViolationCollector()
            first = optional_date_in(request, "from_date", "from_date", errors)
            last = optional_date_in(request, "to_date", "to_date", errors)
            scopes = scopes_in(request.scopes, "scopes", errors)
            export = self._desk.export(
                platform=request.platform,
                borrowers=list(request.borrower_usccs),
                first=first,
                last=last,
                fmt=FORMAT_IN.get(request.format, ""),
                scopes=scopes,
                errors=errors,
            )
            total = export.record.record_count
            for data, exported in chunks(export.pieces, CHUNK_BYTES, export.header):
                sent += 1
                yield pb.ExportCreditDataResponse(data=data, records_exported=exported, records_total=total)
            m = export.manifest
            sent += 1
            yield pb.ExportCreditDataResponse(
                records_exported=total,
                records_total=total,
                manifest=pb.CreditDataManifest(
                    json=json.dumps(m, ensure_ascii=False, indent=2, sort_keys=True),
                    sha256=m["sha256"],
                    size_bytes=m["size_bytes"],
                    record_count=m["record_count"],
                    export=m["export"],
                ),
            )
        except LedgerError as error:
            status = STATUS_OF_KIND[error.kind].name
            abort_with(context, to_status(error))
        except GeneratorExit:
            status = "CANCELLED"
            raise
        except Exception:
            if getattr(context, "_state", None) is not None and context._state.aborted:  # type: ignore[attr-defined]
                code = context.code()  # type: ignore[attr-defined]
                status = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
                raise
            status = "INTERNAL"
            log.exception("unhandled error in ExportCreditData")
            abort_with(context, internal_status(""))
        finally:
            call = bound_call(context)
            log_access(
                {
                    "method": "/toudai.v1.CreditDataService/ExportCreditData",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "messages": sent,
                    "peer": context.peer(),
                },
                CallRecord(call.identity.subject, call.identity.role.value) if call is not None else None,
            )

    def ListCreditDataExports(
        self, request: pb.ListCreditDataExportsRequest, context: grpc.ServicerContext
    ) -> pb.ListCreditDataExportsResponse:
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            raise InvalidArgument.one("page_size", f"must be 0 (100) to {MAX_PAGE}")
        found = self._desk.exports(
            platform=request.platform, borrower_uscc=request.borrower_uscc, limit=request.page_size or 100
        )
        return pb.ListCreditDataExportsResponse(exports=[export_out(e) for e in found])

    def _own(self, context: grpc.ServicerContext, name: str) -> Consent:
        """The consent, if the caller may see it: another branch's is NOT_FOUND, as a missing one."""
        consent = self._desk.consent(name)
        party = authz.scope(context)
        if party is not None and party != consent.branch:
            raise NotFound(name, "consent")
        return consent
