import type { DbOrTx } from '../db/client.ts';
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
  | 'notification'
  | 'webhook_endpoint'
  | 'refund'
  | 'coupon';

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
 * Events as six parallel arrays (id, type, subject type, subject id, data, occurred at) for an
 * `insert … select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
 * $6::timestamptz[])`: one statement whose text does not change with how many events it carries,
 * so it can be a prepared statement (the charge hot path) or a page of hundreds (the scan).
 */
export const EVENTS_UNNEST_INSERT = (first: number): string =>
  `insert into events (id, type, subject_type, subject_id, data, occurred_at)
   select * from unnest($${first}::text[], $${first + 1}::text[], $${first + 2}::text[], $${first + 3}::text[],
     $${first + 4}::jsonb[], $${first + 5}::timestamptz[])`;

export function eventArrays(list: readonly NewEvent[]): [string[], string[], string[], string[], string[], string[]] {
  return [
    list.map(() => newId(ID_PREFIX.event)),
    list.map((e) => e.type),
    list.map((e) => e.subjectType),
    list.map((e) => e.subjectId),
    list.map((e) => JSON.stringify(e.data)),
    list.map((e) => e.occurredAt.toISOString()),
  ];
}
