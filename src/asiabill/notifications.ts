/**
 * AsiaBill async notifications (webhooks to callbackUrl), API.md §3.
 *
 * sign-info = HEX(HMAC-SHA256(signKey, gateway-no + request-id + request-time + version
 *             + "." + body)), where gateway-no is OUR configured number (as AsiaBill's SDK
 * does: the header's value is not trusted) and body is either the raw text exactly as
 * received or — what AsiaBill's PHP SDK verifies — that body with `/` escaped as `\/`
 * (phpJson.ts). Both need the key. The `version` header must be the API
 * version we speak. Only after the signature, version and freshness window pass is the body
 * parsed.
 */
import { randomUUID } from 'node:crypto';
import type { GatewayNotification } from './types.ts';
import { NotificationVerificationError } from './errors.ts';
import { API_VERSION } from './endpoints.ts';
import { safeEqualHex, signRequest } from './sign.ts';
import { parseNotificationBody } from './notificationBody.ts';
import { slashEscapedForm } from './phpJson.ts';

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface VerifyNotificationInput {
  headers: HeaderBag;
  rawBody: string;
  signKey: string;
  /** Real wall time (the SDK's replay window is against the real clock). */
  now?: Date;
  /** The SDK rejects request-time older than 10 minutes; we also reject as far in the future. */
  maxAgeMs?: number;
  /** When set, the signature must be over OUR gateway number (what the SDK does). */
  gatewayNo?: string;
  /** The `version` header a notification must carry (default: the API version we speak). */
  version?: string;
}

const REQUIRED_HEADERS = ['gateway-no', 'request-id', 'request-time', 'version', 'sign-info'] as const;
type RequiredHeader = (typeof REQUIRED_HEADERS)[number];

/** Header lookup that ignores case; a repeated header is ambiguous and treated as absent. */
function readHeaders(headers: HeaderBag): Record<RequiredHeader, string> {
  const lower = new Map<string, string | string[] | undefined>();
  for (const [name, value] of Object.entries(headers)) lower.set(name.toLowerCase(), value);
  const out = {} as Record<RequiredHeader, string>;
  for (const name of REQUIRED_HEADERS) {
    const raw = lower.get(name);
    const value = Array.isArray(raw) ? (raw.length === 1 ? raw[0] : undefined) : raw;
    if (value === undefined || value.trim() === '')
      throw new NotificationVerificationError('MISSING_HEADER', `notification header ${name} is missing`);
    out[name] = value.trim();
  }
  return out;
}

export function verifyNotification(input: VerifyNotificationInput): GatewayNotification {
  const h = readHeaders(input.headers);
  if (!/^\d{1,16}$/.test(h['request-time']))
    throw new NotificationVerificationError(
      'MISSING_HEADER',
      'notification header request-time is not epoch milliseconds',
    );
  const requestTime = Number(h['request-time']);

  const signedOver = (body: string): boolean =>
    safeEqualHex(
      signRequest({
        gatewayNo: input.gatewayNo ?? h['gateway-no'],
        requestId: h['request-id'],
        requestTime: h['request-time'],
        version: h.version,
        rawBody: body,
        signKey: input.signKey,
      }),
      h['sign-info'],
    );
  if (!signedOver(input.rawBody)) {
    const escaped = slashEscapedForm(input.rawBody);
    if (escaped === input.rawBody || !signedOver(escaped))
      throw new NotificationVerificationError('BAD_SIGNATURE', 'notification signature does not match');
  }
  const version = input.version ?? API_VERSION;
  if (h.version !== version)
    throw new NotificationVerificationError(
      'BAD_VERSION',
      `notification version header is not ${version} (this engine speaks AsiaBill API ${version})`,
    );

  const now = (input.now ?? new Date()).getTime();
  const maxAgeMs = input.maxAgeMs ?? 600_000;
  if (Math.abs(now - requestTime) > maxAgeMs) {
    throw new NotificationVerificationError(
      'STALE',
      `notification request-time is ${Math.round((now - requestTime) / 1000)}s from now (limit ${maxAgeMs / 1000}s)`,
    );
  }
  return parseNotificationBody(input.rawBody, h['request-id'], requestTime);
}

export interface SignNotificationInput {
  gatewayNo: string;
  signKey: string;
  rawBody: string;
  requestId?: string;
  requestTime?: number;
  version?: string;
}

/** Headers AsiaBill would send with `rawBody` (used by the sandbox and tests). */
export function signNotification(input: SignNotificationInput): Record<string, string> {
  const requestId = input.requestId ?? randomUUID().toUpperCase();
  const requestTime = String(input.requestTime ?? Date.now());
  const version = input.version ?? API_VERSION;
  return {
    'gateway-no': input.gatewayNo,
    'request-id': requestId,
    'request-time': requestTime,
    version,
    'sign-info': signRequest({
      gatewayNo: input.gatewayNo,
      requestId,
      requestTime,
      version,
      rawBody: input.rawBody,
      signKey: input.signKey,
    }),
  };
}
