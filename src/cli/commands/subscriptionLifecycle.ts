import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { changePlan, parseChangeWhen, previewPlanChange } from '../../subscriptions/planChange.ts';
import { quoteJson, quoteLines } from '../views/lifecycle.ts';
import { pauseSubscription, resumeSubscription } from '../../subscriptions/pause.ts';
import { reactivateSubscription } from '../../subscriptions/cancel.ts';
import { applyCoupon } from '../../coupons/coupons.ts';
import { upcomingInvoice } from '../../subscriptions/upcoming.ts';
import { endTrial } from '../../subscriptions/trial.ts';
import { parseAnchor } from '../../billing/periods.ts';
import { chargeJson, upcomingJson } from '../views/operations.ts';

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
      const charge = chargeJson(r.charge);
      emit(deps.out, opts.json, { ...quoteJson(r.quote), invoiceId: r.invoiceId, charge }, () => [
        ...quoteLines(r.quote),
        ...(r.invoiceId
          ? [`invoice ${r.invoiceId}${r.charge?.kind === 'attempted' ? `: charge ${r.charge.status}` : ''}`]
          : []),
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

  withJson(subs.command('pause'))
    .description('stop renewals (open invoices are voided) until resumed, or until --until')
    .argument('<id>', 'subscription id (sub_…)')
    .option('--until <iso>', 'resume by itself at this time (UTC unless it has an offset)')
    .action(async (id: string, opts: JsonFlag & { until?: string }) => {
      const until = opts.until === undefined ? undefined : parseAnchor(opts.until, 'UTC', '--until');
      const r = await deps.withContext((ctx) => pauseSubscription(ctx, id, { until }));
      emit(deps.out, opts.json, { id, status: r.status, resumeAt: r.resumeAt?.toISOString() ?? null }, () => [
        `subscription ${id} paused${r.resumeAt ? ` until ${r.resumeAt.toISOString()}` : ''}`,
      ]);
    });

  withJson(subs.command('resume'))
    .description('resume a paused subscription: a new period starts now (or the original schedule with --keep-anchor)')
    .argument('<id>', 'subscription id (sub_…)')
    .option('--keep-anchor', 'keep the original billing anchor; the rest of the current period is charged prorated')
    .action(async (id: string, opts: JsonFlag & { keepAnchor?: boolean }) => {
      const r = await deps.withContext((ctx) => resumeSubscription(ctx, id, { keepAnchor: opts.keepAnchor === true }));
      emit(deps.out, opts.json, { id, status: r.status, invoiceId: r.invoiceId, charge: chargeJson(r.charge) }, () => [
        `subscription ${id} ${r.status}${r.invoiceId ? `; invoice ${r.invoiceId}` : ''}${r.charge?.kind === 'attempted' ? ` charged: ${r.charge.status}` : ''}`,
      ]);
    });

  withJson(subs.command('reactivate'))
    .description('undo cancel --at-period-end before the period ends')
    .argument('<id>', 'subscription id (sub_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const r = await deps.withContext((ctx) => reactivateSubscription(ctx, id));
      emit(deps.out, opts.json, { id, status: r.status, cancelAtPeriodEnd: false }, () => [
        `subscription ${id} will renew as usual`,
      ]);
    });

  withJson(subs.command('apply-coupon'))
    .description('apply a coupon to the next invoices of a subscription')
    .argument('<id>', 'subscription id (sub_…)')
    .requiredOption('--coupon <code>', 'coupon code')
    .action(async (id: string, opts: JsonFlag & { coupon: string }) => {
      const r = await deps.withContext((ctx) => applyCoupon(ctx, id, opts.coupon));
      emit(deps.out, opts.json, { id, couponId: r.couponId, periodsLeft: r.periodsLeft }, () => [
        `coupon ${opts.coupon} applied to ${id}${r.periodsLeft === null ? ' (forever)' : ` (${r.periodsLeft} invoice(s))`}`,
      ]);
    });

  withJson(subs.command('upcoming'))
    .description('the next invoice exactly as the renewal will write it (coupon, credit, scheduled plan change)')
    .argument('<id>', 'subscription id (sub_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const u = await deps.withContext((ctx) => upcomingInvoice(ctx, id));
      emit(deps.out, opts.json, upcomingJson(id, u), () => [
        `next invoice for ${id}: ${u.amountDue.amount} (minor units, ${u.amountDue.currency}), ${u.periodStart.toISOString()} → ${u.periodEnd.toISOString()}`,
        ...u.lines.map((l) => `  ${l.description}  ${l.amount}`),
      ]);
    });

  withJson(subs.command('end-trial'))
    .description('end a trial now: the first period starts and is charged at once')
    .argument('<id>', 'subscription id (sub_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const r = await deps.withContext((ctx) => endTrial(ctx, id));
      emit(deps.out, opts.json, { id, status: r.status, invoiceId: r.invoiceId, charge: chargeJson(r.charge) }, () => [
        `trial of ${id} ended; status ${r.status}${r.charge?.kind === 'attempted' ? `, first charge ${r.charge.status}` : ''}`,
      ]);
    });
}
