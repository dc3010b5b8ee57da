/**
 * What must hold after any fault, judged against what the sandbox gateway *actually did*
 * (its ledger), not against the engine's own rows; the expected periods come from a plain
 * calendar computation in this file, not from the engine's period module.
 */
import { sql } from 'drizzle-orm';
import type { World } from './harness.ts';

export interface Figures {
  /** Successful charges the gateway recorded. */
  charges: number;
  /** Invoices the gateway charged successfully more than once. */
  doubleCharges: number;
  /** Periods that came due and are neither paid nor in dunning nor ended by policy. */
  missedRenewals: number;
  /** Attempts whose outcome is still `started` or `unknown`. */
  unresolvedAttempts: number;
  /** Charges on which Postgres and the gateway's ledger disagree. */
  disagreements: number;
  /** Human-readable detail of every violation (empty when all hold). */
  problems: string[];
}

type SubRow = {
  id: string;
  status: string;
  anchor: Date;
  canceled_at: Date | null;
};

/**
 * Period starts for a monthly plan anchored on day 1–28 in UTC: the same day and time of every
 * month, so no clamping rule is involved and a plain Date.UTC computes them independently.
 */
export function monthlyStartsUpTo(anchor: Date, now: Date): string[] {
  if (anchor.getUTCDate() > 28) throw new Error('the fault suite anchors on day 1–28 so periods need no clamping');
  const out: string[] = [];
  for (let k = 0; ; k++) {
    const t = new Date(
      Date.UTC(
        anchor.getUTCFullYear(),
        anchor.getUTCMonth() + k,
        anchor.getUTCDate(),
        anchor.getUTCHours(),
        anchor.getUTCMinutes(),
        anchor.getUTCSeconds(),
      ),
    );
    if (t.getTime() > now.getTime()) return out;
    out.push(t.toISOString());
  }
}

export async function checkInvariants(world: World, now: Date): Promise<Figures> {
  const problems: string[] = [];
  const ledger = world.sandbox.ledger().filter((l) => l.kind === 'charge');
  const successes = ledger.filter((l) => l.status === 'success');

  // At most one successful charge per invoice (orderNo = <invoiceId>-<attemptNo>).
  const byInvoice = new Map<string, number>();
  for (const l of successes) {
    const invoiceId = l.orderNo.slice(0, l.orderNo.lastIndexOf('-'));
    byInvoice.set(invoiceId, (byInvoice.get(invoiceId) ?? 0) + 1);
  }
  const doubles = [...byInvoice].filter(([, n]) => n > 1);
  for (const [inv, n] of doubles) problems.push(`invoice ${inv} charged ${n} times by the gateway`);

  // Every period that came due is paid (gateway success), in dunning, or ended by policy.
  const subs = (
    await world.ctx.db.execute<SubRow>(sql`select id, status, anchor, canceled_at from subscriptions order by id`)
  ).rows;
  const paidPeriods = new Set(
    successes.map((l) => {
      const m = /subscription (\S+) period (\S+)/.exec(l.remark ?? '');
      return m ? `${m[1]} ${m[2]}` : '';
    }),
  );
  let missed = 0;
  for (const s of subs) {
    if (s.status === 'past_due' || s.status === 'unpaid') continue; // in dunning: judged by the dunning tests
    const until = s.canceled_at && s.canceled_at < now ? s.canceled_at : now;
    for (const start of monthlyStartsUpTo(new Date(s.anchor), until)) {
      if (!paidPeriods.has(`${s.id} ${start}`)) {
        missed += 1;
        if (missed <= 10) problems.push(`subscription ${s.id} (${s.status}): period ${start} came due and is not paid`);
      }
    }
  }

  // Postgres agrees with the gateway, charge by charge.
  const attempts = (
    await world.ctx.db.execute<{ order_no: string; status: string }>(sql`select order_no, status from charge_attempts`)
  ).rows;
  const gatewaySuccess = new Set(successes.map((l) => l.orderNo));
  const engineSuccess = new Set(attempts.filter((a) => a.status === 'succeeded').map((a) => a.order_no));
  let disagreements = 0;
  for (const o of gatewaySuccess)
    if (!engineSuccess.has(o)) {
      disagreements += 1;
      problems.push(`gateway charged ${o}; the engine does not record it as succeeded`);
    }
  for (const o of engineSuccess)
    if (!gatewaySuccess.has(o)) {
      disagreements += 1;
      problems.push(`engine records ${o} as succeeded; the gateway has no such success`);
    }

  const unresolved = attempts.filter((a) => a.status === 'started' || a.status === 'unknown');
  for (const a of unresolved.slice(0, 10)) problems.push(`attempt ${a.order_no} still ${a.status}`);

  return {
    charges: successes.length,
    doubleCharges: doubles.length,
    missedRenewals: missed,
    unresolvedAttempts: unresolved.length,
    disagreements,
    problems,
  };
}

/** Card-like digit runs (13–19 digits, also with spaces or dashes between groups). */
export function findCardNumbers(text: string, cards: readonly string[]): string[] {
  const found: string[] = [];
  const digitsOnly = text.replace(/[ -]/g, '');
  for (const card of cards) {
    if (text.includes(card) || digitsOnly.includes(card)) found.push(card);
  }
  return found;
}
