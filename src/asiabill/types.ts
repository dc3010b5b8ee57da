/**
 * The AsiaBill V2022-03 surface the engine depends on. The client (`client.ts`) and the
 * local sandbox (`sandbox/`) both implement against these types; renewals code only ever
 * sees `AsiabillGateway`, so tests can point it at the sandbox over real HTTP.
 *
 * Identifiers and amounts stay strings: `tradeNo` is 22 digits, amounts are decimal text.
 */

export type OrderStatus = 'success' | 'fail' | 'pending';
export const TOKEN_TYPES = ['InitRecurring', 'Recurring'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  state?: string;
  postalCode?: string;
  country: string; // ISO 3166-1 alpha-2
}

export interface BillingDetail {
  address: Address;
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
}

/** Full card data: only ever passed through to AsiaBill, never stored or logged. */
export interface CardInput {
  cardNo: string;
  cardExpireMonth: string; // "01".."12"
  cardExpireYear: string; // "2030"
  cardSecurityCode: string;
}

export interface CardSummary {
  brand: string;
  last4: string;
}

export interface Customer {
  customerId: string; // cus_…
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  description: string;
  created: string;
}

export interface CreateCustomerInput {
  email: string;
  firstName: string;
  lastName: string;
  phone?: string;
  description?: string;
}

export interface PaymentMethod {
  customerPaymentMethodId: string; // pm_…
  customerId?: string;
  card: CardSummary;
  billingDetail: BillingDetail;
}

export interface CreatePaymentMethodInput {
  billingDetail: BillingDetail;
  card: CardInput;
  customerId?: string;
}

/** Every field optional, as in the seed schema (asiabill/seedSchema.ts). */
export interface GoodsDetail {
  goodsTitle?: string;
  goodsCount?: string;
  goodsPrice?: string;
}

/** Every field optional, as in the seed schema (asiabill/seedSchema.ts). */
export interface Shipping {
  address?: Address;
  firstName?: string;
  lastName?: string;
  phone?: string;
}

export interface ConfirmChargeRequest {
  orderNo: string;
  orderAmount: string;
  orderCurrency: string;
  customerId?: string;
  customerPaymentMethodId?: string;
  customerPaymentMethod?: { billingDetail: BillingDetail; card: CardInput };
  tokenType?: TokenType;
  customerIp: string;
  returnUrl: string;
  webSite: string;
  callbackUrl?: string;
  isMobile?: '0' | '1' | '2' | '3';
  priorityThreeDSecure?: 'any' | 'automatic';
  goodsDetails?: GoodsDetail[];
  shipping?: Shipping;
  platform?: string;
  remark?: string;
}

export interface ConfirmChargeResult {
  orderNo: string;
  orderStatus: OrderStatus;
  orderInfo: string;
  orderAmount: string;
  orderCurrency: string;
  tradeNo?: string;
  redirectUrl?: string;
  maskCardNo?: string;
  remark?: string;
  riskInfos?: string;
}

export interface CheckoutPaymentRequest {
  orderNo: string;
  orderAmount: string;
  orderCurrency: string;
  paymentMethod: string; // "Credit Card" or a local method such as "Alipay"
  billingAddress: {
    address: string;
    city: string;
    country: string;
    email: string;
    firstName: string;
    lastName: string;
    phone: string;
    state?: string;
    zip?: string;
  };
  deliveryAddress?: Record<string, string>;
  goodsDetails?: GoodsDetail[];
  callbackUrl?: string;
  returnUrl: string;
  customerId?: string;
  customerIp: string;
  isMobile?: '0' | '1' | '2' | '3';
  platform?: string;
  remark?: string;
  webSite: string;
}

export interface TransactionSearchQuery {
  startTime: string; // "2022-02-21T00:00:00"
  endTime: string;
  orderNo?: string;
  tradeNo?: string;
  pageIndex?: number;
  pageSize?: number;
}

export interface TransactionRecord {
  orderNo: string;
  tradeNo: string;
  tradeDate: string;
  tradeAmount: string;
  tradeCurrency: string;
  tradeStatus: OrderStatus;
  tradeInfo: string;
}

export interface TransactionPage {
  page: { total: number; pageSize: number; pageIndex: number };
  list: TransactionRecord[];
}

export interface RefundRequest {
  tradeNo: string;
  merTrackNo: string;
  refundAmount: string;
  refundType: '1' | '2'; // 1 full, 2 partial
  refundReason: string;
  remark?: string;
}

export interface RefundResult {
  batchNo: string;
  tradeNo: string;
  merTrackNo: string;
  refundAmount: string;
  refundStatus?: string;
}

