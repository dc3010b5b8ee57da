import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { chargeAttempts, events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { cancelSubscription } from '../../../src/subscriptions/cancel.ts';
import { startTestEngine, makePlan, subscribe, CARDS, DAY_MS, type TestEngine } from '../../support/engine.ts';

/** Subscription states through real renewals: 3-D Secure, dunning, trials, cancellation. */
const START = '2027-03-31T12:00:00Z';

describe('subscription lifecycle on the test clock', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: START, env: { BILLING_INCOMPLETE_EXPIRY_HOURS: '23' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const sub = async (id: string) => (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
  const attemptsOf = (subId: string) =>
    t.ctx.db
      .select({ a: chargeAttempts })
      .from(chargeAttempts)
      .innerJoin(invoices, eq(invoices.id, chargeAttempts.invoiceId))
      .where(eq(invoices.subscriptionId, subId))
      .orderBy(invoices.periodIndex, chargeAttempts.attemptNo)
      .then((r) => r.map((x) => x.a));

  it('3-D Secure: incomplete with a redirect URL, active once the challenge succeeds; an abandoned one expires', async () => {
    const plan = await makePlan(t.ctx);
    const done = await subscribe(t.ctx, plan, CARDS.threeDS);
    const abandoned = await subscribe(t.ctx, plan, CARDS.threeDS);
    expect(done.status).toBe('incomplete');
    expect(done.redirectUrl).toMatch(/^http/);
    expect(done.charge?.kind === 'attempted' && done.charge.status).toBe('pending');
    await t.engine.sandbox!.completeThreeDS(done.charge?.kind === 'attempted' ? done.charge.orderNo : '', 'success');
    // The notification arrives asynchronously at our HTTP endpoint.
    for (let i = 0; i < 400 && (await sub(done.subscriptionId)).status !== 'active'; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await sub(done.subscriptionId)).status).toBe('active');
    expect((await attemptsOf(done.subscriptionId)).map((a) => [a.tokenType, a.status])).toEqual([
      ['InitRecurring', 'succeeded'],
    ]);

    await t.advanceTo(new Date(new Date(START).getTime() + 24 * 3600 * 1000).toISOString(), { stepMs: 3600 * 1000 });
    const gone = await sub(abandoned.subscriptionId);
    expect(gone.status).toBe('incomplete_expired');
    const inv = await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, abandoned.subscriptionId));
    expect(inv.map((i) => i.status)).toEqual(['void']);
  });

  it('a failed first charge leaves the subscription incomplete with the reason, and never retries it automatically', async () => {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.softDecline);
    expect(r.status).toBe('incomplete');
    const s = await sub(r.subscriptionId);
    expect(s.statusReason).toBeTruthy();
    const now = await t.ctx.time.now();
    await t.advanceTo(new Date(now.getTime() + 2 * DAY_MS));
    expect((await sub(r.subscriptionId)).status).toBe('incomplete_expired');
    expect(await attemptsOf(r.subscriptionId)).toHaveLength(1);
  });

  it('dunning: a renewal decline makes it past_due, retries on schedule, then cancels', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    const r = await subscribe(t.ctx, plan, CARDS.approveThenDecline);
    expect(r.status).toBe('active');
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(s0.currentPeriodEnd);
    expect((await sub(r.subscriptionId)).status).toBe('past_due');
    await t.advanceTo(new Date(s0.currentPeriodEnd.getTime() + 10 * DAY_MS));
    const s1 = await sub(r.subscriptionId);
    expect(s1.status).toBe('canceled');
    const atts = await attemptsOf(r.subscriptionId);
    expect(atts.map((a) => `${a.tokenType}:${a.status}`)).toEqual([
      'InitRecurring:succeeded',
      'Recurring:failed',
      'Recurring:failed',
      'Recurring:failed',
      'Recurring:failed',
    ]);
    // Retries 1, 3 and 5 days after the previous failure (engine time; day-granular steps).
    const renewalInvoice = (
      await t.ctx.db
        .select()
        .from(invoices)
        .where(and(eq(invoices.subscriptionId, r.subscriptionId), eq(invoices.periodIndex, 1)))
    )[0]!;
    expect(renewalInvoice.status).toBe('uncollectible');
    const gaps = atts
      .slice(2)
      .map((a, i) => Math.round((a.createdAt.getTime() - atts[i + 1]!.createdAt.getTime()) / DAY_MS));
    expect(gaps).toEqual([1, 3, 5]);
    const types = (
      await t.ctx.db
        .select({ type: events.type })
        .from(events)
        .where(eq(events.subjectId, r.subscriptionId))
        .orderBy(events.seq)
    ).map((e) => e.type);
    expect(types).toEqual([
      'subscription.created',
      'subscription.activated',
      'subscription.past_due',
      'subscription.canceled',
    ]);
  });

  it('trial: no charge up front; the InitRecurring charge happens at trial end', async () => {
    const plan = await makePlan(t.ctx, { trialDays: 14 });
    const r = await subscribe(t.ctx, plan, CARDS.success);
    expect(r.status).toBe('trialing');
    expect(r.invoiceId).toBeNull();
    const s = await sub(r.subscriptionId);
    expect(s.trialEnd).toBeTruthy();
    await t.advanceTo(new Date(s.trialEnd!.getTime() + DAY_MS));
    expect((await sub(r.subscriptionId)).status).toBe('active');
    expect((await attemptsOf(r.subscriptionId)).map((a) => a.tokenType)).toEqual(['InitRecurring']);
  });

  it('a trial whose first charge needs 3-D Secure becomes past_due (customer action), and recovers when it completes', async () => {
    const plan = await makePlan(t.ctx, { trialDays: 7 });
    const r = await subscribe(t.ctx, plan, CARDS.threeDS);
    const s = await sub(r.subscriptionId);
    await t.advanceTo(new Date(s.trialEnd!.getTime() + DAY_MS));
    const waiting = await sub(r.subscriptionId);
    expect(waiting.status).toBe('past_due');
    expect(waiting.statusReason).toMatch(/customer action/);
    const [att] = await attemptsOf(r.subscriptionId);
    expect(att).toMatchObject({ tokenType: 'InitRecurring', status: 'pending' });
    await t.engine.sandbox!.completeThreeDS(att!.orderNo, 'success');
    for (let i = 0; i < 400 && (await sub(r.subscriptionId)).status !== 'active'; i++)
      await new Promise((res) => setTimeout(res, 50));
    expect((await sub(r.subscriptionId)).status).toBe('active');
  });

  it('cancel at period end: no renewal charge, canceled at the boundary; cancel now voids the open invoice', async () => {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    await cancelSubscription(t.ctx, r.subscriptionId, { atPeriodEnd: true });
    const s = await sub(r.subscriptionId);
    await t.advanceTo(new Date(s.currentPeriodEnd.getTime() + DAY_MS));
    const after = await sub(r.subscriptionId);
    expect(after.status).toBe('canceled');
    expect(after.canceledAt?.getTime()).toBe(s.currentPeriodEnd.getTime());
    expect(await attemptsOf(r.subscriptionId)).toHaveLength(1);
    await expect(cancelSubscription(t.ctx, r.subscriptionId)).rejects.toThrow(/already canceled/);
    const count = await t.ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(invoices)
      .where(eq(invoices.subscriptionId, r.subscriptionId));
    expect(count[0]?.n).toBe(1);
  });
});
