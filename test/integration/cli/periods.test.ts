import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { expectBadInput, runCliIn, type CliRun } from './cliRun.ts';

/** `billing periods` is pure: no database or gateway, so no environment at all is needed. */
const run = (...args: string[]): Promise<CliRun> => runCliIn({}, args);

const ACCEPTANCE = [
  'periods',
  '--anchor',
  '2025-01-31T10:00:00',
  '--interval',
  'month',
  '--timezone',
  'Asia/Shanghai',
  '--count',
  '4',
];
const ACCEPTANCE_OUTPUT = [
  '2025-02-28T10:00:00+08:00',
  '2025-03-31T10:00:00+08:00',
  '2025-04-30T10:00:00+08:00',
  '2025-05-31T10:00:00+08:00',
];

describe('billing periods', () => {
  it('prints month-end clamped boundaries in the zone (acceptance check)', async () => {
    const r = await run(...ACCEPTANCE);
    expect(r).toEqual({ code: 0, out: ACCEPTANCE_OUTPUT.join('\n'), err: '' });
  });

  it('prints a JSON array of the same strings with --json', async () => {
    const r = await run(...ACCEPTANCE, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(ACCEPTANCE_OUTPUT);
  });

  it('defaults to 12 boundaries in UTC and takes a date-only anchor', async () => {
    const r = await run('periods', '--anchor', '2024-02-29', '--interval', 'year');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('2025-02-28T00:00:00Z');
    expect(lines[3]).toBe('2028-02-29T00:00:00Z');
  });

  it('honours --interval-count and anchors with an explicit offset', async () => {
    const r = await run(
      'periods',
      '--anchor',
      '2025-01-01T00:00:00+08:00',
      '--interval',
      'week',
      '--interval-count',
      '2',
      '--timezone',
      'Asia/Shanghai',
      '--count',
      '2',
    );
    expect(r.out).toBe('2025-01-15T00:00:00+08:00\n2025-01-29T00:00:00+08:00');
  });

  it('keeps local wall time across DST in the schedule zone', async () => {
    const r = await run(
      'periods',
      '--anchor',
      '2025-03-01T09:00',
      '--interval',
      'month',
      '--timezone',
      'America/New_York',
      '--count',
      '1',
    );
    expect(r.out).toBe('2025-04-01T09:00:00-04:00');
  });

  const bad: Array<[string, string[], string]> = [
    ['count 0', ['--count', '0'], '--count'],
    ['count above 1000', ['--count', '1001'], '--count'],
    ['non-numeric count', ['--count', 'abc'], '--count'],
    ['fractional interval count', ['--interval-count', '1.5'], '--interval-count'],
    ['unknown interval', ['--interval', 'fortnight'], '--interval'],
    ['unknown time zone', ['--timezone', 'Mars/Olympus'], '--timezone'],
    ['malformed anchor', ['--anchor', '31/01/2025'], '--anchor'],
    ['impossible date', ['--anchor', '2025-02-30'], '--anchor'],
  ];

  it.each(bad)('refuses %s with exit 2 naming the option', async (_label, override, field) => {
    const opts = new Map([
      ['--anchor', '2025-01-31'],
      ['--interval', 'month'],
    ]);
    for (let i = 0; i < override.length; i += 2) opts.set(override[i] ?? '', override[i + 1] ?? '');
    expectBadInput(await run('periods', ...[...opts].flat()), field);
  });

  it('refuses a missing --anchor (a commander usage error) with exit 2', async () => {
    expectBadInput(await run('periods', '--interval', 'month'), '--anchor');
  });

  it('runs as a real process through bin/billing.mjs', async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const bin = (...args: string[]) => spawnBin(join(root, 'bin', 'billing.mjs'), args);
    // Both at once: each pays node + tsx start-up, which dominates this file's run time.
    const [good, bad] = await Promise.all([bin(...ACCEPTANCE), bin('periods', '--anchor', 'x', '--interval', 'month')]);
    expect(good).toEqual({ status: 0, stdout: `${ACCEPTANCE_OUTPUT.join('\n')}\n`, stderr: '' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: --anchor: [^\n]+\n$/);
  });
});

function spawnBin(script: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // A minimal environment: the bin must not depend on anything but PATH.
    const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
