import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { createSubscription } from '../../../src/subscriptions/create.ts';
import { endTrial } from '../../../src/subscriptions/trial.ts';
import { startTestEngine, makePlan, makeCustomerWithCard, type TestEngine } from '../../support/engine.ts';
import { paidOrdersOf } from '../../support/ledger.ts';

/** Trials: --trial-end, the trial_will_end event before the end, and ending a trial early. */
describe('trials', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2031-01-10T00:00:00Z', env: { BILLING_TRIAL_WILL_END_HOURS: '72' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const sub = async (id: string) => (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
  const willEnd = (id: string) =>
    t.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.subjectId, id), eq(events.type, 'subscription.trial_will_end')));

  it('--trial-end: trialing without a charge, trial_will_end once 72 h before, InitRecurring at the end', async () => {
    const plan = await makePlan(t.ctx, { amount: '10.00' }); // no trial days of its own
    const c = await makeCustomerWithCard(t.ctx);
    await expect(
      createSubscription(t.ctx, { ...c, planCode: plan, trialEnd: new Date('2031-01-01T00:00:00Z') }),
    ).rejects.toThrow(/trial-end: .*\(rule: after the start\)/);
    const r = await createSubscription(t.ctx, { ...c, planCode: plan, trialEnd: new Date('2031-01-20T00:00:00Z') });
    expect(r).toMatchObject({ status: 'trialing', invoiceId: null, charge: null });
    await t.advanceTo('2031-01-16T00:00:00Z'); // 96 h before: too early
    expect(await willEnd(r.subscriptionId)).toHaveLength(0);
    await t.advanceTo('2031-01-17T12:00:00Z'); // 60 h before
    await t.advanceTo('2031-01-18T00:00:00Z');
    const announced = await willEnd(r.subscriptionId);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.data).toEqual({ trialEnd: '2031-01-20T00:00:00.000Z' });
    await t.advanceTo('2031-01-20T00:00:01Z');
    const s = await sub(r.subscriptionId);
    expect(s.status).toBe('active');
    expect(s.anchor.toISOString()).toBe('2031-01-20T00:00:00.000Z');
    const [first] = await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, r.subscriptionId));
    const orders = await paidOrdersOf(t.engine.sandbox!.url, first!.id);
    expect(orders.map((o) => [o.tokenType, o.amount])).toEqual([['InitRecurring', '10.00']]);
  });

  it('end-trial starts the first period now and charges it at once', async () => {
    const plan = await makePlan(t.ctx, { amount: '7.00', trialDays: 14 });
    const c = await makeCustomerWithCard(t.ctx);
    const r = await createSubscription(t.ctx, { ...c, planCode: plan });
    expect(r.status).toBe('trialing');
    await t.advanceTo('2031-01-22T00:00:00Z');
    const ended = await endTrial(t.ctx, r.subscriptionId);
    expect(ended.status).toBe('active');
    expect(ended.charge).toMatchObject({ kind: 'attempted', tokenType: 'InitRecurring', status: 'succeeded' });
    expect((await paidOrdersOf(t.engine.sandbox!.url, ended.invoiceId!)).map((o) => o.amount)).toEqual(['7.00']);
    const s = await sub(r.subscriptionId);
    expect(s.anchor.toISOString()).toBe('2031-01-22T00:00:00.000Z');
    expect(s.currentPeriodEnd.toISOString()).toBe('2031-02-22T00:00:00.000Z');
    await expect(endTrial(t.ctx, r.subscriptionId)).rejects.toThrow(/not trialing/);
    const types = (
      await t.ctx.db
        .select({ type: events.type })
        .from(events)
        .where(eq(events.subjectId, r.subscriptionId))
        .orderBy(events.seq)
    ).map((e) => e.type);
    expect(types).toEqual(['subscription.created', 'subscription.trial_ended', 'subscription.activated']);
  });
});
