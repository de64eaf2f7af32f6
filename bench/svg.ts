/** The load test's latency distribution as a hand-written SVG: one CDF per request kind, log-scaled time axis. */
import { percentile } from './stats.ts';

const COLORS: Record<string, string> = { submit: '#d62728', status: '#1f77b4', cancel: '#2ca02c', result: '#9467bd' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function latencySvg(series: Record<string, number[]>, title: string): string {
  const W = 760;
  const H = 420;
  const m = { left: 60, right: 190, top: 40, bottom: 50 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = Object.values(series)
    .flat()
    .filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...all, 1))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 10)));
  const x = (v: number) => m.left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
  const y = (q: number) => m.top + ph - q * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`);
  // Grid and axes.
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v > hi * 1.0001) break;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${m.top}" x2="${gx}" y2="${m.top + ph}" stroke="${k === 1 ? '#ccc' : '#eee'}"/>`);
      if (k === 1 || k === 5)
        out.push(`<text x="${gx}" y="${m.top + ph + 16}" text-anchor="middle">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
    }
  }
  for (const q of [0, 0.25, 0.5, 0.75, 0.95, 0.99, 1]) {
    const gy = y(q).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${gy}" x2="${m.left + pw}" y2="${gy}" stroke="${q === 0.95 || q === 0.99 ? '#f3d0d0' : '#eee'}"/>`);
    out.push(`<text x="${m.left - 6}" y="${Number(gy) + 4}" text-anchor="end">${Math.round(q * 100)}%</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">latency (log scale)</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">share of requests at or below</text>`);
  // One CDF per series, downsampled to at most 400 points.
  let legendY = m.top + 10;
  for (const [name, values] of Object.entries(series)) {
    if (values.length === 0) continue;
    const sorted = [...values].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 400));
    const pts: string[] = [];
    for (let i = 0; i < sorted.length; i += step) pts.push(`${x(sorted[i]!).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`);
    pts.push(`${x(sorted[sorted.length - 1]!).toFixed(1)},${y(1).toFixed(1)}`);
    const color = COLORS[name] ?? '#333';
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    const p = (q: number) => percentile(sorted, q).toFixed(0);
    out.push(`<line x1="${m.left + pw + 12}" y1="${legendY}" x2="${m.left + pw + 32}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${m.left + pw + 38}" y="${legendY + 4}">${esc(name)} (n=${sorted.length})</text>`);
    out.push(`<text x="${m.left + pw + 38}" y="${legendY + 19}" fill="#555">p50 ${p(50)} · p95 ${p(95)} · p99 ${p(99)} ms</text>`);
    legendY += 44;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
