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
  primaryKey,
} from 'drizzle-orm/pg-core';
import {
  INVOICE_STATUSES,
  PLAN_STATUSES,
  SUBSCRIPTION_STATUSES,
  type InvoiceStatus,
  type PlanStatus,
  type SubscriptionStatus,
} from '../billing/subscriptionStatus.ts';
import {
  ATTEMPT_KINDS,
  ATTEMPT_STATUSES,
  OPEN_ATTEMPT_STATUSES,
  type AttemptKind,
  type AttemptStatus,
} from '../billing/attemptStatus.ts';
import { INTERVALS, type Interval } from '../billing/periods.ts';
import { TOKEN_TYPES, type TokenType } from '../asiabill/types.ts';
import type { DunningPolicyOverride } from '../billing/dunningPolicy.ts';
import type { OutcomeClass } from '../billing/outcomeClasses.ts';
import { INVOICE_KINDS, type InvoiceKind, type InvoiceLine } from '../billing/invoiceLines.ts';
import { OPEN_REFUND_STATUSES, REFUND_STATUSES, type RefundStatus } from '../billing/refundStatus.ts';
import { COUPON_DURATIONS, type CouponDuration } from '../billing/coupons.ts';
import { sqlList } from './sqlLists.ts';
import {
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_ENDPOINT_STATUSES,
  type WebhookDeliveryStatus,
  type WebhookEndpointStatus,
} from '../events/deliveryStatus.ts';

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
    /** Dunning override merged over the default policy (billing/dunningPolicy.ts); null = the default. */
    dunningPolicy: jsonb('dunning_policy').$type<DunningPolicyOverride>(),
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
  /** Deleted here and at AsiaBill; the row stays for the invoices and events that name it. */
  deletedAt: ts('deleted_at'),
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
    /** Detached at AsiaBill: never charged again; the row stays for history. */
    detachedAt: ts('detached_at'),
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
    /** A plan change scheduled for the end of the current period (`change-plan --when period-end`). */
    pendingPlanId: text('pending_plan_id').references(() => plans.id),
    /** Minor units owed to the customer (downgrades, proration): taken off the next invoices. */
    creditBalance: money('credit_balance').notNull().default(0),
    pausedAt: ts('paused_at'),
    /** A paused subscription resumes by itself at this time (`pause --until`). */
    resumeAt: ts('resume_at'),
    couponId: text('coupon_id'),
    /** Invoices the coupon still applies to; null = forever (or no coupon). */
    couponPeriodsLeft: integer('coupon_periods_left'),
    /** When `subscription.trial_will_end` was recorded (once per trial). */
    trialWillEndSentAt: ts('trial_will_end_sent_at'),
  },
  (t) => [
    index('subscriptions_next_renewal_ix').on(t.nextRenewalAt, t.id).where(sql`${t.nextRenewalAt} is not null`),
    index('subscriptions_incomplete_ix').on(t.incompleteExpiresAt).where(sql`${t.status} = 'incomplete'`),
    index('subscriptions_customer_ix').on(t.customerId),
    index('subscriptions_resume_ix').on(t.resumeAt).where(sql`${t.resumeAt} is not null`),
    check('subscriptions_credit_nonneg', sql`${t.creditBalance} >= 0`),
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
    /** Dunning: first counted failure, and the end of the policy's window (final action then). */
    firstFailedAt: ts('first_failed_at'),
    dunningEndsAt: ts('dunning_ends_at'),
    /** Consecutive merchant-side refusals (L000x/P000x…) while parked, and the last code. */
    refusalCount: integer('refusal_count').notNull().default(0),
    parkedCode: text('parked_code'),
    /** Customer action (3-D Secure, pay link): where the customer goes, and until when. */
    actionUrl: text('action_url'),
    actionDeadline: ts('action_deadline'),
    /** Why the next step is what it is, for operators (`billing invoices show`). */
    nextStepReason: text('next_step_reason'),
    /** cycle (one per period) or proration (a plan change or resume inside a period). */
    kind: text('kind').$type<InvoiceKind>().notNull().default('cycle'),
    /** What the amount is made of (plan, prorations, discount, credit); signed minor units. */
    lines: jsonb('lines').$type<InvoiceLine[]>().notNull().default([]),
    /** Sum of succeeded refunds against this invoice's payment. */
    amountRefunded: money('amount_refunded').notNull().default(0),
    /** When a pause turned the unused rest of this invoice's span into credit (not refunded again). */
    unusedCreditedAt: ts('unused_credited_at'),
  },
  (t) => [
    // One *cycle* invoice per period; prorations inside a period are extra invoices.
    uniqueIndex('invoices_subscription_period_uq').on(t.subscriptionId, t.periodStart).where(sql`${t.kind} = 'cycle'`),
    check('invoices_kind_ck', sql`${t.kind} in ${sqlList(INVOICE_KINDS)}`),
    check('invoices_refunded_ck', sql`${t.amountRefunded} >= 0 and ${t.amountRefunded} <= ${t.amount}`),
    index('invoices_due_ix')
      .on(t.nextAttemptAt, t.id)
      .where(sql`${t.status} = 'open' and ${t.nextAttemptAt} is not null`),
    index('invoices_action_deadline_ix').on(t.actionDeadline).where(sql`${t.actionDeadline} is not null`),
    index('invoices_dunning_ends_ix').on(t.dunningEndsAt).where(sql`${t.dunningEndsAt} is not null`),
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
    /** The card charged (subscriptions may change card); null on rows from before it was recorded. */
    paymentMethodId: text('payment_method_id'),
    /** `charge` (confirmCharge with the stored card) or `pay_link` (hosted checkout for the customer). */
    kind: text('kind').$type<AttemptKind>().notNull().default('charge'),
    /** Outcome class (billing/outcomeClasses.ts) once definite. */
    outcomeClass: text('outcome_class').$type<OutcomeClass>(),
    /** A merchant-initiated reattempt after a decline on this invoice: counts toward card-network caps. */
    reattempt: boolean('reattempt').notNull().default(false),
    /**
     * Real wall time by which the worker that made this attempt gives up waiting for the
     * answer (request-time + that worker's ASIABILL_TIMEOUT_MS). A `started` attempt is never
     * judged before it, whatever the reconciler's own setting. Null on rows from before it existed.
     */
    respondBy: ts('respond_by'),
    /** The reconciler's next lookup is not due before this (back-off); null = due now. */
    nextCheckAt: ts('next_check_at'),
    /** When the reconciler last looked this attempt up (ordering: least recently checked first). */
    lastCheckedAt: ts('last_checked_at'),
    /** When `charge.unresolved` was raised for it (once per attempt). */
    unresolvedAlertedAt: ts('unresolved_alerted_at'),
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
    index('charge_attempts_reconcile_ix')
      .on(t.nextCheckAt, t.lastCheckedAt)
      .where(sql`${t.status} in ${sqlList(OPEN_ATTEMPT_STATUSES)}`),
    check('charge_attempts_status_ck', sql`${t.status} in ${sqlList(ATTEMPT_STATUSES)}`),
    check('charge_attempts_token_type_ck', sql`${t.tokenType} in ${sqlList(TOKEN_TYPES)}`),
    check('charge_attempts_kind_ck', sql`${t.kind} in ${sqlList(ATTEMPT_KINDS)}`),
    index('charge_attempts_payment_method_ix').on(t.paymentMethodId, t.createdAt),
  ],
);

