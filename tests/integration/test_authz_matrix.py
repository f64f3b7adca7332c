"""Authorization over real gRPC: every RPC × every role × own / other party, against a server with keys.

The world is the settlement tests' (tests/integration/test_settlement_flow.py): branch bank-hz, the
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
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from ledger import db
from ledger.store import Ledger
from server import database
from server.app import create_server
from server.auth import POLICY, Access, Authenticator, Foreign, Role, load_key_set, mint_token
from tests.chains import verify_book
from tests.integration.settlement_world import (
    ARM,
    BANK,
    COMPANY,
    MAIN,
    POOL,
    World,
    cny,
    date,
    deal_terms,
    option_terms,
)
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import audit_pb2_grpc, deals_pb2_grpc, ledger_pb2_grpc, settlement_pb2_grpc, valuation_pb2_grpc
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import settlement_pb2 as spb
from toudai.v1 import valuation_pb2 as vpb

SECRET = b"matrix-test-secret-0123456789-abcdefghijklmnop"
OWN = {Role.BRANCH: BANK, Role.INVESTMENT_ARM: ARM, Role.RISK_POOL: POOL}
OTHER = {Role.BRANCH: "bank-sh", Role.INVESTMENT_ARM: "arm-b", Role.RISK_POOL: "pool-b"}
CODE = grpc.StatusCode
DENIALS = {CODE.PERMISSION_DENIED, CODE.UNAUTHENTICATED, CODE.NOT_FOUND}


# ---------------------------------------------------------------------- tokens and channels


def token(who: Role, party: str = "", *, sub: str | None = None, **overrides: Any) -> str:
    role = who
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": sub or f"{role.value}-{party or 'all'}",
        "role": role.value,
        "aud": "toudai",
        "exp": int((now + dt.timedelta(hours=1)).timestamp()),
    }
    if party:
        claims["branch" if role is Role.BRANCH else "party"] = party
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"})


def bearer(value: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {value}"),)


class _Details(
    collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """Adds a bearer token to every call on a channel (so the settlement tests' World can build on it)."""

    def __init__(self, value: str) -> None:
        self._metadata = bearer(value)

    def _details(self, d: Any) -> _Details:
        return _Details(
            d.method, d.timeout, [*(d.metadata or ()), *self._metadata], d.credentials, d.wait_for_ready, d.compression
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)


@dataclass
class Keyed:
    """A server with keys, its built world and the names the requests aim at."""

    channel: grpc.Channel
    world: World
    accounts: dict[str, tuple[str, str]]  # party → (account, second account)
    transactions: dict[str, str]  # party → a transaction posting only to that party's book
    holds: dict[str, str]  # party → a hold in that party's book
    exercise: str
    ed_private: Any = None  # the Ed25519 key the server knows as kid "ed"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyed]:
    base = tmp_path_factory.mktemp("authz")
    (base / "k1.secret").write_bytes(SECRET)
    private = ed25519.Ed25519PrivateKey.generate()
    (base / "ed.pem").write_bytes(
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    keys = load_key_set([str(base / "k1.secret"), f"ed={base / 'ed.pem'}"])
    url = f"sqlite:///{base}/toudai.db"
    engines = db.create_engines(url)
    database.upgrade(engines.writer)
    ledger = Ledger(engines)
    server, port = create_server(ledger, "127.0.0.1:0", authenticator=Authenticator(keys))
    server.start()
    target = f"127.0.0.1:{port}"
    admin = grpc.intercept_channel(grpc.insecure_channel(target), BearerInterceptor(token(Role.ADMIN, sub="root")))
    try:
        built = _build(grpc.insecure_channel(target), admin, ledger)
        built.ed_private = private
        yield built
    finally:
        server.stop(0).wait()
        engines.dispose()


def _build(channel: grpc.Channel, admin: grpc.Channel, ledger: Ledger) -> Keyed:
    stub = ledger_pb2_grpc.LedgerServiceStub(admin)
    world = World(admin, stub, ledger).build()
    for party, kind in (
        ("bank-sh", pb.PARTY_KIND_BANK_BRANCH),
        ("arm-b", pb.PARTY_KIND_INVESTMENT_ARM),
        ("pool-b", pb.PARTY_KIND_RISK_POOL),
    ):
        stub.CreateParty(pb.CreatePartyRequest(request_id=f"p-{party}", party_id=party, display_name=party, kind=kind))
    for code, kind in (("cash", pb.ACCOUNT_TYPE_ASSET), ("deposits", pb.ACCOUNT_TYPE_LIABILITY)):
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"hz-{code}", party=f"parties/{BANK}", code=code, type=kind, commodity="CNY"
            )
        )
    accounts = {
        BANK: (f"parties/{BANK}/accounts/cash", f"parties/{BANK}/accounts/deposits"),
        ARM: (f"parties/{ARM}/accounts/cash", f"parties/{ARM}/accounts/capital"),
        POOL: (f"parties/{POOL}/accounts/cash", f"parties/{POOL}/accounts/capital"),
    }
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="hz-deposit",
                    value_date=date("2026-02-01"),
                    postings=[
                        pb.Posting(
                            account=accounts[BANK][0],
                            side=pb.SIDE_DEBIT,
                            amount=pb.Amount(commodity="CNY", value="100.00"),
                        ),
                        pb.Posting(
                            account=accounts[BANK][1],
                            side=pb.SIDE_CREDIT,
                            amount=pb.Amount(commodity="CNY", value="100.00"),
                        ),
                    ],
                )
            ]
        )
    )
    transactions, holds = {}, {}
    for party, (first, second) in accounts.items():
        listed = stub.ListTransactions(pb.ListTransactionsRequest(party=f"parties/{party}", page_size=100))
        transactions[party] = next(
            t.name for t in listed.transactions if {p.account.split("/")[1] for p in t.postings} == {party}
        )
        hold = stub.CreateHold(
            pb.CreateHoldRequest(
                request_id=f"hold-{party}",
                debit_account=second,
                credit_account=first,
                amount=pb.Amount(commodity="CNY", value="1.00"),
            )
        )
        holds[party] = hold.hold.name
    exercise = world.settlement.RequestExercise(world.request_message(1_000, request_id="matrix-exercise")).exercise
    return Keyed(channel, world, accounts, transactions, holds, exercise.name)


