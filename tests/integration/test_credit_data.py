"""Credit-data sharing with the borrower's consent (issue 18, part 3), over real gRPC with real tokens per
role, on SQLite and PostgreSQL.

The loan, worked by hand (as tests/integration/test_credit_classification.py's): 1,000,000.00 at 3.60 %
ACT/360 from 15 Jan 2025 to 15 Jan 2026, interest monthly on the 15th, unadjusted, bullet, no subsidy and
no insurer: 1,000,000.00 × 3.6 % / 360 = 100.00 a day. The borrower pays the first period (31 days,
3,100.00) on 15 Feb and nothing after, so days past due as of D are D − 15 Mar. The instalments after it:
15 Mar 2,800.00 (28 days), 15 Apr 3,100.00 (31), 15 May 3,000.00 (30), 15 Jun 3,100.00 (31), 15 Jul
3,000.00 (30). Defaulted on 20 May: the debt on the books is the principal plus 15 Feb → 20 May of
interest, 94 days = 9,400.00, so 1,009,400.00; written off on 30 Jun for the same; 100,000.00 recovered on
15 Jul, all principal.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import jsonschema
import pytest

from deals.uscc import check_character
from ledger import db
from ledger.store import Ledger
from server.app import create_server
from server.auth import Authenticator, Role, load_key_set
from tests.agreements_world import sign_agreements
from tests.integration.authz_world import SECRET, BearerInterceptor, bearer, reason_of, token, violations_of
from tests.integration.dbstate import assert_unchanged, snapshot
from tests.integration.deals_world import USCC_A, USCC_B, cny, date, deal_terms
from toudai.v1 import credit_pb2 as cpb
from toudai.v1 import credit_pb2_grpc, deals_pb2_grpc, ledger_pb2_grpc, sharing_pb2_grpc
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import sharing_pb2 as spb

BANK, OTHER_BANK, ARM, POOL = "bank-hz", "bank-sh", "invest-arm", "pool-zj"
PLATFORM = "zj-credit-platform"
DEAL = "slow-payer"
CODE = grpc.StatusCode
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "credit-facts.schema.json"
ALL_SCOPES = [
    spb.CONSENT_SCOPE_LOANS,
    spb.CONSENT_SCOPE_REPAYMENTS,
    spb.CONSENT_SCOPE_OVERDUE,
    spb.CONSENT_SCOPE_CLASSIFICATION,
    spb.CONSENT_SCOPE_DEFAULTS,
]
FORM = hashlib.sha256(b"the signed consent form").hexdigest()


def uscc(first_seventeen: str) -> str:
    return first_seventeen + check_character(first_seventeen)


USCC_C, USCC_D, USCC_E = uscc("91330100MA2CCCCC1"), uscc("91330100MA2DDDDD1"), uscc("91330100MA2EEEEE1")


@dataclass
class World:
    ledger: Ledger
    target: str
    admin: grpc.Channel

    def sharing(self, role: Role, party: str = "", sub: str | None = None) -> Any:
        channel = grpc.intercept_channel(
            grpc.insecure_channel(self.target), BearerInterceptor(token(role, party, sub=sub))
        )
        return sharing_pb2_grpc.CreditDataServiceStub(channel)

    def clerk(self) -> Any:
        return self.sharing(Role.BRANCH, BANK, sub="clerk-wang")

    def officer(self) -> Any:
        return self.sharing(Role.CREDIT_DATA, sub="officer-zhao")


@pytest.fixture
def world(database_url: str, tmp_path: Any) -> Iterator[World]:
    (tmp_path / "k1.secret").write_bytes(SECRET)
    engines = db.create_engines(database_url)
    ledger = Ledger(engines)
    server, port = create_server(
        ledger, "127.0.0.1:0", authenticator=Authenticator(load_key_set([str(tmp_path / "k1.secret")]))
    )
    server.start()
    target = f"127.0.0.1:{port}"
    admin = grpc.intercept_channel(grpc.insecure_channel(target), BearerInterceptor(token(Role.ADMIN, sub="root")))
    stub = ledger_pb2_grpc.LedgerServiceStub(admin)
    for party, kind in (
        (BANK, pb.PARTY_KIND_BANK_BRANCH),
        (OTHER_BANK, pb.PARTY_KIND_BANK_BRANCH),
        (ARM, pb.PARTY_KIND_INVESTMENT_ARM),
        (POOL, pb.PARTY_KIND_RISK_POOL),
    ):
        stub.CreateParty(pb.CreatePartyRequest(request_id=f"p-{party}", party_id=party, display_name=party, kind=kind))
    sign_agreements(admin, branch=BANK, arm=ARM, pool=POOL)
    try:
        yield World(ledger, target, admin)
    finally:
        server.stop(None).wait()
        engines.dispose()


def _loan(w: World) -> None:
    """The worked example's loan through default, write-off and a recovery, and a classification run."""
    deals = deals_pb2_grpc.DealServiceStub(w.admin)
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund", risk_pool=f"parties/{POOL}", amount=cny("1000000.00"), value_date=date("2025-01-10")
        )
    )
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start="2025-01-15",
        maturity="2026-01-15",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
    )
    terms.loan.business_day = dpb.BUSINESS_DAY_CONVENTION_UNADJUSTED
    terms.risk_sharing.insurer = ""
    terms.risk_sharing.insurer_rate = ""
    name = f"deals/{DEAL}"
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="b", deal_id=DEAL, terms=terms))
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name=name))
    deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r1", name=name, amount=cny("3100.00"), value_date=date("2025-02-15"))
    )
    credit_pb2_grpc.CreditServiceStub(w.admin).ReclassifyDeals(
        cpb.ReclassifyDealsRequest(request_id="march", branch=f"parties/{BANK}", as_of_date=date("2025-03-31"))
    )
    deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default", name=name, value_date=date("2025-05-20"), reason="missed")
    )
    for claim in deals.ListClaims(dpb.ListClaimsRequest()).claims:
        if claim.status == dpb.CLAIM_STATUS_PENDING:
            deals.ApproveClaim(dpb.ApproveClaimRequest(request_id="approve", name=claim.name))
    deals.WriteOff(dpb.WriteOffRequest(request_id="wo", name=name, value_date=date("2025-06-30")))
    deals.RecordRecovery(
        dpb.RecordRecoveryRequest(request_id="rec", name=name, amount=cny("100000.00"), value_date=date("2025-07-15"))
    )


