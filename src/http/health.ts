import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { describeDatabaseError } from '../db/describeError.ts';
import { errorMessage } from '../errors.ts';
import type { DependencyProbe, DependencyStatus } from '../health/dependencies.ts';

/**
 * Liveness and readiness, for orchestrators and load balancers:
 *  - `GET /healthz` — the process is alive and serving HTTP (200 whenever it answers). A
 *    restart cannot fix a database outage, so liveness does not depend on one.
 *  - `GET /readyz` — this engine can do its work now: started, Postgres and Redis answer.
 *    503 otherwise, naming what is down and why; checked live on every request.
 */
export interface HealthRouteOptions {
  db: Db;
  /** Started: dependencies were reachable and every worker is running. */
  isReady(): boolean;
  /** Postgres and Redis; without one (tests), only Postgres is checked. */
  probe?: DependencyProbe;
}

export function registerHealthRoutes(app: FastifyInstance, opts: HealthRouteOptions): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const statuses = opts.probe ? await opts.probe.check() : [await postgresOnly(opts.db)];
    const started = opts.isReady();
    const ready = started && statuses.every((s) => s.ok);
    const body = {
      status: ready ? 'ready' : 'not ready',
      started,
      dependencies: Object.fromEntries(statuses.map((s) => [s.name, s.ok ? 'ok' : (s.error ?? 'unavailable')])),
    };
    return reply.code(ready ? 200 : 503).send(body);
  });
}

async function postgresOnly(db: Db): Promise<DependencyStatus> {
  try {
    await db.execute(sql`select 1`);
    return { name: 'postgres', ok: true };
  } catch (err) {
    return { name: 'postgres', ok: false, error: describeDatabaseError(err) ?? errorMessage(err) };
  }
}
