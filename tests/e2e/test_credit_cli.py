"""End to end: `toudai credit` classifies the worked example's loan (issue 17, part).

Hand-worked: the loan of examples/worked-example.yaml starts 16 Mar 2026 with interest monthly; its first
payment date is Thursday 16 Apr 2026 (a working day). Nothing is repaid, so the loan is 4 days past due on
20 Apr and 14 on 30 Apr: special mention (关注). A clerk asks to hold it at doubtful; the clerk cannot
approve that, a second person of the branch can.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import on_sqlite
from tests.e2e.test_claims_cli import AGREEMENTS, EXAMPLE
from tests.serving import Server, run


@on_sqlite
def test_classify_show_and_override_with_four_eyes(server: Server, tmp_path: Path) -> None:
    for party, kind in (("bank-hz", "bank_branch"), ("invest-arm", "investment_arm"), ("risk-pool", "risk_pool")):
        server.ok("party", "create", party, "--name", party, "--kind", kind)
    agreements = tmp_path / "agreements.yaml"
    agreements.write_text(AGREEMENTS, encoding="utf-8")
    server.ok("agreement", "sign", str(agreements))
    server.ok("deal", "book", "--file", str(EXAMPLE))
    server.ok("deal", "disburse", "hz-2026-001")
    shown = server.json("credit", "show", "hz-2026-001", "--as-of", "2026-04-20")
    assert (shown["classification"]["days_past_due"], shown["classification"]["category"]) == (4, "special_mention")
    ran = server.json("credit", "classify", "--branch", "bank-hz", "--as-of", "2026-04-30", "--request-id", "apr")
    assert [(c["deal"], c["days_past_due"], c["category"]) for c in ran["classifications"]] == [
        ("deals/hz-2026-001", 14, "special_mention")
    ]
    asked = server.json(
        "credit", "override", "hz-2026-001", "--category", "doubtful", "--reason", "fraud", "--effective", "2026-04-01"
    )
    assert (asked["name"], asked["status"]) == ("deals/hz-2026-001/overrides/1", "pending")
    own = server.cli("credit", "approve", "hz-2026-001", "1")
    assert own.returncode == 1 and "FOUR_EYES" in own.stderr, own.stderr
    minted = run("token", "--role", "branch", "--branch", "bank-hz", "--sub", "checker-li")
    assert minted.returncode == 0, minted.stderr
    approved = server.json("--token", minted.stdout.strip(), "credit", "approve", "hz-2026-001", "1")
    assert (approved["status"], approved["decided_by"]) == ("approved", "checker-li")
    table = server.ok("credit", "show", "hz-2026-001", "--as-of", "2026-04-30").stdout
    assert "doubtful 可疑" in table and "Recorded 2026-04-30" in table


def test_impairment_run_and_read_back(server: Server, tmp_path: Path) -> None:
    """The worked example's loan (10,000,000.00, growth stage, 60 % unsecured: under the 70 % threshold, so
    the pool's base 50 %, capped at 3,000,000.00 a loan; no insurer), nothing accrued, on 30 Apr 2026: 14
    days past due, special mention, stage 2. LGD 60 %: a loss of 6,000,000.00; the pool pays 50 % =
    3,000,000.00 (its cap too); the bank bears 3,000,000.00 × lifetime PD 10 % = 300,000.00."""
    for party, kind in (("bank-hz", "bank_branch"), ("invest-arm", "investment_arm"), ("risk-pool", "risk_pool")):
        server.ok("party", "create", party, "--name", party, "--kind", kind)
    agreements = tmp_path / "agreements.yaml"
    agreements.write_text(AGREEMENTS, encoding="utf-8")
    server.ok("agreement", "sign", str(agreements))
    server.ok("deal", "book", "--file", str(EXAMPLE))
    server.ok("deal", "disburse", "hz-2026-001")
    ran = server.json("credit", "impairment", "--branch", "bank-hz", "--as-of", "2026-04-30", "--request-id", "imp")
    line = ran["lines"][0]
    assert (line["stage"], line["exposure_at_default"], line["cover"], line["expected_credit_loss"]) == (
        2,
        "10000000.00",
        "3000000.00",
        "300000.00",
    )
    assert (ran["allowance"], ran["change"]) == ("300000.00", "300000.00")
    assert server.json("credit", "impairment-run", ran["name"]) == ran
    assert server.json("balance", "bank-hz/credit-impairment-loss")[0]["balance"] == "300000.00"
