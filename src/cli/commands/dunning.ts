import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { setPlanDunningPolicy, showDunningPolicy, type EffectiveDunningPolicy } from '../../dunning/planPolicy.ts';
import { ValidationError } from '../../errors.ts';
import { dunningPolicyJson } from '../views/operations.ts';

function lines(e: EffectiveDunningPolicy): string[] {
  const p = e.policy;
  return formatKeyValue([
    ['source', e.source],
    ['retry delays (hours)', p.retryDelayHours.join(', ')],
    ['max attempts', String(p.maxAttempts)],
    ['max days in dunning', String(p.maxDays)],
    ['final action', p.finalAction],
    ['customer action deadline (hours)', String(p.actionDeadlineHours)],
    ['pay link open (hours)', String(p.payLinkHours)],
  ]);
}

export function register(program: Command, deps: CliDeps): void {
  const d = program.command('dunning').description('the dunning policy: retries, limits and final action');

  withJson(d.command('show'))
    .description('print the effective dunning policy (the default, or a plan’s override merged over it)')
    .option('--plan <code>', 'the policy a plan’s subscriptions follow')
    .action(async (opts: JsonFlag & { plan?: string }) => {
      const e = await deps.withContext((ctx) => showDunningPolicy(ctx, opts.plan));
      emit(deps.out, opts.json, dunningPolicyJson(e), () => lines(e));
    });

  withJson(d.command('set'))
    .description('store a plan’s dunning override (JSON, merged over the default), or --reset it')
    .requiredOption('--plan <code>', 'plan code (all its versions)')
    .option('--policy <json>', 'e.g. {"retryDelayHours":[24,72],"maxAttempts":3,"finalAction":"unpaid"}')
    .option('--reset', 'remove the override: the plan follows the default')
    .action(async (opts: JsonFlag & { plan: string; policy?: string; reset?: boolean }) => {
      if ((opts.policy === undefined) === (opts.reset !== true))
        throw new ValidationError('--policy', 'exactly one', 'give either --policy JSON or --reset');
      let raw: unknown = null;
      if (opts.policy !== undefined) {
        try {
          raw = JSON.parse(opts.policy);
        } catch {
          throw new ValidationError('--policy', 'JSON', 'is not valid JSON');
        }
      }
      const e = await deps.withContext((ctx) => setPlanDunningPolicy(ctx, opts.plan, raw));
      emit(deps.out, opts.json, dunningPolicyJson(e), () => lines(e));
    });
}
