import { expect } from 'vitest';
import { runCli } from '../../../src/cli/main.ts';

/** One in-process CLI run, its output collected as the user would see it. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCliIn(env: NodeJS.ProcessEnv, args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { env, out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The shape every bad-input failure must have: exit 2, nothing on stdout, one `error:` line naming the field. */
export function expectBadInput(r: CliRun, field: string): void {
  expect(r.code, `stderr: ${r.err}`).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/^error: [^\n]+$/);
  expect(r.err).toContain(field);
}
