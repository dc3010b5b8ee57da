import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { migrateDatabase, dropDatabase } from '../db/migrate.ts';
import { setTestClock } from '../testClock/store.ts';
import { startEngine, ALL_PARTS, type Engine } from '../engine.ts';
import { createPlan } from '../catalog/plans.ts';
import { createCustomer } from '../customers/customers.ts';
import { addCardPaymentMethod } from '../customers/paymentMethods.ts';
import { createSubscription } from '../subscriptions/create.ts';
import { advanceTestClock } from '../testClock/advance.ts';
import { deleteQueueKeys } from '../queue/cleanup.ts';
import {
  DEMO_CARDS,
  DEMO_END,
  DEMO_PLANS,
  DEMO_START,
  demoCustomers,
  monthSteps,
  type DemoCustomer,
} from './scenario.ts';
import { buildDemoReport, type DemoReport } from './report.ts';
import { TerminalProgress, type TerminalLike } from '../cli/progress.ts';
import { progressBaseline, startProgressTicker } from '../testClock/progress.ts';

/**
 * The main job: a year of a small merchant's subscriptions, against the built-in AsiaBill
 * sandbox, on a test clock. It uses exactly the engine `billing run` uses — HTTP server for
 * notifications, scheduler, charge workers, reconciler — only the clock is driven for it.
 */
export interface DemoOptions {
  databaseUrl: string;
  redisUrl: string;
  out: (line: string) => void;
  /** Drop the demo database at the end (tests); the CLI keeps it for exploring. */
  dropAfter?: boolean;
  /** stdout, for a live progress line when it is a terminal (quiet when piped). */
  terminal?: TerminalLike;
}

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const progress = TerminalProgress.on(opts.terminal);
  // Permanent lines go above the progress line, which the next tick redraws.
  const out = (line: string) => {
    progress?.clear();
    opts.out(line);
  };
  const started = Date.now();
  await dropDatabase(opts.databaseUrl);
  await migrateDatabase(opts.databaseUrl);
  const prefix = `billing-demo-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    BILLING_QUEUE_PREFIX: prefix,
    BILLING_CLOCK: 'test',
    BILLING_HTTP_PORT: '0',
    BILLING_SCAN_INTERVAL_MS: '60000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
  };
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel, name: 'demo', destination: process.stderr });
  const engine = await startEngine({
    config,
    logger,
    parts: ALL_PARTS,
    sandboxOptions: { port: 0, stateFile: undefined, notify: { delayMs: 20, retryScheduleMs: [200, 500, 1000, 2000] } },
  });
  let ticker: { stop(): Promise<void> } | null = null;
  try {
    const ctx = engine.ctx;
    await setTestClock(ctx.db, new Date(DEMO_START));
    if (progress) ticker = startProgressTicker(ctx.db, await progressBaseline(ctx.db), (l) => progress.update(l));
    out(`asiabill-billing demo — a year of renewals against the built-in AsiaBill sandbox (test clock)`);
    out(`database ${opts.databaseUrl}, queue prefix ${prefix}, sandbox ${engine.sandbox?.url ?? '-'}`);
    out('');
    for (const p of DEMO_PLANS) {
      await createPlan(ctx, { ...p });
    }
    out(
      `created ${DEMO_PLANS.length} plans: ${DEMO_PLANS.map((p) => `${p.code} (${p.amount} ${p.currency})`).join(', ')}`,
    );

    const cast = demoCustomers();
    const signUps = [...new Set(cast.map((c) => c.signUpAt))].sort();
    const advance = (to: Date) =>
      advanceTestClock(ctx.db, engine.queues, { to, wait: true, stepMs: 24 * 3600 * 1000, timeoutMs: 60_000 });
    const months = monthSteps(DEMO_START, DEMO_END);
    const stops = [...new Set([...signUps.map((s) => new Date(s).getTime()), ...months.map((m) => m.getTime())])].sort(
      (a, b) => a - b,
    );
    let subscribed = 0;
    for (const t of stops) {
      const at = new Date(t);
      if (t > new Date(DEMO_START).getTime()) await advance(at);
      const joining = cast.filter((c) => new Date(c.signUpAt).getTime() === t);
      for (const c of joining) {
        await subscribe(engine, c);
        subscribed += 1;
      }
      if (joining.length > 0)
        out(
          `${DateTime.fromJSDate(at, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm')}Z  ${joining.length} customers subscribed (${subscribed} so far)`,
        );
      if (months.some((m) => m.getTime() === t)) {
        const paid = await ctx.db.execute<{ n: number }>(
          sql`select count(*)::int as n from charge_attempts where status = 'succeeded'`,
        );
        out(
          `${DateTime.fromJSDate(at, { zone: 'UTC' }).toFormat('yyyy-MM-dd')}  clock advanced; ${paid.rows[0]?.n ?? 0} successful charges so far`,
        );
      }
    }
    await ticker?.stop();
    ticker = null;
    progress?.clear();
    const report = await buildDemoReport(ctx.db, engine.sandbox ? engine.sandbox.ledger() : [], Date.now() - started);
    for (const line of report.lines) out(line);
    out('');
    out('Where to look next:');
    out(`  DATABASE_URL=${opts.databaseUrl} npx billing subscriptions list`);
    out(`  DATABASE_URL=${opts.databaseUrl} npx billing subscriptions show <id>   # invoices and every charge attempt`);
    out('  README.md → "Architecture" for how a renewal is charged exactly once; npm test for the proofs.');
    return report;
  } finally {
    await ticker?.stop();
    progress?.clear();
    await engine.close();
    await deleteQueueKeys(opts.redisUrl, prefix);
    if (opts.dropAfter) await dropDatabase(opts.databaseUrl);
  }
}

async function subscribe(engine: Engine, c: DemoCustomer): Promise<void> {
  const ctx = engine.ctx;
  const customer = await createCustomer(ctx, {
    email: c.email,
    firstName: c.firstName,
    lastName: c.lastName,
    externalRef: `demo-${c.n}`,
  });
  const pm = await addCardPaymentMethod(ctx, {
    customerId: customer.id,
    cardNumber: DEMO_CARDS[c.card],
    expMonth: '12',
    expYear: '2034',
    cvc: '123',
  });
  const r = await createSubscription(ctx, {
    customerId: customer.id,
    planCode: c.plan,
    paymentMethodId: pm.id,
    timeZone: c.timeZone,
  });
  if (
    c.card === 'threeds_complete' &&
    r.charge?.kind === 'attempted' &&
    r.charge.status === 'pending' &&
    engine.sandbox
  ) {
    // The customer finishes the 3-D Secure challenge; AsiaBill then notifies us.
    await engine.sandbox.completeThreeDS(r.charge.orderNo, 'success');
  }
}
