/**
 * The API reference page at /docs: one self-contained HTML page (no CDN, nothing fetched
 * from outside) that reads /openapi.json and renders every operation with its parameters,
 * body schema and error codes.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>asiabill-billing admin API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:18px}
main{max-width:980px;margin:0 auto;padding:16px 24px}
section.tag{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:14px 0;padding:4px 16px 12px}
.op{border-top:1px solid #eef0f3;padding:10px 0}.m{display:inline-block;min-width:44px;font-weight:700;font-family:monospace}
.GET{color:#1769aa}.POST{color:#2e7d32}code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#f3f4f6;padding:8px;border-radius:4px;overflow:auto}table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
.muted{color:#667}
</style></head><body>
<header><h1>asiabill-billing admin API</h1><div id="info" class="muted"></div></header>
<main><p id="intro"></p><p class="muted">* required. Errors: <code>{ "error": { "code", "message", "field" } }</code>; codes at the end.</p><div id="ops">Loading /openapi.json…</div></main>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('info').textContent = 'OpenAPI ' + doc.openapi + ' · version ' + doc.info.version;
  document.getElementById('intro').textContent = doc.info.description;
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ path, method: method.toUpperCase(), op });
  let html = '';
  for (const tag of doc.tags) {
    html += '<section class="tag"><h2>' + esc(tag.name) + '</h2><p class="muted">' + esc(tag.description) + '</p>';
    for (const { path, method, op } of byTag[tag.name] ?? []) {
      html += '<div class="op" id="' + esc(op.operationId) + '"><span class="m ' + method + '">' + method + '</span> <code>' + esc(path) + '</code> — ' + esc(op.summary);
      if (op.description) html += '<p>' + esc(op.description) + '</p>';
      if (op.parameters.length) {
        html += '<table><tr><th>parameter</th><th>in</th><th>schema</th><th></th></tr>';
        for (const p of op.parameters) html += '<tr><td><code>' + esc(p.name) + (p.required ? '*' : '') + '</code></td><td>' + esc(p.in) + '</td><td><code>' + esc(JSON.stringify(p.schema)) + '</code></td><td class="muted">' + esc(p.description) + '</td></tr>';
        html += '</table>';
      }
      if (op.requestBody) {
        const b = op.requestBody.content['application/json'].schema, req = new Set(b.required || []);
        html += '<table><tr><th>body field</th><th>type</th><th></th></tr>';
        for (const [name, p] of Object.entries(b.properties || {})) {
          const { description, ...rest } = p;
          html += '<tr><td><code>' + esc(name) + (req.has(name) ? '*' : '') + '</code></td><td><code>' + esc(JSON.stringify(rest)) + '</code></td><td class="muted">' + esc(description) + '</td></tr>';
        }
        html += '</table>';
      }
      html += '</div>';
    }
    html += '</section>';
  }
  html += '<section class="tag"><h2>errors</h2><pre>' + esc(JSON.stringify(doc.components.schemas.Error, null, 2)) + '</pre></section>';
  document.getElementById('ops').innerHTML = html;
}).catch((e) => { document.getElementById('ops').textContent = 'could not load /openapi.json: ' + e; });
</script></body></html>`;
