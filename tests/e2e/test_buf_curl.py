"""The API as an outside client sees it: `buf curl` (not our stubs) drives a real server through reflection.

Nothing here imports toudai's generated code: requests are JSON, the schema comes from the server's
reflection service, and answers are checked as JSON. This is what catches a server that works with our
own client but not with anyone else's (missing reflection, wrong service names, unserialisable fields).
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import subprocess
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUF = ROOT / "node_modules" / ".bin" / "buf"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def buf() -> pathlib.Path:
    if not BUF.exists():
        message = f"{BUF.relative_to(ROOT)} is missing: run `make install` (npm ci) to install the pinned buf"
        if IN_CI:
            pytest.fail(message + " (CI=true: the buf curl test must run)")
        pytest.skip(message)
    return BUF


class BufCurl:
    """Calls methods on one server with `buf curl --protocol grpc --http2-prior-knowledge`."""

    def __init__(self, buf: pathlib.Path, address: str) -> None:
        self.buf = buf
        self.address = address

    def run(self, method: str, body: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(self.buf),
                "curl",
                "--protocol",
                "grpc",
                "--http2-prior-knowledge",
                "--data",
                json.dumps(body, ensure_ascii=False),
                f"http://{self.address}/{method}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def __call__(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        result = self.run(method, body)
        assert result.returncode == 0, f"buf curl {method} failed ({result.returncode}): {result.stderr}"
        answer: dict[str, Any] = json.loads(result.stdout)
        return answer


@pytest.fixture
def curl(buf: pathlib.Path, server_address: str) -> BufCurl:
    return BufCurl(buf, server_address)


LEDGER = "toudai.v1.LedgerService"


def _account(curl: BufCurl, code: str, type_: str, *, must_not_go_negative: bool = False) -> dict[str, Any]:
    return curl(
        f"{LEDGER}/CreateAccount",
        {
            "requestId": f"acct-{code}",
            "party": "parties/bank-hz",
            "code": code,
            "displayName": code,
            "type": type_,
            "commodity": "CNY",
            "mustNotGoNegative": must_not_go_negative,
        },
    )["account"]


def test_health_answers_serving(curl: BufCurl) -> None:
    assert curl("grpc.health.v1.Health/Check", {}) == {"status": "SERVING"}
    assert curl("grpc.health.v1.Health/Check", {"service": LEDGER}) == {"status": "SERVING"}


def test_ledger_through_reflection(curl: BufCurl) -> None:
    party = curl(
        f"{LEDGER}/CreateParty",
        {
            "requestId": "party-bank-hz",
            "partyId": "bank-hz",
            "displayName": "杭州科技支行",
            "kind": "PARTY_KIND_BANK_BRANCH",
        },
    )["party"]
    assert party["name"] == "parties/bank-hz"
    assert party["displayName"] == "杭州科技支行"
    assert party["kind"] == "PARTY_KIND_BANK_BRANCH"
    assert "createTime" in party

    cash = _account(curl, "cash", "ACCOUNT_TYPE_ASSET", must_not_go_negative=True)
    capital = _account(curl, "capital", "ACCOUNT_TYPE_EQUITY")
    assert cash["name"] == "parties/bank-hz/accounts/cash"
    assert cash["party"] == "parties/bank-hz"
    assert cash["type"] == "ACCOUNT_TYPE_ASSET"
    assert cash["commodity"] == "CNY"
    assert cash["mustNotGoNegative"] is True
    assert capital["name"] == "parties/bank-hz/accounts/capital"

    posting = {
        "transactions": [
            {
                "requestId": "capital-0001",
                "valueDate": {"year": 2026, "month": 1, "day": 5},
                "description": "Paid-in capital",
                "metadata": {"deal": "D-2026-001"},
                "postings": [
                    {
                        "account": "parties/bank-hz/accounts/cash",
                        "side": "SIDE_DEBIT",
                        "amount": {"commodity": "CNY", "value": "1000000.00"},
                    },
                    {
                        "account": "parties/bank-hz/accounts/capital",
                        "side": "SIDE_CREDIT",
                        "amount": {"commodity": "CNY", "value": "1000000"},
                    },
                ],
            }
        ]
    }
    posted = curl(f"{LEDGER}/PostTransactions", posting)
    (tx,) = posted["transactions"]
    assert tx["name"].startswith("transactions/")
    assert tx["requestId"] == "capital-0001"
    assert tx["valueDate"] == {"year": 2026, "month": 1, "day": 5}
    assert tx["metadata"] == {"deal": "D-2026-001", "toudai.principal": "dev-admin", "toudai.role": "admin"}
    assert [(p["account"], p["side"], p["amount"]) for p in tx["postings"]] == [
        ("parties/bank-hz/accounts/cash", "SIDE_DEBIT", {"commodity": "CNY", "value": "1000000.00"}),
        ("parties/bank-hz/accounts/capital", "SIDE_CREDIT", {"commodity": "CNY", "value": "1000000.00"}),
    ]
    (leg,) = tx["legs"]
    assert leg["party"] == "parties/bank-hz"
    assert leg["sequence"] == "1"  # int64 is a JSON string in the proto3 JSON mapping
    assert len(leg["hash"]) == 64
    assert {b["account"]: b["balance"]["value"] for b in posted["balances"]} == {
        "parties/bank-hz/accounts/capital": "1000000.00",
        "parties/bank-hz/accounts/cash": "1000000.00",
    }

    # A retry with the same request_id returns the original transaction and does not double anything.
    assert curl(f"{LEDGER}/PostTransactions", posting)["transactions"][0]["name"] == tx["name"]

    balance = curl(f"{LEDGER}/GetBalance", {"account": "parties/bank-hz/accounts/cash"})["balance"]
    assert balance["account"] == "parties/bank-hz/accounts/cash"
    assert balance["balance"] == {"commodity": "CNY", "value": "1000000.00"}
    assert balance["available"] == {"commodity": "CNY", "value": "1000000.00"}

    before = curl(
        f"{LEDGER}/GetBalance",
        {"account": "parties/bank-hz/accounts/cash", "asOfDate": {"year": 2026, "month": 1, "day": 4}},
    )["balance"]
    assert before["balance"] == {"commodity": "CNY", "value": "0.00"}
    assert before["asOfDate"] == {"year": 2026, "month": 1, "day": 4}


def test_refusal_carries_status_and_reason(curl: BufCurl) -> None:
    curl(
        f"{LEDGER}/CreateParty",
        {"requestId": "party-bank-hz", "partyId": "bank-hz", "displayName": "bank", "kind": "PARTY_KIND_BANK_BRANCH"},
    )
    _account(curl, "cash", "ACCOUNT_TYPE_ASSET", must_not_go_negative=True)
    _account(curl, "loans", "ACCOUNT_TYPE_ASSET")
    overdraft = {
        "transactions": [
            {
                "requestId": "overdraft-0001",
                "valueDate": {"year": 2026, "month": 1, "day": 5},
                "postings": [
                    {
                        "account": "parties/bank-hz/accounts/loans",
                        "side": "SIDE_DEBIT",
                        "amount": {"commodity": "CNY", "value": "1.00"},
                    },
                    {
                        "account": "parties/bank-hz/accounts/cash",
                        "side": "SIDE_CREDIT",
                        "amount": {"commodity": "CNY", "value": "1.00"},
                    },
                ],
            }
        ]
    }
    result = curl.run(f"{LEDGER}/PostTransactions", overdraft)
    assert result.returncode != 0
    error = json.loads(result.stderr)
    assert error["code"] == "failed_precondition"
    assert "must not go negative" in error["message"]
    (info,) = [d for d in error["details"] if d["type"] == "google.rpc.ErrorInfo"]
    assert b"INSUFFICIENT_FUNDS" in base64.b64decode(info["value"] + "=" * (-len(info["value"]) % 4))
    balance = curl(f"{LEDGER}/GetBalance", {"account": "parties/bank-hz/accounts/cash"})["balance"]
    assert balance["balance"]["value"] == "0.00"
