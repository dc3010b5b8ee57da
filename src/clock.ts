/**
 * One source of "now" for the whole engine. Domain code takes a Clock (or a plain
 * `now: Date`) as an argument and never calls `Date.now()` itself, so tests and the
 * test clock can move time.
 *
 * Wall time is different: AsiaBill's signed `request-time` header must always be real
 * time (the gateway rejects anything >10 min off), so the AsiaBill client uses
 * `wallClock`, never the engine clock.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Real wall time, for signatures and timeouts — never for billing dates. */
export const wallClock: Clock = systemClock;

/** A clock fixed at a moment, moved only explicitly. For unit tests. */
export class ManualClock implements Clock {
  private current: Date;
  constructor(start: Date) {
    this.current = new Date(start.getTime());
  }
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(to: Date): void {
    this.current = new Date(to.getTime());
  }
  advanceMs(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * The engine's notion of "now". Asynchronous because under BILLING_CLOCK=test the time lives
 * in Postgres (one row), so every process — CLI, scheduler, charge workers — agrees on it.
 * Jobs read it once at their start and pass the Date down to pure code.
 */
export interface TimeSource {
  readonly kind: 'system' | 'test' | 'fixed';
  now(): Promise<Date>;
}

export const systemTime: TimeSource = { kind: 'system', now: async () => new Date() };

/** A TimeSource over a Clock, for tests that drive time in memory. */
export function timeFrom(clock: Clock): TimeSource {
  return { kind: 'fixed', now: async () => clock.now() };
}
