import type { Command } from 'commander';
import { Duration, DateTime } from 'luxon';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue } from '../output.ts';
import { parseOptionalInteger, withJson, type JsonFlag } from '../options.ts';
import { ValidationError } from '../../errors.ts';
import { readTestClock } from '../../testClock/store.ts';
import { advanceTestClock } from '../../testClock/advance.ts';
import { parseAnchor } from '../../billing/periods.ts';
import { TerminalProgress } from '../progress.ts';
import { progressBaseline, startProgressTicker } from '../../testClock/progress.ts';

interface AdvanceOptions extends JsonFlag {
  to?: string;
  by?: string;
  wait?: boolean;
  step?: string;
  timeout?: string;
}

export function parseDuration(text: string, field: string): Duration {
  const d = Duration.fromISO(text);
  if (!d.isValid || d.toMillis() <= 0)
    throw new ValidationError(
      field,
      'positive ISO 8601 duration',
      `"${text}" is not a positive ISO 8601 duration such as P1M, P7D or PT12H`,
    );
  return d;
}

export function register(program: Command, deps: CliDeps): void {
  const clock = program.command('clock').description('the test clock (BILLING_CLOCK=test): show it, move it forward');

  const requireTestClock = () => {
    if (deps.config().clock !== 'test')
      throw new ValidationError(
        'BILLING_CLOCK',
        'must be "test"',
        'the engine runs on the system clock; set BILLING_CLOCK=test to use a test clock',
      );
  };

  withJson(clock.command('show'))
    .description('print the engine time')
    .action(async (opts: JsonFlag) => {
      requireTestClock();
      const now = await deps.withContext((ctx) => readTestClock(ctx.db));
      emit(deps.out, opts.json, { id: 'test_clock', now: now.toISOString() }, () =>
        formatKeyValue([['now', now.toISOString()]]),
      );
    });

  withJson(clock.command('advance'))
    .description(
      'move engine time forward (--wait: return once the running engine processed everything that became due)',
    )
    .option('--to <iso>', 'target time (a date or date-time; UTC unless it has an offset)')
    .option('--by <duration>', 'ISO 8601 duration, e.g. P1M, P10D, PT6H')
    .option('--wait', 'step through time and wait for the engine at each step')
    .option(
      '--step <duration>',
      'with --wait: the coarsest step (default P1D); events closer together are processed together',
    )
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds per step (default 120)')
    .action(async (opts: AdvanceOptions) => {
      requireTestClock();
      if ((opts.to === undefined) === (opts.by === undefined))
        throw new ValidationError('--to/--by', 'exactly one', 'give either --to ISO or --by ISO-DURATION');
      const by = opts.by !== undefined ? parseDuration(opts.by, '--by') : undefined;
      const to = opts.to !== undefined ? parseAnchor(opts.to, 'UTC', '--to') : undefined;
      const stepMs = parseDuration(opts.step ?? 'P1D', '--step').toMillis();
      const timeoutS = parseOptionalInteger(opts.timeout, '--timeout', { min: 1, max: 86_400 }) ?? 120;
      const report = await deps.withContext(async (ctx) => {
        const now = await readTestClock(ctx.db);
        const target =
          to ??
          DateTime.fromJSDate(now, { zone: 'UTC' })
            .plus(by ?? {})
            .toJSDate();
        if (target.getTime() < now.getTime())
          throw new ValidationError(
            '--to',
            'not before the current test time',
            `${target.toISOString()} is before ${now.toISOString()}; the test clock only moves forward`,
          );
        // On a terminal, --wait shows where the engine is (quiet when stdout is piped).
        const progress = opts.wait === true ? TerminalProgress.on(deps.terminal) : null;
        const ticker = progress
          ? startProgressTicker(ctx.db, await progressBaseline(ctx.db), (line) => progress.update(line))
          : null;
        try {
          return await deps.withQueues((queues) =>
            advanceTestClock(ctx.db, queues, {
              to: target,
              wait: opts.wait === true,
              stepMs,
              timeoutMs: timeoutS * 1000,
            }),
          );
        } finally {
          await ticker?.stop();
          if (opts.json === true) progress?.clear();
          else progress?.finish();
        }
      });
      emit(
        deps.out,
        opts.json,
        {
          id: 'test_clock',
          from: report.from.toISOString(),
          now: report.to.toISOString(),
          steps: report.steps,
          waited: opts.wait === true,
        },
        () =>
          formatKeyValue([
            ['from', report.from.toISOString()],
            ['now', report.to.toISOString()],
            ['steps', String(report.steps)],
            [
              'waited',
              opts.wait === true ? 'yes: everything due has been processed' : 'no: the engine catches up on its own',
            ],
          ]),
      );
    });
}
