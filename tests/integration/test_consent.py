"""Issue 15's attacks, played against a server with keys (real gRPC, SQLite and PostgreSQL).

A branch clerk holding a valid token tries to write into other parties' books through a deal's terms,
and to empty the real risk pool with terms it chose itself. Every attempt is refused with the reason
the docs give, and every book is unchanged (docs/security.md, "Agreements"). The pool's agreement here
is strict, written out by hand: 50 % of a loss, at most 300,000.00 per loan, claims above 100,000.00
wait for the pool's approval.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from ledger import db
from ledger.store import Ledger
from server.app import create_server
from server.auth import Authenticator, Role, load_key_set
from tests.agreements_world import sign_agreements
from tests.integration.authz_world import SECRET, BearerInterceptor, bearer, reason_of, token, violations_of
from tests.integration.dbstate import assert_unchanged, snapshot
from tests.integration.settlement_world import cny, date, deal_terms, option_terms, yuan
from toudai.v1 import agreements_pb2 as apb
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import deals_pb2_grpc, ledger_pb2_grpc
from toudai.v1 import ledger_pb2 as pb

BANK, OTHER_BANK, ARM, POOL = "bank-hz", "bank-sh", "invest-arm", "pool-zj"
CODE = grpc.StatusCode


@dataclass
class Keyed:
    ledger: Ledger
    target: str
    admin: grpc.Channel

    def deals(self, role: Role, party: str, sub: str | None = None) -> tuple[Any, tuple[tuple[str, str], ...]]:
        return deals_pb2_grpc.DealServiceStub(grpc.insecure_channel(self.target)), bearer(token(role, party, sub=sub))


@pytest.fixture
def keyed(database_url: str, tmp_path: Any) -> Iterator[Keyed]:
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
    strict = apb.RiskSharingAgreement(
        base_rate="0.50", per_deal_cap=cny("300000.00"), auto_approval_limit=cny("100000.00")
    )
    sign_agreements(admin, branch=BANK, arm=ARM, pool=POOL, risk=strict)
    deals_pb2_grpc.DealServiceStub(admin).FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund", risk_pool=f"parties/{POOL}", amount=cny("1000000.00"), value_date=date("2026-01-05")
        )
    )
    try:
        yield Keyed(ledger, target, admin)
    finally:
        server.stop(None).wait()
        engines.dispose()


def _terms(**risk: str) -> dpb.DealTerms:
    terms = deal_terms("1000000.00", "2026-01-15", "2027-01-15", option_terms(start="2026-01-15"), "0")
    terms.risk_sharing.ClearField("cap")
    terms.risk_sharing.base_rate = risk.pop("base_rate", "")
    for field, value in risk.items():
        setattr(terms.risk_sharing, field, value)
    return terms


def _refused(keyed: Keyed, request: dpb.BookLinkedDealRequest) -> tuple[CODE, str, list[tuple[str, str, str]]]:
    stub, metadata = keyed.deals(Role.BRANCH, BANK, sub="clerk-hz")
    before = snapshot(keyed.ledger.engines.writer)
    with pytest.raises(grpc.RpcError) as caught:
        stub.BookLinkedDeal(request, metadata=metadata)
    assert_unchanged(before, snapshot(keyed.ledger.engines.writer))
    return caught.value.code(), reason_of(caught.value), violations_of(caught.value)


def test_a_branch_cannot_make_another_branch_hold_its_option(keyed: Keyed) -> None:
    terms = _terms()
    terms.option.holder = f"parties/{OTHER_BANK}"
    code, reason, violations = _refused(keyed, dpb.BookLinkedDealRequest(request_id="a1", deal_id="a1", terms=terms))
    assert (code, reason) == (CODE.FAILED_PRECONDITION, "OUTSIDE_AGREEMENT")
    assert ("PARTY_KIND", "terms.option.holder") in {(kind, subject) for kind, subject, _ in violations}


@pytest.mark.parametrize("victim", [OTHER_BANK, ARM])
def test_a_branch_cannot_name_another_party_as_its_risk_pool(keyed: Keyed, victim: str) -> None:
    terms = _terms(base_rate="0.50")
    terms.risk_sharing.risk_pool = f"parties/{victim}"
    code, reason, violations = _refused(keyed, dpb.BookLinkedDealRequest(request_id="a2", deal_id="a2", terms=terms))
    assert (code, reason) == (CODE.FAILED_PRECONDITION, "OUTSIDE_AGREEMENT")
    assert ("PARTY_KIND", "terms.risk_sharing.risk_pool") in {(kind, subject) for kind, subject, _ in violations}


def test_a_branch_cannot_choose_rates_and_caps_the_pool_never_agreed_to(keyed: Keyed) -> None:
    terms = _terms(base_rate="1", first_loan_rate="1", unsecured_rate="1", unsecured_threshold="0.01")
    terms.risk_sharing.cap.CopyFrom(cny("100000000.00"))
    code, reason, violations = _refused(keyed, dpb.BookLinkedDealRequest(request_id="a3", deal_id="a3", terms=terms))
    assert (code, reason) == (CODE.FAILED_PRECONDITION, "OUTSIDE_AGREEMENT")
    subjects = {subject for kind, subject, _ in violations if kind == "OUTSIDE_AGREEMENT"}
    assert {
        "terms.risk_sharing.base_rate",
        "terms.risk_sharing.first_loan_rate",
        "terms.risk_sharing.unsecured_rate",
        "terms.risk_sharing.cap",
    } <= subjects
    assert all("agreements/rsa-pool-zj-bank-hz/versions/1" in description for _, _, description in violations)


def test_within_the_agreement_a_large_loss_waits_for_the_pool(keyed: Keyed) -> None:
    """Hand-computed: a 1,000,000.00 loan defaulted on its start date loses 1,000,000.00 (no interest yet);
    50 % is 500,000.00, capped at 300,000.00 per loan; above the 100,000.00 auto-approval limit, so nothing
    of it is posted until the pool's staff approve; then the pool's cash (1,000,000.00) pays it all."""
    stub, clerk = keyed.deals(Role.BRANCH, BANK, sub="clerk-hz")
    booked = stub.BookLinkedDeal(
        dpb.BookLinkedDealRequest(request_id="ok", deal_id="hz-ok", terms=_terms()), metadata=clerk
    ).deal
    assert booked.terms.risk_sharing.base_rate == "0.5"
    assert yuan(booked.terms.risk_sharing.cap) == 300000
    assert booked.terms.agreements.risk_sharing == "agreements/rsa-pool-zj-bank-hz/versions/1"
    assert booked.booked_by.principal == "clerk-hz"
    stub.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name="deals/hz-ok"), metadata=clerk)
    default = stub.RecordDefault(
        dpb.RecordDefaultRequest(request_id="x", name="deals/hz-ok", value_date=date("2026-01-15"), reason="r"),
        metadata=clerk,
    )
    assert (yuan(default.loss), yuan(default.compensation_paid), yuan(default.compensation_pending)) == (
        1000000,
        0,
        300000,
    )
    claim = stub.GetClaim(dpb.GetClaimRequest(name="claims/hz-ok"), metadata=clerk).claim
    assert claim.status == dpb.CLAIM_STATUS_PENDING and claim.filed_by.principal == "clerk-hz"
    # The branch cannot decide its own claim; another pool cannot see it; write-off waits.
    with pytest.raises(grpc.RpcError) as denied:
        stub.ApproveClaim(dpb.ApproveClaimRequest(request_id="y", name="claims/hz-ok"), metadata=clerk)
    assert denied.value.code() == CODE.PERMISSION_DENIED
    _, other_pool = keyed.deals(Role.RISK_POOL, "pool-other")
    with pytest.raises(grpc.RpcError) as hidden:
        stub.GetClaim(dpb.GetClaimRequest(name="claims/hz-ok"), metadata=other_pool)
    assert hidden.value.code() in (CODE.NOT_FOUND, CODE.PERMISSION_DENIED)
    with pytest.raises(grpc.RpcError) as waits:
        stub.WriteOff(
            dpb.WriteOffRequest(request_id="w", name="deals/hz-ok", value_date=date("2026-01-16")), metadata=clerk
        )
    assert reason_of(waits.value) == "CLAIM_PENDING"
    _, pool_staff = keyed.deals(Role.RISK_POOL, POOL, sub="pool-li")
    approved = stub.ApproveClaim(
        dpb.ApproveClaimRequest(request_id="y", name="claims/hz-ok"), metadata=pool_staff
    ).claim
    assert approved.status == dpb.CLAIM_STATUS_APPROVED
    assert (yuan(approved.paid), yuan(approved.owed)) == (300000, 0)
    assert approved.decided_by.principal == "pool-li"
    cash = ledger_pb2_grpc.LedgerServiceStub(keyed.admin).GetBalance(
        pb.GetBalanceRequest(account=f"parties/{POOL}/accounts/cash")
    )
    assert cash.balance.balance.value == "700000.00"


def test_the_ledger_refuses_a_book_outside_the_callers_circle_even_if_booking_checks_are_bypassed(
    keyed: Keyed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second line of defence: plant the old `terms.branch`-only check (agreements not applied) and the
    ledger still refuses to post into a branch no agreement connects to the caller."""
    import deals.booking

    monkeypatch.setattr(deals.booking, "apply_agreements", lambda session, bookings, prefix: list(bookings))
    terms = _terms(base_rate="0.50")
    terms.option.holder = f"parties/{OTHER_BANK}"
    code, reason, _ = _refused(keyed, dpb.BookLinkedDealRequest(request_id="a4", deal_id="a4", terms=terms))
    assert (code, reason) == (CODE.PERMISSION_DENIED, "BOOK_NOT_REACHABLE")


