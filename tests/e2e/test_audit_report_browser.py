"""The HTML audit report in a real headless Chromium, at a desktop width (1280 px) and at A4's (794 px).

`toudai audit report` runs against `toudai serve` (SQLite and PostgreSQL) on the audit test portfolio
(tests/integration/test_audit_seed.py), and the page is measured as Chromium lays it out
(tests/e2e/report_probe.js, evaluated from outside: the report has no script). At both widths: nothing
sticks out of the window or out of the box it sits in, every chart is drawn with all its marks, the axes
carry ticks between their ends, the 2 zero-balance rows are folded away and the 15 others shown, and
every Chinese character is drawn with a real glyph (checked on a canvas against the box drawn for a
character no font has, and through DevTools: a CJK font drew the party names). The two widths give the
same structure (headings, charts, rows); full-page screenshots of both have the window's width exactly.
The print layout (A4, `@media print`) fits its paper, and printing gives A4 pages.

A second test shows that the glyph check catches tofu: with a font configuration that has no CJK font,
the same report's Chinese names are reported missing.

Set TOUDAI_REPORT_SCREENSHOT=FILE to keep the desktop screenshot's top (docs/images/audit-report.png is
made that way: docs/audit.md, "The HTML report").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import struct
from pathlib import Path
from typing import Any

import grpc
import pytest

from audit.report import PartyTrial, ReportData, TrialLine, TrialTotal, render_html
from tests.e2e.chromium import CHROMIUM, Browser
from tests.integration.test_audit_seed import seed
from tests.serving import Server
from toudai.v1 import ledger_pb2_grpc

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PROBE = (Path(__file__).parent / "report_probe.js").read_text(encoding="utf-8")
DESKTOP, A4 = 1280, 794  # A4 is 210 mm: 794 CSS pixels at 96 px per inch
A4_PRINTED = 703  # the A4 page's width inside its 12 mm margins (186 mm)
A4_POINTS = (595, 842)  # a PDF's A4 page, in points (1/72 in)
CJK_FONTS = {"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei"}
DOCS_SHOT_HEIGHT = 1180  # the summary and the first chart

# The seed's figures at the end of 2026-12-31, worked out from its transactions by hand.
SHOWN_ROWS = 15  # 17 accounts, of which bank-hz/due-from-pool and pool/due-to-bank-hz are back to 0
FOLDED_ROWS = 2
AMOUNTS = [
    "5,700,000.00",  # bank-hz cash: 10,000,000.00 - 3,000,000.00 - 1,500,000.00 + 200,000.00
    "10,200,000.00",  # bank-hz totals: equity 10,000,000.00 + recoveries 200,000.00
    "2,500,000.00",  # bank-nb cash: 5,000,000.00 - 2,500,000.00 (the 1.23 is reversed)
    "1,800,000.00",  # pool cash: 2,000,000.00 - 200,000.00
    "150,000.50",  # invest option fair value: 120,000.00 + 30,000.50
    "17,350,000.50",  # all books' CNY totals: 10,200,000.00 + 5,000,000.00 + 2,000,000.00 + 150,000.50
]
# Risk-pool cash from 2026-01-05 to 2026-12-31 (360 days on 592 px): values 0..2,000,000 in steps of
# 500,000; month starts every 2 months (5 fit), less those within 100 px of an end (03-01, 11-01).
POOL_TICKS = [
    "0",
    "500,000",
    "1,000,000",
    "1,500,000",
    "2,000,000",
    "2026-05-01",
    "2026-07-01",
    "2026-09-01",
    "2026-01-05",
    "2026-12-31",
]


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (make test installs it: make browser)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def _measure(browser: Browser, page: Path, width: int, shot: Path) -> dict[str, Any]:
    browser.open(page, width=width)
    found: dict[str, Any] = browser.evaluate(PROBE)
    assert found["viewport"] == width
    assert found["scrollWidth"] <= width, found["scrollWidth"]  # no horizontal scrolling
    assert found["overflow"] == [], found["overflow"]  # nothing sticks out of its box either
    assert _png_size(browser.screenshot(shot)) == (width, found["scrollHeight"])
    return found


def _platform_fonts(browser: Browser, selector: str) -> set[str]:
    browser.page("DOM.enable")
    browser.page("CSS.enable")
    root = browser.page("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = browser.page("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = browser.page("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"] for f in fonts}


def test_report_at_desktop_and_a4_widths(server: Server, tmp_path: Path) -> None:
    seed(ledger_pb2_grpc.LedgerServiceStub(grpc.insecure_channel(server.target)))
    page = tmp_path / "report.html"
    server.ok("audit", "report", "--as-of", "2026-12-31", "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "https://" not in text
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for amount in AMOUNTS:
        assert f">{amount}<" in text, amount
    exposures = text[text.index('id="exposures"') : text.index('id="options"')]
    assert re.findall(r"<title>([^<]*)</title>", exposures) == [
        "bank-hz (CNY): 4,500,000.00",  # loans.hz001 3,000,000.00 + loans.hz002 1,500,000.00
        "bank-nb (CNY): 2,500,000.00",  # loans.nb001 (the 1.23 is reversed)
    ]
    _need_chromium()

    with Browser(tmp_path / "profile") as browser:
        desktop = _measure(browser, page, DESKTOP, tmp_path / "desktop.png")
        a4 = _measure(browser, page, A4, tmp_path / "a4.png")
        for found in (desktop, a4):
            charts = {c["name"]: c for c in found["charts"]}
            assert list(charts) == ["exposures", "option-values", "risk-pool"]
            for chart in charts.values():
                assert chart["width"] > 0 and chart["height"] > 0, chart
                assert chart["drawn"] == chart["marks"] > 0, chart  # every bar, line and point has a box
                assert chart["clipped"] == [], chart  # no label cut off at the chart's edge
            assert (charts["exposures"]["bars"], charts["option-values"]["series"]) == (2, 1), charts
            assert charts["risk-pool"]["series"] == 1 and charts["risk-pool"]["ticks"] == POOL_TICKS
            assert found["rows"] == {"shown": SHOWN_ROWS, "folded": FOLDED_ROWS}
            assert found["folds"] == ["1 account with a zero balance (show)"] * 2  # bank-hz's, then pool's
            assert found["glyphs"]["probe"] == {"tofuIsOneBox": True, "latinDiffers": True}
            assert "杭" in found["glyphs"]["checked"] and found["glyphs"]["missing"] == []
        assert a4["structure"] == desktop["structure"]
        assert a4["structure"][:2] == ["h2:Summary", "h3:Exceptions"]  # the summary comes first
        assert a4["charts"][0]["width"] < desktop["charts"][0]["width"]  # scaled to the narrower column
        assert a4["scrollHeight"] >= desktop["scrollHeight"]
        assert _platform_fonts(browser, "h3.party-head") & CJK_FONTS  # a CJK font drew 杭州科技支行

        keep = os.environ.get("TOUDAI_REPORT_SCREENSHOT")
        if keep:
            browser.open(page, width=DESKTOP)
            browser.screenshot(Path(keep), clip_height=DOCS_SHOT_HEIGHT)

        browser.open(page, width=A4_PRINTED, media="print")
        printed = browser.evaluate(PROBE)
        assert printed["scrollWidth"] <= A4_PRINTED and printed["overflow"] == [], printed["overflow"]
        assert printed["rows"] == {"shown": SHOWN_ROWS, "folded": FOLDED_ROWS}  # folded on paper too
        pdf = browser.print_pdf(tmp_path / "report.pdf")
    boxes = re.findall(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 2 and len(boxes) >= pages
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {A4_POINTS}


def test_the_glyph_check_sees_tofu_without_a_cjk_font(tmp_path: Path) -> None:
    """With fontconfig limited to DejaVu (no CJK font), the probe reports the Chinese name as missing:
    the check above would fail on a machine without fonts-noto-cjk, as the report looked in issue 21."""
    _need_chromium()
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        pytest.skip("fonts-dejavu-core is not installed")
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{dejavu}</dir><cachedir>{tmp_path / 'font-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    data = ReportData(
        dt.date(2026, 12, 31),
        "2026-12-31 18:00:00 UTC",
        [
            PartyTrial(
                "bank-hz",
                "杭州科技支行",
                "bank_branch",
                (
                    TrialLine("cash", "asset", "CNY", "1.00", "0.00"),
                    TrialLine("equity", "equity", "CNY", "0.00", "1.00"),
                ),
                (TrialTotal("CNY", "1.00", "1.00", True),),
                True,
            )
        ],
        [],
        [],
        [],
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(data), encoding="utf-8")
    with Browser(tmp_path / "profile", env={**os.environ, "FONTCONFIG_FILE": str(config)}) as browser:
        browser.open(page, width=A4)
        found = browser.evaluate(PROBE)
        assert found["glyphs"]["probe"] == {"tofuIsOneBox": True, "latinDiffers": True}
        assert found["glyphs"]["missing"] == sorted("杭州科技支行")
        assert not _platform_fonts(browser, "h3.party-head") & CJK_FONTS
