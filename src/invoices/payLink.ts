import { eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { chargeAttempts, customers, invoices, plans } from '../db/schema.ts';
import { lockInvoice, lockSubscription } from '../db/locks.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { ConflictError, NotFoundError, ValidationError, errorMessage } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { invoicePayLinkCreated } from '../events/builders.ts';
import { CARD_PAYMENT_METHOD, LOCAL_PAYMENT_METHODS, isLocalPaymentMethod } from '../asiabill/localMethods.ts';
import { UnknownOutcomeError } from '../asiabill/errors.ts';
import type { CheckoutPaymentRequest } from '../asiabill/types.ts';
import { toAsiabillOrderAmount, formatAmount } from '../money.ts';
import { payLinkExpiry } from '../billing/dunning.ts';
import { isPayable } from '../billing/subscriptionStatus.ts';
import { applyOutcome } from '../renewals/outcome.ts';
import { orderNoFor } from '../renewals/chargeRequest.ts';
import { publicUrlOf } from '../renewals/publicUrl.ts';
import { policyForPlan } from '../dunning/invoiceDunning.ts';

/**
 * A pay link: an AsiaBill hosted checkout (card, or a local method) for an open invoice, so the
 * customer can pay by hand. It is a charge attempt of kind `pay_link`, written `pending` before
 * the call, so the one-open-attempt-per-invoice rule makes automatic retries wait while it is
 * open; it has a deadline (the policy's `payLinkHours`) after which it is looked up once more
 * and closed (dunning/deadlines.ts). Its notification settles the invoice through applyOutcome.
 */
export interface PayLink {
  invoiceId: string;
  attemptId: string;
  orderNo: string;
  method: string;
  url: string;
  expiresAt: Date;
}

/**
 * AsiaBill's checkout requires a billing address we do not keep (cards are stored at AsiaBill);
 * the hosted page asks the customer for what it needs. [assumption] placeholders are accepted.
 */
const ADDRESS_PLACEHOLDER = { address: 'Provided on the payment page', city: 'Not given', country: 'US' } as const;

export function parsePayLinkMethod(value: string | undefined): string {
  if (value === undefined || value === 'card') return CARD_PAYMENT_METHOD;
  if (isLocalPaymentMethod(value)) return value;
  throw new ValidationError('method', 'enum', `"${value}" is not card or one of ${LOCAL_PAYMENT_METHODS.join(', ')}`);
}

export async function createPayLink(ctx: AppContext, invoiceId: string, methodInput?: string): Promise<PayLink> {
  const method = parsePayLinkMethod(methodInput);
  const checkout = method === CARD_PAYMENT_METHOD ? ctx.gateway.checkoutPayment : ctx.gateway.localPayment;
  if (!checkout) throw new ConflictError('this gateway does not offer hosted checkout');
  const now = await ctx.time.now();
  const prepared = await ctx.db.transaction(async (tx) => {
    const peek = (
      await tx.select({ subscriptionId: invoices.subscriptionId }).from(invoices).where(eq(invoices.id, invoiceId))
    )[0];
    if (!peek) throw new NotFoundError('invoice', invoiceId);
    const sub = await lockSubscription(tx, peek.subscriptionId);
    const invoice = await lockInvoice(tx, invoiceId);
    if (!sub || !invoice) throw new NotFoundError('invoice', invoiceId);
    if (invoice.status !== 'open')
      throw new ConflictError(`invoice ${invoiceId} is ${invoice.status}; a pay link needs an open invoice`);
    if (!isPayable(sub.status)) throw new ConflictError(`subscription ${sub.id} is ${sub.status}`);
    // Re-checked under the lock: never beside a charge whose outcome is still open.
    if (invoice.hasOpenAttempt)
      throw new ConflictError(`invoice ${invoiceId} has a payment in flight; try again when it is settled`);
    const refs = (
      await tx
        .select({ c: customers, planName: plans.name })
        .from(customers)
        .innerJoin(plans, eq(plans.id, sub.planId))
        .where(eq(customers.id, sub.customerId))
    )[0];
    if (!refs) throw new NotFoundError('customer', sub.customerId);
    const policy = await policyForPlan(tx, sub.planId);
    const expiresAt = payLinkExpiry(policy, now);
    const attemptNo = invoice.attemptCount + 1;
    const orderNo = orderNoFor(invoice.id, attemptNo);
    const attemptId = newId(ID_PREFIX.attempt);
    await tx.insert(chargeAttempts).values({
      id: attemptId,
      invoiceId: invoice.id,
      attemptNo,
      orderNo,
      // [assumption] a hosted checkout carries no token type; the column wants one. `kind` says what it is.
      tokenType: 'InitRecurring',
      kind: 'pay_link',
      amount: invoice.amount,
      currency: invoice.currency,
      status: 'pending',
      requestTime: ctx.wall.now(),
      createdAt: now,
    });
    // Automatic retries wait while the link is open (resumed when it closes unpaid).
    await tx
      .update(invoices)
      .set({
        attemptCount: attemptNo,
        nextAttemptAt: null,
        actionDeadline: expiresAt,
        nextStepReason: `pay link open until ${expiresAt.toISOString()}; automatic retries wait`,
      })
      .where(eq(invoices.id, invoice.id));
    const publicUrl = publicUrlOf(ctx.config);
    const money = { amount: invoice.amount, currency: invoice.currency };
    const request: CheckoutPaymentRequest = {
      orderNo,
      orderAmount: toAsiabillOrderAmount(money),
      orderCurrency: invoice.currency,
      paymentMethod: method,
      billingAddress: {
        ...ADDRESS_PLACEHOLDER,
        email: refs.c.email,
        firstName: refs.c.firstName,
        lastName: refs.c.lastName,
        phone: refs.c.phone ?? 'not given',
      },
      goodsDetails: [{ goodsTitle: refs.planName.slice(0, 100), goodsCount: '1', goodsPrice: formatAmount(money) }],
      callbackUrl: `${publicUrl}/webhooks/asiabill`,
      returnUrl: `${publicUrl}/return/asiabill`,
      customerId: refs.c.asiabillCustomerId,
      // Nobody is present when the link is made; the customer's browser opens it later.
      customerIp: ctx.config.serverIp,
      remark: `pay link for invoice ${invoice.id}`,
      webSite: ctx.config.webSite,
    };
    return { attemptId, orderNo, expiresAt, request, subscriptionId: sub.id };
  });

  try {
    const res = await checkout.call(ctx.gateway, prepared.request);
    await ctx.db.transaction(async (tx) => {
      await tx
        .update(chargeAttempts)
        .set({ redirectUrl: res.redirectUrl, tradeNo: res.tradeNo ?? null })
        .where(eq(chargeAttempts.id, prepared.attemptId));
      await tx.update(invoices).set({ actionUrl: res.redirectUrl }).where(eq(invoices.id, invoiceId));
      await recordEvent(
        tx,
        invoicePayLinkCreated(
          { id: invoiceId },
          {
            subscriptionId: prepared.subscriptionId,
            orderNo: prepared.orderNo,
            url: res.redirectUrl,
            method,
            expiresAt: prepared.expiresAt,
          },
          now,
        ),
      );
    });
    return {
      invoiceId,
      attemptId: prepared.attemptId,
      orderNo: prepared.orderNo,
      method,
      url: res.redirectUrl,
      expiresAt: prepared.expiresAt,
    };
  } catch (err) {
    // No answer: the order may exist; it stays pending and is looked up at its deadline.
    if (err instanceof UnknownOutcomeError) throw err;
    // Refused: nothing the customer can pay; close it so automatic retries resume.
    await ctx.db.transaction((tx) =>
      applyOutcome(
        tx,
        prepared.attemptId,
        { status: 'abandoned', orderInfo: `pay link refused: ${errorMessage(err)}`.slice(0, 500) },
        now,
        'response',
      ),
    );
    throw err;
  }
}
