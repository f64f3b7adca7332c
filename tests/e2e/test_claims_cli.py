"""End to end: a claim above the pool's auto-approval limit waits for the pool's staff (issue 15).

Hand-worked: the worked example's loan of 10,000,000.00 defaults on its start date (nothing accrued),
so the loss is 10,000,000.00; the first-loan and unsecured tiers do not apply (not a first loan, 60 %
unsecured < 70 %), so the pool owes 50 % = 5,000,000.00, capped at 3,000,000.00 a loan. The agreement
approves up to 1,000,000.00 by itself, so the claim of 3,000,000.00 waits; the clerk who recorded the
default (dev-admin) cannot approve it; the pool's `pool-li` can, and the pool's 4,000,000.00 of cash pays
it all (pool cash 1,000,000.00 after).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import on_postgresql
from tests.serving import Server, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "worked-example.yaml"
AGREEMENTS = """\
agreements:
  - agreement_id: rsa-strict
    kind: risk_sharing
    owner: risk-pool
    counterparty: bank-hz
    effective_from: 2026-01-01
    risk_sharing:
      base_rate: "0.50"
      first_loan_rate: "0.90"
      unsecured_threshold: "0.70"
      unsecured_rate: "0.70"
      per_deal_cap: 3000000.00
      auto_approval_limit: 1000000.00
  - agreement_id: link
    kind: linkage
    owner: invest-arm
    counterparty: bank-hz
    effective_from: 2026-01-01
    linkage: {bank_bps: 3000, investment_arm_bps: 5000, risk_pool_bps: 2000}
"""


@on_postgresql
def test_a_large_claim_waits_for_the_pools_staff(server: Server, tmp_path: Path) -> None:
    for party, kind in (("bank-hz", "bank_branch"), ("invest-arm", "investment_arm"), ("risk-pool", "risk_pool")):
        server.ok("party", "create", party, "--name", party, "--kind", kind)
    agreements = tmp_path / "agreements.yaml"
    agreements.write_text(AGREEMENTS, encoding="utf-8")
    server.ok("agreement", "sign", str(agreements))
    listed = server.json("agreement", "list", "--owner", "risk-pool")
    assert [(a["name"], a["version"]) for a in listed] == [("agreements/rsa-strict", 1)]
    server.ok("deal", "fund-pool", "risk-pool", "--amount", "4000000.00", "--date", "2026-01-05")
    server.ok("deal", "book", "--file", str(EXAMPLE))
    server.ok("deal", "disburse", "hz-2026-001")
    default = server.json("deal", "default", "hz-2026-001", "--date", "2026-03-16", "--reason", "insolvent")
    assert (default["loss"], default["compensation_paid"], default["compensation_pending"]) == (
        "10000000.00",
        "0.00",
        "3000000.00",
    )
    claims = server.json("deal", "claims", "--status", "pending")
    assert [(c["name"], c["amount"], c["filed_by"]) for c in claims] == [
        ("claims/hz-2026-001", "3000000.00", "dev-admin")
    ]
    own = server.cli("deal", "approve-claim", "hz-2026-001")
    assert own.returncode == 1 and "FOUR_EYES" in own.stderr, own.stderr
    minted = run("token", "--role", "risk_pool", "--party", "risk-pool", "--sub", "pool-li")
    assert minted.returncode == 0, minted.stderr
    approved = server.json("--token", minted.stdout.strip(), "deal", "approve-claim", "hz-2026-001")
    assert (approved["status"], approved["paid"], approved["owed"], approved["decided_by"]) == (
        "approved",
        "3000000.00",
        "0.00",
        "pool-li",
    )
    assert server.json("balance", "risk-pool/cash")[0]["balance"] == "1000000.00"
    # The pool raises its limit: a new version; the defaulted deal keeps version 1.
    amendment = tmp_path / "amend.yaml"
    amendment.write_text(
        AGREEMENTS.split("  - agreement_id: link")[0]
        .replace("auto_approval_limit: 1000000.00", "auto_approval_limit: 5000000.00")
        .replace("  - agreement_id: rsa-strict", "  - agreement_id: rsa-strict\n    request_id: raise-limit"),
        encoding="utf-8",
    )
    amended = server.json("agreement", "amend", str(amendment))
    assert [(a["name"], a["version"]) for a in amended] == [("agreements/rsa-strict", 2)]
    assert server.json("agreement", "amend", str(amendment)) == amended  # the same request again: a replay
    shown = server.json("deal", "show", "hz-2026-001")
    assert shown["terms"]["agreements"]["risk_sharing"] == "agreements/rsa-strict/versions/1"
