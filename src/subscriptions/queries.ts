import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chargeAttempts, invoices, plans, subscriptions } from '../db/schema.ts';
import {
  SUBSCRIPTION_STATUSES,
  parseSubscriptionStatus,
  type SubscriptionStatus,
} from '../billing/subscriptionStatus.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { afterRow, checkLimit, type PageQuery } from '../db/paging.ts';

import type { AttemptRow, InvoiceRow, SubscriptionRow } from '../db/rows.ts';
export type { AttemptRow, InvoiceRow, SubscriptionRow };

export interface SubscriptionView extends SubscriptionRow {
  planCode: string;
  planVersion: number;
}

export function parseStatus(s: string, field = 'status'): SubscriptionStatus {
  const found = parseSubscriptionStatus(s);
  if (!found) throw new ValidationError(field, 'enum', `"${s}" is not one of ${SUBSCRIPTION_STATUSES.join(', ')}`);
  return found;
}

export async function listSubscriptions(
  db: Db,
  opts: { status?: string; customerId?: string } & PageQuery = {},
): Promise<SubscriptionView[]> {
  const after = await afterRow(db, subscriptions, subscriptions, opts.startingAfter, opts.cursorField);
  const rows = await db
    .select({ s: subscriptions, planCode: plans.code, planVersion: plans.version })
    .from(subscriptions)
    .innerJoin(plans, eq(plans.id, subscriptions.planId))
    .where(
      and(
        opts.status ? eq(subscriptions.status, parseStatus(opts.status)) : undefined,
        opts.customerId ? eq(subscriptions.customerId, opts.customerId) : undefined,
        after,
      ),
    )
    .orderBy(asc(subscriptions.createdAt), asc(subscriptions.id))
    .limit(opts.limit === undefined ? 10_000 : checkLimit(opts.limit, 10_000));
  return rows.map((r) => ({ ...r.s, planCode: r.planCode, planVersion: r.planVersion }));
}

export interface SubscriptionDetail {
  subscription: SubscriptionView;
  invoices: Array<InvoiceRow & { attempts: AttemptRow[] }>;
}

export async function getSubscription(db: Db, id: string): Promise<SubscriptionDetail> {
  const row = (
    await db
      .select({ s: subscriptions, planCode: plans.code, planVersion: plans.version })
      .from(subscriptions)
      .innerJoin(plans, eq(plans.id, subscriptions.planId))
      .where(eq(subscriptions.id, id))
  )[0];
  if (!row) throw new NotFoundError('subscription', id);
  const invs = await db
    .select()
    .from(invoices)
    .where(eq(invoices.subscriptionId, id))
    .orderBy(desc(invoices.periodIndex));
  const atts =
    invs.length === 0
      ? []
      : await db
          .select()
          .from(chargeAttempts)
          .where(
            inArray(
              chargeAttempts.invoiceId,
              invs.map((i) => i.id),
            ),
          )
          .orderBy(asc(chargeAttempts.attemptNo));
  return {
    subscription: { ...row.s, planCode: row.planCode, planVersion: row.planVersion },
    invoices: invs.map((i) => ({ ...i, attempts: atts.filter((a) => a.invoiceId === i.id) })),
  };
}
