import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `Billing-Signature` header of merchant webhooks, the scheme Stripe users know:
 *
 *   Billing-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is signed with the body, so a captured request cannot be replayed later than
 * the receiver's tolerance. This file depends on node:crypto only: merchants may copy it.
 */
export const SIGNATURE_HEADER = 'Billing-Signature';

/** A receiver accepts a signature at most this old (or this far in the future): 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function computeSignature(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

/**
 * The header value for `rawBody` signed at `timestamp` (unix seconds). With several secrets
 * (right after a rotation: the new one, then the old one) there is one `v1=` per secret.
 */
export function signatureHeader(secret: string | readonly string[], timestamp: number, rawBody: string): string {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${computeSignature(s, timestamp, rawBody)}`)].join(',');
}

export type VerifyFailure = 'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch';
export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure };

export interface VerifyOptions {
  /** Seconds; default DEFAULT_TOLERANCE_SECONDS. */
  toleranceSeconds?: number;
  /** Unix seconds to judge the timestamp against; default the system clock. */
  now?: number;
}

/**
 * Verifies a webhook request. `rawBody` must be the exact bytes received (as a string), not a
 * re-serialised object; `header` is the `Billing-Signature` value. Several `v1=` entries are
 * accepted (any one matching is enough). Comparison is constant-time.
 */
export function verifySignature(
  rawBody: string,
  header: string | undefined | null,
  secret: string,
  opts: VerifyOptions = {},
): VerifyResult {
  if (!header) return { ok: false, reason: 'malformed_header' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return { ok: false, reason: 'malformed_header' };
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: 'timestamp_outside_tolerance' };
  const expected = Buffer.from(computeSignature(secret, timestamp, rawBody), 'hex');
  const match = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: 'signature_mismatch' };
}
