"""Authorization over real gRPC: every RPC × every role × own / other party, against a server with keys.

The world is the settlement tests' (tests/integration/settlement_world.py): branch bank-hz, the
investment arm invest-arm holding the option of deal hz-main, the risk pool pool-zj backing it; plus a
bank-hz deposit, a hold in each of the three books and an exercise request on hz-main. Each role calls
every RPC once with a token for "its own" party (bank-hz / invest-arm / pool-zj) and once with a token for
another party of the same kind (bank-sh / arm-b / pool-b), always aiming at the hz side's resources.

Expectations come from server.auth.POLICY: a role not in an RPC's row is PERMISSION_DENIED; "any" and
"own" with the own token are allowed (the call may still fail validation, since write requests here
carry no request_id, but never with PERMISSION_DENIED, UNAUTHENTICATED or NOT_FOUND); "own" with the
other token is NOT_FOUND (existence does not leak), PERMISSION_DENIED for a write naming another party,
or an empty list. A few policy statements of the issue are also checked directly, without the table, and
bad tokens (missing, expired, wrong audience, wrong signature, `alg: none`, garbled, unknown kid) are
UNAUTHENTICATED here and on a development server.

The server, the world and the requests are in tests/integration/authz_world.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import grpc
import jwt
import pytest

from ledger import db
from ledger.store import Ledger
from server.app import create_server
from server.auth import POLICY, Access, Foreign, Role, mint_token
from tests.chains import verify_book
from tests.integration.authz_world import (
    CODE,
    DENIALS,
    LISTED,
    MAIN_NAME,
    OTHER,
    OWN,
    REQUESTS,
    SECRET,
    Keyed,
    Target,
    _posting,
    bearer,
    call,
    reason_of,
    token,
)
from tests.integration.settlement_world import ARM, BANK, POOL, date
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import audit_pb2_grpc, deals_pb2_grpc, ledger_pb2_grpc, settlement_pb2_grpc
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import settlement_pb2 as spb

# ---------------------------------------------------------------------- the matrix


def _cells() -> Iterator[Any]:
    for path in POLICY:
        method = path.rsplit("/", 1)[1]
        for role in Role:
            sides = ("own", "other") if role in OWN else ("any",)
            for side in sides:
                yield pytest.param(method, role, side, id=f"{method}-{role.value}-{side}")


def test_every_rpc_has_a_policy_and_a_request() -> None:
    from toudai.v1 import (
        agreements_pb2,
        assessment_pb2,
        audit_pb2,
        credit_pb2,
        deals_pb2,
        insurance_pb2,
        ledger_pb2,
        settlement_pb2,
        sharing_pb2,
        valuation_pb2,
    )

    methods = {
        f"/{service.full_name}/{m.name}"
        for module in (
            ledger_pb2,
            deals_pb2,
            agreements_pb2,
            assessment_pb2,
            credit_pb2,
            insurance_pb2,
            settlement_pb2,
            sharing_pb2,
            valuation_pb2,
            audit_pb2,
        )
        for service in module.DESCRIPTOR.services_by_name.values()
        for m in service.methods
    }
    assert methods == set(POLICY)
    assert {m.rsplit("/", 1)[1] for m in methods} == set(REQUESTS)


@pytest.mark.parametrize(("method", "role", "side"), list(_cells()))
def test_matrix(keyed: Keyed, method: str, role: Role, side: str) -> None:
    rule = POLICY[next(p for p in POLICY if p.endswith(f"/{method}"))]
    own_party = OWN.get(role, BANK)
    party = OTHER[role] if side == "other" else own_party
    code, response = call(keyed, method, own_party, token(role, party if role in OWN else ""))
    access = rule.roles.get(role)
    if access is None:
        assert code == CODE.PERMISSION_DENIED, (code, response)
        assert reason_of(response) == "PERMISSION_DENIED"
        return
    if access is Access.ANY or side == "own":
        assert code not in DENIALS, (code, getattr(response, "details", lambda: "")())
        if method in LISTED:
            items, mine = LISTED[method]
            assert code == CODE.OK and mine(Target(own_party, keyed)) in items(response)
        return
    if rule.foreign is Foreign.FILTERED:
        assert code == CODE.OK, (code, response)
        assert LISTED[method][0](response) == []
    else:
        assert code == CODE[rule.foreign.value], (code, response)
        if rule.foreign is Foreign.PERMISSION_DENIED:
            assert reason_of(response) == "PARTY_MISMATCH"


# ---------------------------------------------------------------------- the statements, directly


def test_policy_statements_hold_in_the_table() -> None:
    for path, rule in POLICY.items():
        if rule.write:  # auditors read everything and write nothing
            assert Role.AUDITOR not in rule.roles, path
        else:
            assert rule.roles.get(Role.AUDITOR) is Access.ANY, path
        assert rule.roles.get(Role.ADMIN) is Access.ANY, path  # administrators run the whole service
    for name in ("CreateParty", "CreateAccount"):
        assert dict(POLICY[f"/toudai.v1.LedgerService/{name}"].roles) == {Role.ADMIN: Access.ANY}
    for name in ("BookLinkedDeal", "DisburseLoan", "RecordRepayment", "CloseDeal"):
        assert POLICY[f"/toudai.v1.DealService/{name}"].roles.get(Role.BRANCH) is Access.OWN
    assert POLICY["/toudai.v1.SettlementService/RequestExercise"].roles.get(Role.INVESTMENT_ARM) is Access.OWN
    assert POLICY["/toudai.v1.SettlementService/ApproveExercise"].roles.get(Role.BRANCH) is Access.OWN


def test_another_branchs_deal_does_not_exist_for_branch_staff(keyed: Keyed) -> None:
    deals = deals_pb2_grpc.DealServiceStub(keyed.channel)
    mine = deals.GetDeal(dpb.GetDealRequest(name=MAIN_NAME), metadata=bearer(token(Role.BRANCH, BANK)))
    assert mine.deal.name == MAIN_NAME
    with pytest.raises(grpc.RpcError) as hidden:
        deals.GetDeal(dpb.GetDealRequest(name=MAIN_NAME), metadata=bearer(token(Role.BRANCH, "bank-sh")))
    with pytest.raises(grpc.RpcError) as missing:
        deals.GetDeal(dpb.GetDealRequest(name="deals/no-such-deal"), metadata=bearer(token(Role.BRANCH, "bank-sh")))
    assert hidden.value.code() == missing.value.code() == CODE.NOT_FOUND
    listed = deals.ListDeals(
        dpb.ListDealsRequest(branch=f"parties/{BANK}"), metadata=bearer(token(Role.BRANCH, "bank-sh"))
    )
    assert list(listed.deals) == []
    with pytest.raises(grpc.RpcError) as write:
        deals.DisburseLoan(
            dpb.DisburseLoanRequest(request_id="x", name=MAIN_NAME), metadata=bearer(token(Role.BRANCH, "bank-sh"))
        )
    assert write.value.code() == CODE.NOT_FOUND


def test_auditors_write_nothing(keyed: Keyed) -> None:
    deals = deals_pb2_grpc.DealServiceStub(keyed.channel)
    with pytest.raises(grpc.RpcError) as refused:
        deals.DisburseLoan(
            dpb.DisburseLoanRequest(request_id="a-1", name=MAIN_NAME), metadata=bearer(token(Role.AUDITOR))
        )
    assert refused.value.code() == CODE.PERMISSION_DENIED and reason_of(refused.value) == "PERMISSION_DENIED"
    assert "auditor" in (refused.value.details() or "")


def test_the_principal_and_role_are_recorded_and_chained(keyed: Keyed) -> None:
    stub = ledger_pb2_grpc.LedgerServiceStub(keyed.channel)
    first, second = keyed.accounts[BANK]
    posted = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="by-zhang",
                    value_date=date("2026-02-01"),
                    postings=[_posting(first, pb.SIDE_DEBIT), _posting(second, pb.SIDE_CREDIT)],
                )
            ]
        ),
        metadata=bearer(token(Role.BRANCH, BANK, sub="zhang.wei")),
    ).transactions[0]
    assert posted.metadata["toudai.principal"] == "zhang.wei" and posted.metadata["toudai.role"] == "branch"
    # A retry by someone else replays the original, with the original principal.
    again = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="by-zhang",
                    value_date=date("2026-02-01"),
                    postings=[_posting(first, pb.SIDE_DEBIT), _posting(second, pb.SIDE_CREDIT)],
                )
            ]
        ),
        metadata=bearer(token(Role.ADMIN, sub="root")),
    ).transactions[0]
    assert again.name == posted.name and again.metadata["toudai.principal"] == "zhang.wei"
    assert verify_book(keyed.world.ledger, BANK).ok
    # Clients may not forge the reserved keys.
    with pytest.raises(grpc.RpcError) as forged:
        stub.PostTransactions(
            pb.PostTransactionsRequest(
                transactions=[
                    pb.TransactionInput(
                        request_id="forged",
                        value_date=date("2026-02-01"),
                        metadata={"toudai.principal": "someone-else"},
                        postings=[_posting(first, pb.SIDE_DEBIT), _posting(second, pb.SIDE_CREDIT)],
                    )
                ]
            ),
            metadata=bearer(token(Role.BRANCH, BANK, sub="zhang.wei")),
        )
    assert forged.value.code() == CODE.INVALID_ARGUMENT


def test_the_arm_requests_and_the_branch_approves_as_token_subjects(keyed: Keyed) -> None:
    settlement = settlement_pb2_grpc.SettlementServiceStub(keyed.channel)
    arm = bearer(token(Role.INVESTMENT_ARM, ARM, sub="arm-alice"))
    message = keyed.world.request_message(500, request_id="alice-request")
    requested = settlement.RequestExercise(message, metadata=arm).exercise
    assert requested.requested_by == "arm-alice"
    # Another arm's officer cannot even see it; staff of the deal's branch approve it.
    with pytest.raises(grpc.RpcError) as other_arm:
        settlement.GetExercise(
            spb.GetExerciseRequest(name=requested.name), metadata=bearer(token(Role.INVESTMENT_ARM, "arm-b"))
        )
    assert other_arm.value.code() == CODE.NOT_FOUND
    approved = settlement.ApproveExercise(
        spb.ApproveExerciseRequest(request_id="bob-approve", name=requested.name, reason="ok"),
        metadata=bearer(token(Role.BRANCH, BANK, sub="bank-bob")),
    ).exercise
    assert approved.decided_by == "bank-bob"
    assert [s.principal for s in approved.steps] == ["arm-alice", "bank-bob"]
    # x-toudai-principal is ignored when keys are configured: the token's subject is who acts.
    second = keyed.world.request_message(100, request_id="alice-second")
    claimed = settlement.RequestExercise(second, metadata=(*arm, ("x-toudai-principal", "bank-bob"))).exercise
    assert claimed.requested_by == "arm-alice"
    cancelled = settlement.CancelExercise(
        spb.CancelExerciseRequest(request_id="alice-cancel", name=claimed.name), metadata=arm
    ).exercise
    assert cancelled.steps[-1].principal == "arm-alice"


# ---------------------------------------------------------------------- bad tokens


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(claims)}."


def _bad_tokens() -> dict[str, str | None]:
    valid = jwt.decode(token(Role.ADMIN), SECRET, algorithms=["HS256"], audience="toudai")
    forged_secret = b"not-the-server-secret-0123456789-abcdefghijkl"
    return {
        "missing": None,
        "expired": token(Role.ADMIN, exp=int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp())),
        "wrong-audience": token(Role.ADMIN, aud="another-service"),
        "no-expiry": token(Role.ADMIN, exp=None),
        "wrong-signature": jwt.encode(valid, forged_secret, algorithm="HS256", headers={"kid": "k1"}),
        "alg-none": _unsigned(valid),
        "garbled": "not-a-jwt",
        "unknown-kid": jwt.encode(valid, SECRET, algorithm="HS256", headers={"kid": "k9"}),
        "unknown-role": token(Role.ADMIN, role="superuser"),
        "branch-without-branch": token(Role.BRANCH),
    }


@pytest.mark.parametrize("kind", list(_bad_tokens()))
def test_bad_tokens_are_unauthenticated(keyed: Keyed, kind: str) -> None:
    credential = _bad_tokens()[kind]
    stub = ledger_pb2_grpc.LedgerServiceStub(keyed.channel)
    with pytest.raises(grpc.RpcError) as refused:
        stub.ListParties(pb.ListPartiesRequest(), metadata=bearer(credential) if credential else ())
    assert refused.value.code() == CODE.UNAUTHENTICATED, refused.value.details()
    assert reason_of(refused.value).startswith("TOKEN_")
    audit = audit_pb2_grpc.AuditServiceStub(keyed.channel)  # a stream refuses the same way
    with pytest.raises(grpc.RpcError) as streamed:
        list(
            audit.ExportJournal(
                apb.ExportJournalRequest(format=apb.EXPORT_FORMAT_CSV),
                metadata=bearer(credential) if credential else (),
            )
        )
    assert streamed.value.code() == CODE.UNAUTHENTICATED


def test_a_second_key_of_the_set_verifies_eddsa_tokens(keyed: Keyed) -> None:
    signed = mint_token(
        role=Role.AUDITOR, subject="eve", signing_key=keyed.ed_private, kid="ed", ttl=dt.timedelta(minutes=5)
    )
    assert jwt.get_unverified_header(signed)["alg"] == "EdDSA"
    stub = ledger_pb2_grpc.LedgerServiceStub(keyed.channel)
    assert stub.ListParties(pb.ListPartiesRequest(), metadata=bearer(signed)).parties


def test_health_answers_without_a_token(keyed: Keyed) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    health = health_pb2_grpc.HealthStub(keyed.channel)
    assert health.Check(health_pb2.HealthCheckRequest()).status == health_pb2.HealthCheckResponse.SERVING


def test_development_mode_still_verifies_presented_tokens(sqlite_url: str) -> None:
    """A server without keys (as in conftest): tokenless calls act as dev-admin, a presented token is refused."""
    engines = db.create_engines(sqlite_url)
    server, port = create_server(Ledger(engines), "127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            _check_development(ledger_pb2_grpc.LedgerServiceStub(channel))
    finally:
        server.stop(0).wait()
        engines.dispose()


def _check_development(stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    assert stub.ListParties(pb.ListPartiesRequest()) is not None
    valid = jwt.decode(token(Role.ADMIN), SECRET, algorithms=["HS256"], audience="toudai")
    for credential in (_unsigned(valid), token(Role.ADMIN)):
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListParties(pb.ListPartiesRequest(), metadata=bearer(credential))
        assert refused.value.code() == CODE.UNAUTHENTICATED


def test_docs_security_md_shows_the_policy_table() -> None:
    from pathlib import Path

    from server.auth import render_policy_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    begin = doc.index("-->\n", doc.index("<!-- policy-table:begin")) + len("-->\n")
    end = doc.index("<!-- policy-table:end -->")
    assert doc[begin:end] == render_policy_markdown(), "docs/security.md is stale: paste `python -m server.auth`"


def test_a_pool_gets_inclusion_proofs_for_the_bank_legs_that_concern_it_only(keyed: Keyed) -> None:
    """The pool paid hz-first's compensation: the bank's leg of that transaction is provable to the pool
    (leaf hash and path, nothing else), while a bank leg that the pool has no part in is NOT_FOUND."""
    from audit import proofs

    admin = bearer(token(Role.ADMIN))
    ledger = ledger_pb2_grpc.LedgerServiceStub(keyed.channel)
    shared = unrelated = None
    page = ledger.ListTransactions(pb.ListTransactionsRequest(party=f"parties/{BANK}", page_size=1000), metadata=admin)
    for tx in page.transactions:
        books = {leg.party.removeprefix("parties/"): leg.sequence for leg in tx.legs}
        # hz-first's default: the pool's compensation posted to the pool's and the bank's books at once
        if POOL in books and tx.metadata.get("toudai.deal") == "hz-first" and shared is None:
            shared = books[BANK]
        if books.keys() == {BANK} and unrelated is None:
            unrelated = books[BANK]
    assert shared and unrelated, "the world has a compensation posted to the bank and the pool"
    audit = audit_pb2_grpc.AuditServiceStub(keyed.channel)
    pool = bearer(token(Role.RISK_POOL, POOL))
    proof = audit.GetInclusionProof(apb.GetInclusionProofRequest(book=BANK, sequence=shared), metadata=pool)
    assert [f.name for f, _ in proof.ListFields()] == [
        "book",
        "sequence",
        "tree_size",
        "leaf_hash",
        "leg_hash",
        "path",
        "root",
    ]
    assert proofs.verify_inclusion(proof.leaf_hash, shared - 1, proof.tree_size, list(proof.path), proof.root)
    with pytest.raises(grpc.RpcError) as refused:
        audit.GetInclusionProof(apb.GetInclusionProofRequest(book=BANK, sequence=unrelated), metadata=pool)
    assert refused.value.code() is CODE.NOT_FOUND
    with pytest.raises(grpc.RpcError) as refused:
        audit.GetInclusionProof(apb.GetInclusionProofRequest(book=BANK, sequence=10**6), metadata=pool)
    assert refused.value.code() is CODE.NOT_FOUND
    # the pool still reads nothing else of the bank's book
    with pytest.raises(grpc.RpcError) as refused:
        ledger.GetTransaction(pb.GetTransactionRequest(name=page.transactions[0].name), metadata=pool)
    assert refused.value.code() is CODE.NOT_FOUND
