import { AsiabillApiError } from '../asiabill/errors.ts';
import { ValidationError } from '../errors.ts';

/**
 * AsiaBill's P-codes (P0001 "request param error", P0002 "param is null or incorrect")
 * mean the gateway read our request and refused a value in it. For customer and card
 * requests those values came from the caller, so the refusal is bad input: reported as a
 * ValidationError (CLI exit 2, HTTP 400) rather than as an outage worth retrying. Every
 * other gateway error (signature, rate limit, transport) is ours and stays as it is.
 */
export function asInputRefusal(err: unknown, field: string, what: string): unknown {
  if (err instanceof AsiabillApiError && err.parameterRefusal) {
    return new ValidationError(
      field,
      'accepted by AsiaBill',
      `AsiaBill refused ${what} (${err.code}: ${err.apiMessage})`,
    );
  }
  return err;
}
