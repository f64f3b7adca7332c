"""The server, the world and the requests of the authorization matrix (test_authz_matrix.py).

`keyed` (a fixture, shared through tests/integration/conftest.py) starts a server with keys (an HS256
secret as kid "k1", an Ed25519 public key as kid "ed") over the settlement tests' world
(tests/integration/settlement_world.py), plus the other parties of each kind, a bank-hz deposit, a hold
in each of the three books and an exercise request on hz-main. `token` and `bearer` make the credentials,
REQUESTS holds one minimal request per RPC and `call` sends it as a given party with a given credential.
"""

from __future__ import annotations

import collections
import datetime as dt
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
from server.auth import Authenticator, Role, load_key_set
from tests.integration.assessment_world import GROWTH
from tests.integration.assessment_world import record as record_assessment
from tests.integration.settlement_world import (
    ARM,
    BANK,
    COMPANY,
    FIRST,
    MAIN,
    POOL,
    USCC,
    World,
    cny,
    date,
    deal_terms,
    option_terms,
)
from toudai.v1 import agreements_pb2 as agpb
from toudai.v1 import (
    agreements_pb2_grpc,
    assessment_pb2_grpc,
    audit_pb2_grpc,
    credit_pb2_grpc,
    deals_pb2_grpc,
    insurance_pb2_grpc,
    ledger_pb2_grpc,
    settlement_pb2_grpc,
    sharing_pb2_grpc,
    valuation_pb2_grpc,
)
from toudai.v1 import assessment_pb2 as aspb
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import credit_pb2 as cpb
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import insurance_pb2 as ipb
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import settlement_pb2 as spb
from toudai.v1 import sharing_pb2 as shpb
from toudai.v1 import valuation_pb2 as vpb

INSURER = "insurer-jk"
INSURED = "hz-insured"
INSURANCE_NAME = f"insuranceClaims/{INSURED}"  # filed by the insured deal's default, pending
SECRET = b"matrix-test-secret-0123456789-abcdefghijklmnop"
OWN = {Role.BRANCH: BANK, Role.INVESTMENT_ARM: ARM, Role.RISK_POOL: POOL, Role.INSURER: INSURER}
OTHER = {Role.BRANCH: "bank-sh", Role.INVESTMENT_ARM: "arm-b", Role.RISK_POOL: "pool-b", Role.INSURER: "insurer-b"}
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
    impairment_run: str = ""  # the hz branch's impairment run
    assessment: str = ""  # the hz branch's assessment of the borrower
    consent: str = ""  # the borrower's consent recorded at the hz branch (credit-data sharing)
    ed_private: Any = None  # the Ed25519 key the server knows as kid "ed"
    valuation_record: str = ""  # hz-main's valuation record, from one revaluation as of the round's date


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
        built.consent = _record_consent(admin)
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
        (INSURER, pb.PARTY_KIND_INSURER),
        ("insurer-b", pb.PARTY_KIND_INSURER),
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
    _insured_default(admin)
    # One leg in the insurer's own book, for the inclusion-proof cells (a party's own leg).
    for code, kind in (("cash", pb.ACCOUNT_TYPE_ASSET), ("capital", pb.ACCOUNT_TYPE_EQUITY)):
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"ins-{code}", party=f"parties/{INSURER}", code=code, type=kind, commodity="CNY"
            )
        )
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="insurer-capital",
                    value_date=date("2026-02-01"),
                    postings=[
                        _posting(f"parties/{INSURER}/accounts/cash", pb.SIDE_DEBIT),
                        _posting(f"parties/{INSURER}/accounts/capital", pb.SIDE_CREDIT),
                    ],
                )
            ]
        )
    )
    # The insurer has no accounts, transactions or holds of its own that the ledger RPCs could aim at (its
    # role may call none of them): its cells aim at the branch's.
    accounts[INSURER], transactions[INSURER], holds[INSURER] = accounts[BANK], transactions[BANK], holds[BANK]
    exercise = world.settlement.RequestExercise(world.request_message(1_000, request_id="matrix-exercise")).exercise
    run = credit_pb2_grpc.CreditServiceStub(admin).RunImpairment(
        cpb.RunImpairmentRequest(request_id="matrix-impairment", branch=f"parties/{BANK}")
    )
    assessed = record_assessment(admin, "matrix-assessment", f"parties/{BANK}", USCC, "2026-01-31", GROWTH)
    revalued = valuation_pb2_grpc.ValuationServiceStub(admin).RevalueOptions(
        vpb.RevalueOptionsRequest(request_id="matrix-revaluation", as_of=date("2026-06-01"))
    )
    record = f"{revalued.name}/valuationRecords/{MAIN}"
    return Keyed(
        channel,
        world,
        accounts,
        transactions,
        holds,
        exercise.name,
        run.run.name,
        assessment=assessed.name,
        valuation_record=record,
    )


