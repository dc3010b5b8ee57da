import { and, asc, eq, isNull } from 'drizzle-orm';
import { afterRow, checkLimit, type PageQuery } from '../db/paging.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { paymentMethods } from '../db/schema.ts';
import { isUniqueViolation } from '../db/pgErrors.ts';
import type { BillingDetail, PaymentMethod } from '../asiabill/types.ts';
import type { AppContext } from '../context.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { asInputRefusal } from './gatewayRefusal.ts';
import { runIdempotent, validateIdempotencyKey } from '../idempotency/store.ts';
import { getCustomer, type Customer } from './customers.ts';
import {
  PLACEHOLDER_PHONE,
  assertNotExpired,
  validateAsiabillPaymentMethodId,
  validateBillingAddress,
  validateCard,
  type BillingAddressInput,
  type CardFields,
  type ValidCard,
} from './cardPolicy.ts';

/**
 * Stored cards. Two ways in:
 *  - `addCardPaymentMethod`: the PCI path. Card data passes through this process on its way
 *    to AsiaBill and is dropped: only the `pm_…` reference and masked details are kept.
 *  - `registerPaymentMethod`: the browser-SDK path. The card never touches our servers; we
 *    are handed a `pm_…` id and look its masked details up.
 */
export type StoredPaymentMethod = typeof paymentMethods.$inferSelect;

/** The part of the app context payment-method workflows use. */
export type PaymentMethodDeps = Pick<AppContext, 'db' | 'gateway' | 'time'>;

export interface AddCardInput extends CardFields {
  /** Our customer id (`cust_…`) or the merchant's external reference. */
  customerId: string;
  billing?: BillingAddressInput;
  /** The same key again returns the card this call stored and does nothing else (src/idempotency). */
  idempotencyKey?: string;
}

export interface RegisterPaymentMethodInput {
  customerId: string;
  asiabillPaymentMethodId: string;
  /** As for AddCardInput. */
  idempotencyKey?: string;
}

/** One scope for both forms: a key names one "add a payment method" request, whichever form. */
export const ADD_PAYMENT_METHOD_SCOPE = 'payment_methods.add';

interface MaskedCard {
  asiabillPaymentMethodId: string;
  brand: string | null;
  last4: string | null;
  expMonth: string | null;
  expYear: string | null;
}

export async function addCardPaymentMethod(deps: PaymentMethodDeps, input: AddCardInput): Promise<StoredPaymentMethod> {
  const card = validateCard(input);
  const address = validateBillingAddress(input.billing);
  // After the pure checks: under the test clock, reading the time is a database query.
  const now = await deps.time.now();
  assertNotExpired(card, now);
  if (input.idempotencyKey === undefined) {
    return storeNewCard(deps, now, input.customerId, card, address, newId(ID_PREFIX.paymentMethod));
  }
  validateIdempotencyKey(input.idempotencyKey);
  return idempotently(
    deps,
    input.idempotencyKey,
    now,
    {
      form: 'card',
      customerId: input.customerId,
      // The card is represented by its masked form only: even a hash of a card number is card
      // data (a 16-digit number's hash is easily reversed), and none may be kept at rest.
      last4: card.number.slice(-4),
      expMonth: card.expMonth,
      expYear: card.expYear,
      billing: address ?? null,
    },
    (ref) => storeNewCard(deps, now, input.customerId, card, address, ref),
  );
}

async function idempotently(
  deps: PaymentMethodDeps,
  key: string,
  now: Date,
  request: unknown,
  execute: (ref: string) => Promise<StoredPaymentMethod>,
): Promise<StoredPaymentMethod> {
  const { result } = await runIdempotent(deps.db, {
    scope: ADD_PAYMENT_METHOD_SCOPE,
    key,
    request,
    newRef: () => newId(ID_PREFIX.paymentMethod),
    execute,
    find: async (ref) => (await deps.db.select().from(paymentMethods).where(eq(paymentMethods.id, ref)))[0],
    now,
  });
  return result;
}

async function storeNewCard(
  deps: PaymentMethodDeps,
  now: Date,
  customerId: string,
  card: ValidCard,
  address: ReturnType<typeof validateBillingAddress>,
  id: string,
): Promise<StoredPaymentMethod> {
  const customer = await getCustomer(deps.db, customerId);
  const billingDetail: BillingDetail = {
    address,
    email: customer.email,
    firstName: customer.firstName,
    lastName: customer.lastName,
    phone: customer.phone ?? PLACEHOLDER_PHONE,
  };
  let created: PaymentMethod;
  try {
    created = await deps.gateway.createPaymentMethod({
      billingDetail,
      card: {
        cardNo: card.number,
        cardExpireMonth: card.expMonth,
        cardExpireYear: card.expYear,
        cardSecurityCode: card.cvc,
      },
      // Binds the card to the customer at AsiaBill; recurring charges require the pair.
      customerId: customer.asiabillCustomerId,
    });
  } catch (err) {
    throw asInputRefusal(scrubCardData(err, card), 'card', 'the card');
  }
  // `card` goes out of scope here: nothing below may receive it. As with customers, a
  // crash before the insert commits leaves a stored card at AsiaBill that nothing refers
  // to; it is never charged, so it is harmless, and a retry stores a fresh one.
  return store(deps.db, now, id, customer, {
    asiabillPaymentMethodId: created.customerPaymentMethodId,
    brand: created.card.brand,
    last4: created.card.last4,
    expMonth: card.expMonth,
    expYear: card.expYear,
  });
}

