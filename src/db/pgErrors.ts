/**
 * Recognising Postgres errors by SQLSTATE. drizzle wraps driver errors in a
 * DrizzleQueryError whose message carries the query *and its parameters*, so callers must
 * translate the ones they expect (a unique violation is a conflict, not a crash) instead of
 * letting that message reach a user.
 */
const UNIQUE_VIOLATION = '23505';

interface PgLikeError {
  code?: unknown;
  constraint?: unknown;
  cause?: unknown;
}

/** The innermost error in a `cause` chain that carries a SQLSTATE code. */
function findPgError(err: unknown): PgLikeError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const candidate = current as PgLikeError;
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate;
    current = candidate.cause;
  }
  return undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const pgErr = findPgError(err);
  if (pgErr?.code !== UNIQUE_VIOLATION) return false;
  return constraint === undefined || pgErr.constraint === constraint;
}
