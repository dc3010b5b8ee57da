/**
 * The fault scenarios. Each builds its own world (database, queue prefix, sandbox, engine
 * processes), renews subscriptions on the test clock while injecting one family of faults,
 * then settles and measures the invariants against the sandbox's ledger. Every figure in the
 * table comes from the run; a scenario never adjusts its expectations to what it observed.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createCustomer } from '../../../src/customers/customers.ts';
import { addCardPaymentMethod } from '../../../src/customers/paymentMethods.ts';
import { createPlan } from '../../../src/catalog/plans.ts';
import { createSubscription } from '../../../src/subscriptions/create.ts';
import { advanceTestClock, WaitTimeoutError } from '../../../src/testClock/advance.ts';
import { readTestClock, setTestClock } from '../../../src/testClock/store.ts';
import { reconcileOpenAttempts, REQUEST_WINDOW_MS, RECONCILE_MARGIN_MS } from '../../../src/renewals/reconcile.ts';
import { deleteQueueKeys } from '../../../src/queue/cleanup.ts';
import { runCli } from '../../../src/cli/main.ts';
import { signNotification } from '../../../src/asiabill/notifications.ts';
import { checkInvariants, findCardNumbers, type Figures } from './checks.ts';
import { readLog, REDIS_URL, seeded, startWorld, waitHttpReady, type World } from './harness.ts';

export type Scale = 'core' | 'full' | 'soak';

export interface Row extends Figures {
  scenario: string;
  faults: string;
  /** Seconds from the last injected fault until nothing was due or unresolved. */
  recoverSeconds: number;
}

const DAY = 24 * 3600 * 1000;
const SUCCESS = '4242424242424242';
/** Charge recorded and notified by the gateway, but the connection drops before the answer. */
const NO_RESPONSE = '4000000000000119';
const CARDS = [SUCCESS, NO_RESPONSE];
const START = '2031-01-05T08:00:00Z';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** N customers with cards and monthly subscriptions anchored at START; ~5% on the no-response card. */
async function populate(world: World, n: number, rnd: () => number): Promise<void> {
  await createPlan(world.ctx, {
    code: 'monthly',
    name: 'Monthly',
    amount: '12.50',
    currency: 'USD',
    interval: 'month',
  });
  const one = async (i: number) => {
    const card = rnd() < 0.05 ? NO_RESPONSE : SUCCESS;
    const c = await createCustomer(world.ctx, { email: `f${i}@example.com`, firstName: 'Fault', lastName: `N${i}` });
    const pm = await addCardPaymentMethod(world.ctx, {
      customerId: c.id,
      cardNumber: card,
      expMonth: '12',
      expYear: '2036',
      cvc: '123',
    });
    await createSubscription(world.ctx, { customerId: c.id, planCode: 'monthly', paymentMethodId: pm.id });
  };
  for (let i = 0; i < n; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, k) => one(i + k)));
  }
}

/**
 * Moves the clock and waits for the engine. An attempt whose request never reached the
 * gateway (its worker died between writing the intent and sending) can only be declared
 * `not_charged` 12 minutes of wall time after its request-time; rather than sleep, the
 * settle step runs the reconciler with its decision clock moved past that window — exactly
 * what the real reconciler does 12 minutes later (the gateway calls are still signed with
 * real time). It is only reached when the engine made no progress for `timeoutMs`, long after
 * the last kill: no live process still holds such a request (the sandbox is on this machine).
 */
async function advanceAndSettle(world: World, to: Date, timeoutMs = 30_000): Promise<number> {
  let windowDecisions = 0;
  let reconnects = 0;
  for (let tries = 0; ; tries++) {
    try {
      await advanceTestClock(world.ctx.db, world.queues, { to, wait: true, stepMs: DAY, timeoutMs });
      return windowDecisions;
    } catch (err) {
      if (isConnectionLoss(err) && reconnects < 30) {
        // The operator's own connection was cut (Postgres restarting): reconnect and go on.
        reconnects += 1;
        tries -= 1;
        await sleep(1000);
        continue;
      }
      if (tries >= 5) throw err;
      if (!(err instanceof WaitTimeoutError)) throw err;
      const later = { now: () => new Date(Date.now() + REQUEST_WINDOW_MS + RECONCILE_MARGIN_MS + 60_000) };
      const r = await reconcileOpenAttempts({ ...world.ctx, wall: later });
      windowDecisions += r.notCharged;
    }
  }
}

