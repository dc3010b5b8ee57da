import { and, eq, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { subscriptions } from '../db/schema.ts';
import { lockSubscription } from '../db/locks.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionTrialWillEnd } from '../events/builders.ts';
import { resumeInTx } from './pause.ts';

/**
 * Lifecycle work the scheduler's scan does on time: paused subscriptions whose `--until` has
 * come resume (their invoice is then picked up by the scan's due-invoice pass like any other),
 * and trialing ones get their `subscription.trial_will_end` event `trialWillEndMs` before the end.
 * Each subscription in its own short transaction, SKIP LOCKED, re-checked under the lock.
 */
export async function resumeDuePaused(db: Db, now: Date, batch: number): Promise<number> {
  const rows = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(and(eq(subscriptions.status, 'paused'), lte(subscriptions.resumeAt, now)))
    .limit(batch);
  let n = 0;
  for (const { id } of rows) {
    const done = await db.transaction(async (tx) => {
      const sub = await lockSubscription(tx, id, { skipLocked: true });
      if (sub?.status !== 'paused' || !sub.resumeAt || sub.resumeAt > now) return false;
      await resumeInTx(tx, sub, sub.resumeAt, now, { reason: 'scheduled' });
      return true;
    });
    if (done) n += 1;
  }
  return n;
}

export async function announceTrialsEnding(db: Db, now: Date, trialWillEndMs: number, batch: number): Promise<number> {
  const horizon = new Date(now.getTime() + trialWillEndMs);
  const rows = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.status, 'trialing'),
        isNotNull(subscriptions.trialEnd),
        lte(subscriptions.trialEnd, horizon),
        sql`${subscriptions.trialEnd} > ${now}`,
        isNull(subscriptions.trialWillEndSentAt),
      ),
    )
    .limit(batch);
  let n = 0;
  for (const { id } of rows) {
    const done = await db.transaction(async (tx) => {
      const sub = await lockSubscription(tx, id, { skipLocked: true });
      if (sub?.status !== 'trialing' || !sub.trialEnd || sub.trialWillEndSentAt) return false;
      await tx.update(subscriptions).set({ trialWillEndSentAt: now }).where(eq(subscriptions.id, id));
      await recordEvent(tx, subscriptionTrialWillEnd(sub, sub.trialEnd, now));
      return true;
    });
    if (done) n += 1;
  }
  return n;
}
