"""Token hardening over real gRPC, against the authorization matrix's server with keys (authz_world.keyed).

- log forging: a token whose `alg` carries a newline and a JSON object, or whose `sub` carries control
  characters, never produces a second log line; every line the server logs is one JSON object
  (server.logs.JsonFormatter, as `toudai serve` installs it); names with control characters are refused;
- the access log names the verified caller (principal and role);
- `exp`, `nbf` and `iat` must be JSON numbers, and a token may live at most the server's maximum lifetime;
- a token's party must exist and be of its role's kind (PERMISSION_DENIED on every call otherwise);
- four eyes compares normalised principals (case, Unicode width, surrounding space).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import grpc
import jwt
import pytest

from server.auth import DEFAULT_MAX_TOKEN_LIFETIME, Authenticator, KeySet, Role, VerificationKey
from server.logs import JsonFormatter
from tests.integration.authz_world import SECRET, Keyed, bearer, reason_of, token
from tests.integration.settlement_world import ARM, BANK, POOL
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import audit_pb2_grpc, ledger_pb2_grpc, settlement_pb2_grpc
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import settlement_pb2 as spb

CODE = grpc.StatusCode


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _with_header(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token with any header (PyJWT refuses to write an unknown alg); its signature is junk."""
    return f"{_part(header)}.{_part(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything the process logs while the test runs, formatted as `toudai serve` formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root, toudai = logging.getLogger(), logging.getLogger("toudai")
    level = toudai.level
    root.addHandler(handler)
    toudai.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        toudai.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()  # splits on \n, \r, U+2028, NEL, ... as a careless reader would
    return [json.loads(line) for line in lines]  # each one JSON object, or this raises


def _list_parties(keyed: Keyed, credential: str) -> grpc.RpcError | Any:
    stub = ledger_pb2_grpc.LedgerServiceStub(keyed.channel)
    try:
        return stub.ListParties(pb.ListPartiesRequest(), metadata=bearer(credential), timeout=30)
    except grpc.RpcError as error:
        return error


# ---------------------------------------------------------------------- log forging


