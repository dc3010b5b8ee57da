import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatTable } from '../output.ts';
import { couponJson, describeCouponOff as describeOff } from '../views/operations.ts';
import { parseOptionalInteger, withJson, type JsonFlag } from '../options.ts';
import { createCoupon, listCoupons } from '../../coupons/coupons.ts';
import type { CouponRow } from '../../db/rows.ts';

export function register(program: Command, deps: CliDeps): void {
  const cmd = program.command('coupons').description('coupons: discounts on subscription invoices');

  withJson(cmd.command('create'))
    .description('create a coupon (percentage or fixed amount; once, repeating for N invoices, or forever)')
    .requiredOption('--code <code>', 'coupon code')
    .option('--percent-off <p>', 'percentage, up to 2 decimals (12.5)')
    .option('--amount-off <x>', 'fixed amount in --currency (5.00)')
    .option('--currency <cur>', 'ISO 4217 currency of --amount-off')
    .requiredOption('--duration <d>', 'once | repeating | forever')
    .option('--periods <n>', 'invoices a repeating coupon applies to')
    .action(
      async (
        opts: JsonFlag & {
          code: string;
          percentOff?: string;
          amountOff?: string;
          currency?: string;
          duration: string;
          periods?: string;
        },
      ) => {
        const periods = parseOptionalInteger(opts.periods, '--periods');
        const c = await deps.withContext((ctx) =>
          createCoupon(ctx, {
            code: opts.code,
            percentOff: opts.percentOff,
            amountOff: opts.amountOff,
            currency: opts.currency,
            duration: opts.duration,
            periods,
          }),
        );
        emit(deps.out, opts.json, couponJson(c), () => [
          `coupon ${c.code} (${c.id}): ${describeOff(c)} off, ${c.duration}`,
        ]);
      },
    );

  withJson(cmd.command('list'))
    .description('list coupons')
    .action(async (opts: JsonFlag) => {
      const rows = await deps.withContext((ctx) => listCoupons(ctx));
      emit(deps.out, opts.json, rows.map(couponJson), () =>
        formatTable(
          [
            { header: 'CODE', value: (c: CouponRow) => c.code },
            { header: 'OFF', value: describeOff, align: 'right' },
            { header: 'DURATION', value: (c) => c.duration + (c.durationPeriods ? ` ×${c.durationPeriods}` : '') },
            { header: 'ID', value: (c) => c.id },
          ],
          rows,
        ),
      );
    });
}