/** A lost Postgres connection (terminated, server restarting, refused), as opposed to a real error. */
function isConnectionLoss(err: unknown): boolean {
  const parts: string[] = [];
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const x = e as { code?: unknown; message?: unknown };
    parts.push(String(x.code ?? ''), String(x.message ?? ''));
    if (parts.length > 20) break;
  }
  const text = parts.join(' ');
  return /\b(08\d{3}|57P0[123])\b|ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|connection error|terminating connection|the database system is (starting up|shutting down)/.test(
    text,
  );
}

/** How long a clock step may take before the settle logic steps in: renewals all come due at once. */
function stepTimeout(spec: ScaleSpec): number {
  return Math.max(30_000, spec.subscriptions * 60);
}

async function measure(world: World, scenario: string, faults: string, lastFault: number): Promise<Row> {
  const now = await readTestClock(world.ctx.db);
  const figures = await checkInvariants(world, now);
  const recoverSeconds = Math.max(0, Math.round((Date.now() - lastFault) / 100) / 10);
  const leaked = findCardNumbers(readLog(world), CARDS);
  if (leaked.length > 0) figures.problems.push(`card numbers in engine logs: ${leaked.length}`);
  return { scenario, faults, recoverSeconds, ...figures };
}

async function startEngineProcesses(world: World, charge = 2, schedulers = 1): Promise<void> {
  world.spawn('http');
  for (let i = 0; i < schedulers; i++) world.spawn('scheduler');
  for (let i = 0; i < charge; i++) world.spawn('charge');
  await waitHttpReady(world.httpUrl);
}

export interface ScaleSpec {
  subscriptions: number;
  months: number;
  kills: number;
  pgRestart: boolean;
  redisPauseMs: number;
  badInputs: number;
  /** Charges in flight at the SIGTERM (the worker's concurrency). */
  inFlight: number;
  /** Postgres cuts: one round every cutEveryMs..3×cutEveryMs, at least minCutRounds. */
  cutEveryMs: number;
  minCutRounds: number;
}

export const SCALES: Record<Scale, ScaleSpec> = {
  // Runs inside `npm test`: every fault family, small enough for a 2-core CI machine.
  core: {
    subscriptions: 60,
    months: 2,
    kills: 4,
    pgRestart: false,
    redisPauseMs: 1500,
    badInputs: 10_000,
    inFlight: 60,
    // Cut every 0.25–0.75 s: the core run's first month takes a few seconds.
    cutEveryMs: 250,
    minCutRounds: 3,
  },
  full: {
    subscriptions: 2000,
    months: 3,
    kills: 20,
    pgRestart: true,
    redisPauseMs: 10_000,
    badInputs: 10_000,
    inFlight: 200,
    cutEveryMs: 1000,
    minCutRounds: 3,
  },
  soak: {
    subscriptions: 4000,
    months: 12,
    kills: 60,
    pgRestart: true,
    redisPauseMs: 10_000,
    badInputs: 50_000,
    inFlight: 200,
    cutEveryMs: 1000,
    minCutRounds: 3,
  },
};

