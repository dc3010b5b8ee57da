import { BillingError, ConflictError, NotFoundError, ValidationError, errorMessage } from '../../errors.ts';
import { WaitTimeoutError } from '../../testClock/advance.ts';
import {
  AsiabillApiError,
  AsiabillShapeError,
  AsiabillTransportError,
  UnknownOutcomeError,
} from '../../asiabill/errors.ts';

/**
 * The admin API's error contract: every failure is `{ "error": { code, message, field } }`
 * with an HTTP status and a stable, documented `code` (docs/api.md). Codes are mapped here
 * from the engine's error classes, in one place, so a route never picks a status itself.
 */
export const API_ERROR_CODES = {
  validation_error: 400,
  idempotency_key_required: 400,
  unauthorized: 401,
  not_found: 404,
  route_not_found: 404,
  conflict: 409,
  idempotency_key_reused: 409,
  idempotency_key_in_use: 409,
  internal_error: 500,
  gateway_error: 502,
  wait_timeout: 504,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** An error the HTTP layer itself raises (auth, idempotency, routing). */
export class ApiError extends BillingError {
  readonly apiCode: ApiErrorCode;
  readonly field: string | null;
  constructor(apiCode: ApiErrorCode, message: string, field: string | null = null) {
    super(apiCode.toUpperCase(), message);
    this.apiCode = apiCode;
    this.field = field;
  }
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; field: string | null };
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export function errorResponse(code: ApiErrorCode, message: string, field: string | null = null): ApiResponse {
  const body: ErrorBody = { error: { code, message, field } };
  return { status: API_ERROR_CODES[code], body };
}

/**
 * Maps a thrown error to a response. `internal` is true for anything unexpected: its message
 * is logged, never sent (it could name a table or a query), and the caller sees a fixed text.
 */
export type ErrorOutcome = ApiResponse & { internal: boolean; detail?: string };

export function toErrorResponse(err: unknown): ErrorOutcome {
  const r = (code: ApiErrorCode, message: string, field: string | null = null) => ({
    ...errorResponse(code, message, field),
    internal: false,
  });
  if (err instanceof ApiError) return r(err.apiCode, err.message, err.field);
  if (err instanceof ValidationError) return r('validation_error', err.message, err.field);
  if (err instanceof NotFoundError) return r('not_found', err.message);
  if (err instanceof ConflictError) return r('conflict', err.message);
  if (err instanceof WaitTimeoutError) return r('wait_timeout', err.message);
  if (
    err instanceof AsiabillApiError ||
    err instanceof AsiabillTransportError ||
    err instanceof AsiabillShapeError ||
    err instanceof UnknownOutcomeError
  ) {
    // These messages are scrubbed of card data by construction (asiabill/errors.ts).
    return r('gateway_error', err.message);
  }
  return {
    ...errorResponse('internal_error', 'internal error; see the engine log'),
    internal: true,
    detail: errorMessage(err),
  };
}
