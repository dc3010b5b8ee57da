import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { spawn } from 'node:child_process';
import { chargeAttempts, invoices, subscriptions, events } from '../../src/db/schema.ts';
import { chargeInvoice } from '../../src/renewals/charge.ts';
import { reconcileOpenAttempts } from '../../src/renewals/reconcile.ts';
import { scanDueWork } from '../../src/renewals/scan.ts';
import { setTestClock } from '../../src/testClock/store.ts';
import { ManualClock } from '../../src/clock.ts';
import type { AsiabillGateway } from '../../src/asiabill/types.ts';
import {
  startTestEngine,
  makePlan,
  makeCustomerWithCard,
  subscribe,
  CARDS,
  DAY_MS,
  type TestEngine,
} from '../support/engine.ts';
import { createSubscription } from '../../src/subscriptions/create.ts';

/**
 * Invariant 1 — at most one successful charge per invoice — under lost responses, a crash
 * before the request went out, and many workers and schedulers racing on the same work.
 * The sandbox's ledger (what the "gateway" actually charged) is the judge.
 */
const START = '2027-05-31T08:00:00Z';

describe('never charge twice', () => {
  let t: TestEngine;
  // Notifications are held back (long delay) so these tests exercise the reconciler's
  // transaction search, not the notification path.
  beforeAll(async () => {
    t = await startTestEngine({
      start: START,
      sandboxNotify: { delayMs: 600_000 },
      env: { BILLING_SCAN_INTERVAL_MS: '3600000' },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const ledgerFor = (orderPrefix: string) =>
    t.engine.sandbox!.ledger().filter((l) => l.orderNo.startsWith(orderPrefix));
  const attemptsOfInvoice = (invoiceId: string) =>
    t.ctx.db
      .select()
      .from(chargeAttempts)
      .where(eq(chargeAttempts.invoiceId, invoiceId))
      .orderBy(chargeAttempts.attemptNo);

  it('a dropped confirmCharge response is an unknown outcome, reconciled through transaction search, never re-charged', async () => {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.noResponse);
    expect(r.charge?.kind === 'attempted' && r.charge.status).toBe('unknown');
    expect(r.status).toBe('incomplete');
    // While unknown, no new attempt may be made — not by a job, not by a scan.
    expect(await chargeInvoice(t.ctx, r.invoiceId!)).toEqual({ kind: 'skipped', reason: 'not_due' });
    const rep = await reconcileOpenAttempts(t.ctx);
    expect(rep.resolved).toBeGreaterThanOrEqual(1);
    const atts = await attemptsOfInvoice(r.invoiceId!);
    expect(atts.map((a) => a.status)).toEqual(['succeeded']);
    expect((await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]?.status).toBe(
      'active',
    );
    expect(ledgerFor(r.invoiceId!).filter((l) => l.status === 'success')).toHaveLength(1);
    const ev = await t.ctx.db.select().from(events).where(eq(events.subjectId, atts[0]!.id));
    expect(ev.map((e) => [e.type, (e.data as { source?: string }).source])).toContainEqual([
      'charge.succeeded',
      'reconcile',
    ]);

    // The renewal drops too: the clock driver waits for reconciliation, and still one charge per period.
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;
    await t.advanceTo(new Date(s.currentPeriodEnd.getTime() + DAY_MS));
    const ledger = t.engine.sandbox!.ledger().filter((l) => l.remark?.includes(r.subscriptionId));
    expect(ledger.map((l) => `${l.tokenType}:${l.status}`)).toEqual(['InitRecurring:success', 'Recurring:success']);
  });

  it('a worker that died before its request left: not charged until AsiaBill provably cannot accept it, then one new attempt', async () => {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;
    // Renewal invoice via the scan, at the period end; the "worker" dies inside confirmCharge.
    await setTestClock(t.ctx.db, s.currentPeriodEnd);
    const realGateway = t.ctx.gateway;
    const dying: AsiabillGateway = {
      ...bind(realGateway),
      confirmCharge: async () => {
        throw new Error('SIGKILL');
      },
    };
    const ctx = { ...t.ctx, gateway: dying };
    await scanDueWork({ db: t.ctx.db, enqueueCharge: async () => {}, batchSize: 100 }, s.currentPeriodEnd);
    const inv = (
      await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, s.id)).orderBy(invoices.periodIndex)
    )[1]!;
    await expect(chargeInvoice(ctx, inv.id)).rejects.toThrow('SIGKILL');
    expect((await attemptsOfInvoice(inv.id)).map((a) => a.status)).toEqual(['started']);

    // Within the 10-minute request window the gateway could still accept it: stay open.
    const wall = new ManualClock(new Date(Date.now() + 60_000));
    expect((await reconcileOpenAttempts({ ...t.ctx, wall })).notCharged).toBe(0);
    expect(await chargeInvoice(t.ctx, inv.id)).toEqual({ kind: 'skipped', reason: 'not_due' });
    // Past the window + margin and unknown to AsiaBill: provably not charged, retry at once.
    wall.set(new Date(Date.now() + 13 * 60_000));
    expect((await reconcileOpenAttempts({ ...t.ctx, wall })).notCharged).toBe(1);
    const again = await chargeInvoice(t.ctx, inv.id);
    expect(again.kind === 'attempted' && again.status).toBe('succeeded');
    const atts = await attemptsOfInvoice(inv.id);
    expect(atts.map((a) => [a.attemptNo, a.status])).toEqual([
      [1, 'not_charged'],
      [2, 'succeeded'],
    ]);
    expect(new Set(atts.map((a) => a.orderNo)).size).toBe(2);
    expect(ledgerFor(inv.id).map((l) => l.status)).toEqual(['success']);
  });

  it('a generic system error on confirmCharge (S0001) is treated as unknown and reconciled, not as a decline', async () => {
    const plan = await makePlan(t.ctx);
    const { customerId, paymentMethodId } = await makeCustomerWithCard(t.ctx, CARDS.success);
    t.engine.sandbox!.setKnobs({ failNextRequestsWith: 'S0001', failNextRequests: 1 });
    const r = await createSubscription(t.ctx, { customerId, planCode: plan, paymentMethodId });
    expect(r.charge?.kind === 'attempted' && r.charge.status).toBe('unknown');
    // The gateway never saw it: once the request window has passed it is provably not charged.
    const wall = new ManualClock(new Date(Date.now() + 13 * 60_000));
    expect((await reconcileOpenAttempts({ ...t.ctx, wall })).notCharged).toBe(1);
    const again = await chargeInvoice(t.ctx, r.invoiceId!);
    expect(again.kind === 'attempted' && again.status).toBe('succeeded');
    expect(ledgerFor(r.invoiceId!).map((l) => l.status)).toEqual(['success']);
  });

  it('twenty workers racing on one due invoice make exactly one attempt; four schedulers make one invoice per period', async () => {
    const plan = await makePlan(t.ctx);
    const subs = await Promise.all(Array.from({ length: 5 }, () => subscribe(t.ctx, plan, CARDS.success)));
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, subs[0]!.subscriptionId)))[0]!;
    const at = new Date(s.currentPeriodEnd.getTime() + 60_000);
    await setTestClock(t.ctx.db, at);
    const enqueued: string[] = [];
    const scans = await Promise.all(
      Array.from({ length: 4 }, () =>
        scanDueWork(
          {
            db: t.ctx.db,
            enqueueCharge: async (j) => {
              enqueued.push(j.invoiceId);
            },
            batchSize: 2,
          },
          at,
        ),
      ),
    );
    expect(scans.reduce((a, r) => a + r.renewed, 0)).toBeGreaterThanOrEqual(5);
    for (const x of subs) {
      const n = await t.ctx.db
        .select({ n: sql<number>`count(*)::int` })
        .from(invoices)
        .where(eq(invoices.subscriptionId, x.subscriptionId));
      expect(n[0]?.n).toBe(2);
    }
    // The five renewal invoices were created and enqueued (other tests' due work may be
    // enqueued too); the race is on exactly these, so its checks cannot pass on nothing.
    const invs = (
      await t.ctx.db
        .select()
        .from(invoices)
        .where(
          and(
            inArray(
              invoices.subscriptionId,
              subs.map((x) => x.subscriptionId),
            ),
            eq(invoices.periodIndex, 1),
          ),
        )
    ).map((i) => i.id);
    expect(invs).toHaveLength(5);
    for (const id of invs) expect(enqueued).toContain(id);
    const results = await Promise.all(invs.flatMap((id) => Array.from({ length: 20 }, () => chargeInvoice(t.ctx, id))));
    expect(results.filter((r) => r.kind === 'attempted')).toHaveLength(invs.length);
    for (const id of invs) expect(ledgerFor(id)).toHaveLength(1);
    expect(results).toHaveLength(100);
  });

  it('three worker processes racing on the same due invoices make exactly one attempt each', {
    timeout: 120_000,
  }, async () => {
    const plan = await makePlan(t.ctx);
    const subs = await Promise.all(Array.from({ length: 3 }, () => subscribe(t.ctx, plan, CARDS.success)));
    const rows = await t.ctx.db
      .select()
      .from(subscriptions)
      .where(
        inArray(
          subscriptions.id,
          subs.map((x) => x.subscriptionId),
        ),
      );
    const at = new Date(Math.max(...rows.map((r) => r.currentPeriodEnd.getTime())) + 60_000);
    await setTestClock(t.ctx.db, at);
    await scanDueWork({ db: t.ctx.db, enqueueCharge: async () => {}, batchSize: 100 }, at);
    const invs = (
      await t.ctx.db
        .select()
        .from(invoices)
        .where(
          and(
            inArray(
              invoices.subscriptionId,
              subs.map((x) => x.subscriptionId),
            ),
            eq(invoices.periodIndex, 1),
          ),
        )
    ).map((i) => i.id);
    expect(invs).toHaveLength(3);

    const gateway = t.config.gateway;
    const children = Array.from({ length: 3 }, () =>
      spawn(process.execPath, ['--import', 'tsx', 'test/support/chargeRaceWorker.ts', ...invs], {
        cwd: process.cwd(),
        env: {
          ...process.env,
          DATABASE_URL: t.dbUrl,
          BILLING_QUEUE_PREFIX: t.prefix,
          BILLING_CLOCK: 'test',
          LOG_LEVEL: 'silent',
          RACE_CALLS: '5',
          ASIABILL_PAYMENT_URL: t.engine.sandbox!.paymentUrl,
          ASIABILL_OPENAPI_URL: t.engine.sandbox!.openapiUrl,
          ASIABILL_GATEWAY_NO: gateway.gatewayNo,
          ASIABILL_SIGN_KEY: gateway.signKey,
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    try {
      const lines = children.map((c) => {
        const got: string[] = [];
        let buf = '';
        c.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            got.push(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
            nl = buf.indexOf('\n');
          }
        });
        return got;
      });
      const waitFor = async (what: string, ok: () => boolean) => {
        const deadline = Date.now() + 100_000;
        while (!ok()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await waitFor('every process to be ready', () => lines.every((l) => l[0] === 'ready'));
      for (const c of children) c.stdin.write('go\n');
      await waitFor('every process to report', () => lines.every((l) => l.length >= 2));
      const results = lines.flatMap(
        (l) => JSON.parse(l[1]!) as Array<{ invoiceId: string; kind: string; detail: string; info?: string }>,
      );
      expect(results).toHaveLength(3 * 5 * invs.length);
      // No process failed; each invoice got exactly one attempt, every other call stood down.
      expect(results.filter((r) => r.kind === 'error')).toEqual([]);
      for (const id of invs) {
        const mine = results.filter((r) => r.invoiceId === id);
        expect(mine.filter((r) => r.kind === 'attempted').map((r) => `${r.detail}: ${r.info ?? ''}`)).toEqual([
          'succeeded: Transaction Approved',
        ]);
        expect(new Set(mine.filter((r) => r.kind === 'skipped').map((r) => r.detail))).toSatisfy((s: Set<string>) =>
          [...s].every((d) => ['in_flight', 'not_due', 'invoice_not_open'].includes(d)),
        );
        expect((await attemptsOfInvoice(id)).map((a) => [a.attemptNo, a.status])).toEqual([[1, 'succeeded']]);
        expect(ledgerFor(id)).toHaveLength(1);
      }
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    }
  });
});

/** The gateway's methods bound to it, so one can be replaced in a spread copy. */
function bind(g: AsiabillGateway): AsiabillGateway {
  return {
    confirmCharge: g.confirmCharge.bind(g),
    searchTransactions: g.searchTransactions.bind(g),
    createCustomer: g.createCustomer.bind(g),
    createPaymentMethod: g.createPaymentMethod.bind(g),
    getPaymentMethod: g.getPaymentMethod.bind(g),
    refund: g.refund.bind(g),
    refundStatus: g.refundStatus.bind(g),
    updateCustomer: g.updateCustomer.bind(g),
    deleteCustomer: g.deleteCustomer.bind(g),
    detachPaymentMethod: g.detachPaymentMethod.bind(g),
  };
}