def _insured_default(admin: grpc.Channel) -> None:
    """The pool's agreement amended to name the insurer, and a small insured deal under it that defaulted:
    its insurance claim (INSURANCE_NAME) waits for the insurer."""
    agreements = agreements_pb2_grpc.AgreementServiceStub(admin)
    name = f"agreements/rsa-{POOL}-{BANK}"
    current = agreements.GetAgreement(agpb.GetAgreementRequest(name=name)).agreement
    amended = agpb.Agreement()
    amended.CopyFrom(current)
    amended.risk_sharing.insurer = f"parties/{INSURER}"
    amended.risk_sharing.insurer_rate = "0.30"
    agreements.AmendAgreement(agpb.AmendAgreementRequest(request_id="insure", name=name, agreement=amended))
    # Another borrower than the world's deals: the pool's reimbursement from their option gains (by borrower)
    # must not see this loss.
    terms = deal_terms(
        "100000.00", "2026-03-02", "2027-03-02", option_terms(start="2026-03-02"), "100000.00", "91330400MA2B3C4D56"
    )
    terms.risk_sharing.insurer = f"parties/{INSURER}"
    terms.risk_sharing.insurer_rate = "0.20"
    deals = deals_pb2_grpc.DealServiceStub(admin)
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-insured", deal_id=INSURED, terms=terms))
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-insured", name=f"deals/{INSURED}"))
    deals.RecordDefault(
        dpb.RecordDefaultRequest(
            request_id="default-insured", name=f"deals/{INSURED}", value_date=date("2026-03-02"), reason="r"
        )
    )


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
CLAIM_NAME = f"claims/{FIRST}"  # the first deal's default filed it (auto-approved)
# The agreement a party's own token may read or amend (tests/agreements_world.py names them).
AGREEMENT_OF = {
    BANK: f"agreements/rsa-{POOL}-{BANK}",
    POOL: f"agreements/rsa-{POOL}-{BANK}",
    ARM: f"agreements/link-{ARM}-{BANK}",
    INSURER: f"agreements/rsa-{POOL}-{BANK}",  # the agreement that names it (insurers may not read agreements)
}


def _assess(t: Target) -> Any:
    return assessment_pb2_grpc.AssessmentServiceStub(t.keyed.channel)


def _credit(t: Target) -> Any:
    return credit_pb2_grpc.CreditServiceStub(t.keyed.channel)


def _sharing(t: Target) -> Any:
    return sharing_pb2_grpc.CreditDataServiceStub(t.keyed.channel)


def _record_consent(admin: grpc.Channel) -> str:
    """The borrower's consent at the hz branch, for the CreditDataService cells."""
    return str(
        sharing_pb2_grpc.CreditDataServiceStub(admin)
        .RecordConsent(
            shpb.RecordConsentRequest(
                request_id="matrix-consent",
                branch=f"parties/{BANK}",
                borrower_uscc=USCC,
                platform="zj-credit-platform",
                scopes=[shpb.CONSENT_SCOPE_LOANS],
                signed_date=date("2026-01-10"),
                expiry_date=date("2027-12-31"),
                evidence_reference="form-1",
                evidence_sha256="0" * 64,
            )
        )
        .consent.name
    )


OVERRIDE_NAME = f"{MAIN_NAME}/overrides/1"


def _insurance(t: Target) -> Any:
    return insurance_pb2_grpc.InsuranceServiceStub(t.keyed.channel)


