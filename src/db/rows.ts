import type {
  chargeAttempts,
  coupons,
  customers,
  events,
  invoices,
  paymentMethods,
  plans,
  refunds,
  subscriptions,
  webhookDeliveries,
  webhookEndpoints,
} from './schema.ts';

/** Row types as stored, one name each, for every module that reads the tables. */
export type PlanRow = typeof plans.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;
export type PaymentMethodRow = typeof paymentMethods.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type InvoiceRow = typeof invoices.$inferSelect;
export type AttemptRow = typeof chargeAttempts.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type CouponRow = typeof coupons.$inferSelect;
