import type { InvoiceRow } from '../../db/rows.ts';
import type { InvoiceWithAttempts } from '../../invoices/queries.ts';
import type { EventRow } from '../../events/read.ts';
import type { Page } from '../../db/paging.ts';
import { moneyJson, type JsonObject, type JsonValue } from '../../cli/output.ts';
import type { DeliverySummary } from '../../events/deliverySummary.ts';

/** JSON of the resources only the API shows (the CLI's views are in src/cli/views). */
export function invoiceJson(i: InvoiceRow): JsonObject {
  return {
    id: i.id,
    subscriptionId: i.subscriptionId,
    periodIndex: i.periodIndex,
    periodStart: i.periodStart.toISOString(),
    periodEnd: i.periodEnd.toISOString(),
    amount: moneyJson({ amount: i.amount, currency: i.currency }),
    status: i.status,
    attemptCount: i.attemptCount,
    nextAttemptAt: i.nextAttemptAt?.toISOString() ?? null,
    paidAt: i.paidAt?.toISOString() ?? null,
    amountRefunded: moneyJson({ amount: i.amountRefunded, currency: i.currency }),
    // Dunning state (docs/dunning.md), as `billing invoices show` prints it.
    firstFailedAt: i.firstFailedAt?.toISOString() ?? null,
    dunningEndsAt: i.dunningEndsAt?.toISOString() ?? null,
    parkedCode: i.parkedCode,
    refusalCount: i.refusalCount,
    actionUrl: i.actionUrl,
    actionDeadline: i.actionDeadline?.toISOString() ?? null,
    nextStepReason: i.nextStepReason,
    createdAt: i.createdAt.toISOString(),
  };
}

export function invoiceDetailJson(i: InvoiceWithAttempts): JsonObject {
  return {
    ...invoiceJson(i),
    attempts: i.attempts.map((a) => ({
      id: a.id,
      attemptNo: a.attemptNo,
      orderNo: a.orderNo,
      tokenType: a.tokenType,
      status: a.status,
      tradeNo: a.tradeNo,
      orderInfo: a.orderInfo,
      declineCode: a.declineCode,
      redirectUrl: a.redirectUrl,
      requestTime: a.requestTime.toISOString(),
      finishedAt: a.finishedAt?.toISOString() ?? null,
    })),
  };
}

/**
 * An outbox event and its delivery state: published (fanned out to the endpoints) or not, and
 * how many of its webhook deliveries are delivered, pending (retrying) or failed.
 */
export function eventJson(e: EventRow, deliveries?: DeliverySummary): JsonObject {
  return {
    id: e.id,
    type: e.type,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    sequence: e.seq,
    data: e.data as JsonValue,
    occurredAt: e.occurredAt.toISOString(),
    recordedAt: e.recordedAt.toISOString(),
    delivery: {
      publishedAt: e.publishedAt?.toISOString() ?? null,
      ...(deliveries ?? { pending: 0, delivered: 0, failed: 0 }),
    },
  };
}

/** Every list answer: `{ data, hasMore }`; the next page starts after the last id of `data`. */
export function listJson<T>(page: Page<T>, view: (row: T) => JsonObject): JsonObject {
  return { data: page.data.map(view), hasMore: page.hasMore };
}
