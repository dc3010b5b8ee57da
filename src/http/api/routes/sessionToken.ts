import { z } from 'zod';
import { createSessionToken } from '../../../customers/sessionToken.ts';
import { defineRoute, type ApiResource } from '../route.ts';

export const sessionTokenResource: ApiResource = {
  name: 'session-token',
  description:
    "Card capture without card data: a token for AsiaBill's browser SDK, which turns the card into a pm_… id in the customer's browser.",
  routes: [
    defineRoute({
      method: 'POST',
      path: '/session-token',
      operationId: 'createSessionToken',
      summary: 'Get an AsiaBill sessionToken for the browser SDK (valid 30 minutes)',
      description:
        'With customerId, the answer also names the AsiaBill customer (cus_…) the SDK should bind the card to. Then POST the pm_… to /v1/customers/{id}/payment-methods.',
      status: 201,
      body: z.strictObject({
        customerId: z.string().optional().describe('customer id (cust_…) or external reference'),
      }),
      handler: async ({ body }, { ctx }) => {
        const r = await createSessionToken(ctx, { customerId: body.customerId });
        return {
          sessionToken: r.sessionToken,
          expiresAt: r.expiresAt.toISOString(),
          sdkScriptUrl: r.sdkScriptUrl,
          customer: r.customer,
        };
      },
    }),
  ],
};
