import { inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { webhookDeliveries } from '../db/schema.ts';
import type { WebhookDeliveryStatus } from './deliveryStatus.ts';

/** Per event: how many of its webhook deliveries (one per matching endpoint, plus replays) are in each state. */
export type DeliverySummary = Record<WebhookDeliveryStatus, number>;

/** One grouped query for a page of events (the console and the events API show it per row). */
export async function deliverySummaries(
  db: DbOrTx,
  eventIds: readonly string[],
): Promise<Map<string, DeliverySummary>> {
  const out = new Map<string, DeliverySummary>();
  if (eventIds.length === 0) return out;
  const rows = await db
    .select({ eventId: webhookDeliveries.eventId, status: webhookDeliveries.status, n: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.eventId, [...eventIds]))
    .groupBy(webhookDeliveries.eventId, webhookDeliveries.status);
  for (const r of rows) {
    const s = out.get(r.eventId) ?? { pending: 0, delivered: 0, failed: 0 };
    s[r.status] = r.n;
    out.set(r.eventId, s);
  }
  return out;
}
