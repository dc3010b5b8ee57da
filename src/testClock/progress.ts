import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chargeAttempts } from '../db/schema.ts';
import { OPEN_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';
import { sqlList } from '../db/sqlLists.ts';
import { readTestClock } from './store.ts';
import { dueWork } from './dueWork.ts';

/**
 * What long test-clock work has done so far, for a progress line: the engine date, charges
 * that succeeded and failed since `baseline` was taken, and what is still pending (attempts
 * with an open outcome plus renewals and charges due now). Read from Postgres, so it shows
 * the running engine's work whichever process does it.
 */
export interface ClockProgress {
  now: Date;
  charged: number;
  failed: number;
  pending: number;
}

interface Totals {
  charged: number;
  failed: number;
  open: number;
}

async function totals(db: Db): Promise<Totals> {
  const r = await db.execute<{ charged: number; failed: number; open: number }>(sql`
    select count(*) filter (where status = 'succeeded')::int as charged,
           count(*) filter (where status = 'failed')::int as failed,
           count(*) filter (where status in ${sqlList(OPEN_ATTEMPT_STATUSES)})::int as open
      from ${chargeAttempts}`);
  const row = r.rows[0];
  return { charged: row?.charged ?? 0, failed: row?.failed ?? 0, open: row?.open ?? 0 };
}

export async function progressBaseline(db: Db): Promise<Totals> {
  return totals(db);
}

export async function readProgress(db: Db, baseline: Totals): Promise<ClockProgress> {
  const now = await readTestClock(db);
  const [t, due] = await Promise.all([totals(db), dueWork(db, now)]);
  return {
    now,
    charged: t.charged - baseline.charged,
    failed: t.failed - baseline.failed,
    pending: t.open + due.renewals + due.charges,
  };
}

export function formatProgress(p: ClockProgress): string {
  const at = p.now
    .toISOString()
    .replace(/:\d{2}\.\d{3}Z$/, 'Z')
    .replace('T', ' ');
  return `engine time ${at}  charged ${p.charged}  failed ${p.failed}  pending ${p.pending}`;
}

/**
 * Redraws a progress line every `intervalMs` until stopped. `draw` receives the formatted
 * line; a read that fails (database restarting) just skips a frame.
 */
export function startProgressTicker(
  db: Db,
  baseline: Totals,
  draw: (line: string) => void,
  intervalMs = 200,
): { stop(): Promise<void> } {
  let busy: Promise<void> | null = null;
  const tick = () => {
    if (busy) return;
    busy = readProgress(db, baseline)
      .then((p) => draw(formatProgress(p)))
      .catch(() => {})
      .finally(() => {
        busy = null;
      });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    /** Stops after one last frame, so the line ends on the final state. */
    async stop() {
      clearInterval(timer);
      await busy;
      await readProgress(db, baseline)
        .then((p) => draw(formatProgress(p)))
        .catch(() => {});
    },
  };
}
