import type { Db } from '../db/client.ts';
import type { Queues } from '../queue/connection.ts';
import { readTestClock, setTestClock } from './store.ts';
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
    super(
      'WAIT_TIMEOUT',
      `the engine did not finish the work due at ${at.toISOString()} in time (still due: ${JSON.stringify(work)}); is \`billing run\` (or the workers) running with BILLING_CLOCK=test?`,
    );
  }
}

type QueueView = Pick<Queues, 'triggerScan' | 'triggerReconcile'>;

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

/**
 * Polls until nothing due at `now` is left, judged from Postgres alone. Redis queue counts
 * are deliberately not consulted: every piece of work in flight is visible in Postgres (a
 * due renewal, an open invoice due for an attempt, an attempt whose outcome is open), and a
 * job left `active` by a killed worker would otherwise hold the clock until BullMQ's stall
 * check — while the work it stood for was already reconciled.
 */
export async function waitQuiet(
  db: Db,
  queues: QueueView,
  now: Date,
  opts: { timeoutMs: number; pollMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const poll = opts.pollMs ?? 15;
  let lastNudge = Date.now();
  let calmPolls = 0;
  for (;;) {
    const work = await dueWork(db, now);
    // Two quiet polls in a row: a job between two writes can't fool a single read.
    if (isQuiet(work)) {
      calmPolls += 1;
      if (calmPolls >= 2) return;
    } else {
      calmPolls = 0;
      if (Date.now() > deadline) throw new WaitTimeoutError(now, work);
      if (Date.now() - lastNudge > 250) {
        // Due work that nobody seems to be doing (lost jobs, an attempt to reconcile): nudge.
        lastNudge = Date.now();
        await queues.triggerScan();
        if (work.unresolvedAttempts > 0) await queues.triggerReconcile();
      }
    }
    await new Promise((r) => setTimeout(r, poll));
  }
}
