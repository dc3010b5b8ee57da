import type { Command } from 'commander';
import { MAX_INTERVAL_COUNT } from '../../catalog/planPolicy.ts';
import { formatInZone, nextBoundaries, parseAnchor, parseInterval, validateTimeZone } from '../../billing/periods.ts';
import type { CliDeps } from '../deps.ts';
import { emit } from '../output.ts';
import { parseIntegerOption, withJson, type JsonFlag } from '../options.ts';

/** Enough to see several years of a daily schedule; more is a runaway loop in a script. */
export const MAX_PERIODS_COUNT = 1000;
export const DEFAULT_PERIODS_COUNT = 12;

interface PeriodsOptions extends JsonFlag {
  anchor: string;
  interval: string;
  intervalCount: string;
  timezone: string;
  count: string;
}

/**
 * `billing periods`: the period calculator, for operators checking what a schedule will do
 * (month-end clamping, DST) before they sell it. Pure: no configuration, no database.
 */
export function register(program: Command, deps: CliDeps): void {
  withJson(program.command('periods'))
    .description('print the next period boundaries of a billing schedule')
    .requiredOption(
      '--anchor <when>',
      'first boundary: 2025-01-31, 2025-01-31T10:00:00 (local to --timezone) or with an offset',
    )
    .requiredOption('--interval <unit>', 'day, week, month or year')
    .option('--interval-count <n>', 'N intervals per period', '1')
    .option('--timezone <zone>', 'IANA time zone of the schedule', 'UTC')
    .option('--count <n>', `how many boundaries to print (1-${MAX_PERIODS_COUNT})`, String(DEFAULT_PERIODS_COUNT))
    .action((opts: PeriodsOptions) => {
      // Field names are the option names: this command has no service layer in between.
      const zone = validateTimeZone(opts.timezone, '--timezone');
      const anchor = parseAnchor(opts.anchor, zone, '--anchor');
      const interval = parseInterval(opts.interval, '--interval');
      const intervalCount = parseIntegerOption(opts.intervalCount, '--interval-count', {
        min: 1,
        max: MAX_INTERVAL_COUNT[interval],
      });
      const count = parseIntegerOption(opts.count, '--count', { min: 1, max: MAX_PERIODS_COUNT });
      const boundaries = nextBoundaries({ anchor, interval, intervalCount, timeZone: zone }, count).map((d) =>
        formatInZone(d, zone),
      );
      emit(deps.out, opts.json, boundaries, () => boundaries);
    });
}
