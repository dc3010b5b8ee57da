/**
 * AsiaBill V2022-03 client: every endpoint of API.md §5 over signed HTTP.
 *
 * Money rules that shape this file:
 *  - requests are validated before anything is signed or sent;
 *  - confirmCharge is never retried; when its answer is lost or unreadable the outcome is
 *    UNKNOWN (UnknownOutcomeError), never a decline — the caller reconciles by orderNo;
 *  - a readable error code (L0005, P0001…) is a definite "not charged" (AsiabillApiError);
 *  - only safe reads are retried, each time with a fresh request-id;
 *  - card data goes into one request body and is never logged or kept.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { wallClock as defaultWallClock, type Clock } from '../clock.ts';
import type {
  AsiabillGateway,
  ChargeCallOptions,
  CheckoutPaymentRequest,
  CheckoutPaymentResult,
  ConfirmChargeRequest,
  ConfirmChargeResult,
  CreateCustomerInput,
  CreatePaymentMethodInput,
  Customer,
  CustomerListQuery,
  CustomerPage,
  OrderInfoResult,
  PaymentMethod,
  RefundRequest,
  RefundResult,
  TransactionPage,
  TransactionSearchQuery,
  UpdateCustomerInput,
  UpdatePaymentMethodInput,
} from './types.ts';
import { AsiabillShapeError, AsiabillTransportError, UnknownOutcomeError } from './errors.ts';
import { ROUTES } from './endpoints.ts';
import { SignedTransport, type CallSpec } from './transport.ts';
import { pathId } from './fieldRules.ts';
import {
  decodeChargeResult,
  decodeCheckoutResult,
  decodeCustomer,
  decodeCustomerPage,
  decodePaymentMethod,
  decodePaymentMethodList,
  decodeRefund,
  decodeSessionToken,
  decodeTransactionPage,
  decodeTransactionRecord,
} from './decode.ts';
import {
  validateCheckoutPayment,
  validateConfirmCharge,
  validateCreateCustomer,
  validateCreatePaymentMethod,
  validateCustomerList,
  validateLocalPayment,
  validateRefund,
  validateTransactionSearch,
  validateUpdateCustomer,
  validateUpdatePaymentMethod,
} from './validate.ts';

export interface AsiabillClientOptions {
  /** e.g. https://testpay.asiabill.com/V2022-03 */
  paymentUrl: string;
  /** e.g. https://api-uat.asiabill.com/openApi/V2022-03 */
  openapiUrl: string;
  gatewayNo: string;
  signKey: string;
  timeoutMs?: number;
  logger?: Logger;
  /** Source of `request-time`. Always real wall time: AsiaBill rejects anything >10 min off. */
  wallClock?: Clock;
  newRequestId?: () => string;
  /** Extra attempts for safe reads after a transport error. */
  maxReadRetries?: number;
}

/** The SDK's request-id style: an uppercase UUID. */
export function defaultRequestId(): string {
  return randomUUID().toUpperCase();
}

export class AsiabillClient implements AsiabillGateway {
  private readonly transport: SignedTransport;
  private readonly logger: Logger;

  constructor(opts: AsiabillClientOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.transport = new SignedTransport({
      paymentUrl: opts.paymentUrl,
      openapiUrl: opts.openapiUrl,
      gatewayNo: opts.gatewayNo,
      signKey: opts.signKey,
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxReadRetries: opts.maxReadRetries ?? 2,
      logger: this.logger,
      wallClock: opts.wallClock ?? defaultWallClock,
      newRequestId: opts.newRequestId ?? defaultRequestId,
    });
  }

