import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { chargeAttempts, invoices } from '../db/schema.ts';
import type { AttemptRow, InvoiceRow } from '../db/rows.ts';
import { INVOICE_STATUSES, type InvoiceStatus } from '../billing/subscriptionStatus.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { afterCursor } from '../db/paging.ts';

/** Reading invoices (they are written by subscriptions/ and renewals/ only). */
export type InvoiceWithAttempts = InvoiceRow & { attempts: AttemptRow[] };

export function parseInvoiceStatus(s: string, field = 'status'): InvoiceStatus {
  const found = INVOICE_STATUSES.find((x) => x === s);
  if (found === undefined)
    throw new ValidationError(field, 'enum', `"${s}" is not one of ${INVOICE_STATUSES.join(', ')}`);
  return found;
}

/** Newest first; filtered by status and/or subscription. */
export async function listInvoices(
  db: DbOrTx,
  opts: { status?: string | undefined; subscriptionId?: string | undefined; limit: number; startingAfter?: string },
): Promise<InvoiceRow[]> {
  const status = opts.status === undefined ? undefined : parseInvoiceStatus(opts.status);
  const after = await afterCursor(db, invoices, invoices, opts.startingAfter, 'desc');
  return db
    .select()
    .from(invoices)
    .where(
      and(
        status ? eq(invoices.status, status) : undefined,
        opts.subscriptionId ? eq(invoices.subscriptionId, opts.subscriptionId) : undefined,
        after,
      ),
    )
    .orderBy(desc(invoices.createdAt), desc(invoices.id))
    .limit(opts.limit);
}

export async function getInvoice(db: DbOrTx, id: string): Promise<InvoiceWithAttempts> {
  const invoice = (await db.select().from(invoices).where(eq(invoices.id, id)))[0];
  if (invoice === undefined) throw new NotFoundError('invoice', id);
  const attempts = await db
    .select()
    .from(chargeAttempts)
    .where(inArray(chargeAttempts.invoiceId, [id]))
    .orderBy(asc(chargeAttempts.attemptNo));
  return { ...invoice, attempts };
}
