/**
 * One line saying why Postgres could not be used, for people: "cannot connect to Postgres at
 * 127.0.0.1:5432 (connection refused)" rather than drizzle's `Failed query: … params: …`,
 * which hides the cause behind the SQL and prints the query's parameters (customer data).
 * Returns undefined for errors that did not come from the database layer.
 */
import { BillingError } from '../errors.ts';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  address?: unknown;
  port?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** SQLSTATE → what to tell the operator. */
const SQLSTATE_HINTS: Readonly<Record<string, string>> = {
  '3D000': 'the database does not exist (run `billing db migrate` to create it)',
  '42P01': 'a table is missing: the database is not migrated (run `billing db migrate`)',
  '42703': 'a column is missing: the database is not fully migrated (run `billing db migrate`)',
  '28P01': 'password authentication failed (check DATABASE_URL)',
  '28000': 'the server refused this user or host (check DATABASE_URL and pg_hba.conf)',
  '57P03': 'Postgres is starting up or shutting down',
  '57P01': 'Postgres was shut down by an administrator',
  '53300': 'Postgres has too many connections',
};

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ENOENT: 'no such socket',
};

function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    out.push(current as ErrorLike);
    const e = current as ErrorLike;
    // AggregateError (one error per address tried, e.g. ::1 and 127.0.0.1 for "localhost").
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      out.push(e.errors[0] as ErrorLike);
      break;
    }
    current = e.cause;
  }
  return out;
}

function isDrizzleQueryError(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('Failed query:');
}

export function describeDatabaseError(err: unknown): string | undefined {
  // Our own errors (the AsiaBill client's above all: a refused connection to the gateway is
  // not a Postgres problem) already say what they mean.
  if (err instanceof BillingError) return undefined;
  // Only a drizzle query error is unwrapped, and only then is a refused connection known to
  // be Postgres's; a bare socket error could be any connection's (describeConnectionError).
  const drizzle = isDrizzleQueryError(err);
  const links = drizzle ? chain(err) : chain(err).slice(0, 2);
  for (const e of links) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code === undefined) continue;
    const network = NETWORK_CODES[code];
    if (network !== undefined) {
      if (!drizzle) return undefined;
      const where =
        typeof e.address === 'string' ? ` at ${e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}` : '';
      return `cannot connect to Postgres${where} (${network})`;
    }
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const hint = SQLSTATE_HINTS[code];
      const detail = typeof e.message === 'string' ? e.message : '';
      return `Postgres error ${code}: ${hint ?? detail}${hint !== undefined && detail !== '' ? ` (${detail})` : ''}`;
    }
  }
  if (!isDrizzleQueryError(err)) {
    const text = links.map((e) => (typeof e.message === 'string' ? e.message : '')).join(' ');
    if (/Connection terminated|connection timeout|terminating connection/i.test(text)) {
      return `lost the connection to Postgres (${text.trim().split('\n')[0]})`;
    }
    return undefined;
  }
  // A drizzle query error whose cause carries no code: say what the driver said, not the query.
  const cause = links[1];
  const causeText = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : 'no detail';
  return `a database query failed: ${causeText.split('\n')[0]}`;
}

/** A bare socket error (from pg-pool's connect, ioredis, …): where, and what happened. */
export function describeConnectionError(err: unknown): string | undefined {
  if (err instanceof BillingError) return undefined;
  for (const e of chain(err).slice(0, 2)) {
    const network = typeof e.code === 'string' ? NETWORK_CODES[e.code] : undefined;
    if (network === undefined) continue;
    const where =
      typeof e.address === 'string' ? ` to ${e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}` : '';
    return `cannot connect${where} (${network})`;
  }
  return undefined;
}
