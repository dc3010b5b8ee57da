import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { changePlan, parseChangeWhen, previewPlanChange } from '../../subscriptions/planChange.ts';
import { quoteJson, quoteLines } from '../views/lifecycle.ts';

/**
 * The lifecycle subcommands of `billing subscriptions` (plan changes, pause/resume, cancel
 * options, coupons, trials). Each is a thin adapter over one workflow function.
 */
interface ChangeOptions extends JsonFlag {
  plan: string;
  when?: string;
}

export function registerLifecycle(subs: Command, deps: CliDeps): void {
  withJson(subs.command('change-plan'))
    .description('move a subscription to another plan, now (prorated) or at the end of its period')
    .argument('<id>', 'subscription id (sub_…)')
    .requiredOption('--plan <code>', 'plan code (its newest active version)')
    .option('--when <when>', 'now | period-end (default now)')
    .action(async (id: string, opts: ChangeOptions) => {
      const when = parseChangeWhen(opts.when ?? 'now', '--when');
      const r = await deps.withContext((ctx) => changePlan(ctx, id, { planCode: opts.plan, when }));
      const charge =
        r.charge?.kind === 'attempted'
          ? { orderNo: r.charge.orderNo, status: r.charge.status, orderInfo: r.charge.orderInfo ?? null }
          : null;
      emit(deps.out, opts.json, { ...quoteJson(r.quote), invoiceId: r.invoiceId, charge }, () => [
        ...quoteLines(r.quote),
        ...(r.invoiceId ? [`invoice ${r.invoiceId}${charge ? `: charge ${charge.status}` : ''}`] : []),
      ]);
    });

  withJson(subs.command('preview-change'))
    .description('show exactly what a plan change would charge now and on the next invoice (writes nothing)')
    .argument('<id>', 'subscription id (sub_…)')
    .requiredOption('--plan <code>', 'plan code (its newest active version)')
    .option('--when <when>', 'now | period-end (default now)')
    .action(async (id: string, opts: ChangeOptions) => {
      const when = parseChangeWhen(opts.when ?? 'now', '--when');
      const q = await deps.withContext((ctx) => previewPlanChange(ctx, id, { planCode: opts.plan, when }));
      emit(deps.out, opts.json, quoteJson(q), () => quoteLines(q));
    });
}
