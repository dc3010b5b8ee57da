/**
 * Typed AsiaBill errors. Callers branch on the class and `code`, never on message text.
 *
 * The split that matters for money: `AsiabillApiError` is a *definite* answer from the
 * gateway (the request was read and refused), while `UnknownOutcomeError` means a charge
 * may or may not have happened and must be reconciled, never retried blind.
 *
 * No message built here ever contains a card number or security code: validation messages
 * describe the problem without echoing values, and gateway-supplied text is scrubbed.
 */
import { BillingError, ValidationError } from '../errors.ts';
import { redactCardNumbers } from './redact.ts';
import { isParameterRefusal, isRefusedBeforeProcessing } from './codes.ts';

/** A well-formed `{code, message}` envelope whose code is not a success code (/^0+$/). */
export class AsiabillApiError extends BillingError {
  readonly apiMessage: string;
  readonly httpStatus: number | undefined;
  constructor(code: string, message: string, httpStatus?: number) {
    // Gateway text is outside our control; scrub it in case it ever quotes a card number.
    const safe = redactCardNumbers(message);
    super(code, `AsiaBill ${code}: ${safe}`);
    this.apiMessage = safe;
    this.httpStatus = httpStatus;
  }

  /** L000x / P000x: refused before any processing; a fault on our side, never a decline. */
  get refusedBeforeProcessing(): boolean {
    return isRefusedBeforeProcessing(this.code);
  }

  /** P000x: a value in the request was refused (bad input when the caller supplied it). */
  get parameterRefusal(): boolean {
    return isParameterRefusal(this.code);
  }
}

/** A request we refused to send because it breaks AsiaBill's documented field rules. */
export class AsiabillValidationError extends ValidationError {
  readonly problem: string;
  constructor(field: string, rule: string, problem: string) {
    super(field, rule, problem);
    this.problem = problem;
  }
}

export type TransportFailure = 'timeout' | 'network' | 'http_status' | 'bad_response';

/**
 * A confirmCharge whose answer never arrived or could not be read. The charge may have
 * gone through: the caller must look it up (`/transactions` by orderNo, within a window
 * starting at `requestTime`) before deciding anything. Never a decline.
 */
export class UnknownOutcomeError extends BillingError {
  readonly orderNo: string;
  readonly requestTime: number;
  readonly requestId: string;
  readonly reason: TransportFailure;
  constructor(args: {
    orderNo: string;
    requestTime: number;
    requestId: string;
    reason: TransportFailure;
    detail: string;
    cause?: unknown;
  }) {
    super(
      'UNKNOWN_OUTCOME',
      `confirmCharge ${args.orderNo}: outcome unknown (${args.reason}: ${redactCardNumbers(args.detail)}); reconcile by orderNo before any retry`,
      { cause: args.cause },
    );
    this.orderNo = args.orderNo;
    this.requestTime = args.requestTime;
    this.requestId = args.requestId;
    this.reason = args.reason;
  }
}

/** A non-charge call that failed in transit or came back unreadable. */
export class AsiabillTransportError extends BillingError {
  readonly reason: TransportFailure;
  readonly httpStatus: number | undefined;
  /** What went wrong, without the "AsiaBill <reason>:" prefix (for wrapping errors). */
  readonly detail: string;
  constructor(reason: TransportFailure, detail: string, opts: { httpStatus?: number; cause?: unknown } = {}) {
    const safe = redactCardNumbers(detail);
    super('ASIABILL_TRANSPORT', `AsiaBill ${reason}: ${safe}`, { cause: opts.cause });
    this.reason = reason;
    this.httpStatus = opts.httpStatus;
    this.detail = safe;
  }
}

/** Response `data` that does not have the shape we rely on (missing id, unknown status…). */
export class AsiabillShapeError extends BillingError {
  constructor(what: string) {
    super('ASIABILL_BAD_SHAPE', what);
  }
}

export type NotificationErrorCode = 'BAD_SIGNATURE' | 'STALE' | 'MISSING_HEADER' | 'BAD_BODY' | 'BAD_VERSION';

/** A webhook or returnUrl redirect we must not trust. Answer anything but `success`. */
export class NotificationVerificationError extends BillingError {
  declare readonly code: NotificationErrorCode;
  constructor(code: NotificationErrorCode, message: string) {
    super(code, message);
  }
}
