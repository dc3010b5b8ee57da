import { describe, expect, it } from 'vitest';
import { TerminalProgress } from '../../../src/cli/progress.ts';

class Term {
  writes: string[] = [];
  constructor(
    readonly isTTY: boolean | undefined,
    readonly columns?: number,
  ) {}
  write(s: string): boolean {
    this.writes.push(s);
    return true;
  }
}

describe('TerminalProgress', () => {
  it('exists only on a TTY', () => {
    expect(TerminalProgress.on(new Term(true))).not.toBeNull();
    expect(TerminalProgress.on(new Term(false))).toBeNull();
    expect(TerminalProgress.on(new Term(undefined))).toBeNull();
    expect(TerminalProgress.on(undefined)).toBeNull();
  });

  it('redraws in place, fits the width (80 when the terminal reports 0), and clears or finishes', () => {
    const line = `engine time 2027-01-01 00:00Z  ${'x'.repeat(100)}`;
    const narrow = new Term(true, 40);
    const p = TerminalProgress.on(narrow)!;
    p.update(line);
    expect(narrow.writes).toEqual([`\r${line.slice(0, 39)}\x1b[K`]);
    p.clear();
    p.clear(); // nothing shown: nothing written
    expect(narrow.writes.slice(1)).toEqual(['\r\x1b[K']);

    const unsized = new Term(true, 0);
    const q = TerminalProgress.on(unsized)!;
    q.update(line);
    expect(unsized.writes[0]).toBe(`\r${line.slice(0, 79)}\x1b[K`);
    q.finish();
    q.finish();
    expect(unsized.writes.slice(1)).toEqual(['\n']);
  });
});
