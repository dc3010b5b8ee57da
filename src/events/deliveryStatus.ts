/**
 * Webhook endpoint and delivery statuses, named once (like src/billing/subscriptionStatus.ts
 * for billing): queries and CHECK constraints take these sets, never an inline list.
 */
export const WEBHOOK_ENDPOINT_STATUSES = ['enabled', 'disabled'] as const;
export type WebhookEndpointStatus = (typeof WEBHOOK_ENDPOINT_STATUSES)[number];

/**
 * pending   — due at `next_attempt_at` (or being posted, under a lease until then)
 * delivered — the endpoint answered 2xx
 * failed    — retries ran out, or the endpoint was disabled; `events replay` sends it again
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
