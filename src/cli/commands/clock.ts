import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue } from '../output.ts';
import { parseOptionalInteger, withJson, type JsonFlag } from '../options.ts';
import { readTestClock } from '../../testClock/store.ts';
import { advanceTestClock } from '../../testClock/advance.ts';
import { TerminalProgress } from '../progress.ts';
import { progressBaseline, startProgressTicker } from '../../testClock/progress.ts';
import {
  advanceTarget,
  parseDuration,
  readAdvanceRequest,
  requireTestClock as requireTestClockIn,
} from '../../testClock/request.ts';

export { parseDuration };

interface AdvanceOptions extends JsonFlag {
  to?: string;
  by?: string;
  wait?: boolean;
  step?: string;
  timeout?: string;
}

export function register(program: Command, deps: CliDeps): void {
  const clock = program.command('clock').description('the test clock (BILLING_CLOCK=test): show it, move it forward');

  const requireTestClock = () => requireTestClockIn(deps.config());

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
      const request = readAdvanceRequest({ to: opts.to, by: opts.by }, { to: '--to', by: '--by', toOrBy: '--to/--by' });
      const stepMs = parseDuration(opts.step ?? 'P1D', '--step').toMillis();
      const timeoutS = parseOptionalInteger(opts.timeout, '--timeout', { min: 1, max: 86_400 }) ?? 120;
      const report = await deps.withContext(async (ctx) => {
        const target = advanceTarget(await readTestClock(ctx.db), request, '--to');
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