/** Charge workers SIGKILLed at random while stalls and dropped answers hit 5% of charges. */
export async function workersKilled(spec: ScaleSpec, seed: number): Promise<Row> {
  const rnd = seeded(seed);
  const world = await startWorld({ name: 'workers-killed', start: START });
  try {
    await populate(world, spec.subscriptions, rnd);
    await startEngineProcesses(world, 2);
    let kills = 0;
    let stalls = 0;
    let lastFault = Date.now();
    let running = true;
    const killer = (async () => {
      while (running && kills < spec.kills) {
        await sleep(1000 + rnd() * 4000);
        const live = world.live('charge');
        const victim = live[Math.floor(rnd() * live.length)];
        if (!running || !victim) continue;
        victim.kill('SIGKILL');
        kills += 1;
        lastFault = Date.now();
        world.spawn('charge');
      }
    })();
    const staller = (async () => {
      while (running) {
        await sleep(1500);
        // The gateway records the next charge and sits on its answer past the client's timeout.
        world.sandbox.setKnobs({ holdNextResponses: 1, holdResponseMs: 4000 });
        stalls += 1;
      }
    })();
    const end = new Date(Date.parse(START) + spec.months * 31 * DAY);
    const windowDecisions = await advanceAndSettle(world, end, stepTimeout(spec));
    // Keep killing until the planned number of kills happened, even if the renewals were quick.
    while (kills < spec.kills) {
      await advanceAndSettle(world, new Date((await readTestClock(world.ctx.db)).getTime() + DAY));
      await sleep(500);
    }
    running = false;
    await Promise.all([killer, staller]);
    await advanceAndSettle(world, new Date(end.getTime() + DAY), stepTimeout(spec));
    return await measure(
      world,
      'charge workers SIGKILLed',
      `${kills} kills, ${stalls} stalls, ~5% dropped answers, ${windowDecisions} decided after the 12-min window`,
      lastFault,
    );
  } finally {
    await world.stop();
  }
}

/** Redis loses every key of the engine mid-run, and later stops answering for a while. */
export async function redisFaults(spec: ScaleSpec, seed: number): Promise<Row> {
  const rnd = seeded(seed);
  const world = await startWorld({ name: 'redis', start: START });
  const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  try {
    await populate(world, spec.subscriptions, rnd);
    await startEngineProcesses(world, 2);
    // Hold the charge queue and jump to the first renewal, so charge jobs sit in Redis; then
    // lose every key (the pause flag with them, so the workers carry on with what the scan re-derives).
    await world.queues.charge.pause();
    const first = new Date(Date.parse(START) + 31 * DAY);
    await advanceTestClock(world.ctx.db, world.queues, { to: first, wait: false, stepMs: DAY, timeoutMs: 10_000 });
    const queuedBy = Date.now() + 20_000;
    let inRedis = 0;
    while (Date.now() < queuedBy) {
      inRedis = await world.queues.charge.getWaitingCount();
      if (inRedis >= spec.subscriptions * 0.9) break;
      await sleep(100);
    }
    const wiped = await deleteQueueKeys(REDIS_URL, world.prefix);
    let lastFault = Date.now();
    await advanceAndSettle(world, first, stepTimeout(spec));
    // Redis stops answering every client (as during a failover) while renewals are due.
    const second = new Date(Date.parse(START) + 62 * DAY);
    await advanceTestClock(world.ctx.db, world.queues, { to: second, wait: false, stepMs: DAY, timeoutMs: 10_000 });
    await admin.call('CLIENT', 'PAUSE', String(spec.redisPauseMs), 'ALL');
    await sleep(spec.redisPauseMs + 200);
    lastFault = Date.now();
    await advanceAndSettle(world, new Date(Date.parse(START) + spec.months * 31 * DAY), stepTimeout(spec));
    const row = await measure(
      world,
      'Redis wiped, then paused',
      `${wiped} keys wiped with ${inRedis} charge jobs queued; paused ${spec.redisPauseMs / 1000}s`,
      lastFault,
    );
    // The wipe must have hit queued work, or it proved nothing.
    if (inRedis === 0) row.problems.push('no charge job was queued when Redis was wiped');
    return row;
  } finally {
    await admin.quit();
    await world.stop();
  }
}

