import { and, asc, eq, isNull, or } from 'drizzle-orm';
import { afterRow, checkLimit, type PageQuery } from '../db/paging.ts';
import type { DbOrTx } from '../db/client.ts';
import type { AppContext } from '../context.ts';
import { customers } from '../db/schema.ts';
import { isUniqueViolation } from '../db/pgErrors.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { validateCustomerInput, type CustomerInput, type ValidCustomer } from './customerPolicy.ts';
import { runIdempotent, validateIdempotencyKey } from '../idempotency/store.ts';
import { asInputRefusal } from './gatewayRefusal.ts';

/**
 * Customers exist twice: our row (`cust_…`, the id merchants use) and AsiaBill's customer
 * (`cus_…`), which stored cards hang off and recurring charges name.
 */
export type Customer = typeof customers.$inferSelect;

/** The part of the app context customer workflows use. */
export type CustomerDeps = Pick<AppContext, 'db' | 'gateway' | 'time'>;

export interface CreateCustomerInput extends CustomerInput {
  /** The same key again returns the customer this call created and does nothing else (src/idempotency). */
  idempotencyKey?: string;
}

export const CREATE_CUSTOMER_SCOPE = 'customers.create';

export async function createCustomer(deps: CustomerDeps, input: CreateCustomerInput): Promise<Customer> {
  const valid = validateCustomerInput(input);
  if (input.idempotencyKey === undefined) return createValidCustomer(deps, valid, newId(ID_PREFIX.customer));
  validateIdempotencyKey(input.idempotencyKey);
  const { result } = await runIdempotent(deps.db, {
    scope: CREATE_CUSTOMER_SCOPE,
    key: input.idempotencyKey,
    request: valid,
    newRef: () => newId(ID_PREFIX.customer),
    execute: (ref) => createValidCustomer(deps, valid, ref),
    find: async (ref) => (await deps.db.select().from(customers).where(eq(customers.id, ref)))[0],
    now: await deps.time.now(),
  });
  return result;
}

async function createValidCustomer(deps: CustomerDeps, valid: ValidCustomer, id: string): Promise<Customer> {
  // Checked before AsiaBill is called, so a duplicate reference never creates a remote
  // customer. Two concurrent creates can both pass this check; the unique index then
  // refuses the second insert below.
  if (valid.externalRef !== undefined) {
    const [taken] = await deps.db
      .select({ id: customers.id })
      .from(customers)
      .where(eq(customers.externalRef, valid.externalRef));
    if (taken !== undefined) {
      throw new ConflictError(`externalRef "${valid.externalRef}" already belongs to customer ${taken.id}`);
    }
  }
  const now = await deps.time.now();
  const remote = await deps.gateway
    .createCustomer({
      email: valid.email,
      firstName: valid.firstName,
      lastName: valid.lastName,
      ...(valid.phone !== undefined ? { phone: valid.phone } : {}),
      ...(valid.externalRef !== undefined ? { description: valid.externalRef } : {}),
    })
    .catch((err: unknown) => {
      throw asInputRefusal(err, 'customer', 'the customer');
    });
  // The remote customer exists from here on. If we crash (or the insert fails) before the
  // commit, AsiaBill keeps a customer nothing refers to. That orphan is harmless: it holds
  // no card and is never charged; a retry simply creates another one.
  try {
    return await deps.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(customers)
        .values({
          id,
          email: valid.email,
          firstName: valid.firstName,
          lastName: valid.lastName,
          phone: valid.phone ?? null,
          externalRef: valid.externalRef ?? null,
          asiabillCustomerId: remote.customerId,
          createdAt: now,
        })
        .returning();
      if (created === undefined) throw new Error('insert into customers returned no row');
      await recordEvent(tx, {
        type: 'customer.created',
        subjectType: 'customer',
        subjectId: created.id,
        data: {
          email: created.email,
          externalRef: created.externalRef,
          asiabillCustomerId: created.asiabillCustomerId,
        },
        occurredAt: now,
      });
      return created;
    });
  } catch (err) {
    if (isUniqueViolation(err, 'customers_external_ref_unique')) {
      throw new ConflictError(
        `externalRef "${valid.externalRef ?? ''}" was taken by a concurrent request (AsiaBill customer ${remote.customerId} is left unused)`,
      );
    }
    throw err;
  }
}

/** Oldest first; deleted customers only with `includeDeleted`; keyset pages (db/paging.ts). */
export async function listCustomers(
  db: DbOrTx,
  opts: PageQuery & { includeDeleted?: boolean } = {},
): Promise<Customer[]> {
  const after = await afterRow(db, customers, customers, opts.startingAfter, opts.cursorField);
  return db
    .select()
    .from(customers)
    .where(and(opts.includeDeleted ? undefined : isNull(customers.deletedAt), after))
    .orderBy(asc(customers.createdAt), asc(customers.id))
    .limit(checkLimit(opts.limit, 100_000));
}

/**
 * By our id (`cust_…`) or by the merchant's external reference. An id match wins, so a
 * reference that happens to look like someone else's id cannot hijack the lookup.
 */
export async function getCustomer(db: DbOrTx, idOrRef: string): Promise<Customer> {
  const key = idOrRef.trim();
  if (key !== '') {
    const rows = await db
      .select()
      .from(customers)
      .where(or(eq(customers.id, key), eq(customers.externalRef, key)));
    const found = rows.find((c) => c.id === key) ?? rows[0];
    if (found !== undefined) return found;
  }
  throw new NotFoundError('customer', idOrRef === '' ? '""' : idOrRef);
}
