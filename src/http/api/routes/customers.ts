import { z } from 'zod';
import { createCustomer, getCustomer, listCustomers } from '../../../customers/customers.ts';
import { listPaymentMethods, registerPaymentMethod } from '../../../customers/paymentMethods.ts';
import { deleteCustomer, updateCustomer } from '../../../customers/lifecycle.ts';
import { pageInMemory, toPage } from '../../../db/paging.ts';
import { customerJson } from '../../../cli/views/customer.ts';
import { paymentMethodJson } from '../../../cli/views/paymentMethod.ts';
import { idParam, pageQuery } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { listJson } from '../views.ts';

const customerId = idParam('customer id (cust_…) or your external reference');

export const customersResource: ApiResource = {
  name: 'customers',
  description: 'Customers (each one mirrored as an AsiaBill customer) and their stored cards; update and delete.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/customers',
      operationId: 'createCustomer',
      summary: 'Create a customer here and at AsiaBill',
      status: 201,
      body: z.strictObject({
        email: z.string(),
        firstName: z.string().describe('1-100 characters'),
        lastName: z.string().describe('1-50 characters'),
        phone: z.string().optional().describe('2-50 characters'),
        externalRef: z.string().optional().describe('your own unique id for this customer (at most 200)'),
      }),
      handler: async ({ body }, { ctx }) => customerJson(await createCustomer(ctx, body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/customers',
      operationId: 'listCustomers',
      summary: 'List customers, oldest first',
      query: z.strictObject(pageQuery),
      handler: async ({ query }, { ctx }) => {
        const rows = await listCustomers(ctx.db, {
          limit: query.limit + 1,
          startingAfter: query.starting_after,
          cursorField: 'starting_after',
        });
        return listJson(toPage(rows, query.limit), customerJson);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/customers/{id}',
      operationId: 'getCustomer',
      summary: 'Show a customer and their payment methods',
      params: customerId,
      handler: async ({ params }, { ctx }) => {
        const customer = await getCustomer(ctx.db, params.id);
        const methods = await listPaymentMethods(ctx.db, customer.id);
        return { ...customerJson(customer), paymentMethods: methods.map(paymentMethodJson) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/customers/{id}',
      operationId: 'updateCustomer',
      summary: 'Change a customer here and at AsiaBill (only the fields sent)',
      params: customerId,
      body: z.strictObject({
        email: z.string().optional(),
        firstName: z.string().optional().describe('1-100 characters'),
        lastName: z.string().optional().describe('1-50 characters'),
        phone: z.string().optional().describe('2-50 characters'),
      }),
      handler: async ({ params, body }, { ctx }) => customerJson(await updateCustomer(ctx, params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      path: '/customers/{id}/delete',
      operationId: 'deleteCustomer',
      summary: 'Delete a customer here and at AsiaBill (refused while a live subscription exists)',
      params: customerId,
      handler: async ({ params }, { ctx }) => ({
        ...customerJson(await deleteCustomer(ctx, params.id)),
        deleted: true,
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/customers/{id}/payment-methods',
      operationId: 'listPaymentMethods',
      summary: "List a customer's payment methods, oldest first",
      params: customerId,
      query: z.strictObject(pageQuery),
      handler: async ({ params, query }, { ctx }) => {
        const rows = await listPaymentMethods(ctx.db, params.id);
        return listJson(
          pageInMemory(rows, { limit: query.limit, startingAfter: query.starting_after }),
          paymentMethodJson,
        );
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/customers/{id}/payment-methods',
      operationId: 'addPaymentMethod',
      summary: "Register a card tokenised by AsiaBill's browser SDK (the pm_… id; never card data)",
      description:
        "The card number never reaches this server: get a session token (POST /v1/session-token), let AsiaBill's browser SDK turn the card into a pm_… id, and send that id here. Requests carrying card fields are refused.",
      status: 201,
      params: customerId,
      body: z.strictObject({
        asiabillPaymentMethodId: z.string().describe('the pm_… id the browser SDK returned'),
      }),
      handler: async ({ params, body }, { ctx }) =>
        paymentMethodJson(
          await registerPaymentMethod(ctx, {
            customerId: params.id,
            asiabillPaymentMethodId: body.asiabillPaymentMethodId,
          }),
        ),
    }),
  ],
};
