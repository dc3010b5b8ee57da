import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { loadConfig } from '../../../src/config.ts';
import { startEngine, type Engine } from '../../../src/engine.ts';
import { createLogger, silentLogger, type Logger } from '../../../src/logger.ts';
import { startSandbox, type LedgerEntry, type Sandbox } from '../../../src/sandbox/index.ts';
import { setTestClock } from '../../../src/testClock/store.ts';
import { advanceTestClock } from '../../../src/testClock/advance.ts';
import { events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { createTestDatabase, testQueuePrefix } from '../../support/db.ts';
import { DAY_MS, makePlan, subscribe, wipeRedisPrefix } from '../../support/engine.ts';

/**
 * The merchant-side test (issue 8): subscriptions renew while the engine signs with a wrong
 * key, so AsiaBill refuses every charge with L0005 before any processing. That is a fault on
 * our side, not a decline: nothing may be canceled or even made past_due. After a restart with
 * the right key, every parked invoice is charged exactly once — checked on the gateway's ledger.
 */
const START = '2027-01-10T09:00:00Z';
const SUBS = 3;

describe('merchant-side refusals are not declines', () => {
  let sandbox: Sandbox;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const prefix = testQueuePrefix();
  let engine: Engine | null = null;
  const errorLines: string[] = [];

  const configWith = (signKey: string) =>
    loadConfig({
      DATABASE_URL: db.url,
      BILLING_QUEUE_PREFIX: prefix,
      BILLING_CLOCK: 'test',
      BILLING_HTTP_PORT: '0',
      BILLING_SCAN_INTERVAL_MS: '60000',
      ASIABILL_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'silent',
      ASIABILL_PAYMENT_URL: sandbox.paymentUrl,
      ASIABILL_OPENAPI_URL: sandbox.openapiUrl,
      ASIABILL_GATEWAY_NO: sandbox.gatewayNo,
      ASIABILL_SIGN_KEY: signKey,
    });
  const start = (signKey: string, logger: Logger = silentLogger) =>
    startEngine({
      config: configWith(signKey),
      logger,
      parts: { http: true, scheduler: true, charge: true, sandbox: false },
    });
  const advance = (e: Engine, to: Date) =>
    advanceTestClock(e.ctx.db, e.queues, { to, wait: true, stepMs: DAY_MS, timeoutMs: 60_000 });

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      stateFile: undefined,
      logger: silentLogger,
      notify: { delayMs: 5, retryScheduleMs: [100, 200, 400, 800] },
    });
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await engine?.close();
    await wipeRedisPrefix(configWith(sandbox.signKey).redisUrl, prefix);
    await sandbox?.close();
    await db?.drop();
  });

  it('a wrong sign key parks renewals (L0005), changes no status; the right key charges each parked invoice once', async () => {
    // Sign-up with the right key.
    engine = await start(sandbox.signKey);
    await setTestClock(engine.ctx.db, new Date(START));
    const plan = await makePlan(engine.ctx, { interval: 'week' });
    const subIds: string[] = [];
    for (let i = 0; i < SUBS; i++) subIds.push((await subscribe(engine.ctx, plan)).subscriptionId);
    expect(subIds).toHaveLength(SUBS);
    // Let the sign-up notifications land before the restart (a delivery in flight holds the HTTP close).
    await sandbox.flushNotifications();
    await engine.close();

    // The key is "rotated" wrongly: every request is refused before processing.
    const sink = {
      write(line: string) {
        if (line.includes('"level":50')) errorLines.push(line);
      },
    };
    engine = await start('wrongKey9', createLogger({ level: 'error', destination: sink }));
    const outageEnd = new Date(new Date(START).getTime() + 20 * DAY_MS);
    await advance(engine, outageEnd);

    const subsDuring = await engine.ctx.db.select().from(subscriptions).where(inArray(subscriptions.id, subIds));
    expect(subsDuring).toHaveLength(SUBS);
    for (const s of subsDuring) expect(s.status).toBe('active');
    const parked = await engine.ctx.db
      .select()
      .from(invoices)
      .where(and(inArray(invoices.subscriptionId, subIds), eq(invoices.periodIndex, 1)));
    expect(parked).toHaveLength(SUBS);
    for (const inv of parked) {
      expect(inv.status).toBe('open');
      expect(inv.parkedCode).toBe('L0005');
      // Tried again with back-off during the outage, never given up.
      expect(inv.refusalCount).toBeGreaterThan(3);
      expect(inv.nextAttemptAt).not.toBeNull();
      expect(inv.firstFailedAt).toBeNull();
    }
    // Only the sign-up charges reached the gateway; nothing was declined.
    const ledger1: LedgerEntry[] = sandbox.ledger();
    expect(ledger1.filter((l) => l.status === 'success')).toHaveLength(SUBS);
    expect(ledger1.filter((l) => l.status !== 'success')).toHaveLength(0);
    const types = (
      await engine.ctx.db.select({ type: events.type, data: events.data }).from(events).orderBy(events.seq)
    ).map((e) => e.type);
    expect(types.filter((t) => t === 'gateway.refusing').length).toBeGreaterThanOrEqual(SUBS * 4);
    for (const bad of ['subscription.past_due', 'subscription.canceled', 'subscription.unpaid', 'dunning.exhausted'])
      expect(types).not.toContain(bad);
    expect(types).not.toContain('invoice.payment_failed');
    // An operator sees it at error level, with the code.
    expect(errorLines.length).toBeGreaterThan(0);
    expect(errorLines.some((l) => l.includes('L0005') && l.includes('gateway refusing'))).toBe(true);
    await engine.close();

    // Restart with the right key: every parked invoice is charged once, then the missed weeks catch up.
    engine = await start(sandbox.signKey);
    const after = new Date(outageEnd.getTime() + DAY_MS);
    await advance(engine, after);
    const ledger2 = sandbox.ledger();
    for (const inv of parked) {
      const charges = ledger2.filter((l) => l.orderNo.startsWith(`${inv.id}-`));
      expect(charges.map((c) => c.status)).toEqual(['success']);
      const row = (await engine.ctx.db.select().from(invoices).where(eq(invoices.id, inv.id)))[0];
      expect(row?.status).toBe('paid');
    }
    // Each renewal invoice (the parked one and the caught-up weeks) has exactly one success.
    const allInvoices = await engine.ctx.db.select().from(invoices).where(inArray(invoices.subscriptionId, subIds));
    expect(allInvoices.length).toBeGreaterThan(SUBS * 3);
    for (const inv of allInvoices) {
      const ok = ledger2.filter((l) => l.orderNo.startsWith(`${inv.id}-`) && l.status === 'success');
      expect(ok).toHaveLength(inv.status === 'paid' ? 1 : 0);
    }
    const subsAfter = await engine.ctx.db.select().from(subscriptions).where(inArray(subscriptions.id, subIds));
    for (const s of subsAfter) expect(s.status).toBe('active');
  });
});
