import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { eq } from 'drizzle-orm';
import { chargeAttempts, customers, invoices, paymentMethods, plans, subscriptions } from '../../../src/db/schema.ts';
import { lockAttemptChain, lockChargeTarget } from '../../../src/db/locks.ts';
import { newId } from '../../../src/ids.ts';
import { createTestDatabase } from '../../support/db.ts';
import type { Database } from '../../../src/db/client.ts';

/**
 * The hot path locks subscription → invoice (→ attempt) with one statement each
 * (`FOR UPDATE OF s, i, a`). These tests hold the invoice in another session and check, with
 * NOWAIT probes, that the statement already holds the subscription while it waits — the
 * canonical order every other path uses — and that rows come back exactly as drizzle maps them.
 */
describe('one-statement row locks (db/locks.ts)', () => {
  let t: { url: string; database: Database; drop(): Promise<void> };
  let url = '';
  const ids = { plan: newId('plan'), cust: newId('cust'), card: newId('card'), sub: newId('sub'), inv: newId('inv') };
  const attemptId = newId('att');

  beforeAll(async () => {
    t = await createTestDatabase();
    const db = t.database.db;
    url = t.url;
    await db.insert(plans).values({
      id: ids.plan,
      code: 'p',
      version: 1,
      name: 'Plan P',
      amount: 1999,
      currency: 'USD',
      interval: 'month',
      intervalCount: 1,
    });
    await db.insert(customers).values({
      id: ids.cust,
      email: 'a@example.com',
      firstName: 'A',
      lastName: 'B',
      asiabillCustomerId: 'cus_1',
    });
    await db.insert(paymentMethods).values({
      id: ids.card,
      customerId: ids.cust,
      asiabillPaymentMethodId: 'pm_1',
      brand: 'visa',
      last4: '4242',
      mandateTradeNo: 'T-MANDATE',
    });
    const start = new Date('2027-02-01T00:00:00Z');
    await db.insert(subscriptions).values({
      id: ids.sub,
      customerId: ids.cust,
      planId: ids.plan,
      paymentMethodId: ids.card,
      status: 'active',
      timeZone: 'Asia/Tokyo',
      anchor: new Date('2027-01-01T00:00:00Z'),
      interval: 'month',
      intervalCount: 1,
      amount: 1999,
      currency: 'USD',
      currentPeriodIndex: 1,
      currentPeriodStart: start,
      currentPeriodEnd: new Date('2027-03-01T00:00:00Z'),
      nextRenewalAt: null,
      createdAt: start,
      updatedAt: start,
      creditBalance: 250,
    });
    await db.insert(invoices).values({
      id: ids.inv,
      subscriptionId: ids.sub,
      periodIndex: 1,
      periodStart: start,
      periodEnd: new Date('2027-03-01T00:00:00Z'),
      amount: 1999,
      currency: 'USD',
      status: 'open',
      attemptCount: 1,
      nextAttemptAt: start,
      createdAt: start,
      lines: [{ kind: 'plan', description: 'p', amount: 1999 }],
    });
    await db.insert(chargeAttempts).values({
      id: attemptId,
      invoiceId: ids.inv,
      attemptNo: 1,
      orderNo: `${ids.inv}-1`,
      tokenType: 'Recurring',
      amount: 1999,
      currency: 'USD',
      status: 'failed',
      requestTime: new Date('2027-02-01T00:00:01.234Z'),
      createdAt: start,
      orderInfo: 'D0051 Insufficient funds',
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('lockAttemptChain returns the rows exactly as drizzle reads them', async () => {
    const db = t.database.db;
    const chain = await db.transaction((tx) => lockAttemptChain(tx, attemptId));
    expect(chain).toBeDefined();
    const [sub] = await db.select().from(subscriptions).where(eq(subscriptions.id, ids.sub));
    const [inv] = await db.select().from(invoices).where(eq(invoices.id, ids.inv));
    const [att] = await db.select().from(chargeAttempts).where(eq(chargeAttempts.id, attemptId));
    expect(chain?.sub).toEqual(sub);
    expect(chain?.invoice).toEqual(inv);
    expect(chain?.attempt).toEqual({ ...att, otherSuccessId: null });
    // Spot checks against the values inserted above, not against drizzle alone.
    expect(chain?.sub.creditBalance).toBe(250);
    expect(chain?.attempt.requestTime.toISOString()).toBe('2027-02-01T00:00:01.234Z');
    expect(chain?.invoice.lines).toEqual([{ kind: 'plan', description: 'p', amount: 1999 }]);
  });

  it('lockChargeTarget reads the references and flags a reattempt after a decline', async () => {
    const target = await t.database.db.transaction((tx) => lockChargeTarget(tx, ids.inv));
    expect(target).toMatchObject({
      subscriptionId: ids.sub,
      subscriptionStatus: 'active',
      invoiceStatus: 'open',
      attemptCount: 1,
      amount: 1999,
      currency: 'USD',
      hasOpenAttempt: false,
      reattempt: true,
      refs: {
        paymentMethodId: ids.card,
        brand: 'visa',
        mandateTradeNo: 'T-MANDATE',
        asiabillPaymentMethodId: 'pm_1',
        asiabillCustomerId: 'cus_1',
        planName: 'Plan P',
      },
    });
  });

  /** Runs `lock` while another session holds the invoice; probes which rows it holds while it waits. */
  async function heldWhileWaiting(lock: () => Promise<unknown>): Promise<{ sub: boolean; attempt: boolean }> {
    const holder = new pg.Client({ connectionString: url });
    const probe = new pg.Client({ connectionString: url });
    await holder.connect();
    await probe.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from invoices where id = $1 for update', [ids.inv]);
      const waiting = lock();
      // Until the statement is seen waiting on a lock, probes would prove nothing.
      for (let i = 0; i < 100; i++) {
        const w = await probe.query(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        if (w.rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const held = async (table: string, id: string): Promise<boolean> => {
        await probe.query('begin');
        try {
          await probe.query(`select 1 from ${table} where id = $1 for update nowait`, [id]);
          return false;
        } catch (err) {
          if ((err as { code?: string }).code === '55P03') return true;
          throw err;
        } finally {
          await probe.query('rollback');
        }
      };
      const result = { sub: await held('subscriptions', ids.sub), attempt: await held('charge_attempts', attemptId) };
      await holder.query('commit');
      await waiting;
      return result;
    } finally {
      await holder.end();
      await probe.end();
    }
  }

  it('lockAttemptChain holds the subscription, not yet the attempt, while it waits for the invoice', async () => {
    const held = await heldWhileWaiting(() => t.database.db.transaction((tx) => lockAttemptChain(tx, attemptId)));
    expect(held).toEqual({ sub: true, attempt: false });
  });

  it('lockChargeTarget holds the subscription while it waits for the invoice', async () => {
    const held = await heldWhileWaiting(() => t.database.db.transaction((tx) => lockChargeTarget(tx, ids.inv)));
    expect(held.sub).toBe(true);
  });
});