/** Every engine Postgres connection terminated every few seconds; Postgres restarted once (full scale). */
export async function postgresFaults(spec: ScaleSpec, seed: number): Promise<Row> {
  const rnd = seeded(seed);
  // PGAPPNAME marks the engine processes' connections, so only those are cut.
  const world = await startWorld({ name: 'postgres', start: START, env: { PGAPPNAME: 'billing-chaos-engine' } });
  const admin = new pg.Client({ connectionString: world.dbUrl });
  await admin.connect();
  // Stopped on every way out, so a failing run does not leave it querying a closed client.
  let running = false;
  let cutter: Promise<void> = Promise.resolve();
  try {
    await populate(world, spec.subscriptions, rnd);
    await startEngineProcesses(world, 2);
    let terminated = 0;
    let rounds = 0;
    running = true;
    let lastFault = Date.now();
    cutter = (async () => {
      while (running) {
        await sleep(spec.cutEveryMs * (1 + 2 * rnd()));
        if (!running) break;
        const r = await admin.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
           where datname = current_database() and application_name = 'billing-chaos-engine'`,
        );
        terminated += r.rows[0]?.n ?? 0;
        rounds += 1;
        lastFault = Date.now();
      }
    })();
    const end = new Date(Date.parse(START) + spec.months * 31 * DAY);
    const cutUntil = new Date(Date.parse(START) + (spec.months - 1) * 31 * DAY);
    await advanceAndSettle(world, cutUntil, stepTimeout(spec));
    // A quick run still gets its rounds (they then hit the scan's and reconciler's connections).
    const roundsBy = Date.now() + 30_000;
    while (rounds < spec.minCutRounds && Date.now() < roundsBy) await sleep(100);
    running = false;
    await cutter;
    let restarted = 'no restart';
    if (spec.pgRestart) {
      await admin.end();
      const { execFileSync } = await import('node:child_process');
      const cluster = execFileSync('bash', ['-c', 'ls /etc/postgresql | head -n1']).toString().trim();
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { stdio: 'ignore' });
      lastFault = Date.now();
      restarted = 'Postgres restarted once';
    }
    await advanceAndSettle(world, end, stepTimeout(spec));
    const row = await measure(
      world,
      'Postgres connections cut',
      `${terminated} engine connections terminated in ${rounds} rounds; ${restarted}`,
      lastFault,
    );
    if (rounds < spec.minCutRounds) row.problems.push(`only ${rounds} cut rounds (at least ${spec.minCutRounds})`);
    if (terminated === 0) row.problems.push('no engine connection was cut');
    return row;
  } finally {
    running = false;
    await cutter.catch(() => {});
    await admin.end().catch(() => {});
    await world.stop();
  }
}

/**
 * Every gateway notification delivered a seeded 0–3 times, jittered and reordered, a quarter of
 * the copies late; schedulers restarted in a loop.
 *
 * "Late" is judged by the engine's state, not by minutes of wall time (which would not fit
 * the suite): late copies are parked in the sandbox and released once the clock step after
 * them has settled — after the worker recorded the answer they announce, after the reconciler
 * resolved the attempts whose answer was lost, and for the copies of an earlier period after
 * the next period was charged. The last ones are released after the final renewals.
 */
export async function notificationsAndSchedulers(spec: ScaleSpec, seed: number): Promise<Row> {
  const rnd = seeded(seed);
  const world = await startWorld({
    name: 'notify',
    start: START,
    notify: {
      delayMs: 20,
      copies: { min: 0, max: 3 },
      jitterMs: 3000,
      reorder: true,
      reorderHoldMs: 1500,
      lateShare: 0.25,
      seed,
    },
  });
  try {
    // The engine first: the first charges' notifications (made while subscribing) must find
    // a receiver, or the sandbox's short retry schedule gives them up before it listens.
    await startEngineProcesses(world, 2, 3);
    await populate(world, spec.subscriptions, rnd);
    let restarts = 0;
    let running = true;
    let lastFault = Date.now();
    const chaos = (async () => {
      // Bounded like the other scenarios' kills: then the engine must recover on its own.
      while (running && restarts < spec.kills) {
        await sleep(800 + rnd() * 1500);
        if (!running) break;
        // A scheduler dies (SIGKILL or SIGTERM) and another starts.
        const live = world.live('scheduler');
        const victim = live[Math.floor(rnd() * live.length)];
        if (victim) {
          victim.kill(rnd() < 0.5 ? 'SIGKILL' : 'SIGTERM');
          restarts += 1;
          world.spawn('scheduler');
        }
        lastFault = Date.now();
      }
    })();
    let lateReleases = 0;
    for (let m = 1; m <= spec.months; m++) {
      await advanceAndSettle(world, new Date(Date.parse(START) + m * 31 * DAY), stepTimeout(spec));
      if (world.sandbox.releaseLateNotifications() > 0) {
        lateReleases += 1;
        lastFault = Date.now();
      }
    }
    running = false;
    await chaos;
    if (world.sandbox.releaseLateNotifications() > 0) lateReleases += 1;
    // Every copy sent and answered (or given up after the retry schedule) before counting.
    await world.sandbox.flushNotifications();
    const quietBy = Date.now() + 60_000;
    while (world.sandbox.pendingNotifications() > 0 && Date.now() < quietBy) await sleep(200);
    await advanceAndSettle(world, new Date((await readTestClock(world.ctx.db)).getTime() + DAY));
    const stats = world.sandbox.notificationStats();
    const times = [0, 1, 2, 3].map((k) => stats.delivered[k] ?? 0);
    const row = await measure(
      world,
      'notifications 0–3×/reordered/late; schedulers restarted',
      `notifications delivered 0/1/2/3 times: ${times.join('/')} (${stats.late} copies late, released in ${lateReleases} batches after the engine moved on); ${restarts} scheduler restarts`,
      lastFault,
    );
    const planned = [0, 1, 2, 3].map((k) => stats.planned[k] ?? 0);
    if (times.join() !== planned.join())
      row.problems.push(`copies planned 0/1/2/3: ${planned.join('/')}, acknowledged: ${times.join('/')}`);
    // A run in which some count never happened did not test it.
    if (times.some((n) => n === 0)) row.problems.push(`not every delivery count 0–3 occurred: ${times.join('/')}`);
    if (stats.late === 0) row.problems.push('no copy was delivered late');
    return row;
  } finally {
    await world.stop();
  }
}

/**
 * SIGTERM to a charge worker while it waits for the gateway's answer to `spec.inFlight` charges
 * (200 at full scale): it takes no new job, records every answer, and exits 0 with nothing open.
 *
 * "In flight" is counted where it is unambiguous: answers the sandbox holds (it received and
 * recorded the charge; the worker is still waiting) and `started` attempts in Postgres. The
 * gateway's own notifications are held back meanwhile — otherwise the engine's HTTP process
 * closes each attempt from its notification 20 ms after the charge, long before the worker's
 * answer, and a count of `started` attempts measures the notification lag, not the charges in
 * flight (which is why this scenario used to report 19–65).
 */
export async function sigtermInFlight(spec: ScaleSpec, seed: number): Promise<Row> {
  const rnd = seeded(seed);
  const target = spec.inFlight;
  const world = await startWorld({
    name: 'sigterm',
    start: START,
    notify: { delayMs: 600_000 },
    // The answers are held until after the SIGTERM, so the worker's timeout must outlast the
    // whole ramp-up (the cap is 120 s); nothing here waits for it.
    env: { BILLING_CHARGE_CONCURRENCY: String(target), ASIABILL_TIMEOUT_MS: '90000' },
  });
  try {
    await populate(world, Math.max(target + target / 4, spec.subscriptions), rnd);
    world.spawn('http');
    world.spawn('scheduler');
    await waitHttpReady(world.httpUrl);
    // The renewals come due while no charge worker runs, so their jobs pile up in Redis…
    const due = new Date(Date.parse(START) + 31 * DAY);
    await setTestClock(world.ctx.db, due);
    await world.queues.triggerScan();
    const pileDeadline = Date.now() + 60_000;
    while ((await world.queues.charge.getWaitingCount()) < target && Date.now() < pileDeadline) await sleep(100);
    // …then one worker takes `target` of them at once, and the gateway sits on every answer.
    world.sandbox.setKnobs({ holdNextResponses: target, holdResponseMs: 600_000 });
    const worker = world.spawn('charge');
    const deadline = Date.now() + 120_000;
    while (world.sandbox.heldResponses() < target && Date.now() < deadline) await sleep(50);
    const held = world.sandbox.heldResponses();
    const started = await world.ctx.db.execute<{ n: number }>(
      sql`select count(*)::int as n from charge_attempts where status = 'started'`,
    );
    const inFlight = Math.min(held, started.rows[0]?.n ?? 0);
    const sentBefore = world.sandbox.ledger().length;
    const exit = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    worker.kill('SIGTERM');
    // The gateway answers a second into the drain (a drain that took new jobs would send them now).
    await sleep(1000);
    world.sandbox.releaseHeldResponses();
    const code = await exit;
    const lastFault = Date.now();
    const sentDuringDrain = world.sandbox.ledger().length - sentBefore;
    const after = await world.ctx.db.execute<{ status: string; n: number }>(
      sql`select status, count(*)::int as n from charge_attempts where status in ('started', 'unknown') group by status`,
    );
    const open = (s: string) => after.rows.find((r) => r.status === s)?.n ?? 0;
    world.sandbox.setKnobs({ holdNextResponses: 0, delayMs: 20 });
    world.spawn('charge');
    await advanceAndSettle(world, new Date(due.getTime() + DAY), stepTimeout(spec));
    const row = await measure(
      world,
      'SIGTERM with charges in flight',
      `SIGTERM with ${inFlight} charges in flight (${held} answers held by the gateway); exit code ${code}; ${open('started')} left open by the drain, ${open('unknown')} still unknown at exit (dropped answers: the reconciler's); ${sentDuringDrain} charges sent during the drain`,
      lastFault,
    );
    if (code !== 0) row.problems.push(`charge worker exited ${code} on SIGTERM, not 0`);
    // `unknown` is a recorded outcome (the ~5% no-response card drops its answer): the
    // reconciler's, and the final checks find it resolved. `started` would be a drain that quit.
    if (open('started') !== 0) row.problems.push(`the drain left ${open('started')} attempts started`);
    if (sentDuringDrain !== 0) row.problems.push(`${sentDuringDrain} charges were sent after SIGTERM`);
    if (inFlight < target) row.problems.push(`only ${inFlight} of ${target} charges were in flight at SIGTERM`);
    return row;
  } finally {
    await world.stop();
  }
}

/** Generated bad input at the notification endpoint and the CLI: no 5xx, no crash, no state change. */
export async function badInputs(spec: ScaleSpec, seed: number): Promise<Row> {
  const rnd = seeded(seed);
  // Legitimate notifications are held back, so any row that appears came from bad input.
  const world = await startWorld({ name: 'bad-input', start: START, notify: { delayMs: 600_000 } });
  try {
    await populate(world, 3, rnd);
    world.spawn('http');
    await waitHttpReady(world.httpUrl);
    const countAll = async () =>
      (
        await world.ctx.db.execute<{ n: string }>(
          sql`select (select count(*) from gateway_notifications) + (select count(*) from charge_attempts)
                + (select count(*) from events) + (select count(*) from subscriptions) + (select count(*) from invoices) as n`,
        )
      ).rows[0]?.n;
    const before = await countAll();
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    const key = world.config.gateway.signKey;
    const gatewayNo = world.config.gateway.gatewayNo;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const junk = [
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '{"type":1}',
      "'; drop table invoices; --",
      '\u0000\u0001',
      '😀'.repeat(50),
      'x'.repeat(300_000),
      '{"notifyType":"transaction.success","data":{"orderNo":"inv_x-1","orderStatus":"success","orderAmount":"1e309"}}',
    ];
    const bodyFor = () => {
      const base = {
        notifyType: pick(['transaction.success', 'transaction.fail', 'refund.success', 'weird', '', null]),
        data: {
          orderNo: pick(['inv_nope-1', '', 'x'.repeat(500), "' or 1=1 --", null, 42]),
          tradeNo: pick(['T1', '', null, {}]),
          orderStatus: pick(['success', 'fail', 'pending', 'SUCCESS', 7]),
          orderAmount: pick(['12.50', '-1', 'NaN', '1e3', '12.5.0', 12.5]),
          orderCurrency: pick(['USD', 'usd', 'XXX', '', 'US']),
        },
      };
      return rnd() < 0.3 ? pick(junk) : JSON.stringify(base);
    };
    for (let i = 0; i < spec.badInputs; i++) {
      const body = bodyFor();
      // Forged (another key), stale (our key, an hour old), or missing a header.
      const variant = Math.floor(rnd() * 3);
      const signed = signNotification({
        gatewayNo,
        signKey: variant === 0 ? 'wrong-key' : key,
        rawBody: body,
        requestId: `bad-${seed}-${i}`,
        requestTime: variant === 1 ? Date.now() - 3_600_000 : Date.now(),
      });
      const headers: Record<string, string> = { 'content-type': 'application/json', ...signed };
      if (variant === 2) delete headers[pick(['sign-info', 'request-time', 'gateway-no', 'version'])];
      const r = await fetch(`${world.httpUrl}/webhooks/asiabill`, { method: 'POST', headers, body });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      await r.arrayBuffer();
      if (r.status >= 500) problems.push(`notification ${i}: HTTP ${r.status}`);
    }
    // The CLI: generated bad flags and values for the commands that write.
    const env = {
      DATABASE_URL: world.dbUrl,
      ASIABILL_PAYMENT_URL: world.sandbox.paymentUrl,
      ASIABILL_OPENAPI_URL: world.sandbox.openapiUrl,
      ASIABILL_GATEWAY_NO: gatewayNo,
      ASIABILL_SIGN_KEY: key,
      BILLING_PUBLIC_URL: world.httpUrl,
      LOG_LEVEL: 'silent',
    };
    const badValues = [
      '',
      '-1',
      'abc',
      '1e9',
      '0.001',
      '💥',
      'x'.repeat(5000),
      "'; drop table plans; --",
      'NaN',
      '12,50',
    ];
    const commands: Array<() => string[]> = [
      () => [
        'plans',
        'create',
        '--code',
        pick(badValues),
        '--name',
        'N',
        '--amount',
        pick(badValues),
        '--currency',
        pick(['USD', 'XXX', '', 'usd']),
        '--interval',
        pick(['month', 'fortnight', '']),
      ],
      () => [
        'customers',
        'create',
        '--email',
        pick(['nope', '', '@', 'a@b']),
        '--first-name',
        pick(badValues),
        '--last-name',
        'L',
      ],
      () => [
        'periods',
        '--anchor',
        pick(['2025-02-30', 'yesterday', '', '2025-01-31T10:00:00']),
        '--interval',
        pick(['month', 'x']),
        '--count',
        pick(badValues),
      ],
      () => [
        'subscriptions',
        'create',
        '--customer',
        pick(['cust_nope', '', 'x']),
        '--plan',
        pick(['nope', '']),
        '--payment-method',
        'card_nope',
        '--timezone',
        pick(['Mars/Base', 'UTC', '']),
      ],
      () => ['subscriptions', pick(['cancel', 'show']), pick(['sub_nope', '', "'--"])],
      () => [pick(['plans', 'nope', 'subscriptions']), pick(['--what', 'list', 'archive']), pick(badValues)],
    ];
    const cliRuns = Math.max(200, Math.floor(spec.badInputs / 20));
    const codes = new Map<number, number>();
    for (let i = 0; i < cliRuns; i++) {
      const args = (commands[i % commands.length] as () => string[])();
      let code: number;
      try {
        code = await runCli(args, { env, out: () => {}, err: () => {} });
      } catch (err) {
        problems.push(`CLI crashed on ${JSON.stringify(args).slice(0, 200)}: ${String(err)}`);
        code = -1;
      }
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (code === 0) problems.push(`CLI accepted bad input ${JSON.stringify(args).slice(0, 200)}`);
    }
    const after = await countAll();
    if (before !== after) problems.push(`state changed: ${before} rows before, ${after} after`);
    const row = await measure(
      world,
      'bad input (notifications + CLI)',
      `${spec.badInputs} notifications (HTTP ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}), ${cliRuns} CLI runs (exit ${[...codes].map(([c, n]) => `${c}×${n}`).join(' ')})`,
      Date.now(),
    );
    row.problems.push(...problems);
    return row;
  } finally {
    await world.stop();
  }
}

export const SCENARIOS = {
  workersKilled,
  redisFaults,
  postgresFaults,
  notificationsAndSchedulers,
  sigtermInFlight,
  badInputs,
} as const;

export function formatTable(rows: readonly Row[]): string {
  const header = [
    'scenario',
    'faults injected',
    'renewals (charges)',
    'double charges',
    'missed renewals',
    'unresolved',
    'ledger disagreements',
    'recover (s)',
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.faults,
    String(r.charges),
    String(r.doubleCharges),
    String(r.missedRenewals),
    String(r.unresolvedAttempts),
    String(r.disagreements),
    String(r.recoverSeconds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
