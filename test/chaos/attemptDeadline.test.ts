/**
 * Issue 9, item 3: a worker configured with a long ASIABILL_TIMEOUT_MS and a reconciler with
 * a short one must not be able to produce two charges for one invoice. The timeout is capped
 * far below AsiaBill's 10-minute request window, and each attempt carries the deadline of the
 * worker that made it (`respond_by`), so the reconciler never judges a `started` attempt by
 * its own setting. Judged on the sandbox gateway's ledger.
 *
 * The worker's network is a latch: its request leaves only when the test says so — unless the
 * worker's own timeout (on the shared wall clock) has passed by then, in which case the
 * client has given up and the request never reaches AsiaBill, as with a real aborted call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { chargeAttempts, invoices, subscriptions } from '../../src/db/schema.ts';
import { chargeInvoice } from '../../src/renewals/charge.ts';
import { reconcileOpenAttempts } from '../../src/renewals/reconcile.ts';
import { scanDueWork } from '../../src/renewals/scan.ts';
import { setTestClock } from '../../src/testClock/store.ts';
import { ManualClock, type Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { UnknownOutcomeError } from '../../src/asiabill/errors.ts';
import type { AsiabillGateway } from '../../src/asiabill/types.ts';
import type { AppContext } from '../../src/context.ts';
import { CARDS, makePlan, startTestEngine, subscribe, type TestEngine } from '../support/engine.ts';

/** The longest timeout an operator can configure: 15 minutes if the configuration allows it. */
function longestAcceptedTimeoutMs(): number {
  for (const ms of [15 * 60_000, 10 * 60_000, 5 * 60_000, 2 * 60_000, 60_000]) {
    try {
      return loadConfig({ ASIABILL_TIMEOUT_MS: String(ms) }).gateway.timeoutMs;
    } catch {}
  }
  throw new Error('no timeout of a minute or more is accepted');
}

function latchedGateway(inner: AsiabillGateway, wall: Clock, timeoutMs: number) {
  let open: () => void = () => {};
  const latch = new Promise<void>((resolve) => {
    open = resolve;
  });
  const gateway: AsiabillGateway = {
    confirmCharge: async (req, opts) => {
      await latch;
      const sentAt = opts?.requestTime ?? 0;
      if (wall.now().getTime() > sentAt + timeoutMs)
        throw new UnknownOutcomeError({
          orderNo: req.orderNo,
          requestTime: sentAt,
          requestId: 'latched',
          reason: 'timeout',
          detail: 'the worker gave up before its request left',
        });
      return inner.confirmCharge(req, opts);
    },
    searchTransactions: (q) => inner.searchTransactions(q),
    refund: (r) => inner.refund(r),
    refundStatus: (b) => inner.refundStatus(b),
    updateCustomer: (id, f) => inner.updateCustomer(id, f),
    deleteCustomer: (id) => inner.deleteCustomer(id),
    detachPaymentMethod: (id) => inner.detachPaymentMethod(id),
    createCustomer: (i) => inner.createCustomer(i),
    createPaymentMethod: (i) => inner.createPaymentMethod(i),
    getPaymentMethod: (id) => inner.getPaymentMethod(id),
  };
  return { gateway, release: () => open() };
}

function withTimeout(ctx: AppContext, timeoutMs: number): AppContext['config'] {
  return { ...ctx.config, gateway: { ...ctx.config.gateway, timeoutMs } };
}

