import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { and, eq, sql } from 'drizzle-orm';
import {
  chargeAttempts,
  customers,
  events,
  invoices,
  paymentMethods,
  plans,
  subscriptions,
} from '../../../src/db/schema.ts';
import { applyOutcome, type Outcome } from '../../../src/renewals/outcome.ts';
import { newId } from '../../../src/ids.ts';
import { createTestDatabase } from '../../support/db.ts';
import type { Database } from '../../../src/db/client.ts';

/**
 * Invariant 3 on the real `applyOutcome` (src/renewals/outcome.ts) against Postgres: any
 * sequence of reported outcomes — duplicated, reordered, with or without a success — is
 * applied one transaction at a time to a fresh subscription → invoice → attempt chain, and the
 * rows that result are compared with a specification written out here, not with a fold of
 * `canTransition`.
 */
type Reported = 'pending' | 'failed' | 'succeeded' | 'unknown' | 'not_charged';
type Kind = 'renewal' | 'first';

const OUTCOMES: Record<Reported, Outcome> = {
  pending: { status: 'pending', tradeNo: 'T-PENDING', redirectUrl: 'https://3ds.example/x' },
  failed: { status: 'failed', orderInfo: 'D0051 Insufficient funds' },
  succeeded: { status: 'succeeded', tradeNo: 'T-SUCCESS', orderInfo: 'Transaction Approved' },
  unknown: { status: 'unknown', orderInfo: 'no answer' },
  not_charged: { status: 'not_charged', orderInfo: 'not found at the gateway after the request window' },
};

interface EndState {
  attempt: string;
  invoice: string;
  subscription: string;
}

/**
 * What the rows must say after `reports` were applied in this order, from the rules as the
 * README and docs/dunning.md state them: success wins whenever it arrives (money moved);
 * otherwise the first definite answer (failed / not_charged) stays — except that `not_charged`
 * is only ever decided for an attempt still `started`/`unknown` (compare-and-set), so once
 * `pending` (the gateway has the order) arrived, a later `not_charged` changes nothing;
 * otherwise pending beats unknown beats started. A renewal goes past_due on a decline
 * (dunning) or on a pending 3-D Secure that arrived before any definite answer; its invoice is
 * `requires_action` while that 3-D Secure is what it waits on, and back to `open` (next dunning
 * step) once it failed. A not_charged never touches the subscription. A first charge
 * (incomplete) stays incomplete until paid, its invoice open.
 */
function expectedEnd(kind: Kind, reports: Reported[]): EndState {
  if (reports.includes('succeeded')) return { attempt: 'succeeded', invoice: 'paid', subscription: 'active' };
  // Reports that take effect, in order: not_charged after a pending is refused by the CAS.
  const effective: Reported[] = [];
  for (const r of reports) {
    if (r === 'not_charged' && effective.includes('pending')) continue;
    effective.push(r);
  }
  const firstDefinite = effective.find((r) => r === 'failed' || r === 'not_charged');
  const definiteAt = firstDefinite === undefined ? effective.length : effective.indexOf(firstDefinite);
  const pendingBeforeDefinite = effective.slice(0, definiteAt).includes('pending');
  const attempt =
    firstDefinite ??
    (effective.includes('pending') ? 'pending' : effective.includes('unknown') ? 'unknown' : 'started');
  if (kind === 'first') return { attempt, invoice: 'open', subscription: 'incomplete' };
  const pastDue = firstDefinite === 'failed' || pendingBeforeDefinite;
  const invoice = attempt === 'pending' ? 'requires_action' : 'open';
  return { attempt, invoice, subscription: pastDue ? 'past_due' : 'active' };
}

