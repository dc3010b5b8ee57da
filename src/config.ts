import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Environment → typed config, validated once at start-up. Every problem is reported with the
 * variable's name and the rule it broke, all at once, so an operator fixes them in one go.
 *
 * When no AsiaBill credentials are configured the engine runs against the built-in sandbox;
 * a half-configured gateway (URL without key, say) is an error rather than a silent fallback,
 * because falling back to the sandbox in production would mean "no money collected".
 */
const urlString = z.string().url();
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
  ASIABILL_TIMEOUT_MS: positiveInt.default(30_000),
  BILLING_SANDBOX_PORT: z.coerce.number().int().min(1).max(65535).default(8091),
  BILLING_SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  BILLING_SANDBOX_STATE: z.string().min(1).optional(),
  BILLING_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  BILLING_HTTP_HOST: z.string().default('127.0.0.1'),
  BILLING_PUBLIC_URL: urlString.optional(),
  BILLING_WEBSITE: z.string().min(1).max(200).default('https://merchant.example'),
  BILLING_CLOCK: z.enum(['system', 'test']).default('system'),
  BILLING_CHARGE_CONCURRENCY: positiveInt.default(8),
  BILLING_JOB_LOCK_MS: positiveInt.default(30_000),
  BILLING_SCAN_INTERVAL_MS: positiveInt.default(60_000),
  BILLING_SCAN_BATCH: positiveInt.default(500),
  BILLING_SCAN_MAX_QUEUED: positiveInt.default(10_000),
  BILLING_INCOMPLETE_EXPIRY_HOURS: positiveInt.default(23),
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
  clock: 'system' | 'test';
  chargeConcurrency: number;
  /** BullMQ lock and stall-check interval: how soon a dead worker's job is handed to another. */
  jobLockMs: number;
  scanIntervalMs: number;
  scanBatch: number;
  /** Look-ahead: the most charge jobs a scan lets wait in Redis (back-pressure; bounds Redis memory). */
  scanMaxQueued: number;
  incompleteExpiryHours: number;
  logLevel: string;
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
    clock: e.BILLING_CLOCK,
    chargeConcurrency: e.BILLING_CHARGE_CONCURRENCY,
    jobLockMs: e.BILLING_JOB_LOCK_MS,
    scanIntervalMs: e.BILLING_SCAN_INTERVAL_MS,
    scanBatch: e.BILLING_SCAN_BATCH,
    scanMaxQueued: e.BILLING_SCAN_MAX_QUEUED,
    incompleteExpiryHours: e.BILLING_INCOMPLETE_EXPIRY_HOURS,
    logLevel: e.LOG_LEVEL,
  };
}