def _agreements(t: Target) -> Any:
    return agreements_pb2_grpc.AgreementServiceStub(t.keyed.channel)


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
    "AccrueBranchInterest": lambda t: (_deals(t), dpb.AccrueBranchInterestRequest(parent=f"parties/{t.party}")),
    "RecordRepayment": lambda t: (_deals(t), dpb.RecordRepaymentRequest(name=MAIN_NAME)),
    "RecordDefault": lambda t: (_deals(t), dpb.RecordDefaultRequest(name=MAIN_NAME)),
    "FundRiskPool": lambda t: (
        _deals(t),
        dpb.FundRiskPoolRequest(risk_pool=f"parties/{POOL}", amount=cny("1.00"), value_date=date("2026-03-01")),
    ),
    "WriteOff": lambda t: (_deals(t), dpb.WriteOffRequest(name=MAIN_NAME)),
    "RecordRecovery": lambda t: (_deals(t), dpb.RecordRecoveryRequest(name=MAIN_NAME, amount=cny("1.00"))),
    "GetInsuranceClaim": lambda t: (_insurance(t), ipb.GetInsuranceClaimRequest(name=INSURANCE_NAME)),
    "ListInsuranceClaims": lambda t: (_insurance(t), ipb.ListInsuranceClaimsRequest()),
    "ApproveInsuranceClaim": lambda t: (_insurance(t), ipb.ApproveInsuranceClaimRequest(name=INSURANCE_NAME)),
    "RejectInsuranceClaim": lambda t: (_insurance(t), ipb.RejectInsuranceClaimRequest(name=INSURANCE_NAME)),
    "SettleInsuranceClaim": lambda t: (_insurance(t), ipb.SettleInsuranceClaimRequest(name=INSURANCE_NAME)),
    "GetClaim": lambda t: (_deals(t), dpb.GetClaimRequest(name=CLAIM_NAME)),
    "ListClaims": lambda t: (_deals(t), dpb.ListClaimsRequest()),
    "ApproveClaim": lambda t: (_deals(t), dpb.ApproveClaimRequest(name=CLAIM_NAME)),
    "RejectClaim": lambda t: (_deals(t), dpb.RejectClaimRequest(name=CLAIM_NAME, reason="no")),
    "ReclassifyDeals": lambda t: (_credit(t), cpb.ReclassifyDealsRequest(branch=f"parties/{t.party}")),
    "GetDealClassification": lambda t: (_credit(t), cpb.GetDealClassificationRequest(name=MAIN_NAME)),
    "RequestClassificationOverride": lambda t: (
        _credit(t),
        cpb.RequestClassificationOverrideRequest(name=MAIN_NAME, category=cpb.LOAN_CATEGORY_DOUBTFUL, reason="r"),
    ),
    "ApproveClassificationOverride": lambda t: (
        _credit(t),
        cpb.ApproveClassificationOverrideRequest(name=OVERRIDE_NAME),
    ),
    "RejectClassificationOverride": lambda t: (_credit(t), cpb.RejectClassificationOverrideRequest(name=OVERRIDE_NAME)),
    "RunImpairment": lambda t: (_credit(t), cpb.RunImpairmentRequest(branch=f"parties/{t.party}")),
    "GetImpairmentRun": lambda t: (_credit(t), cpb.GetImpairmentRunRequest(name=t.keyed.impairment_run)),
    "ListClassificationOverrides": lambda t: (_credit(t), cpb.ListClassificationOverridesRequest(name=MAIN_NAME)),
    "RecordConsent": lambda t: (_sharing(t), shpb.RecordConsentRequest(branch=f"parties/{t.party}")),
    "RevokeConsent": lambda t: (_sharing(t), shpb.RevokeConsentRequest(name=t.keyed.consent)),
    "GetConsent": lambda t: (_sharing(t), shpb.GetConsentRequest(name=t.keyed.consent)),
    "ListConsents": lambda t: (_sharing(t), shpb.ListConsentsRequest(branch=f"parties/{t.party}")),
    "ExportCreditData": lambda t: (_sharing(t), shpb.ExportCreditDataRequest(format=shpb.CREDIT_DATA_FORMAT_JSONL)),
    "ListCreditDataExports": lambda t: (_sharing(t), shpb.ListCreditDataExportsRequest()),
    "RecordAssessment": lambda t: (_assess(t), aspb.RecordAssessmentRequest(branch=f"parties/{t.party}")),
    "GetAssessment": lambda t: (_assess(t), aspb.GetAssessmentRequest(name=t.keyed.assessment)),
    "ListAssessments": lambda t: (
        _assess(t),
        aspb.ListAssessmentsRequest(borrower_uscc=USCC, branch=f"parties/{t.party}"),
    ),
    "CreateAgreement": lambda t: (
        _agreements(t),
        agpb.CreateAgreementRequest(agreement_id="new", agreement=agpb.Agreement(owner=f"parties/{t.party}")),
    ),
    "AmendAgreement": lambda t: (_agreements(t), agpb.AmendAgreementRequest(name=AGREEMENT_OF[t.party])),
    "GetAgreement": lambda t: (_agreements(t), agpb.GetAgreementRequest(name=AGREEMENT_OF[t.party])),
    "ListAgreements": lambda t: (_agreements(t), agpb.ListAgreementsRequest()),
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
    "GetValuationRecord": lambda t: (_valuation(t), vpb.GetValuationRecordRequest(name=t.keyed.valuation_record)),
    "ListValuationRecords": lambda t: (_valuation(t), vpb.ListValuationRecordsRequest()),
    "ExportJournal": lambda t: (_audit(t), apb.ExportJournalRequest(format=apb.EXPORT_FORMAT_JSONL)),
    "SubscribeJournal": lambda t: (_audit(t), apb.SubscribeJournalRequest(stop_when_caught_up=True)),
    "TrialBalance": lambda t: (_audit(t), apb.TrialBalanceRequest()),
    "VerifyChain": lambda t: (_audit(t), apb.VerifyChainRequest(party=f"parties/{BANK}")),
    "GetChainHead": lambda t: (_audit(t), apb.GetChainHeadRequest()),
    "GetBalanceHistory": lambda t: (
        _audit(t),
        apb.GetBalanceHistoryRequest(accounts=[f"parties/{BANK}/accounts/cash"]),
    ),
    "GetCheckpoint": lambda t: (_audit(t), apb.GetCheckpointRequest()),
    # the first leg of the target party's own book (a leg of its own: "own"; another party's: NOT_FOUND)
    "GetInclusionProof": lambda t: (_audit(t), apb.GetInclusionProofRequest(book=f"parties/{t.party}", sequence=1)),
    "GetConsistencyProof": lambda t: (
        _audit(t),
        apb.GetConsistencyProofRequest(book=f"parties/{BANK}", first_size=1, second_size=2),
    ),
}

