import type { Config } from './config.ts';
import type { Database, Db } from './db/client.ts';
import { openDatabase } from './db/client.ts';
import type { AsiabillGateway } from './asiabill/types.ts';
import { AsiabillClient } from './asiabill/client.ts';
import { systemTime, wallClock, type Clock, type TimeSource } from './clock.ts';
import { dbTestClock } from './testClock/store.ts';
import type { Logger } from './logger.ts';
import type { EngineMetrics } from './metrics.ts';

/**
 * Everything a unit of work needs, passed explicitly (no imported singletons), so tests
 * can hand in a test database, a sandbox-backed gateway, a manual clock.
 */
export interface AppContext {
  config: Config;
  db: Db;
  gateway: AsiabillGateway;
  /** Engine time: billing dates. Test clock aware. */
  time: TimeSource;
  /** Real wall time: signed request-time, the 10-minute reconciliation window. */
  wall: Clock;
  logger: Logger;
  /** Prometheus counters of this process; absent in the CLI and in tests that don't need them. */
  metrics?: EngineMetrics;
}

export function gatewayFromConfig(config: Config, logger: Logger): AsiabillClient {
  return new AsiabillClient({
    paymentUrl: config.gateway.paymentUrl,
    openapiUrl: config.gateway.openapiUrl,
    gatewayNo: config.gateway.gatewayNo,
    signKey: config.gateway.signKey,
    timeoutMs: config.gateway.timeoutMs,
    logger,
  });
}

export function timeFromConfig(config: Config, db: Db): TimeSource {
  return config.clock === 'test' ? dbTestClock(db) : systemTime;
}

/** Opens the database and builds a context; the caller owns `database.close()`. */
export function createContext(
  config: Config,
  logger: Logger,
  overrides: Partial<AppContext> = {},
): { ctx: AppContext; database: Database } {
  const database = openDatabase(config.databaseUrl, { max: config.pgPoolMax });
  const ctx: AppContext = {
    config,
    db: database.db,
    gateway: overrides.gateway ?? gatewayFromConfig(config, logger),
    time: overrides.time ?? timeFromConfig(config, database.db),
    wall: overrides.wall ?? wallClock,
    logger,
    ...overrides,
  };
  return { ctx, database };
}