/**
 * Refunds of a charge, through AsiaBill's OpenAPI refund. The row (the intent, with its
 * merTrackNo = our refund id) is written before the call, and the same merTrackNo is sent on
 * every retry, so a lost answer never makes a second refund. `attemptId` is the charge that
 * is refunded (for a duplicate success it is the attempt that was NOT recorded as the
 * invoice's payment). requested → pending → succeeded | failed.
 */
export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    attemptId: text('attempt_id')
      .notNull()
      .references(() => chargeAttempts.id),
    tradeNo: text('trade_no').notNull(),
    merTrackNo: text('mer_track_no').notNull().unique(),
    amount: money('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** full: the whole remaining amount of the charge (AsiaBill refundType 1); else partial (2). */
    full: boolean('full').notNull(),
    reason: text('reason').notNull(),
    status: text('status').$type<RefundStatus>().notNull(),
    batchNo: text('batch_no'),
    failureReason: text('failure_reason'),
    /** Real wall time of the last send. */
    lastSentAt: ts('last_sent_at'),
    sendCount: integer('send_count').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('refunds_invoice_ix').on(t.invoiceId),
    index('refunds_attempt_ix').on(t.attemptId),
    index('refunds_open_ix')
      .on(t.status, t.lastSentAt)
      .where(sql`${t.status} in ${sqlList(OPEN_REFUND_STATUSES)}`),
    check('refunds_amount_pos', sql`${t.amount} > 0`),
    check('refunds_status_ck', sql`${t.status} in ${sqlList(REFUND_STATUSES)}`),
  ],
);

