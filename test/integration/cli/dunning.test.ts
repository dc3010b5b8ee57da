import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { loadConfig } from '../../../src/config.ts';
import { startEngine, type Engine } from '../../../src/engine.ts';
import { silentLogger } from '../../../src/logger.ts';
import { plans } from '../../../src/db/schema.ts';
import { testQueuePrefix } from '../../support/db.ts';
import { deleteQueueKeys } from '../../../src/queue/cleanup.ts';
import { startCliHarness, expectBadInput, type CliHarness } from './harness.ts';

/** `billing dunning …`, `billing invoices …` and `subscriptions update-payment-method` against a running engine. */
interface PolicyJson {
  source: string;
  policy: {
    retryDelayHours: number[];
    maxAttempts: number;
    maxDays: number;
    finalAction: string;
    actionDeadlineHours: number;
    payLinkHours: number;
  };
}
interface InvoiceJson {
  id: string;
  status: string;
  subscriptionId: string;
  nextStep: string;
  attempts: Array<{ kind: string; status: string; outcomeClass: string | null }>;
}

describe('billing dunning and billing invoices', () => {
  let h: CliHarness;
  let engine: Engine | null = null;
  const start = async () =>
    startEngine({
      config: loadConfig(h.env),
      logger: silentLogger,
      parts: { http: true, scheduler: true, charge: true, sandbox: false },
    });
  beforeAll(async () => {
    h = await startCliHarness({
      BILLING_CLOCK: 'test',
      BILLING_QUEUE_PREFIX: testQueuePrefix(),
      BILLING_HTTP_PORT: '0',
    });
    engine = await start();
    expect((await h.run('clock', 'advance', '--to', '2030-03-10T09:00:00Z')).code).toBe(0);
  });
  afterAll(async () => {
    await engine?.close();
    if (h) await deleteQueueKeys(h.env.REDIS_URL ?? 'redis://127.0.0.1:6379', h.env.BILLING_QUEUE_PREFIX ?? '');
    await h?.close();
  });

  it('dunning show prints the default policy; set stores a plan override; a bad one is refused and writes nothing', async () => {
    const def = await h.json<PolicyJson>('dunning', 'show');
    // The documented default (docs/dunning.md): 1, 3, 5 days; 4 attempts; 30 days; cancel; 72 h for 3-D Secure.
    expect(def).toMatchObject({
      source: 'default',
      policy: {
        retryDelayHours: [24, 72, 120],
        maxAttempts: 4,
        maxDays: 30,
        finalAction: 'canceled',
        actionDeadlineHours: 72,
      },
    });
    const human = await h.run('dunning', 'show');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/final action:\s+canceled/);
    await h.json(
      'plans',
      'create',
      '--code',
      'gold',
      '--name',
      'Gold',
      '--amount',
      '9.00',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
    const set = await h.json<PolicyJson>(
      'dunning',
      'set',
      '--plan',
      'gold',
      '--policy',
      '{"finalAction":"unpaid","maxAttempts":2}',
    );
    expect(set).toMatchObject({ source: 'gold', policy: { finalAction: 'unpaid', maxAttempts: 2, maxDays: 30 } });
    expect((await h.json<PolicyJson>('dunning', 'show', '--plan', 'gold')).policy.finalAction).toBe('unpaid');

    const before = await h.counts();
    expectBadInput(await h.run('dunning', 'set', '--plan', 'gold', '--policy', '{"maxDays":45}'), 'policy.maxDays');
    expectBadInput(
      await h.run('dunning', 'set', '--plan', 'gold', '--policy', '{"finalAction":"delete"}'),
      'policy.finalAction',
    );
    expectBadInput(await h.run('dunning', 'set', '--plan', 'gold', '--policy', 'not json'), '--policy');
    expect(await h.counts()).toEqual(before);
    expect((await h.json<PolicyJson>('dunning', 'show', '--plan', 'gold')).policy.maxAttempts).toBe(2);
  });

  it('the engine refuses to start with a bad stored policy, naming the plan and the field', async () => {
    await h.db.update(plans).set({ dunningPolicy: sql`'{"maxDays": 90}'::jsonb` }).where(eq(plans.code, 'gold'));
    await expect(start()).rejects.toThrow(/plan gold v1.*maxDays/);
    await h.db
      .update(plans)
      .set({ dunningPolicy: { finalAction: 'unpaid', maxAttempts: 2 } })
      .where(eq(plans.code, 'gold'));
  });

  it('invoices list/show/retry/void/pay-link and subscriptions update-payment-method', async () => {
    const customerId = (
      await h.json<{ id: string }>(
        'customers',
        'create',
        '--email',
        'b@example.com',
        '--first-name',
        'B',
        '--last-name',
        'C',
      )
    ).id;
    const card = (n: string) =>
      h.json<{ id: string }>(
        'payment-methods',
        'add',
        '--customer',
        customerId,
        '--card-number',
        n,
        '--exp-month',
        '12',
        '--exp-year',
        '2035',
        '--cvc',
        '123',
      );
    const dying = (await card('4000000000000341')).id;
    const subA = (
      await h.json<{ id: string }>(
        'subscriptions',
        'create',
        '--customer',
        customerId,
        '--plan',
        'gold',
        '--payment-method',
        dying,
      )
    ).id;
    const dying2 = (await card('4000000000000341')).id;
    // The same customer on the same plan a second time (another card): asked for explicitly.
    const subB = (
      await h.json<{ id: string }>(
        'subscriptions',
        'create',
        '--allow-duplicate',
        '--customer',
        customerId,
        '--plan',
        'gold',
        '--payment-method',
        dying2,
      )
    ).id;
    void subB;
    expect((await h.run('clock', 'advance', '--by', 'P1M', '--wait')).code).toBe(0);

    const open = await h.json<InvoiceJson[]>('invoices', 'list', '--status', 'open', '--subscription', subA);
    expect(open).toHaveLength(1);
    const id = open[0]!.id;
    const shown = await h.json<InvoiceJson>('invoices', 'show', id);
    expect(shown.attempts.map((a) => `${a.status}:${a.outcomeClass}`)).toEqual(['failed:soft_decline']);
    expect(shown.nextStep).toMatch(/automatic attempt at/);
    expect((await h.run('invoices', 'show', id)).out).toMatch(/next step:/);
    expectBadInput(await h.run('invoices', 'list', '--status', 'bogus'), '--status');
    expectBadInput(await h.run('invoices', 'pay-link', id, '--method', 'Cash'), 'method');

    const link = await h.json<{ url: string; method: string }>('invoices', 'pay-link', id);
    expect(link.url).toMatch(/^http/);
    expect(link.method).toBe('Credit Card');
    expect(await h.json<{ result: string; reason: string }>('invoices', 'retry', id)).toMatchObject({
      result: 'skipped',
      reason: 'in_flight',
    });
    const voided = await h.run('invoices', 'void', id);
    expect(voided.code).toBe(2);
    expect(voided.err).toMatch(/payment in flight/);

    // Subscription B: a new card recovers it at once.
    const good = (await card('4242424242424242')).id;
    const openB = await h.json<InvoiceJson[]>('invoices', 'list', '--status', 'open', '--subscription', subB);
    expect(openB).toHaveLength(1);
    const upd = await h.json<{ retry: { tokenType: string; status: string } }>(
      'subscriptions',
      'update-payment-method',
      subB,
      '--payment-method',
      good,
    );
    expect(upd.retry).toMatchObject({ tokenType: 'InitRecurring', status: 'succeeded' });
    expect((await h.json<{ status: string }>('subscriptions', 'show', subB)).status).toBe('active');
    expect((await h.json<InvoiceJson>('invoices', 'show', openB[0]!.id)).status).toBe('paid');
  });
});
