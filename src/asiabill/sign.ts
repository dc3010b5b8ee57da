/**
 * AsiaBill V2022-03 `sign-info` (API.md §2) and the returnUrl signature (§4).
 *
 * The recipe is the official PHP SDK's `signInfo()`, which AsiaBill accepts in production:
 *   H = gateway-no + request-id + request-time (+ version, webhooks only)
 *   P = path-param values, sorted, concatenated
 *   Q = query values ordered by key, concatenated (decoded values; empty adds nothing)
 *   B = the raw body string — the exact bytes sent, never a re-serialisation
 *   sign = HEX(HMAC-SHA256(signKey, [H, P, Q, B] without empty parts, joined by '.'))
 * We emit UPPERCASE because that is what AsiaBill itself emits and compares against.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface StringToSignInput {
  gatewayNo: string;
  requestId: string;
  requestTime: string | number;
  /** Only webhooks carry a `version` header; requests leave it out. */
  version?: string;
  pathParams?: Readonly<Record<string, string>>;
  /** Decoded query values. Keys with `undefined` or '' contribute nothing. */
  query?: Readonly<Record<string, string | undefined>>;
  rawBody?: string;
}

export interface SignRequestInput extends StringToSignInput {
  signKey: string;
}

/** Plain code-unit comparison: identical to ASCII order for the ASCII names AsiaBill uses. */
function asciiCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function stringToSign(input: StringToSignInput): string {
  const h = input.gatewayNo + input.requestId + String(input.requestTime) + (input.version ?? '');
  // The SDK sorts path *values* (PHP sort()); the docs say by name. Every V2022-03 route
  // gives the same order either way (`cus_…` < `pm_…`), so we follow the SDK.
  const p = Object.values(input.pathParams ?? {})
    .sort(asciiCompare)
    .join('');
  const query = input.query ?? {};
  const q = Object.keys(query)
    .sort(asciiCompare)
    .map((k) => query[k] ?? '')
    .join('');
  const b = input.rawBody ?? '';
  // PHP array_filter would also drop a part equal to "0"; no real request has one, and
  // dropping only empty parts keeps the rule obvious.
  return [h, p, q, b].filter((part) => part !== '').join('.');
}

export function hmacHexUpper(signKey: string, message: string): string {
  return createHmac('sha256', signKey).update(message, 'utf8').digest('hex').toUpperCase();
}

export function signRequest(input: SignRequestInput): string {
  return hmacHexUpper(input.signKey, stringToSign(input));
}

/**
 * returnUrl redirect signature (§4): drop `signInfo`, sort the remaining names, concatenate
 * the decoded values. The caller removes its own params first.
 */
export function signReturnParams(params: Readonly<Record<string, string | undefined>>, signKey: string): string {
  const message = Object.keys(params)
    .filter((k) => k !== 'signInfo')
    .sort(asciiCompare)
    .map((k) => params[k] ?? '')
    .join('');
  return hmacHexUpper(signKey, message);
}

/**
 * Constant-time, case-insensitive comparison of two hex signatures. Different lengths are
 * rejected up front: timingSafeEqual needs equal lengths, and the length of a public
 * signature format leaks nothing.
 */
export function safeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a.toLowerCase(), 'utf8');
  const right = Buffer.from(b.toLowerCase(), 'utf8');
  if (left.length !== right.length || left.length === 0) return false;
  return timingSafeEqual(left, right);
}
