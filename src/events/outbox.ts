import type { DbOrTx } from '../db/client.ts';
import { sql } from 'drizzle-orm';
import { events } from '../db/schema.ts';
import { newId, ID_PREFIX } from '../ids.ts';

/**
 * Every state transition writes one row here in the same transaction as the change itself
 * (the outbox pattern): an event exists if and only if the change committed. Delivery to
 * merchant webhooks reads this table later; nothing here talks to the network.
 */
export type SubjectType =
  | 'plan'
  | 'customer'
  | 'payment_method'
  | 'subscription'
  | 'invoice'
  | 'charge_attempt'
  | 'notification';

export interface NewEvent {
  type: string;
  subjectType: SubjectType;
  subjectId: string;
  data: Record<string, unknown>;
  occurredAt: Date;
}

export async function recordEvent(tx: DbOrTx, e: NewEvent): Promise<string> {
  const id = newId(ID_PREFIX.event);
  await tx.insert(events).values({ id, ...e });
  return id;
}

/** Several events in one round trip (the charge hot path records up to three). */
export async function recordEvents(tx: DbOrTx, list: readonly NewEvent[]): Promise<void> {
  if (list.length === 0) return;
  await tx.insert(events).values(list.map((e) => ({ id: newId(ID_PREFIX.event), ...e })));
}

/**
 * Many events in one statement whose size does not grow with their number (arrays through
 * unnest): the scan's batched renewals record hundreds at a time.
 */
export async function recordEventsBulk(tx: DbOrTx, list: readonly NewEvent[]): Promise<void> {
  if (list.length === 0) return;
  const col = <T>(f: (e: NewEvent) => T) => sql.param(list.map(f));
  await tx.execute(sql`
    insert into ${events} (id, type, subject_type, subject_id, data, occurred_at)
    select * from unnest(${col(() => newId(ID_PREFIX.event))}::text[], ${col((e) => e.type)}::text[],
      ${col((e) => e.subjectType)}::text[], ${col((e) => e.subjectId)}::text[],
      ${col((e) => JSON.stringify(e.data))}::jsonb[], ${col((e) => e.occurredAt.toISOString())}::timestamptz[])`);
}