def test_a_deal_booked_before_agreements_existed_still_runs_for_its_branch(keyed: Keyed) -> None:
    """Migration 0006 added agreements: a deal booked before names none, and no agreement connects its
    parties. Its branch still disburses and defaults it (the pool pays 50 % of 1,000,000.00 = 500,000.00,
    capped at 300,000.00 by the terms it was booked with), because the parties recorded at its booking stay
    reachable for steps on it; another branch still cannot touch it."""
    import sqlalchemy as sa

    from deals import schema as ds

    stub, clerk = keyed.deals(Role.BRANCH, BANK, sub="clerk-hz")
    stub.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="old", deal_id="hz-old", terms=_terms()), metadata=clerk)
    # Make it what a pre-0006 booking looks like: no agreements on the deal, none between the parties.
    with keyed.ledger.engines.writer.begin() as conn:
        row = conn.execute(sa.select(ds.deals.c.terms_json).where(ds.deals.c.id == "hz-old")).one()
        terms = json.loads(row.terms_json)
        terms.pop("agreements")
        terms["risk"]["auto_approval_limit"] = None
        conn.execute(
            ds.deals.update().where(ds.deals.c.id == "hz-old").values(terms_json=json.dumps(terms), risk_agreement=None)
        )
        conn.execute(sa.text("DELETE FROM agreement_versions"))
        conn.execute(sa.text("DELETE FROM agreements"))
    stub.DisburseLoan(dpb.DisburseLoanRequest(request_id="d-old", name="deals/hz-old"), metadata=clerk)
    default = stub.RecordDefault(
        dpb.RecordDefaultRequest(request_id="x-old", name="deals/hz-old", value_date=date("2026-01-15"), reason="r"),
        metadata=clerk,
    )
    assert (yuan(default.compensation_paid), yuan(default.compensation_pending)) == (300000, 0)
    _, other = keyed.deals(Role.BRANCH, OTHER_BANK, sub="clerk-sh")
    with pytest.raises(grpc.RpcError) as hidden:
        stub.WriteOff(
            dpb.WriteOffRequest(request_id="w-old", name="deals/hz-old", value_date=date("2026-01-16")), metadata=other
        )
    assert hidden.value.code() == CODE.NOT_FOUND
