import { loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { startEngine, type Engine, type EngineParts } from './engine.ts';
import { errorMessage } from './errors.ts';
import { EngineMetrics } from './metrics.ts';

/**
 * Shared main() for `billing run` and workers/*.ts: load config, start the chosen parts, and
 * drain gracefully on SIGTERM/SIGINT (a second signal forces exit).
 */
export async function runProcess(
  name: string,
  parts: EngineParts,
  config: Config = loadConfig(process.env),
): Promise<{ engine: Engine; logger: Logger }> {
  const logger = createLogger({ level: config.logLevel, name });
  const engine = await startEngine({
    config,
    logger,
    parts,
    overrides: { metrics: new EngineMetrics({ defaultMetrics: true }) },
  });
  logger.info({ parts, clock: config.clock, gateway: config.gateway.kind, httpUrl: engine.httpUrl }, `${name} ready`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'draining: finishing in-flight jobs');
    engine.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return { engine, logger };
}

/** Entry-point wrapper: bad configuration is exit code 2, anything else 1. */
export function main(name: string, parts: EngineParts): void {
  runProcess(name, parts).catch((err: unknown) => {
    process.stderr.write(`${name}: ${errorMessage(err)}\n`);
    process.exit((err as { code?: string }).code === 'VALIDATION' ? 2 : 1);
  });
}
