/**
 * Fault-injection and notification knobs, changeable at run time (setKnobs or
 * POST /__sandbox/knobs).
 */
import type { NotifyKnobs, RefundMode, SandboxKnobs } from './types.ts';

/** AsiaBill's documented retry intervals: 15s/15s/30s/3m/3m/30m/30m/1h/2h×6 (~17 h, 15 attempts). */
export const ASIABILL_RETRY_SCHEDULE_MS: readonly number[] = [
  15_000, 15_000, 30_000, 180_000, 180_000, 1_800_000, 1_800_000, 3_600_000, 7_200_000, 7_200_000, 7_200_000, 7_200_000,
  7_200_000, 7_200_000,
];

export const DEFAULT_NOTIFY_KNOBS: NotifyKnobs = {
  delayMs: 200,
  retryScheduleMs: [...ASIABILL_RETRY_SCHEDULE_MS],
  duplicate: false,
  reorder: false,
  reorderHoldMs: 2_000,
  copies: null,
  jitterMs: 0,
  lateShare: 0,
  seed: 1,
};

/** Most copies of one notification the knob accepts (the fault suite asks for 0–3). */
export const MAX_NOTIFICATION_COPIES = 10;

export class KnobState {
  notify: NotifyKnobs;
  private dropNext = 0;
  private failWith: string | undefined;
  private failCount = 0;
  private holdNext = 0;
  holdResponseMs = 30_000;
  /** Answer every success with this code instead of the route's own (see SandboxKnobs). */
  successCode: string | undefined;
  refundMode: RefundMode = 'instant';
  private dropNextRefund = 0;

  constructor(initial: Partial<NotifyKnobs> = {}) {
    this.notify = { ...DEFAULT_NOTIFY_KNOBS, ...initial };
  }

  set(k: SandboxKnobs): void {
    const {
      dropNextResponses,
      failNextRequestsWith,
      failNextRequests,
      holdNextResponses,
      holdResponseMs,
      successCode,
      refundMode,
      dropNextRefundResponses,
      ...notify
    } = k;
    if (refundMode !== undefined) this.refundMode = refundMode;
    if (dropNextRefundResponses !== undefined) this.dropNextRefund = dropNextRefundResponses;
    this.notify = { ...this.notify, ...Object.fromEntries(Object.entries(notify).filter(([, v]) => v !== undefined)) };
    if (dropNextResponses !== undefined) this.dropNext = dropNextResponses;
    if (holdNextResponses !== undefined) this.holdNext = holdNextResponses;
    if (holdResponseMs !== undefined) this.holdResponseMs = holdResponseMs;
    if (successCode !== undefined) this.successCode = successCode || undefined;
    if (failNextRequestsWith !== undefined) {
      this.failWith = failNextRequestsWith || undefined;
      this.failCount = this.failWith === undefined ? 0 : (failNextRequests ?? 1);
    }
  }

  /** True if this confirmCharge response must be dropped (consumes one). */
  takeDrop(): boolean {
    if (this.dropNext <= 0) return false;
    this.dropNext--;
    return true;
  }

  /** True if this refund response must be dropped (consumes one). */
  takeRefundDrop(): boolean {
    if (this.dropNextRefund <= 0) return false;
    this.dropNextRefund--;
    return true;
  }

  /** How long to sit on this confirmCharge answer, if at all (consumes one). */
  takeHold(): number | undefined {
    if (this.holdNext <= 0) return undefined;
    this.holdNext--;
    return this.holdResponseMs;
  }

  /** The injected failure for this request, if any (consumes one). */
  takeFailure(): string | undefined {
    if (this.failWith === undefined || this.failCount <= 0) return undefined;
    this.failCount--;
    return this.failWith;
  }
}

function isCopies(v: unknown): v is { min: number; max: number } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const { min, max, ...rest } = v as Record<string, unknown>;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_NOTIFICATION_COPIES;
  return Object.keys(rest).length === 0 && ok(min) && ok(max) && (min as number) <= (max as number);
}

/** Reads knobs from an untrusted JSON body (the HTTP helper); unknown or mistyped keys are refused. */
export function parseKnobs(body: unknown): SandboxKnobs {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('knobs must be a JSON object');
  const out: SandboxKnobs = {};
  for (const [key, value] of Object.entries(body)) {
    const isCount = typeof value === 'number' && Number.isInteger(value) && value >= 0;
    if (
      (key === 'delayMs' ||
        key === 'reorderHoldMs' ||
        key === 'dropNextResponses' ||
        key === 'failNextRequests' ||
        key === 'holdNextResponses' ||
        key === 'holdResponseMs' ||
        key === 'dropNextRefundResponses') &&
      isCount
    )
      out[key] = value;
    else if ((key === 'duplicate' || key === 'reorder') && typeof value === 'boolean') out[key] = value;
    else if ((key === 'jitterMs' || key === 'seed') && isCount) out[key] = value;
    else if (key === 'lateShare' && typeof value === 'number' && value >= 0 && value <= 1) out.lateShare = value;
    else if (key === 'copies' && (value === null || isCopies(value))) out.copies = value;
    else if (key === 'refundMode' && (value === 'instant' || value === 'pending' || value === 'fail'))
      out.refundMode = value;
    else if (key === 'failNextRequestsWith' && typeof value === 'string') out.failNextRequestsWith = value;
    else if (key === 'successCode' && typeof value === 'string') out.successCode = value;
    else if (key === 'retryScheduleMs' && Array.isArray(value) && value.every((v) => typeof v === 'number' && v >= 0))
      out.retryScheduleMs = value.map(Number);
    else throw new Error(`bad knob ${key}`);
  }
  return out;
}
