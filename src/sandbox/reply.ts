/**
 * How sandbox handlers answer. A handler returns data (wrapped in AsiaBill's envelope by
 * the router) or asks for the connection to be dropped; refusals are thrown as
 * SandboxApiError with an AsiaBill code.
 */
export class SandboxApiError extends Error {
  readonly apiCode: string;
  readonly httpStatus: number;
  constructor(apiCode: string, message: string, httpStatus = 200) {
    super(message);
    this.name = 'SandboxApiError';
    this.apiCode = apiCode;
    this.httpStatus = httpStatus;
  }
}

export type HandlerResult = { code?: string; data: unknown } | { drop: true };

export interface ApiRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  now: Date;
}

export type ApiHandler = (req: ApiRequest) => HandlerResult | Promise<HandlerResult>;

/** AsiaBill's documented request-level codes (API.md §7). */
export const REQUEST_ERRORS = {
  S0001: 'api request error',
  L0001: 'limited request',
  L0002: 'api url error',
  L0003: 'requestTime outside range',
  L0004: 'duplicate request',
  L0005: 'check sign info error',
  P0001: 'request param error',
  P0002: 'param is null or incorrect',
} as const;

export function notFound(what: string): SandboxApiError {
  return new SandboxApiError('P0002', `${REQUEST_ERRORS.P0002}: ${what} not found`);
}
