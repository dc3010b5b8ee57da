import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { startEngine, type Engine } from '../../../src/engine.ts';
import { silentLogger } from '../../../src/logger.ts';
import { testQueuePrefix } from '../../support/db.ts';
import { deleteQueueKeys } from '../../../src/queue/cleanup.ts';
import { startCliHarness, expectBadInput, type CliHarness } from './harness.ts';

/**
 * `billing subscriptions …` and `billing clock …` against a running engine (as `billing run`
 * would be), on a test clock: subscribe, advance a month with --wait, inspect, cancel.
 */
interface SubJson {
  id: string;
  status: string;
  redirectUrl: string | null;
  charge: { tokenType: string; status: string } | null;
}
interface ShowJson {
  id: string;
  status: string;
  cancelAtPeriodEnd: boolean;
  currentPeriod: { start: string; end: string };
  invoices: Array<{ status: string; periodStart: string; attempts: Array<{ tokenType: string; status: string }> }>;
}

describe('billing subscriptions and billing clock', () => {
  let h: CliHarness;
  let engine: Engine;
  let customerId = '';
  let cardId = '';
  beforeAll(async () => {
    h = await startCliHarness({
      BILLING_CLOCK: 'test',
      BILLING_QUEUE_PREFIX: testQueuePrefix(),
      BILLING_HTTP_PORT: '0',
    });
    engine = await startEngine({
      config: loadConfig(h.env),
      logger: silentLogger,
      parts: { http: true, scheduler: true, charge: true, sandbox: false },
    });
    expect((await h.run('clock', 'advance', '--to', '2030-01-31T09:00:00Z')).code).toBe(0);
    await h.json(
      'plans',
      'create',
      '--code',
      'pro',
      '--name',
      'Pro',
      '--amount',
      '19.99',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
    customerId = (
      await h.json<{ id: string }>(
        'customers',
        'create',
        '--email',
        'ada@example.com',
        '--first-name',
        'Ada',
        '--last-name',
        'Lovelace',
      )
    ).id;
    cardId = (
      await h.json<{ id: string }>(
        'payment-methods',
        'add',
        '--customer',
        customerId,
        '--card-number',
        '4242424242424242',
        '--exp-month',
        '12',
        '--exp-year',
        '2035',
        '--cvc',
        '123',
      )
    ).id;
  });
  afterAll(async () => {
    await engine?.close();
    if (h) await deleteQueueKeys(h.env.REDIS_URL ?? 'redis://127.0.0.1:6379', h.env.BILLING_QUEUE_PREFIX ?? '');
    await h?.close();
  });

  it('creates, renews on the test clock, shows and cancels at period end', async () => {
    const created = await h.json<SubJson>(
      'subscriptions',
      'create',
      '--customer',
      customerId,
      '--plan',
      'pro',
      '--payment-method',
      cardId,
      '--timezone',
      'Asia/Shanghai',
    );
    expect(created.status).toBe('active');
    expect(created.charge).toMatchObject({ tokenType: 'InitRecurring', status: 'succeeded' });

    const human = await h.run('subscriptions', 'list');
    expect(human.code).toBe(0);
    expect(human.out).toContain(created.id);
    expect(human.out).toMatch(/^ID\s+STATUS\s+CUSTOMER/);
    expect((await h.json<SubJson[]>('subscriptions', 'list', '--status', 'active')).map((s) => s.id)).toEqual([
      created.id,
    ]);

    const adv = await h.json<{ now: string; steps: number }>('clock', 'advance', '--by', 'P1M', '--wait');
    expect(adv.now).toBe('2030-02-28T09:00:00.000Z');
    const shown = await h.json<ShowJson>('subscriptions', 'show', created.id);
    // Anchored on Jan 31 17:00 in Shanghai: the next period starts Feb 28 at the same local time.
    expect(
      shown.invoices.map((i) => [i.periodStart, i.status, i.attempts.map((a) => `${a.tokenType}:${a.status}`).join()]),
    ).toEqual([
      ['2030-02-28T17:00:00+08:00', 'paid', 'Recurring:succeeded'],
      ['2030-01-31T17:00:00+08:00', 'paid', 'InitRecurring:succeeded'],
    ]);
    const showHuman = await h.run('subscriptions', 'show', created.id);
    expect(showHuman.out).toContain('Recurring:succeeded');

    expect(
      (await h.json<{ cancelAtPeriodEnd: boolean }>('subscriptions', 'cancel', created.id, '--at-period-end'))
        .cancelAtPeriodEnd,
    ).toBe(true);
    await h.json('clock', 'advance', '--to', '2030-04-01T00:00:00Z', '--wait');
    const ended = await h.json<ShowJson>('subscriptions', 'show', created.id);
    expect(ended.status).toBe('canceled');
    expect(ended.invoices).toHaveLength(2);
    const clock = await h.json<{ now: string }>('clock', 'show');
    expect(clock.now).toBe('2030-04-01T00:00:00.000Z');
  });

  it('refuses bad input with exit 2, naming the field, and writes nothing', async () => {
    const before = await h.counts();
    expectBadInput(
      await h.run('subscriptions', 'create', '--customer', customerId, '--plan', 'nope', '--payment-method', cardId),
      'nope',
    );
    expectBadInput(
      await h.run(
        'subscriptions',
        'create',
        '--customer',
        customerId,
        '--plan',
        'pro',
        '--payment-method',
        cardId,
        '--timezone',
        'Mars/Olympus',
      ),
      '--timezone',
    );
    expectBadInput(
      await h.run(
        'subscriptions',
        'create',
        '--customer',
        customerId,
        '--plan',
        'pro',
        '--payment-method',
        cardId,
        '--start',
        '2031-13-45',
      ),
      '--start',
    );
    expectBadInput(
      await h.run(
        'subscriptions',
        'create',
        '--customer',
        customerId,
        '--plan',
        'pro',
        '--payment-method',
        cardId,
        '--start',
        '2099-01-01',
      ),
      'start',
    );
    expectBadInput(
      await h.run('subscriptions', 'create', '--customer', 'cust_missing', '--plan', 'pro', '--payment-method', cardId),
      'cust_missing',
    );
    expectBadInput(await h.run('subscriptions', 'list', '--status', 'sleeping'), '--status');
    expectBadInput(await h.run('subscriptions', 'show', 'sub_missing'), 'sub_missing');
    expectBadInput(await h.run('clock', 'advance', '--to', '2031-01-01', '--by', 'P1D'), '--to/--by');
    expectBadInput(await h.run('clock', 'advance', '--by', 'one month'), '--by');
    expectBadInput(await h.run('clock', 'advance', '--to', '2001-01-01'), '--to');
    expect(await h.counts()).toEqual(before);
  });

  it('refuses the clock commands on the system clock', async () => {
    const r = await (await import('./cliRun.ts')).runCliIn({ ...h.env, BILLING_CLOCK: 'system' }, ['clock', 'show']);
    expectBadInput(r, 'BILLING_CLOCK');
  });
});
