import { formatMoney } from '../../money.ts';
import type { ChargeResult } from '../../renewals/charge.ts';
import type { CouponRow } from '../../db/rows.ts';
import type { EffectiveDunningPolicy } from '../../dunning/planPolicy.ts';
import type { PayLink } from '../../invoices/payLink.ts';
import type { RefundView } from '../../refunds/refunds.ts';
import type { UpcomingInvoice } from '../../subscriptions/upcoming.ts';
import type { UpdatePaymentMethodResult } from '../../subscriptions/updatePaymentMethod.ts';
import { linesJson } from './lifecycle.ts';
import { moneyJson, type JsonObject, type JsonValue } from '../output.ts';

/**
 * JSON answers of the operator operations, shared by the CLI (`--json`) and the admin API so
 * both surfaces answer alike (moved here from the command files).
 */
export function chargeJson(c: ChargeResult | null): JsonValue {
  return c?.kind === 'attempted'
    ? { orderNo: c.orderNo, tokenType: c.tokenType, status: c.status, orderInfo: c.orderInfo ?? null }
    : null;
}

export function upcomingJson(id: string, u: UpcomingInvoice): JsonObject {
  return {
    id,
    amountDue: { ...u.amountDue },
    lines: linesJson(u.lines),
    periodStart: u.periodStart.toISOString(),
    periodEnd: u.periodEnd.toISOString(),
    plan: u.planCode,
  };
}

export function cancelResultJson(
  id: string,
  r: { status: string; cancelAtPeriodEnd: boolean; refunds: readonly RefundView[] },
): JsonObject {
  return {
    id,
    status: r.status,
    cancelAtPeriodEnd: r.cancelAtPeriodEnd,
    refunds: r.refunds.map((x) => ({
      id: x.id,
      invoiceId: x.invoiceId,
      amount: x.amount,
      currency: x.currency,
      status: x.status,
    })),
  };
}

export function updatePaymentMethodJson(id: string, r: UpdatePaymentMethodResult): JsonObject {
  const c = r.retried?.charge;
  const retry: JsonObject | null =
    c?.kind === 'attempted'
      ? { invoiceId: r.retried?.invoiceId ?? null, orderNo: c.orderNo, tokenType: c.tokenType, status: c.status }
      : c
        ? { invoiceId: r.retried?.invoiceId ?? null, skipped: c.reason }
        : null;
  return { id, paymentMethodId: r.paymentMethodId, retry };
}

export function retryResultJson(id: string, r: ChargeResult): JsonObject {
  return r.kind === 'attempted'
    ? { id, result: 'attempted', orderNo: r.orderNo, status: r.status, orderInfo: r.orderInfo ?? null }
    : { id, result: 'skipped', reason: r.reason };
}

export function payLinkJson(link: PayLink): JsonObject {
  return {
    id: link.invoiceId,
    attemptId: link.attemptId,
    orderNo: link.orderNo,
    method: link.method,
    url: link.url,
    expiresAt: link.expiresAt.toISOString(),
  };
}

export function refundResultJson(r: { refund: RefundView; amountRefunded: number }): JsonObject {
  const m = (amount: number) => ({ amount, currency: r.refund.currency });
  return {
    id: r.refund.id,
    invoiceId: r.refund.invoiceId,
    status: r.refund.status,
    amount: moneyJson(m(r.refund.amount)),
    batchNo: r.refund.batchNo,
    failureReason: r.refund.failureReason,
    invoiceAmountRefunded: moneyJson(m(r.amountRefunded)),
  };
}

export function couponJson(c: CouponRow): JsonObject {
  return {
    id: c.id,
    code: c.code,
    percentOff: c.percentOffBp === null ? null : c.percentOffBp / 100,
    amountOff:
      c.amountOff === null || c.currency === null ? null : moneyJson({ amount: c.amountOff, currency: c.currency }),
    duration: c.duration,
    periods: c.durationPeriods,
  };
}

export function describeCouponOff(c: CouponRow): string {
  if (c.percentOffBp !== null) return `${c.percentOffBp / 100} %`;
  return c.amountOff !== null && c.currency !== null ? formatMoney({ amount: c.amountOff, currency: c.currency }) : '-';
}

export function dunningPolicyJson(e: EffectiveDunningPolicy): JsonObject {
  return {
    id: e.source,
    source: e.source,
    override: e.override
      ? { ...e.override, retryDelayHours: e.override.retryDelayHours ? [...e.override.retryDelayHours] : null }
      : null,
    policy: { ...e.policy, retryDelayHours: [...e.policy.retryDelayHours] },
  } as JsonObject;
}

export function replayJson(id: string, created: ReadonlyArray<{ deliveryId: string; endpointId: string }>): JsonObject {
  return { id, deliveries: created.map((c) => ({ id: c.deliveryId, endpointId: c.endpointId })) };
}