/** Options for a single confirmCharge call. */
export interface ChargeCallOptions {
  /**
   * The epoch-ms `request-time` to sign with. The charge worker records it on the attempt
   * row *before* the call; it bounds how long the outcome can stay unknown (the gateway
   * rejects requests >10 min off). Must be real wall time.
   */
  requestTime?: number;
}

/** What the renewals pipeline needs from AsiaBill. Implemented by `AsiabillClient`. */
export interface AsiabillGateway {
  confirmCharge(req: ConfirmChargeRequest, opts?: ChargeCallOptions): Promise<ConfirmChargeResult>;
  searchTransactions(q: TransactionSearchQuery): Promise<TransactionPage>;
  createCustomer(input: CreateCustomerInput): Promise<Customer>;
  createPaymentMethod(input: CreatePaymentMethodInput): Promise<PaymentMethod>;
  getPaymentMethod(customerPaymentMethodId: string): Promise<PaymentMethod>;
  /** Hosted checkout (card on AsiaBill's page) — pay links. Optional so narrow test doubles stay valid. */
  checkoutPayment?(req: CheckoutPaymentRequest): Promise<CheckoutPaymentResult>;
  /** Hosted checkout straight to a local method (Alipay, iDEAL…) — pay links. */
  localPayment?(req: CheckoutPaymentRequest): Promise<CheckoutPaymentResult>;
  refund(req: RefundRequest): Promise<RefundResult>;
  refundStatus(batchNo: string): Promise<RefundResult>;
  updateCustomer(customerId: string, fields: UpdateCustomerInput): Promise<Customer>;
  deleteCustomer(customerId: string): Promise<void>;
  detachPaymentMethod(customerPaymentMethodId: string): Promise<void>;
  /** A token for AsiaBill's browser SDK (card capture without card data on our servers). */
  sessionToken?(): Promise<string>;
}

/** Typed gateway notification, parsed from a verified `{type, data}` body. */
export type TransactionEventType =
  | 'transaction.success'
  | 'transaction.fail'
  | 'transaction.pending'
  | 'transaction.clear';
export type PreAuthEventType = 'pre-authorized.captured' | 'pre-authorized.void';
export type RefundEventType = 'refund.success' | 'refund.fail';

export interface TransactionData {
  transactionType: string;
  orderNo: string;
  tradeNo: string;
  orderAmount: string;
  orderCurrency: string;
  orderStatus: OrderStatus;
  orderInfo: string;
  remark: string;
}

export interface RefundData {
  reason: string;
  amount: string;
  currency: string;
  batchNo: string;
  orderNo: string;
  tradeNo: string;
  orderAmount: string;
  orderCurrency: string;
  noticeDate: string;
  merTrackNo: string;
}

export interface ChargebackData {
  chargebackInfo: { replyDeadline: string; cpdDate: string };
  reason: string;
  amount: string;
  currency: string;
  batchNo: string;
  orderNo: string;
  tradeNo: string;
  orderAmount: string;
  orderCurrency: string;
  noticeDate: string;
}

export type GatewayNotification =
  | { type: TransactionEventType | PreAuthEventType; requestId: string; requestTime: number; data: TransactionData }
  | { type: RefundEventType; requestId: string; requestTime: number; data: RefundData }
  | { type: 'chargeback.success'; requestId: string; requestTime: number; data: ChargebackData }
  | UnhandledNotification;

/**
 * A correctly signed notification of a type this engine does not know (AsiaBill may add
 * events): stored and acknowledged, never applied. `eventType` is the type as received.
 */
export interface UnhandledNotification {
  type: 'unhandled';
  eventType: string;
  requestId: string;
  requestTime: number;
  data: { orderNo: string; tradeNo: string };
}

// ---- Additions for the full client surface (client.ts) ----

/** Fields of `POST /customers/update`; only those given are changed. */
export interface UpdateCustomerInput {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  description?: string;
}

export interface CustomerListQuery {
  pageIndex?: number; // starts at 1
  pageSize?: number; // ≤ 1000
}

export interface CustomerPage {
  page: { total: number; pageSize: number; pageIndex: number };
  list: Customer[];
}

export interface UpdatePaymentMethodInput {
  customerPaymentMethodId: string;
  billingDetail: BillingDetail;
}

export interface CheckoutPaymentResult {
  redirectUrl: string;
  orderNo: string;
  tradeNo?: string;
}

/** `GET /orderInfo/{tradeNo}`: [assumption] the same shape as a `/transactions` list item. */
export type OrderInfoResult = TransactionRecord;
