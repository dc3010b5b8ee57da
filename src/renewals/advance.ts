import type { Db } from '../db/client.ts';
import type { Queues } from '../queue/connection.ts';
import { readTestClock, setTestClock } from '../db/testClock.ts';
import { BillingError } from '../errors.ts';
import { dueWork, isQuiet, nextDueAfter, type DueWork } from './dueWork.ts';

/**
 * Moves the test clock the way real time would move: in steps, stopping at each moment
 * something becomes due (coalesced to at most one stop per `stepMs`), and — with `wait` —
 * letting the running engine finish everything due before taking the next step. So renewals
 * and dunning retries happen in the same order and on the same dates as in real time; the
 * only difference is that events closer together than `stepMs` are processed together.
 *
 * Without `wait` the clock jumps straight to the target and the engine catches up on its own
 * (each missed period is still invoiced with its exact dates, one after the other).
 */
export interface AdvanceOptions {
  to: Date;
  wait: boolean;
  stepMs: number;
  timeoutMs: number;
  pollMs?: number;
  onStep?: (at: Date) => void;
}

export interface AdvanceReport {
  from: Date;
  to: Date;
  steps: number;
}

export class WaitTimeoutError extends BillingError {
  constructor(at: Date, work: DueWork) {
    super('WAIT_TIMEOUT', `the engine did not finish the work due at ${at.toISOString()} in time (still due: ${JSON.stringify(work)}); is \`billing run\` (or the workers) running with BILLING_CLOCK=test?`);
  }
}

type QueueView = Pick<Queues, 'charge' | 'maintenance' | 'triggerScan' | 'triggerReconcile'>;

export async function advanceTestClock(db: Db, queues: QueueView, opts: AdvanceOptions): Promise<AdvanceReport> {
  const from = await readTestClock(db);
  if (!opts.wait) {
    await setTestClock(db, opts.to);
    await queues.triggerScan();
    return { from, to: opts.to, steps: 1 };
  }
  let now = from;
  let steps = 0;
  await waitQuiet(db, queues, now, opts);
  while (now.getTime() < opts.to.getTime()) {
    const next = await nextDueAfter(db, now);
    const floor = now.getTime() + opts.stepMs;
    const target = Math.min(opts.to.getTime(), next ? Math.max(next.getTime(), floor) : opts.to.getTime());
    now = await setTestClock(db, new Date(target));
    steps += 1;
    opts.onStep?.(now);
    await queues.triggerScan();
    await waitQuiet(db, queues, now, opts);
  }
  return { from, to: now, steps };
}

/** Polls until nothing due at `now` is left in Postgres and the charge queue is drained. */
export async function waitQuiet(db: Db, queues: QueueView, now: Date, opts: { timeoutMs: number; pollMs?: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const poll = opts.pollMs ?? 15;
  let lastNudge = Date.now();
  let calmPolls = 0;
  for (;;) {
    const [work, charge, maintenance] = await Promise.all([
      dueWork(db, now),
      queues.charge.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'),
      queues.maintenance.getJobCounts('waiting', 'active', 'prioritized'),
    ]);
    const queued = Object.values(charge).reduce((a, b) => a + b, 0) + Object.values(maintenance).reduce((a, b) => a + b, 0);
    // Two quiet polls in a row: a job finishing between the Postgres and Redis reads can't fool us.
    if (isQuiet(work) && queued === 0) {
      calmPolls += 1;
      if (calmPolls >= 2) return;
    } else {
      calmPolls = 0;
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(now, work);
    if (!isQuiet(work) && queued === 0 && Date.now() - lastNudge > 250) {
      // Due work with nothing queued (lost jobs, an attempt to reconcile): nudge the engine.
      lastNudge = Date.now();
      await queues.triggerScan();
      if (work.unresolvedAttempts > 0) await queues.triggerReconcile();
    }
    await new Promise((r) => setTimeout(r, poll));
  }
}