def test_a_forged_alg_is_one_json_log_line(keyed: Keyed, log_lines: io.StringIO) -> None:
    forged = '{"time": "2026-01-01T00:00:00.000Z", "level": "INFO", "logger": "toudai.auth", "message": "ok"}'
    credential = _with_header({"alg": f"HS256\n{forged}\r\u2028x", "kid": "k1"}, {"sub": "x"})
    refused = _list_parties(keyed, credential)
    assert refused.code() == CODE.UNAUTHENTICATED and reason_of(refused) == "TOKEN_INVALID"
    records = _records(log_lines)
    auth = [r for r in records if r["logger"] == "toudai.auth"]
    assert len(auth) == 1, records
    assert auth[0]["level"] == "WARNING" and "HS256\\n{" in auth[0]["message"]  # quoted with repr
    assert not [r for r in records if r.get("message") == "ok"]  # nothing forged
    (access,) = [r for r in records if r["logger"] == "toudai.access"]
    assert access["status"] == "UNAUTHENTICATED" and access["method"].endswith("/ListParties")
    assert access["principal"] is None and access["role"] is None


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", 'alice\n{"level": "INFO"}'),
        ("sub", "alice\x1b[2J"),
        ("sub", "alice\x00"),
        ("sub", "alice\x7f"),
        ("sub", "alice\u2028bob"),
        ("sub", "alice\x85"),
        ("sub", "alice\tbob"),
        ("branch", "bank-hz\n"),
        ("party", "invest-arm\r"),
    ],
)
def test_names_with_control_characters_are_refused(
    keyed: Keyed, log_lines: io.StringIO, claim: str, value: str
) -> None:
    claims = {"sub": "clerk", "role": "branch", "branch": BANK, "aud": "toudai", "exp": _now() + 600}
    if claim == "party":
        claims.update(role="investment_arm", party=ARM)
        del claims["branch"]
    claims[claim] = value
    refused = _list_parties(keyed, jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"}))
    assert refused.code() == CODE.UNAUTHENTICATED and reason_of(refused) == "TOKEN_INVALID"
    assert f"{claim} claim contains control characters" in refused.details()
    records = _records(log_lines)  # one JSON object per line, whatever the name held
    assert len([r for r in records if r["logger"] == "toudai.access"]) == 1


def test_the_access_log_names_the_verified_caller(keyed: Keyed, log_lines: io.StringIO) -> None:
    answered = _list_parties(keyed, token(Role.BRANCH, BANK, sub="zhang.wei"))
    assert answered.parties
    denied = audit_pb2_grpc.AuditServiceStub(keyed.channel)
    with pytest.raises(grpc.RpcError):
        denied.TrialBalance(apb.TrialBalanceRequest(), metadata=bearer(token(Role.BRANCH, BANK, sub="zhang.wei")))
    exported = denied.ExportJournal(
        apb.ExportJournalRequest(format=apb.EXPORT_FORMAT_JSONL, parties=[f"parties/{BANK}"]),
        metadata=bearer(token(Role.AUDITOR, sub="audit.li")),
    )
    assert list(exported)
    access = [r for r in _records(log_lines) if r["logger"] == "toudai.access"]
    assert [(r["status"], r["principal"], r["role"]) for r in access] == [
        ("OK", "zhang.wei", "branch"),
        ("PERMISSION_DENIED", "zhang.wei", "branch"),
        ("OK", "audit.li", "auditor"),  # a stream's line, when it ends
    ]
    for record in access[:2]:  # the fields the access log always had
        assert {"method", "status", "duration_ms", "request_id", "peer", "time", "level"} <= record.keys()
    assert access[2]["method"] == "/toudai.v1.AuditService/ExportJournal" and access[2]["messages"] >= 1


# ---------------------------------------------------------------------- token times and lifetime


def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"exp": "9999999999"}, "'exp' claim must be a JSON number"),
        ({"exp": True}, "'exp' claim must be a JSON number"),
        ({"exp": [1]}, "'exp' claim must be a JSON number"),
        ({"nbf": "0"}, "'nbf' claim must be a JSON number"),
        ({"nbf": False}, "'nbf' claim must be a JSON number"),
        ({"iat": "now"}, "'iat' claim must be a JSON number"),
        ({"iat": None}, "'iat' claim must be a JSON number"),
        ({"exp": float("nan")}, "'exp' claim must be a JSON number"),
        ({"exp": float("inf")}, "'exp' claim must be a JSON number"),
        ({"exp": 10**400}, "'exp' claim must be a JSON number"),
    ],
    ids=lambda v: json.dumps(v, default=str)[:30] if isinstance(v, dict) else None,
)
def test_time_claims_must_be_json_numbers(keyed: Keyed, overrides: dict[str, Any], needle: str) -> None:
    claims = {"sub": "ops", "role": "admin", "aud": "toudai", "exp": _now() + 600, **overrides}
    credential = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"})
    refused = _list_parties(keyed, credential)
    assert refused.code() == CODE.UNAUTHENTICATED and reason_of(refused) == "TOKEN_INVALID"
    assert needle in refused.details()


def test_lifetime_is_bounded_by_the_servers_maximum(keyed: Keyed) -> None:
    now = _now()
    hours = 3600
    accepted = [
        {"iat": now, "exp": now + 24 * hours},  # exactly the default maximum
        {"iat": now - 23 * hours, "exp": now + hours},
        {"exp": now + 24 * hours},  # no iat: measured from now
        {"iat": now, "exp": now + 600.5},  # a float is a JSON number too
        {"iat": now, "nbf": now, "exp": now + 600},
    ]
    for times in accepted:
        credential = token(Role.ADMIN, sub="ops", **times)
        assert _list_parties(keyed, credential).parties, times
    refused_too_long = [
        {"iat": now, "exp": now + 24 * hours + 1},
        {"iat": now - 30 * hours, "exp": now + hours},  # issued long ago: exp - iat counts, not exp - now
        {"exp": now + 25 * hours},
        {"iat": now, "exp": now + 10 * 365 * 24 * hours},
    ]
    for times in refused_too_long:
        refused = _list_parties(keyed, token(Role.ADMIN, sub="ops", **times))
        assert refused.code() == CODE.UNAUTHENTICATED and reason_of(refused) == "TOKEN_INVALID", times
        assert "longer than this server's maximum token lifetime of 24h" in refused.details(), refused.details()
    future = _list_parties(keyed, token(Role.ADMIN, sub="ops", nbf=now + 3600))
    assert reason_of(future) == "TOKEN_INVALID" and "not yet valid" in future.details()
    expired = _list_parties(keyed, token(Role.ADMIN, sub="ops", iat=now - 7200, exp=now - 3600))
    assert reason_of(expired) == "TOKEN_EXPIRED"


