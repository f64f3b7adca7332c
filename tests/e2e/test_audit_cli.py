"""End to end: `toudai export` and `toudai audit ...` against `toudai serve`, as an auditor runs them.

The export is verified offline (the server is stopped first: `audit verify` must not need it), a tampered
copy fails with the right sequence number and exit code 1, `bean-check` accepts the Beancount export,
`audit follow` killed mid-way resumes with no gap and no duplicate. (`toudai audit report` in headless
Chromium: tests/e2e/test_audit_report_browser.py.)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc

from tests.integration.test_audit_seed import seed, transfer
from tests.serving import TOUDAI, Server, cli_env, run
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def _seed(target: str, **options: int) -> ledger_pb2_grpc.LedgerServiceStub:
    channel = grpc.insecure_channel(target)
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    seed(stub, **options)
    return stub


def test_export_verify_offline_and_tampered(server: Server, tmp_path: Path) -> None:
    _seed(server.target, extra_transfers=10)
    exports = {}
    for fmt in ("jsonl", "csv", "beancount"):
        out = tmp_path / f"journal.{fmt}"
        result = server.ok("export", "--format", fmt, "--out", str(out))
        assert "exported 25 legs" in result.stdout
        assert out.exists() and (tmp_path / f"journal.{fmt}.manifest.json").exists()
        exports[fmt] = out
    one = json.loads(
        server.ok(
            "export", "--format", "jsonl", "--out", str(tmp_path / "pool.jsonl"), "--party", "pool", "--json"
        ).stdout
    )
    assert one["legs"] == 3

    bean = subprocess.run([str(BEAN_CHECK), str(exports["beancount"])], capture_output=True, text=True, check=False)
    assert bean.returncode == 0, bean.stdout + bean.stderr

    heads = server.json("audit", "head")
    assert len(heads["heads"]) == 4 and re.fullmatch(r"[0-9a-f]{64}", heads["checkpoint"])
    assert server.json("audit", "verify-chain", "bank-hz")["ok"] is True
    trial = server.json("audit", "trial-balance", "--as-of", "2026-03-31")
    assert trial["balanced"] is True and len(trial["parties"]) == 4
    assert server.stop() == 0  # from here on, no server: verification is offline

    for fmt in ("jsonl", "csv", "beancount", "pool"):
        path = exports.get(fmt, tmp_path / "pool.jsonl")
        verified = run("audit", "verify", str(path))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "OK" in verified.stdout

    tampered = tmp_path / "tampered.jsonl"
    lines = exports["jsonl"].read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(lines[6])  # bank-hz seq 7
    assert (row["book"], row["seq"]) == ("bank-hz", 7)
    row["postings"][0]["amount"] += 1
    lines[6] = json.dumps(row, ensure_ascii=False) + "\n"
    del lines[9]  # bank-hz seq 10
    tampered.write_text("".join(lines), encoding="utf-8")
    shutil.copy(tmp_path / "journal.jsonl.manifest.json", tmp_path / "tampered.jsonl.manifest.json")
    failed = run("audit", "verify", str(tampered))
    assert failed.returncode == 1
    assert "bank-hz seq 7: EDITED" in failed.stdout and "bank-hz seq 10: MISSING" in failed.stdout
    assert "first bad sequence number: 7" in failed.stdout
    report = json.loads(run("audit", "verify", str(tampered), "--json").stdout)
    assert report["ok"] is False and report["first_bad_sequence"] == 7
    assert run("audit", "verify", str(tmp_path / "nothing.jsonl")).returncode == 2


def test_follow_killed_midway_resumes_without_gap_or_duplicate(server: Server, tmp_path: Path) -> None:
    stub = _seed(server.target, extra_transfers=200)
    copy = tmp_path / "copy.jsonl"
    process = subprocess.Popen(
        [TOUDAI, "--target", server.target, "audit", "follow", "--out", str(copy)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not copy.exists() or copy.read_bytes().count(b"\n") < 50):
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)  # no goodbye: the follower just dies
        process.wait(10)
    seen = copy.read_bytes().count(b"\n")
    assert seen >= 50
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                transfer(f"after-{n}", dt.date(2026, 7, 1), "pool/cash", "pool/fund", "1.00") for n in range(5)
            ]
        )
    )
    resumed = server.cli("audit", "follow", "--out", str(copy), "--once")
    assert resumed.returncode == 0, resumed.stderr
    followed = [json.loads(line) for line in copy.read_text(encoding="utf-8").splitlines()]
    keys = [(r["book"], r["seq"]) for r in followed]
    assert len(keys) == len(set(keys)), "duplicates"
    full = tmp_path / "full.jsonl"
    server.ok("export", "--format", "jsonl", "--out", str(full))
    exported = [json.loads(line) for line in full.read_text(encoding="utf-8").splitlines()]
    assert sorted(followed, key=lambda r: (r["book"], r["seq"])) == exported  # byte-for-byte the same rows
    printed = server.ok("audit", "follow", "--from", "2", "--party", "pool", "--once").stdout.splitlines()
    assert [json.loads(line)["seq"] for line in printed] == [2, 3, 4, 5, 6, 7, 8]
