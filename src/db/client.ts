import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import * as schema from './schema.ts';

export type Db = NodePgDatabase<typeof schema>;
/** A transaction handle has the same query surface as the database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

// bigint columns come back as strings by default; ours hold minor units well inside 2^53,
// and the schema maps them with mode 'number', so parse int8 for raw queries too.
pg.types.setTypeParser(20, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${v} exceeds the safe integer range`);
  return n;
});

export function openDatabase(url: string, opts: { max?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  // A Postgres restart kills every connection. For an idle one the pool emits 'error'; for a
  // checked-out one the client itself does, between two statements of a transaction. An
  // unhandled 'error' event would crash the process, so both are absorbed here: the query
  // that was running fails on its own (and its job is retried), and the pool reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = drizzle(pool, { schema });
  db.transaction = pooledTransaction(pool);
  pools.set(db, pool);
  return { db, pool, close: () => pool.end() };
}

const pools = new WeakMap<Db, pg.Pool>();

/** The pool under a database handle, for autocommit prepared statements (db/prepared.ts). */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('poolOf: not a database opened by openDatabase');
  return pool;
}

/** The physical connection under each transaction handle (pooledTransaction below). */
const txClients = new WeakMap<Tx, pg.PoolClient>();

/**
 * The pg connection a transaction runs on, for the hot path's named prepared statements
 * (db/hotPath.ts): drizzle builds each query anew per call and has no prepared statements
 * inside a transaction, which cost more CPU per renewal than the whole baseline loop.
 * Statements sent here are part of the same transaction as the tx's own.
 */
export function clientOf(tx: Tx): pg.PoolClient {
  const client = txClients.get(tx);
  if (!client) throw new Error('clientOf: not a transaction opened by openDatabase');
  return client;
}

/**
 * drizzle-orm 0.45's pooled `transaction()` runs BEGIN outside its try/finally, so a BEGIN that
 * fails (the connection died: a Postgres restart) never releases the client, and a failed
 * ROLLBACK hands a dead client back to the pool (drizzle-team/drizzle-orm#6241, #6114). A few
 * restarts and the pool is exhausted for good. So we check the client out ourselves, run
 * drizzle's transaction on that one client, and on any failure release it *with* the error,
 * which makes pg-pool destroy it instead of reusing it. Remove once drizzle ships the fix.
 */
function pooledTransaction(pool: pg.Pool): Db['transaction'] {
  // pg-pool reuses client objects, so one drizzle wrapper per physical connection.
  const perClient = new WeakMap<pg.PoolClient, Db>();
  return async (fn, config) => {
    const client = await pool.connect();
    let clientDb = perClient.get(client);
    if (!clientDb) {
      clientDb = drizzle(client, { schema });
      perClient.set(client, clientDb);
    }
    let failure: Error | undefined;
    try {
      return await clientDb.transaction((tx) => {
        txClients.set(tx, client);
        return fn(tx);
      }, config);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(failure);
    }
  };
}
