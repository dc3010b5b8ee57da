import { overview } from '../../../reports/overview.ts';
import { defineRoute, type ApiResource } from '../route.ts';

export const reportsResource: ApiResource = {
  name: 'reports',
  description: 'Aggregates for the billing console.',
  routes: [
    defineRoute({
      method: 'GET',
      path: '/reports/overview',
      operationId: 'getOverview',
      summary:
        'Subscriptions by status, charges per day, revenue per month and currency, invoices in dunning, gateway refusals',
      handler: async (_input, { ctx }) => overview(ctx.db),
    }),
  ],
};
