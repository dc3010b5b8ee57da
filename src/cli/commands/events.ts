import type { Command } from 'commander';
import { getEvent, listEvents, replayEvent, MAX_EVENT_PAGE } from '../../events/queries.ts';
import type { CliDeps } from '../deps.ts';
import { emit, formatJson, formatKeyValue, formatTable, formatTimestamp, type JsonValue } from '../output.ts';
import { parseOptionalInteger, withJson, type JsonFlag } from '../options.ts';
import { replayJson } from '../views/operations.ts';
import { DELIVERY_COLUMNS, EVENT_COLUMNS, deliveryJson, eventJson } from '../views/webhooks.ts';

interface ListOptions extends JsonFlag {
  type?: string;
  subscription?: string;
  limit?: string;
  before?: string;
}

interface ReplayOptions extends JsonFlag {
  endpoint?: string;
}

export function register(program: Command, deps: CliDeps): void {
  const events = program.command('events').description('the outbox: every state change, and its webhook deliveries');

  withJson(events.command('list'))
    .description('list events, newest first')
    .option('--type <type>', 'only this type (invoice.paid) or prefix (invoice.*)')
    .option('--subscription <id>', "only events about this subscription (its own, its invoices' and charges')")
    .option('--limit <n>', `at most this many (1-${MAX_EVENT_PAGE}, default 100)`)
    .option('--before <sequence>', 'only events with a smaller sequence (next page)')
    .action(async (opts: ListOptions) => {
      const limit = parseOptionalInteger(opts.limit, '--limit', { min: 1, max: MAX_EVENT_PAGE });
      const beforeSeq = parseOptionalInteger(opts.before, '--before', { min: 1, max: Number.MAX_SAFE_INTEGER });
      const rows = await deps.withContext((ctx) =>
        listEvents(ctx.db, { type: opts.type, subscriptionId: opts.subscription, limit, beforeSeq }),
      );
      emit(deps.out, opts.json, rows.map(eventJson), () => formatTable(EVENT_COLUMNS, rows));
    });

  withJson(events.command('show'))
    .description('show an event, its data and every delivery attempt')
    .argument('<id>', 'event id (evt_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const { event, deliveries } = await deps.withContext((ctx) => getEvent(ctx.db, id));
      emit(deps.out, opts.json, { ...eventJson(event), deliveries: deliveries.map(deliveryJson) }, () => [
        ...formatKeyValue([
          ['id', event.id],
          ['type', event.type],
          ['sequence', String(event.seq)],
          ['subject', `${event.subjectType} ${event.subjectId}`],
          ['occurred', formatTimestamp(event.occurredAt)],
          ['published', event.publishedAt ? formatTimestamp(event.publishedAt) : '-'],
        ]),
        '',
        'data:',
        ...formatJson(event.data as JsonValue).split('\n'),
        '',
        'deliveries:',
        ...formatTable(DELIVERY_COLUMNS, deliveries),
      ]);
    });

  withJson(events.command('replay'))
    .description('send an event again (same event id) to one endpoint, or to every enabled endpoint that wants it')
    .argument('<id>', 'event id (evt_…)')
    .option('--endpoint <id>', 'only this endpoint (we_…)')
    .action(async (id: string, opts: ReplayOptions) => {
      const created = await deps.withContext((ctx) => replayEvent(ctx, id, { endpointId: opts.endpoint }));
      emit(deps.out, opts.json, replayJson(id, created), () =>
        created.length === 0
          ? [`no enabled endpoint wants event ${id}; nothing queued`]
          : created.map((c) => `queued ${c.deliveryId} to ${c.endpointId} (the running engine sends it)`),
      );
    });
}
