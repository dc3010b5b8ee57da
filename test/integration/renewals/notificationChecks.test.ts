/**
 * Issue 9, item 7, through the engine's HTTP endpoint: a correctly signed notification of a
 * type we do not handle is stored and acknowledged (not 400, which AsiaBill retries for 17 h);
 * the signature is over our configured gateway number, not the header's; the `version` header
 * is checked; and a notification whose amount or currency differs from the attempt is stored,
 * alerted (event + error log) and never applied — not by the notification path, not by the
 * reconciler reading stored notifications.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { chargeAttempts, events, gatewayNotifications } from '../../../src/db/schema.ts';
import { signRequest } from '../../../src/asiabill/sign.ts';
import { createLogger } from '../../../src/logger.ts';
import { reconcileOpenAttempts } from '../../../src/renewals/reconcile.ts';
import { ManualClock } from '../../../src/clock.ts';
import { CARDS, makePlan, startTestEngine, subscribe, type TestEngine } from '../../support/engine.ts';

let t: TestEngine;
const logs: string[] = [];
beforeAll(async () => {
  t = await startTestEngine({
    start: '2029-09-01T08:00:00Z',
    // The sandbox's own notifications are held back: the test is the only sender.
    sandboxNotify: { delayMs: 600_000 },
    parts: { reconcile: false },
    logger: createLogger({ level: 'warn', destination: { write: (l: string) => void logs.push(l) } }),
  });
});
afterAll(async () => {
  await t.stop();
});

let seq = 0;
async function post(
  body: string,
  opts: { gatewayNo?: string; version?: string; signOver?: string } = {},
): Promise<{ status: number; text: string }> {
  seq += 1;
  const headers = {
    'gateway-no': opts.gatewayNo ?? t.config.gateway.gatewayNo,
    'request-id': `REQ${Date.now()}${seq}`,
    'request-time': String(Date.now()),
    version: opts.version ?? 'V2022-03',
  };
  const signInfo = signRequest({
    gatewayNo: headers['gateway-no'],
    requestId: headers['request-id'],
    requestTime: headers['request-time'],
    version: headers.version,
    rawBody: opts.signOver ?? body,
    signKey: t.config.gateway.signKey,
  });
  const res = await fetch(`${t.engine.httpUrl}/webhooks/asiabill`, {
    method: 'POST',
    headers: { ...headers, 'sign-info': signInfo, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

const notificationCount = async () =>
  (await t.ctx.db.select({ n: sql<number>`count(*)::int` }).from(gatewayNotifications))[0]?.n ?? -1;

function txBody(orderNo: string, tradeNo: string, amount: string, currency: string, status = 'success'): string {
  return JSON.stringify({
    type: `transaction.${status}`,
    data: {
      transactionType: 'Sale',
      orderNo,
      tradeNo,
      orderAmount: amount,
      orderCurrency: currency,
      orderStatus: status,
      orderInfo: 'Transaction Approved',
      remark: '',
    },
  });
}

/** A 3-D Secure first charge: its attempt stays `pending` (10.00 USD) until told otherwise. */
async function pendingAttempt() {
  const plan = await makePlan(t.ctx, { amount: '10.00', currency: 'USD' });
  const r = await subscribe(t.ctx, plan, CARDS.threeDS);
  const att = (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, r.invoiceId!)))[0]!;
  expect(att.status).toBe('pending');
  return att;
}