def _consent(
    w: World,
    request_id: str,
    borrower: str,
    *,
    scopes: list[int] | None = None,
    signed: str = "2025-01-10",
    expiry: str = "2030-12-31",
) -> spb.Consent:
    return (
        w.clerk()
        .RecordConsent(
            spb.RecordConsentRequest(
                request_id=request_id,
                branch=f"parties/{BANK}",
                borrower_uscc=borrower,
                platform=PLATFORM,
                scopes=ALL_SCOPES if scopes is None else scopes,
                signed_date=date(signed),
                expiry_date=date(expiry),
                evidence_reference=f"form-{request_id}",
                evidence_sha256=FORM,
            )
        )
        .consent
    )


def _export(stub: Any, borrowers: list[str], fmt: int = spb.CREDIT_DATA_FORMAT_JSONL, **more: Any) -> tuple[bytes, Any]:
    request = spb.ExportCreditDataRequest(
        platform=PLATFORM,
        borrower_usccs=borrowers,
        from_date=date("2025-01-01"),
        to_date=date("2025-07-31"),
        format=fmt,
        **more,
    )
    messages = list(stub.ExportCreditData(request))
    assert all(not m.HasField("manifest") for m in messages[:-1]) and messages[-1].HasField("manifest")
    return b"".join(m.data for m in messages), messages[-1]


def _common(kind: str, day: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "record_type": kind,
        "borrower_uscc": USCC_A,
        "deal": f"deals/{DEAL}",
        "branch": BANK,
        "date": day,
        "currency": "CNY",
    }


def _expected(run: str) -> list[dict[str, Any]]:
    """Every record of the loan from 1 Jan to 31 Jul 2025, by hand (module docstring)."""
    overdue = [
        ("2025-01-31", 0, "0.00"),  # the first instalment falls due on 15 Feb
        ("2025-02-28", 0, "0.00"),  # paid on 15 Feb
        ("2025-03-31", 16, "2800.00"),  # 15 Mar → 31 Mar
        ("2025-04-30", 46, "5900.00"),  # 2,800.00 + 3,100.00
        ("2025-05-31", 77, "8900.00"),  # + 3,000.00
        ("2025-06-30", 107, "12000.00"),  # + 3,100.00
        ("2025-07-31", 138, "15000.00"),  # + 3,000.00
    ]
    return [
        {
            **_common("loan", "2025-07-31"),
            "principal": "1000000.00",
            "annual_rate": "0.036",
            "day_count": "ACT/360",
            "start_date": "2025-01-15",
            "maturity_date": "2026-01-15",
            "disbursement_date": "2025-01-15",
            "status": "written_off",
        },
        {**_common("repayment", "2025-02-15"), "amount": "3100.00", "principal": "0.00", "interest": "3100.00"},
        *({**_common("overdue", d), "days_past_due": n, "amount_past_due": a} for d, n, a in overdue),
        {
            **_common("classification", "2025-03-31"),
            "category": "special_mention",
            "days_past_due": 16,
            "reason": "16 days past due",
            "source": "run",
            "run": run,
        },
        {
            **_common("classification", "2025-07-31"),
            "category": "loss",
            "days_past_due": 138,
            "reason": "written off",
            "source": "computed",
            "run": None,
        },
        {
            **_common("default", "2025-05-20"),
            "amount": "1009400.00",
            "principal": "1000000.00",
            "interest": "9400.00",
            "off_balance_interest": "0.00",
        },
        {
            **_common("write_off", "2025-06-30"),
            "amount": "1009400.00",
            "principal": "1000000.00",
            "interest": "9400.00",
            "off_balance_interest": "0.00",
        },
        {
            **_common("recovery", "2025-07-15"),
            "amount": "100000.00",
            "costs": "0.00",
            "principal": "100000.00",
            "interest": "0.00",
        },
    ]


