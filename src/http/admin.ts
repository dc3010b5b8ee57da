import type { FastifyInstance } from 'fastify';
import type { Queues } from '../queue/connection.ts';
import type { AppContext } from '../context.ts';
import { adminApiPlugin, API_PREFIX, requireToken } from './api/index.ts';
import { API_RESOURCES } from './api/registry.ts';
import { buildOpenApi } from './api/openapi.ts';
import { pgIdempotencyStore, type IdempotencyStore } from './api/idempotency.ts';
import { presentedToken, tokenMatches } from './api/auth.ts';
import { DOCS_PAGE } from './pages/docs.ts';
import { CONSOLE_PAGE } from './pages/console.ts';
import { queueDashboardPlugin, QUEUE_DASHBOARD_PATH } from './queueDashboard.ts';

/**
 * Everything an operator or a merchant's backend reaches over HTTP besides AsiaBill's
 * callbacks: the admin API (/v1), its OpenAPI document and reference page, the billing
 * console and the queue dashboard. Only mounted when BILLING_ADMIN_TOKEN is set.
 *
 * /openapi.json and /docs are public (they describe the API, they hold no data); everything
 * else needs the token.
 */
export interface AdminSurfaceOptions {
  ctx: AppContext;
  token: string;
  queues: Queues | null;
  idempotency?: IdempotencyStore;
}

export const ADMIN_PATHS = {
  api: API_PREFIX,
  openapi: '/openapi.json',
  docs: '/docs',
  console: '/console',
  queues: QUEUE_DASHBOARD_PATH,
} as const;

const API_VERSION = '1';

export function registerAdminSurface(app: FastifyInstance, opts: AdminSurfaceOptions): void {
  const openapi = JSON.stringify(buildOpenApi(API_RESOURCES, API_VERSION));
  app.get(ADMIN_PATHS.openapi, async (_req, reply) => reply.type('application/json').send(openapi));
  app.get(ADMIN_PATHS.docs, async (_req, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));

  app.register(adminApiPlugin, {
    prefix: API_PREFIX,
    deps: { ctx: opts.ctx, queues: opts.queues },
    token: opts.token,
    idempotency: opts.idempotency ?? pgIdempotencyStore(opts.ctx.db),
    resources: API_RESOURCES,
  });

  // The console page holds no data (it reads /v1 with the token), so it is sent either way:
  // 200 when the request carries the token (a header set by a proxy, or a Basic login), and
  // otherwise 401 with the same page, whose token field then takes the token (sent as a
  // Bearer header, kept in sessionStorage). No Basic challenge here: a dismissed browser
  // prompt would leave an error page instead of the token field.
  app.get(ADMIN_PATHS.console, async (req, reply) => {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!tokenMatches(presentedToken(req.headers.authorization), opts.token))
      reply.code(401).header('www-authenticate', 'Bearer realm="billing-admin"');
    return reply.send(CONSOLE_PAGE);
  });

  // The queue dashboard: a Basic challenge makes a browser ask for the token (as the password).
  app.register(async (pages) => {
    pages.addHook('onRequest', requireToken(opts.token, 'Basic'));
    if (opts.queues !== null) {
      await pages.register(queueDashboardPlugin, { queues: [opts.queues.charge, opts.queues.maintenance] });
    }
  });
}
