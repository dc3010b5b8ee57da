import type { Command } from 'commander';
import { addEndpoint, disableEndpoint, enableEndpoint, listEndpoints, rotateSecret } from '../../events/endpoints.ts';
import { parseAnchor } from '../../billing/periods.ts';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { ENDPOINT_COLUMNS, endpointDetails, endpointJson } from '../views/webhooks.ts';

interface AddOptions extends JsonFlag {
  url: string;
  events?: string;
}

interface EnableOptions extends JsonFlag {
  replaySince?: string;
}

interface RotateOptions extends JsonFlag {
  expireNow?: boolean;
}

const SECRET_NOTE = 'store the secret now: it is not shown again (rotate-secret makes a new one)';

export function register(program: Command, deps: CliDeps): void {
  const endpoints = program
    .command('webhook-endpoints')
    .description('merchant webhook endpoints: where signed events are posted (docs/webhooks.md)');

  withJson(endpoints.command('add'))
    .description('register an endpoint; prints its signing secret once')
    .requiredOption('--url <url>', 'http(s) URL that receives POSTed events')
    .option('--events <types>', 'comma-separated event types or prefixes (invoice.paid,subscription.*); default all')
    .action(async (opts: AddOptions) => {
      const { endpoint, secret } = await deps.withContext((ctx) =>
        addEndpoint(ctx, { url: opts.url, eventTypes: opts.events?.split(',') }),
      );
      emit(deps.out, opts.json, { ...endpointJson(endpoint), secret }, () => [
        ...formatKeyValue([...endpointDetails(endpoint), ['secret', secret]]),
        '',
        SECRET_NOTE,
      ]);
    });

  withJson(endpoints.command('list'))
    .description('list endpoints (secrets are never listed)')
    .action(async (opts: JsonFlag) => {
      const rows = await deps.withContext((ctx) => listEndpoints(ctx.db));
      emit(deps.out, opts.json, rows.map(endpointJson), () => formatTable(ENDPOINT_COLUMNS, rows));
    });

  withJson(endpoints.command('disable'))
    .description('stop delivering to an endpoint; its pending deliveries are given up (replay sends them again)')
    .argument('<id>', 'endpoint id (we_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const endpoint = await deps.withContext((ctx) => disableEndpoint(ctx, id));
      emit(deps.out, opts.json, endpointJson(endpoint), () => formatKeyValue(endpointDetails(endpoint)));
    });

  withJson(endpoints.command('enable'))
    .description('deliver to a disabled endpoint again (its receiver is fixed)')
    .argument('<id>', 'endpoint id (we_…)')
    .option(
      '--replay-since <time>',
      'also send again every event since this time (ISO 8601, UTC unless it has an offset) it missed or was given up on',
    )
    .action(async (id: string, opts: EnableOptions) => {
      const replaySince =
        opts.replaySince === undefined ? undefined : parseAnchor(opts.replaySince, 'UTC', '--replay-since');
      const r = await deps.withContext((ctx) => enableEndpoint(ctx, id, { replaySince }));
      emit(deps.out, opts.json, { ...endpointJson(r.endpoint), replayed: r.replayed }, () => [
        ...formatKeyValue([...endpointDetails(r.endpoint), ['replayed', String(r.replayed)]]),
        ...(r.changed ? [] : ['', 'the endpoint was already enabled']),
      ]);
    });

  withJson(endpoints.command('rotate-secret'))
    .description('replace the signing secret; prints the new one once (the old one also signs for 24 h)')
    .argument('<id>', 'endpoint id (we_…)')
    .option('--expire-now', 'stop signing with the old secret at once (it leaked)')
    .action(async (id: string, opts: RotateOptions) => {
      const { endpoint, secret } = await deps.withContext((ctx) =>
        rotateSecret(ctx, id, { expireOldNow: opts.expireNow === true }),
      );
      emit(deps.out, opts.json, { ...endpointJson(endpoint), secret }, () => [
        ...formatKeyValue([...endpointDetails(endpoint), ['secret', secret]]),
        '',
        SECRET_NOTE,
      ]);
    });
}
