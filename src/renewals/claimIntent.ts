import type { Db } from '../db/client.ts';
import { CHARGE_TARGET_SELECT, chargeTargetOf, type ChargeTarget, type ChargeTargetRow } from '../db/locks.ts';
import { runAlone, statement } from '../db/prepared.ts';
import { sqlListText } from '../db/sqlLists.ts';
import { BILLABLE } from '../billing/subscriptionStatus.ts';
import type { AttemptStatus } from '../billing/attemptStatus.ts';
import type { TokenType } from '../asiabill/types.ts';
import { INTENT_COLUMNS } from './writeIntent.ts';

/**
 * The intent of a queued charge job in one autocommit statement: lock the subscription and
 * invoice (the same select as lockChargeTarget), and — only if every check a job's charge makes
 * passes — insert the `started` attempt and take the invoice off the due list. One round trip
 * instead of BEGIN, lock, intent, COMMIT.
 *
 * The guard below is the only writer and is deliberately the conservative half: it writes
 * only for a first attempt or a retry that is not a reattempt after a decline (those go through
 * the card-network cap check, in charge.ts's transaction). When it writes nothing, charge.ts
 * reads the reason from the returned row with the same checks it makes in its own
 * transaction, and anything it cannot explain goes through that transaction path — never a
 * second writer with different rules. Under a concurrent claim Postgres re-reads the locked
 * rows after the wait (EvalPlanQual), so the guard sees the other attempt's invoice update.
 */
const STARTED: AttemptStatus = 'started';
const RECURRING: TokenType = 'Recurring';
const INIT: TokenType = 'InitRecurring';

const CLAIM = statement(
  'claim_intent',
  `with t as (${CHARGE_TARGET_SELECT}),
   ins as (
     insert into charge_attempts ${INTENT_COLUMNS}
     select $2, t.iid, $3, $4, case when t.mandate_trade_no is null then '${INIT}' else '${RECURRING}' end,
       t.amount, t.currency, '${STARTED}', $5, $6, $7, t.pm_id, false
     from t
     where t.istatus = 'open' and t.sstatus in ${sqlListText(BILLABLE)} and t.attempt_count + 1 = $3
       and t.next_attempt_at is not null and t.next_attempt_at <= $7 and not t.has_open_attempt and not t.reattempt
       and t.pm_id is not null and t.asiabill_payment_method_id is not null and t.asiabill_customer_id is not null
       and t.plan_name is not null
     returning token_type
   ),
   inv as (
     update invoices set attempt_count = $3, next_attempt_at = null
     where id = (select iid from t) and exists (select 1 from ins)
   )
   select t.*, (select token_type from ins) as claimed_token_type from t`,
);

export interface Claim {
  /** The row as read under the locks (for the skip reason, and to build the request). */
  target: ChargeTarget;
  /** Set when the attempt was written: the token type it was written with. */
  claimed: TokenType | null;
}

export async function claimIntent(
  db: Db,
  p: {
    invoiceId: string;
    attemptId: string;
    attemptNo: number;
    orderNo: string;
    requestTime: Date;
    respondBy: Date;
    now: Date;
  },
): Promise<Claim | undefined> {
  const row = (
    await runAlone<ChargeTargetRow & { claimed_token_type: TokenType | null }>(db, CLAIM, [
      p.invoiceId,
      p.attemptId,
      p.attemptNo,
      p.orderNo,
      p.requestTime,
      p.respondBy,
      p.now,
    ])
  )[0];
  if (!row) return undefined;
  return { target: chargeTargetOf(row), claimed: row.claimed_token_type };
}
