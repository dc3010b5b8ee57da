import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../db/schema.ts';
import { errorMessage } from '../errors.ts';
import { ID_PREFIX, newId } from '../ids.ts';
import {
  ANSWER_EXCERPT_CHARS,
  DELIVERY_GIVE_UP_AFTER_MS,
  DELIVERY_LEASE_MARGIN_MS,
  DUE_BATCH,
  ENDPOINT_DISABLE_AFTER_MS,
  PUBLISH_BATCH,
  retryDelayMs,
} from './deliveryPolicy.ts';
import { disableEndpointTx, endpointWants } from './endpoints.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

/**
 * Merchant webhook delivery from the outbox, driven by Postgres so that nothing is lost when a
 * worker dies or Redis is wiped:
 *
 *   publish  — unpublished `events` rows get one `webhook_deliveries` row per enabled endpoint
 *              that wants them, and `published_at`, in one transaction (SKIP LOCKED: several
 *              workers never fan out the same event twice, and never wait on billing);
 *   due      — pending deliveries whose `next_attempt_at` has come (the scan enqueues them);
 *   deliver  — claim one (attempt_count + 1, and a lease as `next_attempt_at`), POST it with no
 *              transaction open, then record the answer. A worker killed mid-POST leaves the
 *              lease, which runs out and makes the delivery due again.
 *
 * So delivery is at least once: a receiver may see an event again (same `id`) if a worker
 * died between the receiver's 2xx and our record of it. Receivers deduplicate by `id`.
 * Delivery timing uses real wall time (`ctx.wall`): retries are about the receiver's uptime.
 */
export type DeliveryCtx = Pick<AppContext, 'db' | 'wall' | 'time' | 'logger' | 'config'>;

/** The JSON body posted to endpoints. `sequence` increases per subscription (docs/webhooks.md). */
export interface WebhookPayload {
  id: string;
  type: string;
  /** Engine time the event happened, unix seconds. */
  created: number;
  sequence: number;
  data: unknown;
}

export function webhookPayload(e: {
  id: string;
  type: string;
  occurredAt: Date;
  seq: number;
  data: unknown;
}): WebhookPayload {
  return { id: e.id, type: e.type, created: Math.floor(e.occurredAt.getTime() / 1000), sequence: e.seq, data: e.data };
}

export interface PublishReport {
  events: number;
  deliveries: number;
}

/** Fans out one batch of unpublished events; call until `events < PUBLISH_BATCH`. */
export async function publishEvents(
  ctx: Pick<AppContext, 'db' | 'wall'>,
  batch = PUBLISH_BATCH,
): Promise<PublishReport> {
  const now = ctx.wall.now();
  return ctx.db.transaction(async (tx) => {
    const picked = await tx
      .select({ seq: events.seq, id: events.id, type: events.type })
      .from(events)
      .where(isNull(events.publishedAt))
      .orderBy(events.seq)
      .limit(batch)
      .for('update', { skipLocked: true });
    if (picked.length === 0) return { events: 0, deliveries: 0 };
    // Every endpoint FOR SHARE, the status judged after the lock: one being enabled or
    // disabled right now is read as it is once that commits. A plain read (or a status filter
    // in the WHERE, which Postgres applies to the old version before it waits) would see it
    // still disabled while `enable --replay-since` cannot yet see these events as published,
    // and the endpoint would miss them both ways.
    const endpoints = (
      await tx
        .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes, status: webhookEndpoints.status })
        .from(webhookEndpoints)
        .for('share')
    ).filter((ep) => ep.status === 'enabled');
    const rows = picked.flatMap((e) =>
      endpoints
        .filter((ep) => endpointWants(ep.eventTypes, e.type))
        .map((ep) => ({
          id: newId(ID_PREFIX.webhookDelivery),
          eventId: e.id,
          endpointId: ep.id,
          origin: 'event' as const,
          nextAttemptAt: now,
          createdAt: now,
        })),
    );
    if (rows.length > 0) await tx.insert(webhookDeliveries).values(rows).onConflictDoNothing();
    await tx
      .update(events)
      .set({ publishedAt: now })
      .where(
        inArray(
          events.seq,
          picked.map((p) => p.seq),
        ),
      );
    return { events: picked.length, deliveries: rows.length };
  });
}

