/**
 * The billing console at /console: one self-contained page (inline CSS, JS and SVG; no CDN)
 * that reads the admin API — /v1/reports/overview and /v1/events — and shows an operator
 * subscriptions by status, charges per day, revenue per month per currency, invoices in
 * dunning with their next step, gateway refusals and the latest events.
 *
 * Auth: the data is behind the admin token (the page itself holds none). Either every request
 * carries the token in a header (a proxy, or a browser's Basic login with the token as the
 * password), or it is typed into the page, which then sends it as a Bearer header (kept in
 * sessionStorage for the tab).
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Billing console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}
header h1{font-size:17px;margin:0;flex:1}header input{width:260px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:14px;padding:14px 20px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px 14px}
.card h2{font-size:14px;margin:0 0 8px}.wide{grid-column:1/-1}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px 3px 0;text-align:left;border-bottom:1px solid #f0f1f3;white-space:nowrap}
td.n,th.n{text-align:right}.muted{color:#778}.err{color:#b3261e}.bar{height:10px;background:#4a7bd0;display:inline-block;vertical-align:middle}
.legend span{margin-right:12px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
svg text{font-size:10px;fill:#556}
</style></head><body data-state="loading">
<header><h1>Billing console</h1><span id="asof" class="muted"></span>
<form id="tokenForm"><input id="token" type="password" placeholder="admin token" autocomplete="off"> <button>Use</button></form></header>
<main>
<div class="card"><h2>Subscriptions by status</h2><table id="subs"></table></div>
<div class="card"><h2>Charges per day</h2><div id="charges"></div></div>
<div class="card wide"><h2>Revenue per month</h2><div id="revenue"></div></div>
<div class="card wide"><h2>Invoices in dunning</h2><table id="dunning"></table></div>
<div class="card"><h2>Gateway refusals</h2><div id="refusals"></div></div>
<div class="card"><h2>Latest events</h2><table id="events"></table></div>
</main>
<p id="error" class="err" style="padding:0 20px"></p>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const COLORS = ['#4a7bd0', '#e0883c', '#3ba272', '#9a60b4', '#d04a6e', '#5ab1c4'];
function headers() {
  const t = sessionStorage.getItem('billingAdminToken');
  return t ? { authorization: 'Bearer ' + t } : {};
}
async function api(path) {
  const r = await fetch(path, { headers: headers(), credentials: 'same-origin' });
  const body = await r.json();
  if (!r.ok) throw new Error(path + ': ' + (body.error ? body.error.code + ' — ' + body.error.message : r.status));
  return body;
}
function table(el, head, rows) {
  el.innerHTML = '<tr>' + head.map((h) => '<th class="' + (h.n ? 'n' : '') + '">' + esc(h.t) + '</th>').join('') + '</tr>' +
    (rows.length ? rows.map((r) => '<tr>' + r.map((c, i) => '<td class="' + (head[i].n ? 'n' : '') + '">' + c + '</td>').join('') + '</tr>').join('')
      : '<tr><td colspan="' + head.length + '" class="muted">none</td></tr>');
}
function allDays(days) {
  // Every calendar day from the first to the last one with charges, so gaps show as gaps.
  const byDay = new Map(days.map((d) => [d.day, d]));
  const out = [];
  for (let t = Date.parse(days[0].day + 'T00:00:00Z'), end = Date.parse(days[days.length - 1].day + 'T00:00:00Z'); t <= end && out.length < 400; t += 86400000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(byDay.get(day) ?? { day, succeeded: 0, failed: 0, other: 0 });
  }
  return out;
}
function barChart(sparse) {
  if (!sparse.length) return '<p class="muted">no charges yet</p>';
  const days = allDays(sparse);
  const W = 440, H = 150, pad = 22, max = Math.max(1, ...days.map((d) => d.succeeded + d.failed + d.other));
  const bw = (W - pad) / days.length;
  let s = '<svg id="chargesChart" width="' + W + '" height="' + (H + 18) + '" role="img" aria-label="charges per day">';
  days.forEach((d, i) => {
    let y = H;
    for (const [k, c] of [['succeeded', '#3ba272'], ['failed', '#d04a6e'], ['other', '#c9ccd3']]) {
      const h = (d[k] / max) * (H - 10); y -= h;
      if (h > 0) s += '<rect x="' + (pad + i * bw) + '" y="' + y + '" width="' + Math.max(1, bw - 1) + '" height="' + h + '" fill="' + c + '"><title>' + esc(d.day + ' ' + k + ': ' + d[k]) + '</title></rect>';
    }
  });
  s += '<line x1="' + pad + '" y1="' + H + '" x2="' + W + '" y2="' + H + '" stroke="#ccd"/>';
  s += '<text x="0" y="10">' + max + '</text><text x="' + pad + '" y="' + (H + 14) + '">' + esc(days[0].day) + '</text><text x="' + (W - 60) + '" y="' + (H + 14) + '">' + esc(days[days.length - 1].day) + '</text></svg>';
  const tot = (k) => sparse.reduce((a, d) => a + d[k], 0);
  return s + '<div class="legend"><span><i class="sw" style="background:#3ba272"></i>succeeded ' + tot('succeeded') + '</span><span><i class="sw" style="background:#d04a6e"></i>failed ' + tot('failed') + '</span><span><i class="sw" style="background:#c9ccd3"></i>other ' + tot('other') + '</span></div>';
}
function revenueChart(rows) {
  if (!rows.length) return '<p class="muted">no paid invoices yet</p>';
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  const W = 900, H = 170, pad = 4, gw = (W - pad) / months.length, bw = Math.max(2, (gw - 6) / currencies.length);
  let s = '<svg id="revenueChart" width="' + W + '" height="' + (H + 18) + '" role="img" aria-label="revenue per month">';
  currencies.forEach((cur, ci) => {
    const mine = rows.filter((r) => r.currency === cur), max = Math.max(1, ...mine.map((r) => r.amount));
    for (const r of mine) {
      const h = (r.amount / max) * (H - 10), x = pad + months.indexOf(r.month) * gw + ci * bw;
      s += '<rect x="' + x + '" y="' + (H - h) + '" width="' + (bw - 1) + '" height="' + h + '" fill="' + COLORS[ci % COLORS.length] + '"><title>' + esc(r.month + ': ' + r.display) + '</title></rect>';
      if (months.length <= 12) s += '<text x="' + (x + 2) + '" y="' + (H - h + 12) + '" style="fill:#fff">' + esc(r.display) + '</text>';
    }
  });
  months.forEach((m, i) => { if (months.length < 14 || i % 2 === 0) s += '<text x="' + (pad + i * gw) + '" y="' + (H + 14) + '">' + esc(m) + '</text>'; });
  s += '</svg><div class="legend">' + currencies.map((c, i) => '<span><i class="sw" style="background:' + COLORS[i % COLORS.length] + '"></i>' + esc(c) + ' (bars scaled per currency)</span>').join('') + '</div>';
  const byMonth = months.map((m) => [esc(m), ...currencies.map((c) => esc(rows.find((r) => r.month === m && r.currency === c)?.display ?? '–'))]);
  const t = document.createElement('table'); table(t, [{ t: 'month' }, ...currencies.map((c) => ({ t: c, n: true }))], byMonth);
  return s + '<details><summary>table</summary>' + t.outerHTML + '</details>';
}
async function load() {
  const [o, ev] = await Promise.all([api('/v1/reports/overview'), api('/v1/events?limit=15')]);
  const total = o.subscriptionsByStatus.reduce((a, r) => a + r.count, 0) || 1;
  table(document.getElementById('subs'), [{ t: 'status' }, { t: 'count', n: true }, { t: '' }],
    o.subscriptionsByStatus.map((r) => [esc(r.status), String(r.count), '<span class="bar" style="width:' + Math.round((r.count / total) * 160) + 'px"></span>']));
  document.getElementById('charges').innerHTML = barChart(o.chargesPerDay);
  document.getElementById('revenue').innerHTML = revenueChart(o.revenuePerMonth);
  table(document.getElementById('dunning'), [{ t: 'invoice' }, { t: 'subscription' }, { t: 'status' }, { t: 'amount', n: true }, { t: 'failed', n: true }, { t: 'next step' }],
    o.dunning.map((d) => [esc(d.invoiceId), esc(d.subscriptionId), esc(d.subscriptionStatus), esc(d.display), String(d.failedAttempts), esc(d.nextStep)]));
  const ref = document.getElementById('refusals');
  ref.innerHTML = '<p>' + o.refusals.total + ' refused before processing (L000x/P000x: merchant-side, not declines)</p>';
  if (o.refusals.latest.length) { const t = document.createElement('table'); table(t, [{ t: 'when' }, { t: 'code' }, { t: 'order' }], o.refusals.latest.map((r) => [esc(r.at.slice(0, 16)), esc(r.code), esc(r.orderNo)])); ref.appendChild(t); }
  table(document.getElementById('events'), [{ t: 'when' }, { t: 'type' }, { t: 'subject' }, { t: 'delivery' }],
    ev.data.map((e) => [esc(e.occurredAt.slice(0, 16).replace('T', ' ')), esc(e.type), esc(e.subjectId), deliveryCell(e.delivery)]));
  document.getElementById('asof').textContent = 'as of ' + new Date().toISOString().slice(0, 19) + 'Z';
  document.getElementById('error').textContent = '';
  document.body.dataset.state = 'ready';
}
// Delivery state of one event: not yet fanned out, no endpoint wants it, or its deliveries by state.
function deliveryCell(d) {
  if (!d.publishedAt) return '<span class="muted">not published</span>';
  const parts = [];
  if (d.delivered) parts.push(d.delivered + ' delivered');
  if (d.pending) parts.push(d.pending + ' retrying');
  if (d.failed) parts.push('<span class="bad">' + d.failed + ' failed</span>');
  return parts.length ? parts.join(', ') : '<span class="muted">published (no endpoint)</span>';
}
function run() {
  load().catch((e) => {
    const msg = String(e.message || e);
    document.getElementById('error').textContent = /unauthorized/.test(msg) ? 'Enter the admin token (BILLING_ADMIN_TOKEN) above. ' + msg : msg;
    document.body.dataset.state = /unauthorized/.test(msg) ? 'needs-token' : 'error';
  });
}
document.getElementById('tokenForm').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('billingAdminToken', document.getElementById('token').value); run(); });
run();
</script></body></html>`;
