import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { isIP } from 'node:net';
import { ValidationError } from './errors.ts';
import { MAX_GATEWAY_TIMEOUT_MS } from './billing/attemptDeadline.ts';
import { isAsiabillProductionUrl } from './asiabill/endpoints.ts';

/**
 * Environment → typed config, validated once at start-up. Every problem is reported with the
 * variable's name and the rule it broke, all at once, so an operator fixes them in one go.
 *
 * When no AsiaBill credentials are configured the engine runs against the built-in sandbox;
 * a half-configured gateway (URL without key, say) is an error rather than a silent fallback,
 * because falling back to the sandbox in production would mean "no money collected".
 */
const urlString = z.string().url();
/** Long enough that guessing is hopeless (32 hex characters = 128 bits). */
export const ADMIN_TOKEN_MIN_LENGTH = 32;
const positiveInt = z.coerce.number().int().positive();

const schema = z.object({
  DATABASE_URL: urlString.default('postgres://postgres@127.0.0.1:5432/billing'),
  REDIS_URL: urlString.default('redis://127.0.0.1:6379'),
  BILLING_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1-64)')
    .default('billing'),
  ASIABILL_PAYMENT_URL: urlString.optional(),
  ASIABILL_OPENAPI_URL: urlString.optional(),
  ASIABILL_GATEWAY_NO: z
    .string()
    .regex(/^\d{8}$/, 'must be the 8-digit gateway number')
    .optional(),
  ASIABILL_SIGN_KEY: z.string().min(1).optional(),
  // Capped far below AsiaBill's 10-minute request window (billing/attemptDeadline.ts says why).
  ASIABILL_TIMEOUT_MS: positiveInt
    .max(
      MAX_GATEWAY_TIMEOUT_MS,
      `must be at most ${MAX_GATEWAY_TIMEOUT_MS} ms (2 minutes): a charge call must end long before AsiaBill's 10-minute request window, or the reconciler could allow a second charge while it still waits`,
    )
    .default(30_000),
  BILLING_SANDBOX_PORT: z.coerce.number().int().min(1).max(65535).default(8091),
  BILLING_SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  BILLING_SANDBOX_STATE: z.string().min(1).optional(),
  BILLING_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  BILLING_HTTP_HOST: z.string().default('127.0.0.1'),
  BILLING_PUBLIC_URL: urlString.optional(),
  BILLING_WEBSITE: z.string().min(1).max(200).default('https://merchant.example'),
  // The merchant server's public address, sent as customerIp on merchant-initiated renewals.
  BILLING_SERVER_IP: z
    .string()
    .refine(
      (v) => isIP(v) !== 0,
      'must be an IPv4 or IPv6 address (the merchant server, sent as customerIp on renewals)',
    )
    .optional(),
  BILLING_CLOCK: z.enum(['system', 'test']).default('system'),
  BILLING_CHARGE_CONCURRENCY: positiveInt.default(8),
  // Connections per process. Charges hold one only for their two short transactions, never
  // during the gateway call, so a pool far smaller than the charge concurrency is normal; the
  // sum over all processes must stay under Postgres's max_connections (100 by default).
  BILLING_PG_POOL_MAX: positiveInt.max(1000).default(10),
  BILLING_JOB_LOCK_MS: positiveInt.default(30_000),
  BILLING_SCAN_INTERVAL_MS: positiveInt.default(60_000),
  BILLING_SCAN_BATCH: positiveInt.default(500),
  BILLING_SCAN_MAX_QUEUED: positiveInt.default(10_000),
  BILLING_INCOMPLETE_EXPIRY_HOURS: positiveInt.default(23),
  BILLING_WEBHOOK_SCAN_INTERVAL_MS: positiveInt.default(5_000),
  BILLING_WEBHOOK_RETRY_BASE_MS: positiveInt.default(60_000),
  BILLING_WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  BILLING_WEBHOOK_CONCURRENCY: positiveInt.default(8),
  /** Visa reattempts per card in 30 days: 15, or up to 20 under a Visa agreement (billing/networkCaps.ts). */
  BILLING_VISA_RETRY_CAP: z.coerce
    .number()
    .int()
    .min(1, 'must be 1..20 (Visa allows at most 20 reattempts per card in 30 days)')
    .max(20, 'must be 1..20 (Visa allows at most 20 reattempts per card in 30 days)')
    .default(15),
  BILLING_TRIAL_WILL_END_HOURS: positiveInt.default(72),
  // The admin HTTP API's bearer token. Unset = the API, console and queue dashboard are off.
  // At least 32 characters: it guards money movement, so it must not be guessable.
  BILLING_ADMIN_TOKEN: z
    .string()
    .min(ADMIN_TOKEN_MIN_LENGTH, `at least ${ADMIN_TOKEN_MIN_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface GatewayConfig {
  kind: 'asiabill' | 'sandbox';
  paymentUrl: string;
  openapiUrl: string;
  /** Only for kind 'sandbox': where `billing run` / `billing sandbox` serve it. */
  sandboxPort?: number;
  sandboxHost?: string;
  /** JSON file the sandbox keeps its state in across restarts; undefined = memory only. */
  sandboxStateFile?: string;
  gatewayNo: string;
  signKey: string;
  timeoutMs: number;
}

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  gateway: GatewayConfig;
  httpPort: number;
  httpHost: string;
  publicUrl: string | undefined;
  webSite: string;
  /** customerIp of merchant-initiated (renewal) charges: the merchant server's address. */
  serverIp: string;
  clock: 'system' | 'test';
  chargeConcurrency: number;
  /** Postgres connections this process may open (its pool's size). */
  pgPoolMax: number;
  /** BullMQ lock and stall-check interval: how soon a dead worker's job is handed to another. */
  jobLockMs: number;
  scanIntervalMs: number;
  scanBatch: number;
  /** Look-ahead: the most charge jobs a scan lets wait in Redis (back-pressure; bounds Redis memory). */
  scanMaxQueued: number;
  incompleteExpiryHours: number;
  /** Merchant webhook delivery (src/events/deliveryPolicy.ts holds the fixed policy numbers). */
  webhooks: WebhookConfig;
  /** Visa merchant-initiated reattempts allowed per card in 30 days (15, up to 20). */
  visaRetryCap: number;
  /** How long before a trial ends `subscription.trial_will_end` is recorded. */
  trialWillEndHours: number;
  /** Bearer token of the admin HTTP API; undefined = the API is off. */
  adminToken: string | undefined;
  logLevel: string;
}

export interface WebhookConfig {
  /** How often Postgres is scanned for unpublished events and due deliveries. */
  scanIntervalMs: number;
  /** First retry delay; each later one doubles (capped, see deliveryPolicy.ts). */
  retryBaseMs: number;
  /** Per-POST timeout: no answer in time is a failed attempt. */
  timeoutMs: number;
  /** Deliveries in flight per worker. */
  concurrency: number;
}

/** Sandbox credentials: AsiaBill's public test gateway (API.md §1). */
export const SANDBOX_GATEWAY_NO = '12246002';
export const SANDBOX_SIGN_KEY = '12H4567r';

export class ConfigError extends ValidationError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('environment', 'valid configuration', `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": `FOO= billing run` should not be a URL parse error.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const gatewayVars = [
    'ASIABILL_PAYMENT_URL',
    'ASIABILL_OPENAPI_URL',
    'ASIABILL_GATEWAY_NO',
    'ASIABILL_SIGN_KEY',
  ] as const;
  const set = gatewayVars.filter((k) => e[k] !== undefined);
  let gateway: GatewayConfig;
  if (set.length === 0) {
    const reachAt = e.BILLING_SANDBOX_HOST === '0.0.0.0' ? '127.0.0.1' : e.BILLING_SANDBOX_HOST;
    const base = `http://${reachAt}:${e.BILLING_SANDBOX_PORT}`;
    gateway = {
      kind: 'sandbox',
      paymentUrl: `${base}/V2022-03`,
      openapiUrl: `${base}/openApi/V2022-03`,
      sandboxPort: e.BILLING_SANDBOX_PORT,
      sandboxHost: e.BILLING_SANDBOX_HOST,
      // Like a real gateway, the sandbox remembers customers across restarts of `billing run`
      // (a file per port in the temp directory); BILLING_SANDBOX_STATE=none keeps it in memory.
      sandboxStateFile:
        e.BILLING_SANDBOX_STATE === 'none'
          ? undefined
          : (e.BILLING_SANDBOX_STATE ?? join(tmpdir(), `asiabill-billing-sandbox-${e.BILLING_SANDBOX_PORT}.json`)),
      gatewayNo: SANDBOX_GATEWAY_NO,
      signKey: SANDBOX_SIGN_KEY,
      timeoutMs: e.ASIABILL_TIMEOUT_MS,
    };
  } else if (set.length === gatewayVars.length) {
    const problems = gatewaySafetyProblems(e);
    if (problems.length > 0) throw new ConfigError(problems);
    gateway = {
      kind: 'asiabill',
      paymentUrl: e.ASIABILL_PAYMENT_URL ?? '',
      openapiUrl: e.ASIABILL_OPENAPI_URL ?? '',
      gatewayNo: e.ASIABILL_GATEWAY_NO ?? '',
      signKey: e.ASIABILL_SIGN_KEY ?? '',
      timeoutMs: e.ASIABILL_TIMEOUT_MS,
    };
  } else {
    const missing = gatewayVars.filter((k) => e[k] === undefined);
    throw new ConfigError(
      missing.map(
        (k) => `${k}: required when any ASIABILL_* variable is set (set all four, or none to use the built-in sandbox)`,
      ),
    );
  }
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.BILLING_QUEUE_PREFIX,
    gateway,
    httpPort: e.BILLING_HTTP_PORT,
    httpHost: e.BILLING_HTTP_HOST,
    publicUrl: e.BILLING_PUBLIC_URL,
    webSite: e.BILLING_WEBSITE,
    serverIp: serverIpOf(e.BILLING_SERVER_IP, gateway),
    clock: e.BILLING_CLOCK,
    chargeConcurrency: e.BILLING_CHARGE_CONCURRENCY,
    pgPoolMax: e.BILLING_PG_POOL_MAX,
    jobLockMs: e.BILLING_JOB_LOCK_MS,
    scanIntervalMs: e.BILLING_SCAN_INTERVAL_MS,
    scanBatch: e.BILLING_SCAN_BATCH,
    scanMaxQueued: e.BILLING_SCAN_MAX_QUEUED,
    incompleteExpiryHours: e.BILLING_INCOMPLETE_EXPIRY_HOURS,
    webhooks: {
      scanIntervalMs: e.BILLING_WEBHOOK_SCAN_INTERVAL_MS,
      retryBaseMs: e.BILLING_WEBHOOK_RETRY_BASE_MS,
      timeoutMs: e.BILLING_WEBHOOK_TIMEOUT_MS,
      concurrency: e.BILLING_WEBHOOK_CONCURRENCY,
    },
    visaRetryCap: e.BILLING_VISA_RETRY_CAP,
    trialWillEndHours: e.BILLING_TRIAL_WILL_END_HOURS,
    adminToken: e.BILLING_ADMIN_TOKEN,
    logLevel: e.LOG_LEVEL,
  };
}

