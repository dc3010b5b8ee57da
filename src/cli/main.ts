import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { COMMAND_GROUPS } from './commands/index.ts';
import { createCliDeps, type CliIo } from './deps.ts';
import { EXIT } from './exitCodes.ts';
import { errorReport, errorReportJson, errorReportText } from './errorReport.ts';
import { redactErrorText } from './redactOutput.ts';

/** The package's version, for `billing --version`. */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Appended to the description of every mandatory option, so `--help` shows what must be given. */
export const REQUIRED_MARK = '(required)';

/**
 * The `billing` admin command. `runCli` is the whole CLI as a function: it writes only
 * through `io` and returns the exit code instead of exiting, so tests drive it in-process
 * and the entry point below is the only place that touches the real process.
 */
export function buildProgram(
  io: CliIo,
  opts: { jsonErrors?: boolean; onAction?: (cmd: Command) => void } = {},
): Command {
  const deps = createCliDeps(io);
  const program = new Command('billing')
    .description('AsiaBill subscription billing: plans, customers, payment methods, renewals')
    .version(CLI_VERSION, '-V, --version', 'print the version of billing')
    // Settings made here are inherited by every subcommand created afterwards, so they
    // must come before the groups register.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      // With --json, commander's own usage errors are reported as JSON by runCli instead.
      writeErr: (s) => {
        if (opts.jsonErrors !== true) io.err(redactErrorText(s.replace(/\n$/, '')));
      },
    })
    .showSuggestionAfterError(true)
    .hook('preAction', (_program, actionCommand) => opts.onAction?.(actionCommand));
  for (const register of COMMAND_GROUPS) register(program, deps);
  markRequiredOptions(program);
  return program;
}

function markRequiredOptions(cmd: Command): void {
  for (const option of cmd.options) {
    if (option.mandatory && !option.description.endsWith(REQUIRED_MARK)) {
      option.description = `${option.description} ${REQUIRED_MARK}`;
    }
  }
  for (const sub of cmd.commands) markRequiredOptions(sub);
}

/** `--json` anywhere before a `--` asks for JSON, errors included. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = wantsJson(argv);
  let actionCommand: Command | undefined;
  const program = buildProgram(io, {
    jsonErrors: json,
    onAction: (cmd) => {
      actionCommand = cmd;
    },
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    const report = errorReport(err, actionCommand);
    if (report.exitCode === EXIT.ok) return EXIT.ok; // --help, --version
    if (json) io.err(redactErrorText(JSON.stringify(errorReportJson(report))));
    // Commander has already printed its own usage message (through `io.err`).
    else if (!report.code.startsWith('commander.')) io.err(redactErrorText(errorReportText(report)));
    return report.exitCode;
  }
}

/** Runs the CLI on the real process: argv, environment, stdout/stderr, exit code. */
export async function runOnProcess(): Promise<void> {
  // `billing … | head -1`: the reader is gone, nothing more can be shown; stop quietly
  // instead of crashing with an EPIPE stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
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
