"""Exports over a real server (SQLite and PostgreSQL): round trip, offline verification, bean-check.

The export is written exactly as the CLI writes it (the streamed bytes, then FILE.manifest.json), then
checked by audit.verify with no server and no database, and the Beancount file by `bean-check` itself.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

import grpc
import pytest

from audit.verify import verify_export
from ledger.canonical import GENESIS_HASH
from tests.integration.test_audit_seed import audit_stub, seed
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import ledger_pb2_grpc

BEAN_CHECK = pathlib.Path(sys.executable).parent / "bean-check"
FORMATS = {"csv": apb.EXPORT_FORMAT_CSV, "jsonl": apb.EXPORT_FORMAT_JSONL, "beancount": apb.EXPORT_FORMAT_BEANCOUNT}


def export(channel: grpc.Channel, path: pathlib.Path, fmt: str, **filters: Any) -> dict[str, Any]:
    """Export to `path` (and path.manifest.json) as `toudai export` does; returns the manifest."""
    manifest = None
    with path.open("wb") as out:
        for message in audit_stub(channel).ExportJournal(apb.ExportJournalRequest(format=FORMATS[fmt], **filters)):
            out.write(message.data)
            if message.HasField("manifest"):
                manifest = message.manifest
    assert manifest is not None
    path.with_name(path.name + ".manifest.json").write_text(manifest.json)
    document: dict[str, Any] = json.loads(manifest.json)
    assert document["sha256"] == manifest.sha256
    return document


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_round_trip_verifies_offline(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path, fmt: str
) -> None:
    seed(stub)
    path = tmp_path / f"journal.{fmt}"
    manifest = export(channel, path, fmt)
    report = verify_export(path, manifest)
    assert report.ok, [f.text() for f in report.faults]
    assert manifest["complete"] is True
    assert manifest["counts"] == {"transactions": 14, "legs": 15, "postings": 30}
    books = {b["book"]: b for b in manifest["books"]}
    heads = audit_stub(channel).GetChainHead(apb.GetChainHeadRequest())
    for head in heads.heads:
        assert books[head.party]["to_seq"] == head.sequence
        assert books[head.party]["head_hash"] == head.hash
        assert books[head.party]["prev_hash"] == GENESIS_HASH
    assert manifest["checkpoint"]["hash"] == heads.checkpoint
    assert {(t["book"], t["commodity"]) for t in manifest["totals"]} >= {("invest", "OPT-ACME"), ("pool", "CNY")}
    assert report.trial_balance[("invest", "OPT-ACME")] == (100000, 100000)


def test_one_party_export_is_complete_without_other_books(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    seed(stub)
    path = tmp_path / "pool.jsonl"
    manifest = export(channel, path, "jsonl", parties=["parties/pool"])
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert {r["book"] for r in rows} == {"pool"}
    assert [r["seq"] for r in rows] == [1, 2, 3]
    # The cross-party claim shows only the pool's own postings.
    claim = next(r for r in rows if r["request_id"] == "t-claim")
    assert {p["account"] for p in claim["postings"]} == {"compensation", "due-to-bank-hz"}
    assert verify_export(path, manifest).ok


def test_filtered_exports_verify(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    seed(stub, extra_transfers=30)
    ranged = export(channel, tmp_path / "r.jsonl", "jsonl", parties=["bank-hz"], from_sequence=5, to_sequence=20)
    assert ranged["counts"]["legs"] == 16
    assert verify_export(tmp_path / "r.jsonl", ranged).ok
    by_account = export(channel, tmp_path / "a.csv", "csv", accounts=["bank-hz/loans.hz001"])
    assert by_account["complete"] is False and by_account["counts"]["legs"] == 1
    assert verify_export(tmp_path / "a.csv", by_account).ok
    by_date = export(
        channel,
        tmp_path / "d.jsonl",
        "jsonl",
        value_date_from={"year": 2026, "month": 1, "day": 10},
        value_date_to={"year": 2026, "month": 3, "day": 1},
    )
    rows = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert rows and all("2026-01-10" <= r["value_date"] <= "2026-03-01" for r in rows)
    assert verify_export(tmp_path / "d.jsonl", by_date).ok


def test_export_refusals_carry_details(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        list(audit_stub(channel).ExportJournal(apb.ExportJournalRequest()))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    metadata = dict(caught.value.trailing_metadata() or ())
    assert "grpc-status-details-bin" in metadata  # google.rpc.Status with BadRequest, on a stream too
    with pytest.raises(grpc.RpcError) as caught:
        list(audit_stub(channel).ExportJournal(apb.ExportJournalRequest(format=FORMATS["csv"], parties=["ghost"])))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_beancount_export_passes_bean_check(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    seed(stub)
    path = tmp_path / "journal.beancount"
    manifest = export(channel, path, "beancount")
    text = path.read_text()
    assert "open Assets:Bank-Hz:Loans:Hz001 CNY" in text
    assert "commodity OPT-ACME" in text
    assert "Assets:Invest:Options:Acme  100000 OPT-ACME" in text
    result = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert verify_export(path, manifest).ok

    from beancount import loader

    entries, errors, _ = loader.load_file(str(path))
    assert not errors
    transactions = [e for e in entries if type(e).__name__ == "Transaction"]
    assert len(transactions) == manifest["counts"]["legs"]
