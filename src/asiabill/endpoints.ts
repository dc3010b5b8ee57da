/**
 * Every V2022-03 route, shared by the client and the sandbox so both speak the same paths.
 * `{name}` marks a path parameter; its value goes into the signature's P part.
 *
 * `safeRead` decides retries: only calls that change nothing may be repeated after a
 * transport error. attach/detach are sent as GET by the official SDK but they change state,
 * so they are NOT safe reads.
 */
export const API_VERSION = 'V2022-03';

export type ApiBase = 'payment' | 'openapi';

/**
 * AsiaBill's live hosts (API.md §1): a request sent there moves real money. The test hosts
 * (testpay, api-uat, sandbox-pay) are not listed: they never charge a real card.
 */
export const ASIABILL_PRODUCTION_HOSTS: readonly string[] = ['safepay.asiabill.com', 'openapi.asiabill.com'];

/** True when `url` points at one of AsiaBill's live hosts (any port, any letter case). */
export function isAsiabillProductionUrl(url: string): boolean {
  try {
    return ASIABILL_PRODUCTION_HOSTS.includes(new URL(url).hostname.toLowerCase().replace(/\.$/, ''));
  } catch {
    return false;
  }
}
export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface Route {
  readonly base: ApiBase;
  readonly method: HttpMethod;
  readonly path: string;
  readonly safeRead: boolean;
}

function route(base: ApiBase, method: HttpMethod, path: string, safeRead = false): Route {
  return { base, method, path, safeRead };
}

/**
 * [assumption] AsiaBill says customers can be modified but the path was never found.
 * We assume `POST /customers/update` with `customerId` in the body, mirroring
 * `/payment_methods/update`. Change it here and nowhere else once confirmed.
 */
export const UPDATE_CUSTOMER_ROUTE: Route = route('payment', 'POST', '/customers/update');

export const ROUTES = {
  sessionToken: route('payment', 'POST', '/sessionToken'),
  createCustomer: route('payment', 'POST', '/customers'),
  listCustomers: route('payment', 'GET', '/customers', true),
  getCustomer: route('payment', 'GET', '/customers/{customerId}', true),
  deleteCustomer: route('payment', 'DELETE', '/customers/{customerId}'),
  updateCustomer: UPDATE_CUSTOMER_ROUTE,
  createPaymentMethod: route('payment', 'POST', '/payment_methods'),
  updatePaymentMethod: route('payment', 'POST', '/payment_methods/update'),
  listPaymentMethods: route('payment', 'GET', '/payment_methods/list/{customerId}', true),
  getPaymentMethod: route('payment', 'GET', '/payment_methods/{customerPaymentMethodId}', true),
  attachPaymentMethod: route('payment', 'GET', '/payment_methods/{customerPaymentMethodId}/{customerId}/attach'),
  detachPaymentMethod: route('payment', 'GET', '/payment_methods/{customerPaymentMethodId}/detach'),
  confirmCharge: route('payment', 'POST', '/confirmCharge'),
  checkoutPayment: route('payment', 'POST', '/checkout/payment'),
  refund: route('openapi', 'POST', '/refund'),
  refundStatus: route('openapi', 'GET', '/refund/{batchNo}', true),
  transactions: route('openapi', 'GET', '/transactions', true),
  orderInfo: route('openapi', 'GET', '/orderInfo/{tradeNo}', true),
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof ROUTES;

/** Substitutes `{name}` placeholders with URL-encoded values; the signature uses the raw ones. */
export function fillPath(path: string, params: Readonly<Record<string, string>>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(value);
  });
}

/**
 * AsiaBill's browser SDK (card capture for merchants that are not PCI-certified): loaded from
 * the payment host at this path (PHP SDK getJsScript()); its sessionToken is valid 30 minutes
 * (API.md §5). See browserSdk.ts.
 */
export const SDK_SCRIPT_PATH = '/static/v3/js/AsiabillPayment.min.js';
export const SESSION_TOKEN_TTL_MS = 30 * 60 * 1000;
