import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { asc, eq, inArray } from 'drizzle-orm';
import { coupons, customers, events, invoices, paymentMethods, plans, subscriptions } from '../../../src/db/schema.ts';
import { renewDuePage } from '../../../src/renewals/renewPage.ts';
import { newId } from '../../../src/ids.ts';
import { createTestDatabase } from '../../support/db.ts';
import type { Database } from '../../../src/db/client.ts';

/**
 * The scan's page renewal (renewals/renewPage.ts) against a hand-made table: monthly USD 10.00
 * subscriptions in period 1 (2027-02-01 → 03-01, UTC), due 2027-03-01, with each kind of
 * next-cycle pricing the lifecycle features add. Expected amounts and periods are worked out
 * by hand here, not by the pricing function.
 */
const MARCH = new Date('2027-03-01T00:00:00Z');
const APRIL = new Date('2027-04-01T00:00:00Z');
const NOW = new Date('2027-03-01T00:05:00Z');

type Case =
  | 'plain'
  | 'credit300'
  | 'half_forever'
  | 'free_once'
  | 'cancel_at_end'
  | 'pending_upgrade'
  | 'not_due'
  | 'canceled'
  | 'locked_elsewhere';

interface Expect {
  /** Cycle invoice for period 2 (March): amount and status, or none. */
  invoice: { amount: number; status: 'open' | 'paid' } | null;
  sub: { status: string; periodIndex: number; nextRenewalAt: Date | null; creditBalance: number; planCode: string };
}

const EXPECTED: Record<Case, Expect> = {
  plain: {
    invoice: { amount: 1000, status: 'open' },
    sub: { status: 'active', periodIndex: 2, nextRenewalAt: null, creditBalance: 0, planCode: 'basic' },
  },
  credit300: {
    invoice: { amount: 700, status: 'open' },
    sub: { status: 'active', periodIndex: 2, nextRenewalAt: null, creditBalance: 0, planCode: 'basic' },
  },
  half_forever: {
    invoice: { amount: 500, status: 'open' },
    sub: { status: 'active', periodIndex: 2, nextRenewalAt: null, creditBalance: 0, planCode: 'basic' },
  },
  // Zero total: paid without a charge, the subscription waits for the period's end.
  free_once: {
    invoice: { amount: 0, status: 'paid' },
    sub: { status: 'active', periodIndex: 2, nextRenewalAt: APRIL, creditBalance: 0, planCode: 'basic' },
  },
  cancel_at_end: {
    invoice: null,
    sub: { status: 'canceled', periodIndex: 1, nextRenewalAt: null, creditBalance: 0, planCode: 'basic' },
  },
  pending_upgrade: {
    invoice: { amount: 2500, status: 'open' },
    sub: { status: 'active', periodIndex: 2, nextRenewalAt: null, creditBalance: 0, planCode: 'pro' },
  },
  not_due: {
    invoice: null,
    sub: { status: 'active', periodIndex: 1, nextRenewalAt: APRIL, creditBalance: 0, planCode: 'basic' },
  },
  canceled: {
    invoice: null,
    sub: { status: 'canceled', periodIndex: 1, nextRenewalAt: MARCH, creditBalance: 0, planCode: 'basic' },
  },
  // Held by another scheduler's transaction: skipped (SKIP LOCKED), renewed by a later page.
  locked_elsewhere: {
    invoice: null,
    sub: { status: 'active', periodIndex: 1, nextRenewalAt: MARCH, creditBalance: 0, planCode: 'basic' },
  },
};