# ---------------------------------------------------------------------- one minimal request per RPC


@dataclass(frozen=True)
class Target:
    """What a cell aims at: the hz-side party whose resources a role's own token may touch."""

    party: str
    keyed: Keyed


def _ledger(t: Target) -> Any:
    return ledger_pb2_grpc.LedgerServiceStub(t.keyed.channel)


def _deals(t: Target) -> Any:
    return deals_pb2_grpc.DealServiceStub(t.keyed.channel)


def _settlement(t: Target) -> Any:
    return settlement_pb2_grpc.SettlementServiceStub(t.keyed.channel)


def _valuation(t: Target) -> Any:
    return valuation_pb2_grpc.ValuationServiceStub(t.keyed.channel)


def _audit(t: Target) -> Any:
    return audit_pb2_grpc.AuditServiceStub(t.keyed.channel)


def _posting(account: str, side: Any) -> pb.Posting:
    return pb.Posting(account=account, side=side, amount=pb.Amount(commodity="CNY", value="1.00"))


MAIN_NAME = f"deals/{MAIN}"
# RPC → (stub of the target, the request); write requests carry no request_id, so an allowed one fails
# validation after the authorization checks and changes nothing.
REQUESTS: dict[str, Callable[[Target], tuple[Any, Any]]] = {
    "CreateParty": lambda t: (_ledger(t), pb.CreatePartyRequest(party_id="x-new", kind=pb.PARTY_KIND_OTHER)),
    "GetParty": lambda t: (_ledger(t), pb.GetPartyRequest(name=f"parties/{t.party}")),
    "ListParties": lambda t: (_ledger(t), pb.ListPartiesRequest()),
    "CreateCommodity": lambda t: (_ledger(t), pb.CreateCommodityRequest(code="XNEW")),
    "ListCommodities": lambda t: (_ledger(t), pb.ListCommoditiesRequest()),
    "CreateAccount": lambda t: (_ledger(t), pb.CreateAccountRequest(party=f"parties/{t.party}", code="new")),
    "GetAccount": lambda t: (_ledger(t), pb.GetAccountRequest(name=t.keyed.accounts[t.party][0])),
    "ListAccounts": lambda t: (_ledger(t), pb.ListAccountsRequest(party=f"parties/{t.party}")),
    "PostTransactions": lambda t: (
        _ledger(t),
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    postings=[
                        _posting(t.keyed.accounts[t.party][0], pb.SIDE_DEBIT),
                        _posting(t.keyed.accounts[t.party][1], pb.SIDE_CREDIT),
                    ]
                )
            ]
        ),
    ),
    "ReverseTransaction": lambda t: (_ledger(t), pb.ReverseTransactionRequest(name=t.keyed.transactions[t.party])),
    "GetTransaction": lambda t: (_ledger(t), pb.GetTransactionRequest(name=t.keyed.transactions[t.party])),
    "ListTransactions": lambda t: (_ledger(t), pb.ListTransactionsRequest(party=f"parties/{t.party}")),
    "GetBalance": lambda t: (_ledger(t), pb.GetBalanceRequest(account=t.keyed.accounts[t.party][0])),
    "BatchGetBalances": lambda t: (_ledger(t), pb.BatchGetBalancesRequest(accounts=[t.keyed.accounts[t.party][0]])),
    "CreateHold": lambda t: (
        _ledger(t),
        pb.CreateHoldRequest(
            debit_account=t.keyed.accounts[t.party][1],
            credit_account=t.keyed.accounts[t.party][0],
            amount=pb.Amount(commodity="CNY", value="1.00"),
        ),
    ),
    "CaptureHold": lambda t: (_ledger(t), pb.CaptureHoldRequest(name=t.keyed.holds[t.party])),
    "VoidHold": lambda t: (_ledger(t), pb.VoidHoldRequest(name=t.keyed.holds[t.party])),
    "GetHold": lambda t: (_ledger(t), pb.GetHoldRequest(name=t.keyed.holds[t.party])),
    "BookLinkedDeal": lambda t: (
        _deals(t),
        dpb.BookLinkedDealRequest(
            deal_id="new-deal", terms=deal_terms("1000.00", "2026-03-01", "2027-03-01", option_terms(), "100.00")
        ),
    ),
    "GetDeal": lambda t: (_deals(t), dpb.GetDealRequest(name=MAIN_NAME)),
    "ListDeals": lambda t: (_deals(t), dpb.ListDealsRequest()),
    "GetSchedule": lambda t: (_deals(t), dpb.GetScheduleRequest(name=MAIN_NAME)),
    "DisburseLoan": lambda t: (_deals(t), dpb.DisburseLoanRequest(name=MAIN_NAME)),
    "AccrueInterest": lambda t: (_deals(t), dpb.AccrueInterestRequest(name=MAIN_NAME)),
    "RecordRepayment": lambda t: (_deals(t), dpb.RecordRepaymentRequest(name=MAIN_NAME)),
    "RecordDefault": lambda t: (_deals(t), dpb.RecordDefaultRequest(name=MAIN_NAME)),
    "FundRiskPool": lambda t: (
        _deals(t),
        dpb.FundRiskPoolRequest(risk_pool=f"parties/{POOL}", amount=cny("1.00"), value_date=date("2026-03-01")),
    ),
    "WriteOff": lambda t: (_deals(t), dpb.WriteOffRequest(name=MAIN_NAME)),
    "CloseDeal": lambda t: (_deals(t), dpb.CloseDealRequest(name=MAIN_NAME)),
    "RequestExercise": lambda t: (_settlement(t), spb.RequestExerciseRequest(deal=MAIN_NAME)),
    "ApproveExercise": lambda t: (_settlement(t), spb.ApproveExerciseRequest(name=t.keyed.exercise)),
    "RejectExercise": lambda t: (_settlement(t), spb.RejectExerciseRequest(name=t.keyed.exercise)),
    "CancelExercise": lambda t: (_settlement(t), spb.CancelExerciseRequest(name=t.keyed.exercise)),
    "SettleExercise": lambda t: (_settlement(t), spb.SettleExerciseRequest(name=t.keyed.exercise)),
    "RecordExit": lambda t: (_settlement(t), spb.RecordExitRequest(name=t.keyed.exercise)),
    "GetExercise": lambda t: (_settlement(t), spb.GetExerciseRequest(name=t.keyed.exercise)),
    "ListExercises": lambda t: (_settlement(t), spb.ListExercisesRequest(deal=MAIN_NAME)),
    "PreviewExercise": lambda t: (_settlement(t), spb.PreviewExerciseRequest(name=t.keyed.exercise)),
    "ExpireOptions": lambda t: (_settlement(t), spb.ExpireOptionsRequest()),
    "RecordFundingRound": lambda t: (_valuation(t), vpb.RecordFundingRoundRequest(company=COMPANY)),
    "GetCapTable": lambda t: (_valuation(t), vpb.GetCapTableRequest(company=COMPANY)),
    "ListFundingRounds": lambda t: (_valuation(t), vpb.ListFundingRoundsRequest(company=COMPANY)),
    "PriceOption": lambda t: (_valuation(t), vpb.PriceOptionRequest()),
    "ValueDealOption": lambda t: (_valuation(t), vpb.ValueDealOptionRequest(name=MAIN_NAME)),
    "RevalueOptions": lambda t: (_valuation(t), vpb.RevalueOptionsRequest()),
    "ExportJournal": lambda t: (_audit(t), apb.ExportJournalRequest(format=apb.EXPORT_FORMAT_JSONL)),
    "SubscribeJournal": lambda t: (_audit(t), apb.SubscribeJournalRequest(stop_when_caught_up=True)),
    "TrialBalance": lambda t: (_audit(t), apb.TrialBalanceRequest()),
    "VerifyChain": lambda t: (_audit(t), apb.VerifyChainRequest(party=f"parties/{BANK}")),
    "GetChainHead": lambda t: (_audit(t), apb.GetChainHeadRequest()),
    "GetBalanceHistory": lambda t: (
        _audit(t),
        apb.GetBalanceHistoryRequest(accounts=[f"parties/{BANK}/accounts/cash"]),
    ),
}

