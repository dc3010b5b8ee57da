/**
 * An `incomplete` subscription expires BILLING_INCOMPLETE_EXPIRY_HOURS after sign-up — but
 * never while its first charge's outcome is unknown: that charge may have gone through.
 * (Found by the fault suite: engine time jumped past the expiry before the reconciler ran.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { subscriptions, chargeAttempts, invoices } from '../../../src/db/schema.ts';
import { scanDueWork } from '../../../src/renewals/scan.ts';
import { reconcileOpenAttempts } from '../../../src/renewals/reconcile.ts';
import { setTestClock } from '../../../src/testClock/store.ts';
import { CARDS, makePlan, startTestEngine, subscribe, type TestEngine } from '../../support/engine.ts';

let t: TestEngine;
beforeAll(async () => {
  // No workers, no notifications: only the calls this test makes change anything.
  t = await startTestEngine({
    start: '2030-03-10T12:00:00Z',
    parts: { scheduler: false, charge: false },
    sandboxNotify: { delayMs: 600_000 },
  });
});
afterAll(async () => {
  await t.stop();
});

const scan = (now: Date) => scanDueWork({ db: t.ctx.db, enqueueCharge: async () => {}, batchSize: 100 }, now);
const statusOf = async (id: string) =>
  (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]?.status;

it('a first charge with a lost answer holds the expiry until the reconciler settles it', async () => {
  const plan = await makePlan(t.ctx);
  // The gateway records the charge, then the connection drops: the outcome is unknown.
  const r = await subscribe(t.ctx, plan, CARDS.noResponse);
  expect(await statusOf(r.subscriptionId)).toBe('incomplete');
  const attempts = await t.ctx.db
    .select({ status: chargeAttempts.status })
    .from(chargeAttempts)
    .innerJoin(invoices, eq(invoices.id, chargeAttempts.invoiceId))
    .where(eq(invoices.subscriptionId, r.subscriptionId));
  expect(attempts.map((a) => a.status)).toEqual(['unknown']);

  // Two days later (the expiry is 23 h): the scan must not expire it.
  const later = new Date('2030-03-12T12:00:00Z');
  await setTestClock(t.ctx.db, later);
  await scan(later);
  expect(await statusOf(r.subscriptionId)).toBe('incomplete');

  // The reconciler finds the charge at the gateway: the subscription is active, not expired.
  await reconcileOpenAttempts(t.ctx);
  expect(await statusOf(r.subscriptionId)).toBe('active');
  await scan(later);
  expect(await statusOf(r.subscriptionId)).toBe('active');
});

it('a declined first charge (definite outcome) still expires on time', async () => {
  const plan = await makePlan(t.ctx);
  const r = await subscribe(t.ctx, plan, CARDS.softDecline);
  expect(await statusOf(r.subscriptionId)).toBe('incomplete');
  const later = new Date('2030-03-20T12:00:00Z');
  await setTestClock(t.ctx.db, later);
  await scan(later);
  expect(await statusOf(r.subscriptionId)).toBe('incomplete_expired');
});
