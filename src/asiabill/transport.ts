/**
 * One signed HTTP exchange with AsiaBill, plus retries for safe reads.
 *
 * The body is serialised once; that exact string is signed and sent, so the bytes the
 * gateway hashes are the bytes we hashed. Each attempt gets a fresh request-id (AsiaBill
 * refuses a reused one for 30 minutes) and, unless the caller fixed it, a fresh request-time.
 *
 * Failures come out typed: AsiabillApiError for a readable refusal, AsiabillTransportError
 * for everything that never produced a readable answer. Nothing here logs bodies.
 */
import { request } from 'undici';
import type { Logger } from '../logger.ts';
import type { Clock } from '../clock.ts';
import { AsiabillTransportError, type TransportFailure } from './errors.ts';
import { parseEnvelope, unwrapEnvelope, type Envelope } from './envelope.ts';
import { fillPath, type Route } from './endpoints.ts';
import { signRequest } from './sign.ts';

export interface TransportConfig {
  paymentUrl: string;
  openapiUrl: string;
  gatewayNo: string;
  signKey: string;
  timeoutMs: number;
  maxReadRetries: number;
  logger: Logger;
  wallClock: Clock;
  newRequestId: () => string;
}

export interface CallSpec {
  route: Route;
  pathParams?: Readonly<Record<string, string>>;
  /** Only set values are sent; signed over the raw values, sent URL-encoded. */
  query?: Readonly<Record<string, string | undefined>>;
  body?: unknown;
  /** Fixes request-time (confirmCharge records it before calling). */
  requestTime?: number;
  /** Called with the identifiers before the request leaves, for error reporting. */
  onAttempt?: (ids: { requestId: string; requestTime: number }) => void;
}

export interface CallResult {
  data: unknown;
  code: string;
  httpStatus: number;
  requestId: string;
  requestTime: number;
}

const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';

export class SignedTransport {
  constructor(private readonly cfg: TransportConfig) {}

  async call(spec: CallSpec): Promise<CallResult> {
    const retries = spec.route.safeRead ? this.cfg.maxReadRetries : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(spec, attempt);
      } catch (err) {
        // Only safe reads are repeated, and only when no readable answer came back.
        if (!(err instanceof AsiabillTransportError) || attempt >= retries) throw err;
      }
    }
  }

  private async once(spec: CallSpec, attempt: number): Promise<CallResult> {
    const { route } = spec;
    const base = route.base === 'payment' ? this.cfg.paymentUrl : this.cfg.openapiUrl;
    const pathParams = spec.pathParams ?? {};
    const path = fillPath(route.path, pathParams);
    const query = Object.fromEntries(
      Object.entries(spec.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
    );
    const search = new URLSearchParams(query).toString();
    const url = `${base.replace(/\/+$/, '')}${path}${search ? `?${search}` : ''}`;
    const rawBody = spec.body === undefined ? '' : JSON.stringify(spec.body);
    const requestId = this.cfg.newRequestId();
    const requestTime = spec.requestTime ?? this.cfg.wallClock.now().getTime();
    const signInfo = signRequest({
      gatewayNo: this.cfg.gatewayNo,
      requestId,
      requestTime,
      pathParams,
      query,
      rawBody,
      signKey: this.cfg.signKey,
    });
    spec.onAttempt?.({ requestId, requestTime });

    const started = performance.now();
    const log = (fields: Record<string, unknown>): void => {
      this.cfg.logger.debug(
        {
          method: route.method,
          path,
          requestId,
          attempt,
          durationMs: Math.round(performance.now() - started),
          ...fields,
        },
        'asiabill call',
      );
    };
    let status = 0;
    let text: string;
    try {
      // undici's request(), not fetch(): the same HTTP client without the WHATWG layers
      // (web streams, Request/Response objects), which cost the charge worker more CPU than
      // the rest of the call (docs/benchmarks.md). It never follows a redirect (a redirect
      // would turn a POST into a GET elsewhere; we treat it as unreadable instead), and the
      // signal bounds the whole exchange, body included.
      const res = await request(url, {
        method: route.method,
        headers: {
          'gateway-no': this.cfg.gatewayNo,
          'request-id': requestId,
          'request-time': String(requestTime),
          'sign-info': signInfo,
          'content-type': JSON_CONTENT_TYPE,
        },
        // POST /sessionToken goes with an empty body, signed over H only.
        ...(route.method === 'POST' ? { body: rawBody } : {}),
        signal: AbortSignal.timeout(this.cfg.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const reason: TransportFailure = isTimeout(err) ? 'timeout' : 'network';
      log({ outcome: reason, httpStatus: status || undefined });
      throw new AsiabillTransportError(reason, `${route.method} ${path}: ${describe(err)}`, {
        cause: err,
        ...(status ? { httpStatus: status } : {}),
      });
    }
    if (status >= 500 || (status >= 300 && status < 400)) {
      log({ outcome: 'http_status', httpStatus: status });
      throw new AsiabillTransportError('http_status', `${route.method} ${path}: HTTP ${status}`, {
        httpStatus: status,
      });
    }
    let env: Envelope;
    try {
      env = parseEnvelope(text, status);
    } catch (err) {
      log({ outcome: 'bad_response', httpStatus: status });
      throw err;
    }
    log({ code: env.code, httpStatus: status });
    const data = unwrapEnvelope(env, status);
    if (status < 200 || status >= 300) {
      // A success code under a 4xx status is contradictory; we cannot trust either half.
      throw new AsiabillTransportError('bad_response', `${route.method} ${path}: success code with HTTP ${status}`, {
        httpStatus: status,
      });
    }
    return { data, code: env.code, httpStatus: status, requestId, requestTime };
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** Error text without anything request-specific: undici puts the reason in `cause`. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.name}: ${err.message}${cause}`;
}
