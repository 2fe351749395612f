// The live dashboard at `/` of the admin server: one self-contained page (no external assets, a
// sidecar has no internet) that polls /stats every second and draws rates, latency, connections,
// certificate expiry and the most recent requests.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outrigger sidecar</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2733;background:#f6f8fa}
 h1{font-size:1.2rem;margin:0 0 .2rem} .sub{color:#5b6b7c;margin-bottom:1rem}
 .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.7rem;margin-bottom:1.2rem}
 .card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:.7rem .9rem}
 .card b{display:block;font-size:1.5rem} .card span{color:#5b6b7c;font-size:.8rem}
 table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d8dee4;font-size:.85rem}
 th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eef1f4;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:22rem}
 .bad{color:#b42318}
</style></head><body>
<h1>Outrigger sidecar</h1><div class="sub" id="identity">loading…</div>
<div class="cards">
 <div class="card"><b id="requests">–</b><span>requests in total</span></div>
 <div class="card"><b id="rps">–</b><span>requests / s</span></div>
 <div class="card"><b id="errors">–</b><span>failed requests (5xx, or refused by the proxy)</span></div>
 <div class="card"><b id="errrate">–</b><span>error rate</span></div>
 <div class="card"><b id="p50">–</b><span>p50 latency (ms)</span></div>
 <div class="card"><b id="p99">–</b><span>p99 latency (ms)</span></div>
 <div class="card"><b id="open">–</b><span>open connections</span></div>
 <div class="card"><b id="tlsfail">–</b><span>TLS handshakes failed (refused before any request)</span></div>
 <div class="card"><b id="cert">–</b><span>certificate expires (UTC)</span></div>
</div>
<table><thead><tr><th>time (UTC)</th><th>dir</th><th>method</th><th>path</th><th>status</th><th>ms</th><th>peer</th><th>error</th></tr></thead>
<tbody id="recent"></tbody></table>
<script>
let last = null;
const $ = (id) => document.getElementById(id);
const text = (v) => (v === null || v === undefined ? '–' : String(v));
function row(r) {
  const tr = document.createElement('tr');
  for (const v of [r.time.slice(11, 23), r.direction, r.method ?? r.protocol, r.path ?? r.upstream_host, r.response_code || '', r.duration_ms, r.peer_identity ?? '', r.error ?? '']) {
    const td = document.createElement('td'); td.textContent = text(v); tr.appendChild(td);
  }
  if (r.error || r.response_code >= 500) tr.className = 'bad';
  return tr;
}
async function tick() {
  try {
    const s = await (await fetch('/stats', { cache: 'no-store' })).json();
    const now = Date.now();
    $('identity').textContent = (s.identity ?? 'no identity') + ' · up ' + Math.round(s.uptimeSeconds) + ' s';
    $('requests').textContent = s.requests;
    $('errors').textContent = s.failures;
    $('errrate').textContent = s.requests ? (100 * s.failures / s.requests).toFixed(1) + ' %' : '–';
    if (last) $('rps').textContent = ((s.requests - last.requests) / ((now - last.at) / 1000)).toFixed(1);
    $('p50').textContent = text(s.latencyMs.p50);
    $('p99').textContent = text(s.latencyMs.p99);
    $('open').textContent = s.openConnections;
    $('tlsfail').textContent = s.tlsHandshakeFailures;
    $('cert').textContent = s.certExpiresAt ? s.certExpiresAt.replace('T', ' ').slice(0, 16) : '–';
    $('recent').replaceChildren(...s.recent.map(row));
    last = { requests: s.requests, at: now };
  } catch (e) { $('identity').textContent = 'admin server unreachable: ' + e.message; }
}
tick(); setInterval(tick, 1000);
</script></body></html>
`;
