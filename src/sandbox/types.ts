/**
 * Public shapes of the local AsiaBill sandbox. Everything here is test tooling: it speaks
 * AsiaBill's wire protocol over real HTTP so the engine can be exercised end to end.
 */
import type { Logger } from '../logger.ts';
import type { BillingDetail, CardSummary, Customer, OrderStatus, TokenType } from '../asiabill/types.ts';
import type { CardBehaviour } from './cards.ts';

export interface NotifyKnobs {
  /** Delay before the first delivery attempt. */
  delayMs: number;
  /** Waits between retries after a non-`success` answer; one more attempt per entry. */
  retryScheduleMs: number[];
  /** Deliver every notification twice (each copy retried independently). */
  duplicate: boolean;
  /** Hold an order's first notification until a later one for the same order was attempted. */
  reorder: boolean;
  /** Longest a held notification waits for a later one before it is sent anyway. */
  reorderHoldMs: number;
  /**
   * How many times each notification is delivered: a seeded random count from min to max
   * (0 = never sent), each copy retried independently until acknowledged. Overrides
   * `duplicate`; null = one copy (two with `duplicate`).
   */
  copies: { min: number; max: number } | null;
  /** Each copy's first attempt waits a further seeded random 0..jitterMs (copies and orders cross). */
  jitterMs: number;
  /**
   * Share (0..1) of copies parked as *late*: not sent until `releaseLateNotifications()`, so a
   * test delivers them after whatever engine state it likes (the next period charged, the
   * reconciler done) instead of after minutes of real time. Freshly signed when sent, as
   * AsiaBill's own late retries are.
   */
  lateShare: number;
  /** Seed of the copies/jitter/late draws; setting it restarts the sequence (replayable runs). */
  seed: number;
}

/** What the notifier did, per notification (one per event enqueued, not per copy). */
export interface NotificationStats {
  /** planned[k] = notifications given k copies. */
  planned: number[];
  /** delivered[k] = notifications whose copies were acknowledged by the receiver k times. */
  delivered: number[];
  /** Copies parked as late so far, and how many of them have been released. */
  late: number;
  lateReleased: number;
}

export type RefundMode = 'instant' | 'pending' | 'fail';

export interface SandboxKnobs extends Partial<NotifyKnobs> {
  /**
   * How refunds settle: `instant` (default: success at once, notified), `pending` (accepted,
   * settled later by `settleRefund`), `fail` (recorded as failed, `refund.fail` notified).
   */
  refundMode?: RefundMode;
  /** Record the next n refunds, then destroy the connection instead of answering. */
  dropNextRefundResponses?: number;
  /** Destroy the socket instead of answering the next n confirmCharge calls (charge still recorded). */
  dropNextResponses?: number;
  /**
   * Refuse the next API request(s) before any processing: an AsiaBill code such as 'S0001'
   * is answered as an error envelope; a 3-digit value such as '503' as that HTTP status
   * with a non-JSON body (a failing proxy).
   */
  failNextRequestsWith?: string;
  /** How many requests failNextRequestsWith applies to (default 1). */
  failNextRequests?: number;
  /**
   * Record the next n confirmCharge calls, then sit on the answer for holdResponseMs before
   * sending it (a slow gateway: the caller is mid-call while the charge already exists).
   */
  holdNextResponses?: number;
  /** How long a held confirmCharge answer waits (default 30 s). Released at once on close(). */
  holdResponseMs?: number;
  /**
   * The `code` of every successful answer. Unset: each route's usual all-zero code
   * ("00000", "0000" or "0"). `success`: what the seed's confirmCharge example carries.
   * '' goes back to the usual codes.
   */
  successCode?: string;
}

export interface SandboxOptions {
  port?: number;
  /** Keep state in this JSON file across restarts (no card data is ever in it). */
  stateFile?: string;
  host?: string;
  gatewayNo?: string;
  signKey?: string;
  logger?: Logger;
  notify?: Partial<NotifyKnobs>;
}

export interface LedgerEntry {
  kind: 'charge' | 'checkout';
  orderNo: string;
  tradeNo: string;
  tokenType?: TokenType;
  amount: string;
  currency: string;
  status: OrderStatus;
  orderInfo: string;
  customerId?: string;
  pmId?: string;
  remark?: string;
  paymentMethod?: string;
  /** The customerIp the charge was sent with. */
  customerIp?: string;
  /** ISO-8601 wall time. */
  createdAt: string;
}

/** What the sandbox keeps for a payment method: never the full number or the security code. */
export interface StoredPaymentMethod {
  customerPaymentMethodId: string;
  customerId?: string;
  card: CardSummary;
  billingDetail: BillingDetail;
  expMonth: string;
  expYear: string;
  behaviour: CardBehaviour;
  created: string;
}

export interface RefundEntry {
  batchNo: string;
  tradeNo: string;
  orderNo: string;
  merTrackNo: string;
  refundAmount: string;
  refundType: '1' | '2';
  refundReason: string;
  currency: string;
  refundStatus: 'success' | 'fail' | 'pending';
  createdAt: string;
}

export interface SandboxDump {
  customers: Customer[];
  paymentMethods: StoredPaymentMethod[];
  charges: LedgerEntry[];
  refunds: RefundEntry[];
}

export interface Sandbox {
  url: string;
  paymentUrl: string;
  openapiUrl: string;
  gatewayNo: string;
  signKey: string;
  ledger(): LedgerEntry[];
  /** Everything the sandbox holds, for assertions (contains no card numbers by construction). */
  dump(): SandboxDump;
  /** AsiaBill API requests received (not /__sandbox helpers). */
  requestCount(): number;
  completeThreeDS(tradeNoOrOrderNo: string, outcome: 'success' | 'fail'): Promise<void>;
  setKnobs(knobs: SandboxKnobs): void;
  /** Settles a pending refund (by batchNo or merTrackNo); notifies unless `notify` is false. */
  settleRefund(key: string, outcome: 'success' | 'fail', opts?: { notify?: boolean }): void;
  /** Resolves once every queued notification delivery has been attempted at least once. */
  flushNotifications(): Promise<void>;
  /** Deliveries not yet acknowledged with `success` and not given up. */
  pendingNotifications(): number;
  /** confirmCharge answers held right now (holdNextResponses): charges recorded, caller still waiting. */
  heldResponses(): number;
  /** Sends every held confirmCharge answer now (the gateway answers at last); returns how many. */
  releaseHeldResponses(): number;
  /** Sends every copy parked by `lateShare` (jittered like the rest); returns how many. */
  releaseLateNotifications(): number;
  notificationStats(): NotificationStats;
  close(): Promise<void>;
}
