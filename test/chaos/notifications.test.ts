import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { chargeInvoice } from '../../src/renewals/charge.ts';
import { reconcileOpenAttempts } from '../../src/renewals/reconcile.ts';
import { scanDueWork } from '../../src/renewals/scan.ts';
import { setTestClock } from '../../src/testClock/store.ts';
import { ManualClock } from '../../src/clock.ts';
import type { AsiabillGateway } from '../../src/asiabill/types.ts';
import { chargeAttempts, events, gatewayNotifications, invoices, subscriptions } from '../../src/db/schema.ts';
import { signNotification } from '../../src/asiabill/notifications.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../support/engine.ts';

/**
 * Invariant 3: the same notification twice, or notifications in any order, give the same end
 * state; success is terminal; an unverifiable notification changes nothing.
 * Notifications are signed exactly as AsiaBill signs them and POSTed to the engine over HTTP.
 */
type Status = 'pending' | 'success' | 'fail';

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('AsiaBill notifications', () => {
  let t: TestEngine;
  // The sandbox's own notifications are held back: this test is the only sender.
  beforeAll(async () => {
    t = await startTestEngine({
      start: '2027-06-30T00:00:00Z',
      sandboxNotify: { delayMs: 600_000 },
      env: { BILLING_SCAN_INTERVAL_MS: '3600000' },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function post(
    body: string,
    opts: { signKey?: string; requestTime?: number } = {},
  ): Promise<{ status: number; text: string }> {
    const headers = signNotification({
      gatewayNo: t.config.gateway.gatewayNo,
      signKey: opts.signKey ?? t.config.gateway.signKey,
      rawBody: body,
      requestTime: opts.requestTime,
    });
    const res = await fetch(`${t.engine.httpUrl}/webhooks/asiabill`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, text: await res.text() };
  }
  const bodyFor = (orderNo: string, tradeNo: string, status: Status) =>
    JSON.stringify({
      type: `transaction.${status}`,
      data: {
        transactionType: 'Sale',
        orderNo,
        tradeNo,
        orderAmount: '10.00',
        orderCurrency: 'USD',
        orderStatus: status,
        orderInfo: status === 'fail' ? 'D0005 Do not honor' : 'ok',
        remark: '',
      },
    });

  async function stateOf(subscriptionId: string) {
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)))[0]!;
    const inv = (await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, subscriptionId)))[0]!;
    const att = (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, inv.id)))[0]!;
    const paidEvents = await t.ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(events)
      .where(sql`${events.subjectId} = ${inv.id} and ${events.type} = 'invoice.paid'`);
    return {
      sub: s.status,
      invoice: inv.status,
      attempt: att.status,
      tradeNo: att.tradeNo,
      paidEvents: paidEvents[0]?.n,
    };
  }

  it('every order of pending/success/fail, each delivered twice, ends paid and active with one invoice.paid', async () => {
    const plan = await makePlan(t.ctx);
    const ends = new Set<string>();
    for (const order of permutations<Status>(['pending', 'success', 'fail'])) {
      const r = await subscribe(t.ctx, plan, CARDS.threeDS);
      expect(r.charge?.kind === 'attempted' && r.charge.status).toBe('pending');
      const att = (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, r.invoiceId!)))[0]!;
      for (const s of [...order, ...order]) {
        const res = await post(bodyFor(att.orderNo, att.tradeNo ?? '2027063000000000000001', s));
        expect(res).toEqual({ status: 200, text: 'success' });
      }
      const st = await stateOf(r.subscriptionId);
      ends.add(JSON.stringify({ ...st, tradeNo: undefined }));
      expect(st).toMatchObject({ sub: 'active', invoice: 'paid', attempt: 'succeeded', paidEvents: 1 });
    }
    expect(ends.size).toBe(1);
    const dup = await t.ctx.db.select({ n: sql<number>`max(times_received)::int` }).from(gatewayNotifications);
    expect(dup[0]?.n).toBe(2);
  });

  it('a late fail never undoes a success', async () => {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    const att = (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, r.invoiceId!)))[0]!;
    const before = await stateOf(r.subscriptionId);
    expect(await post(bodyFor(att.orderNo, att.tradeNo!, 'fail'))).toEqual({ status: 200, text: 'success' });
    expect(await post(bodyFor(att.orderNo, att.tradeNo!, 'pending'))).toEqual({ status: 200, text: 'success' });
    expect(await stateOf(r.subscriptionId)).toEqual(before);
  });

  it('a bad signature, a stale request-time or a tampered body changes nothing and is not acknowledged', async () => {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.threeDS);
    const att = (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, r.invoiceId!)))[0]!;
    const count = async () =>
      (await t.ctx.db.select({ n: sql<number>`count(*)::int` }).from(gatewayNotifications))[0]?.n;
    const n0 = await count();
    const body = bodyFor(att.orderNo, att.tradeNo ?? 'x', 'success');
    const wrongKey = await post(body, { signKey: 'not-the-key' });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.text).not.toBe('success');
    const stale = await post(body, { requestTime: Date.now() - 11 * 60_000 });
    expect(stale.status).toBe(401);
    const headers = signNotification({
      gatewayNo: t.config.gateway.gatewayNo,
      signKey: t.config.gateway.signKey,
      rawBody: body,
    });
    const tampered = await fetch(`${t.engine.httpUrl}/webhooks/asiabill`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: body.replace('"10.00"', '"0.01"'),
    });
    expect(tampered.status).toBe(401);
    expect(await count()).toBe(n0);
    expect((await stateOf(r.subscriptionId)).attempt).toBe('pending');
  });

  it('a notification for an orderNo we do not know is kept, acknowledged, and used by the reconciler later', async () => {
    const res = await post(bodyFor('inv_unknown0000000000-1', '2027063000000000009999', 'success'));
    expect(res).toEqual({ status: 200, text: 'success' });
    const row = (
      await t.ctx.db
        .select()
        .from(gatewayNotifications)
        .where(eq(gatewayNotifications.orderNo, 'inv_unknown0000000000-1'))
    )[0];
    expect(row?.result).toBe('unmatched');
  });

  it('the reconciler resolves an attempt from a notification stored before the attempt existed, without the gateway knowing the order', async () => {
    // The engine writes an attempt before it calls AsiaBill, so this order of events is forced
    // here (as after restoring the database from a backup): the success notification for the
    // renewal's first orderNo arrives and is kept as unmatched; only then is the attempt
    // written, by a worker that dies before its request leaves — so AsiaBill's transaction
    // search cannot know the order, and only the stored notification can settle it.
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;
    await setTestClock(t.ctx.db, s.currentPeriodEnd);
    await scanDueWork({ db: t.ctx.db, enqueueCharge: async () => {}, batchSize: 100 }, s.currentPeriodEnd);
    const renewal = (
      await t.ctx.db
        .select()
        .from(invoices)
        .where(and(eq(invoices.subscriptionId, s.id), eq(invoices.periodIndex, 1)))
    )[0]!;
    // README: orderNo = <invoiceId>-<attemptNo>.
    const orderNo = `${renewal.id}-1`;
    expect(await post(bodyFor(orderNo, '2027063000000000007777', 'success'))).toEqual({ status: 200, text: 'success' });
    expect(
      (await t.ctx.db.select().from(gatewayNotifications).where(eq(gatewayNotifications.orderNo, orderNo)))[0]?.result,
    ).toBe('unmatched');

    const g = t.ctx.gateway;
    const dying: AsiabillGateway = {
      confirmCharge: async () => {
        throw new Error('worker killed before the request left');
      },
      searchTransactions: g.searchTransactions.bind(g),
      createCustomer: g.createCustomer.bind(g),
      createPaymentMethod: g.createPaymentMethod.bind(g),
      getPaymentMethod: g.getPaymentMethod.bind(g),
      refund: g.refund.bind(g),
      refundStatus: g.refundStatus.bind(g),
      updateCustomer: g.updateCustomer.bind(g),
      deleteCustomer: g.deleteCustomer.bind(g),
      detachPaymentMethod: g.detachPaymentMethod.bind(g),
    };
    await expect(chargeInvoice({ ...t.ctx, gateway: dying }, renewal.id)).rejects.toThrow('worker killed');
    const attempt = (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, renewal.id)))[0]!;
    expect([attempt.orderNo, attempt.status]).toEqual([orderNo, 'started']);
    expect(t.engine.sandbox!.ledger().filter((l) => l.orderNo === orderNo)).toEqual([]);

    // Past the grace for a live worker, but well inside AsiaBill's 10-minute request window:
    // without the stored notification the attempt would have to stay open.
    const report = await reconcileOpenAttempts({ ...t.ctx, wall: new ManualClock(new Date(Date.now() + 60_000)) });
    expect(report.resolved).toBeGreaterThanOrEqual(1);
    const after = (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, attempt.id)))[0]!;
    expect([after.status, after.tradeNo]).toEqual(['succeeded', '2027063000000000007777']);
    expect((await t.ctx.db.select().from(invoices).where(eq(invoices.id, renewal.id)))[0]?.status).toBe('paid');
    const ev = await t.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.subjectId, attempt.id), eq(events.type, 'charge.succeeded')));
    expect(ev.map((e) => (e.data as { source?: string }).source)).toEqual(['reconcile']);
  });
});
