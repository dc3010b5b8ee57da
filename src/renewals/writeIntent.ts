import type { Tx } from '../db/client.ts';
import { run, statement } from '../db/prepared.ts';
import type { TokenType } from '../asiabill/types.ts';
import type { AttemptStatus } from '../billing/attemptStatus.ts';

/**
 * The intent of a charge, in one statement: the attempt row (orderNo, signed request-time,
 * its own response deadline) and the invoice's attempt count, with the invoice no longer due
 * while the attempt is open. Committed before any network call: this row is what makes a
 * crash, a lost answer or a second worker unable to charge twice (DESIGN.md, I1).
 */
const STARTED: AttemptStatus = 'started';

/** The columns an intent writes, in the order both intent statements (here and claimIntent.ts) give them. */
export const INTENT_COLUMNS = `(id, invoice_id, attempt_no, order_no, token_type, amount, currency, status,
  request_time, respond_by, created_at, payment_method_id, reattempt)`;

const WRITE_INTENT = statement(
  'write_intent',
  `with attempt as (
     insert into charge_attempts ${INTENT_COLUMNS}
     values ($1, $2, $3, $4, $5, $6, $7, '${STARTED}', $8, $9, $10, $11, $12)
     returning 1
   )
   update invoices set attempt_count = $3, next_attempt_at = null where id = $2`,
);

export interface Intent {
  attemptId: string;
  invoiceId: string;
  attemptNo: number;
  orderNo: string;
  tokenType: TokenType;
  amount: number;
  currency: string;
  requestTime: Date;
  respondBy: Date;
  createdAt: Date;
  paymentMethodId: string;
  reattempt: boolean;
}

export async function writeIntent(tx: Tx, i: Intent): Promise<void> {
  await run(tx, WRITE_INTENT, [
    i.attemptId,
    i.invoiceId,
    i.attemptNo,
    i.orderNo,
    i.tokenType,
    i.amount,
    i.currency,
    i.requestTime,
    i.respondBy,
    i.createdAt,
    i.paymentMethodId,
    i.reattempt,
  ]);
}
