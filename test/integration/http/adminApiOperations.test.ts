import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, makeCustomerWithCard, makePlan, startTestEngine, type TestEngine } from '../../support/engine.ts';
import { addCardPaymentMethod } from '../../../src/customers/paymentMethods.ts';
import { createSubscription } from '../../../src/subscriptions/create.ts';
import { fetchLedger } from '../../support/ledger.ts';
import { ADMIN_TOKEN, apiClient, tableCounts, type ApiClient } from './support.ts';

/**
 * The lifecycle, dunning, refund, coupon and webhook operations of the admin API, end to end
 * against Postgres and the sandbox gateway. Money is checked in the sandbox's own ledger; the
 * expected amounts are worked out by hand in the comments (a 31-day January period).
 */
interface ErrorJson {
  error: { code: string; message: string; field: string | null };
}
interface Money {
  amount: number;
  currency: string;
}
interface Quote {
  now: { amountDue: Money };
  next: { amountDue: Money };
  invoiceId?: string | null;
  charge?: { status: string } | null;
}

describe('admin HTTP API: operations', () => {
  let te: TestEngine;
  let api: ApiClient;
  let sandboxUrl: string;
  let basic: string;
  let pro: string;
  let trial: string;
  // Subscribed at 2027-01-10 00:00 UTC on basic (10.00), before the clock moves to 01-20.
  const subs: Record<'change' | 'refund' | 'cancel' | 'pause' | 'card', { id: string; invoiceId: string }> = {
    change: { id: '', invoiceId: '' },
    refund: { id: '', invoiceId: '' },
    cancel: { id: '', invoiceId: '' },
    pause: { id: '', invoiceId: '' },
    card: { id: '', invoiceId: '' },
  };
  let cardCustomer = '';

  const paidOrders = async (invoiceId: string) =>
    (await fetchLedger(sandboxUrl))
      .filter((e) => e.orderNo.startsWith(`${invoiceId}-`) && e.status === 'success')
      .map((e) => e.amount);
  const ordersOf = async (invoiceId: string) =>
    (await fetchLedger(sandboxUrl)).filter((e) => e.orderNo.startsWith(`${invoiceId}-`));
  const sandboxRefunds = () => te.engine.sandbox?.dump().refunds ?? [];

  beforeAll(async () => {
    te = await startTestEngine({ start: '2027-01-10T00:00:00Z', env: { BILLING_ADMIN_TOKEN: ADMIN_TOKEN } });
    api = apiClient(te.engine.httpUrl ?? '');
    sandboxUrl = te.engine.sandbox?.url ?? '';
    basic = await makePlan(te.ctx, { amount: '10.00' });
    pro = await makePlan(te.ctx, { amount: '30.00' });
    trial = await makePlan(te.ctx, { amount: '12.00', trialDays: 14 });
    const keys = Object.keys(subs) as Array<keyof typeof subs>;
    expect(keys.length).toBe(5);
    for (const k of keys) {
      const c = await makeCustomerWithCard(te.ctx);
      const r = await createSubscription(te.ctx, {
        customerId: c.customerId,
        planCode: basic,
        paymentMethodId: c.paymentMethodId,
      });
      expect(r.status).toBe('active');
      subs[k] = { id: r.subscriptionId, invoiceId: r.invoiceId ?? '' };
      if (k === 'card') cardCustomer = c.customerId;
    }
    await te.advanceTo('2027-01-20T00:00:00Z');
  });
  afterAll(async () => {
    await te?.stop();
  });

  it('preview-change quotes exactly what change-plan charges, as the ledger shows; a replayed key charges once', async () => {
    const id = subs.change.id;
    const preview = await api.post<Quote>(`/v1/subscriptions/${id}/preview-change`, { planCode: pro });
    expect(preview.status).toBe(200);
    // 21 of 31 days left: 30.00 × 21/31 = 20.32 for pro, minus the unused 10.00 × 21/31 = 6.77 credit.
    expect(preview.json.now.amountDue).toEqual({ amount: 1355, currency: 'USD' });
    const before = await fetchLedger(sandboxUrl);
    const done = await api.post<Quote>(`/v1/subscriptions/${id}/change-plan`, { planCode: pro }, { key: 'chg-1' });
    expect(done.status).toBe(200);
    expect(done.json.now.amountDue.amount).toBe(preview.json.now.amountDue.amount);
    expect(done.json.charge?.status).toBe('succeeded');
    expect(await paidOrders(done.json.invoiceId ?? '')).toEqual(['13.55']);
    expect((await fetchLedger(sandboxUrl)).length).toBe(before.length + 1);

    const again = await api.post<Quote>(`/v1/subscriptions/${id}/change-plan`, { planCode: pro }, { key: 'chg-1' });
    expect(again.status).toBe(200);
    expect(again.text).toBe(done.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await fetchLedger(sandboxUrl)).length).toBe(before.length + 1);

    const upcoming = await api.get<{ amountDue: Money; plan: string }>(`/v1/subscriptions/${id}/upcoming`);
    expect(upcoming.status).toBe(200);
    expect(upcoming.json).toMatchObject({ amountDue: { amount: 3000, currency: 'USD' }, plan: pro });
  });

  it('refuses a bad plan-change `when` with 400 naming the field, and writes nothing', async () => {
    const before = await tableCounts(te.ctx.db);
    const ledger = (await fetchLedger(sandboxUrl)).length;
    const r = await api.post<ErrorJson>(`/v1/subscriptions/${subs.refund.id}/change-plan`, {
      planCode: pro,
      when: 'tomorrow',
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'validation_error', field: 'when' });
    const missing = await api.post<ErrorJson>(`/v1/subscriptions/${subs.refund.id}/change-plan`, { plan: pro });
    expect(missing.status).toBe(400);
    expect(missing.json.error.field).toBe('planCode');
    // Idempotency rows aside, nothing was written and nothing charged.
    const after = await tableCounts(te.ctx.db);
    expect({ ...after, api_idempotency_keys: 0 }).toEqual({ ...before, api_idempotency_keys: 0 });
    expect((await fetchLedger(sandboxUrl)).length).toBe(ledger);
  });

  it('refunds an amount, refuses an over-refund or a bad amount, and shows the refunded total', async () => {
    const inv = subs.refund.invoiceId;
    const r = await api.post<{ status: string; amount: Money; invoiceAmountRefunded: Money }>(
      `/v1/invoices/${inv}/refund`,
      { amount: '1.50' },
    );
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ status: 'succeeded', amount: { amount: 150 } });
    const tradeNos = (await ordersOf(inv)).filter((e) => e.status === 'success').map((e) => e.tradeNo);
    expect(tradeNos.length).toBe(1);
    expect(
      sandboxRefunds()
        .filter((x) => tradeNos.includes(x.tradeNo))
        .map((x) => x.refundAmount),
    ).toEqual(['1.50']);

    const refundsBefore = sandboxRefunds().length;
    for (const [amount, field] of [
      ['8.51', 'amount'],
      ['1.234', 'amount'],
    ] as const) {
      const bad = await api.post<ErrorJson>(`/v1/invoices/${inv}/refund`, { amount });
      expect(bad.status, amount).toBe(400);
      expect(bad.json.error).toMatchObject({ code: 'validation_error', field });
    }
    expect(sandboxRefunds().length).toBe(refundsBefore);

    const shown = await api.get<Record<string, unknown>>(`/v1/invoices/${inv}`);
    expect(shown.status).toBe(200);
    expect(shown.json.amountRefunded).toMatchObject({ amount: 150 });
    for (const k of ['firstFailedAt', 'dunningEndsAt', 'parkedCode', 'refusalCount', 'nextStep', 'nextStepReason'])
      expect(shown.json, k).toHaveProperty(k);
    const listed = await api.get<{ data: Array<Record<string, unknown>> }>(
      `/v1/invoices?subscription=${subs.refund.id}`,
    );
    expect(listed.json.data.length).toBe(1);
    expect(listed.json.data[0]).toHaveProperty('dunningEndsAt');
  });

  it('cancels with refundUnused: the unused part is refunded through the gateway', async () => {
    const r = await api.post<{ status: string; refunds: Array<{ amount: number; status: string }> }>(
      `/v1/subscriptions/${subs.cancel.id}/cancel`,
      { refundUnused: true },
    );
    expect(r.status).toBe(200);
    // 21 of 31 days unused of 10.00: 6.77.
    expect(r.json.status).toBe('canceled');
    expect(r.json.refunds.map((x) => [x.amount, x.status])).toEqual([[677, 'succeeded']]);
    const tradeNos = (await ordersOf(subs.cancel.invoiceId)).map((e) => e.tradeNo);
    expect(
      sandboxRefunds()
        .filter((x) => tradeNos.includes(x.tradeNo))
        .map((x) => x.refundAmount),
    ).toEqual(['6.77']);
  });

  it('pauses until a date, resumes with a new period (less the unused credit), cancels at period end and reactivates', async () => {
    const id = subs.pause.id;
    const bad = await api.post<ErrorJson>(`/v1/subscriptions/${id}/pause`, { until: 'next week' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('until');
    const paused = await api.post<{ status: string; resumeAt: string }>(`/v1/subscriptions/${id}/pause`, {
      until: '2027-03-01T00:00:00Z',
    });
    expect(paused.status).toBe(200);
    expect(paused.json).toEqual({ id, status: 'paused', resumeAt: '2027-03-01T00:00:00.000Z' });
    const resumed = await api.post<{ status: string; invoiceId: string; charge: { status: string } }>(
      `/v1/subscriptions/${id}/resume`,
      {},
    );
    expect(resumed.status).toBe(200);
    expect(resumed.json.status).toBe('active');
    // Paused the day it started its 10th day: 21/31 of 10.00 unused = 6.77 credit; the new month
    // starts now and costs 10.00 − 6.77 = 3.23 (docs/lifecycle.md, "Pause and resume").
    expect(await paidOrders(resumed.json.invoiceId)).toEqual(['3.23']);

    const atEnd = await api.post<{ cancelAtPeriodEnd: boolean }>(`/v1/subscriptions/${id}/cancel`, {
      atPeriodEnd: true,
    });
    expect(atEnd.json.cancelAtPeriodEnd).toBe(true);
    const back = await api.post<{ status: string; cancelAtPeriodEnd: boolean }>(
      `/v1/subscriptions/${id}/reactivate`,
      {},
    );
    expect(back.status).toBe(200);
    expect(back.json).toEqual({ id, status: 'active', cancelAtPeriodEnd: false });
    const shown = await api.get<{ cancelAtPeriodEnd: boolean }>(`/v1/subscriptions/${id}`);
    expect(shown.json.cancelAtPeriodEnd).toBe(false);
  });

  it('creates and lists coupons; an applied 50 % coupon halves the upcoming invoice', async () => {
    const created = await api.post<{ code: string; percentOff: number }>('/v1/coupons', {
      code: 'HALF',
      percentOff: '50',
      duration: 'once',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ code: 'HALF', percentOff: 50 });
    const bad = await api.post<ErrorJson>('/v1/coupons', { code: 'BAD', percentOff: '50', duration: 'weekly' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('duration');
    const listed = await api.get<{ data: Array<{ code: string }> }>('/v1/coupons');
    expect(listed.json.data.map((c) => c.code)).toEqual(['HALF']);
    const applied = await api.post<{ periodsLeft: number | null }>(`/v1/subscriptions/${subs.refund.id}/apply-coupon`, {
      coupon: 'HALF',
    });
    expect(applied.status).toBe(200);
    expect(applied.json.periodsLeft).toBe(1);
    const upcoming = await api.get<{ amountDue: Money }>(`/v1/subscriptions/${subs.refund.id}/upcoming`);
    // 10.00 − 50 % = 5.00
    expect(upcoming.json.amountDue).toEqual({ amount: 500, currency: 'USD' });
  });

  it('ends a trial: the first period is charged at once', async () => {
    const c = await makeCustomerWithCard(te.ctx);
    const sub = await createSubscription(te.ctx, {
      customerId: c.customerId,
      planCode: trial,
      paymentMethodId: c.paymentMethodId,
    });
    expect(sub.status).toBe('trialing');
    const r = await api.post<{ status: string; invoiceId: string }>(
      `/v1/subscriptions/${sub.subscriptionId}/end-trial`,
      {},
    );
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('active');
    expect(await paidOrders(r.json.invoiceId)).toEqual(['12.00']);
  });

  it('switches the card of a subscription, detaches the old card, updates and deletes a customer', async () => {
    const second = await addCardPaymentMethod(te.ctx, {
      customerId: cardCustomer,
      cardNumber: CARDS.success,
      expMonth: '11',
      expYear: '2034',
      cvc: '321',
    });
    const r = await api.post<{ paymentMethodId: string; retry: unknown }>(
      `/v1/subscriptions/${subs.card.id}/payment-method`,
      { paymentMethodId: second.id },
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ paymentMethodId: second.id, retry: null });
    const customer = await api.get<{ paymentMethods: Array<{ id: string }> }>(`/v1/customers/${cardCustomer}`);
    const old = customer.json.paymentMethods.map((p) => p.id).filter((x) => x !== second.id);
    expect(old.length).toBe(1);
    const inUse = await api.post<ErrorJson>(`/v1/payment-methods/${second.id}/detach`, {});
    expect(inUse.status).toBe(409);
    const detached = await api.post<{ id: string; detached: boolean }>(`/v1/payment-methods/${old[0]}/detach`, {});
    expect(detached.status).toBe(200);
    expect(detached.json).toMatchObject({ id: old[0], detached: true });

    const loner = await makeCustomerWithCard(te.ctx);
    const badEmail = await api.post<ErrorJson>(`/v1/customers/${loner.customerId}`, { email: 'not-an-email' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.json.error.field).toBe('email');
    const updated = await api.post<{ email: string }>(`/v1/customers/${loner.customerId}`, {
      email: 'renamed@example.com',
    });
    expect(updated.status).toBe(200);
    expect(updated.json.email).toBe('renamed@example.com');
    const refused = await api.post<ErrorJson>(`/v1/customers/${cardCustomer}/delete`, {});
    expect(refused.status).toBe(409);
    const deleted = await api.post<{ id: string; deleted: boolean }>(`/v1/customers/${loner.customerId}/delete`, {});
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ id: loner.customerId, deleted: true });
  });

  it('retries and links an open invoice of a declined card (void refused while the link is open), voids another', async () => {
    const c = await makeCustomerWithCard(te.ctx, CARDS.genericDecline);
    const sub = await createSubscription(te.ctx, {
      customerId: c.customerId,
      planCode: basic,
      paymentMethodId: c.paymentMethodId,
    });
    const inv = sub.invoiceId ?? '';
    expect((await ordersOf(inv)).length).toBe(1);
    const retried = await api.post<{ result: string; status?: string; reason?: string }>(
      `/v1/invoices/${inv}/retry`,
      {},
    );
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ result: 'attempted', status: 'failed' });
    const orders = await ordersOf(inv);
    expect(orders.map((o) => o.status)).toEqual(['fail', 'fail']);
    const link = await api.post<{ url: string; method: string }>(`/v1/invoices/${inv}/pay-link`, {});
    expect(link.status).toBe(201);
    expect(link.json.url.startsWith(sandboxUrl)).toBe(true);
    // The open pay link is a payment in flight: voiding is refused until it settles.
    const inFlight = await api.post<ErrorJson>(`/v1/invoices/${inv}/void`, {});
    expect(inFlight.status).toBe(409);
    expect(inFlight.json.error.code).toBe('conflict');
    expect(await paidOrders(inv)).toEqual([]);

    const c2 = await makeCustomerWithCard(te.ctx, CARDS.genericDecline);
    const sub2 = await createSubscription(te.ctx, {
      customerId: c2.customerId,
      planCode: basic,
      paymentMethodId: c2.paymentMethodId,
    });
    const voided = await api.post<{ id: string; status: string }>(`/v1/invoices/${sub2.invoiceId}/void`, {});
    expect(voided.status).toBe(200);
    expect(voided.json).toMatchObject({ id: sub2.invoiceId, status: 'void' });
    expect((await api.get<{ status: string }>(`/v1/invoices/${sub2.invoiceId}`)).json.status).toBe('void');
  });

  it('shows the effective dunning policy, the default or a plan override', async () => {
    const r = await api.get<{ source: string; policy: Record<string, unknown> }>('/v1/dunning-policy');
    expect(r.status).toBe(200);
    // The defaults documented in docs/dunning.md.
    expect(r.json.policy).toMatchObject({ retryDelayHours: [24, 72, 120], maxAttempts: 4, maxDays: 30 });
    expect(r.json.policy.finalAction).toBe('canceled');
    const forPlan = await api.get<{ policy: { maxAttempts: number } }>(`/v1/dunning-policy?plan=${basic}`);
    expect(forPlan.status).toBe(200);
    expect(forPlan.json.policy.maxAttempts).toBe(4);
    expect((await api.get<ErrorJson>('/v1/dunning-policy?plan=nope')).status).toBe(404);
  });

  it('adds webhook endpoints (secret once), lists them without secrets, rotates, disables, replays an event', async () => {
    const bad = await api.post<ErrorJson>('/v1/webhook-endpoints', { url: 'ftp://example.com/hook' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('url');
    const a = await api.post<{ id: string; secret: string }>('/v1/webhook-endpoints', {
      url: 'http://127.0.0.1:9/a',
      events: ['invoice.*'],
    });
    expect(a.status).toBe(201);
    expect(a.json.secret.length).toBeGreaterThan(20);
    const b = await api.post<{ id: string; secret: string }>('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/b' });
    const listed = await api.get<{ data: Array<Record<string, unknown>> }>('/v1/webhook-endpoints');
    expect(listed.json.data.map((e) => e.id).sort()).toEqual([a.json.id, b.json.id].sort());
    expect(listed.text.includes(a.json.secret)).toBe(false);
    expect(listed.json.data.every((e) => !('secret' in e))).toBe(true);
    const rotated = await api.post<{ id: string; secret: string }>(`/v1/webhook-endpoints/${a.json.id}/rotate-secret`, {
      expireNow: true,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(a.json.secret);
    const disabled = await api.post<{ id: string; status: string }>(`/v1/webhook-endpoints/${b.json.id}/disable`, {});
    expect(disabled.status).toBe(200);
    expect(disabled.json.status).toBe('disabled');
    const badTime = await api.post<ErrorJson>(`/v1/webhook-endpoints/${b.json.id}/enable`, { replaySince: 'soon' });
    expect(badTime.status).toBe(400);
    expect(badTime.json.error.field).toBe('replaySince');
    const enabled = await api.post<{ status: string; replayed: number }>(`/v1/webhook-endpoints/${b.json.id}/enable`, {
      replaySince: '2000-01-01T00:00:00Z',
    });
    expect(enabled.status).toBe(200);
    expect(enabled.json.status).toBe('enabled');
    // Back to disabled: its URL answers nothing, and the replay below must not go to it.
    const again = await api.post<{ status: string }>(`/v1/webhook-endpoints/${b.json.id}/disable`, {});
    expect(again.json.status).toBe('disabled');

    const events = await api.get<{ data: Array<{ id: string; type: string }> }>('/v1/events?type=invoice.paid&limit=1');
    expect(events.json.data.length).toBe(1);
    const evt = events.json.data[0]?.id ?? '';
    const replay = await api.post<{ id: string; deliveries: Array<{ endpointId: string }> }>(
      `/v1/events/${evt}/replay`,
      {},
    );
    expect(replay.status).toBe(202);
    expect(replay.json.deliveries.map((d) => d.endpointId)).toEqual([a.json.id]);
  });
});
