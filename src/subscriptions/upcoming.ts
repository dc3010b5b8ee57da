import { eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { subscriptions } from '../db/schema.ts';
import { NotFoundError } from '../errors.ts';
import type { InvoiceLine } from '../billing/invoiceLines.ts';
import { computeNextCycle, loadNextCycleInputs } from './nextCycle.ts';

/** The next cycle invoice as the renewal will write it (same function), without writing anything. */
export interface UpcomingInvoice {
  subscriptionId: string;
  amountDue: { amount: number; currency: string };
  lines: InvoiceLine[];
  periodStart: Date;
  periodEnd: Date;
  planCode: string;
}

export async function upcomingInvoice(ctx: Pick<AppContext, 'db'>, id: string): Promise<UpcomingInvoice> {
  const sub = (await ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0];
  if (!sub) throw new NotFoundError('subscription', id);
  const n = computeNextCycle(sub, await loadNextCycleInputs(ctx.db, sub));
  return {
    subscriptionId: id,
    amountDue: { amount: n.totals.amountDue, currency: n.currency },
    lines: n.totals.lines,
    periodStart: n.period.start,
    periodEnd: n.period.end,
    planCode: n.planCode,
  };
}