describe('worker timeout versus reconciler timeout', () => {
  let t: TestEngine;
  beforeAll(async () => {
    // No background workers: the test plays the worker and the reconciler itself.
    t = await startTestEngine({
      start: '2028-02-10T10:00:00Z',
      parts: { scheduler: false, charge: false, reconcile: false },
      sandboxNotify: { delayMs: 600_000 },
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  /** An active subscription's renewal invoice, due now. */
  async function dueRenewal(): Promise<string> {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;
    await setTestClock(t.ctx.db, s.currentPeriodEnd);
    await scanDueWork({ db: t.ctx.db, enqueueCharge: async () => {}, batchSize: 100 }, s.currentPeriodEnd);
    const inv = (
      await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, s.id)).orderBy(invoices.periodIndex)
    )[1];
    expect(inv?.status).toBe('open');
    return inv!.id;
  }

  const attemptsOf = (invoiceId: string) =>
    t.ctx.db
      .select()
      .from(chargeAttempts)
      .where(eq(chargeAttempts.invoiceId, invoiceId))
      .orderBy(chargeAttempts.attemptNo);

  async function untilAttempts(invoiceId: string, n: number): Promise<void> {
    for (let i = 0; (await attemptsOf(invoiceId)).length < n; i++) {
      if (i > 400) throw new Error('the worker never wrote its attempt');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('the longest configurable worker timeout and a 1 s reconciler still charge once', async () => {
    const workerTimeout = longestAcceptedTimeoutMs();
    const invoiceId = await dueRenewal();
    const wall = new ManualClock(new Date());
    const latched = latchedGateway(t.ctx.gateway, wall, workerTimeout);
    const worker = { ...t.ctx, wall, gateway: latched.gateway, config: withTimeout(t.ctx, workerTimeout) };
    const inFlight = chargeInvoice(worker, invoiceId);
    await untilAttempts(invoiceId, 1);

    // 12.5 minutes on: the request window is over and AsiaBill has never seen the order. A
    // reconciler with a 1-second setting settles it and the invoice is charged again.
    wall.advanceMs(12.5 * 60_000);
    const reconciler = { ...t.ctx, wall, config: withTimeout(t.ctx, 1_000) };
    await reconcileOpenAttempts(reconciler);
    const second = await chargeInvoice(t.ctx, invoiceId);
    expect(second.kind === 'attempted' && second.status).toBe('succeeded');

    // Now the first worker's network lets its request through, if that worker still waits.
    latched.release();
    await inFlight.catch(() => undefined);
    const charged = t.engine.sandbox!.ledger().filter((e) => e.orderNo.startsWith(invoiceId) && e.status === 'success');
    expect(charged).toHaveLength(1);
    expect((await attemptsOf(invoiceId)).filter((a) => a.status === 'succeeded')).toHaveLength(1);
  });

  it("a started attempt is judged by its own worker's deadline, never by the reconciler's setting", async () => {
    const workerTimeout = 100_000;
    const invoiceId = await dueRenewal();
    const wall = new ManualClock(new Date());
    const latched = latchedGateway(t.ctx.gateway, wall, workerTimeout);
    const worker = { ...t.ctx, wall, gateway: latched.gateway, config: withTimeout(t.ctx, workerTimeout) };
    const inFlight = chargeInvoice(worker, invoiceId);
    await untilAttempts(invoiceId, 1);
    const [attempt] = await attemptsOf(invoiceId);
    expect(attempt?.respondBy?.getTime()).toBe(attempt!.requestTime.getTime() + workerTimeout);

    // 30 s on, a reconciler whose own timeout is 1 s must leave the worker's call alone.
    wall.advanceMs(30_000);
    const reconciler = { ...t.ctx, wall, config: withTimeout(t.ctx, 1_000) };
    const early = await reconcileOpenAttempts(reconciler);
    expect(early.checked).toBe(0);
    expect((await attemptsOf(invoiceId))[0]).toMatchObject({
      status: 'started',
      reconcileChecks: 0,
      lastCheckedAt: null,
    });

    // The worker's answer arrives inside its deadline and is the one recorded.
    latched.release();
    const r = await inFlight;
    expect(r.kind === 'attempted' && r.status).toBe('succeeded');
    // Past its deadline, an attempt left `started` would be looked up; this one is settled.
    wall.advanceMs(workerTimeout);
    expect((await reconcileOpenAttempts(reconciler)).checked).toBe(0);
    expect(t.engine.sandbox!.ledger().filter((e) => e.orderNo.startsWith(invoiceId))).toHaveLength(1);
  });
});
