import type { FastifyInstance } from 'fastify';
import type { Queues } from '../queue/connection.ts';
import type { AppContext } from '../context.ts';
import { adminApiPlugin, API_PREFIX, requireToken } from './api/index.ts';
import { API_RESOURCES } from './api/registry.ts';
import { buildOpenApi } from './api/openapi.ts';
import { pgIdempotencyStore, type IdempotencyStore } from './api/idempotency.ts';
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

  // Browser pages: a Basic challenge makes a browser ask for the token (as the password).
  app.register(async (pages) => {
    pages.addHook('onRequest', requireToken(opts.token, 'Basic'));
    pages.get(ADMIN_PATHS.console, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(CONSOLE_PAGE),
    );
    if (opts.queues !== null) {
      await pages.register(queueDashboardPlugin, { queues: [opts.queues.charge, opts.queues.maintenance] });
    }
  });
}
