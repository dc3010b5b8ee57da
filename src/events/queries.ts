import { and, asc, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { DbOrTx } from '../db/client.ts';
import type { EventRow, WebhookDeliveryRow } from '../db/rows.ts';
import {
  chargeAttempts,
  events,
  invoices,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { ID_PREFIX, newId } from '../ids.ts';
import { endpointWants } from './endpoints.ts';

/** Reading the outbox (`billing events list/show`) and sending an event again (`replay`). */
export interface EventFilter {
  type?: string;
  subscriptionId?: string;
  /** Newest first; at most this many (default 100). */
  limit?: number;
  /** Only events older than this `seq` (paging backwards). */
  beforeSeq?: number;
}

export const MAX_EVENT_PAGE = 1000;

export async function listEvents(db: DbOrTx, f: EventFilter = {}): Promise<EventRow[]> {
  const limit = f.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENT_PAGE)
    throw new ValidationError('limit', `integer 1-${MAX_EVENT_PAGE}`, `${limit} is out of range`);
  const conds: SQL[] = [];
  if (f.type !== undefined) {
    conds.push(f.type.endsWith('.*') ? sql`${events.type} like ${`${f.type.slice(0, -1)}%`}` : eq(events.type, f.type));
  }
  if (f.subscriptionId !== undefined) conds.push(aboutSubscription(f.subscriptionId));
  if (f.beforeSeq !== undefined) conds.push(lt(events.seq, f.beforeSeq));
  return db
    .select()
    .from(events)
    .where(conds.length > 0 ? and(...conds) : undefined)
    .orderBy(desc(events.seq))
    .limit(limit);
}

/**
 * Events about a subscription: its own, its invoices' (they carry `subscriptionId`), and its
 * charge attempts' (reached through their invoice).
 */
function aboutSubscription(subscriptionId: string): SQL {
  const attemptsOfSub = sql`select ${chargeAttempts.id} from ${chargeAttempts} join ${invoices} on ${invoices.id} = ${chargeAttempts.invoiceId} where ${invoices.subscriptionId} = ${subscriptionId}`;
  return (
    or(
      and(eq(events.subjectType, 'subscription'), eq(events.subjectId, subscriptionId)),
      sql`${events.data}->>'subscriptionId' = ${subscriptionId}`,
      and(eq(events.subjectType, 'charge_attempt'), sql`${events.subjectId} in (${attemptsOfSub})`),
    ) ?? sql`false`
  );
}

export interface DeliveryView extends WebhookDeliveryRow {
  url: string;
  attempts: Array<{
    attemptNo: number;
    startedAt: Date;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
  }>;
}

export async function getEvent(db: DbOrTx, id: string): Promise<{ event: EventRow; deliveries: DeliveryView[] }> {
  const [event] = await db.select().from(events).where(eq(events.id, id));
  if (!event) throw new NotFoundError('event', id);
  const deliveries = await db
    .select({ d: webhookDeliveries, url: webhookEndpoints.url })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.eventId, id))
    .orderBy(asc(webhookDeliveries.createdAt), asc(webhookDeliveries.id));
  const attempts =
    deliveries.length === 0
      ? []
      : await db
          .select()
          .from(webhookAttempts)
          .where(sql`${webhookAttempts.deliveryId} in (select id from ${webhookDeliveries} where event_id = ${id})`)
          .orderBy(asc(webhookAttempts.deliveryId), asc(webhookAttempts.attemptNo));
  return {
    event,
    deliveries: deliveries.map(({ d, url }) => ({
      ...d,
      url,
      attempts: attempts
        .filter((a) => a.deliveryId === d.id)
        .map((a) => ({
          attemptNo: a.attemptNo,
          startedAt: a.startedAt,
          durationMs: a.durationMs,
          statusCode: a.statusCode,
          error: a.error,
        })),
    })),
  };
}

/**
 * Sends an event again, with the same event id: a new delivery (origin `replay`) to the given
 * endpoint, or to every enabled endpoint that wants its type. The running engine's scan picks
 * it up; nothing is posted from here.
 */
export async function replayEvent(
  ctx: Pick<AppContext, 'db' | 'wall'>,
  eventId: string,
  opts: { endpointId?: string } = {},
): Promise<Array<{ deliveryId: string; endpointId: string }>> {
  const now = ctx.wall.now();
  return ctx.db.transaction(async (tx) => {
    const [event] = await tx.select({ id: events.id, type: events.type }).from(events).where(eq(events.id, eventId));
    if (!event) throw new NotFoundError('event', eventId);
    let targets: string[];
    if (opts.endpointId !== undefined) {
      const [ep] = await tx
        .select({ id: webhookEndpoints.id, status: webhookEndpoints.status })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.id, opts.endpointId));
      if (!ep) throw new NotFoundError('webhook endpoint', opts.endpointId);
      if (ep.status !== 'enabled')
        throw new ValidationError('endpoint', 'an enabled endpoint', `webhook endpoint ${ep.id} is ${ep.status}`);
      targets = [ep.id];
    } else {
      const eps = await tx
        .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.status, 'enabled'));
      targets = eps.filter((ep) => endpointWants(ep.eventTypes, event.type)).map((ep) => ep.id);
    }
    const rows = targets.map((endpointId) => ({
      id: newId(ID_PREFIX.webhookDelivery),
      eventId: event.id,
      endpointId,
      origin: 'replay' as const,
      nextAttemptAt: now,
      createdAt: now,
    }));
    if (rows.length > 0) await tx.insert(webhookDeliveries).values(rows);
    return rows.map((r) => ({ deliveryId: r.id, endpointId: r.endpointId }));
  });
}
