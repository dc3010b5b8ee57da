import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../../src/db/schema.ts';
import { createContext, type AppContext } from '../../../src/context.ts';
import { loadConfig } from '../../../src/config.ts';
import { silentLogger } from '../../../src/logger.ts';
import { ManualClock, timeFrom } from '../../../src/clock.ts';
import {
  addEndpoint,
  disableEndpointTx,
  enableEndpoint,
  MAX_REPLAY_ON_ENABLE,
  rotateSecret,
} from '../../../src/events/endpoints.ts';
import { deliverOne, dueDeliveries, publishEvents } from '../../../src/events/delivery.ts';
import { verifySignature } from '../../../src/events/signature.ts';
import { createTestDatabase } from '../../support/db.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhookReceiver.ts';

/**
 * The retry policy over days, on a manual wall clock (no waiting): exponential back-off from
 * one minute, capped at six hours; a delivery is given up only after 3 days; an endpoint that
 * failed for 5 days is disabled, with an event, and its pending deliveries are given up.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('webhook retries and disabling, over days', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let close: () => Promise<void>;
  let ctx: AppContext;
  let receiver: WebhookReceiver;
  const clock = new ManualClock(new Date('2027-05-01T00:00:00Z'));
  // The merchant repairs the receiver after it was disabled (second test).
  let receiverFixed = false;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    expect(config.webhooks.retryBaseMs).toBe(MIN); // the production default
    const c = createContext(config, silentLogger, { wall: clock, time: timeFrom(clock) });
    ctx = c.ctx;
    close = () => c.database.close();
    receiver = await startWebhookReceiver(() => ({ status: receiverFixed ? 200 : 500 }));
  });
  afterAll(async () => {
    await close?.();
    await receiver?.close();
    await db?.drop();
  });

  it('backs off, gives up after 3 days, disables the endpoint after 5 days of failures', async () => {
    const { endpoint } = await addEndpoint(ctx, { url: receiver.url });
    const start = clock.now().getTime();
    let nextEventAt = start + DAY;
    let disabledAt: number | null = null;
    for (let guard = 0; guard < 5_000 && disabledAt === null; guard++) {
      await publishEvents(ctx);
      for (const d of await dueDeliveries(ctx)) {
        const r = await deliverOne(ctx, d.deliveryId);
        if (r.kind === 'failed' && r.endpointDisabled) disabledAt = clock.now().getTime();
      }
      if (disabledAt !== null) break;
      // A new event every day keeps the endpoint busy after the first delivery gives up.
      const pending = await ctx.db
        .select({ at: webhookDeliveries.nextAttemptAt })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.status, 'pending'));
      const nextDue = Math.min(...pending.map((p) => p.at!.getTime()), nextEventAt);
      clock.set(new Date(nextDue));
      if (nextDue === nextEventAt) {
        await rotateSecret(ctx, endpoint.id);
        nextEventAt += DAY;
      }
    }
    expect(disabledAt).not.toBeNull();

    // The first delivery's attempts, gap by gap: the hand-made schedule (minutes).
    const [first] = await ctx.db.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.createdAt)).limit(1);
    const attempts = await ctx.db
      .select()
      .from(webhookAttempts)
      .where(eq(webhookAttempts.deliveryId, first!.id))
      .orderBy(asc(webhookAttempts.attemptNo));
    const gaps = attempts.slice(1).map((a, i) => (a.startedAt.getTime() - attempts[i]!.startedAt.getTime()) / MIN);
    expect(gaps.slice(0, 12)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]);
    expect(gaps.every((g) => g <= 360)).toBe(true);
    // Given up only once 3 days had passed since it was created, and not before.
    expect(first!.status).toBe('failed');
    const created = first!.createdAt.getTime();
    const last = attempts.at(-1)!.startedAt.getTime();
    const beforeLast = attempts.at(-2)!.startedAt.getTime();
    expect(last - created).toBeGreaterThanOrEqual(3 * DAY);
    expect(beforeLast - created).toBeLessThan(3 * DAY);
    expect(attempts.every((a) => a.statusCode === 500)).toBe(true);

    // Disabled after 5 days of failures (measured from the first failed attempt), with an event.
    const [ep] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(ep).toMatchObject({ status: 'disabled', disabledReason: 'failing' });
    const failingSince = ep!.failingSince!.getTime();
    expect(failingSince).toBe(attempts[0]!.startedAt.getTime());
    expect(disabledAt! - failingSince).toBeGreaterThanOrEqual(5 * DAY);
    expect(disabledAt! - failingSince).toBeLessThan(5 * DAY + 6 * HOUR + MIN);
    const disabledEvents = await ctx.db.select().from(events).where(eq(events.type, 'webhook_endpoint.disabled'));
    expect(disabledEvents).toHaveLength(1);
    expect(disabledEvents[0]!.data).toMatchObject({ reason: 'failing', url: endpoint.url });
    // Nothing is left pending for it, and nothing more is due.
    const left = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.status, 'pending'));
    expect(left).toEqual([]);
    clock.advanceMs(DAY);
    await publishEvents(ctx);
    expect(await dueDeliveries(ctx)).toEqual([]);
  });

  it('enable: the fixed receiver gets every event it missed once, with --replay-since; twice changes nothing', async () => {
    // Continues from the disabled endpoint above.
    const [ep] = await ctx.db.select().from(webhookEndpoints);
    expect(ep).toMatchObject({ status: 'disabled', disabledReason: 'failing' });
    // Events while it is disabled get no delivery to it.
    clock.advanceMs(HOUR);
    await rotateSecret(ctx, ep!.id);
    await rotateSecret(ctx, ep!.id);
    await publishEvents(ctx);
    expect(await dueDeliveries(ctx)).toEqual([]);
    receiverFixed = true;

    // What it never received: every published event (each was either given up, failed, or
    // never fanned out to it while disabled). None was delivered: the receiver answered 500.
    expect(receiver.processed).toEqual([]);
    const missed = await ctx.db
      .select({ id: events.id })
      .from(events)
      .where(isNotNull(events.publishedAt))
      .orderBy(asc(events.seq));
    expect(missed.length).toBeGreaterThanOrEqual(8); // created, 5+ rotations, disabled, 2 more rotations

    // A time that is not a time: refused, naming the field, and nothing changes.
    await expect(enableEndpoint(ctx, ep!.id, { replaySince: new Date('nope') })).rejects.toThrow(
      'replaySince: the time to replay from is not a valid date (rule: a valid time)',
    );
    expect((await ctx.db.select().from(webhookEndpoints))[0]!.status).toBe('disabled');
    const refused = await enableEndpoint(ctx, 'we_missing').catch((e: Error) => e.message);
    expect(refused).toMatch(/webhook endpoint/);

    const since = new Date('2027-05-01T00:00:00Z');
    const first = await enableEndpoint(ctx, ep!.id, { replaySince: since });
    expect(first.changed).toBe(true);
    expect(first.replayed).toBe(missed.length);
    expect(first.endpoint).toMatchObject({ status: 'enabled', disabledReason: null, failingSince: null });
    // Twice is harmless: nothing is queued again while the first replay is pending.
    const again = await enableEndpoint(ctx, ep!.id, { replaySince: since });
    expect(again).toMatchObject({ changed: false, replayed: 0 });

    await publishEvents(ctx); // fans out the webhook_endpoint.enabled event itself
    for (let round = 0; round < 3; round++)
      for (const d of await dueDeliveries(ctx)) await deliverOne(ctx, d.deliveryId);
    const enabledEvents = await ctx.db.select().from(events).where(eq(events.type, 'webhook_endpoint.enabled'));
    expect(enabledEvents).toHaveLength(1);
    expect(enabledEvents[0]!.data).toEqual({ url: ep!.url, previousReason: 'failing', replayed: missed.length });
    // Every missed event once, and the enabled event; each verified with the secret. (Order
    // is not promised: receivers order by the body's `sequence`.)
    expect([...receiver.processed].sort()).toEqual([...missed.map((m) => m.id), enabledEvents[0]!.id].sort());
    const ok = receiver.requests.filter((r) => r.status === 200);
    expect(ok).toHaveLength(missed.length + 1);
    // Signed with the current secret; judged at the manual clock's time (the deliveries' `t`).
    const at = Math.floor(clock.now().getTime() / 1000);
    const secret = await currentSecret(ep!.id);
    expect(ok.map((r) => verifySignature(r.rawBody, r.signature, secret, { now: at }).ok)).toEqual(ok.map(() => true));
    // A later replay from the same time finds everything delivered.
    expect((await enableEndpoint(ctx, ep!.id, { replaySince: since })).replayed).toBe(0);
  });

  it('enable refuses to replay more than MAX_REPLAY_ON_ENABLE events at once, and changes nothing', async () => {
    const { endpoint } = await addEndpoint(ctx, { url: receiver.url, eventTypes: ['bulk.test'] });
    await ctx.db.execute(sql`insert into events (id, type, subject_type, subject_id, data, occurred_at, published_at)
      select 'evt_bulk_' || g, 'bulk.test', 'test', 'x', '{}'::jsonb, ${clock.now()}, ${clock.now()}
      from generate_series(1, ${MAX_REPLAY_ON_ENABLE + 1}) g`);
    const err = await enableEndpoint(ctx, endpoint.id, { replaySince: new Date(0) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`${MAX_REPLAY_ON_ENABLE + 1} events since`);
    // The field the caller named: `replaySince` (the CLI shows it as --replay-since).
    expect((err as { field?: string }).field).toBe('replaySince');
    const queued = await ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpoint.id)));
    expect(queued[0]!.n).toBe(0);
  });

  it('enable replays a window wider than one page of events: each wanted event once, the others not', async () => {
    const { endpoint } = await addEndpoint(ctx, { url: receiver.url, eventTypes: ['wide.wanted'] });
    await ctx.db.update(webhookEndpoints).set({ status: 'disabled' }).where(eq(webhookEndpoints.id, endpoint.id));
    // 6,000 wanted and 6,000 not, interleaved: more than one page (5,000) of each kind.
    await ctx.db.execute(sql`insert into events (id, type, subject_type, subject_id, data, occurred_at, published_at)
      select 'evt_wide_' || g, case when g % 2 = 0 then 'wide.wanted' else 'wide.other' end, 'test', 'x', '{}'::jsonb,
             ${clock.now()}, ${clock.now()}
      from generate_series(1, 12000) g`);
    const r = await enableEndpoint(ctx, endpoint.id, { replaySince: clock.now() });
    expect(r.replayed).toBe(6000);
    const rows = await ctx.db
      .select({ eventId: webhookDeliveries.eventId })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(rows).toHaveLength(6000);
    expect(new Set(rows.map((x) => x.eventId)).size).toBe(6000);
    expect(rows.every((x) => Number(x.eventId.slice('evt_wide_'.length)) % 2 === 0)).toBe(true);
    // Disabled again: the 6,000 pending replays are given up, none left pending.
    await ctx.db.transaction((tx) => disableEndpointTx(tx, endpoint.id, 'requested', clock.now()));
    const pending = await ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpoint.id), eq(webhookDeliveries.status, 'pending')));
    expect(pending[0]!.n).toBe(0);
  });

  it('an event published while its endpoint is being enabled is delivered to it (no gap between publish and replay)', async () => {
    const { endpoint } = await addEndpoint(ctx, { url: receiver.url, eventTypes: ['webhook_endpoint.secret_rotated'] });
    await ctx.db.update(webhookEndpoints).set({ status: 'disabled' }).where(eq(webhookEndpoints.id, endpoint.id));
    await publishEvents(ctx);
    await rotateSecret(ctx, endpoint.id); // an event the endpoint wants, not yet published
    // The enable's transaction, held open: the endpoint row locked and already 'enabled'.
    const enabler = new pg.Client({ connectionString: db.url });
    await enabler.connect();
    try {
      await enabler.query('begin');
      await enabler.query('select id from webhook_endpoints where id = $1 for update', [endpoint.id]);
      await enabler.query(`update webhook_endpoints set status = 'enabled' where id = $1`, [endpoint.id]);
      const publishing = publishEvents(ctx);
      // Long enough for a publisher that does not wait to finish without the endpoint.
      await new Promise((r) => setTimeout(r, 300));
      await enabler.query('commit');
      const report = await publishing;
      expect(report.events).toBe(1);
    } finally {
      await enabler.end();
    }
    const deliveries = await ctx.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.origin).toBe('event');
  });

  async function currentSecret(id: string): Promise<string> {
    const [row] = await ctx.db
      .select({ secret: webhookEndpoints.secret })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, id));
    return row!.secret;
  }
});
