import type { Logger } from '../logger.ts';
import type { DependencyProbe, DependencyStatus } from './dependencies.ts';

/**
 * Start-up waits for Postgres and Redis instead of starting workers that would fail every
 * job (or, with Redis away, never become ready). One JSON log line per try, with the cause
 * and when the next try is, backing off so a long outage does not flood the log.
 */
/** First wait after a failed check. */
export const DEPENDENCY_RETRY_INITIAL_MS = 500;
/** Ceiling of the doubling back-off: an outage of hours still shows a line every half minute. */
export const DEPENDENCY_RETRY_MAX_MS = 30_000;

export function retryDelayMs(attempt: number): number {
  return Math.min(DEPENDENCY_RETRY_MAX_MS, DEPENDENCY_RETRY_INITIAL_MS * 2 ** Math.max(0, attempt - 1));
}

/** Thrown when the wait is abandoned through its AbortSignal (SIGTERM during start-up). */
export class StartupAbortedError extends Error {
  constructor() {
    super('start-up abandoned before Postgres and Redis answered');
    this.name = 'StartupAbortedError';
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function waitForDependencies(
  probe: DependencyProbe,
  logger: Logger,
  opts: { signal?: AbortSignal } = {},
): Promise<DependencyStatus[]> {
  for (let attempt = 1; ; attempt += 1) {
    if (opts.signal?.aborted) throw new StartupAbortedError();
    const statuses = await probe.check();
    const down = statuses.filter((s) => !s.ok);
    if (down.length === 0) {
      if (attempt > 1) logger.info({ attempts: attempt }, 'dependencies reachable: Postgres and Redis answer');
      return statuses;
    }
    const retryInMs = retryDelayMs(attempt);
    logger.warn(
      {
        event: 'dependency_unavailable',
        unavailable: down.map((s) => s.name),
        errors: Object.fromEntries(down.map((s) => [s.name, s.error ?? 'unavailable'])),
        attempt,
        retryInMs,
      },
      `waiting for ${down.map((s) => (s.name === 'postgres' ? 'Postgres' : 'Redis')).join(' and ')}: ${down
        .map((s) => s.error)
        .join('; ')}; next try in ${retryInMs} ms`,
    );
    await abortableSleep(retryInMs, opts.signal);
  }
}
