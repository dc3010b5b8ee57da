/**
 * Delivers AsiaBill-style async notifications to callbackUrls, like the real gateway:
 * signed headers (fresh request-id and request-time per attempt), compact JSON body, and
 * retries on AsiaBill's schedule until the receiver answers `success` (trimmed,
 * case-insensitive). Knobs add duplicates (a seeded 0..n copies per notification), jitter,
 * reordering and copies parked until the test releases them ("late"), so receivers can prove
 * they are idempotent and monotonic. Every timer is cleared and every in-flight POST aborted
 * on close.
 */
import type { Logger } from '../logger.ts';
import { signNotification } from '../asiabill/notifications.ts';
import type { NotificationStats, NotifyKnobs } from './types.ts';

export interface NotificationEvent {
  type: string;
  data: Record<string, string | Record<string, string>>;
}

/** One enqueued notification: how many copies it was given, how many were acknowledged. */
interface Tally {
  copies: number;
  acknowledged: number;
}

interface Delivery {
  id: number;
  tally: Tally;
  /** Parked by `lateShare`: no timer until releaseLate(). */
  parked: boolean;
  orderKey: string;
  url: string;
  type: string;
  body: string;
  attempts: number;
  held: boolean;
  /** Set once the first attempt has finished (answered or failed). */
  firstDone: boolean;
  timer: NodeJS.Timeout | undefined;
  firstAttempted: Promise<void>;
  markFirstAttempted: () => void;
}

const DELIVERY_TIMEOUT_MS = 10_000;

