import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startCliHarness, expectBadInput, type CliHarness } from './harness.ts';
import { runCliIn } from './cliRun.ts';
import { getLatestActivePlan } from '../../../src/catalog/plans.ts';

interface PlanJson {
  id: string;
  code: string;
  version: number;
  name: string;
  status: string;
  amount: { amount: number; currency: string; display: string };
  interval: string;
  intervalCount: number;
  trialDays: number;
  createdAt: string;
  versions?: PlanJson[];
}

const base = ['--name', 'Gold', '--amount', '19.99', '--currency', 'USD', '--interval', 'month'];

describe('billing plans', () => {
  let h: CliHarness;
  beforeAll(async () => {
    h = await startCliHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a plan and prints it as key/value lines, with an event row', async () => {
    const before = await h.counts();
    const r = await h.run(
      'plans',
      'create',
      '--code',
      'silver',
      ...base,
      '--interval-count',
      '3',
      '--trial-days',
      '14',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^id: +plan_[0-9a-z]{16}$/m);
    expect(r.out).toMatch(/^code: +silver$/m);
    expect(r.out).toMatch(/^version: +1$/m);
    expect(r.out).toMatch(/^amount: +19\.99 USD$/m);
    expect(r.out).toMatch(/^billed: +every 3 months$/m);
    expect(r.out).toMatch(/^trial: +14 days$/m);
    // Values start in one column.
    const valueColumns = new Set(r.out.split('\n').map((l) => /^\S+: +/.exec(l)?.[0].length));
    expect(valueColumns.size).toBe(1);
    const after = await h.counts();
    expect(after.plans).toBe((before.plans ?? 0) + 1);
    expect(after.events).toBe((before.events ?? 0) + 1);
  });

  it('creates a plan with --json, money as minor units plus display text', async () => {
    const plan = await h.json<PlanJson>(
      'plans',
      'create',
      '--code',
      'yen.basic',
      '--name',
      'Basic',
      '--amount',
      '1500',
      '--currency',
      'jpy',
      '--interval',
      'Year',
    );
    expect(plan.id).toMatch(/^plan_/);
    expect(plan).toMatchObject({
      code: 'yen.basic',
      version: 1,
      name: 'Basic',
      status: 'active',
      amount: { amount: 1500, currency: 'JPY', display: '1500 JPY' },
      interval: 'year',
      intervalCount: 1,
      trialDays: 0,
    });
    const usd = await h.json<PlanJson>('plans', 'create', '--code', 'usd-json', ...base);
    expect(usd.amount).toEqual({ amount: 1999, currency: 'USD', display: '19.99 USD' });
  });

  it('versions plans: same code → version N+1, identical terms → conflict, old versions untouched', async () => {
    const v1 = await h.json<PlanJson>('plans', 'create', '--code', 'pro', ...base);
    const v2 = await h.json<PlanJson>(
      'plans',
      'create',
      '--code',
      'pro',
      '--name',
      'Gold',
      '--amount',
      '24.99',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
    expect(v1.version).toBe(1);
    expect(v2.version).toBe(2);
    expect(v2.id).not.toBe(v1.id);

    const before = await h.counts();
    const same = await h.run(
      'plans',
      'create',
      '--code',
      'pro',
      '--name',
      'Gold',
      '--amount',
      '24.99',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
    expectBadInput(same, 'version 2 already has exactly these terms');
    expect(await h.counts()).toEqual(before);

    // Going back to version 1's price is a change relative to the newest version: allowed.
    const v3 = await h.json<PlanJson>('plans', 'create', '--code', 'pro', ...base);
    expect(v3.version).toBe(3);

    const shown = await h.json<PlanJson>('plans', 'show', 'pro');
    expect(shown.id).toBe(v3.id);
    expect(shown.versions?.map((v) => [v.version, v.amount.amount])).toEqual([
      [1, 1999],
      [2, 2499],
      [3, 1999],
    ]);
    // New subscriptions get the newest version.
    expect((await getLatestActivePlan(h.db, 'pro')).id).toBe(v3.id);
  });

  it('lists the newest version of each code, as a table and as JSON', async () => {
    await h.json<PlanJson>('plans', 'create', '--code', 'list-a', ...base);
    await h.json<PlanJson>(
      'plans',
      'create',
      '--code',
      'list-a',
      '--name',
      'Gold',
      '--amount',
      '29.00',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
    const r = await h.run('plans', 'list');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^CODE +VERSION +NAME +AMOUNT +BILLED +TRIAL +STATUS +ID$/);
    const row = lines.find((l) => l.startsWith('list-a '));
    expect(row).toMatch(/^list-a +2 +Gold +29\.00 USD +every month +- +active +plan_/);
    // Aligned: the ID column starts at the same offset on every line.
    const idAt = lines.map((l) => l.search(/(ID|plan_\w+)$/));
    expect(new Set(idAt).size).toBe(1);

    const listed = await h.json<PlanJson[]>('plans', 'list');
    expect(listed.filter((p) => p.code === 'list-a').map((p) => p.version)).toEqual([2]);
    for (const p of listed) expect(p.id).toMatch(/^plan_/);
  });

  it('shows a plan with its versions as a table', async () => {
    await h.json<PlanJson>('plans', 'create', '--code', 'show-me', ...base);
    const r = await h.run('plans', 'show', 'show-me');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^code: +show-me$/m);
    expect(r.out).toMatch(
      /^versions:\nVERSION +NAME +AMOUNT +BILLED +TRIAL +STATUS +CREATED +ID\n +1 +Gold +19\.99 USD +every month/m,
    );
  });

  it('archives every version; archived plans leave the default list and refuse new versions', async () => {
    await h.json<PlanJson>('plans', 'create', '--code', 'old', ...base);
    await h.json<PlanJson>(
      'plans',
      'create',
      '--code',
      'old',
      '--name',
      'Old v2',
      '--amount',
      '5',
      '--currency',
      'USD',
      '--interval',
      'week',
    );
    const eventsBefore = (await h.counts()).events ?? 0;
    const r = await h.run('plans', 'archive', 'old');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^archived plan old \(2 versions\)$/m);
    expect((await h.counts()).events).toBe(eventsBefore + 2);

    expect((await h.json<PlanJson[]>('plans', 'list')).some((p) => p.code === 'old')).toBe(false);
    const all = await h.json<PlanJson[]>('plans', 'list', '--all');
    expect(all.find((p) => p.code === 'old')).toMatchObject({ status: 'archived', version: 2 });
    const table = await h.run('plans', 'list', '--all');
    expect(table.out).toMatch(/^old +2 +Old v2 +5\.00 USD +every week +- +archived +plan_/m);

    await expect(getLatestActivePlan(h.db, 'old')).rejects.toThrow(/archived/);

    const before = await h.counts();
    expectBadInput(await h.run('plans', 'archive', 'old'), 'plan old is already archived');
    expectBadInput(await h.run('plans', 'create', '--code', 'old', ...base), 'plan old is archived');
    expect(await h.counts()).toEqual(before);
  });

  it('archives with --json: the archived versions, each with its id', async () => {
    await h.json<PlanJson>('plans', 'create', '--code', 'arch-json', ...base);
    const archived = await h.json<PlanJson[]>('plans', 'archive', 'arch-json');
    expect(archived).toHaveLength(1);
    expect(archived[0]).toMatchObject({ code: 'arch-json', status: 'archived', version: 1 });
    expect(archived[0]?.id).toMatch(/^plan_/);
  });

  it('reports unknown plans as bad input', async () => {
    expectBadInput(await h.run('plans', 'show', 'nope'), 'plan nope not found');
    expectBadInput(await h.run('plans', 'archive', 'nope'), 'plan nope not found');
  });

  const code51 = 'a'.repeat(51);
  const badCreates: Array<[string, string[], string]> = [
    [
      'three decimals for USD',
      ['--code', 'bad', '--name', 'x', '--amount', '19.999', '--currency', 'USD', '--interval', 'month'],
      'amount',
    ],
    [
      'decimals for JPY',
      ['--code', 'bad', '--name', 'x', '--amount', '1500.5', '--currency', 'JPY', '--interval', 'month'],
      'amount',
    ],
    [
      'unknown interval',
      ['--code', 'bad', '--name', 'x', '--amount', '5', '--currency', 'USD', '--interval', 'fortnight'],
      'interval',
    ],
    [
      'negative amount',
      ['--code', 'bad', '--name', 'x', '--amount=-5', '--currency', 'USD', '--interval', 'month'],
      'amount',
    ],
    [
      'zero amount',
      ['--code', 'bad', '--name', 'x', '--amount', '0.00', '--currency', 'USD', '--interval', 'month'],
      'amount',
    ],
    [
      '51-character code',
      ['--code', code51, '--name', 'x', '--amount', '5', '--currency', 'USD', '--interval', 'month'],
      'code',
    ],
    [
      'code with a space',
      ['--code', 'gold plan', '--name', 'x', '--amount', '5', '--currency', 'USD', '--interval', 'month'],
      'code',
    ],
    [
      'fractional interval count',
      [
        '--code',
        'bad',
        '--name',
        'x',
        '--amount',
        '5',
        '--currency',
        'USD',
        '--interval',
        'month',
        '--interval-count',
        '1.5',
      ],
      '--interval-count',
    ],
    [
      'non-numeric interval count',
      [
        '--code',
        'bad',
        '--name',
        'x',
        '--amount',
        '5',
        '--currency',
        'USD',
        '--interval',
        'month',
        '--interval-count',
        'abc',
      ],
      '--interval-count',
    ],
    [
      'zero interval count',
      [
        '--code',
        'bad',
        '--name',
        'x',
        '--amount',
        '5',
        '--currency',
        'USD',
        '--interval',
        'month',
        '--interval-count',
        '0',
      ],
      '--interval-count',
    ],
    [
      'interval count over the monthly maximum',
      [
        '--code',
        'bad',
        '--name',
        'x',
        '--amount',
        '5',
        '--currency',
        'USD',
        '--interval',
        'month',
        '--interval-count',
        '61',
      ],
      '--interval-count',
    ],
    [
      'interval count over the yearly maximum',
      [
        '--code',
        'bad',
        '--name',
        'x',
        '--amount',
        '5',
        '--currency',
        'USD',
        '--interval',
        'year',
        '--interval-count',
        '6',
      ],
      '--interval-count',
    ],
    [
      'trial too long',
      [
        '--code',
        'bad',
        '--name',
        'x',
        '--amount',
        '5',
        '--currency',
        'USD',
        '--interval',
        'month',
        '--trial-days',
        '731',
      ],
      '--trial-days',
    ],
    [
      'negative trial',
      ['--code', 'bad', '--name', 'x', '--amount', '5', '--currency', 'USD', '--interval', 'month', '--trial-days=-1'],
      '--trial-days',
    ],
    [
      'three decimals AsiaBill cannot send (1.234 KWD)',
      ['--code', 'bad', '--name', 'x', '--amount', '1.234', '--currency', 'KWD', '--interval', 'month'],
      'AsiaBill orderAmount',
    ],
    [
      'unknown currency',
      ['--code', 'bad', '--name', 'x', '--amount', '5', '--currency', 'XYZ', '--interval', 'month'],
      'currency',
    ],
    [
      'empty name',
      ['--code', 'bad', '--name', '  ', '--amount', '5', '--currency', 'USD', '--interval', 'month'],
      'name',
    ],
    [
      '201-character name',
      ['--code', 'bad', '--name', 'n'.repeat(201), '--amount', '5', '--currency', 'USD', '--interval', 'month'],
      'name',
    ],
    ['missing --amount', ['--code', 'bad', '--name', 'x', '--currency', 'USD', '--interval', 'month'], '--amount'],
    [
      'unknown option',
      ['--code', 'bad', '--name', 'x', '--amount', '5', '--currency', 'USD', '--interval', 'month', '--colour', 'red'],
      '--colour',
    ],
  ];

  it.each(badCreates)('refuses %s with exit 2 naming the field, writing nothing', async (_label, args, field) => {
    const before = await h.counts();
    expectBadInput(await h.run('plans', 'create', ...args), field);
    expect(await h.counts()).toEqual(before);
  });

  it('writes nothing for bad input under the test clock either (reading that clock is a query)', async () => {
    const before = await h.counts();
    const r = await runCliIn({ ...h.env, BILLING_CLOCK: 'test' }, [
      'plans',
      'create',
      '--code',
      'tc',
      '--name',
      'x',
      '--amount',
      '19.999',
      '--currency',
      'USD',
      '--interval',
      'month',
    ]);
    expectBadInput(r, 'amount');
    expect(await h.counts()).toEqual(before);
  });

  it('accepts a 50-character code (the limit itself)', async () => {
    const plan = await h.json<PlanJson>('plans', 'create', '--code', 'b'.repeat(50), ...base);
    expect(plan.code).toHaveLength(50);
  });
});
