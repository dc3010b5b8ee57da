import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { COMMAND_GROUPS } from './commands/index.ts';
import { createCliDeps, type CliIo } from './deps.ts';
import { EXIT, errorLine, exitCodeFor } from './exitCodes.ts';
import { redactErrorText } from './redactOutput.ts';

/**
 * The `billing` admin command. `runCli` is the whole CLI as a function: it writes only
 * through `io` and returns the exit code instead of exiting, so tests drive it in-process
 * and the entry point below is the only place that touches the real process.
 */
export function buildProgram(io: CliIo): Command {
  const deps = createCliDeps(io);
  const program = new Command('billing')
    .description('AsiaBill subscription billing: plans, customers, payment methods, renewals')
    // Settings made here are inherited by every subcommand created afterwards, so they
    // must come before the groups register.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(redactErrorText(s.replace(/\n$/, ''))),
    })
    .showSuggestionAfterError(true);
  for (const register of COMMAND_GROUPS) register(program, deps);
  return program;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    // Commander has already printed its own usage message (through `io.err`).
    if (!(err instanceof CommanderError)) io.err(redactErrorText(errorLine(err)));
    return exitCodeFor(err);
  }
}

/** Runs the CLI on the real process: argv, environment, stdout/stderr, exit code. */
export async function runOnProcess(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    terminal: process.stdout,
  });
  process.exitCode = code;
}

function isEntryScript(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryScript()) await runOnProcess();
