/**
 * AsiaBill's response envelope `{code, message, data}`.
 *
 * Success is any all-zero code — AsiaBill itself uses "00000" (confirmCharge, customers…),
 * "0000" (checkout, refund) and "0" (JS SDK, payment_methods/{id}) — or the word `success`,
 * which the seed's confirmCharge response example carries (docs/gateway.md, "seed fidelity").
 * Both are accepted on every call: reading `success` as a refusal would turn every charge
 * into an unknown outcome and every other call into an error. Every other code is a
 * definite refusal and becomes AsiabillApiError.
 */
import { AsiabillApiError, AsiabillTransportError } from './errors.ts';
import { parseJsonLossless } from './json.ts';
import { isObject } from './coerce.ts';

export interface Envelope {
  code: string;
  message: string;
  data: unknown;
}

const SUCCESS_CODE = /^(0+|success)$/i;

export function isSuccessCode(code: string): boolean {
  return SUCCESS_CODE.test(code);
}

/** Parses a response body; anything that is not an envelope is an unreadable response. */
export function parseEnvelope(body: string, httpStatus: number): Envelope {
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(body);
  } catch {
    throw new AsiabillTransportError('bad_response', `HTTP ${httpStatus} with a body that is not JSON`, { httpStatus });
  }
  if (!isObject(parsed))
    throw new AsiabillTransportError('bad_response', `HTTP ${httpStatus} with a JSON body that is not an object`, {
      httpStatus,
    });
  const code = parsed.code;
  if (typeof code !== 'string' && typeof code !== 'number') {
    throw new AsiabillTransportError('bad_response', `HTTP ${httpStatus} with no code in the response`, { httpStatus });
  }
  const message = parsed.message;
  return { code: String(code), message: typeof message === 'string' ? message : '', data: parsed.data };
}

/** Returns `data` of a successful envelope or throws the gateway's refusal as a typed error. */
export function unwrapEnvelope(env: Envelope, httpStatus: number): unknown {
  if (!isSuccessCode(env.code)) throw new AsiabillApiError(env.code, env.message, httpStatus);
  return env.data;
}
