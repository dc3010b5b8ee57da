import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, gte, isNotNull, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import type { WebhookEndpointRow } from '../db/rows.ts';
import { events, webhookDeliveries, webhookEndpoints } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { ID_PREFIX, newId } from '../ids.ts';
import {
  webhookEndpointCreated,
  webhookEndpointDisabled,
  webhookEndpointEnabled,
  webhookEndpointSecretRotated,
} from './builders.ts';
import { recordEvent } from './outbox.ts';
import { SECRET_ROTATION_OVERLAP_MS } from './deliveryPolicy.ts';

/**
 * Merchant webhook endpoints: register, list, disable, rotate the signing secret. The secret
 * is returned once, by `addEndpoint` and `rotateSecret`; listings never carry it.
 */
export type WebhookEndpoint = Omit<WebhookEndpointRow, 'secret' | 'previousSecret'>;

export type EndpointDeps = Pick<AppContext, 'db' | 'time' | 'wall'>;

export interface AddEndpointInput {
  url: string;
  /** Event types (`invoice.paid`), prefixes (`invoice.*`), or absent/empty for every type. */
  eventTypes?: readonly string[];
}

const EVENT_TYPE = /^[a-z][a-z_]*(\.[a-z_]+)*(\.\*)?$/;
const MAX_URL = 2048;