# Lists narrowed to the caller's own items: what the response lists, and the item a caller's own list holds.
LISTED: dict[str, tuple[Callable[[Any], list[str]], Callable[[Target], str]]] = {
    "ListAccounts": (lambda r: [a.name for a in r.accounts], lambda t: t.keyed.accounts[t.party][0]),
    "ListTransactions": (lambda r: [x.name for x in r.transactions], lambda t: t.keyed.transactions[t.party]),
    "ListDeals": (lambda r: [d.name for d in r.deals], lambda t: MAIN_NAME),
    "ListAssessments": (lambda r: [a.name for a in r.assessments], lambda t: t.keyed.assessment),
    "ListConsents": (lambda r: [c.name for c in r.consents], lambda t: t.keyed.consent),
    "ListExercises": (lambda r: [e.name for e in r.exercises], lambda t: t.keyed.exercise),
    "ListClaims": (lambda r: [c.name for c in r.claims], lambda t: CLAIM_NAME),
    "ListInsuranceClaims": (lambda r: [c.name for c in r.claims], lambda t: INSURANCE_NAME),
    "ListAgreements": (lambda r: [a.name for a in r.agreements], lambda t: AGREEMENT_OF[t.party].split("/versions")[0]),
    "ListValuationRecords": (lambda r: [v.name for v in r.valuation_records], lambda t: t.keyed.valuation_record),
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


def violations_of(error: grpc.RpcError) -> list[tuple[str, str, str]]:
    """(type, subject, description) of every PreconditionFailure violation of a refusal."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    found = []
    for detail in status.details if status else ():
        failure = error_details_pb2.PreconditionFailure()
        if detail.Unpack(failure):
            found += [(v.type, v.subject, v.description) for v in failure.violations]
    return found


def reason_of(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return ""
