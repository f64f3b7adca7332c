"""The audit report's stylesheet: screen, print (A4) and the fonts that show Chinese party names.

Fonts: party names are Chinese (杭州科技支行), so the stack names CJK fonts after the Latin system
fonts. A browser falls back font by font for each character it cannot draw, so Latin text keeps the
system face and Han characters come from the first CJK font present: Noto Sans CJK SC (Debian's
`fonts-noto-cjk`, which `make browser` installs where the test renders the page), Source Han Sans SC
(the same design under Adobe's name), PingFang SC (macOS), Microsoft YaHei (Windows). Without any of
them a browser draws empty boxes ("tofu"), which is what the report looked like before (issue 21).

Print: `@page` asks for A4 with 14 mm margins; charts scale to the column (`max-width: 100%` on the SVG
with its `viewBox`), table headers repeat on every page, rows, charts and the summary are not split, the
trial balance starts on a new page, and colours print as on screen (`print-color-adjust: exact`).
Folded zero-balance rows stay folded on paper: the fold's one-line summary says how many there are.
"""

from __future__ import annotations

FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", '
    '"PingFang SC", "Microsoft YaHei", sans-serif'
)
MONO_STACK = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace'

STYLE = f"""
:root{{--ink:#1f2328;--muted:#57606a;--rule:#d0d7de;--head:#f6f8fa;--ok:#15803d;--bad:#b91c1c}}
*{{box-sizing:border-box}}
html{{-webkit-text-size-adjust:100%}}
body{{font-family:{FONT_STACK};color:var(--ink);margin:0;line-height:1.45;font-size:15px}}
main{{max-width:1040px;margin:0 auto;padding:1.5rem 1.5rem 3rem}}
h1{{font-size:1.55rem;margin:.2rem 0 .2rem}}
h2{{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--rule);padding-bottom:.3rem}}
h3{{font-size:1.02rem;margin:1.4rem 0 .4rem}}
p{{margin:.4rem 0}}
.sub{{color:var(--muted);margin:0 0 1rem}}
code,pre{{font-family:{MONO_STACK};font-size:.84em}}
.hash{{overflow-wrap:anywhere;word-break:break-all}}
pre{{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--head);padding:.6rem;border:1px solid var(--rule)}}
table{{border-collapse:collapse;margin:.4rem 0 .8rem;max-width:100%}}
th,td{{border:1px solid var(--rule);padding:.22rem .55rem;vertical-align:top;text-align:left}}
thead th,tfoot th{{background:var(--head)}}
td code{{overflow-wrap:anywhere}}
.num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
.wide{{width:100%}}
.ok{{color:var(--ok);font-weight:600}}.bad{{color:var(--bad);font-weight:600}}
.none{{color:var(--muted);font-style:italic}}
.verdict{{font-size:1.05rem;padding:.55rem .8rem;border:1px solid;border-left-width:6px;margin:.3rem 0 .8rem}}
.verdict.ok{{border-color:var(--ok);background:#f0fdf4}}.verdict.bad{{border-color:var(--bad);background:#fef2f2}}
.facts{{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.4rem 0 .8rem}}
.facts dt{{font-weight:600}}.facts dd{{margin:0;min-width:0}}
.summary-grid{{display:flex;flex-wrap:wrap;gap:0 2.5rem}}
.summary-grid>div{{flex:0 1 auto}}
.exceptions li{{margin:.15rem 0}}
nav.toc{{color:var(--muted);font-size:.92rem}}nav.toc a{{color:inherit}}
figure{{margin:.4rem 0 1rem}}
svg.chart{{display:block;max-width:100%;height:auto}}
svg text{{font-size:12px;fill:var(--ink)}}svg .tick{{font-size:11px;fill:var(--muted)}}
svg .axis-title{{font-size:11.5px;fill:var(--muted);font-style:italic}}svg .value{{font-variant-numeric:tabular-nums}}
svg .value.inside{{fill:#fff}}
figcaption{{color:var(--muted);font-size:.9rem}}
ul.legend{{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.2rem 1.4rem}}
ul.legend li{{display:flex;align-items:center;gap:.4rem;min-width:0}}ul.legend span{{overflow-wrap:anywhere}}
svg.key{{flex:none}}
details.zeros{{margin:-.4rem 0 1rem}}details.zeros>summary{{cursor:pointer;color:var(--muted)}}
details.zeros table{{margin-top:.4rem}}
.kind{{color:var(--muted);font-weight:400}}
@media (max-width:600px){{main{{padding:1rem .6rem}}.facts{{grid-template-columns:1fr}}}}
@page{{size:A4;margin:14mm 12mm}}
@media print{{
  body{{font-size:10pt}}
  main{{max-width:none;padding:0}}
  *{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
  nav.toc,.screen-only{{display:none}}
  h2,h3{{break-after:avoid}}
  #trial-balance{{break-before:page}}
  figure,.verdict,tr,.facts,.party-head{{break-inside:avoid}}
  thead{{display:table-header-group}}tfoot{{display:table-row-group}}
  details.zeros>summary{{list-style:none}}details.zeros>summary::-webkit-details-marker{{display:none}}
  a{{color:inherit;text-decoration:none}}
}}
"""