def test_a_configured_maximum_lifetime_is_used() -> None:
    keys = KeySet({"k1": VerificationKey("k1", ("HS256",), SECRET)})
    now = _now()
    week = token(Role.ADMIN, sub="ops", iat=now, exp=now + 7 * 86_400)
    assert Authenticator(keys, max_lifetime=dt.timedelta(days=7)).verify(week).subject == "ops"
    assert dt.timedelta(hours=24) == DEFAULT_MAX_TOKEN_LIFETIME
    hour = token(Role.ADMIN, sub="ops", iat=now, exp=now + 3_601)
    with pytest.raises(Exception, match="maximum token lifetime of 1h") as refused:
        Authenticator(keys, max_lifetime=dt.timedelta(hours=1)).verify(hour)
    assert getattr(refused.value, "reason", "") == "TOKEN_INVALID"


# ---------------------------------------------------------------------- the party's kind


@pytest.mark.parametrize(
    ("role", "party", "reason"),
    [
        (Role.BRANCH, ARM, "PARTY_KIND_MISMATCH"),  # an investment arm named as a branch
        (Role.BRANCH, POOL, "PARTY_KIND_MISMATCH"),
        (Role.INVESTMENT_ARM, BANK, "PARTY_KIND_MISMATCH"),
        (Role.INVESTMENT_ARM, POOL, "PARTY_KIND_MISMATCH"),
        (Role.RISK_POOL, ARM, "PARTY_KIND_MISMATCH"),
        (Role.RISK_POOL, BANK, "PARTY_KIND_MISMATCH"),
        (Role.BRANCH, "bank-nowhere", "UNKNOWN_PARTY"),
        (Role.RISK_POOL, "pool-nowhere", "UNKNOWN_PARTY"),
    ],
)
def test_a_tokens_party_must_be_of_its_roles_kind(keyed: Keyed, role: Role, party: str, reason: str) -> None:
    credential = bearer(token(role, party))
    ledger = ledger_pb2_grpc.LedgerServiceStub(keyed.channel)
    settlement = settlement_pb2_grpc.SettlementServiceStub(keyed.channel)
    calls = [
        lambda: ledger.ListParties(pb.ListPartiesRequest(), metadata=credential),
        lambda: ledger.GetParty(pb.GetPartyRequest(name=f"parties/{party}"), metadata=credential),
        lambda: settlement.ListExercises(spb.ListExercisesRequest(), metadata=credential),
        lambda: list(
            audit_pb2_grpc.AuditServiceStub(keyed.channel).SubscribeJournal(
                apb.SubscribeJournalRequest(stop_when_caught_up=True), metadata=credential
            )
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as refused:
            call()
        assert refused.value.code() == CODE.PERMISSION_DENIED
        assert reason_of(refused.value) == reason, refused.value.details()
        assert party in refused.value.details()


def test_a_party_created_later_is_found(keyed: Keyed) -> None:
    credential = token(Role.BRANCH, "bank-later")
    assert reason_of(_list_parties(keyed, credential)) == "UNKNOWN_PARTY"
    keyed.world.stub.CreateParty(
        pb.CreatePartyRequest(
            request_id="p-bank-later", party_id="bank-later", display_name="later", kind=pb.PARTY_KIND_BANK_BRANCH
        )
    )
    assert _list_parties(keyed, credential).parties  # a missing party is not remembered as missing


# ---------------------------------------------------------------------- four eyes


@pytest.mark.parametrize("approver", ["ROOT", "Root", "ＲＯＯＴ", " root ", "ｒｏｏｔ"], ids=range(5))
def test_four_eyes_compares_normalised_principals(keyed: Keyed, approver: str) -> None:
    """The world's exercise was requested by the administrator `root`; the same person, spelled otherwise,
    may not approve it as branch staff."""
    settlement = settlement_pb2_grpc.SettlementServiceStub(keyed.channel)
    with pytest.raises(grpc.RpcError) as refused:
        settlement.ApproveExercise(
            spb.ApproveExerciseRequest(request_id=f"self-approve-{approver.encode().hex()}", name=keyed.exercise),
            metadata=bearer(token(Role.BRANCH, BANK, sub=approver)),
        )
    assert refused.value.code() == CODE.FAILED_PRECONDITION
    assert reason_of(refused.value) == "FOUR_EYES"
    exercise = settlement.GetExercise(spb.GetExerciseRequest(name=keyed.exercise), metadata=bearer(token(Role.ADMIN)))
    assert exercise.exercise.requested_by == "root" and exercise.exercise.state == spb.EXERCISE_STATE_REQUESTED
