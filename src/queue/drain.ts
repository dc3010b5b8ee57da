import type { Logger } from '../logger.ts';
import { errorMessage } from '../errors.ts';

/**
 * Counts one worker's processor calls in flight, so a drain knows when our own work is done
 * without asking Redis (which may be the thing that is unwell).
 */
export class InFlight {
  private running = 0;
  private waiters: Array<() => void> = [];

  /** Wraps a BullMQ processor: every call is counted while it runs. */
  wrap<A extends unknown[], R>(processor: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      this.running += 1;
      try {
        return await processor(...args);
      } finally {
        this.running -= 1;
        if (this.running === 0) for (const w of this.waiters.splice(0)) w();
      }
    };
  }

  get count(): number {
    return this.running;
  }

  /** Resolves once no processor call is running (at once if none is). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** How long a worker's close() may take once none of its jobs is running any more. */
export const WORKER_CLOSE_GRACE_MS = 5_000;

/**
 * Closes a BullMQ worker, waiting for its jobs — but never forever.
 *
 * BullMQ's Worker.close() can hang: when Redis has just come back and the worker's blocking
 * client sits between two reconnect attempts, close() disconnects that client, which cancels
 * the pending reconnect without the 'end' event close() then waits for
 * (taskforcesh/bullmq#4656, still open in 6.7.6). A drain only owes that our processors have
 * returned: their outcomes are in Postgres by then, and a job whose acknowledgement is lost is
 * taken again after its lock expires and finds its work done. So once no processor call is
 * running, close() gets a short grace, then the drain stops waiting for it.
 *
 * Returns 'abandoned' when close() was given up on (the worker's Redis clients are left to
 * the process exit).
 */
export async function closeWorker(
  worker: { close(): Promise<void> },
  inFlight: InFlight,
  opts: { name: string; logger: Logger; graceMs?: number },
): Promise<'closed' | 'abandoned'> {
  const graceMs = opts.graceMs ?? WORKER_CLOSE_GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  const closing = worker.close().then(() => 'closed' as const);
  const givenUp = inFlight.idle().then(
    () =>
      new Promise<'abandoned'>((resolve) => {
        timer = setTimeout(() => resolve('abandoned'), graceMs);
        timer.unref();
      }),
  );
  try {
    const r = await Promise.race([closing, givenUp]);
    if (r === 'abandoned') {
      // close() may still settle later (or never); its failure must not become an unhandled rejection.
      closing.catch((err: unknown) =>
        opts.logger.debug({ worker: opts.name, err: errorMessage(err) }, 'late close error'),
      );
      opts.logger.warn(
        { worker: opts.name, graceMs },
        'worker jobs finished but its Redis connection did not close in time; not waiting for it',
      );
    }
    return r;
  } finally {
    clearTimeout(timer);
  }
}