describe('notification checks', () => {
  it('a correctly signed notification of an unknown type is stored and acknowledged, once', async () => {
    const body = JSON.stringify({
      type: 'payout.settled',
      data: { orderNo: 'PO-1', tradeNo: '2029090100000000000001' },
    });
    expect(await post(body)).toEqual({ status: 200, text: 'success' });
    expect(await post(body)).toEqual({ status: 200, text: 'success' });
    const rows = await t.ctx.db
      .select()
      .from(gatewayNotifications)
      .where(eq(gatewayNotifications.type, 'payout.settled'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ result: 'unhandled', orderNo: 'PO-1', timesReceived: 2, rawBody: body });
  });

  it('an unknown type with a bad signature is still refused and not stored', async () => {
    const body = JSON.stringify({ type: 'payout.settled', data: { orderNo: 'PO-2' } });
    const n0 = await notificationCount();
    const r = await post(body, { signOver: `${body} ` });
    expect(r.status).toBe(401);
    expect(await notificationCount()).toBe(n0);
  });

  it("a signature over the header's gateway number instead of ours changes nothing", async () => {
    const att = await pendingAttempt();
    const n0 = await notificationCount();
    const r = await post(txBody(att.orderNo, att.tradeNo ?? 'x', '10.00', 'USD'), { gatewayNo: '99999999' });
    expect(r.status).toBe(401);
    expect(await notificationCount()).toBe(n0);
    expect((await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, att.id)))[0]?.status).toBe(
      'pending',
    );
  });

  it('a correctly signed notification with another version header changes nothing', async () => {
    const att = await pendingAttempt();
    const n0 = await notificationCount();
    const r = await post(txBody(att.orderNo, att.tradeNo ?? 'x', '10.00', 'USD'), { version: 'V2099-01' });
    expect(r.status).toBe(401);
    expect(r.text).toContain('BAD_VERSION');
    expect(await notificationCount()).toBe(n0);
  });

  it.each([
    ['another amount', '0.01', 'USD'],
    ['another currency', '10.00', 'EUR'],
    ['no amount', '', 'USD'],
    ['an unreadable amount', '10.001', 'USD'],
  ])('%s: stored, alerted, acknowledged, never applied', async (_what, amount, currency) => {
    const att = await pendingAttempt();
    const body = txBody(att.orderNo, att.tradeNo ?? 'x', amount, currency);
    const before = logs.length;
    expect(await post(body)).toEqual({ status: 200, text: 'success' });
    expect(await post(body)).toEqual({ status: 200, text: 'success' });
    const stored = await t.ctx.db
      .select()
      .from(gatewayNotifications)
      .where(eq(gatewayNotifications.orderNo, att.orderNo));
    expect(stored.map((s) => [s.result, s.timesReceived])).toEqual([['amount_mismatch', 2]]);
    const alerts = await t.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.type, 'charge.notification_mismatch'), eq(events.subjectId, att.id)));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.data).toMatchObject({
      amount: 1000,
      currency: 'USD',
      statedAmount: amount,
      statedCurrency: currency,
    });
    const errors = logs
      .slice(before)
      .map((l) => JSON.parse(l) as { level: number; orderNo?: string })
      .filter((l) => l.level === 50 && l.orderNo === att.orderNo);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    const attemptNow = async () =>
      (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, att.id)))[0]?.status;
    expect(await attemptNow()).toBe('pending');
    // The reconciler consults stored notifications first: a mismatched one must not count.
    await reconcileOpenAttempts({ ...t.ctx, wall: new ManualClock(new Date(Date.now() + 60_000)) });
    expect(await attemptNow()).toBe('pending');
    // The notification with the attempt's own amount is applied.
    expect(await post(txBody(att.orderNo, att.tradeNo ?? 'x', '10.00', 'USD'))).toEqual({
      status: 200,
      text: 'success',
    });
    expect(await attemptNow()).toBe('succeeded');
  });

  it('the same amount written differently ("10" for 10.00 USD) is the same money and is applied', async () => {
    const att = await pendingAttempt();
    expect(await post(txBody(att.orderNo, att.tradeNo ?? 'x', '10', 'USD'))).toEqual({ status: 200, text: 'success' });
    expect((await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, att.id)))[0]?.status).toBe(
      'succeeded',
    );
  });

  it('a signature over the slash-escaped body (what the PHP SDK verifies) is accepted over HTTP', async () => {
    const att = await pendingAttempt();
    const body = txBody(att.orderNo, att.tradeNo ?? 'x', '10.00', 'USD').replace('"remark":""', '"remark":"a/b"');
    const escaped = body.replace('"a/b"', '"a\\/b"');
    expect(await post(body, { signOver: escaped })).toEqual({ status: 200, text: 'success' });
    expect((await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, att.id)))[0]?.status).toBe(
      'succeeded',
    );
  });
});
