import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import {
  chargeAttempts,
  customers,
  events,
  gatewayNotifications,
  invoices,
  paymentMethods,
  refunds,
  subscriptions,
} from '../../../src/db/schema.ts';
import { applyRefundState, followOpenRefunds, refundInvoice } from '../../../src/refunds/refunds.ts';
import { buildChargeRequest, orderNoFor } from '../../../src/renewals/chargeRequest.ts';
import { publicUrlOf } from '../../../src/renewals/publicUrl.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { paidOrdersOf } from '../../support/ledger.ts';

/**
 * Refunds through AsiaBill's refund API (the sandbox), full and partial, over-refunds refused,
 * followed to a final state by notification or by the status call, idempotent across a lost
 * answer, and the automatic refund of a second successful charge for one invoice. Amounts are
 * checked against what the sandbox gateway recorded.
 */
describe('refunds', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2029-01-01T00:00:00Z' });
  });
  afterAll(async () => {
    await t?.stop();
  });
  beforeEach(() => {
    t.engine.sandbox!.setKnobs({ refundMode: 'instant', dropNextRefundResponses: 0 });
  });

  const sandboxRefunds = (tradeNo: string) => t.engine.sandbox!.dump().refunds.filter((r) => r.tradeNo === tradeNo);
  const refundRow = async (id: string) => (await t.ctx.db.select().from(refunds).where(eq(refunds.id, id)))[0]!;
  const invoice = async (id: string) => (await t.ctx.db.select().from(invoices).where(eq(invoices.id, id)))[0]!;
  const waitFor = async (what: () => Promise<boolean>) => {
    for (let i = 0; i < 400 && !(await what()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await what()).toBe(true);
  };
  const paidInvoice = async (amount = '10.00') => {
    const r = await subscribe(t.ctx, await makePlan(t.ctx, { amount }), CARDS.success);
    const [order] = await paidOrdersOf(t.engine.sandbox!.url, r.invoiceId!);
    expect(order).toBeDefined();
    return { invoiceId: r.invoiceId!, subscriptionId: r.subscriptionId, tradeNo: order!.tradeNo };
  };

  it('full refund: the gateway refunds exactly the charge; the invoice shows it; its notification changes nothing more', async () => {
    const { invoiceId, tradeNo } = await paidInvoice('10.00');
    const r = await refundInvoice(t.ctx, invoiceId);
    expect(r).toMatchObject({ status: 'succeeded', amount: 1000, currency: 'USD' });
    expect(sandboxRefunds(tradeNo).map((x) => [x.refundAmount, x.refundType, x.merTrackNo])).toEqual([
      ['10.00', '1', r.id],
    ]);
    expect((await invoice(invoiceId)).amountRefunded).toBe(1000);
    await waitFor(async () =>
      (await t.ctx.db.select().from(gatewayNotifications).where(eq(gatewayNotifications.type, 'refund.success'))).some(
        (n) => n.result === 'no-change' && n.rawBody.includes(r.id),
      ),
    );
    await expect(refundInvoice(t.ctx, invoiceId)).rejects.toThrow(/nothing left to refund/);
  });

  it('partial refunds add up; an over-refund is refused with a validation error and writes nothing', async () => {
    const { invoiceId, tradeNo } = await paidInvoice('10.00');
    await expect(refundInvoice(t.ctx, invoiceId, { amount: 1001 })).rejects.toThrow(
      /amount: 1001 is more than the 1000/,
    );
    const a = await refundInvoice(t.ctx, invoiceId, { amount: 300 });
    const b = await refundInvoice(t.ctx, invoiceId, { amount: 699 });
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    const before = await t.ctx.db.select().from(refunds).where(eq(refunds.invoiceId, invoiceId));
    expect(before).toHaveLength(2);
    await expect(refundInvoice(t.ctx, invoiceId, { amount: 2 })).rejects.toThrow(/more than the 1 /);
    expect(await t.ctx.db.select().from(refunds).where(eq(refunds.invoiceId, invoiceId))).toHaveLength(2);
    const last = await refundInvoice(t.ctx, invoiceId, { amount: 1 });
    expect(last.status).toBe('succeeded');
    expect(sandboxRefunds(tradeNo).map((x) => `${x.refundAmount}/${x.refundType}`)).toEqual([
      '3.00/2',
      '6.99/2',
      '0.01/1',
    ]);
    expect((await invoice(invoiceId)).amountRefunded).toBe(1000);
  });

  it('20 partial refunds racing on one invoice never refund more than was charged', async () => {
    const { invoiceId, tradeNo } = await paidInvoice('10.00');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => refundInvoice(t.ctx, invoiceId, { amount: 150 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(results).toHaveLength(20);
    // 6 × 1.50 = 9.00 fits in 10.00; a seventh would not.
    expect(ok).toHaveLength(6);
    for (const r of results)
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/amount: 150 is more than the (100|0) /);
    const atGateway = sandboxRefunds(tradeNo);
    expect(atGateway).toHaveLength(6);
    expect(atGateway.every((x) => x.refundAmount === '1.50')).toBe(true);
    expect((await invoice(invoiceId)).amountRefunded).toBe(900);
  });

  it('a pending refund is finished by its refund.success notification', async () => {
    const { invoiceId } = await paidInvoice('5.00');
    t.engine.sandbox!.setKnobs({ refundMode: 'pending' });
    const r = await refundInvoice(t.ctx, invoiceId, { amount: 200 });
    expect(r.status).toBe('pending');
    expect(r.batchNo).toBeTruthy();
    expect((await invoice(invoiceId)).amountRefunded).toBe(0);
    t.engine.sandbox!.settleRefund(r.id, 'success');
    await waitFor(async () => (await refundRow(r.id)).status === 'succeeded');
    expect((await invoice(invoiceId)).amountRefunded).toBe(200);
  });

  it('a pending refund whose notification never comes is finished by the refund status call; a failed one frees the amount again', async () => {
    const { invoiceId } = await paidInvoice('5.00');
    t.engine.sandbox!.setKnobs({ refundMode: 'pending' });
    const ok = await refundInvoice(t.ctx, invoiceId, { amount: 100 });
    const ko = await refundInvoice(t.ctx, invoiceId, { amount: 400 });
    // Everything is now claimed: 100 + 400 of 500.
    await expect(refundInvoice(t.ctx, invoiceId, { amount: 1 })).rejects.toThrow(/nothing left to refund/);
    t.engine.sandbox!.settleRefund(ok.id, 'success', { notify: false });
    t.engine.sandbox!.settleRefund(ko.id, 'fail', { notify: false });
    const report = await followOpenRefunds(t.ctx, { force: true });
    expect(report.checked).toBeGreaterThanOrEqual(2);
    expect((await refundRow(ok.id)).status).toBe('succeeded');
    expect((await refundRow(ko.id)).status).toBe('failed');
    expect((await invoice(invoiceId)).amountRefunded).toBe(100);
    t.engine.sandbox!.setKnobs({ refundMode: 'instant' });
    expect((await refundInvoice(t.ctx, invoiceId)).amount).toBe(400);
  });

  it('refund states only move forward: a late fail or a repeated success after success changes nothing', async () => {
    const { invoiceId } = await paidInvoice('4.00');
    t.engine.sandbox!.setKnobs({ refundMode: 'pending' });
    const r = await refundInvoice(t.ctx, invoiceId, { amount: 250 });
    expect(r.status).toBe('pending');
    const apply = (status: 'pending' | 'succeeded' | 'failed') =>
      applyRefundState(t.ctx, { refundId: r.id, status, batchNo: r.batchNo ?? undefined }, 'notification');
    expect(await apply('succeeded')).toBe(true);
    expect(await apply('succeeded')).toBe(false);
    expect(await apply('failed')).toBe(false);
    expect(await apply('pending')).toBe(false);
    expect(await refundRow(r.id)).toMatchObject({ status: 'succeeded' });
    expect((await invoice(invoiceId)).amountRefunded).toBe(250);
  });

  it('a lost answer is retried with the same merTrackNo: one refund at the gateway, not two', async () => {
    const { invoiceId, tradeNo } = await paidInvoice('8.00');
    // Pending mode, so no notification finishes it behind our back: only the resend can.
    t.engine.sandbox!.setKnobs({ dropNextRefundResponses: 1, refundMode: 'pending' });
    const r = await refundInvoice(t.ctx, invoiceId, { amount: 800 });
    expect(r.status).toBe('requested');
    expect(sandboxRefunds(tradeNo)).toHaveLength(1); // the gateway did it; we just did not hear
    await followOpenRefunds(t.ctx, { force: true });
    expect(await refundRow(r.id)).toMatchObject({ status: 'pending', sendCount: 2 });
    t.engine.sandbox!.settleRefund(r.id, 'success', { notify: false });
    await followOpenRefunds(t.ctx, { force: true });
    const row = await refundRow(r.id);
    expect(row).toMatchObject({ status: 'succeeded', sendCount: 2, merTrackNo: r.id });
    expect(sandboxRefunds(tradeNo).map((x) => x.merTrackNo)).toEqual([r.id]);
    expect((await invoice(invoiceId)).amountRefunded).toBe(800);
  });

  it('a refund the gateway declines is recorded as failed', async () => {
    const { invoiceId } = await paidInvoice('3.00');
    t.engine.sandbox!.setKnobs({ refundMode: 'fail' });
    const r = await refundInvoice(t.ctx, invoiceId);
    expect(r.status).toBe('failed');
    expect((await invoice(invoiceId)).amountRefunded).toBe(0);
  });

  it('a second successful charge for one invoice is refunded automatically, reported, and followed to its notification', async () => {
    const { invoiceId, subscriptionId } = await paidInvoice('12.34');
    // A later attempt that we had recorded as failed, which AsiaBill in fact charged (e.g. a
    // pay link paid after the renewal went through): the gateway has two successes.
    const orderNo = orderNoFor(invoiceId, 2);
    const [attempt] = await t.ctx.db
      .insert(chargeAttempts)
      .values({
        id: 'att_duplicate0000001',
        invoiceId,
        attemptNo: 2,
        orderNo,
        tokenType: 'Recurring',
        amount: 1234,
        currency: 'USD',
        status: 'failed',
        orderInfo: 'thought declined',
        requestTime: new Date(),
        createdAt: await t.ctx.time.now(),
      })
      .returning();
    const refs = (
      await t.ctx.db
        .select({ c: customers.asiabillCustomerId, pm: paymentMethods.asiabillPaymentMethodId })
        .from(subscriptions)
        .innerJoin(customers, eq(customers.id, subscriptions.customerId))
        .innerJoin(paymentMethods, eq(paymentMethods.id, subscriptions.paymentMethodId))
        .where(eq(subscriptions.id, subscriptionId))
    )[0]!;
    const res = await t.ctx.gateway.confirmCharge(
      buildChargeRequest({
        orderNo,
        amount: 1234,
        currency: 'USD',
        tokenType: 'Recurring',
        customerIp: '127.0.0.1',
        asiabillCustomerId: refs.c,
        asiabillPaymentMethodId: refs.pm,
        planName: 'dup',
        subscriptionId,
        periodStart: new Date(),
        publicUrl: publicUrlOf(t.ctx.config),
        webSite: t.ctx.config.webSite,
      }),
    );
    expect(res.orderStatus).toBe('success');
    const tradeNo = res.tradeNo ?? '';
    // transaction.success → duplicate detected → refund queued in that transaction, sent after it.
    await waitFor(async () => {
      const rows = await t.ctx.db.select().from(refunds).where(eq(refunds.attemptId, attempt!.id));
      return rows.length === 1 && rows[0]!.status === 'succeeded';
    });
    const [row] = await t.ctx.db.select().from(refunds).where(eq(refunds.attemptId, attempt!.id));
    expect(row).toMatchObject({ amount: 1234, reason: 'duplicate charge', tradeNo, full: true });
    expect(sandboxRefunds(tradeNo).map((x) => x.refundAmount)).toEqual(['12.34']);
    // The invoice's own payment is untouched; the first charge is not refunded.
    expect((await invoice(invoiceId)).amountRefunded).toBe(0);
    const types = (
      await t.ctx.db
        .select({ type: events.type })
        .from(events)
        .where(sql`${events.subjectId} in (${attempt!.id}, ${row!.id})`)
        .orderBy(events.seq)
    ).map((e) => e.type);
    // Detection and the refund intent are written in one transaction; the result after it.
    expect(types.slice(0, 2).sort()).toEqual(['charge.duplicate_detected', 'refund.created']);
    expect(types.slice(2)).toEqual(['refund.succeeded']);
    // The refund's own notification arrives and is recorded against it.
    await waitFor(
      async () =>
        (
          await t.ctx.db
            .select()
            .from(gatewayNotifications)
            .where(and(eq(gatewayNotifications.type, 'refund.success'), eq(gatewayNotifications.tradeNo, tradeNo)))
        ).length === 1,
    );
    // Delivering the success notification again queues no second refund.
    expect(await t.ctx.db.select().from(refunds).where(eq(refunds.attemptId, attempt!.id))).toHaveLength(1);
  });
});
