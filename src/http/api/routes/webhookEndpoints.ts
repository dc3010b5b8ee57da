import { z } from 'zod';
import {
  addEndpoint,
  disableEndpoint,
  enableEndpoint,
  listEndpoints,
  rotateSecret,
} from '../../../events/endpoints.ts';
import { parseAnchor } from '../../../billing/periods.ts';
import { pageInMemory } from '../../../db/paging.ts';
import { endpointJson } from '../../../cli/views/webhooks.ts';
import { idParam, pageQuery } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { listJson } from '../views.ts';

const endpointId = idParam('endpoint id (we_…)');

/**
 * Merchant webhook endpoints (docs/webhooks.md), over the functions `billing webhook-endpoints`
 * calls. The signing secret is in the answer of add and rotate-secret only, never listed.
 */
export const webhookEndpointsResource: ApiResource = {
  name: 'webhook endpoints',
  description: 'Where signed events are posted; the signing secret is shown once, when made.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/webhook-endpoints',
      operationId: 'addWebhookEndpoint',
      summary: 'Register an endpoint; the answer carries its signing secret, shown this once',
      status: 201,
      body: z.strictObject({
        url: z.string().describe('http(s) URL that receives POSTed events'),
        events: z
          .array(z.string())
          .optional()
          .describe('event types or prefixes (invoice.paid, subscription.*); default all'),
      }),
      handler: async ({ body }, { ctx }) => {
        const { endpoint, secret } = await addEndpoint(ctx, { url: body.url, eventTypes: body.events });
        return { ...endpointJson(endpoint), secret };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/webhook-endpoints',
      operationId: 'listWebhookEndpoints',
      summary: 'List endpoints (secrets are never listed)',
      query: z.strictObject(pageQuery),
      handler: async ({ query }, { ctx }) =>
        listJson(
          pageInMemory(await listEndpoints(ctx.db), { limit: query.limit, startingAfter: query.starting_after }),
          endpointJson,
        ),
    }),
    defineRoute({
      method: 'POST',
      path: '/webhook-endpoints/{id}/disable',
      operationId: 'disableWebhookEndpoint',
      summary: 'Stop delivering to an endpoint; its pending deliveries are given up (replay sends them again)',
      params: endpointId,
      handler: async ({ params }, { ctx }) => endpointJson(await disableEndpoint(ctx, params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/webhook-endpoints/{id}/enable',
      operationId: 'enableWebhookEndpoint',
      summary: 'Deliver to a disabled endpoint again; optionally send again what it missed since a time',
      params: endpointId,
      body: z.strictObject({
        replaySince: z
          .string()
          .optional()
          .describe(
            'ISO 8601 time: also send again every event since then that the endpoint missed or was given up on',
          ),
      }),
      handler: async ({ params, body }, { ctx }) => {
        const replaySince =
          body.replaySince === undefined ? undefined : parseAnchor(body.replaySince, 'UTC', 'replaySince');
        const r = await enableEndpoint(ctx, params.id, { replaySince });
        return { ...endpointJson(r.endpoint), replayed: r.replayed };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/webhook-endpoints/{id}/rotate-secret',
      operationId: 'rotateWebhookSecret',
      summary: 'Replace the signing secret; the answer carries the new one once (the old one also signs for 24 h)',
      params: endpointId,
      body: z.strictObject({
        expireNow: z.boolean().optional().describe('stop signing with the old secret at once (it leaked)'),
      }),
      handler: async ({ params, body }, { ctx }) => {
        const { endpoint, secret } = await rotateSecret(ctx, params.id, { expireOldNow: body.expireNow === true });
        return { ...endpointJson(endpoint), secret };
      },
    }),
  ],
};
