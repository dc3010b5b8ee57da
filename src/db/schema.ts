import { sql } from 'drizzle-orm';
import {
  pgTable,
  text,
  integer,
  bigint,
  timestamp,
  boolean,
  jsonb,
  bigserial,
  uniqueIndex,
  index,
  check,
  char,
} from 'drizzle-orm/pg-core';
import {
  INVOICE_STATUSES,
  PLAN_STATUSES,
  SUBSCRIPTION_STATUSES,
  type InvoiceStatus,
  type PlanStatus,
  type SubscriptionStatus,
} from '../billing/subscriptionStatus.ts';
import { ATTEMPT_STATUSES, OPEN_ATTEMPT_STATUSES, type AttemptStatus } from '../billing/attemptStatus.ts';
import { INTERVALS, type Interval } from '../billing/periods.ts';
import { TOKEN_TYPES, type TokenType } from '../asiabill/types.ts';
import { sqlList } from './sqlLists.ts';

/**
 * Postgres holds every fact; Redis only holds work in flight. The invariants of DESIGN.md
 * are carried by constraints here, not by application code alone:
 *  - one invoice per (subscription, period start)            → invoices_subscription_period_uq
 *  - one attempt per (invoice, attempt number)               → charge_attempts_invoice_attempt_uq
 *  - an orderNo is never used twice                          → charge_attempts.order_no unique
 *  - at most one attempt whose outcome is open per invoice   → charge_attempts_one_in_flight_uq
 *  - at most one successful attempt per invoice              → charge_attempts_one_success_uq
 *
 * Ids are random, prefixed text (`sub_…`, `inv_…`), not sequences: the AsiaBill `orderNo`
 * is derived from the invoice id, and a sequence would restart after a database reset and
 * collide with orders the gateway already has (answered as I0061 "Duplicate Order").
 */

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const money = (name: string) => bigint(name, { mode: 'number' });

