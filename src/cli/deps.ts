import { loadConfig, type Config } from '../config.ts';
import { createContext, type AppContext } from '../context.ts';
import { createLogger, type Logger } from '../logger.ts';
import { openQueues, type Queues } from '../queue/connection.ts';
import type { TerminalLike } from './progress.ts';

/** Where the CLI reads its environment and writes its output; tests pass their own. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** One chunk of output without its trailing newline (usually a line). */
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where progress lines may be drawn (stdout); progress shows only when it is a TTY. */
  terminal?: TerminalLike;
}

/**
 * What commands may use. Everything is built lazily, on first use: `billing periods` or a
 * command refused for bad arguments never reads the configuration or opens a connection.
 */
export interface CliDeps {
  config(): Config;
  /** Opens the database and gateway, runs `fn`, and always closes the pool again. */
  withContext<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T>;
  /** Opens the engine's queues (to nudge a running engine), runs `fn`, and closes them. */
  withQueues<T>(fn: (queues: Queues) => Promise<T>): Promise<T>;
  out: (s: string) => void;
  err: (s: string) => void;
  /** The raw environment, for the few commands that read a variable on their own terms. */
  env: NodeJS.ProcessEnv;
  /** stdout as a terminal, for progress lines (null: none, e.g. in tests). */
  terminal: TerminalLike | null;
}

export function createCliDeps(io: CliIo): CliDeps {
  let config: Config | undefined;
  let logger: Logger | undefined;
  const getConfig = (): Config => {
    config ??= loadConfig(io.env);
    return config;
  };
  const getLogger = (): Logger => {
    // Logs go to stderr, never stdout: stdout carries the command's result (maybe JSON).
    logger ??= createLogger({
      // A person at a terminal wants results, not the engine's info lines; LOG_LEVEL wins.
      level: io.env.LOG_LEVEL ? getConfig().logLevel : 'warn',
      name: 'billing-cli',
      destination: { write: (line: string) => io.err(line.replace(/\n$/, '')) },
    });
    return logger;
  };
  return {
    config: getConfig,
    async withContext<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> {
      const { ctx, database } = createContext(getConfig(), getLogger());
      try {
        return await fn(ctx);
      } finally {
        await database.close();
      }
    },
    async withQueues<T>(fn: (queues: Queues) => Promise<T>): Promise<T> {
      const c = getConfig();
      const queues = openQueues(c.redisUrl, c.queuePrefix);
      try {
        return await fn(queues);
      } finally {
        await queues.close();
      }
    },
    out: io.out,
    err: io.err,
    env: io.env,
    terminal: io.terminal ?? null,
  };
}
