import type { EventRow } from '../../db/rows.ts';
import type { WebhookEndpoint } from '../../events/endpoints.ts';
import type { DeliveryView } from '../../events/queries.ts';
import { cell, formatTimestamp, type Column, type JsonObject, type JsonValue } from '../output.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function endpointJson(e: WebhookEndpoint): JsonObject {
  return {
    id: e.id,
    url: e.url,
    events: e.eventTypes ?? ['*'],
    status: e.status,
    failingSince: iso(e.failingSince),
    disabledReason: e.disabledReason,
    previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
    createdAt: e.createdAt.toISOString(),
  };
}

export const ENDPOINT_COLUMNS: readonly Column<WebhookEndpoint>[] = [
  { header: 'ID', value: (e) => e.id },
  { header: 'URL', value: (e) => e.url },
  { header: 'EVENTS', value: (e) => (e.eventTypes ?? ['*']).join(',') },
  { header: 'STATUS', value: (e) => e.status },
  { header: 'FAILING SINCE', value: (e) => (e.failingSince ? formatTimestamp(e.failingSince) : '-') },
  { header: 'CREATED', value: (e) => formatTimestamp(e.createdAt) },
];

export function endpointDetails(e: WebhookEndpoint): Array<[string, string]> {
  return [
    ['id', e.id],
    ['url', e.url],
    ['events', (e.eventTypes ?? ['*']).join(',')],
    ['status', e.status],
    ['disabled reason', cell(e.disabledReason)],
    ['failing since', e.failingSince ? formatTimestamp(e.failingSince) : '-'],
    ['old secret signs until', e.previousSecretExpiresAt ? formatTimestamp(e.previousSecretExpiresAt) : '-'],
    ['created', formatTimestamp(e.createdAt)],
  ];
}

export function eventJson(e: EventRow): JsonObject {
  return {
    id: e.id,
    type: e.type,
    sequence: e.seq,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    occurredAt: e.occurredAt.toISOString(),
    publishedAt: iso(e.publishedAt),
    data: e.data as JsonValue,
  };
}

export const EVENT_COLUMNS: readonly Column<EventRow>[] = [
  { header: 'ID', value: (e) => e.id },
  { header: 'SEQ', value: (e) => String(e.seq), align: 'right' },
  { header: 'TYPE', value: (e) => e.type },
  { header: 'SUBJECT', value: (e) => e.subjectId },
  { header: 'OCCURRED', value: (e) => formatTimestamp(e.occurredAt) },
  { header: 'PUBLISHED', value: (e) => (e.publishedAt ? formatTimestamp(e.publishedAt) : '-') },
];

export function deliveryJson(d: DeliveryView): JsonObject {
  return {
    id: d.id,
    endpointId: d.endpointId,
    url: d.url,
    origin: d.origin,
    status: d.status,
    attemptCount: d.attemptCount,
    nextAttemptAt: iso(d.nextAttemptAt),
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: iso(d.deliveredAt),
    createdAt: d.createdAt.toISOString(),
    attempts: d.attempts.map((a) => ({
      attemptNo: a.attemptNo,
      startedAt: a.startedAt.toISOString(),
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
    })),
  };
}

export const DELIVERY_COLUMNS: readonly Column<DeliveryView>[] = [
  { header: 'DELIVERY', value: (d) => d.id },
  { header: 'ENDPOINT', value: (d) => d.endpointId },
  { header: 'ORIGIN', value: (d) => d.origin },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'ATTEMPTS', value: (d) => String(d.attemptCount), align: 'right' },
  { header: 'LAST', value: (d) => cell(d.lastStatusCode ?? d.lastError) },
  {
    header: 'NEXT',
    value: (d) => (d.nextAttemptAt && d.status === 'pending' ? formatTimestamp(d.nextAttemptAt) : '-'),
  },
];