/** Pending deliveries due now, oldest first, with the attempt number a job would make. */
export async function dueDeliveries(
  ctx: Pick<AppContext, 'db' | 'wall'>,
  limit = DUE_BATCH,
): Promise<Array<{ deliveryId: string; attemptNo: number }>> {
  const rows = await ctx.db
    .select({ id: webhookDeliveries.id, attemptCount: webhookDeliveries.attemptCount })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, 'pending'), lte(webhookDeliveries.nextAttemptAt, ctx.wall.now())))
    .orderBy(webhookDeliveries.nextAttemptAt, webhookDeliveries.id)
    .limit(limit);
  return rows.map((r) => ({ deliveryId: r.id, attemptNo: r.attemptCount + 1 }));
}

export type DeliverResult =
  | { kind: 'skipped' }
  | { kind: 'delivered'; eventId: string; attemptNo: number; statusCode: number }
  | {
      kind: 'failed';
      eventId: string;
      attemptNo: number;
      statusCode: number | null;
      error: string;
      retryAt: Date | null;
      endpointDisabled: boolean;
    };

interface Claimed {
  deliveryId: string;
  attemptNo: number;
  createdAt: Date;
  endpointId: string;
  url: string;
  /** The secrets that sign this attempt: the current one, and the previous one during a rotation. */
  secrets: string[];
  eventId: string;
  type: string;
  seq: number;
  occurredAt: Date;
  data: unknown;
}

/**
 * Makes one attempt of one delivery, if it is still pending and due (a stale or duplicate job
 * finds nothing to claim and is skipped). `post` is injectable for tests; default `fetch`.
 */
export async function deliverOne(
  ctx: DeliveryCtx,
  deliveryId: string,
  post: typeof fetch = fetch,
): Promise<DeliverResult> {
  const claimed = await claim(ctx, deliveryId);
  if (!claimed) return { kind: 'skipped' };
  const log = ctx.logger.child({ deliveryId, eventId: claimed.eventId, attemptNo: claimed.attemptNo });
  const body = JSON.stringify(webhookPayload({ ...claimed, id: claimed.eventId }));
  const startedAt = ctx.wall.now();
  const t = Math.floor(startedAt.getTime() / 1000);
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const res = await post(claimed.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'asiabill-billing-webhooks/1',
        [SIGNATURE_HEADER]: signatureHeader(claimed.secrets, t, body),
        'Billing-Event-Id': claimed.eventId,
        'Billing-Delivery-Id': claimed.deliveryId,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.config.webhooks.timeoutMs),
    });
    statusCode = res.status;
    if (res.status < 200 || res.status > 299) {
      const text = await res.text().catch(() => '');
      error = `HTTP ${res.status}${text ? `: ${text.slice(0, ANSWER_EXCERPT_CHARS)}` : ''}`;
    } else {
      await res.body?.cancel().catch(() => {});
    }
  } catch (err) {
    error = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : errorMessage(err).slice(0, 500);
  }
  const finishedAt = ctx.wall.now();
  const result = await record(ctx, claimed, { startedAt, finishedAt, statusCode, error });
  if (result.kind === 'delivered') log.info({ statusCode }, 'webhook delivered');
  else if (result.kind === 'failed')
    log.warn(
      { statusCode, error, retryAt: result.retryAt, endpointDisabled: result.endpointDisabled },
      'webhook delivery failed',
    );
  return result;
}

