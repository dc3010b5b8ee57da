/**
 * The gateway's request checks, in the order the sandbox applies them:
 *   L0001 wrong gateway-no, L0003 request-time outside ±10 min of real time,
 *   L0005 bad sign-info, L0004 request-id seen in the last 30 min.
 * The request-id is remembered only once the signature is good, so garbage cannot burn ids.
 */
import { safeEqualHex, signRequest } from '../asiabill/sign.ts';
import { REQUEST_ERRORS } from './reply.ts';

export const REQUEST_TIME_WINDOW_MS = 10 * 60_000;
export const REQUEST_ID_MEMORY_MS = 30 * 60_000;

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  /** True when the id is new (and records it); false when reused within the window. */
  remember(requestId: string, nowMs: number): boolean {
    for (const [id, at] of this.seen) {
      if (nowMs - at <= REQUEST_ID_MEMORY_MS) break; // insertion order = time order
      this.seen.delete(id);
    }
    if (this.seen.has(requestId)) return false;
    this.seen.set(requestId, nowMs);
    return true;
  }
}

export interface SignedRequestParts {
  header: (name: string) => string | undefined;
  pathParams: Record<string, string>;
  query: Record<string, string>;
  rawBody: string;
}

export interface AuthRefusal {
  code: keyof typeof REQUEST_ERRORS;
  message: string;
}

export function authenticate(
  parts: SignedRequestParts,
  cfg: { gatewayNo: string; signKey: string },
  guard: ReplayGuard,
  nowMs: number,
): AuthRefusal | undefined {
  const gatewayNo = parts.header('gateway-no');
  if (gatewayNo !== cfg.gatewayNo) return { code: 'L0001', message: REQUEST_ERRORS.L0001 };
  const requestTime = parts.header('request-time') ?? '';
  if (!/^\d{1,16}$/.test(requestTime) || Math.abs(nowMs - Number(requestTime)) > REQUEST_TIME_WINDOW_MS) {
    return { code: 'L0003', message: REQUEST_ERRORS.L0003 };
  }
  const requestId = parts.header('request-id') ?? '';
  const signInfo = parts.header('sign-info') ?? '';
  const expected = signRequest({
    gatewayNo,
    requestId,
    requestTime,
    pathParams: parts.pathParams,
    query: parts.query,
    rawBody: parts.rawBody,
    signKey: cfg.signKey,
  });
  if (!safeEqualHex(expected, signInfo)) return { code: 'L0005', message: REQUEST_ERRORS.L0005 };
  if (!/^[A-Za-z0-9-]{1,64}$/.test(requestId) || !guard.remember(requestId, nowMs))
    return { code: 'L0004', message: REQUEST_ERRORS.L0004 };
  return undefined;
}
