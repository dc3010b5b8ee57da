import { and, eq, inArray, isNull, not } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { customers, paymentMethods, subscriptions } from '../db/schema.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { customerChanged, paymentMethodDetached } from '../events/builders.ts';
import { ENDED } from '../billing/subscriptionStatus.ts';
import { validateCustomerInput } from './customerPolicy.ts';
import { asInputRefusal } from './gatewayRefusal.ts';
import { getCustomer, type Customer } from './customers.ts';

/**
 * Changing and removing customers and cards, at AsiaBill first (the gateway's record is the
 * one charges use) and then here. A customer or card a live subscription depends on is not
 * removed: cancel the subscription (or give it another card) first.
 */
export interface CustomerUpdate {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
}

export async function updateCustomer(ctx: AppContext, idOrRef: string, fields: CustomerUpdate): Promise<Customer> {
  if (Object.values(fields).every((v) => v === undefined)) {
    throw new ValidationError(
      'fields',
      'at least one of --email, --first-name, --last-name, --phone',
      'nothing to change',
    );
  }
  const current = await getCustomer(ctx.db, idOrRef);
  if (current.deletedAt) throw new ConflictError(`customer ${current.id} is deleted`);
  const valid = validateCustomerInput({
    email: fields.email ?? current.email,
    firstName: fields.firstName ?? current.firstName,
    lastName: fields.lastName ?? current.lastName,
    ...((fields.phone ?? current.phone) !== null ? { phone: fields.phone ?? current.phone ?? undefined } : {}),
  });
  const now = await ctx.time.now();
  await ctx.gateway
    .updateCustomer(current.asiabillCustomerId, {
      email: valid.email,
      firstName: valid.firstName,
      lastName: valid.lastName,
      ...(valid.phone !== undefined ? { phone: valid.phone } : {}),
    })
    .catch((err: unknown) => {
      throw asInputRefusal(err, 'customer', 'the customer');
    });
  return ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(customers)
      .set({ email: valid.email, firstName: valid.firstName, lastName: valid.lastName, phone: valid.phone ?? null })
      .where(eq(customers.id, current.id))
      .returning();
    if (!updated) throw new NotFoundError('customer', current.id);
    const changed = (['email', 'firstName', 'lastName', 'phone'] as const).filter((k) => fields[k] !== undefined);
    await recordEvent(tx, customerChanged('updated', updated.id, { fields: changed }, now));
    return updated;
  });
}

async function liveSubscriptions(ctx: AppContext, where: { customerId?: string; paymentMethodId?: string }) {
  return ctx.db
    .select({ id: subscriptions.id, status: subscriptions.status })
    .from(subscriptions)
    .where(
      and(
        where.customerId ? eq(subscriptions.customerId, where.customerId) : undefined,
        where.paymentMethodId ? eq(subscriptions.paymentMethodId, where.paymentMethodId) : undefined,
        not(inArray(subscriptions.status, [...ENDED])),
      ),
    );
}

export async function deleteCustomer(ctx: AppContext, idOrRef: string): Promise<Customer> {
  const current = await getCustomer(ctx.db, idOrRef);
  if (current.deletedAt) throw new ConflictError(`customer ${current.id} is already deleted`);
  const live = await liveSubscriptions(ctx, { customerId: current.id });
  if (live.length > 0) {
    throw new ConflictError(
      `customer ${current.id} has live subscriptions (${live.map((s) => `${s.id}: ${s.status}`).join(', ')}); cancel them first`,
    );
  }
  const now = await ctx.time.now();
  await ctx.gateway.deleteCustomer(current.asiabillCustomerId);
  return ctx.db.transaction(async (tx) => {
    const [deleted] = await tx
      .update(customers)
      .set({ deletedAt: now })
      .where(and(eq(customers.id, current.id), isNull(customers.deletedAt)))
      .returning();
    if (!deleted) throw new ConflictError(`customer ${current.id} is already deleted`);
    await tx
      .update(paymentMethods)
      .set({ detachedAt: now })
      .where(and(eq(paymentMethods.customerId, current.id), isNull(paymentMethods.detachedAt)));
    await recordEvent(
      tx,
      customerChanged('deleted', deleted.id, { asiabillCustomerId: deleted.asiabillCustomerId }, now),
    );
    return deleted;
  });
}

export async function detachPaymentMethod(ctx: AppContext, id: string) {
  const pm = (await ctx.db.select().from(paymentMethods).where(eq(paymentMethods.id, id)))[0];
  if (!pm) throw new NotFoundError('payment method', id);
  if (pm.detachedAt) throw new ConflictError(`payment method ${id} is already detached`);
  const live = await liveSubscriptions(ctx, { paymentMethodId: id });
  if (live.length > 0) {
    throw new ConflictError(
      `payment method ${id} is used by live subscriptions (${live.map((s) => s.id).join(', ')}); give them another card or cancel them first`,
    );
  }
  const now = await ctx.time.now();
  await ctx.gateway.detachPaymentMethod(pm.asiabillPaymentMethodId);
  return ctx.db.transaction(async (tx) => {
    const [done] = await tx
      .update(paymentMethods)
      .set({ detachedAt: now })
      .where(and(eq(paymentMethods.id, id), isNull(paymentMethods.detachedAt)))
      .returning();
    if (!done) throw new ConflictError(`payment method ${id} is already detached`);
    await recordEvent(tx, paymentMethodDetached(done.id, done.customerId, now));
    return done;
  });
}
