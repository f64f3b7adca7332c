"""docs/audit.md's signed-checkpoint example: the documented note is what audit/checkpoint.py signs with
the documented key, and the documented offline procedure (its Python block) runs and passes."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import checkpoint as cp
from audit import proofs
from audit.report import ReportData, render_html

DOC = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")


def _example() -> tuple[cp.Signer, str]:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"toudai docs example key").digest())
    signer = cp.Signer("ckpt-2026", key)
    legs = [hashlib.sha256(f"leg {i}".encode()).hexdigest() for i in (1, 2, 3)]
    root = proofs.root_of([proofs.leg_leaf_hash(h) for h in legs])
    heads = [("bank-hz", 3, legs[2]), ("pool", 0, "0" * 64)]
    when = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
    return signer, cp.sign(cp.build("toudai.example/ledger", heads, {"bank-hz": root}, when), [signer])


def test_the_documented_note_is_what_the_server_signs() -> None:
    signer, note = _example()
    section = DOC[DOC.index("### A worked example") :]
    shown = section[section.index("```text\n") + 8 : section.index("```", section.index("```text\n") + 8)]
    assert shown == note
    assert signer.verifier.vkey in section
    parsed = cp.verify_note(shown, [cp.parse_vkey(signer.verifier.vkey)])
    assert parsed.books["bank-hz"].size == 3 and parsed.signed_by == ("ckpt-2026",)


def test_the_documented_offline_procedure_runs() -> None:
    section = DOC[DOC.index("## Offline procedure") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), "docs/audit.md", "exec"), {})  # the documented procedure itself
    assert out.getvalue().startswith("OK:")


def test_the_report_shows_its_signed_checkpoint() -> None:
    _, note = _example()
    data = ReportData(dt.date(2026, 12, 5), "now", [], [], [], [], checkpoint="abc", signed_checkpoint=note)
    html = render_html(data)
    assert "Signed checkpoint this report was made from" in html and "toudai.example/ledger" in html