/** Used only when the gateway is on this machine (the sandbox, a local stand-in). */
export const LOCAL_SERVER_IP = '127.0.0.1';

/**
 * AsiaBill wants the customer's address on every card charge; a renewal has no customer
 * present, so it carries the merchant server's. Loopback would tell AsiaBill's risk checks
 * nothing true, so with a gateway elsewhere the address must be configured.
 */
function serverIpOf(configured: string | undefined, gateway: GatewayConfig): string {
  if (configured !== undefined) return configured;
  if (gateway.kind === 'sandbox' || isLoopbackUrl(gateway.paymentUrl)) return LOCAL_SERVER_IP;
  throw new ConfigError([
    "BILLING_SERVER_IP: required with a real AsiaBill gateway (the merchant server's public IP address, sent as customerIp on renewals)",
  ]);
}

/** Host names that mean "this machine": a gateway there is a local stand-in, not AsiaBill. */
function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/**
 * Rules that keep the charge-once argument true with a real gateway configured (every
 * ASIABILL_* variable set and pointing somewhere other than this machine):
 *  - the test clock moves time as fast as an operator asks; on AsiaBill's live hosts that
 *    would charge real cards for months in minutes, so the pair is refused outright;
 *  - AsiaBill reports outcomes to `callbackUrl`; without BILLING_PUBLIC_URL it would be this
 *    machine's loopback address, which AsiaBill can never reach, and pending / lost answers
 *    would then wait for the reconciler instead of the notification.
 */