# Lists narrowed to the caller's own items: what the response lists, and the item a caller's own list holds.
LISTED: dict[str, tuple[Callable[[Any], list[str]], Callable[[Target], str]]] = {
    "ListAccounts": (lambda r: [a.name for a in r.accounts], lambda t: t.keyed.accounts[t.party][0]),
    "ListTransactions": (lambda r: [x.name for x in r.transactions], lambda t: t.keyed.transactions[t.party]),
    "ListDeals": (lambda r: [d.name for d in r.deals], lambda t: MAIN_NAME),
    "ListExercises": (lambda r: [e.name for e in r.exercises], lambda t: t.keyed.exercise),
}


def call(keyed: Keyed, method: str, party: str, credential: str | None) -> tuple[CODE, Any]:
    stub, request = REQUESTS[method](Target(party, keyed))
    metadata = bearer(credential) if credential else ()
    try:
        response = getattr(stub, method)(request, metadata=metadata, timeout=30)
        if not hasattr(response, "ListFields"):  # a stream
            response = list(response)
        return CODE.OK, response
    except grpc.RpcError as error:
        return error.code(), error


def reason_of(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return ""


# ---------------------------------------------------------------------- the matrix


def _cells() -> Iterator[Any]:
    for path in POLICY:
        method = path.rsplit("/", 1)[1]
        for role in Role:
            sides = ("own", "other") if role in OWN else ("any",)
            for side in sides:
                yield pytest.param(method, role, side, id=f"{method}-{role.value}-{side}")


def test_every_rpc_has_a_policy_and_a_request() -> None:
    from toudai.v1 import audit_pb2, deals_pb2, ledger_pb2, settlement_pb2, valuation_pb2

    methods = {
        f"/{service.full_name}/{m.name}"
        for module in (ledger_pb2, deals_pb2, settlement_pb2, valuation_pb2, audit_pb2)
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