def _refused_export(w: World, borrowers: list[str], **more: Any) -> grpc.RpcError:
    """The export is refused FAILED_PRECONDITION and the database (audit trail included) is unchanged."""
    before = snapshot(w.ledger.engines.writer)
    with pytest.raises(grpc.RpcError) as caught:
        _export(w.officer(), borrowers, **more)
    assert caught.value.code() == CODE.FAILED_PRECONDITION, caught.value.details()
    assert reason_of(caught.value) == "NO_CONSENT"
    assert_unchanged(before, snapshot(w.ledger.engines.writer))
    return caught.value


def test_an_export_of_a_loans_facts_by_hand(world: World) -> None:
    _loan(world)
    consent = _consent(world, "consent-a", USCC_A)
    assert consent.state == spb.CONSENT_STATE_ACTIVE and consent.recorded_by.principal == "clerk-wang"
    data, last = _export(world.officer(), [USCC_A])
    records = [json.loads(line) for line in data.decode().splitlines()]
    run = records[9]["run"]
    assert re.fullmatch(r"classificationRuns/[0-9a-f-]{36}", run)
    assert [{k: v for k, v in r.items() if k != "record_id"} for r in records] == _expected(run)
    assert [r["record_id"].split("/")[:2] for r in records] == [[DEAL, r["record_type"]] for r in records]
    assert len({r["record_id"] for r in records}) == len(records)
    validator = jsonschema.Draft202012Validator(
        json.loads(SCHEMA.read_text()), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for record in records:
        validator.validate(record)
    # The manifest: the digest recomputed from the bytes, the filters, the consent relied on, the caller.
    manifest = json.loads(last.manifest.json)
    assert hashlib.sha256(data).hexdigest() == last.manifest.sha256 == manifest["sha256"]
    assert last.manifest.size_bytes == manifest["size_bytes"] == len(data)
    assert last.manifest.record_count == manifest["record_count"] == len(records) == 14
    assert manifest["export"] == last.manifest.export
    assert manifest["consents"] == [consent.name]
    assert manifest["created_by"] == {"principal": "officer-zhao", "role": "credit_data"}
    assert manifest["filters"] == {
        "platform": PLATFORM,
        "borrower_usccs": [USCC_A],
        "from_date": "2025-01-01",
        "to_date": "2025-07-31",
        "scopes": ["LOANS", "REPAYMENTS", "OVERDUE", "CLASSIFICATION", "DEFAULTS"],
    }
    assert manifest["counts"] == {
        "classification": 2,
        "default": 1,
        "loan": 1,
        "overdue": 7,
        "recovery": 1,
        "repayment": 1,
        "write_off": 1,
    }
    # CSV: the same records, parsed back (empty cells where a record type has no such field).
    csv_data, csv_last = _export(world.officer(), [USCC_A], spb.CREDIT_DATA_FORMAT_CSV)
    assert hashlib.sha256(csv_data).hexdigest() == csv_last.manifest.sha256
    rows = list(csv.DictReader(io.StringIO(csv_data.decode("utf-8"), newline="")))
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        assert {k: v for k, v in row.items() if v != ""} == {
            k: str(v) for k, v in record.items() if v is not None and str(v) != ""
        }
    # Only some scopes: the records of those scopes only.
    loans, _ = _export(world.officer(), [USCC_A], scopes=[spb.CONSENT_SCOPE_LOANS, spb.CONSENT_SCOPE_DEFAULTS])
    kinds = [json.loads(line)["record_type"] for line in loans.decode().splitlines()]
    assert kinds == ["loan", "default", "write_off", "recovery"]
    # The audit trail: each export with its caller, newest first.
    trail = world.sharing(Role.AUDITOR, sub="auditor-qian").ListCreditDataExports(spb.ListCreditDataExportsRequest())
    assert [e.name for e in trail.exports][::-1][0] == last.manifest.export
    assert [(e.principal, e.role, e.record_count) for e in trail.exports] == [
        ("officer-zhao", "credit_data", 4),
        ("officer-zhao", "credit_data", 14),
        ("officer-zhao", "credit_data", 14),
    ]
    first = trail.exports[-1]
    assert (first.sha256, first.size_bytes, list(first.consents)) == (last.manifest.sha256, len(data), [consent.name])
    assert (list(first.borrower_usccs), first.format) == ([USCC_A], spb.CREDIT_DATA_FORMAT_JSONL)


def test_no_export_without_a_valid_consent_of_the_right_scope(world: World) -> None:
    _loan(world)
    today = world.ledger.today()
    _consent(world, "consent-a", USCC_A)
    _consent(world, "expired", USCC_C, expiry=(today - dt.timedelta(days=1)).isoformat())
    revoked = _consent(world, "to-revoke", USCC_D)
    world.clerk().RevokeConsent(spb.RevokeConsentRequest(request_id="revoke-d", name=revoked.name, reason="withdrawn"))
    _consent(world, "loans-only", USCC_E, scopes=[spb.CONSENT_SCOPE_LOANS])
    # The whole export is refused, one violation per borrower without a valid consent, and nothing recorded.
    error = _refused_export(world, [USCC_A, USCC_B, USCC_C, USCC_D, USCC_E])
    found = {subject: (kind, text) for kind, subject, text in violations_of(error)}
    assert set(found) == {USCC_B, USCC_C, USCC_D, USCC_E}
    assert all(kind == "NO_CONSENT" for kind, _ in found.values())
    assert "found: none" in found[USCC_B][1]
    assert "found: expired" in found[USCC_C][1]
    assert "found: revoked" in found[USCC_D][1]
    assert "found: other scopes" in found[USCC_E][1] and "REPAYMENTS" in found[USCC_E][1]
    for alone in (USCC_B, USCC_C, USCC_D, USCC_E):
        _refused_export(world, [alone])
    _refused_export(world, [USCC_E], scopes=[spb.CONSENT_SCOPE_OVERDUE])
    # Another platform's export is not covered by these consents either.
    with pytest.raises(grpc.RpcError) as other:
        list(
            world.officer().ExportCreditData(
                spb.ExportCreditDataRequest(
                    platform="other-platform",
                    borrower_usccs=[USCC_A],
                    from_date=date("2025-01-01"),
                    to_date=date("2025-07-31"),
                    format=spb.CREDIT_DATA_FORMAT_JSONL,
                )
            )
        )
    assert other.value.code() == CODE.FAILED_PRECONDITION
    # The consent's own scope exports (no deals for that borrower: an empty file, still recorded).
    data, last = _export(world.officer(), [USCC_E], scopes=[spb.CONSENT_SCOPE_LOANS])
    assert data == b"" and last.manifest.record_count == 0
    trail = world.officer().ListCreditDataExports(spb.ListCreditDataExportsRequest())
    assert [list(e.borrower_usccs) for e in trail.exports] == [[USCC_E]]


def test_only_the_credit_data_officer_exports(world: World) -> None:
    _loan(world)
    _consent(world, "consent-a", USCC_A)
    for stub in (world.clerk(), world.sharing(Role.AUDITOR, sub="auditor-qian")):
        with pytest.raises(grpc.RpcError) as denied:
            _export(stub, [USCC_A])
        assert denied.value.code() == CODE.PERMISSION_DENIED
    data, last = _export(world.officer(), [USCC_A])
    assert last.manifest.record_count == 14 and data
    with pytest.raises(grpc.RpcError) as listed:
        world.clerk().ListCreditDataExports(spb.ListCreditDataExportsRequest())
    assert listed.value.code() == CODE.PERMISSION_DENIED


def test_consents_are_idempotent_scoped_and_kept_when_revoked(world: World) -> None:
    request = spb.RecordConsentRequest(
        request_id="c1",
        branch=f"parties/{BANK}",
        borrower_uscc=USCC_A,
        platform=PLATFORM,
        scopes=[spb.CONSENT_SCOPE_LOANS, spb.CONSENT_SCOPE_OVERDUE],
        signed_date=date("2025-01-10"),
        expiry_date=date("2027-01-10"),
        evidence_reference="form-2025-001",
        evidence_sha256=FORM,
    )
    clerk = world.clerk()
    first = clerk.RecordConsent(request)
    assert clerk.RecordConsent(request) == first  # a retry replays
    changed = spb.RecordConsentRequest()
    changed.CopyFrom(request)
    changed.platform = "other-platform"
    before = snapshot(world.ledger.engines.writer)
    with pytest.raises(grpc.RpcError) as reused:
        clerk.RecordConsent(changed)
    assert reused.value.code() == CODE.ALREADY_EXISTS and reason_of(reused.value) == "REQUEST_ID_REUSED"
    # Another branch may use the same request id (ids are the branch's own) but not record for this branch.
    other = world.sharing(Role.BRANCH, OTHER_BANK, sub="clerk-li")
    with pytest.raises(grpc.RpcError) as mismatch:
        other.RecordConsent(request)
    assert mismatch.value.code() == CODE.PERMISSION_DENIED and reason_of(mismatch.value) == "PARTY_MISMATCH"
    # Bad input: every problem at once, as BadRequest field violations.
    bad = spb.RecordConsentRequest(
        request_id="c2",
        branch=f"parties/{BANK}",
        borrower_uscc="91350100M000100Y44",
        platform="Bad Platform",
        signed_date=date("2025-02-01"),
        expiry_date=date("2025-01-01"),
        evidence_sha256="abc",
    )
    with pytest.raises(grpc.RpcError) as invalid:
        clerk.RecordConsent(bad)
    assert invalid.value.code() == CODE.INVALID_ARGUMENT
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    fields = set()
    for detail in rpc_status.from_call(invalid.value).details:  # type: ignore[arg-type, union-attr]
        br = error_details_pb2.BadRequest()
        if detail.Unpack(br):
            fields |= {v.field for v in br.field_violations}
    assert fields == {"borrower_uscc", "platform", "scopes", "expiry_date", "evidence_reference", "evidence_sha256"}
    assert_unchanged(before, snapshot(world.ledger.engines.writer))
    # Another branch's staff do not see it; credit-data officers and auditors do.
    with pytest.raises(grpc.RpcError) as hidden:
        other.GetConsent(spb.GetConsentRequest(name=first.consent.name))
    assert hidden.value.code() == CODE.NOT_FOUND
    assert list(other.ListConsents(spb.ListConsentsRequest()).consents) == []
    for reader in (world.officer(), world.sharing(Role.AUDITOR, sub="auditor-qian"), clerk):
        assert reader.GetConsent(spb.GetConsentRequest(name=first.consent.name)).consent == first.consent
    # Revocation: dated, replayable, kept; a second revocation is FAILED_PRECONDITION.
    revoke = spb.RevokeConsentRequest(
        request_id="r1", name=first.consent.name, revoked_date=date("2025-06-01"), reason="borrower withdrew"
    )
    revoked = clerk.RevokeConsent(revoke).consent
    assert clerk.RevokeConsent(revoke).consent == revoked
    assert (revoked.state, revoked.revoked_date.month, revoked.revoked_by.principal) == (
        spb.CONSENT_STATE_REVOKED,
        6,
        "clerk-wang",
    )
    before = snapshot(world.ledger.engines.writer)
    with pytest.raises(grpc.RpcError) as again:
        clerk.RevokeConsent(spb.RevokeConsentRequest(request_id="r2", name=first.consent.name))
    assert again.value.code() == CODE.FAILED_PRECONDITION and reason_of(again.value) == "CONSENT_REVOKED"
    assert_unchanged(before, snapshot(world.ledger.engines.writer))
    listed = world.officer().ListConsents(spb.ListConsentsRequest(borrower_uscc=USCC_A)).consents
    assert [c.name for c in listed] == [first.consent.name] and listed[0].state == spb.CONSENT_STATE_REVOKED
    assert bearer  # the module's helpers are shared with test_consent.py


def test_list_filters_are_checked_before_any_query(world: World) -> None:
    """The fuzzer's find (PostgreSQL answered INTERNAL for a NUL byte in `borrower_uscc`): a list's filter
    that is not a code or a platform id is INVALID_ARGUMENT naming it, on both databases."""
    officer = world.officer()
    for request, field in (
        (spb.ListConsentsRequest(borrower_uscc="\x00"), "borrower_uscc"),
        (spb.ListConsentsRequest(platform="Bad Platform\x00"), "platform"),
        (spb.ListCreditDataExportsRequest(borrower_uscc="91330100MA2CCCCC1\x00"), "borrower_uscc"),
    ):
        method = officer.ListConsents if isinstance(request, spb.ListConsentsRequest) else officer.ListCreditDataExports
        with pytest.raises(grpc.RpcError) as caught:
            method(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
        assert field in (caught.value.details() or "")
