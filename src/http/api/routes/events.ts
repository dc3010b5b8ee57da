import { z } from 'zod';
import { getEvent, listEvents } from '../../../events/read.ts';
import { replayEvent } from '../../../events/queries.ts';
import { replayJson } from '../../../cli/views/operations.ts';
import { toPage } from '../../../db/paging.ts';
import { idParam, pageQuery } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { eventJson, listJson } from '../views.ts';
import { deliverySummaries } from '../../../events/deliverySummary.ts';

export const eventsResource: ApiResource = {
  name: 'events',
  description: 'The outbox: every state change, written in the same transaction as the change.',
  routes: [
    defineRoute({
      method: 'GET',
      path: '/events',
      operationId: 'listEvents',
      summary: 'List events, newest first',
      query: z.strictObject({
        ...pageQuery,
        type: z.string().optional().describe('only this type, e.g. invoice.paid'),
        subject: z.string().optional().describe('only events about this object id (sub_…, inv_…)'),
      }),
      handler: async ({ query }, { ctx }) => {
        const rows = await listEvents(ctx.db, {
          type: query.type,
          subjectId: query.subject,
          limit: query.limit + 1,
          ...(query.starting_after !== undefined ? { startingAfter: query.starting_after } : {}),
        });
        const page = toPage(rows, query.limit);
        const deliveries = await deliverySummaries(
          ctx.db,
          page.data.map((e) => e.id),
        );
        return listJson(page, (e) => eventJson(e, deliveries.get(e.id)));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/events/{id}',
      operationId: 'getEvent',
      summary: 'Show one event',
      params: idParam('event id (evt_…)'),
      handler: async ({ params }, { ctx }) => {
        const e = await getEvent(ctx.db, params.id);
        return eventJson(e, (await deliverySummaries(ctx.db, [e.id])).get(e.id));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/events/{id}/replay',
      operationId: 'replayEvent',
      summary: 'Send an event again (same event id) to one endpoint, or to every enabled endpoint that wants it',
      status: 202,
      params: idParam('event id (evt_…)'),
      body: z.strictObject({ endpointId: z.string().optional().describe('only this endpoint (we_…)') }),
      handler: async ({ params, body }, { ctx }) =>
        replayJson(params.id, await replayEvent(ctx, params.id, { endpointId: body.endpointId })),
    }),
  ],
};
