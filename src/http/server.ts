import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { applyNotification, type NotificationResult } from '../renewals/applyNotification.ts';
import { verifyReturnQuery } from '../asiabill/returnUrl.ts';
import { errorMessage } from '../errors.ts';
import { logRequests, httpLoggingOptions, requestContext } from './requestLog.ts';
import { registerMetrics } from './metrics.ts';
import type { DependencyProbe } from '../health/dependencies.ts';
import { registerHealthRoutes } from './health.ts';
import type { Queues } from '../queue/connection.ts';
import { registerAdminSurface } from './admin.ts';

/**
 * The engine's HTTP surface. JSON bodies are taken as raw text: AsiaBill signs the exact
 * bytes it sends, so the notification signature is checked over the raw body before any
 * parsing (a re-serialised body would not verify).
 */
export interface HttpServerOptions {
  ctx: AppContext;
  isReady(): boolean;
  /** Postgres + Redis reachability for /readyz. */
  probe?: DependencyProbe;
  /** The admin API, console and queue dashboard (http/admin.ts); only with BILLING_ADMIN_TOKEN. */
  admin?: { token: string; queues: Queues | null };
}

export function buildHttpServer(opts: HttpServerOptions): FastifyInstance {
  const app = Fastify({ ...httpLoggingOptions(opts.ctx.logger), bodyLimit: 256 * 1024 });
  logRequests(app);
  registerMetrics(app, opts.ctx);
  app.addContentTypeParser(
    ['application/json', 'text/plain', 'application/x-www-form-urlencoded'],
    { parseAs: 'string' },
    (_req, body, done) => {
      done(null, body);
    },
  );

  if (opts.admin) registerAdminSurface(app, { ctx: opts.ctx, ...opts.admin });

  app.post('/webhooks/asiabill', async (req, reply) => {
    const rawBody = typeof req.body === 'string' ? req.body : '';
    try {
      const r = await applyNotification(requestContext(opts.ctx, req), { headers: req.headers, rawBody });
      const answer = notificationAnswer(r);
      return reply.code(answer.status).type('text/plain').send(answer.body);
    } catch (err) {
      // Not committed: answer non-success so AsiaBill delivers again.
      req.log.error({ err: errorMessage(err) }, 'notification processing failed');
      return reply.code(500).type('text/plain').send('error');
    }
  });

  // The browser return after 3-D Secure: a UX hint only. The charge outcome is taken from the
  // signed notification or the reconciler, never from this redirect.
  app.get('/return/asiabill', async (req, reply) => {
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    try {
      const r = verifyReturnQuery(query, opts.ctx.config.gateway.signKey);
      return reply.type('text/plain').send(`Payment ${r.orderStatus} for order ${r.orderNo}. You can close this page.`);
    } catch {
      return reply.code(400).type('text/plain').send('This payment result could not be verified.');
    }
  });

  // /healthz (alive) and /readyz (started, Postgres and Redis answer): src/http/health.ts.
  registerHealthRoutes(app, { db: opts.ctx.db, isReady: opts.isReady, probe: opts.probe });
  return app;
}

/**
 * AsiaBill stops re-delivering a notification only when the body is exactly `success`; that
 * answer is given only for a notification that was verified and committed.
 */
function notificationAnswer(r: NotificationResult): { status: number; body: string } {
  switch (r.kind) {
    case 'accepted':
      return { status: 200, body: 'success' };
    case 'malformed':
      return { status: 400, body: `rejected: ${r.code}` };
    case 'unverified':
      return { status: 401, body: `rejected: ${r.code}` };
  }
}