export const plans = pgTable(
  'plans',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull(),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    amount: money('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    interval: text('interval').$type<Interval>().notNull(),
    intervalCount: integer('interval_count').notNull(),
    trialDays: integer('trial_days').notNull().default(0),
    status: text('status').$type<PlanStatus>().notNull().default('active'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('plans_code_version_uq').on(t.code, t.version),
    check('plans_amount_nonneg', sql`${t.amount} >= 0`),
    check('plans_interval_ck', sql`${t.interval} in ${sqlList(INTERVALS)}`),
    check('plans_interval_count_ck', sql`${t.intervalCount} > 0`),
    check('plans_trial_days_ck', sql`${t.trialDays} >= 0`),
    check('plans_status_ck', sql`${t.status} in ${sqlList(PLAN_STATUSES)}`),
  ],
);

export const customers = pgTable('customers', {
  id: text('id').primaryKey(),
  email: text('email').notNull(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  phone: text('phone'),
  externalRef: text('external_ref').unique(),
  asiabillCustomerId: text('asiabill_customer_id').notNull().unique(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Only references and masked data: never a card number or security code. */
export const paymentMethods = pgTable(
  'payment_methods',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    asiabillPaymentMethodId: text('asiabill_payment_method_id').notNull().unique(),
    brand: text('brand'),
    last4: char('last4', { length: 4 }),
    expMonth: char('exp_month', { length: 2 }),
    expYear: char('exp_year', { length: 4 }),
    /** tradeNo of the successful InitRecurring charge; null until the mandate exists. */
    mandateTradeNo: text('mandate_trade_no'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('payment_methods_customer_ix').on(t.customerId)],
);

export const subscriptions = pgTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id),
    paymentMethodId: text('payment_method_id')
      .notNull()
      .references(() => paymentMethods.id),
    status: text('status').$type<SubscriptionStatus>().notNull(),
    timeZone: text('time_zone').notNull(),
    /** Billing-cycle anchor: every period boundary is computed from it (never chained). */
    anchor: ts('anchor').notNull(),
    interval: text('interval').$type<Interval>().notNull(),
    intervalCount: integer('interval_count').notNull(),
    /** Price snapshot: a plan's price never changes under a running subscription. */
    amount: money('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** -1 while trialing (the stub before the anchor), then 0, 1, 2 … */
    currentPeriodIndex: integer('current_period_index').notNull(),
    currentPeriodStart: ts('current_period_start').notNull(),
    currentPeriodEnd: ts('current_period_end').notNull(),
    /** When the scheduler must act next (renew or end); null while waiting on a payment. */
    nextRenewalAt: ts('next_renewal_at'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    canceledAt: ts('canceled_at'),
    trialEnd: ts('trial_end'),
    incompleteExpiresAt: ts('incomplete_expires_at'),
    statusReason: text('status_reason'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('subscriptions_next_renewal_ix').on(t.nextRenewalAt, t.id).where(sql`${t.nextRenewalAt} is not null`),
    index('subscriptions_incomplete_ix').on(t.incompleteExpiresAt).where(sql`${t.status} = 'incomplete'`),
    index('subscriptions_customer_ix').on(t.customerId),
    check('subscriptions_status_ck', sql`${t.status} in ${sqlList(SUBSCRIPTION_STATUSES)}`),
  ],
);

export const invoices = pgTable(
  'invoices',
  {
    id: text('id').primaryKey(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    periodIndex: integer('period_index').notNull(),
    periodStart: ts('period_start').notNull(),
    periodEnd: ts('period_end').notNull(),
    amount: money('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status').$type<InvoiceStatus>().notNull().default('open'),
    attemptCount: integer('attempt_count').notNull().default(0),
    /** When the next automatic attempt is due; null = no automatic attempt (customer action, or settled). */
    nextAttemptAt: ts('next_attempt_at'),
    paidAt: ts('paid_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('invoices_subscription_period_uq').on(t.subscriptionId, t.periodStart),
    index('invoices_due_ix')
      .on(t.nextAttemptAt, t.id)
      .where(sql`${t.status} = 'open' and ${t.nextAttemptAt} is not null`),
    check('invoices_status_ck', sql`${t.status} in ${sqlList(INVOICE_STATUSES)}`),
    check('invoices_amount_nonneg', sql`${t.amount} >= 0`),
  ],
);

/**
 * One row per call to confirmCharge, written *before* the call. Open outcomes:
 *  started  — intent recorded; the call may or may not have reached AsiaBill
 *  unknown  — the call was made and no answer came back (timeout, dropped connection)
 *  pending  — AsiaBill said pending (3-D Secure / customer action)
 * Definite outcomes: succeeded, failed, not_charged (reconciled: the gateway never saw it).
 */
export const chargeAttempts = pgTable(
  'charge_attempts',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    attemptNo: integer('attempt_no').notNull(),
    orderNo: text('order_no').notNull().unique(),
    tokenType: text('token_type').$type<TokenType>().notNull(),
    amount: money('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status').$type<AttemptStatus>().notNull(),
    /** The signed request-time (real wall time, ms precision): bounds an unknown outcome. */
    requestTime: ts('request_time').notNull(),
    tradeNo: text('trade_no'),
    orderInfo: text('order_info'),
    declineCode: text('decline_code'),
    redirectUrl: text('redirect_url'),
    reconcileChecks: integer('reconcile_checks').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    uniqueIndex('charge_attempts_invoice_attempt_uq').on(t.invoiceId, t.attemptNo),
    uniqueIndex('charge_attempts_one_in_flight_uq')
      .on(t.invoiceId)
      .where(sql`${t.status} in ${sqlList(OPEN_ATTEMPT_STATUSES)}`),
    uniqueIndex('charge_attempts_one_success_uq').on(t.invoiceId).where(sql`${t.status} = 'succeeded'`),
    index('charge_attempts_open_ix')
      .on(t.status, t.requestTime)
      .where(sql`${t.status} in ${sqlList(OPEN_ATTEMPT_STATUSES)}`),
    check('charge_attempts_status_ck', sql`${t.status} in ${sqlList(ATTEMPT_STATUSES)}`),
    check('charge_attempts_token_type_ck', sql`${t.tokenType} in ${sqlList(TOKEN_TYPES)}`),
  ],
);

/** Every verified AsiaBill notification, deduplicated; kept even when no attempt matches yet. */
export const gatewayNotifications = pgTable(
  'gateway_notifications',
  {
    id: text('id').primaryKey(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    type: text('type').notNull(),
    orderNo: text('order_no'),
    tradeNo: text('trade_no'),
    orderStatus: text('order_status'),
    requestId: text('request_id').notNull(),
    rawBody: text('raw_body').notNull(),
    timesReceived: integer('times_received').notNull().default(1),
    receivedAt: ts('received_at').notNull(),
    appliedAt: ts('applied_at'),
    result: text('result'),
  },
  (t) => [index('gateway_notifications_order_ix').on(t.orderNo)],
);

/** Outbox: every state transition, written in the same transaction as the change. */
export const events = pgTable(
  'events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull().unique(),
    type: text('type').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    data: jsonb('data').notNull(),
    /** Engine time (test clock aware). */
    occurredAt: ts('occurred_at').notNull(),
    recordedAt: ts('recorded_at').notNull().defaultNow(),
    publishedAt: ts('published_at'),
  },
  (t) => [
    index('events_subject_ix').on(t.subjectType, t.subjectId),
    index('events_unpublished_ix').on(t.seq).where(sql`${t.publishedAt} is null`),
  ],
);

/** The test clock: a single row. Only consulted when BILLING_CLOCK=test. */
export const testClock = pgTable(
  'test_clock',
  {
    id: integer('id').primaryKey().default(1),
    now: ts('now').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [check('test_clock_single_row', sql`${t.id} = 1`)],
);

/**
 * Admin API idempotency keys: the first response to a POST with an `Idempotency-Key`, replayed
 * for a retry of the same request. A row is inserted before the work runs (response_status
 * null = in progress), so two concurrent requests with one key cannot both execute.
 */
export const apiIdempotencyKeys = pgTable(
  'api_idempotency_keys',
  {
    key: text('key').primaryKey(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    /** sha256 of method, path and the canonical JSON body: the same key with another body is refused. */
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    /** The exact JSON text sent the first time (text, not jsonb, so a replay is byte-identical). */
    responseBody: text('response_body'),
    createdAt: ts('created_at').notNull().defaultNow(),
    completedAt: ts('completed_at'),
  },
  (t) => [index('api_idempotency_keys_completed_ix').on(t.completedAt)],
);