export async function registerPaymentMethod(
  deps: PaymentMethodDeps,
  input: RegisterPaymentMethodInput,
): Promise<StoredPaymentMethod> {
  const pmId = validateAsiabillPaymentMethodId(input.asiabillPaymentMethodId);
  if (input.idempotencyKey === undefined) {
    return registerValid(deps, input.customerId, pmId, newId(ID_PREFIX.paymentMethod));
  }
  validateIdempotencyKey(input.idempotencyKey);
  return idempotently(
    deps,
    input.idempotencyKey,
    await deps.time.now(),
    { form: 'asiabill', customerId: input.customerId, asiabillPaymentMethodId: pmId },
    (ref) => registerValid(deps, input.customerId, pmId, ref),
  );
}

async function registerValid(
  deps: PaymentMethodDeps,
  customerId: string,
  pmId: string,
  id: string,
): Promise<StoredPaymentMethod> {
  const customer = await getCustomer(deps.db, customerId);
  await refuseIfRegistered(deps.db, pmId);
  const remote = await deps.gateway.getPaymentMethod(pmId).catch((err: unknown) => {
    throw asInputRefusal(err, 'asiabillPaymentMethodId', `payment method ${pmId}`);
  });
  // Someone else's card id must not become chargeable through this customer. An absent
  // binding is accepted: AsiaBill's lookup does not always report it, and a card that is
  // not bound fails its first (customer-present) charge visibly rather than silently.
  if (remote.customerId !== undefined && remote.customerId !== customer.asiabillCustomerId) {
    throw new ValidationError(
      'asiabillPaymentMethodId',
      'same customer',
      `belongs to a different AsiaBill customer than ${customer.id}`,
    );
  }
  const now = await deps.time.now();
  return store(deps.db, now, id, customer, {
    asiabillPaymentMethodId: remote.customerPaymentMethodId,
    brand: remote.card.brand,
    last4: remote.card.last4,
    expMonth: null,
    expYear: null,
  });
}

/** Attached cards, oldest first (detached ones with `includeDetached`); keyset pages (db/paging.ts). */
export async function listPaymentMethods(
  db: DbOrTx,
  customerId: string,
  opts: PageQuery & { includeDetached?: boolean } = {},
): Promise<StoredPaymentMethod[]> {
  const customer = await getCustomer(db, customerId);
  const after = await afterRow(db, paymentMethods, paymentMethods, opts.startingAfter, opts.cursorField);
  return db
    .select()
    .from(paymentMethods)
    .where(
      and(
        eq(paymentMethods.customerId, customer.id),
        opts.includeDetached ? undefined : isNull(paymentMethods.detachedAt),
        after,
      ),
    )
    .orderBy(asc(paymentMethods.createdAt), asc(paymentMethods.id))
    .limit(checkLimit(opts.limit, 100_000));
}

async function refuseIfRegistered(db: DbOrTx, pmId: string): Promise<void> {
  const [existing] = await db
    .select({ id: paymentMethods.id })
    .from(paymentMethods)
    .where(eq(paymentMethods.asiabillPaymentMethodId, pmId));
  if (existing !== undefined) throw alreadyRegistered(pmId, existing.id);
}

function alreadyRegistered(pmId: string, localId?: string): ConflictError {
  return new ConflictError(
    `AsiaBill payment method ${pmId} is already registered${localId === undefined ? '' : ` as ${localId}`}`,
  );
}

async function store(
  db: Db,
  now: Date,
  id: string,
  customer: Customer,
  masked: MaskedCard,
): Promise<StoredPaymentMethod> {
  // Only the last four digits are kept; anything else AsiaBill reports is ignored.
  const last4 = masked.last4 !== null && /^\d{4}$/.test(masked.last4) ? masked.last4 : null;
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(paymentMethods)
        .values({
          id,
          customerId: customer.id,
          asiabillPaymentMethodId: masked.asiabillPaymentMethodId,
          brand: masked.brand,
          last4,
          expMonth: masked.expMonth,
          expYear: masked.expYear,
          createdAt: now,
        })
        .returning();
      if (row === undefined) throw new Error('insert into payment_methods returned no row');
      await recordEvent(tx, {
        type: 'payment_method.created',
        subjectType: 'payment_method',
        subjectId: row.id,
        data: {
          customerId: customer.id,
          asiabillPaymentMethodId: row.asiabillPaymentMethodId,
          brand: row.brand,
          last4: row.last4,
        },
        occurredAt: now,
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err, 'payment_methods_asiabill_payment_method_id_unique')) {
      throw alreadyRegistered(masked.asiabillPaymentMethodId);
    }
    throw err;
  }
}

/**
 * The AsiaBill client already keeps card data out of its errors; this is a second line of
 * defence, because an error message is what a CLI prints and a log line records. The error
 * keeps its class (callers branch on it) but loses its `cause`, which may hold the request.
 */
function scrubCardData(err: unknown, card: ValidCard): unknown {
  if (!(err instanceof Error)) return err;
  const cvc = new RegExp(`(?<!\\d)${card.cvc}(?!\\d)`, 'g');
  const scrub = (text: string): string => text.split(card.number).join('[card number]').replace(cvc, '[cvc]');
  err.message = scrub(err.message);
  if (err.stack !== undefined) err.stack = scrub(err.stack);
  if ('cause' in err) delete err.cause;
  return err;
}
