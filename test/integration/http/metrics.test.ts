import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';
import { createCustomer } from '../../../src/customers/customers.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';

/**
 * /metrics (Prometheus text, prom-client) moves with the engine's work, and every HTTP log
 * line carries a request id and every job log line a job id.
 */
type Labels = Record<string, string>;

/** The value of one sample in Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Labels = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Labels = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_]+="[^"]*"/g) ?? []) {
      const [k, v] = pair.split('=') as [string, string];
      got[k] = v.slice(1, -1);
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics and log context', () => {
  let t: TestEngine;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const logger = createLogger({
      level: 'debug',
      destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    });
    t = await startTestEngine({ start: '2027-06-30T12:00:00Z', logger });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${t.engine.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('renewal counters, charge latency, notifications and dunning move after a renewal', async () => {
    const plan = await makePlan(t.ctx);
    await subscribe(t.ctx, plan, CARDS.success);
    await subscribe(t.ctx, plan, CARDS.approveThenDecline);
    const before = await scrape();
    expect(sample(before, 'billing_renewals_attempted_total')).toBe(0);
    // The two first charges (InitRecurring at sign-up) went through the gateway: timed, but not renewals.
    expect(sample(before, 'billing_charge_duration_seconds_count', { result: 'answered' })).toBe(2);
    expect(sample(before, 'billing_subscriptions', { status: 'active' })).toBe(2);
    expect(sample(before, 'billing_dunning_invoices', { class: 'soft' })).toBe(0);
    for (const family of [
      'billing_gateway_refusals_total',
      'billing_due_work',
      'billing_oldest_due_age_seconds',
      'billing_webhook_backlog',
      'billing_notifications_total',
    ]) {
      expect(before).toContain(`# TYPE ${family} `);
    }

    // One renewal each (due 07-30 12:00): one paid, one declined; its first retry (a day later) not yet due.
    await t.advanceTo('2027-07-30T13:00:00Z');

    const after = await scrape();
    expect(sample(after, 'billing_renewals_attempted_total')).toBe(2);
    expect(sample(after, 'billing_renewal_outcomes_total', { outcome: 'succeeded' })).toBe(1);
    expect(sample(after, 'billing_renewal_outcomes_total', { outcome: 'failed' })).toBe(1);
    expect(sample(after, 'billing_charge_duration_seconds_count', { result: 'answered' })).toBe(4);
    expect(sample(after, 'billing_subscriptions', { status: 'past_due' })).toBe(1);
    expect(sample(after, 'billing_dunning_invoices', { class: 'soft' })).toBe(1);
    expect(sample(after, 'billing_due_work', { kind: 'renewal' })).toBe(0);
    expect(sample(after, 'billing_due_work', { kind: 'charge' })).toBe(0);
    // Events written and not published: no delivery worker runs in this engine.
    expect(sample(after, 'billing_webhook_backlog', { state: 'unpublished_events' })).toBeGreaterThan(10);
    // The sandbox notified the engine about the charges: counted as accepted.
    expect(sample(after, 'billing_notifications_total', { result: 'accepted' })).toBeGreaterThanOrEqual(1);
  });

  it('counts a gateway refusal (L000x) by code and operation', async () => {
    const before = sample(await scrape(), 'billing_gateway_refusals_total', {
      code: 'L0003',
      operation: 'createCustomer',
    });
    expect(before ?? 0).toBe(0);
    t.engine.sandbox!.setKnobs({ failNextRequestsWith: 'L0003', failNextRequests: 1 });
    await expect(
      createCustomer(t.ctx, { email: 'refused@example.com', firstName: 'Re', lastName: 'Fused' }),
    ).rejects.toThrow();
    const after = await scrape();
    expect(sample(after, 'billing_gateway_refusals_total', { code: 'L0003', operation: 'createCustomer' })).toBe(1);
  });

  it('every HTTP request log line carries a request id, echoed in X-Request-Id; job lines carry the job id', async () => {
    const res = await fetch(`${t.engine.httpUrl}/healthz`, { headers: { 'x-request-id': 'req-from-lb-42' } });
    expect(res.headers.get('x-request-id')).toBe('req-from-lb-42');
    const http = lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    expect(http.length).toBeGreaterThan(4);
    expect(http.every((l) => typeof l.reqId === 'string' && l.reqId !== '')).toBe(true);
    expect(http.filter((l) => l.reqId === 'req-from-lb-42')).toHaveLength(2);

    const charges = lines.filter((l) => l.msg === 'charge attempt' && l.tokenType === 'Recurring');
    expect(charges).toHaveLength(2);
    expect(charges.every((l) => typeof l.jobId === 'string' && String(l.jobId).startsWith('charge-'))).toBe(true);
    const maintenance = lines.filter((l) => l.msg === 'maintenance job done');
    expect(maintenance.length).toBeGreaterThan(0);
    expect(maintenance.every((l) => l.jobId !== undefined && l.queue === 'maintenance')).toBe(true);
  });
});
