import { deleteQueueKeys } from '../../src/queue/cleanup.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, silentLogger, type Logger } from '../../src/logger.ts';
import { startEngine, type Engine, type EngineParts } from '../../src/engine.ts';
import { setTestClock } from '../../src/testClock/store.ts';
import { createPlan } from '../../src/catalog/plans.ts';
import { createCustomer } from '../../src/customers/customers.ts';
import { addCardPaymentMethod } from '../../src/customers/paymentMethods.ts';
import { createSubscription, type CreateSubscriptionResult } from '../../src/subscriptions/create.ts';
import { advanceTestClock } from '../../src/testClock/advance.ts';
import type { AppContext } from '../../src/context.ts';
import { createTestDatabase, testQueuePrefix } from './db.ts';

/**
 * A whole engine for an integration test: its own database, queue prefix and sandbox, a test
 * clock, real Postgres/Redis/HTTP. Nothing is mocked.
 */
export interface TestEngine {
  engine: Engine;
  ctx: AppContext;
  config: Config;
  dbUrl: string;
  prefix: string;
  advanceTo(iso: string | Date, opts?: { stepMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export const DAY_MS = 24 * 3600 * 1000;

export async function startTestEngine(opts: {
  start: string;
  parts?: Partial<EngineParts>;
  env?: Record<string, string>;
  logger?: Logger;
  sandboxNotify?: { delayMs?: number; retryScheduleMs?: number[]; duplicate?: boolean; reorder?: boolean };
  overrides?: Partial<AppContext>;
  /** Another Postgres server than the shared one (a private server a test restarts). */
  databaseBaseUrl?: string;
}): Promise<TestEngine> {
  const t = await createTestDatabase(opts.databaseBaseUrl);
  const prefix = testQueuePrefix();
  const config = loadConfig({
    DATABASE_URL: t.url,
    BILLING_QUEUE_PREFIX: prefix,
    BILLING_CLOCK: 'test',
    BILLING_HTTP_PORT: '0',
    BILLING_SCAN_INTERVAL_MS: '60000',
    ASIABILL_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const logger = opts.logger ?? silentLogger;
  const engine = await startEngine({
    config,
    logger,
    parts: { http: true, scheduler: true, charge: true, sandbox: true, ...opts.parts },
    sandboxOptions: {
      port: 0,
      stateFile: undefined,
      logger,
      notify: { delayMs: 5, retryScheduleMs: [100, 200, 400, 800], ...opts.sandboxNotify },
    },
    overrides: opts.overrides,
  });
  await setTestClock(engine.ctx.db, new Date(opts.start));
  return {
    engine,
    ctx: engine.ctx,
    config,
    dbUrl: t.url,
    prefix,
    async advanceTo(iso, o = {}) {
      await advanceTestClock(engine.ctx.db, engine.queues, {
        to: new Date(iso),
        wait: true,
        stepMs: o.stepMs ?? DAY_MS,
        timeoutMs: 30_000,
      });
    },
    async stop() {
      await engine.close();
      await wipeRedisPrefix(config.redisUrl, prefix);
      await t.drop();
    },
  };
}

export const CARDS = {
  success: '4242424242424242',
  softDecline: '4000000000009995',
  hardDecline: '4000000000009987',
  genericDecline: '4000000000000002',
  threeDS: '4000002500003155',
  approveThenDecline: '4000000000000341',
  noResponse: '4000000000000119',
} as const;

let planSeq = 0;
export async function makePlan(
  ctx: AppContext,
  p: {
    amount?: string;
    currency?: string;
    interval?: string;
    intervalCount?: number;
    trialDays?: number;
    code?: string;
  } = {},
): Promise<string> {
  planSeq += 1;
  const code = p.code ?? `plan-${planSeq}`;
  await createPlan(ctx, {
    code,
    name: `Plan ${code}`,
    amount: p.amount ?? '10.00',
    currency: p.currency ?? 'USD',
    interval: p.interval ?? 'month',
    intervalCount: p.intervalCount,
    trialDays: p.trialDays,
  });
  return code;
}

let custSeq = 0;
export async function makeCustomerWithCard(
  ctx: AppContext,
  card: string = CARDS.success,
): Promise<{ customerId: string; paymentMethodId: string }> {
  custSeq += 1;
  const c = await createCustomer(ctx, {
    email: `c${custSeq}@example.com`,
    firstName: 'Test',
    lastName: `Customer${custSeq}`,
  });
  const pm = await addCardPaymentMethod(ctx, {
    customerId: c.id,
    cardNumber: card,
    expMonth: '12',
    expYear: '2035',
    cvc: '123',
  });
  return { customerId: c.id, paymentMethodId: pm.id };
}

export async function subscribe(
  ctx: AppContext,
  planCode: string,
  card: string = CARDS.success,
  opts: { timeZone?: string; start?: Date } = {},
): Promise<CreateSubscriptionResult> {
  const { customerId, paymentMethodId } = await makeCustomerWithCard(ctx, card);
  return createSubscription(ctx, { customerId, planCode, paymentMethodId, timeZone: opts.timeZone, start: opts.start });
}

/** Deletes every Redis key of this engine's prefix — a Redis restart that lost its data. */
export const wipeRedisPrefix = deleteQueueKeys;

export { createLogger };
