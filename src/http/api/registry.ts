import type { ApiResource } from './route.ts';
import { plansResource } from './routes/plans.ts';
import { customersResource } from './routes/customers.ts';
import { sessionTokenResource } from './routes/sessionToken.ts';
import { subscriptionsResource } from './routes/subscriptions.ts';
import { invoicesResource } from './routes/invoices.ts';
import { eventsResource } from './routes/events.ts';
import { testClockResource } from './routes/testClock.ts';
import { reportsResource } from './routes/reports.ts';
import { subscriptionLifecycleResource } from './routes/subscriptionLifecycle.ts';
import { invoiceOperationsResource } from './routes/invoiceOperations.ts';
import { couponsResource } from './routes/coupons.ts';
import { dunningResource } from './routes/dunning.ts';
import { webhookEndpointsResource } from './routes/webhookEndpoints.ts';
import { paymentMethodsResource } from './routes/paymentMethods.ts';

/**
 * Every resource of the admin API, in documentation order. A new resource is one file in
 * routes/ exporting an ApiResource, plus one line here; it is then served under /v1, guarded
 * by the token and idempotency keys, and described in /openapi.json.
 */
export const API_RESOURCES: readonly ApiResource[] = [
  plansResource,
  customersResource,
  paymentMethodsResource,
  sessionTokenResource,
  subscriptionsResource,
  subscriptionLifecycleResource,
  couponsResource,
  invoicesResource,
  invoiceOperationsResource,
  dunningResource,
  eventsResource,
  webhookEndpointsResource,
  testClockResource,
  reportsResource,
];