describe('applyOutcome (real, on Postgres) converges for any order of reports', () => {
  let t: { database: Database; drop(): Promise<void> };
  let planId = '';
  let customerId = '';
  let paymentMethodId = '';
  const now = new Date('2027-03-01T00:00:00Z');

  beforeAll(async () => {
    t = await createTestDatabase();
    const db = t.database.db;
    planId = newId('plan');
    customerId = newId('cust');
    paymentMethodId = newId('card');
    await db.insert(plans).values({
      id: planId,
      code: 'p',
      version: 1,
      name: 'P',
      amount: 1999,
      currency: 'USD',
      interval: 'month',
      intervalCount: 1,
    });
    await db.insert(customers).values({
      id: customerId,
      email: 'a@example.com',
      firstName: 'A',
      lastName: 'B',
      asiabillCustomerId: `cus_${customerId}`,
    });
    await db.insert(paymentMethods).values({
      id: paymentMethodId,
      customerId,
      asiabillPaymentMethodId: `pm_${paymentMethodId}`,
      brand: 'visa',
      last4: '4242',
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** A fresh chain: a subscription in its first period (incomplete) or a later one (active), an open invoice, a started attempt. */
  async function chain(kind: Kind): Promise<{ subscriptionId: string; invoiceId: string; attemptId: string }> {
    const db = t.database.db;
    const subscriptionId = newId('sub');
    const invoiceId = newId('inv');
    const attemptId = newId('att');
    const start = new Date('2027-02-01T00:00:00Z');
    await db.insert(subscriptions).values({
      id: subscriptionId,
      customerId,
      planId,
      paymentMethodId,
      status: kind === 'first' ? 'incomplete' : 'active',
      timeZone: 'UTC',
      anchor: kind === 'first' ? start : new Date('2027-01-01T00:00:00Z'),
      interval: 'month',
      intervalCount: 1,
      amount: 1999,
      currency: 'USD',
      currentPeriodIndex: kind === 'first' ? 0 : 1,
      currentPeriodStart: start,
      currentPeriodEnd: new Date('2027-03-01T00:00:00Z'),
      nextRenewalAt: null,
      createdAt: start,
      updatedAt: start,
    });
    await db.insert(invoices).values({
      id: invoiceId,
      subscriptionId,
      periodIndex: kind === 'first' ? 0 : 1,
      periodStart: start,
      periodEnd: new Date('2027-03-01T00:00:00Z'),
      amount: 1999,
      currency: 'USD',
      status: 'open',
      attemptCount: 1,
      createdAt: start,
    });
    await db.insert(chargeAttempts).values({
      id: attemptId,
      invoiceId,
      attemptNo: 1,
      orderNo: `${invoiceId}-1`,
      tokenType: kind === 'first' ? 'InitRecurring' : 'Recurring',
      amount: 1999,
      currency: 'USD',
      status: 'started',
      requestTime: start,
      createdAt: start,
    });
    return { subscriptionId, invoiceId, attemptId };
  }

  async function endState(c: { subscriptionId: string; invoiceId: string; attemptId: string }): Promise<EndState> {
    const db = t.database.db;
    const [a] = await db.select().from(chargeAttempts).where(eq(chargeAttempts.id, c.attemptId));
    const [i] = await db.select().from(invoices).where(eq(invoices.id, c.invoiceId));
    const [s] = await db.select().from(subscriptions).where(eq(subscriptions.id, c.subscriptionId));
    return { attempt: a!.status, invoice: i!.status, subscription: s!.status };
  }

  const countEvents = async (subjectId: string, type: string): Promise<number> =>
    (
      await t.database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(events)
        .where(and(eq(events.subjectId, subjectId), eq(events.type, type)))
    )[0]?.n ?? -1;

  /** Applies the reports one transaction each, checking `applied` against the row itself. */
  async function deliver(c: { attemptId: string }, reports: Reported[]): Promise<void> {
    for (const r of reports) {
      const before = (await t.database.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, c.attemptId)))[0]!
        .status;
      const result = await t.database.db.transaction((tx) =>
        applyOutcome(tx, c.attemptId, OUTCOMES[r], now, 'notification'),
      );
      const after = (await t.database.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, c.attemptId)))[0]!
        .status;
      expect(result?.applied).toBe(before !== after);
    }
  }

  it('hand-picked sequences end where the rules say', async () => {
    const cases: Array<[Kind, Reported[], EndState]> = [
      ['renewal', ['failed', 'succeeded'], { attempt: 'succeeded', invoice: 'paid', subscription: 'active' }],
      [
        'renewal',
        ['succeeded', 'failed', 'pending'],
        { attempt: 'succeeded', invoice: 'paid', subscription: 'active' },
      ],
      ['renewal', ['pending', 'unknown'], { attempt: 'pending', invoice: 'requires_action', subscription: 'past_due' }],
      // The reconciler's not_charged never overrides a pending the gateway reported (issue 8's race).
      [
        'renewal',
        ['pending', 'not_charged'],
        { attempt: 'pending', invoice: 'requires_action', subscription: 'past_due' },
      ],
      [
        'renewal',
        ['unknown', 'not_charged', 'failed'],
        { attempt: 'not_charged', invoice: 'open', subscription: 'active' },
      ],
      ['renewal', ['unknown', 'unknown'], { attempt: 'unknown', invoice: 'open', subscription: 'active' }],
      ['first', ['failed', 'pending'], { attempt: 'failed', invoice: 'open', subscription: 'incomplete' }],
      ['first', ['pending', 'succeeded'], { attempt: 'succeeded', invoice: 'paid', subscription: 'active' }],
    ];
    for (const [kind, reports, want] of cases) {
      // The spec function agrees with the hand-written answers before it is trusted below.
      expect(expectedEnd(kind, reports)).toEqual(want);
      const c = await chain(kind);
      await deliver(c, reports);
      expect(await endState(c), `${kind}: ${reports.join(', ')}`).toEqual(want);
    }
  });

  // Each run is ~two dozen real transactions: allow for a loaded machine.
  it('any sequence, duplicated and in two orders, ends in the specified state; success and payment are recorded once', {
    timeout: 180_000,
  }, async () => {
    let withSuccess = 0;
    let withoutSuccess = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Kind>('renewal', 'first'),
        fc.array(fc.constantFrom<Reported>('pending', 'failed', 'succeeded', 'unknown', 'not_charged'), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        async (kind, reports, duplicate) => {
          const order = duplicate ? [...reports, ...reports] : reports;
          const reversed = [...order].reverse();
          const a = await chain(kind);
          const b = await chain(kind);
          await deliver(a, order);
          await deliver(b, reversed);
          const endA = await endState(a);
          const endB = await endState(b);
          expect(endA).toEqual(expectedEnd(kind, order));
          expect(endB).toEqual(expectedEnd(kind, reversed));
          if (reports.includes('succeeded')) {
            withSuccess += 1;
            expect(endA).toEqual(endB);
            for (const c of [a, b]) {
              expect(await countEvents(c.attemptId, 'charge.succeeded')).toBe(1);
              expect(await countEvents(c.invoiceId, 'invoice.paid')).toBe(1);
            }
          } else {
            withoutSuccess += 1;
            for (const c of [a, b]) {
              expect(await countEvents(c.attemptId, 'charge.succeeded')).toBe(0);
              expect(await countEvents(c.invoiceId, 'invoice.paid')).toBe(0);
            }
          }
          // A status is entered at most once, however often it is reported.
          for (const c of [a, b]) {
            for (const type of ['charge.failed', 'charge.pending', 'charge.unknown_outcome', 'charge.not_charged']) {
              expect(await countEvents(c.attemptId, type)).toBeLessThanOrEqual(1);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
    // Both kinds of sequence were really exercised.
    expect(withSuccess).toBeGreaterThan(15);
    expect(withoutSuccess).toBeGreaterThan(15);
  });
});
