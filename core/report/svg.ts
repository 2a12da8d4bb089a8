/** Tiny dependency-free SVG charts for the HTML report. */

export interface Series {
  name: string;
  /** y per x index; NaN = gap. */
  values: number[];
  color: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function lineChart(title: string, xLabels: string[], series: Series[], opts: { width?: number; height?: number; zeroLine?: boolean; kind?: 'line' | 'bar' } = {}): string {
  const W = opts.width ?? 900;
  const H = opts.height ?? 260;
  const L = 56;
  const R = 12;
  const T = 28;
  const B = 36;
  const n = xLabels.length;
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  let lo = Math.min(...all, opts.zeroLine ? 0 : Infinity);
  let hi = Math.max(...all, opts.zeroLine ? 0 : -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const x = (i: number): number => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (v: number): number => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg" class="chart">`);
  parts.push(`<text x="${L}" y="18" class="title">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" class="axis" text-anchor="end">${fmtTick(v)}</text>`);
  }
  if (opts.zeroLine && lo < 0 && hi > 0) parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" class="zero"/>`);
  const ticks = Math.min(6, n);
  for (let k = 0; k < ticks; k++) {
    const i = ticks === 1 ? 0 : Math.round((k * (n - 1)) / (ticks - 1));
    parts.push(`<text x="${x(i).toFixed(1)}" y="${H - 12}" class="axis" text-anchor="middle">${esc(xLabels[i] ?? '')}</text>`);
  }
  for (const s of series) {
    if (opts.kind === 'bar') {
      const w = Math.max(1, (W - L - R) / Math.max(1, n) - 0.5);
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        const y0 = y(Math.max(0, lo));
        parts.push(`<rect x="${(x(i) - w / 2).toFixed(1)}" y="${Math.min(y(v), y0).toFixed(1)}" width="${w.toFixed(1)}" height="${Math.abs(y0 - y(v)).toFixed(1)}" fill="${s.color}"><title>${esc(xLabels[i]!)}: ${fmtTick(v)}</title></rect>`);
      });
      continue;
    }
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${esc(s.name)}</title></path>`);
  }
  series.forEach((s, k) => {
    parts.push(`<rect x="${W - R - 170}" y="${8 + k * 14}" width="10" height="10" fill="${s.color}"/><text x="${W - R - 155}" y="${17 + k * 14}" class="legend">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface TimelineBar {
  row: string;
  start: number;
  end: number;
  color: string;
  label: string;
}

/** Horizontal bars on a date axis (the online-model timeline). */
export function timeline(title: string, xLabels: string[], rows: string[], bars: TimelineBar[], opts: { width?: number } = {}): string {
  const W = opts.width ?? 900;
  const L = 150;
  const R = 12;
  const T = 28;
  const rowH = 16;
  const H = T + rows.length * rowH + 36;
  const n = xLabels.length;
  const x = (i: number): number => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const parts = [`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg" class="chart">`, `<text x="${L}" y="18" class="title">${esc(title)}</text>`];
  rows.forEach((r, k) => parts.push(`<text x="${L - 6}" y="${T + k * rowH + 12}" class="axis" text-anchor="end">${esc(r)}</text>`));
  for (const b of bars) {
    const k = rows.indexOf(b.row);
    const x0 = x(b.start);
    const x1 = Math.max(x0 + 2, x(b.end));
    parts.push(`<rect x="${x0.toFixed(1)}" y="${T + k * rowH + 2}" width="${(x1 - x0).toFixed(1)}" height="${rowH - 4}" fill="${b.color}" rx="2"><title>${esc(b.label)}</title></rect>`);
  }
  const ticks = Math.min(6, n);
  for (let k = 0; k < ticks; k++) {
    const i = ticks === 1 ? 0 : Math.round((k * (n - 1)) / (ticks - 1));
    parts.push(`<text x="${x(i).toFixed(1)}" y="${H - 12}" class="axis" text-anchor="middle">${esc(xLabels[i] ?? '')}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1e5)) return v.toExponential(1);
  return Number(v.toFixed(a < 1 ? 3 : 1)).toString();
}

export { esc };
