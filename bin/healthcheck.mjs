#!/usr/bin/env node
// Container health check: exit 0 when the engine's /readyz says ready (Postgres and Redis
// answer and every worker runs), 1 otherwise. Plain Node, no TypeScript loader: it runs every
// few seconds and must stay cheap.
const port = process.env.BILLING_HTTP_PORT || '8080';
try {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
