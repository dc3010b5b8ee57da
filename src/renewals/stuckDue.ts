/**
 * Remembers, per scheduler process, since when (real wall time) each due invoice has been seen
 * due with no attempt. A charge job id derived from Postgres ids makes re-enqueueing harmless —
 * but also silent: if Redis lost the job's place in its queue while keeping the job's hash (a
 * wipe racing an enqueue, a partial restore, eviction), every later enqueue of that id is a
 * no-op and the invoice is never charged (found by the fault suite). So an invoice still due
 * after STUCK_DUE_AFTER_MS has its job checked, and a stray one is removed and enqueued again.
 */

/** Long enough that a job waiting its turn behind a full queue is not checked on every scan. */
export const STUCK_DUE_AFTER_MS = 30_000;

export class StuckDueTracker {
  private readonly firstSeen = new Map<string, number>();
  private seenThisScan = new Set<string>();

  /** True when this invoice has been seen due, without an attempt, for too long. */
  observe(invoiceId: string, wallNowMs: number): boolean {
    this.seenThisScan.add(invoiceId);
    const first = this.firstSeen.get(invoiceId);
    if (first === undefined) {
      this.firstSeen.set(invoiceId, wallNowMs);
      return false;
    }
    return wallNowMs - first >= STUCK_DUE_AFTER_MS;
  }

  /** Forget invoices not seen in the scan that just ended (charged, voided, or in flight). */
  endScan(): void {
    for (const id of this.firstSeen.keys()) if (!this.seenThisScan.has(id)) this.firstSeen.delete(id);
    this.seenThisScan = new Set();
  }

  /** Checked once: start the clock again, so a repaired job gets its own time to run. */
  restart(invoiceId: string, wallNowMs: number): void {
    this.firstSeen.set(invoiceId, wallNowMs);
  }
}
