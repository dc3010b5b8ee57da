import type { Tx } from '../db/client.ts';
import { run, statement } from '../db/prepared.ts';
import { EVENTS_UNNEST_INSERT, eventArrays, type NewEvent } from '../events/outbox.ts';
import type { AttemptStatus } from '../billing/attemptStatus.ts';
import type { InvoiceStatus, SubscriptionStatus } from '../billing/subscriptionStatus.ts';

/**
 * Every write of a successful charge in one statement (data-modifying CTEs; each touches its
 * own table under the locks lockAttemptChain already holds): the attempt succeeded, the card's
 * mandate recorded (first InitRecurring success only), the invoice paid, the subscription back
 * to active with its next renewal set, and the events. Decided in outcome.ts's applySuccess;
 * this only writes what it decided.
 */
const SUCCEEDED: AttemptStatus = 'succeeded';
const PAID: InvoiceStatus = 'paid';
const ACTIVE: SubscriptionStatus = 'active';

const WRITE_SUCCESS = statement(
  'write_success',
  `with att as (
     update charge_attempts set status = '${SUCCEEDED}', trade_no = $2, order_info = $3, finished_at = $4,
       outcome_class = 'paid'
     where id = $1 returning 1
   ), mandate as (
     update payment_methods set mandate_trade_no = $5
     where $5::text is not null and id = $6 and mandate_trade_no is null returning 1
   ), inv as (
     update invoices set status = '${PAID}', paid_at = $4, next_attempt_at = null, action_deadline = null,
       next_step_reason = null
     where id = $7 returning 1
   ), sub as (
     update subscriptions set status = '${ACTIVE}', status_reason = null, incomplete_expires_at = null,
       next_renewal_at = $9, updated_at = $4
     where id = $8 returning 1
   ), ev as (
     ${EVENTS_UNNEST_INSERT(10)} returning 1
   )
   select (select count(*) from att)::int as attempts, (select count(*) from inv)::int as invoices`,
);

export interface SuccessWrite {
  attemptId: string;
  tradeNo: string | null;
  orderInfo: string | null;
  now: Date;
  /** Set on the first successful InitRecurring charge of a card: its tradeNo is the mandate. */
  mandateTradeNo: string | null;
  paymentMethodId: string;
  invoiceId: string;
  /** Null when the subscription stays as it is (it ended before the payment arrived). */
  subscriptionId: string | null;
  nextRenewalAt: Date | null;
  events: readonly NewEvent[];
}

export async function writeSuccess(tx: Tx, w: SuccessWrite): Promise<void> {
  const rows = await run<{ attempts: number; invoices: number }>(tx, WRITE_SUCCESS, [
    w.attemptId,
    w.tradeNo,
    w.orderInfo,
    w.now,
    w.mandateTradeNo,
    w.paymentMethodId,
    w.invoiceId,
    w.subscriptionId,
    w.nextRenewalAt,
    ...eventArrays(w.events),
  ]);
  // The rows are locked by the caller: anything but one of each is a broken chain, not a race.
  if (rows[0]?.attempts !== 1 || rows[0]?.invoices !== 1) {
    throw new Error(`writeSuccess: attempt ${w.attemptId} / invoice ${w.invoiceId} not found`);
  }
}
