import { z } from 'zod';
import { showDunningPolicy } from '../../../dunning/planPolicy.ts';
import { dunningPolicyJson } from '../../../cli/views/operations.ts';
import { defineRoute, type ApiResource } from '../route.ts';

/** The dunning policy, as `billing dunning show` prints it (docs/dunning.md). */
export const dunningResource: ApiResource = {
  name: 'dunning',
  description: 'The effective dunning policy: retry delays, limits and the final action.',
  routes: [
    defineRoute({
      method: 'GET',
      path: '/dunning-policy',
      operationId: 'getDunningPolicy',
      summary: "The effective dunning policy: the default, or a plan's override merged over it",
      query: z.strictObject({
        plan: z.string().optional().describe("plan code: the policy that plan's subscriptions follow"),
      }),
      handler: async ({ query }, { ctx }) => dunningPolicyJson(await showDunningPolicy(ctx, query.plan)),
    }),
  ],
};
