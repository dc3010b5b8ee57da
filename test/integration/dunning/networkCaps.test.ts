import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq, inArray } from 'drizzle-orm';
import { chargeAttempts, invoices, paymentMethods } from '../../../src/db/schema.ts';
import { setPlanDunningPolicy } from '../../../src/dunning/planPolicy.ts';
import { createSubscription } from '../../../src/subscriptions/create.ts';
import { startTestEngine, makePlan, makeCustomerWithCard, type TestEngine } from '../../support/engine.ts';

/**
 * Card-network caps across several invoices on one card: a Mastercard allows at most 10
 * merchant-initiated reattempts per 24 hours (and 35 per 30 days). Three subscriptions of one
 * customer share the card; their invoices retry hourly (plan policy), so together they would
 * send ~72 reattempts a day. Checked against the sandbox ledger, not our own rows.
 */
const START = '2027-06-01T00:00:00Z';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MASTERCARD_SOFT_AFTER_SIGNUP = '5500000000004105';

describe('card-network retry caps', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: START });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('reattempts on one Mastercard across several invoices stay within 10 per 24 h; the rest wait', async () => {
    // A one-day trial: each subscription's first charge is a renewal-path charge at the trial end.
    const plan = await makePlan(t.ctx, { interval: 'month', trialDays: 1 });
    await setPlanDunningPolicy(t.ctx, plan, { retryDelayHours: [1], maxAttempts: 20, maxDays: 30 });
    const { customerId, paymentMethodId } = await makeCustomerWithCard(t.ctx, MASTERCARD_SOFT_AFTER_SIGNUP);
    const pm = (await t.ctx.db.select().from(paymentMethods).where(eq(paymentMethods.id, paymentMethodId)))[0]!;
    expect(pm.brand?.toLowerCase()).toContain('master');
    const subIds: string[] = [];
    for (let i = 0; i < 4; i++)
      // Several subscriptions of one customer to one plan, on one card: asked for explicitly.
      subIds.push(
        (await createSubscription(t.ctx, { customerId, planCode: plan, paymentMethodId, allowDuplicate: true }))
          .subscriptionId,
      );
    expect(subIds).toHaveLength(4);
    // The first charge to reach the gateway sets up the mandate; the card declines every later
    // one, so three invoices on this card retry hourly — about 72 reattempts a day uncapped.
    await t.advanceTo(new Date(new Date(START).getTime() + 6 * DAY), { stepMs: HOUR });

    const ledger = t.engine.sandbox!.ledger().filter((l) => l.pmId === pm.asiabillPaymentMethodId);
    const invs = await t.ctx.db.select().from(invoices).where(inArray(invoices.subscriptionId, subIds));
    const atts = await t.ctx.db
      .select()
      .from(chargeAttempts)
      .where(
        and(
          inArray(
            chargeAttempts.invoiceId,
            invs.map((i) => i.id),
          ),
          eq(chargeAttempts.reattempt, true),
        ),
      );
    // Reattempts as the gateway saw them (the ledger's orders that our rows call reattempts).
    const reattemptOrders = new Set(atts.map((a) => a.orderNo));
    const times = ledger
      .filter((l) => reattemptOrders.has(l.orderNo))
      .map((l) => {
        const a = atts.find((x) => x.orderNo === l.orderNo)!;
        return a.createdAt.getTime();
      })
      .sort((a, b) => a - b);
    expect(times.length).toBeGreaterThan(20);
    // Sliding windows over engine time: at most 10 in any 24 h, 35 in any 30 days.
    for (const tEnd of times) {
      expect(times.filter((x) => x > tEnd - DAY && x <= tEnd).length).toBeLessThanOrEqual(10);
      expect(times.filter((x) => x > tEnd - 30 * DAY && x <= tEnd).length).toBeLessThanOrEqual(35);
    }
    // The cap actually bound: some 24 h window is full.
    expect(times.some((tEnd) => times.filter((x) => x > tEnd - DAY && x <= tEnd).length === 10)).toBe(true);
  });
});