/** mulberry32: small, seedable, good enough to spread copies and delays; replayable by seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Notifier {
  private readonly deliveries = new Map<number, Delivery>();
  private readonly ordersSeen = new Set<string>();
  private readonly abort = new AbortController();
  private nextId = 1;
  private closed = false;
  private readonly tallies: Tally[] = [];
  private late = 0;
  private lateReleased = 0;
  private seedInUse: number | undefined;
  private random: () => number = Math.random;

  constructor(private readonly cfg: { gatewayNo: string; signKey: string; logger: Logger; knobs: () => NotifyKnobs }) {}

  /** Queues `event` for `url`. `orderKey` groups an order's notifications for reordering. */
  enqueue(orderKey: string, url: string, event: NotificationEvent): void {
    if (this.closed) return;
    const knobs = this.cfg.knobs();
    if (knobs.seed !== this.seedInUse) {
      this.seedInUse = knobs.seed;
      this.random = seededRandom(knobs.seed);
    }
    const body = JSON.stringify(event);
    const first = !this.ordersSeen.has(orderKey);
    this.ordersSeen.add(orderKey);
    const copies = this.copiesFor(knobs);
    const tally: Tally = { copies, acknowledged: 0 };
    this.tallies.push(tally);
    for (let i = 0; i < copies; i++) {
      let markFirstAttempted = (): void => undefined;
      const firstAttempted = new Promise<void>((resolve) => {
        markFirstAttempted = resolve;
      });
      const d: Delivery = {
        id: this.nextId++,
        tally,
        parked: false,
        orderKey,
        url,
        type: event.type,
        body,
        attempts: 0,
        held: false,
        firstDone: false,
        timer: undefined,
        firstAttempted,
        markFirstAttempted,
      };
      this.deliveries.set(d.id, d);
      const jitter = this.jitter(knobs);
      if (knobs.lateShare > 0 && this.random() < knobs.lateShare) {
        // Parked until the test says the engine has moved on (releaseLate()).
        d.parked = true;
        this.late++;
      } else if (knobs.reorder && first) {
        // Held back so the order's next notification overtakes it (see release()).
        d.held = true;
        this.schedule(d, Math.max(knobs.reorderHoldMs, knobs.delayMs) + jitter);
      } else {
        this.schedule(d, knobs.delayMs + jitter);
      }
    }
  }

  /** Sends every parked late copy now (each after its own jitter); returns how many. */
  releaseLate(): number {
    const knobs = this.cfg.knobs();
    let n = 0;
    for (const d of this.deliveries.values()) {
      if (!d.parked) continue;
      d.parked = false;
      n++;
      this.schedule(d, this.jitter(knobs));
    }
    this.lateReleased += n;
    return n;
  }

  stats(): NotificationStats {
    const planned: number[] = [];
    const delivered: number[] = [];
    const bump = (xs: number[], k: number) => {
      for (let i = xs.length; i <= k; i++) xs[i] = 0;
      xs[k] = (xs[k] ?? 0) + 1;
    };
    for (const t of this.tallies) {
      bump(planned, t.copies);
      bump(delivered, t.acknowledged);
    }
    return { planned, delivered, late: this.late, lateReleased: this.lateReleased };
  }

  private copiesFor(knobs: NotifyKnobs): number {
    if (!knobs.copies) return knobs.duplicate ? 2 : 1;
    const min = Math.max(0, Math.floor(knobs.copies.min));
    const max = Math.max(min, Math.floor(knobs.copies.max));
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private jitter(knobs: NotifyKnobs): number {
    return knobs.jitterMs > 0 ? Math.floor(this.random() * knobs.jitterMs) : 0;
  }

  pending(): number {
    return this.deliveries.size;
  }

  /**
   * Waits until every queued delivery has been attempted once; held ones are released last.
   * Parked late copies are not waited for (only releaseLate() sends them).
   */
  async flush(): Promise<void> {
    for (;;) {
      const waiting = [...this.deliveries.values()].filter((d) => !d.firstDone && !d.parked);
      if (waiting.length === 0 || this.closed) return;
      const active = waiting.filter((d) => !d.held);
      if (active.length === 0) {
        for (const d of waiting) this.release(d);
        continue;
      }
      await Promise.all(active.map((d) => d.firstAttempted));
    }
  }

  close(): void {
    this.closed = true;
    for (const d of this.deliveries.values()) {
      clearTimeout(d.timer);
      d.markFirstAttempted();
    }
    this.deliveries.clear();
    this.abort.abort();
  }

  private schedule(d: Delivery, delayMs: number): void {
    clearTimeout(d.timer);
    d.timer = setTimeout(() => {
      d.timer = undefined;
      void this.attempt(d);
    }, delayMs);
  }

  private release(d: Delivery): void {
    if (!d.held) return;
    d.held = false;
    this.schedule(d, 0);
  }

  private async attempt(d: Delivery): Promise<void> {
    if (this.closed || !this.deliveries.has(d.id)) return;
    d.held = false;
    d.attempts++;
    let acknowledged = false;
    let answer = '';
    try {
      const headers = signNotification({ gatewayNo: this.cfg.gatewayNo, signKey: this.cfg.signKey, rawBody: d.body });
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: d.body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      answer = `HTTP ${res.status}`;
      acknowledged = (await res.text()).trim().toLowerCase() === 'success';
    } catch (err) {
      answer = err instanceof Error ? err.name : 'error';
    }
    if (this.closed) return;
    this.cfg.logger.debug(
      { type: d.type, orderKey: d.orderKey, attempt: d.attempts, acknowledged, answer },
      'sandbox notification attempt',
    );

    if (acknowledged) d.tally.acknowledged++;
    const retryIn = this.cfg.knobs().retryScheduleMs[d.attempts - 1];
    if (acknowledged || retryIn === undefined) {
      if (!acknowledged)
        this.cfg.logger.warn(
          { type: d.type, orderKey: d.orderKey, attempts: d.attempts },
          'sandbox notification given up',
        );
      this.deliveries.delete(d.id);
    } else {
      this.schedule(d, retryIn);
    }
    if (d.attempts === 1) {
      d.firstDone = true;
      d.markFirstAttempted();
      // A later notification of this order has now gone out: let the held first one follow.
      for (const other of this.deliveries.values())
        if (other.orderKey === d.orderKey && other.held) this.release(other);
    }
  }
}