export function validateEndpointInput(input: AddEndpointInput): { url: string; eventTypes: string[] | null } {
  const text = input.url.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError('url', 'absolute http(s) URL', `"${input.url}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError('url', 'absolute http(s) URL', `scheme ${url.protocol} is not http or https`);
  if (text.length > MAX_URL) throw new ValidationError('url', `at most ${MAX_URL} characters`, 'the URL is too long');
  if (url.username || url.password)
    throw new ValidationError('url', 'no credentials in the URL', 'the URL carries a user name or password');
  const types = (input.eventTypes ?? []).map((t) => t.trim()).filter((t) => t !== '');
  for (const t of types) {
    if (t !== '*' && !EVENT_TYPE.test(t))
      throw new ValidationError(
        'events',
        'event types such as invoice.paid, prefixes such as invoice.*, or *',
        `"${t}" is not an event type`,
      );
  }
  const all = types.length === 0 || types.includes('*');
  return { url: url.toString(), eventTypes: all ? null : [...new Set(types)] };
}

/** Does an endpoint subscribed to `eventTypes` (null = all) want an event of `type`? */
export function endpointWants(eventTypes: readonly string[] | null, type: string): boolean {
  if (eventTypes === null) return true;
  return eventTypes.some((t) => (t.endsWith('.*') ? type.startsWith(t.slice(0, -1)) : t === type));
}

/** `whsec_` + 32 random bytes in hex: 256 bits, the HMAC-SHA256 key size. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

const publicColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  eventTypes: webhookEndpoints.eventTypes,
  status: webhookEndpoints.status,
  failingSince: webhookEndpoints.failingSince,
  disabledReason: webhookEndpoints.disabledReason,
  previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

export async function addEndpoint(
  deps: EndpointDeps,
  input: AddEndpointInput,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const valid = validateEndpointInput(input);
  const now = await deps.time.now();
  const id = newId(ID_PREFIX.webhookEndpoint);
  const secret = newSigningSecret();
  const endpoint = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ id, url: valid.url, eventTypes: valid.eventTypes, secret, createdAt: now, updatedAt: now })
      .returning(publicColumns);
    await recordEvent(tx, webhookEndpointCreated({ id, url: valid.url, eventTypes: valid.eventTypes }, now));
    return row;
  });
  if (!endpoint) throw new Error('insert returned no row');
  return { endpoint, secret };
}

export async function listEndpoints(db: DbOrTx): Promise<WebhookEndpoint[]> {
  return db
    .select(publicColumns)
    .from(webhookEndpoints)
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}

export async function getEndpoint(db: DbOrTx, id: string): Promise<WebhookEndpoint> {
  const [row] = await db.select(publicColumns).from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw new NotFoundError('webhook endpoint', id);
  return row;
}

/**
 * Disables an endpoint and gives up its pending deliveries (they stay visible as `failed`
 * and can be sent again with `events replay`). Used by operators and by the delivery worker
 * for an endpoint that failed too long. Idempotent: a disabled endpoint is left as it is.
 */
export async function disableEndpointTx(
  tx: Tx,
  id: string,
  reason: string,
  now: Date,
): Promise<{ endpoint: WebhookEndpoint; changed: boolean }> {
  const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
  if (!row) throw new NotFoundError('webhook endpoint', id);
  const { secret: _secret, previousSecret: _previous, ...current } = row;
  if (row.status === 'disabled') return { endpoint: current, changed: false };
  const [updated] = await tx
    .update(webhookEndpoints)
    .set({ status: 'disabled', disabledReason: reason, updatedAt: now })
    .where(eq(webhookEndpoints.id, id))
    .returning(publicColumns);
  const abandoned = await tx
    .update(webhookDeliveries)
    .set({
      status: 'failed',
      nextAttemptAt: null,
      lastError: sql`coalesce(${webhookDeliveries.lastError} || '; ', '') || 'endpoint disabled'`,
    })
    .where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.status, 'pending')))
    .returning({ id: webhookDeliveries.id });
  await recordEvent(
    tx,
    webhookEndpointDisabled(
      row,
      reason,
      { failingSince: row.failingSince, abandonedDeliveries: abandoned.length },
      now,
    ),
  );
  return { endpoint: updated ?? current, changed: true };
}

export async function disableEndpoint(deps: EndpointDeps, id: string): Promise<WebhookEndpoint> {
  const now = await deps.time.now();
  return (await deps.db.transaction((tx) => disableEndpointTx(tx, id, 'requested', now))).endpoint;
}

/** Most missed events one `enable --replay-since` queues again; a wider window is refused. */
export const MAX_REPLAY_ON_ENABLE = 10_000;
/** Events read per statement while looking for what an endpoint missed. */
const MISSED_PAGE = 5_000;
/** Replay deliveries written per statement. */
const INSERT_CHUNK = 1_000;

/**
 * Published events since `since` that the endpoint wants and has neither received nor still
 * pending, oldest first. Read a page at a time by `seq`, so a wide window costs memory for at
 * most MAX_REPLAY_ON_ENABLE events: one more than that and the window is refused.
 */
async function missedEvents(
  tx: Tx,
  endpoint: { id: string; eventTypes: string[] | null },
  since: Date,
): Promise<Array<{ id: string }>> {
  const wanted: Array<{ id: string }> = [];
  let afterSeq = 0;
  for (;;) {
    // Unpublished events are left to the scan, which fans them out to the endpoint once it
    // is enabled; replaying them too would send them twice.
    const page = await tx
      .select({ seq: events.seq, id: events.id, type: events.type })
      .from(events)
      .where(
        and(
          gt(events.seq, afterSeq),
          gte(events.occurredAt, since),
          isNotNull(events.publishedAt),
          sql`not exists (select 1 from ${webhookDeliveries} d where d.event_id = ${events.id}
              and d.endpoint_id = ${endpoint.id} and d.status in ('pending', 'delivered'))`,
        ),
      )
      .orderBy(asc(events.seq))
      .limit(MISSED_PAGE);
    for (const e of page) if (endpointWants(endpoint.eventTypes, e.type)) wanted.push({ id: e.id });
    if (wanted.length > MAX_REPLAY_ON_ENABLE)
      throw new ValidationError(
        'replaySince',
        `at most ${MAX_REPLAY_ON_ENABLE} events to replay`,
        `at least ${wanted.length} events since ${since.toISOString()} would be sent again; choose a later time`,
      );
    const last = page.at(-1);
    if (last === undefined || page.length < MISSED_PAGE) return wanted;
    afterSeq = last.seq;
  }
}

/**
 * Enables a disabled endpoint again (the receiver is fixed): deliveries resume with the next
 * event. Events published while it was disabled got no delivery to it, and those given up at
 * the disable are `failed`; `replaySince` queues again every published event since that
 * (engine) time the endpoint wants and has neither received nor still pending — each once,
 * with its original event id, so receivers that dedupe on it stay correct. Idempotent: an
 * enabled endpoint stays as it is (a replay still runs, and finds nothing twice).
 */
export async function enableEndpoint(
  deps: EndpointDeps,
  id: string,
  opts: { replaySince?: Date } = {},
): Promise<{ endpoint: WebhookEndpoint; changed: boolean; replayed: number }> {
  if (opts.replaySince !== undefined && Number.isNaN(opts.replaySince.getTime()))
    throw new ValidationError('replaySince', 'a valid time', 'the time to replay from is not a valid date');
  const now = await deps.time.now();
  const wallNow = deps.wall.now();
  return deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
    if (!row) throw new NotFoundError('webhook endpoint', id);
    const { secret: _secret, previousSecret: _previous, ...current } = row;
    let replayed = 0;
    if (opts.replaySince !== undefined) {
      const wanted = await missedEvents(tx, row, opts.replaySince);
      // In chunks: one statement's parameters are limited to 65,535.
      for (let i = 0; i < wanted.length; i += INSERT_CHUNK)
        await tx.insert(webhookDeliveries).values(
          wanted.slice(i, i + INSERT_CHUNK).map((e) => ({
            id: newId(ID_PREFIX.webhookDelivery),
            eventId: e.id,
            endpointId: id,
            origin: 'replay' as const,
            nextAttemptAt: wallNow,
            createdAt: wallNow,
          })),
        );
      replayed = wanted.length;
    }
    if (row.status === 'enabled') return { endpoint: current, changed: false, replayed };
    const [updated] = await tx
      .update(webhookEndpoints)
      .set({ status: 'enabled', disabledReason: null, failingSince: null, updatedAt: now })
      .where(eq(webhookEndpoints.id, id))
      .returning(publicColumns);
    await recordEvent(tx, webhookEndpointEnabled(row, { previousReason: row.disabledReason, replayed }, now));
    return { endpoint: updated ?? current, changed: true, replayed };
  });
}

/**
 * A new secret, effective for the next delivery attempt. The old one keeps signing too (a
 * second `v1=`) for SECRET_ROTATION_OVERLAP_MS, so receivers can switch without rejecting
 * anything; `expireOldNow` drops it at once (a leaked secret).
 */
export async function rotateSecret(
  deps: EndpointDeps,
  id: string,
  opts: { expireOldNow?: boolean } = {},
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const now = await deps.time.now();
  const overlapUntil = new Date(deps.wall.now().getTime() + SECRET_ROTATION_OVERLAP_MS);
  const secret = newSigningSecret();
  const endpoint = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        secret,
        previousSecret: opts.expireOldNow ? null : sql`${webhookEndpoints.secret}`,
        previousSecretExpiresAt: opts.expireOldNow ? null : overlapUntil,
        updatedAt: now,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning(publicColumns);
    if (!row) throw new NotFoundError('webhook endpoint', id);
    await recordEvent(tx, webhookEndpointSecretRotated(row, now));
    return row;
  });
  return { endpoint, secret };
}