async function claim(ctx: DeliveryCtx, deliveryId: string): Promise<Claimed | undefined> {
  const now = ctx.wall.now();
  const lease = new Date(now.getTime() + ctx.config.webhooks.timeoutMs + DELIVERY_LEASE_MARGIN_MS);
  const res = await ctx.db.execute(sql`
    update ${webhookDeliveries} d
       set attempt_count = d.attempt_count + 1, next_attempt_at = ${lease}
      from ${webhookEndpoints} ep, ${events} ev
     where d.id = ${deliveryId}
       and d.status = 'pending'
       and d.next_attempt_at <= ${now}
       and ep.id = d.endpoint_id and ep.status = 'enabled'
       and ev.id = d.event_id
    returning d.id as delivery_id, d.attempt_count, d.created_at, ep.id as endpoint_id, ep.url, ep.secret,
              case when ep.previous_secret_expires_at > ${now} then ep.previous_secret end as previous_secret,
              ev.id as event_id, ev.type, ev.seq, ev.occurred_at, ev.data`);
  const r = res.rows[0];
  if (!r) return undefined;
  return {
    deliveryId: String(r.delivery_id),
    attemptNo: Number(r.attempt_count),
    createdAt: asDate(r.created_at),
    endpointId: String(r.endpoint_id),
    url: String(r.url),
    secrets: r.previous_secret ? [String(r.secret), String(r.previous_secret)] : [String(r.secret)],
    eventId: String(r.event_id),
    type: String(r.type),
    seq: Number(r.seq),
    occurredAt: asDate(r.occurred_at),
    data: r.data,
  };
}

function asDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

async function record(
  ctx: DeliveryCtx,
  c: Claimed,
  a: { startedAt: Date; finishedAt: Date; statusCode: number | null; error: string | null },
): Promise<DeliverResult> {
  const ok = a.error === null && a.statusCode !== null;
  const now = a.finishedAt;
  const engineNow = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    await tx
      .insert(webhookAttempts)
      .values({
        deliveryId: c.deliveryId,
        attemptNo: c.attemptNo,
        startedAt: a.startedAt,
        durationMs: Math.max(0, now.getTime() - a.startedAt.getTime()),
        statusCode: a.statusCode,
        error: a.error,
      })
      .onConflictDoNothing();
    // Guarded by the attempt number: if our lease ran out and another worker claimed the
    // delivery again, that worker's record wins and ours only adds the attempt row.
    const mine = and(
      eq(webhookDeliveries.id, c.deliveryId),
      eq(webhookDeliveries.attemptCount, c.attemptNo),
      eq(webhookDeliveries.status, 'pending'),
    );
    if (ok) {
      await tx
        .update(webhookDeliveries)
        .set({
          status: 'delivered',
          deliveredAt: now,
          nextAttemptAt: null,
          lastStatusCode: a.statusCode,
          lastError: null,
        })
        .where(mine);
      await tx
        .update(webhookEndpoints)
        .set({ failingSince: null })
        .where(and(eq(webhookEndpoints.id, c.endpointId), sql`${webhookEndpoints.failingSince} is not null`));
      return { kind: 'delivered' as const, eventId: c.eventId, attemptNo: c.attemptNo, statusCode: a.statusCode ?? 0 };
    }
    const error = a.error ?? 'no answer';
    const giveUp = now.getTime() - c.createdAt.getTime() >= DELIVERY_GIVE_UP_AFTER_MS;
    const retryAt = giveUp
      ? null
      : new Date(now.getTime() + retryDelayMs(c.attemptNo, ctx.config.webhooks.retryBaseMs));
    await tx
      .update(webhookDeliveries)
      .set({
        status: giveUp ? 'failed' : 'pending',
        nextAttemptAt: retryAt,
        lastStatusCode: a.statusCode,
        lastError: error,
      })
      .where(mine);
    const [ep] = await tx
      .update(webhookEndpoints)
      .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now})` })
      .where(eq(webhookEndpoints.id, c.endpointId))
      .returning({ failingSince: webhookEndpoints.failingSince, status: webhookEndpoints.status });
    let endpointDisabled = false;
    if (
      ep?.status === 'enabled' &&
      ep.failingSince &&
      now.getTime() - ep.failingSince.getTime() >= ENDPOINT_DISABLE_AFTER_MS
    ) {
      endpointDisabled = (await disableEndpointTx(tx, c.endpointId, 'failing', engineNow)).changed;
    }
    return {
      kind: 'failed' as const,
      eventId: c.eventId,
      attemptNo: c.attemptNo,
      statusCode: a.statusCode,
      error,
      retryAt: endpointDisabled ? null : retryAt,
      endpointDisabled,
    };
  });
}
