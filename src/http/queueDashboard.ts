import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';

/**
 * BullMQ's usual dashboard (bull-board) over the engine's queues, read-only: Postgres is the
 * source of truth and jobs are re-derived from it, so retrying or deleting jobs by hand from a
 * web page would only confuse the picture. Mounted inside the admin scope (token required).
 */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export async function queueDashboardPlugin(scope: FastifyInstance, opts: { queues: readonly Queue[] }): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: opts.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'billing queues' } },
  });
  await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
}
