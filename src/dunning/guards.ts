import { and, eq, gt } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { chargeAttempts, invoices, paymentMethods } from '../db/schema.ts';
import { capsFor, earliestAllowed, networkOf } from '../billing/networkCaps.ts';

/**
 * Checks made under the invoice lock right before a charge goes out (renewals/charge.ts):
 * an open pay link or 3-D Secure attempt already blocks it (the one-open-attempt rule), and
 * here the card-network caps: a reattempt that would break one is moved to the earliest
 * allowed time instead of being sent.
 */
const WINDOW_MS = 30 * 86_400_000;

export interface CapCheck {
  /** Set when the attempt must wait: the earliest time the caps allow it. */
  waitUntil: Date | null;
  rule: string | null;
}

/** For a reattempt (an earlier attempt on the invoice was declined): may it go out now? */
export async function checkNetworkCaps(
  tx: Tx,
  p: { paymentMethodId: string; brand: string | null; now: Date; visaCap: number },
): Promise<CapCheck> {
  const network = networkOf(p.brand);
  const caps = capsFor(network, p.visaCap);
  if (caps.length === 0) return { waitUntil: null, rule: null };
  // Caps are per card across invoices, and invoices are charged in parallel: serialise the
  // count-then-insert on the card's row (locked last, after subscription and invoice, the
  // same order applySuccess takes it in) until this charge transaction commits.
  await tx
    .select({ id: paymentMethods.id })
    .from(paymentMethods)
    .where(eq(paymentMethods.id, p.paymentMethodId))
    .for('update');
  const past = await tx
    .select({ at: chargeAttempts.createdAt })
    .from(chargeAttempts)
    .where(
      and(
        eq(chargeAttempts.paymentMethodId, p.paymentMethodId),
        eq(chargeAttempts.reattempt, true),
        gt(chargeAttempts.createdAt, new Date(p.now.getTime() - WINDOW_MS)),
      ),
    );
  const allowed = earliestAllowed(
    p.now,
    past.map((r) => r.at),
    caps,
  );
  if (allowed.getTime() <= p.now.getTime()) return { waitUntil: null, rule: null };
  const rule = caps.map((c) => `${c.limit}/${Math.round(c.windowMs / 3_600_000)}h`).join(', ');
  return { waitUntil: allowed, rule: `${network} reattempt cap (${rule}) for this card` };
}

/** Moves the invoice's next attempt to when the caps allow it. */
export async function deferForCap(tx: Tx, invoiceId: string, until: Date, rule: string): Promise<void> {
  await tx
    .update(invoices)
    .set({ nextAttemptAt: until, nextStepReason: `${rule}: waits until ${until.toISOString()}` })
    .where(eq(invoices.id, invoiceId));
}
