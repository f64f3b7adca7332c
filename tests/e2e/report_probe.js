// Measures the audit report as Chromium laid it out; tests/e2e/test_audit_report_browser.py evaluates it
// from outside the page (the report itself has no script). It returns plain JSON:
//
// - overflow: the document's scrollWidth and the viewport's width, and every table, chart, figure,
//   legend, list of facts or <pre> that sticks out of the element it sits in (a clipped or overlapping
//   box does not widen the document, so the document's width alone would miss it);
// - charts: per <svg class="chart">, its drawn size, the number of data marks (bars, step lines,
//   points) with a non-zero box, the axis tick labels, and any text that runs past the chart's edge
//   (an SVG cuts it off);
// - rows: trial-balance rows a reader sees and rows that exist but are folded away (no layout box);
// - glyphs: every distinct Chinese character on the page drawn on a canvas in the font the page gives
//   its element, compared with the box a browser draws for a character no font has (U+10FFFD, private
//   use): a character that draws as that box, or as nothing, is missing. `probe` checks the method
//   itself: two unassigned characters draw the same box, and "A" does not.
// - structure: the section headings and chart names in order, for comparing one width with another.
(() => {
  const viewport = document.documentElement.clientWidth;
  // Inside a closed <details> an element keeps its boxes (content-visibility: hidden): ask the browser.
  const visible = (el) => el.checkVisibility() && el.getClientRects().length > 0;
  const overflow = [];
  for (const el of document.querySelectorAll("table, svg.chart, figure, ul.legend, dl, pre, h1, h2, h3, p")) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    if (box.right > parent.right + 0.5 || box.left < parent.left - 0.5 || box.right > viewport + 0.5) {
      overflow.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className}: ${box.left}-${box.right} in ${parent.left}-${parent.right}`);
    }
  }
  const charts = [...document.querySelectorAll("svg.chart")].map((svg) => {
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll("rect.bar, polyline.series, circle")];
    const drawn = marks.filter((m) => {
      const b = m.getBoundingClientRect();
      return b.width > 0 && b.height > 0;
    });
    return {
      name: svg.dataset.chart,
      width: box.width,
      height: box.height,
      marks: marks.length,
      drawn: drawn.length,
      bars: svg.querySelectorAll("rect.bar").length,
      series: svg.querySelectorAll("polyline.series").length,
      ticks: [...svg.querySelectorAll("text.tick")].map((t) => t.textContent),
      clipped: [...svg.querySelectorAll("text")].filter((t) => {
        const b = t.getBoundingClientRect(); // text past the SVG's edge is cut off
        return b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5;
      }).map((t) => t.textContent),
    };
  });
  const rows = [...document.querySelectorAll("table.trial tbody tr")];
  const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/gu;
  const size = 40;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size * 2;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const pixels = (text, font) => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = font;
    ctx.textBaseline = "top";
    ctx.fillStyle = "#000";
    ctx.fillText(text, 4, 4);
    return ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  };
  const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  const blank = (a) => a.every((v, i) => i % 4 !== 3 || v === 0);
  const checked = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const found = node.data.match(han);
    if (!found || !visible(node.parentElement)) continue;
    const style = getComputedStyle(node.parentElement);
    const font = `${style.fontStyle} ${style.fontWeight} ${size}px ${style.fontFamily}`;
    const tofu = pixels("\u{10FFFD}", font);
    for (const ch of found) {
      const key = `${ch} ${font}`;
      if (checked.has(key)) continue;
      const drawn = pixels(ch, font);
      checked.set(key, { ch, missing: blank(drawn) || same(drawn, tofu) });
    }
  }
  const body = `400 ${size}px ${getComputedStyle(document.body).fontFamily}`;
  const glyphs = {
    probe: {
      tofuIsOneBox: same(pixels("\u{10FFFC}", body), pixels("\u{10FFFD}", body)),
      latinDiffers: !same(pixels("A", body), pixels("\u{10FFFD}", body)),
    },
    checked: [...new Set([...checked.values()].map((r) => r.ch))].sort(),
    missing: [...new Set([...checked.values()].filter((r) => r.missing).map((r) => r.ch))].sort(),
  };
  return {
    viewport,
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
    overflow,
    charts,
    rows: { shown: rows.filter(visible).length, folded: rows.filter((r) => !visible(r)).length },
    folds: [...document.querySelectorAll("details.zeros > summary")].map((s) => s.textContent.trim()),
    glyphs,
    structure: [...document.querySelectorAll("h2, h3, svg.chart")].map((el) =>
      el.tagName.toLowerCase() === "svg" ? `chart:${el.dataset.chart}` : `${el.tagName.toLowerCase()}:${el.textContent.trim()}`
    ),
  };
})()
