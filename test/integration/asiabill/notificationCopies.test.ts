/**
 * The sandbox's `copies` / `jitterMs` / `lateShare` / `seed` notification knobs (what the fault
 * suite uses for "every notification delivered 0–3 times, out of order, late"), against a real
 * local receiver: each notification arrives exactly as many times as the seeded draw says, the
 * draw replays with its seed, parked late copies arrive only when released, jitter reorders.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import type { SandboxOptions } from '../../../src/sandbox/types.ts';
import { parseKnobs } from '../../../src/sandbox/knobs.ts';
import { verifyNotification } from '../../../src/asiabill/notifications.ts';
import { billingDetail, card, CARDS, chargeRequest, clientFor, startReceiver, type Receiver } from './support.ts';

let receiver: Receiver;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  for (const s of sandboxes) await s.close();
  await receiver.close();
});

async function sandboxWith(notify: SandboxOptions['notify']): Promise<Sandbox> {
  const s = await startSandbox({ port: 0, notify: { delayMs: 5, retryScheduleMs: [40, 40], ...notify } });
  sandboxes.push(s);
  return s;
}

/** n successful charges, each notifying the receiver; their orderNos in order. */
async function charge(sandbox: Sandbox, n: number): Promise<string[]> {
  const client = clientFor(sandbox);
  const orders: string[] = [];
  for (let i = 0; i < n; i++) {
    const req = chargeRequest({
      customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) },
      callbackUrl: receiver.url,
    });
    await client.confirmCharge(req);
    orders.push(req.orderNo);
  }
  return orders;
}

/** orderNo → how many verified notifications the receiver got for it, from `since` on. */
function receivedPerOrder(sandbox: Sandbox, since: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of receiver.received.slice(since)) {
    const n = verifyNotification({
      headers: r.headers,
      rawBody: r.rawBody,
      signKey: sandbox.signKey,
      gatewayNo: sandbox.gatewayNo,
    });
    const orderNo = String(n.data.orderNo);
    out.set(orderNo, (out.get(orderNo) ?? 0) + 1);
  }
  return out;
}

describe('notification copies', () => {
  it('delivers each notification a seeded 0–3 times, exactly as counted, and the seed replays the draw', async () => {
    const since = receiver.received.length;
    const sandbox = await sandboxWith({ copies: { min: 0, max: 3 }, seed: 42 });
    const orders = await charge(sandbox, 40);
    await sandbox.flushNotifications();
    await vi.waitFor(() => expect(sandbox.pendingNotifications()).toBe(0), { timeout: 5_000 });

    const stats = sandbox.notificationStats();
    // 40 draws from 0..3: every count occurs (a knob stuck on one value fails here).
    expect(stats.planned).toHaveLength(4);
    for (const k of [0, 1, 2, 3]) expect(stats.planned[k], `notifications with ${k} copies`).toBeGreaterThan(0);
    expect(stats.planned.reduce((a, b) => a + b, 0)).toBe(40);
    expect(stats.delivered).toEqual(stats.planned);

    // What the receiver actually got agrees with the counts, order by order.
    const counts = (sb: Sandbox, from: number, os: string[]) => {
      const got = receivedPerOrder(sb, from);
      return os.map((o) => got.get(o) ?? 0);
    };
    const first = counts(sandbox, since, orders);
    expect([0, 1, 2, 3].map((k) => first.filter((c) => c === k).length)).toEqual(stats.planned);

    // Same seed, same draw, charge by charge (with an unseeded draw: 4^-40 to agree).
    const againSince = receiver.received.length;
    const again = await sandboxWith({ copies: { min: 0, max: 3 }, seed: 42 });
    const againOrders = await charge(again, 40);
    await again.flushNotifications();
    await vi.waitFor(() => expect(again.pendingNotifications()).toBe(0), { timeout: 5_000 });
    expect(counts(again, againSince, againOrders)).toEqual(first);
  });

  it('copies {min: 0, max: 0} never notifies; setting copies overrides duplicate, null restores it', async () => {
    const since = receiver.received.length;
    const sandbox = await sandboxWith({ copies: { min: 0, max: 0 }, duplicate: true });
    await charge(sandbox, 5);
    await sandbox.flushNotifications();
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received.length - since).toBe(0);
    expect(sandbox.notificationStats().planned).toEqual([5]);

    sandbox.setKnobs({ copies: null });
    await charge(sandbox, 3);
    await sandbox.flushNotifications();
    await vi.waitFor(() => expect(receiver.received.length - since).toBe(6));
    expect(sandbox.notificationStats().planned).toEqual([5, 0, 3]);
  });

  it('late copies are parked until released, then arrive (freshly signed); flush does not wait for them', async () => {
    const since = receiver.received.length;
    const sandbox = await sandboxWith({ copies: { min: 1, max: 1 }, lateShare: 0.5, seed: 7 });
    const orders = await charge(sandbox, 20);
    await sandbox.flushNotifications();
    await new Promise((r) => setTimeout(r, 200));
    const { late } = sandbox.notificationStats();
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(20);
    expect(receiver.received.length - since).toBe(20 - late);
    expect(sandbox.pendingNotifications()).toBe(late);

    const early = new Set(receivedPerOrder(sandbox, since).keys());
    const releasedAt = Date.now();
    expect(sandbox.releaseLateNotifications()).toBe(late);
    await vi.waitFor(() => expect(receiver.received.length - since).toBe(20), { timeout: 5_000 });
    // Every order now notified exactly once; the late ones signed at release time, not at charge time.
    const got = receivedPerOrder(sandbox, since);
    expect(orders.every((o) => got.get(o) === 1)).toBe(true);
    for (const r of receiver.received.slice(since + 20 - late)) {
      expect(early.has(String(JSON.parse(r.rawBody).data.orderNo))).toBe(false);
      expect(Number(r.headers['request-time'])).toBeGreaterThanOrEqual(releasedAt - 5);
    }
    expect(sandbox.notificationStats()).toMatchObject({ late, lateReleased: late, delivered: [0, 20] });
    expect(sandbox.releaseLateNotifications()).toBe(0);
  });

  it('jitter delivers notifications out of the order they were made', async () => {
    const since = receiver.received.length;
    const sandbox = await sandboxWith({ jitterMs: 300, seed: 3 });
    const orders = await charge(sandbox, 15);
    await sandbox.flushNotifications();
    await vi.waitFor(() => expect(receiver.received.length - since).toBe(15), { timeout: 5_000 });
    const arrived = receiver.received.slice(since).map((r) => String(JSON.parse(r.rawBody).data.orderNo));
    expect([...arrived].sort()).toEqual([...orders].sort());
    expect(arrived).not.toEqual(orders);
  });

  it('the HTTP knob endpoint accepts the new knobs and refuses bad ones', () => {
    expect(parseKnobs({ copies: { min: 0, max: 3 }, jitterMs: 10, lateShare: 0.25, seed: 9 })).toEqual({
      copies: { min: 0, max: 3 },
      jitterMs: 10,
      lateShare: 0.25,
      seed: 9,
    });
    expect(parseKnobs({ copies: null })).toEqual({ copies: null });
    for (const bad of [
      { copies: { min: 3, max: 1 } },
      { copies: { min: -1, max: 1 } },
      { copies: { min: 0, max: 11 } },
      { copies: { min: 0, max: 1.5 } },
      { copies: { min: 0, max: 1, extra: 1 } },
      { copies: 2 },
      { lateShare: 1.5 },
      { jitterMs: -5 },
      { seed: 'x' },
    ])
      expect(() => parseKnobs(bad), JSON.stringify(bad)).toThrow(/bad knob/);
  });
});
