import { detachPaymentMethod } from '../../../customers/lifecycle.ts';
import { paymentMethodJson } from '../../../cli/views/paymentMethod.ts';
import { idParam } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';

/** Stored cards by their own id (listing and adding are under /customers/{id}/payment-methods). */
export const paymentMethodsResource: ApiResource = {
  name: 'payment methods',
  description: 'A stored card by its id.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/payment-methods/{id}/detach',
      operationId: 'detachPaymentMethod',
      summary: 'Detach a card at AsiaBill so it is never charged again (refused while a live subscription uses it)',
      params: idParam('payment method id (card_…)'),
      handler: async ({ params }, { ctx }) => ({
        ...paymentMethodJson(await detachPaymentMethod(ctx, params.id)),
        detached: true,
      }),
    }),
  ],
};
