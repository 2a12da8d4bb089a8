import type { StoredFill, StoredOrder, UserShow, UserSummary } from './desk.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x: number | null | undefined, d = 2): string => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '-');

/** The users page's stylesheet (inline in a file, /assets/users.css on a server). */
export const USERS_CSS =
  'body{font-family:system-ui,sans-serif;margin:24px;max-width:960px}table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}th:first-child,td:first-child{text-align:left}.chart text{font-size:11px;fill:#555}nav a{color:#2563eb}';

/** Account value over time as an SVG line (dates on x). */
function accountChart(id: string, rows: { date: string; account: number }[]): string {
  const W = 900;
  const H = 220;
  const L = 80;
  const R = 12;
  const T = 24;
  const B = 28;
  if (!rows.length) return `<p>No trading day yet.</p>`;
  const vals = rows.map((r) => r.account);
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (hi === lo) hi = lo + 1;
  const x = (i: number): number => L + (rows.length <= 1 ? 0 : (i * (W - L - R)) / (rows.length - 1));
  const y = (v: number): number => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const pts = vals.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return [
    `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="account value of ${esc(id)}" xmlns="http://www.w3.org/2000/svg" class="chart">`,
    `<text x="${L}" y="16">account value</text>`,
    `<text x="4" y="${y(hi) + 4}">${fmt(hi, 0)}</text><text x="4" y="${y(lo) + 4}">${fmt(lo, 0)}</text>`,
    `<text x="${L}" y="${H - 8}">${esc(rows[0]!.date)}</text><text x="${W - R}" y="${H - 8}" text-anchor="end">${esc(rows[rows.length - 1]!.date)}</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${pts}"/>`,
    '</svg>',
  ].join('');
}

export interface UserPageData {
  show: UserShow;
  day: { date: string | null; orders: StoredOrder[]; fills: StoredFill[] };
}

/** The users page: every user, and for each the account value over time, today's positions and the last orders. */
export function renderUsersHtml(list: UserSummary[], users: UserPageData[], options: { refreshSeconds?: number; stylesheet?: string } = {}): string {
  const parts: string[] = [
    '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>qonline users</title>',
    options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '',
    // A server links the stylesheet (its content-security policy allows no inline style); a file carries it inline.
    options.stylesheet ? `<link rel="stylesheet" href="${esc(options.stylesheet)}">` : `<style>${USERS_CSS}</style>`,
    '</head><body>',
    options.stylesheet ? '<nav><a href="/">dashboard</a></nav>' : '',
    '<h1>Users</h1>',
  ];
  if (!list.length) parts.push('<p>No users. <code>qonline users add ID --config USER.yaml --date D</code></p>');
  else {
    parts.push('<table><tr><th>user</th><th>first</th><th>last day</th><th>step</th><th>cash</th><th>account</th><th>holdings</th></tr>');
    for (const u of list) {
      parts.push(`<tr><td><a href="#${esc(u.id)}">${esc(u.id)}</a></td><td>${esc(u.first_date)}</td><td>${esc(u.last_date ?? '-')}</td><td>${esc(u.step)}${u.pending_date ? ` ${esc(u.pending_date)}` : ''}</td><td>${fmt(u.cash)}</td><td>${fmt(u.account)}</td><td>${u.holdings}</td></tr>`);
    }
    parts.push('</table>');
  }
  for (const { show, day } of users) {
    parts.push(`<section id="${esc(show.id)}"><h2>${esc(show.id)}</h2>`);
    parts.push(accountChart(show.id, show.report));
    const r = show.risk.excess_return_with_cost;
    parts.push(`<p>excess return with cost: annualised ${fmt(r.annualized_return, 4)}, information ratio ${fmt(r.information_ratio, 4)}, max drawdown ${fmt(r.max_drawdown, 4)}</p>`);
    parts.push(`<h3>Positions (${esc(show.last_date ?? '-')})</h3><table><tr><th>instrument</th><th>amount</th><th>price</th><th>weight</th><th>days held</th></tr>`);
    for (const [code, h] of Object.entries(show.positions)) parts.push(`<tr><td>${esc(code)}</td><td>${fmt(h.amount)}</td><td>${fmt(h.price, 4)}</td><td>${fmt(h.weight, 4)}</td><td>${h.count_day}</td></tr>`);
    parts.push(`</table><h3>Last orders (${esc(day.date ?? '-')})</h3><table><tr><th>instrument</th><th>direction</th><th>amount</th><th>dealt</th><th>price</th><th>cost</th></tr>`);
    for (const o of day.orders) {
      const f = day.fills.find((x) => x.seq === o.seq);
      parts.push(`<tr><td>${esc(o.instrument)}</td><td>${o.direction}</td><td>${fmt(o.amount)}</td><td>${f ? fmt(f.deal_amount) : 'not executed'}</td><td>${f ? fmt(f.price, 4) : '-'}</td><td>${f ? fmt(f.cost) : '-'}</td></tr>`);
    }
    parts.push('</table></section>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}
