import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { asc, eq } from 'drizzle-orm';
import { events, webhookDeliveries } from '../../src/db/schema.ts';
import { addEndpoint } from '../../src/events/endpoints.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../support/engine.ts';
import { startWebhookReceiver } from '../support/webhookReceiver.ts';

/**
 * No event is lost when the delivery worker dies: a real `workers/events.ts` process is
 * SIGKILLed while a POST is in flight and retries are pending, billing goes on without it
 * (a renewal happens while no delivery worker runs), and a new worker process finishes the
 * job. The receiver refuses the first tries of every event and, on the kill, holds an answer.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function spawnEventsWorker(t: TestEngine): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/events.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      DATABASE_URL: t.dbUrl,
      REDIS_URL,
      BILLING_QUEUE_PREFIX: t.prefix,
      BILLING_CLOCK: 'test',
      BILLING_WEBHOOK_SCAN_INTERVAL_MS: '200',
      BILLING_WEBHOOK_RETRY_BASE_MS: '100',
      BILLING_WEBHOOK_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

describe('webhook delivery survives a killed worker', () => {
  it('every event reaches the receiver, exactly once by id, though the worker is SIGKILLed mid-post', async () => {
    const t = await startTestEngine({ start: '2027-03-10T08:00:00Z', parts: { events: false } });
    cleanups.push(() => t.stop());
    let hold = true;
    let held = 0;
    let heldId = '';
    const receiver = await startWebhookReceiver((r) => {
      if (r.priorTries < 2) return { status: 503 };
      // The first accepted try of the first event to get there: answer late, so the worker is
      // killed with this POST in flight (the receiver processed it; the worker never hears so).
      if (hold) {
        hold = false;
        held += 1;
        heldId = r.id;
        return { status: 200, delayMs: 1500 };
      }
      return { status: 200 };
    });
    cleanups.push(() => receiver.close());
    const { secret } = await addEndpoint(t.ctx, { url: receiver.url });
    receiver.setSecret(secret);

    const plan = await makePlan(t.ctx);
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push((await subscribe(t.ctx, plan, CARDS.success)).subscriptionId);
    expect(subs).toHaveLength(3);

    const first = spawnEventsWorker(t);
    await until('a POST held in flight', () => held === 1, 30_000);
    first.kill('SIGKILL');
    await new Promise<void>((resolve) => first.once('exit', () => resolve()));
    expect(first.signalCode).toBe('SIGKILL');
    const whenKilled = receiver.requests.length;

    // Billing does not wait for webhooks: a month of renewals with no delivery worker at all.
    await t.advanceTo('2027-04-11T00:00:00Z');
    const renewalsPaid = await t.ctx.db.select().from(events).where(eq(events.type, 'invoice.paid'));
    expect(renewalsPaid).toHaveLength(6);
    expect(receiver.requests.length).toBeLessThanOrEqual(whenKilled + 1); // at most the held answer

    spawnEventsWorker(t);
    const all = await t.ctx.db.select().from(events).orderBy(asc(events.seq));
    expect(all.length).toBeGreaterThan(20);
    const ids = all.map((e) => e.id);
    await until('every event processed by the receiver', () => ids.every((id) => receiver.processed.includes(id)));
    await until('every delivery recorded as delivered', async () => {
      const rows = await t.ctx.db.select().from(webhookDeliveries);
      return rows.length === ids.length && rows.every((d) => d.status === 'delivered');
    });

    // Exactly once by id: the receiver's processed set is the outbox, nothing missing or extra.
    expect([...receiver.processed].sort()).toEqual([...ids].sort());
    expect(new Set(receiver.processed).size).toBe(receiver.processed.length);
    // Every request was for a known event and signed; a redelivery carries the same id.
    expect(receiver.requests.every((q) => ids.includes(q.id) && q.verified.ok)).toBe(true);
    // The held event: processed when the worker died, so the new worker sent it again (its lease
    // ran out) — the same id, so the receiver's dedupe keeps it once.
    const heldAccepted = receiver.requests.filter((q) => q.id === heldId && q.status === 200);
    expect(heldAccepted.length).toBe(2);
    expect(receiver.processed.filter((id) => id === heldId)).toHaveLength(1);
    // Postgres: exactly one delivery per event, every one delivered.
    const rows = await t.ctx.db.select().from(webhookDeliveries);
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((d) => d.eventId)).size).toBe(ids.length);
  }, 300_000);
});
