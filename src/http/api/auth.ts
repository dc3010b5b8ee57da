import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Admin token checks. The comparison is constant-time over SHA-256 digests: equal length by
 * construction, so neither the content nor the length of the real token leaks through timing.
 *
 * Two header forms carry the token: `Authorization: Bearer <token>` (API clients) and
 * `Authorization: Basic base64(<any user>:<token>)` — what a browser sends after its own
 * login prompt, so the console and the queue dashboard work in a plain browser tab.
 */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const [scheme, value] = authorization.trim().split(/\s+/, 2);
  if (value === undefined || scheme === undefined) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  // Always compare, even with nothing presented, so "no header" and "wrong token" take the same path.
  const ok = timingSafeEqual(digest(presented ?? ''), digest(expected));
  return ok && presented !== undefined;
}
