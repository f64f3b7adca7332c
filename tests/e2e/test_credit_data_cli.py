"""End to end: `toudai consent` and `toudai credit-data` on the worked example's loan, and the demo steps.

The loan of examples/worked-example.yaml (borrower 91330106MA2H7K3C08) starts 16 Mar 2026 with interest
monthly, first due Thursday 16 Apr, nothing repaid: exported for March and April it gives the loan, days
past due at 31 Mar (0) and 30 Apr (14: the instalment of 16 Apr is unpaid) and the classification of 30 Apr
(special mention): 4 records.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from clients.client import ToudaiClient
from clients.sharing_client import Consent, ExportResult, demo_steps
from tests.e2e.conftest import on_postgresql
from tests.e2e.test_claims_cli import AGREEMENTS, EXAMPLE
from tests.serving import Server

BORROWER = "91330106MA2H7K3C08"


@on_postgresql
def test_consent_export_and_audit_trail(server: Server, tmp_path: Path) -> None:
    for party, kind in (("bank-hz", "bank_branch"), ("invest-arm", "investment_arm"), ("risk-pool", "risk_pool")):
        server.ok("party", "create", party, "--name", party, "--kind", kind)
    agreements = tmp_path / "agreements.yaml"
    agreements.write_text(AGREEMENTS, encoding="utf-8")
    server.ok("agreement", "sign", str(agreements))
    server.ok("deal", "book", "--file", str(EXAMPLE))
    server.ok("deal", "disburse", "hz-2026-001")
    form = tmp_path / "form.pdf"
    form.write_bytes(b"%PDF signed consent")
    out = tmp_path / "facts.jsonl"
    refused = server.cli(
        "credit-data", "export", "--platform", "zj-credit-platform", "--uscc", BORROWER,
        "--from-date", "2026-03-01", "--to-date", "2026-04-30", "--out", str(out),
    )  # fmt: skip
    assert refused.returncode != 0 and "NO_CONSENT" in refused.stderr, refused.stderr
    assert not out.exists()
    consent = server.json(
        "consent", "record", "--branch", "bank-hz", "--borrower", BORROWER, "--platform", "zj-credit-platform",
        "--signed", "2026-03-01", "--expires", "2030-03-01", "--evidence-reference", "form-001",
        "--evidence-file", str(form), "--request-id", "c1",
    )  # fmt: skip
    assert consent["evidence_sha256"] == hashlib.sha256(form.read_bytes()).hexdigest()
    assert consent["scopes"] == ["loans", "repayments", "overdue", "classification", "defaults"]
    summary = server.json(
        "credit-data", "export", "--platform", "zj-credit-platform", "--uscc", BORROWER,
        "--from-date", "2026-03-01", "--to-date", "2026-04-30", "--out", str(out),
    )  # fmt: skip
    manifest = json.loads(Path(summary["manifest"]).read_text(encoding="utf-8"))
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == summary["sha256"]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["record_type"], r["date"]) for r in records] == [
        ("loan", "2026-04-30"),
        ("overdue", "2026-03-31"),
        ("overdue", "2026-04-30"),
        ("classification", "2026-04-30"),
    ]
    assert (records[2]["days_past_due"], records[3]["category"]) == (14, "special_mention")
    assert manifest["consents"] == [consent["name"]]
    trail = server.json("credit-data", "exports")
    assert [e["name"] for e in trail] == [summary["export"]]
    assert [c["name"] for c in server.json("consent", "list", "--borrower", BORROWER)] == [consent["name"]]
    revoked = server.json("consent", "revoke", consent["name"], "--reason", "withdrawn", "--request-id", "r1")
    assert revoked["state"] == "revoked" and server.json("consent", "show", consent["name"])["state"] == "revoked"


def test_demo_steps_record_a_consent_and_export(server: Server, tmp_path: Path) -> None:
    server.ok("party", "create", "bank-hz", "--name", "bank-hz", "--kind", "bank_branch")
    with ToudaiClient(server.target) as client:
        steps = demo_steps(client, tmp_path)
        results = [step() for _, step in steps]
        again = [step() for _, step in steps]  # the consent replays; a second export is a new trail entry
    assert results[0] == again[0]
    consent, exported = results
    assert isinstance(consent, Consent) and isinstance(exported, ExportResult)
    assert exported.file.exists() and exported.manifest["consents"] == [consent.name]
