/**
 * The fault suite (issue: hardening, items 17–18). `npm test` runs its core scale; `npm run
 * test:chaos` runs the full scale (2,000 subscriptions, 20 kills, a real Postgres restart,
 * a 10 s Redis pause) and `npm run test:chaos -- --soak` (CHAOS_SCALE=soak) a longer one.
 * Each scenario's figures come from the run, checked against the sandbox gateway's ledger;
 * the table is printed at the end and written to test-artifacts/chaos/table.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTable, SCALES, SCENARIOS, type Row, type Scale } from './faults/scenarios.ts';

const scale = (process.env.CHAOS_SCALE ?? 'core') as Scale;
const spec = SCALES[scale];
const seed = Number(process.env.CHAOS_SEED ?? 20261129);
const rows: Row[] = [];
const TIMEOUT = scale === 'core' ? 240_000 : 3_600_000;

afterAll(() => {
  const table = formatTable(rows);
  mkdirSync('test-artifacts/chaos', { recursive: true });
  writeFileSync('test-artifacts/chaos/table.md', `scale ${scale}, seed ${seed}\n\n${table}\n`);
  process.stdout.write(`\nfault suite (scale ${scale}, seed ${seed})\n${table}\n`);
});

describe(`fault suite (${scale})`, () => {
  it.each(Object.entries(SCENARIOS))(
    '%s: at most one charge per invoice, nothing missed, everything resolved, Postgres = ledger',
    async (_name, scenario) => {
      const row = await scenario(spec, seed);
      rows.push(row);
      // A scenario in which nothing was charged proves nothing.
      expect(row.charges).toBeGreaterThan(0);
      expect(row.problems).toEqual([]);
      expect(row.doubleCharges).toBe(0);
      expect(row.missedRenewals).toBe(0);
      expect(row.unresolvedAttempts).toBe(0);
      expect(row.disagreements).toBe(0);
    },
    TIMEOUT,
  );
});
