/**
 * One OS process of the multi-process charge race (test/chaos/charge-once.test.ts): its own
 * Node process, pool and gateway client, like a charge worker on another machine. It opens
 * everything, says "ready", waits for "go" on stdin so all processes start together, then
 * calls chargeInvoice `RACE_CALLS` times concurrently for each invoice id given as an
 * argument and prints one JSON line of results.
 */
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { silentLogger } from '../../src/logger.ts';
import { chargeInvoice } from '../../src/renewals/charge.ts';

export interface RaceResult {
  invoiceId: string;
  kind: string;
  detail: string;
  info?: string;
}

const invoiceIds = process.argv.slice(2);
const calls = Number(process.env.RACE_CALLS ?? '5');
const { ctx, database } = createContext(loadConfig(process.env), silentLogger);
await ctx.db.execute('select 1');
process.stdin.once('data', () => {
  void (async () => {
    const results: RaceResult[] = await Promise.all(
      invoiceIds.flatMap((invoiceId) =>
        Array.from({ length: calls }, () =>
          chargeInvoice(ctx, invoiceId).then(
            (r) => ({
              invoiceId,
              kind: r.kind,
              detail: r.kind === 'attempted' ? r.status : r.reason,
              info: r.kind === 'attempted' ? (r.orderInfo ?? '') : '',
            }),
            (err: unknown) => ({ invoiceId, kind: 'error', detail: err instanceof Error ? err.message : String(err) }),
          ),
        ),
      ),
    );
    process.stdout.write(`${JSON.stringify(results)}\n`);
    await database.close();
    process.stdin.destroy();
  })();
});
process.stdout.write('ready\n');