/** Discounts: a percentage (basis points) or a fixed amount in one currency. */
export const coupons = pgTable(
  'coupons',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull().unique(),
    percentOffBp: integer('percent_off_bp'),
    amountOff: money('amount_off'),
    currency: char('currency', { length: 3 }),
    duration: text('duration').$type<CouponDuration>().notNull(),
    /** For `repeating`: how many invoices it applies to. */
    durationPeriods: integer('duration_periods'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    check('coupons_duration_ck', sql`${t.duration} in ${sqlList(COUPON_DURATIONS)}`),
    check(
      'coupons_one_kind_ck',
      sql`(${t.percentOffBp} is null) <> (${t.amountOff} is null) and (${t.amountOff} is null) = (${t.currency} is null)`,
    ),
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
    /** Amount and currency as the notification stated them (checked against the attempt). */
    orderAmount: text('order_amount'),
    orderCurrency: text('order_currency'),
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
 * A merchant's webhook endpoint. The signing secret is stored as given out: HMAC needs the
 * secret itself to sign, so it cannot be hashed, and encrypting it with a key from the same
 * environment would only move the secret next to its key (docs/webhooks.md, "Secrets").
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    url: text('url').notNull(),
    /** Event types delivered; null = every type. */
    eventTypes: text('event_types').array(),
    secret: text('secret').notNull(),
    /** After a rotation, the old secret also signs until this (real) time: receivers switch over. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: ts('previous_secret_expires_at'),
    status: text('status').$type<WebhookEndpointStatus>().notNull().default('enabled'),
    /** Start of the current run of failed attempts; null while deliveries succeed. */
    failingSince: ts('failing_since'),
    disabledReason: text('disabled_reason'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [check('webhook_endpoints_status_ck', sql`${t.status} in ${sqlList(WEBHOOK_ENDPOINT_STATUSES)}`)],
);

/**
 * One event to one endpoint: the durable unit of delivery work. Rows are created when the
 * event is published (fan-out, the same transaction that sets `events.published_at`) or by a
 * replay; `next_attempt_at` is when it is due, and while a worker posts it, the lease (so a
 * worker killed mid-post leaves a row that becomes due again when the lease runs out).
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    /** 'event' for the fan-out of a new event (one per endpoint), 'replay' for `events replay`. */
    origin: text('origin').$type<'event' | 'replay'>().notNull(),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attemptCount: integer('attempt_count').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: ts('delivered_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_endpoint_uq').on(t.eventId, t.endpointId).where(sql`${t.origin} = 'event'`),
    index('webhook_deliveries_due_ix').on(t.nextAttemptAt, t.id).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_event_ix').on(t.eventId),
    check('webhook_deliveries_status_ck', sql`${t.status} in ${sqlList(WEBHOOK_DELIVERY_STATUSES)}`),
  ],
);

/** Every HTTP attempt of a delivery, for operators (what did the merchant's server answer?). */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id),
    attemptNo: integer('attempt_no').notNull(),
    /** Real wall time. */
    startedAt: ts('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
  },
  (t) => [uniqueIndex('webhook_attempts_delivery_attempt_uq').on(t.deliveryId, t.attemptNo)],
);

/**
 * Idempotency keys (src/idempotency): a caller-chosen key per operation scope, with a hash of
 * the request it was first used with and the id of what that request created. The row is
 * committed *before* the work starts, with the id the work will create, so a retry after a
 * crash finds the object instead of creating a second one.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** sha256 of the canonical JSON of the request (never the request itself: it may hold personal data). */
    fingerprint: text('fingerprint').notNull(),
    /** The id of the object the request creates (`sub_…`, `cust_…`); fixed before the work starts. */
    resultRef: text('result_ref').notNull(),
    createdAt: ts('created_at').notNull(),
    completedAt: ts('completed_at'),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
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
