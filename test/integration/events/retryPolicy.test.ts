import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../../src/db/schema.ts';
import { createContext, type AppContext } from '../../../src/context.ts';
import { loadConfig } from '../../../src/config.ts';
import { silentLogger } from '../../../src/logger.ts';
import { ManualClock, timeFrom } from '../../../src/clock.ts';
import { addEndpoint, rotateSecret } from '../../../src/events/endpoints.ts';
import { deliverOne, dueDeliveries, publishEvents } from '../../../src/events/delivery.ts';
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

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    expect(config.webhooks.retryBaseMs).toBe(MIN); // the production default
    const c = createContext(config, silentLogger, { wall: clock, time: timeFrom(clock) });
    ctx = c.ctx;
    close = () => c.database.close();
    receiver = await startWebhookReceiver(() => ({ status: 500 }));
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
});