describe('renewDuePage: a page of due subscriptions renewed in one transaction, priced like every renewal', () => {
  let t: { url: string; database: Database; drop(): Promise<void> };
  const subIds = {} as Record<Case, string>;
  const basic = newId('plan');
  const pro = newId('plan');

  beforeAll(async () => {
    t = await createTestDatabase();
    const db = t.database.db;
    await db.insert(plans).values([
      {
        id: basic,
        code: 'basic',
        version: 1,
        name: 'Basic',
        amount: 1000,
        currency: 'USD',
        interval: 'month',
        intervalCount: 1,
      },
      {
        id: pro,
        code: 'pro',
        version: 1,
        name: 'Pro',
        amount: 2500,
        currency: 'USD',
        interval: 'month',
        intervalCount: 1,
      },
    ]);
    const half = newId('coupon');
    const free = newId('coupon');
    await db.insert(coupons).values([
      { id: half, code: 'HALF', percentOffBp: 5000, duration: 'forever', createdAt: NOW },
      { id: free, code: 'FREE', percentOffBp: 10000, duration: 'once', createdAt: NOW },
    ]);
    const cust = newId('cust');
    const card = newId('card');
    await db
      .insert(customers)
      .values({ id: cust, email: 'a@example.com', firstName: 'A', lastName: 'B', asiabillCustomerId: 'cus_1' });
    await db
      .insert(paymentMethods)
      .values({ id: card, customerId: cust, asiabillPaymentMethodId: 'pm_1', brand: 'visa', last4: '4242' });
    const feb = new Date('2027-02-01T00:00:00Z');
    for (const c of Object.keys(EXPECTED) as Case[]) {
      const id = newId('sub');
      subIds[c] = id;
      await db.insert(subscriptions).values({
        id,
        customerId: cust,
        planId: basic,
        paymentMethodId: card,
        status: c === 'canceled' ? 'canceled' : 'active',
        timeZone: 'UTC',
        anchor: new Date('2027-01-01T00:00:00Z'),
        interval: 'month',
        intervalCount: 1,
        amount: 1000,
        currency: 'USD',
        currentPeriodIndex: 1,
        currentPeriodStart: feb,
        currentPeriodEnd: MARCH,
        nextRenewalAt: c === 'not_due' ? APRIL : MARCH,
        cancelAtPeriodEnd: c === 'cancel_at_end',
        createdAt: feb,
        updatedAt: feb,
        creditBalance: c === 'credit300' ? 300 : 0,
        couponId: c === 'half_forever' ? half : c === 'free_once' ? free : null,
        couponPeriodsLeft: c === 'free_once' ? 1 : null,
        pendingPlanId: c === 'pending_upgrade' ? pro : null,
      });
    }
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('renews each kind as the table says, once, and leaves a locked one for later', async () => {
    const db = t.database.db;
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    await other.query('begin');
    await other.query('select 1 from subscriptions where id = $1 for update', [subIds.locked_elsewhere]);
    const ids = Object.values(subIds);
    const first = await renewDuePage(db, ids, NOW);
    await other.query('commit');
    await other.end();
    // plain, credit300, half_forever, pending_upgrade are charged; free_once is paid without one.
    expect(first.invoiced.length).toBe(4);
    expect(first.ended).toBe(1);
    // Run again: nothing is due any more except the one that was locked.
    const second = await renewDuePage(db, ids, NOW);
    expect(second.invoiced.length).toBe(1);
    EXPECTED.locked_elsewhere = EXPECTED.plain;
    const third = await renewDuePage(db, ids, NOW);
    expect(third).toEqual({ invoiced: [], ended: 0 });

    const invs = await db
      .select()
      .from(invoices)
      .where(inArray(invoices.subscriptionId, ids))
      .orderBy(asc(invoices.periodStart));
    const planCodes = new Map((await db.select().from(plans)).map((p) => [p.id, p.code]));
    for (const c of Object.keys(EXPECTED) as Case[]) {
      const e = EXPECTED[c];
      const mine = invs.filter((i) => i.subscriptionId === subIds[c]);
      expect(mine.length, c).toBe(e.invoice ? 1 : 0);
      if (e.invoice) {
        expect({ amount: mine[0]?.amount, status: mine[0]?.status, start: mine[0]?.periodStart }, c).toEqual({
          ...e.invoice,
          start: MARCH,
        });
        expect(mine[0]?.periodEnd, c).toEqual(APRIL);
        const created = await db
          .select()
          .from(events)
          .where(eq(events.subjectId, mine[0]?.id ?? ''));
        expect(created.filter((ev) => ev.type === 'invoice.created').length, c).toBe(1);
      }
      const [sub] = await db.select().from(subscriptions).where(eq(subscriptions.id, subIds[c]));
      expect(
        {
          status: sub?.status,
          periodIndex: sub?.currentPeriodIndex,
          nextRenewalAt: sub?.nextRenewalAt,
          creditBalance: sub?.creditBalance,
          planCode: planCodes.get(sub?.planId ?? ''),
        },
        c,
      ).toEqual(e.sub);
    }
    // The discount lines are recorded on the invoice (what the customer sees).
    const halfInvoice = invs.find((i) => i.subscriptionId === subIds.half_forever);
    expect(halfInvoice?.lines.map((l) => l.amount)).toEqual([1000, -500]);
    const [half] = await db.select().from(subscriptions).where(eq(subscriptions.id, subIds.half_forever));
    expect(half?.couponId).not.toBeNull();
    const [free] = await db.select().from(subscriptions).where(eq(subscriptions.id, subIds.free_once));
    expect(free?.couponId).toBeNull();
  });
});
