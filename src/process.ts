import { loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { startEngine, type Engine, type EngineParts } from './engine.ts';
import { errorMessage } from './errors.ts';
import { EngineMetrics } from './metrics.ts';
import { StartupAbortedError } from './health/waitForDependencies.ts';

/** Time a drain gets beyond the gateway timeout: for the outcome writes after the last answer. */
export const SHUTDOWN_MARGIN_MS = 15_000;

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
  const startup = new AbortController();
  let stopping = false;
  // Set once start-up settles: the running engine, or null when start-up was abandoned.
  let started: Promise<Engine | null> = Promise.resolve(null);
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'draining: finishing in-flight jobs');
    // A drain that cannot finish (Redis gone: jobs cannot be acknowledged) must not keep the
    // process alive forever. Past the deadline every in-flight charge has had its whole
    // gateway timeout; whatever is still open is an unknown outcome the reconciler settles.
    const deadlineMs = config.gateway.timeoutMs + SHUTDOWN_MARGIN_MS;
    setTimeout(() => {
      logger.error({ signal, deadlineMs }, 'drain did not finish in time: exiting (open attempts are reconciled)');
      process.exit(1);
    }, deadlineMs).unref();
    // Still waiting for Postgres/Redis: stop waiting (nothing has started, nothing to drain).
    startup.abort();
    started
      .then((engine) => engine?.close())
      .then(
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
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  watchLauncher(() => stop('launcher exited'));
  started = startEngine({
    config,
    logger,
    parts,
    signal: startup.signal,
    overrides: { metrics: new EngineMetrics({ defaultMetrics: true }) },
  }).catch((err: unknown) => {
    if (err instanceof StartupAbortedError) {
      logger.info('stopped before becoming ready');
      return null;
    }
    throw err;
  });
  const engine = await started;
  // A signal arrived during start-up: the stop handler above drains and ends the process.
  if (engine === null || stopping) return new Promise<never>(() => {});
  logger.info({ parts, clock: config.clock, gateway: config.gateway.kind, httpUrl: engine.httpUrl }, `${name} ready`);
  return { engine, logger };
}

/**
 * `npx billing run` and `npm run …` start the engine under `npm exec` → `sh -c` → node, and
 * npm does not pass SIGTERM on: `kill -TERM <npx pid>` ends npm and leaves the engine running,
 * re-parented to PID 1, with nobody left to stop it. So a process that was started by a
 * launcher stops (drains, exactly as on SIGTERM) when that launcher goes away. A process whose
 * parent is PID 1 or none (a container's main process, systemd) is not watched.
 */
export function watchLauncher(onGone: () => void, intervalMs = LAUNCHER_CHECK_INTERVAL_MS): void {
  const launcher = process.ppid;
  if (launcher <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid !== launcher) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
}

/** How often a process checks that whoever started it is still there. */
export const LAUNCHER_CHECK_INTERVAL_MS = 1_000;

/** Entry-point wrapper: bad configuration is exit code 2, anything else 1. */
export function main(name: string, parts: EngineParts): void {
  runProcess(name, parts).catch((err: unknown) => {
    process.stderr.write(`${name}: ${errorMessage(err)}\n`);
    process.exit((err as { code?: string }).code === 'VALIDATION' ? 2 : 1);
  });
}
