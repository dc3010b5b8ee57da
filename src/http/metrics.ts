import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { AppContext } from '../context.ts';
import { invoices, subscriptions, webhookDeliveries, events, chargeAttempts } from '../db/schema.ts';
import { classifyDecline } from '../billing/declines.ts';
import { BILLABLE, RENEWABLE } from '../billing/subscriptionStatus.ts';
import { sqlList } from '../db/sqlLists.ts';
import { UNRESOLVED_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';
import { EngineMetrics } from '../metrics.ts';
import { errorMessage } from '../errors.ts';

/**
 * GET /metrics in Prometheus text format. Counters come from the process's EngineMetrics;
 * the state of the work (queue depth, age of the oldest due item, dunning by class, webhook
 * backlog, subscriptions by status) is read from Postgres at scrape time, in two queries, so
 * every process reports the same numbers and nothing is counted on the hot path.
 */
export const NOTIFICATION_ROUTE = '/webhooks/asiabill';

export function registerMetrics(app: FastifyInstance, ctx: AppContext): void {
  const metrics = ctx.metrics ?? new EngineMetrics();
  const gauges = stateGauges(metrics.registry);

  // Notifications by result, from the status the notification route answered with.
  app.addHook('onResponse', async (req, reply) => {
    if (req.routeOptions.url !== NOTIFICATION_ROUTE || req.method !== 'POST') return;
    metrics.notifications.inc({ result: notificationResult(reply.statusCode) });
  });

  app.get('/metrics', async (req, reply) => {
    try {
      await readState(ctx, gauges);
    } catch (err) {
      // Counters are still worth scraping when Postgres is away; the gauges keep their last values.
      req.log.warn({ err: errorMessage(err) }, 'metrics: could not read state from Postgres');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

function notificationResult(status: number): string {
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 400) return 'malformed';
  if (status === 401) return 'unverified';
  return 'error';
}

interface StateGauges {
  dueWork: Gauge<'kind'>;
  oldestDue: Gauge<'kind'>;
  unresolvedAttempts: Gauge;
  dunning: Gauge<'class'>;
  webhookBacklog: Gauge<'state'>;
  webhookOldest: Gauge;
  subscriptionsByStatus: Gauge<'status'>;
}

function stateGauges(registry: Registry): StateGauges {
  // One set per registry (an engine may build its HTTP server more than once in tests).
  const make = <L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> =>
    (registry.getSingleMetric(name) as Gauge<L> | undefined) ??
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  return {
    dueWork: make(
      'billing_due_work',
      'Work due now at engine time, from Postgres: renewals and charges (incl. dunning retries).',
      ['kind'],
    ),
    oldestDue: make(
      'billing_oldest_due_age_seconds',
      'Age of the oldest due item at engine time (0 when nothing is due): how far behind the engine is.',
      ['kind'],
    ),
    unresolvedAttempts: make(
      'billing_unresolved_attempts',
      'Charge attempts whose outcome is not known yet (started, unknown).',
    ),
    dunning: make('billing_dunning_invoices', 'Open invoices with a failed attempt, by the last decline class.', [
      'class',
    ]),
    webhookBacklog: make(
      'billing_webhook_backlog',
      'Merchant webhook work not done: unpublished events and pending deliveries.',
      ['state'],
    ),
    webhookOldest: make(
      'billing_webhook_oldest_pending_age_seconds',
      'Age of the oldest pending webhook delivery (real time).',
    ),
    subscriptionsByStatus: make('billing_subscriptions', 'Subscriptions by status.', ['status']),
  };
}

async function readState(ctx: AppContext, g: StateGauges): Promise<void> {
  const now = await ctx.time.now();
  const wall = ctx.wall.now();
  const r = await ctx.db.execute<{
    renewals: number;
    oldest_renewal: Date | null;
    charges: number;
    oldest_charge: Date | null;
    unresolved: number;
    unpublished: number;
    pending: number;
    oldest_pending: Date | null;
  }>(sql`
    with due_renewals as (
      select next_renewal_at from ${subscriptions}
       where next_renewal_at is not null and next_renewal_at <= ${now} and status in ${sqlList(RENEWABLE)}
    ), due_charges as (
      select i.next_attempt_at from ${invoices} i join ${subscriptions} s on s.id = i.subscription_id
       where i.status = 'open' and i.next_attempt_at is not null and i.next_attempt_at <= ${now}
         and s.status in ${sqlList(BILLABLE)}
    )
    select
      (select count(*)::int from due_renewals) as renewals,
      (select min(next_renewal_at) from due_renewals) as oldest_renewal,
      (select count(*)::int from due_charges) as charges,
      (select min(next_attempt_at) from due_charges) as oldest_charge,
      (select count(*)::int from ${chargeAttempts} where status in ${sqlList(UNRESOLVED_ATTEMPT_STATUSES)}) as unresolved,
      (select count(*)::int from ${events} where published_at is null) as unpublished,
      (select count(*)::int from ${webhookDeliveries} where status = 'pending') as pending,
      (select min(created_at) from ${webhookDeliveries} where status = 'pending') as oldest_pending`);
  const row = r.rows[0];
  const age = (t: Date | null | undefined, from: Date) =>
    t ? Math.max(0, (from.getTime() - new Date(t).getTime()) / 1000) : 0;
  g.dueWork.set({ kind: 'renewal' }, row?.renewals ?? 0);
  g.dueWork.set({ kind: 'charge' }, row?.charges ?? 0);
  g.oldestDue.set({ kind: 'renewal' }, age(row?.oldest_renewal, now));
  g.oldestDue.set({ kind: 'charge' }, age(row?.oldest_charge, now));
  g.unresolvedAttempts.set(row?.unresolved ?? 0);
  g.webhookBacklog.set({ state: 'unpublished_events' }, row?.unpublished ?? 0);
  g.webhookBacklog.set({ state: 'pending_deliveries' }, row?.pending ?? 0);
  g.webhookOldest.set(age(row?.oldest_pending, wall));

  // Dunning by class: the last failed attempt's reason of each open invoice, grouped by text
  // (few distinct texts), then classified by the same rule the dunning policy uses.
  const d = await ctx.db.execute<{ order_info: string | null; n: number }>(sql`
    select a.order_info, count(*)::int as n
      from ${invoices} i
      join lateral (select order_info from ${chargeAttempts} ca
                     where ca.invoice_id = i.id and ca.status = 'failed'
                     order by ca.attempt_no desc limit 1) a on true
     where i.status = 'open'
     group by a.order_info`);
  const byClass = { soft: 0, hard: 0 };
  for (const x of d.rows) byClass[classifyDecline(x.order_info).class] += x.n;
  g.dunning.set({ class: 'soft' }, byClass.soft);
  g.dunning.set({ class: 'hard' }, byClass.hard);

  const s = await ctx.db.execute<{ status: string; n: number }>(
    sql`select status, count(*)::int as n from ${subscriptions} group by status`,
  );
  g.subscriptionsByStatus.reset();
  for (const x of s.rows) g.subscriptionsByStatus.set({ status: x.status }, x.n);
}