function gatewaySafetyProblems(e: z.infer<typeof schema>): string[] {
  const problems: string[] = [];
  const urls = [e.ASIABILL_PAYMENT_URL ?? '', e.ASIABILL_OPENAPI_URL ?? ''];
  const live = urls.find((u) => isAsiabillProductionUrl(u));
  if (e.BILLING_CLOCK === 'test' && live !== undefined) {
    problems.push(
      `BILLING_CLOCK: "test" is refused with AsiaBill's production host ${new URL(live).hostname} (a test clock would charge real cards as fast as it moves); use AsiaBill's test hosts or the built-in sandbox`,
    );
  }
  const real = urls.some((u) => !isLoopbackUrl(u));
  if (real && e.BILLING_PUBLIC_URL === undefined) {
    problems.push(
      "BILLING_PUBLIC_URL: required when a real AsiaBill gateway is configured (AsiaBill sends its notifications to BILLING_PUBLIC_URL/webhooks/asiabill; without it the callbackUrl would be this machine's loopback address)",
    );
  } else if (real && e.BILLING_PUBLIC_URL !== undefined && isLoopbackUrl(e.BILLING_PUBLIC_URL)) {
    problems.push(
      `BILLING_PUBLIC_URL: ${e.BILLING_PUBLIC_URL} is a loopback address, which the configured AsiaBill gateway cannot reach; give the engine's public base URL`,
    );
  }
  return problems;
}
