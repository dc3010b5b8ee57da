import { and, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { invoices, subscriptions } from '../db/schema.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { periodAt } from '../billing/periods.ts';
import { recordEvents } from '../events/outbox.ts';
import { invoiceCreated } from '../events/builders.ts';
import { isRenewable } from '../billing/subscriptionStatus.ts';
import { renewSubscription } from './renew.ts';

/**
 * renewSubscription (renew.ts) for a whole page of due subscriptions in one transaction and
 * four statements, instead of one transaction and four statements per subscription — the
 * difference between minutes and seconds for a month start of 100,000 renewals.
 *
 * Same rules, same rows: each subscription is locked (SKIP LOCKED, so several schedulers
 * share the work), re-checked as due and renewable, its next period's invoice inserted
 * (unique per subscription + period start: a concurrent scheduler's insert makes ours a
 * no-op, and then the subscription is left alone), moved into that period with
 * nextRenewalAt cleared, and an `invoice.created` event written in the same transaction.
 * The rare subscription that ends instead (cancel at period end) goes through
 * renewSubscription itself, one by one, after the page commits.
 */
export interface BatchRenewal {
  invoiced: Array<{ invoiceId: string; subscriptionId: string; attemptNo: number }>;
  ended: number;
}

export async function renewSubscriptionsBatch(db: Db, ids: readonly string[], now: Date): Promise<BatchRenewal> {
  if (ids.length === 0) return { invoiced: [], ended: 0 };
  const { invoiced, oneByOne } = await db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(subscriptions)
      .where(
        and(
          inArray(subscriptions.id, [...ids]),
          isNotNull(subscriptions.nextRenewalAt),
          lte(subscriptions.nextRenewalAt, now),
        ),
      )
      .for('update', { skipLocked: true });
    const oneByOne: string[] = [];
    const planned = [];
    for (const sub of locked) {
      if (!isRenewable(sub.status)) continue;
      if (sub.cancelAtPeriodEnd) {
        oneByOne.push(sub.id);
        continue;
      }
      const index = sub.currentPeriodIndex + 1;
      const period = periodAt(
        { anchor: sub.anchor, interval: sub.interval, intervalCount: sub.intervalCount, timeZone: sub.timeZone },
        index,
      );
      planned.push({ sub, index, period, invoiceId: newId(ID_PREFIX.invoice) });
    }
    if (planned.length === 0) return { invoiced: [], oneByOne };
    const inserted = await tx
      .insert(invoices)
      .values(
        planned.map((p) => ({
          id: p.invoiceId,
          subscriptionId: p.sub.id,
          periodIndex: p.index,
          periodStart: p.period.start,
          periodEnd: p.period.end,
          amount: p.sub.amount,
          currency: p.sub.currency,
          status: 'open' as const,
          attemptCount: 0,
          // Due at the period start, which may be in the past when catching up.
          nextAttemptAt: p.period.start,
          createdAt: now,
        })),
      )
      .onConflictDoNothing({ target: [invoices.subscriptionId, invoices.periodStart] })
      .returning({ id: invoices.id });
    const made = new Set(inserted.map((r) => r.id));
    const done = planned.filter((p) => made.has(p.invoiceId));
    if (done.length === 0) return { invoiced: [], oneByOne };
    const rows = sql.join(
      done.map(
        (p) =>
          sql`(${p.sub.id}, ${p.index}::int, ${p.period.start.toISOString()}::timestamptz, ${p.period.end.toISOString()}::timestamptz)`,
      ),
      sql`, `,
    );
    await tx.execute(sql`
      update ${subscriptions} set
        current_period_index = v.idx, current_period_start = v.ps, current_period_end = v.pe,
        next_renewal_at = null, updated_at = ${now.toISOString()}::timestamptz
      from (values ${rows}) as v(id, idx, ps, pe)
      where ${subscriptions.id} = v.id`);
    await recordEvents(
      tx,
      done.map((p) =>
        invoiceCreated(
          p.invoiceId,
          {
            subscriptionId: p.sub.id,
            periodIndex: p.index,
            periodStart: p.period.start,
            periodEnd: p.period.end,
            amount: p.sub.amount,
            currency: p.sub.currency,
          },
          now,
        ),
      ),
    );
    return {
      invoiced: done.map((p) => ({ invoiceId: p.invoiceId, subscriptionId: p.sub.id, attemptNo: 1 })),
      oneByOne,
    };
  });
  let ended = 0;
  for (const id of oneByOne) {
    const r = await renewSubscription(db, id, now);
    if (r.kind === 'invoiced') invoiced.push({ invoiceId: r.invoiceId, subscriptionId: id, attemptNo: r.attemptNo });
    else if (r.kind === 'ended') ended += 1;
  }
  return { invoiced, ended };
}
