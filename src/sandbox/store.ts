/**
 * The sandbox's in-memory state. Card data never enters it: payment methods and charges
 * keep a brand, last four, expiry and the *behaviour* derived from the test card number.
 */
import type { BillingDetail, Customer } from '../asiabill/types.ts';
import type { CardFacts } from './cards.ts';
import type { LedgerEntry, RefundEntry, StoredPaymentMethod } from './types.ts';

/** A card presented raw on a charge with a customerId: bound as a payment method on success. */
export interface PendingBinding extends CardFacts {
  expMonth: string;
  expYear: string;
  billingDetail: BillingDetail;
}

/** What the ledger shows, plus what only the sandbox needs to finish or notify a charge. */
export interface StoredCharge extends Omit<LedgerEntry, 'createdAt'> {
  callbackUrl?: string;
  returnUrl: string;
  maskCardNo?: string;
  createdAt: Date;
  pendingBinding?: PendingBinding;
}

export class SandboxStore {
  readonly customers = new Map<string, Customer>();
  readonly paymentMethods = new Map<string, StoredPaymentMethod>();
  private readonly charges = new Map<string, StoredCharge>();
  private readonly orderNoByTradeNo = new Map<string, string>();
  readonly refunds = new Map<string, RefundEntry>();

  addCharge(charge: StoredCharge): void {
    this.charges.set(charge.orderNo, charge);
    this.orderNoByTradeNo.set(charge.tradeNo, charge.orderNo);
  }

  hasOrder(orderNo: string): boolean {
    return this.charges.has(orderNo);
  }

  chargeByTradeNo(tradeNo: string): StoredCharge | undefined {
    const orderNo = this.orderNoByTradeNo.get(tradeNo);
    return orderNo === undefined ? undefined : this.charges.get(orderNo);
  }

  /** Looks a charge up by tradeNo first, then by orderNo (test helpers accept either). */
  chargeByKey(key: string): StoredCharge | undefined {
    return this.chargeByTradeNo(key) ?? this.charges.get(key);
  }

  allCharges(): StoredCharge[] {
    return [...this.charges.values()];
  }

  /** The mandate check for Recurring: an approved InitRecurring on this customer + method. */
  hasSuccessfulInit(customerId: string | undefined, pmId: string | undefined): boolean {
    if (customerId === undefined || pmId === undefined) return false;
    return this.allCharges().some(
      (c) =>
        c.tokenType === 'InitRecurring' && c.status === 'success' && c.customerId === customerId && c.pmId === pmId,
    );
  }

  /** Any approved charge on this payment method (for the "works once" test card). */
  hasSuccessfulCharge(pmId: string | undefined): boolean {
    return pmId !== undefined && this.allCharges().some((c) => c.status === 'success' && c.pmId === pmId);
  }

  /** Declined charges on this method since its last approved one (for the "recovers" test card). */
  failuresSinceLastSuccess(pmId: string | undefined): number {
    if (pmId === undefined) return 0;
    let n = 0;
    for (const c of this.allCharges()) {
      if (c.pmId !== pmId) continue;
      if (c.status === 'success') n = 0;
      else if (c.status === 'fail') n += 1;
    }
    return n;
  }

  /** Refunded or on its way back (pending refunds count against the refundable amount). */
  refundedMinor(tradeNo: string): bigint {
    let sum = 0n;
    for (const r of this.refunds.values())
      if (r.tradeNo === tradeNo && r.refundStatus !== 'fail') sum += toMinor(r.refundAmount);
    return sum;
  }

  ledger(): LedgerEntry[] {
    return this.allCharges().map(toLedgerEntry);
  }
}

export function toLedgerEntry(c: StoredCharge): LedgerEntry {
  const entry: LedgerEntry = {
    kind: c.kind,
    orderNo: c.orderNo,
    tradeNo: c.tradeNo,
    amount: c.amount,
    currency: c.currency,
    status: c.status,
    orderInfo: c.orderInfo,
    createdAt: c.createdAt.toISOString(),
  };
  if (c.tokenType !== undefined) entry.tokenType = c.tokenType;
  if (c.customerId !== undefined) entry.customerId = c.customerId;
  if (c.pmId !== undefined) entry.pmId = c.pmId;
  if (c.remark !== undefined) entry.remark = c.remark;
  if (c.paymentMethod !== undefined) entry.paymentMethod = c.paymentMethod;
  if (c.customerIp !== undefined) entry.customerIp = c.customerIp;
  return entry;
}

/** Decimal text with ≤2 decimals → hundredths, exact (validated amounts only). */
export function toMinor(amount: string): bigint {
  const [whole = '0', frac = ''] = amount.split('.');
  return BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
}
