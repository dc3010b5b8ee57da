import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../../src/db/schema.ts';
import { verifySignature } from '../../../src/events/signature.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhookReceiver.ts';
import { runCliIn, expectBadInput } from '../cli/cliRun.ts';

/**
 * Merchant webhooks end to end, in one process: endpoints registered with the CLI, events
 * posted by the engine's delivery worker to a receiver that refuses the first two tries of
 * every event, signatures checked with the function merchants use, a replay keeping its id.
 */
const FAILED_TRIES = 2;

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('merchant webhooks', () => {
  let t: TestEngine;
  let receiver: WebhookReceiver;
  let env: NodeJS.ProcessEnv;
  let endpointId = '';
  let subscriptionId = '';

  beforeAll(async () => {
    t = await startTestEngine({
      start: '2027-01-15T10:00:00Z',
      parts: { events: true },
      env: {
        BILLING_WEBHOOK_SCAN_INTERVAL_MS: '150',
        BILLING_WEBHOOK_RETRY_BASE_MS: '100',
        BILLING_WEBHOOK_TIMEOUT_MS: '2000',
      },
    });
    receiver = await startWebhookReceiver((r) => ({ status: r.priorTries < FAILED_TRIES ? 500 : 200 }));
    env = { DATABASE_URL: t.dbUrl, LOG_LEVEL: 'silent', BILLING_CLOCK: 'test' };
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });

  it('registers an endpoint and prints its secret once; bad input writes nothing', async () => {
    const bad = await runCliIn(env, ['webhook-endpoints', 'add', '--url', 'ftp://x.example/']);
    expectBadInput(bad, 'url');
    const add = await runCliIn(env, ['webhook-endpoints', 'add', '--url', receiver.url, '--json']);
    expect(add.code, add.err).toBe(0);
    const created = JSON.parse(add.out) as {
      id: string;
      secret: string;
      url: string;
      events: string[];
      status: string;
    };
    expect(created.id).toMatch(/^we_[0-9a-z]{16}$/);
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(created).toMatchObject({ url: receiver.url, events: ['*'], status: 'enabled' });
    endpointId = created.id;
    receiver.setSecret(created.secret);

    const list = await runCliIn(env, ['webhook-endpoints', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.out).not.toContain(created.secret);
    expect((JSON.parse(list.out) as Array<{ id: string }>).map((e) => e.id)).toEqual([endpointId]);
    const human = await runCliIn(env, ['webhook-endpoints', 'list']);
    expect(human.out).toContain(endpointId);
    expect(human.out).not.toContain('whsec_');
  });

  it('delivers every event once it is accepted, after the receiver refused the first tries, each signed', async () => {
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    subscriptionId = r.subscriptionId;
    await t.advanceTo('2027-02-16T00:00:00Z'); // one renewal

    const all = await t.ctx.db.select().from(events).orderBy(asc(events.seq));
    expect(all.length).toBeGreaterThan(8);
    const ids = all.map((e) => e.id);
    await until('every event acknowledged', () => ids.every((id) => receiver.processed.includes(id)));
    // The receiver processes before it answers; our record of the answer follows it.
    await until('every delivery recorded', async () =>
      (await t.ctx.db.select().from(webhookDeliveries)).every((d) => d.status === 'delivered'),
    );

    // Exactly once by id: nothing unknown, nothing twice, and every event had its failed tries first.
    expect([...receiver.processed].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const got = receiver.requests.filter((q) => q.id === id);
      expect(got.map((q) => q.status)).toEqual([500, 500, 200]);
    }
    // Checked here, not on arrival: the first try of webhook_endpoint.created can arrive before
    // the test has read the secret from the CLI's output.
    const secret = receiver.secret();
    expect(receiver.requests.every((q) => verifySignature(q.rawBody, q.signature, secret).ok)).toBe(true);

    // The body is { id, type, created, sequence, data } and sequence is the outbox order.
    for (const e of all) {
      const q = receiver.requests.find((x) => x.id === e.id && x.status === 200)!;
      const body = JSON.parse(q.rawBody) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['created', 'data', 'id', 'sequence', 'type']);
      expect(body).toMatchObject({
        id: e.id,
        type: e.type,
        sequence: e.seq,
        created: Math.floor(e.occurredAt.getTime() / 1000),
      });
      expect(body.data).toEqual(e.data);
      expect(verifySignature(q.rawBody, q.signature, 'whsec_wrong').ok).toBe(false);
    }

    // Postgres: one delivery per event, delivered, with its three attempts recorded.
    const deliveries = await t.ctx.db.select().from(webhookDeliveries);
    expect(deliveries).toHaveLength(all.length);
    expect(deliveries.every((d) => d.status === 'delivered' && d.attemptCount === 3)).toBe(true);
    const attempts = await t.ctx.db.select().from(webhookAttempts);
    expect(attempts).toHaveLength(all.length * 3);
    expect((await t.ctx.db.select().from(events)).every((e) => e.publishedAt !== null)).toBe(true);
  });

  it('sequence increases per subscription in the order the changes happened', async () => {
    const mine = await runCliIn(env, ['events', 'list', '--subscription', subscriptionId, '--json']);
    expect(mine.code, mine.err).toBe(0);
    const listed = JSON.parse(mine.out) as Array<{ id: string; type: string; sequence: number }>;
    const types = listed.map((e) => e.type);
    expect(types).toContain('subscription.created');
    expect(types).toContain('invoice.paid');
    expect(types).toContain('charge.succeeded');
    expect(types.filter((x) => x === 'invoice.created')).toHaveLength(2);
    // Newest first, so sequences strictly decrease down the list.
    const seqs = listed.map((e) => e.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    // And the receiver saw them in that order per subscription when it finally accepted them.
    const accepted = receiver.requests.filter((q) => q.status === 200 && listed.some((e) => e.id === q.id));
    expect(accepted).toHaveLength(listed.length);

    const byType = await runCliIn(env, ['events', 'list', '--type', 'invoice.*', '--json']);
    const invoiceEvents = JSON.parse(byType.out) as Array<{ type: string }>;
    expect(invoiceEvents.length).toBeGreaterThan(2);
    expect(invoiceEvents.every((e) => e.type.startsWith('invoice.'))).toBe(true);
  });

  it('events show lists the deliveries and their attempts; replay sends the same event id again', async () => {
    const [paid] = await t.ctx.db.select().from(events).where(eq(events.type, 'invoice.paid')).limit(1);
    expect(paid).toBeDefined();
    const shown = await runCliIn(env, ['events', 'show', paid!.id, '--json']);
    expect(shown.code, shown.err).toBe(0);
    const view = JSON.parse(shown.out) as {
      id: string;
      deliveries: Array<{ status: string; attempts: Array<{ statusCode: number }> }>;
    };
    expect(view.id).toBe(paid!.id);
    expect(view.deliveries).toHaveLength(1);
    expect(view.deliveries[0]!.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);

    const before = receiver.requests.filter((q) => q.id === paid!.id).length;
    const replay = await runCliIn(env, ['events', 'replay', paid!.id, '--endpoint', endpointId, '--json']);
    expect(replay.code, replay.err).toBe(0);
    await until('the replay', () => receiver.requests.filter((q) => q.id === paid!.id).length > before);
    const again = receiver.requests.filter((q) => q.id === paid!.id).at(-1)!;
    expect(again.id).toBe(paid!.id);
    expect(again.verified.ok).toBe(true);
    expect(JSON.parse(again.rawBody)).toEqual(
      JSON.parse(receiver.requests.find((q) => q.id === paid!.id && q.status === 200)!.rawBody),
    );
    expect(receiver.processed.filter((id) => id === paid!.id)).toHaveLength(1);

    const missing = await runCliIn(env, ['events', 'replay', 'evt_doesnotexist']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('not found');
  });

  it('rotate-secret signs with the new secret, and with the old one too until it expires', async () => {
    const oldSecret = receiver.secret();
    const rotated = await runCliIn(env, ['webhook-endpoints', 'rotate-secret', endpointId, '--json']);
    expect(rotated.code, rotated.err).toBe(0);
    const { secret, previousSecretExpiresAt } = JSON.parse(rotated.out) as {
      secret: string;
      previousSecretExpiresAt: string;
    };
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(secret).not.toBe(oldSecret);
    const overlapH = (new Date(previousSecretExpiresAt).getTime() - Date.now()) / 3600_000;
    expect(overlapH).toBeGreaterThan(23.9);
    expect(overlapH).toBeLessThanOrEqual(24);
    // The rotation itself is an event: delivered (after the receiver's two refusals) signed with both secrets.
    const [ev] = await t.ctx.db.select().from(events).where(eq(events.type, 'webhook_endpoint.secret_rotated'));
    await until('the rotation event', () => receiver.processed.includes(ev!.id));
    const signed = receiver.requests.filter((q) => q.id === ev!.id);
    expect(signed).toHaveLength(3);
    for (const q of signed) {
      expect(verifySignature(q.rawBody, q.signature, secret).ok).toBe(true);
      expect(verifySignature(q.rawBody, q.signature, oldSecret).ok).toBe(true);
      expect(q.signature!.match(/v1=/g)).toHaveLength(2);
    }

    // --expire-now: only the newest secret signs from here on.
    const again = await runCliIn(env, ['webhook-endpoints', 'rotate-secret', endpointId, '--expire-now', '--json']);
    expect(again.code, again.err).toBe(0);
    const newest = (JSON.parse(again.out) as { secret: string; previousSecretExpiresAt: null }).secret;
    expect(JSON.parse(again.out)).toMatchObject({ previousSecretExpiresAt: null });
    const rotations = await t.ctx.db.select().from(events).where(eq(events.type, 'webhook_endpoint.secret_rotated'));
    expect(rotations).toHaveLength(2);
    const second = rotations.find((r) => r.id !== ev!.id)!;
    await until('the second rotation event', () => receiver.processed.includes(second.id));
    for (const q of receiver.requests.filter((x) => x.id === second.id)) {
      expect(verifySignature(q.rawBody, q.signature, newest).ok).toBe(true);
      expect(verifySignature(q.rawBody, q.signature, secret).ok).toBe(false);
      expect(verifySignature(q.rawBody, q.signature, oldSecret).ok).toBe(false);
    }
  });

  it('disable stops deliveries and refuses a replay to it', async () => {
    const [ev] = await t.ctx.db.select().from(events).where(eq(events.type, 'webhook_endpoint.secret_rotated'));

    const disabled = await runCliIn(env, ['webhook-endpoints', 'disable', endpointId, '--json']);
    expect(disabled.code, disabled.err).toBe(0);
    expect(JSON.parse(disabled.out)).toMatchObject({ id: endpointId, status: 'disabled', disabledReason: 'requested' });
    const refused = await runCliIn(env, ['events', 'replay', ev!.id, '--endpoint', endpointId]);
    expectBadInput(refused, 'endpoint');
  });

  it('enable brings a disabled endpoint back; a bad --replay-since is exit 2 and changes nothing', async () => {
    const bad = await runCliIn(env, ['webhook-endpoints', 'enable', endpointId, '--replay-since', 'yesterday']);
    expectBadInput(bad, '--replay-since');
    const [still] = await t.ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    expect(still!.status).toBe('disabled');
    const missing = await runCliIn(env, ['webhook-endpoints', 'enable', 'we_nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('we_nope');

    const enabled = await runCliIn(env, ['webhook-endpoints', 'enable', endpointId, '--json']);
    expect(enabled.code, enabled.err).toBe(0);
    expect(JSON.parse(enabled.out)).toMatchObject({
      id: endpointId,
      status: 'enabled',
      disabledReason: null,
      replayed: 0,
    });
    const human = await runCliIn(env, ['webhook-endpoints', 'enable', endpointId]);
    expect(human.code, human.err).toBe(0);
    expect(human.out).toContain('the endpoint was already enabled');
    const evs = await t.ctx.db.select().from(events).where(eq(events.type, 'webhook_endpoint.enabled'));
    expect(evs).toHaveLength(1);
    expect(evs[0]!.data).toMatchObject({ previousReason: 'requested', replayed: 0 });
  });
});
