import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { chargeAttempts, invoices, subscriptions } from '../../../src/db/schema.ts';
import { chargeInvoice } from '../../../src/renewals/charge.ts';
import { renewDuePage } from '../../../src/renewals/renewPage.ts';
import { setTestClock } from '../../../src/testClock/store.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';

/**
 * A queued charge job's intent is one statement (renewals/claimIntent.ts) whose SQL guard must
 * decide exactly as charge.ts's own checks do. Each case below is a state a job can meet, with
 * the result the rules give (docs/dunning.md, DESIGN.md I1/I2), and the sandbox's
 * ledger says whether a charge went out.
 */
const START = new Date('2027-01-10T00:00:00Z');
const HOUR_MS = 3600_000;

describe('a queued job claims its intent in one statement, with the same checks as a transaction', () => {
  let t: TestEngine;
  let plan = '';
  beforeAll(async () => {
    t = await startTestEngine({
      start: START.toISOString(),
      parts: { scheduler: false, charge: false },
      env: { BILLING_SCAN_INTERVAL_MS: '3600000' },
    });
    plan = await makePlan(t.ctx);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const ledgerOf = (invoiceId: string) => t.engine.sandbox!.ledger().filter((l) => l.orderNo.startsWith(invoiceId));
  const attemptsOf = (invoiceId: string) =>
    t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, invoiceId));

  // The test clock only moves forward: each case subscribes where the last one left it.
  /** A subscription paid for its first month, the clock an hour past its end, its renewal invoice open and due. */
  async function dueRenewal(): Promise<{ subscriptionId: string; invoiceId: string; at: Date }> {
    const s = await subscribe(t.ctx, plan, CARDS.success);
    expect(s.status).toBe('active');
    // The first charge's notification takes the subscription's lock when it is applied; the
    // page renewal skips locked rows (SKIP LOCKED, by design), so let it land first.
    await t.engine.sandbox!.flushNotifications();
    const [sub] = await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, s.subscriptionId));
    const at = new Date(sub!.currentPeriodEnd.getTime() + HOUR_MS);
    await setTestClock(t.ctx.db, at);
    const page = await renewDuePage(t.ctx.db, [s.subscriptionId], at);
    expect(page.invoiced.length).toBe(1);
    return { subscriptionId: s.subscriptionId, invoiceId: page.invoiced[0]!.invoiceId, at };
  }

  it('claims, charges once with the mandate (Recurring), and a second run of the same job finds it paid', async () => {
    const { invoiceId } = await dueRenewal();
    const r = await chargeInvoice(t.ctx, invoiceId, { expectAttemptNo: 1 });
    expect(r).toMatchObject({ kind: 'attempted', status: 'succeeded', tokenType: 'Recurring' });
    const atts = await attemptsOf(invoiceId);
    expect(atts.length).toBe(1);
    expect(atts[0]).toMatchObject({ attemptNo: 1, orderNo: `${invoiceId}-1`, reattempt: false, amount: 1000 });
    // Its own answer deadline: request-time + this worker's ASIABILL_TIMEOUT_MS (5 s in tests).
    expect(atts[0]?.respondBy?.getTime()).toBe(atts[0]!.requestTime.getTime() + 5000);
    expect(await chargeInvoice(t.ctx, invoiceId, { expectAttemptNo: 1 })).toEqual({
      kind: 'skipped',
      reason: 'invoice_not_open',
    });
    expect(ledgerOf(invoiceId).map((l) => l.status)).toEqual(['success']);
  });

  it('skips a stale job, a job not yet due, a subscription no longer billable and a missing invoice — writing nothing', async () => {
    const stale = await dueRenewal();
    expect(await chargeInvoice(t.ctx, stale.invoiceId, { expectAttemptNo: 2 })).toEqual({
      kind: 'skipped',
      reason: 'stale_job',
    });
    const early = await dueRenewal();
    await t.ctx.db
      .update(invoices)
      .set({ nextAttemptAt: new Date(early.at.getTime() + HOUR_MS) })
      .where(eq(invoices.id, early.invoiceId));
    expect(await chargeInvoice(t.ctx, early.invoiceId, { expectAttemptNo: 1 })).toEqual({
      kind: 'skipped',
      reason: 'not_due',
    });
    const ended = await dueRenewal();
    await t.ctx.db.update(subscriptions).set({ status: 'canceled' }).where(eq(subscriptions.id, ended.subscriptionId));
    expect(await chargeInvoice(t.ctx, ended.invoiceId, { expectAttemptNo: 1 })).toEqual({
      kind: 'skipped',
      reason: 'not_billable',
    });
    expect(await chargeInvoice(t.ctx, 'inv_does_not_exist', { expectAttemptNo: 1 })).toEqual({
      kind: 'skipped',
      reason: 'invoice_not_found',
    });
    for (const inv of [stale, early, ended]) {
      expect((await attemptsOf(inv.invoiceId)).length).toBe(0);
      expect(ledgerOf(inv.invoiceId).length).toBe(0);
      const [row] = await t.ctx.db.select().from(invoices).where(eq(invoices.id, inv.invoiceId));
      expect(row?.attemptCount).toBe(0);
    }
  });

  it('skips while another attempt is open', async () => {
    const { invoiceId, at } = await dueRenewal();
    await t.ctx.db.insert(chargeAttempts).values({
      id: `att_open_${invoiceId}`,
      invoiceId,
      attemptNo: 9,
      orderNo: `${invoiceId}-9`,
      tokenType: 'Recurring',
      amount: 1000,
      currency: 'USD',
      status: 'unknown',
      requestTime: at,
      createdAt: at,
    });
    expect(await chargeInvoice(t.ctx, invoiceId, { expectAttemptNo: 1 })).toEqual({
      kind: 'skipped',
      reason: 'in_flight',
    });
    expect(ledgerOf(invoiceId).length).toBe(0);
  });

  it('leaves a reattempt after a decline to the transaction with the card-network caps, which marks it a reattempt', async () => {
    const { invoiceId, at } = await dueRenewal();
    await t.ctx.db.insert(chargeAttempts).values({
      id: `att_declined_${invoiceId}`,
      invoiceId,
      attemptNo: 1,
      orderNo: `${invoiceId}-1`,
      tokenType: 'Recurring',
      amount: 1000,
      currency: 'USD',
      status: 'failed',
      requestTime: at,
      createdAt: at,
      orderInfo: 'D0051 Insufficient funds',
    });
    await t.ctx.db.update(invoices).set({ attemptCount: 1, nextAttemptAt: at }).where(eq(invoices.id, invoiceId));
    const r = await chargeInvoice(t.ctx, invoiceId, { expectAttemptNo: 2 });
    expect(r).toMatchObject({ kind: 'attempted', status: 'succeeded' });
    const second = (await attemptsOf(invoiceId)).find((a) => a.attemptNo === 2);
    expect(second?.reattempt).toBe(true);
    expect(ledgerOf(invoiceId).map((l) => `${l.orderNo}:${l.status}`)).toEqual([`${invoiceId}-2:success`]);
  });

  it('a request that cannot be built after the claim is a merchant-side refusal: parked with a retry, nothing sent', async () => {
    // KWD has 3 decimals and AsiaBill takes 2: 8.741 KWD (a 12.5 % coupon on 9.990) cannot be
    // sent. The intent is already committed when the request is built, so the attempt must end
    // (not_charged, merchant refusal) and the invoice wait on the refusal back-off, not stay
    // `started` for the reconciler.
    const { invoiceId, at } = await dueRenewal();
    await t.ctx.db.update(invoices).set({ currency: 'KWD', amount: 8741 }).where(eq(invoices.id, invoiceId));
    const r = await chargeInvoice(t.ctx, invoiceId, { expectAttemptNo: 1 });
    expect(r).toMatchObject({ kind: 'attempted', status: 'not_charged' });
    const atts = await attemptsOf(invoiceId);
    expect(atts.length).toBe(1);
    expect(atts[0]).toMatchObject({ status: 'not_charged', outcomeClass: 'merchant_refusal' });
    expect(ledgerOf(invoiceId).length).toBe(0);
    const [inv] = await t.ctx.db.select().from(invoices).where(eq(invoices.id, invoiceId));
    expect(inv).toMatchObject({ status: 'open', refusalCount: 1, parkedCode: 'VALIDATION' });
    expect(inv?.nextAttemptAt?.getTime()).toBeGreaterThan(at.getTime());
  });

  it('twenty copies of the same job at once: one attempt, one charge', async () => {
    const { invoiceId } = await dueRenewal();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => chargeInvoice(t.ctx, invoiceId, { expectAttemptNo: 1 })),
    );
    expect(results.filter((r) => r.kind === 'attempted').length).toBe(1);
    expect((await attemptsOf(invoiceId)).length).toBe(1);
    expect(ledgerOf(invoiceId).filter((l) => l.status === 'success').length).toBe(1);
  });
});
