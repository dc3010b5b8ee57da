import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.ts';
import { TerminalProgress } from '../../../src/cli/progress.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';

/**
 * `billing clock advance --wait` draws a progress line (engine time, charged, failed,
 * pending) on a terminal, and writes nothing extra when stdout is not a terminal.
 */
class FakeTerminal {
  writes: string[] = [];
  constructor(readonly isTTY: boolean) {}
  columns = 120;
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
}

describe('progress of long work', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2027-09-01T00:00:00Z' });
    const plan = await makePlan(t.ctx);
    await subscribe(t.ctx, plan, CARDS.success);
    await subscribe(t.ctx, plan, CARDS.approveThenDecline);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const advance = async (terminal: FakeTerminal, by: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['clock', 'advance', '--by', by, '--wait'], {
      env: { DATABASE_URL: t.dbUrl, BILLING_QUEUE_PREFIX: t.prefix, BILLING_CLOCK: 'test', LOG_LEVEL: 'silent' },
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      terminal,
    });
    expect(code, err.join('\n')).toBe(0);
    return out;
  };

  it('draws engine time, charged, failed and pending in place on a terminal', async () => {
    const term = new FakeTerminal(true);
    const out = await advance(term, 'P1M');
    expect(term.writes.length).toBeGreaterThan(1);
    expect(term.writes.slice(0, -1).every((w) => w.startsWith('\r') && w.endsWith('\x1b[K'))).toBe(true);
    expect(term.writes.at(-1)).toBe('\n');
    // The last frame is the final state: one renewal paid, one declined (a retry is scheduled, not due).
    const last = term.writes.at(-2)!;
    expect(last).toMatch(/engine time 2027-10-01 00:00Z {2}charged 1 {2}failed 1 {2}pending 0/);
    // The result itself still goes to stdout, unchanged.
    expect(out.join('\n')).toMatch(/^now: +2027-10-01T00:00:00.000Z$/m);
  });

  it('stays quiet when stdout is not a terminal', async () => {
    const piped = new FakeTerminal(false);
    const out = await advance(piped, 'P1D');
    expect(piped.writes).toEqual([]);
    expect(out.join('\n')).toContain('waited:');
    expect(TerminalProgress.on(piped)).toBeNull();
    expect(TerminalProgress.on(null)).toBeNull();
  });
});
