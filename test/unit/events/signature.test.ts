import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOLERANCE_SECONDS,
  computeSignature,
  signatureHeader,
  verifySignature,
} from '../../../src/events/signature.ts';
import { retryDelayMs, DELIVERY_RETRY_CAP_MS } from '../../../src/events/deliveryPolicy.ts';
import { endpointWants, validateEndpointInput } from '../../../src/events/endpoints.ts';
import { ValidationError } from '../../../src/errors.ts';

// A vector computed outside this code base:
//   printf '%s' '1767225600.{"id":"evt_1","type":"invoice.paid"}' | openssl dgst -sha256 -hmac 'whsec_test'
const SECRET = 'whsec_test';
const T = 1767225600;
const BODY = '{"id":"evt_1","type":"invoice.paid"}';
const OPENSSL_HEX = 'eb2c86071742200800056198284b036ce585690f9bac43165b23bfa835a62037';

describe('Billing-Signature', () => {
  it('matches an HMAC-SHA256 computed by openssl over "<t>.<raw body>"', () => {
    expect(computeSignature(SECRET, T, BODY)).toBe(OPENSSL_HEX);
    expect(signatureHeader(SECRET, T, BODY)).toBe(`t=${T},v1=${OPENSSL_HEX}`);
  });

  it('verifies with the right secret inside the tolerance', () => {
    const header = `t=${T},v1=${OPENSSL_HEX}`;
    expect(verifySignature(BODY, header, SECRET, { now: T })).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(BODY, header, SECRET, { now: T + DEFAULT_TOLERANCE_SECONDS })).toEqual({
      ok: true,
      timestamp: T,
    });
    expect(verifySignature(BODY, header, SECRET, { now: T - DEFAULT_TOLERANCE_SECONDS })).toEqual({
      ok: true,
      timestamp: T,
    });
  });

  it('fails with a wrong secret, a changed body, an old or a future timestamp', () => {
    const header = `t=${T},v1=${OPENSSL_HEX}`;
    expect(verifySignature(BODY, header, 'whsec_other', { now: T })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifySignature(`${BODY} `, header, SECRET, { now: T })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifySignature(BODY, header, SECRET, { now: T + 301 })).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
    expect(verifySignature(BODY, header, SECRET, { now: T - 301 })).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
    // A stale request re-signed with a fresh t but the old v1 does not verify either.
    expect(verifySignature(BODY, `t=${T + 60},v1=${OPENSSL_HEX}`, SECRET, { now: T + 60 })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifySignature(BODY, header, SECRET, { now: T + 3600, toleranceSeconds: 7200 }).ok).toBe(true);
  });

  it('refuses malformed headers and accepts any one of several v1 values', () => {
    for (const h of [
      undefined,
      '',
      'garbage',
      `t=${T}`,
      `v1=${OPENSSL_HEX}`,
      `t=abc,v1=${OPENSSL_HEX}`,
      `t=${T},v1=XYZ`,
    ]) {
      expect(verifySignature(BODY, h, SECRET, { now: T })).toEqual({ ok: false, reason: 'malformed_header' });
    }
    const other = '0'.repeat(64);
    expect(verifySignature(BODY, `t=${T},v1=${other},v1=${OPENSSL_HEX}`, SECRET, { now: T }).ok).toBe(true);
    expect(verifySignature(BODY, ` t=${T} , v1=${OPENSSL_HEX} `, SECRET, { now: T }).ok).toBe(true);
  });
});

describe('delivery policy', () => {
  it('doubles from the base and caps at 6 hours (hand-made table, base 1 minute)', () => {
    const min = 60_000;
    const table: Array<[number, number]> = [
      [1, 1 * min],
      [2, 2 * min],
      [3, 4 * min],
      [4, 8 * min],
      [5, 16 * min],
      [6, 32 * min],
      [7, 64 * min],
      [8, 128 * min],
      [9, 256 * min],
      [10, 360 * min],
      [11, 360 * min],
      [40, 360 * min],
    ];
    expect(table).toHaveLength(12);
    for (const [n, delay] of table) expect(retryDelayMs(n, min)).toBe(delay);
    expect(DELIVERY_RETRY_CAP_MS).toBe(360 * min);
  });

  it('retries for at least 3 days before giving up: the schedule has room for every attempt', () => {
    // Cumulative delay of the first 20 attempts at the production base: well past 3 days.
    let total = 0;
    for (let n = 1; n <= 20; n++) total += retryDelayMs(n, 60_000);
    expect(total).toBeGreaterThan(3 * 24 * 3600_000);
  });
});

describe('endpoint input', () => {
  it('takes http(s) URLs and event types or prefixes; none or * means every type', () => {
    expect(validateEndpointInput({ url: 'https://merchant.example/hooks' })).toEqual({
      url: 'https://merchant.example/hooks',
      eventTypes: null,
    });
    expect(
      validateEndpointInput({ url: 'http://127.0.0.1:9/x', eventTypes: ['invoice.paid', ' subscription.* '] }),
    ).toEqual({ url: 'http://127.0.0.1:9/x', eventTypes: ['invoice.paid', 'subscription.*'] });
    expect(
      validateEndpointInput({ url: 'https://a.example', eventTypes: ['*', 'invoice.paid'] }).eventTypes,
    ).toBeNull();
  });

  it('refuses bad URLs and event types, naming the field', () => {
    const bad: Array<[Parameters<typeof validateEndpointInput>[0], string]> = [
      [{ url: 'not a url' }, 'url'],
      [{ url: 'ftp://merchant.example/' }, 'url'],
      [{ url: 'https://user:pw@merchant.example/' }, 'url'],
      [{ url: 'https://merchant.example/', eventTypes: ['Invoice Paid'] }, 'events'],
      [{ url: 'https://merchant.example/', eventTypes: ['invoice.*.paid'] }, 'events'],
    ];
    expect(bad).toHaveLength(5);
    for (const [input, field] of bad) {
      let caught: unknown;
      try {
        validateEndpointInput(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).field).toBe(field);
    }
  });

  it('matches exact types and prefixes', () => {
    expect(endpointWants(null, 'invoice.paid')).toBe(true);
    expect(endpointWants(['invoice.paid'], 'invoice.paid')).toBe(true);
    expect(endpointWants(['invoice.paid'], 'invoice.payment_failed')).toBe(false);
    expect(endpointWants(['invoice.*'], 'invoice.payment_failed')).toBe(true);
    expect(endpointWants(['invoice.*'], 'invoicex.paid')).toBe(false);
    expect(endpointWants(['subscription.*'], 'invoice.paid')).toBe(false);
  });
});