  /** Runs a non-charge call and decodes its data; an unexpected shape is a transport-level failure. */
  private async request<T>(spec: CallSpec, decode: (data: unknown) => T): Promise<T> {
    const { data } = await this.transport.call(spec);
    try {
      return decode(data);
    } catch (err) {
      if (err instanceof AsiabillShapeError)
        throw new AsiabillTransportError('bad_response', `${spec.route.path}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  // ---- session ----

  async sessionToken(): Promise<string> {
    return this.request({ route: ROUTES.sessionToken }, decodeSessionToken);
  }

  // ---- customers ----

  async createCustomer(input: CreateCustomerInput): Promise<Customer> {
    return this.request({ route: ROUTES.createCustomer, body: validateCreateCustomer(input) }, decodeCustomer);
  }

  async getCustomer(customerId: string): Promise<Customer> {
    return this.request(
      { route: ROUTES.getCustomer, pathParams: { customerId: pathId(customerId, 'customerId') } },
      decodeCustomer,
    );
  }

  async listCustomers(q: CustomerListQuery = {}): Promise<CustomerPage> {
    const v = validateCustomerList(q);
    return this.request(
      { route: ROUTES.listCustomers, query: { pageIndex: optNum(v.pageIndex), pageSize: optNum(v.pageSize) } },
      decodeCustomerPage,
    );
  }

  async deleteCustomer(customerId: string): Promise<void> {
    await this.transport.call({
      route: ROUTES.deleteCustomer,
      pathParams: { customerId: pathId(customerId, 'customerId') },
    });
  }

  /** Goes to UPDATE_CUSTOMER_ROUTE, whose path is an [assumption] (see endpoints.ts). */
  async updateCustomer(customerId: string, fields: UpdateCustomerInput): Promise<Customer> {
    const body = validateUpdateCustomer({ ...fields, customerId: pathId(customerId, 'customerId') });
    return this.request({ route: ROUTES.updateCustomer, body }, decodeCustomer);
  }

  // ---- payment methods ----

  /** PCI path: the card travels in this one request body and is then forgotten. */
  async createPaymentMethod(input: CreatePaymentMethodInput): Promise<PaymentMethod> {
    return this.request(
      { route: ROUTES.createPaymentMethod, body: validateCreatePaymentMethod(input) },
      decodePaymentMethod,
    );
  }

  async updatePaymentMethod(input: UpdatePaymentMethodInput): Promise<PaymentMethod> {
    return this.request(
      { route: ROUTES.updatePaymentMethod, body: validateUpdatePaymentMethod(input) },
      decodePaymentMethod,
    );
  }

  async getPaymentMethod(customerPaymentMethodId: string): Promise<PaymentMethod> {
    const id = pathId(customerPaymentMethodId, 'customerPaymentMethodId');
    return this.request(
      { route: ROUTES.getPaymentMethod, pathParams: { customerPaymentMethodId: id } },
      decodePaymentMethod,
    );
  }

  async listPaymentMethods(customerId: string): Promise<PaymentMethod[]> {
    return this.request(
      { route: ROUTES.listPaymentMethods, pathParams: { customerId: pathId(customerId, 'customerId') } },
      decodePaymentMethodList,
    );
  }

  async attachPaymentMethod(customerPaymentMethodId: string, customerId: string): Promise<void> {
    await this.transport.call({
      route: ROUTES.attachPaymentMethod,
      pathParams: {
        customerPaymentMethodId: pathId(customerPaymentMethodId, 'customerPaymentMethodId'),
        customerId: pathId(customerId, 'customerId'),
      },
    });
  }

  async detachPaymentMethod(customerPaymentMethodId: string): Promise<void> {
    await this.transport.call({
      route: ROUTES.detachPaymentMethod,
      pathParams: { customerPaymentMethodId: pathId(customerPaymentMethodId, 'customerPaymentMethodId') },
    });
  }

  // ---- charges ----

  /**
   * One charge attempt, sent exactly once. Throws AsiabillValidationError (nothing sent),
   * AsiabillApiError (readable refusal: not charged) or UnknownOutcomeError (no readable
   * answer: may be charged). A decline is a normal result with orderStatus 'fail'.
   */
  async confirmCharge(req: ConfirmChargeRequest, opts: ChargeCallOptions = {}): Promise<ConfirmChargeResult> {
    const body = validateConfirmCharge(req);
    let ids = { requestId: '', requestTime: opts.requestTime ?? 0 };
    const unknown = (reason: UnknownOutcomeError['reason'], detail: string, cause: unknown): UnknownOutcomeError => {
      // Worth a warning: someone must reconcile this order before charging it again.
      this.logger.warn(
        { orderNo: body.orderNo, requestId: ids.requestId, requestTime: ids.requestTime, reason },
        'confirmCharge outcome unknown',
      );
      return new UnknownOutcomeError({
        orderNo: body.orderNo,
        requestTime: ids.requestTime,
        requestId: ids.requestId,
        reason,
        detail,
        cause,
      });
    };
    let data: unknown;
    try {
      ({ data } = await this.transport.call({
        route: ROUTES.confirmCharge,
        body,
        ...(opts.requestTime !== undefined ? { requestTime: opts.requestTime } : {}),
        onAttempt: (a) => {
          ids = a;
        },
      }));
    } catch (err) {
      if (err instanceof AsiabillTransportError) throw unknown(err.reason, err.detail, err);
      throw err;
    }
    try {
      return decodeChargeResult(data, body.orderNo);
    } catch (err) {
      if (err instanceof AsiabillShapeError) throw unknown('bad_response', err.message, err);
      throw err;
    }
  }

  /** Hosted checkout: AsiaBill's page collects the payment; the outcome arrives by notification. */
  async checkoutPayment(req: CheckoutPaymentRequest): Promise<CheckoutPaymentResult> {
    const body = validateCheckoutPayment(req);
    return this.request({ route: ROUTES.checkoutPayment, body }, (d) => decodeCheckoutResult(d, body.orderNo));
  }

  /** A checkout straight to a local method (Alipay, iDEAL…); see localMethods.ts. */
  async localPayment(req: CheckoutPaymentRequest): Promise<CheckoutPaymentResult> {
    const body = validateLocalPayment(req);
    return this.request({ route: ROUTES.checkoutPayment, body }, (d) => decodeCheckoutResult(d, body.orderNo));
  }

  // ---- OpenAPI ----

  async refund(req: RefundRequest): Promise<RefundResult> {
    return this.request({ route: ROUTES.refund, body: validateRefund(req) }, decodeRefund);
  }

  async refundStatus(batchNo: string): Promise<RefundResult> {
    return this.request(
      { route: ROUTES.refundStatus, pathParams: { batchNo: pathId(batchNo, 'batchNo') } },
      decodeRefund,
    );
  }

  /** The way to find an order by orderNo (e.g. after an unknown outcome). */
  async searchTransactions(q: TransactionSearchQuery): Promise<TransactionPage> {
    const v = validateTransactionSearch(q);
    const query = {
      startTime: v.startTime,
      endTime: v.endTime,
      orderNo: v.orderNo,
      tradeNo: v.tradeNo,
      pageIndex: optNum(v.pageIndex),
      pageSize: optNum(v.pageSize),
    };
    return this.request({ route: ROUTES.transactions, query }, decodeTransactionPage);
  }

  async orderInfo(tradeNo: string): Promise<OrderInfoResult> {
    return this.request(
      { route: ROUTES.orderInfo, pathParams: { tradeNo: pathId(tradeNo, 'tradeNo') } },
      decodeTransactionRecord,
    );
  }
}

function optNum(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n);
}
