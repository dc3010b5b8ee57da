import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { chargeAttempts, events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { setPlanDunningPolicy } from '../../../src/dunning/planPolicy.ts';
import { applyOutcome } from '../../../src/renewals/outcome.ts';
import { reconcileAttempt } from '../../../src/renewals/reconcile.ts';
import type { AsiabillGateway } from '../../../src/asiabill/types.ts';
import { addCardPaymentMethod } from '../../../src/customers/paymentMethods.ts';
import { updatePaymentMethod } from '../../../src/subscriptions/updatePaymentMethod.ts';
import { createPayLink } from '../../../src/invoices/payLink.ts';
import { startTestEngine, makePlan, subscribe, CARDS, DAY_MS, type TestEngine } from '../../support/engine.ts';

/** Dunning paths on the test clock against the sandbox (issue 8 "Done when"). */
const START = '2027-05-03T08:00:00Z';
const HOUR_MS = 3_600_000;
const CARD = {
  ...CARDS,
  /** Approves InitRecurring; each renewal declined twice, approved on the third try. */
  declineTwice: '4000000000003204',
  /** 3-D Secure on every charge, renewals included. */
  threeDSAlways: '4000002760003184',
} as const;

describe('dunning paths', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: START });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const sub = async (id: string) => (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
  const invoicesOf = (subId: string) =>
    t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, subId)).orderBy(invoices.periodIndex);
  const attemptsOf = async (invoiceId: string) =>
    t.ctx.db
      .select()
      .from(chargeAttempts)
      .where(eq(chargeAttempts.invoiceId, invoiceId))
      .orderBy(chargeAttempts.attemptNo);
  const eventTypes = async (subjectIds: string[]) =>
    (
      await t.ctx.db
        .select({ type: events.type })
        .from(events)
        .where(inArray(events.subjectId, subjectIds))
        .orderBy(events.seq)
    ).map((e) => e.type);
  const until = async (what: () => Promise<boolean>) => {
    for (let i = 0; i < 400 && !(await what()); i++) await new Promise((r) => setTimeout(r, 50));
  };
  const now = () => t.ctx.time.now();
  const later = async (ms: number) => new Date((await now()).getTime() + ms);
  /** Subscribes with a card that wants 3-D Secure on every charge, and completes the first one. */
  const subscribeThreeDS = async (plan: string) => {
    const r = await subscribe(t.ctx, plan, CARD.threeDSAlways);
    expect(r.status).toBe('incomplete');
    const orderNo = r.charge?.kind === 'attempted' ? r.charge.orderNo : '';
    await t.engine.sandbox!.completeThreeDS(orderNo, 'success');
    await until(async () => (await sub(r.subscriptionId)).status === 'active');
    expect((await sub(r.subscriptionId)).status).toBe('active');
    return r.subscriptionId;
  };

  it('a soft decline recovered on the 2nd retry: past_due, then active with the anchor unchanged', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    const r = await subscribe(t.ctx, plan, CARD.declineTwice);
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(s0.currentPeriodEnd);
    expect((await sub(r.subscriptionId)).status).toBe('past_due');
    await t.advanceTo(new Date(s0.currentPeriodEnd.getTime() + 5 * DAY_MS));
    const s1 = await sub(r.subscriptionId);
    expect(s1.status).toBe('active');
    expect(s1.anchor.getTime()).toBe(s0.anchor.getTime());
    // The next renewal is the anchor-derived boundary after the recovered period, not "recovery + 1 month".
    expect(s1.currentPeriodStart.getTime()).toBe(s0.currentPeriodEnd.getTime());
    expect(s1.nextRenewalAt?.getTime()).toBe(s1.currentPeriodEnd.getTime());
    const [, renewal] = await invoicesOf(r.subscriptionId);
    expect(renewal?.status).toBe('paid');
    const atts = await attemptsOf(renewal!.id);
    expect(atts.map((a) => `${a.status}:${a.outcomeClass}`)).toEqual([
      'failed:soft_decline',
      'failed:soft_decline',
      'succeeded:paid',
    ]);
    // Retried 1 day after the first failure and 3 days after the second (the default policy).
    expect(atts.map((a) => Math.round((a.createdAt.getTime() - s0.currentPeriodEnd.getTime()) / DAY_MS))).toEqual([
      0, 1, 4,
    ]);
    const types = await eventTypes([r.subscriptionId, renewal!.id]);
    expect(types.filter((x) => x === 'invoice.retry_scheduled')).toHaveLength(2);
    expect(types.filter((x) => x === 'invoice.payment_failed')).toHaveLength(2);
    expect(types).toContain('subscription.past_due');
    expect(types).toContain('subscription.recovered');
    expect(types).toContain('invoice.paid');
  });

  it('a hard decline stops at once (no retry on that card) and the policy window ends it', async () => {
    // A trial: the first real charge is a renewal-path InitRecurring, declined hard (stolen).
    const plan = await makePlan(t.ctx, { trialDays: 3 });
    const r = await subscribe(t.ctx, plan, CARD.hardDecline);
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(new Date(s0.trialEnd!.getTime() + 10 * DAY_MS));
    const s1 = await sub(r.subscriptionId);
    expect(s1.status).toBe('past_due');
    const [inv] = await invoicesOf(r.subscriptionId);
    expect(inv?.nextAttemptAt).toBeNull();
    expect(inv?.nextStepReason).toMatch(/new payment method/);
    expect((await attemptsOf(inv!.id)).map((a) => a.outcomeClass)).toEqual(['hard_decline']);
    // Nobody replaced the card: at the end of the 30-day window the final action applies.
    await t.advanceTo(new Date(s0.trialEnd!.getTime() + 31 * DAY_MS));
    expect((await sub(r.subscriptionId)).status).toBe('canceled');
    expect((await attemptsOf(inv!.id)).length).toBe(1);
    const types = await eventTypes([r.subscriptionId, inv!.id]);
    expect(types).toContain('dunning.exhausted');
    expect(types).toContain('subscription.canceled');
  });

  it('final action unpaid: the subscription keeps its record, stops charging, the invoice stays collectable', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    await setPlanDunningPolicy(t.ctx, plan, { finalAction: 'unpaid', retryDelayHours: [24], maxAttempts: 2 });
    const r = await subscribe(t.ctx, plan, CARD.approveThenDecline);
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(new Date(s0.currentPeriodEnd.getTime() + 3 * DAY_MS));
    expect((await sub(r.subscriptionId)).status).toBe('unpaid');
    const [, renewal] = await invoicesOf(r.subscriptionId);
    expect(renewal?.status).toBe('open');
    expect(renewal?.nextAttemptAt).toBeNull();
    expect(await attemptsOf(renewal!.id)).toHaveLength(2);
    // Nothing more is charged, and no later period is billed.
    await t.advanceTo(new Date(s0.currentPeriodEnd.getTime() + 40 * DAY_MS));
    expect(await attemptsOf(renewal!.id)).toHaveLength(2);
    expect(await invoicesOf(r.subscriptionId)).toHaveLength(2);
    const types = await eventTypes([r.subscriptionId, renewal!.id]);
    expect(types).toContain('dunning.exhausted');
    expect(types).toContain('subscription.unpaid');
    expect(types).not.toContain('subscription.canceled');
  });

  it('final action canceled: the invoice is written off and the subscription canceled', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    await setPlanDunningPolicy(t.ctx, plan, { finalAction: 'canceled', retryDelayHours: [48], maxAttempts: 3 });
    const r = await subscribe(t.ctx, plan, CARD.approveThenDecline);
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(new Date(s0.currentPeriodEnd.getTime() + 6 * DAY_MS));
    expect((await sub(r.subscriptionId)).status).toBe('canceled');
    const [, renewal] = await invoicesOf(r.subscriptionId);
    expect(renewal?.status).toBe('uncollectible');
    expect(await attemptsOf(renewal!.id)).toHaveLength(3);
  });

  it('a renewal needing 3-D Secure: invoice requires_action with URL and deadline; completed, it recovers', async () => {
    const plan = await makePlan(t.ctx, { interval: 'week' });
    const subId = await subscribeThreeDS(plan);
    const s0 = await sub(subId);
    await t.advanceTo(s0.currentPeriodEnd);
    const [, renewal] = await invoicesOf(subId);
    expect(renewal?.status).toBe('requires_action');
    expect(renewal?.actionUrl).toMatch(/^http/);
    // Default deadline: 72 hours after the renewal went pending (at most 7 days).
    expect(renewal!.actionDeadline!.getTime() - s0.currentPeriodEnd.getTime()).toBeLessThanOrEqual(
      72 * HOUR_MS + 60_000,
    );
    expect(renewal!.actionDeadline!.getTime() - s0.currentPeriodEnd.getTime()).toBeGreaterThanOrEqual(72 * HOUR_MS);
    expect((await sub(subId)).status).toBe('past_due');
    const [att] = await attemptsOf(renewal!.id);
    await t.engine.sandbox!.completeThreeDS(att!.orderNo, 'success');
    await until(async () => (await sub(subId)).status === 'active');
    expect((await sub(subId)).status).toBe('active');
    const paid = (await t.ctx.db.select().from(invoices).where(eq(invoices.id, renewal!.id)))[0];
    expect(paid?.status).toBe('paid');
    expect(paid?.actionDeadline).toBeNull();
    expect(await eventTypes([renewal!.id])).toContain('invoice.requires_action');
  });

  it('an async transaction.fail for a pending renewal schedules the retry like a synchronous decline', async () => {
    const plan = await makePlan(t.ctx, { interval: 'week' });
    const subId = await subscribeThreeDS(plan);
    const s0 = await sub(subId);
    await t.advanceTo(s0.currentPeriodEnd);
    const [, renewal] = await invoicesOf(subId);
    const [att] = await attemptsOf(renewal!.id);
    expect(att?.status).toBe('pending');
    await t.engine.sandbox!.completeThreeDS(att!.orderNo, 'fail');
    await until(async () => (await attemptsOf(renewal!.id))[0]?.status === 'failed');
    const inv = (await t.ctx.db.select().from(invoices).where(eq(invoices.id, renewal!.id)))[0]!;
    expect(inv.status).toBe('open');
    const at = await now();
    expect(inv.nextAttemptAt?.getTime()).toBe(at.getTime() + DAY_MS);
    expect(await eventTypes([renewal!.id])).toContain('invoice.retry_scheduled');
    expect((await sub(subId)).status).toBe('past_due');
  });

  it('an abandoned 3-D Secure renewal: closed at the deadline, dunning continues and ends by policy, nothing left open', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    const subId = await subscribeThreeDS(plan);
    const s0 = await sub(subId);
    await t.advanceTo(new Date(s0.currentPeriodEnd.getTime() + 29 * DAY_MS), { stepMs: 12 * HOUR_MS });
    expect((await sub(subId)).status).toBe('canceled');
    const [, renewal] = await invoicesOf(subId);
    expect(renewal?.status).toBe('uncollectible');
    const atts = await attemptsOf(renewal!.id);
    expect(atts.map((a) => `${a.status}:${a.outcomeClass}`)).toEqual(Array(4).fill('abandoned:soft_decline'));
    const types = await eventTypes([renewal!.id]);
    expect(types.filter((x) => x === 'invoice.action_expired')).toHaveLength(4);
    expect(types).toContain('dunning.exhausted');
    // A success reported after the abandonment is still recorded (money moved).
    await t.engine.sandbox!.completeThreeDS(atts[3]!.orderNo, 'success');
    await until(async () => (await attemptsOf(renewal!.id))[3]?.status === 'succeeded');
    expect((await attemptsOf(renewal!.id))[3]?.status).toBe('succeeded');
    expect(await eventTypes([renewal!.id])).toContain('invoice.paid_after_close');
  });

  it('reconciler vs pending race: a pending notification committed during the lookup wins; no second charge', async () => {
    const plan = await makePlan(t.ctx, { interval: 'week' });
    const subId = await subscribeThreeDS(plan);
    const s0 = await sub(subId);
    await t.advanceTo(s0.currentPeriodEnd);
    const [, renewal] = await invoicesOf(subId);
    const [att] = await attemptsOf(renewal!.id);
    expect(att?.status).toBe('pending');
    // As if the confirmCharge answer had been lost: the attempt is `unknown` with no tradeNo.
    await t.ctx.db
      .update(chargeAttempts)
      .set({ status: 'unknown', tradeNo: null })
      .where(eq(chargeAttempts.id, att!.id));
    const real = t.ctx.gateway;
    const racing: AsiabillGateway = Object.create(real);
    racing.searchTransactions = async () => {
      // While the reconciler looks the order up, AsiaBill's transaction.pending commits…
      const at = await now();
      await t.ctx.db.transaction((tx) =>
        applyOutcome(tx, att!.id, { status: 'pending', tradeNo: att!.tradeNo ?? undefined }, at, 'notification'),
      );
      // …and the search index has not caught up yet.
      return { list: [], total: 0, pageIndex: 1, pageSize: 10 } as unknown as Awaited<
        ReturnType<AsiabillGateway['searchTransactions']>
      >;
    };
    // Long past the 10-minute request window, so "not found" would otherwise mean not_charged.
    const result = await reconcileAttempt(
      { ...t.ctx, gateway: racing, wall: { now: () => new Date(Date.now() + 2 * HOUR_MS) } },
      att!.id,
    );
    expect(result).toBe('open');
    const after = await attemptsOf(renewal!.id);
    expect(after).toHaveLength(1);
    expect(after[0]?.status).toBe('pending');
    await t.advanceTo(new Date(s0.currentPeriodEnd.getTime() + DAY_MS));
    expect(await attemptsOf(renewal!.id)).toHaveLength(1);
    const orders = t.engine.sandbox!.ledger().filter((l) => l.orderNo.startsWith(`${renewal!.id}-`));
    expect(orders).toHaveLength(1);
    expect(
      (
        await t.ctx.db
          .select()
          .from(invoices)
          .where(and(eq(invoices.id, renewal!.id)))
      )[0]?.status,
    ).toBe('requires_action');
  });

  it('a card update recovers at once (InitRecurring on the new card) and later renewals use it', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    const r = await subscribe(t.ctx, plan, CARD.approveThenDecline);
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(s0.currentPeriodEnd);
    expect((await sub(r.subscriptionId)).status).toBe('past_due');
    const newCard = await addCardPaymentMethod(t.ctx, {
      customerId: s0.customerId,
      cardNumber: CARD.success,
      expMonth: '12',
      expYear: '2035',
      cvc: '123',
    });
    const u = await updatePaymentMethod(t.ctx, r.subscriptionId, newCard.id);
    expect(u.retried?.charge.kind === 'attempted' && u.retried.charge.tokenType).toBe('InitRecurring');
    expect(u.retried?.charge.kind === 'attempted' && u.retried.charge.status).toBe('succeeded');
    const s1 = await sub(r.subscriptionId);
    expect(s1.status).toBe('active');
    expect(s1.anchor.getTime()).toBe(s0.anchor.getTime());
    expect(s1.paymentMethodId).toBe(newCard.id);
    await t.advanceTo(new Date(s1.currentPeriodEnd.getTime() + HOUR_MS));
    const invs = await invoicesOf(r.subscriptionId);
    expect(invs.map((i) => i.status)).toEqual(['paid', 'paid', 'paid']);
    const last = await attemptsOf(invs[2]!.id);
    expect(last.map((a) => `${a.tokenType}:${a.status}:${a.paymentMethodId}`)).toEqual([
      `Recurring:succeeded:${newCard.id}`,
    ]);
  });

  it('a pay link and an automatic retry on one invoice: the retry waits while the link is open; one charge kept', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    const r = await subscribe(t.ctx, plan, CARD.approveThenDecline);
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(s0.currentPeriodEnd);
    const [, renewal] = await invoicesOf(r.subscriptionId);
    // A day after the failure (the outcome time is the period end plus the call's real duration).
    expect(renewal!.nextAttemptAt!.getTime() - (s0.currentPeriodEnd.getTime() + DAY_MS)).toBeLessThan(60_000);
    const link = await createPayLink(t.ctx, renewal!.id);
    expect(link.url).toMatch(/^http/);
    // A second link, a manual retry or a void while it is open are refused or skipped.
    await expect(createPayLink(t.ctx, renewal!.id)).rejects.toThrow(/in flight/);
    // The automatic retry that was due a day later waits.
    await t.advanceTo(await later(DAY_MS + HOUR_MS));
    expect((await attemptsOf(renewal!.id)).map((a) => `${a.kind}:${a.status}`)).toEqual([
      'charge:failed',
      'pay_link:pending',
    ]);
    // The customer pays on AsiaBill's page; its notification settles the invoice.
    await t.engine.sandbox!.completeThreeDS(link.orderNo, 'success');
    await until(async () => (await sub(r.subscriptionId)).status === 'active');
    expect((await sub(r.subscriptionId)).status).toBe('active');
    await t.advanceTo(await later(5 * DAY_MS));
    const atts = await attemptsOf(renewal!.id);
    expect(atts.map((a) => `${a.kind}:${a.status}`)).toEqual(['charge:failed', 'pay_link:succeeded']);
    const kept = t.engine
      .sandbox!.ledger()
      .filter((l) => l.orderNo.startsWith(`${renewal!.id}-`) && l.status === 'success');
    expect(kept).toHaveLength(1);
    expect((await t.ctx.db.select().from(invoices).where(eq(invoices.id, renewal!.id)))[0]?.status).toBe('paid');
  });

  it('a pay link left unpaid expires at its deadline and automatic retries resume', async () => {
    const plan = await makePlan(t.ctx, { interval: 'month' });
    await setPlanDunningPolicy(t.ctx, plan, { payLinkHours: 24 });
    const r = await subscribe(t.ctx, plan, CARD.approveThenDecline);
    const s0 = await sub(r.subscriptionId);
    await t.advanceTo(s0.currentPeriodEnd);
    const [, renewal] = await invoicesOf(r.subscriptionId);
    await createPayLink(t.ctx, renewal!.id, 'Alipay');
    await t.advanceTo(await later(2 * DAY_MS));
    const atts = await attemptsOf(renewal!.id);
    expect(atts.map((a) => `${a.kind}:${a.status}`)).toEqual(['charge:failed', 'pay_link:abandoned', 'charge:failed']);
    // The abandoned link did not count as a dunning attempt.
    const types = await eventTypes([renewal!.id]);
    expect(types).toContain('invoice.action_expired');
    expect((await sub(r.subscriptionId)).status).toBe('past_due');
  });

  it('two successes for one invoice (3-D Secure completed late after a pay link was paid) are recorded loudly', async () => {
    const plan = await makePlan(t.ctx, { interval: 'week' });
    const subId = await subscribeThreeDS(plan);
    const s0 = await sub(subId);
    await t.advanceTo(s0.currentPeriodEnd);
    const [, renewal] = await invoicesOf(subId);
    const [threeDS] = await attemptsOf(renewal!.id);
    // The 3-D Secure deadline passes (abandoned); the retry is due a day later — pay by link first.
    await t.advanceTo(await later(72 * HOUR_MS + HOUR_MS), { stepMs: HOUR_MS });
    expect((await attemptsOf(renewal!.id))[0]?.status).toBe('abandoned');
    const link = await createPayLink(t.ctx, renewal!.id);
    await t.engine.sandbox!.completeThreeDS(link.orderNo, 'success');
    await until(async () => (await sub(subId)).status === 'active');
    // The customer now also finishes the old 3-D Secure challenge: money moved twice.
    await t.engine.sandbox!.completeThreeDS(threeDS!.orderNo, 'success');
    await until(async () => (await eventTypes([threeDS!.id])).includes('charge.duplicate_detected'));
    expect(await eventTypes([threeDS!.id])).toContain('charge.duplicate_detected');
    const succeeded = (await attemptsOf(renewal!.id)).filter((a) => a.status === 'succeeded');
    expect(succeeded).toHaveLength(1);
  });
});
