import type { Command } from 'commander';
import { archivePlan, createPlan, getPlanByCode, listPlans } from '../../catalog/plans.ts';
import { validatePlanCode, validatePlanInput } from '../../catalog/planPolicy.ts';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { parseOptionalInteger, withJson, type JsonFlag } from '../options.ts';
import { PLAN_COLUMNS, PLAN_VERSION_COLUMNS, planDetails, planJson } from '../views/plan.ts';

interface CreateOptions extends JsonFlag {
  code: string;
  name: string;
  amount: string;
  currency: string;
  interval: string;
  intervalCount?: string;
  trialDays?: string;
}

export function register(program: Command, deps: CliDeps): void {
  const plans = program.command('plans').description('the plan catalogue (plans are versioned and immutable)');

  withJson(plans.command('create'))
    .description('create a plan, or a new version of an existing code')
    .requiredOption('--code <code>', 'plan code, e.g. pro-monthly (letters, digits, _ . -; at most 50)')
    .requiredOption('--name <name>', 'display name (1-200 characters)')
    .requiredOption('--amount <amount>', 'price in major units, e.g. 19.99')
    .requiredOption('--currency <code>', 'ISO 4217 currency, e.g. USD')
    .requiredOption('--interval <unit>', 'day, week, month or year')
    .option('--interval-count <n>', 'bill every N intervals (default 1)')
    .option('--trial-days <n>', 'free trial length in days (default 0)')
    .action(async (opts: CreateOptions) => {
      const input = {
        code: opts.code,
        name: opts.name,
        amount: opts.amount,
        currency: opts.currency,
        interval: opts.interval,
        intervalCount: parseOptionalInteger(opts.intervalCount, '--interval-count'),
        trialDays: parseOptionalInteger(opts.trialDays, '--trial-days'),
      };
      // Checked here as well as in createPlan so that bad input never opens a connection
      // (under the test clock even reading the time is a query).
      validatePlanInput(input);
      const plan = await deps.withContext(async (ctx) => createPlan(ctx, input));
      emit(deps.out, opts.json, planJson(plan), () => formatKeyValue(planDetails(plan)));
    });

  withJson(plans.command('list'))
    .description('list plans (newest version of each code)')
    .option('--all', 'include archived plans')
    .action(async (opts: JsonFlag & { all?: boolean }) => {
      const rows = await deps.withContext((ctx) => listPlans(ctx.db, { includeArchived: opts.all === true }));
      emit(deps.out, opts.json, rows.map(planJson), () => formatTable(PLAN_COLUMNS, rows));
    });

  withJson(plans.command('show'))
    .description('show a plan and all its versions')
    .argument('<code>', 'plan code')
    .action(async (code: string, opts: JsonFlag) => {
      const { plan, versions } = await deps.withContext((ctx) => getPlanByCode(ctx.db, code));
      emit(deps.out, opts.json, { ...planJson(plan), versions: versions.map(planJson) }, () => [
        ...formatKeyValue(planDetails(plan)),
        '',
        'versions:',
        ...formatTable(PLAN_VERSION_COLUMNS, versions),
      ]);
    });

  withJson(plans.command('archive'))
    .description('archive every version of a plan: no new subscriptions, running ones continue')
    .argument('<code>', 'plan code')
    .action(async (code: string, opts: JsonFlag) => {
      validatePlanCode(code);
      const archived = await deps.withContext(async (ctx) => archivePlan(ctx, code));
      emit(deps.out, opts.json, archived.map(planJson), () => [
        `archived plan ${code} (${archived.length} version${archived.length === 1 ? '' : 's'})`,
        ...formatTable(PLAN_VERSION_COLUMNS, archived),
      ]);
    });
}
