/**
 * confirmCharge, hosted checkout and the completion of pending orders (3-D Secure
 * challenge, hosted page) — the sandbox's payment core.
 *
 * Every attempt that passes request validation is recorded with a tradeNo, including
 * declines and refusals (unknown customer, unbound method, Recurring without a mandate),
 * so /transactions can find it. A reused orderNo is the exception: "I0061 Duplicate Order"
 * and no new record.
 */
import type {
  CheckoutPaymentRequest,
  CheckoutPaymentResult,
  ConfirmChargeRequest,
  ConfirmChargeResult,
  OrderStatus,
} from '../asiabill/types.ts';
import { formatGatewayDateTime } from '../asiabill/gatewayTime.ts';
import { classifyCard, isExpired, maskCardNo, ORDER_INFO } from './cards.ts';
import { decide, type Decision } from './outcomes.ts';
import { newPaymentMethodId, newTradeNo } from './ids.ts';
import { SandboxApiError } from './reply.ts';
import type { Notifier } from './notifier.ts';
import type { PendingBinding, SandboxStore, StoredCharge } from './store.ts';

export interface ChargeEngineDeps {
  store: SandboxStore;
  notifier: Notifier;
  baseUrl: () => string;
}

/** What a charge is paid with, once resolved (never the card number itself). */
interface Instrument {
  facts: { behaviour: PendingBinding['behaviour']; expMonth: string; expYear: string };
  pmId?: string;
  maskCardNo: string;
  /** Raw card or unbound method + customerId: bind on success. */
  bindOnSuccess?: PendingBinding | { existingPmId: string };
}

type Resolution = { ok: true; instrument: Instrument } | { ok: false; orderInfo: string; pmId?: string };

export class ChargeEngine {
  constructor(private readonly deps: ChargeEngineDeps) {}

  confirmCharge(req: ConfirmChargeRequest, now: Date): { data: ConfirmChargeResult; drop: boolean } {
    const { store } = this.deps;
    if (store.hasOrder(req.orderNo)) {
      return { data: this.answer(req, 'fail', ORDER_INFO.duplicateOrder), drop: false };
    }
    const resolved = this.resolveInstrument(req);
    let decision: Decision;
    let instrument: Instrument | undefined;
    if (!resolved.ok) {
      decision = { status: 'fail', orderInfo: resolved.orderInfo, challenge: false, dropResponse: false };
    } else {
      instrument = resolved.instrument;
      decision = this.decideFor(req, instrument, now);
    }

    const charge: StoredCharge = {
      kind: 'charge',
      orderNo: req.orderNo,
      tradeNo: newTradeNo(now),
      amount: req.orderAmount,
      currency: req.orderCurrency,
      status: decision.status,
      orderInfo: decision.orderInfo,
      returnUrl: req.returnUrl,
      createdAt: now,
      customerIp: req.customerIp,
      ...(req.tokenType !== undefined ? { tokenType: req.tokenType } : {}),
      ...(req.customerId !== undefined ? { customerId: req.customerId } : {}),
      ...(req.remark !== undefined ? { remark: req.remark } : {}),
      ...(req.callbackUrl !== undefined ? { callbackUrl: req.callbackUrl } : {}),
    };
    const pmId = instrument?.pmId ?? (resolved.ok ? undefined : resolved.pmId);
    if (pmId !== undefined) charge.pmId = pmId;
    if (instrument) charge.maskCardNo = instrument.maskCardNo;
    store.addCharge(charge);

    if (decision.status === 'success' && instrument?.bindOnSuccess) this.bind(charge, instrument.bindOnSuccess, now);
    // A raw card waiting on 3-D Secure is bound when the challenge succeeds (an existing
    // method is already on the charge as pmId and is bound then too).
    const binding = instrument?.bindOnSuccess;
    if (decision.status === 'pending' && binding !== undefined && !('existingPmId' in binding))
      charge.pendingBinding = binding;
    this.notify(charge);

    const data = this.answer(req, decision.status, decision.orderInfo, charge);
    if (decision.challenge) data.redirectUrl = `${this.deps.baseUrl()}/__sandbox/3ds/${charge.tradeNo}`;
    return { data, drop: decision.dropResponse };
  }

  checkout(req: CheckoutPaymentRequest, now: Date): CheckoutPaymentResult {
    const { store } = this.deps;
    // [assumption] checkout has no orderStatus to carry a soft failure, so a reused orderNo is an error envelope.
    if (store.hasOrder(req.orderNo)) throw new SandboxApiError('I0061', 'Duplicate Order');
    const charge: StoredCharge = {
      kind: 'checkout',
      orderNo: req.orderNo,
      tradeNo: newTradeNo(now),
      amount: req.orderAmount,
      currency: req.orderCurrency,
      status: 'pending',
      orderInfo: ORDER_INFO.checkoutWaiting,
      paymentMethod: req.paymentMethod,
      returnUrl: req.returnUrl,
      createdAt: now,
      ...(req.customerId !== undefined ? { customerId: req.customerId } : {}),
      ...(req.remark !== undefined ? { remark: req.remark } : {}),
      ...(req.callbackUrl !== undefined ? { callbackUrl: req.callbackUrl } : {}),
    };
    store.addCharge(charge);
    return {
      redirectUrl: `${this.deps.baseUrl()}/__sandbox/pay/${charge.tradeNo}`,
      orderNo: charge.orderNo,
      tradeNo: charge.tradeNo,
    };
  }

  /** Finishes a pending order (3-D Secure challenge or hosted page) and notifies. */
  complete(tradeNoOrOrderNo: string, outcome: 'success' | 'fail', now: Date): StoredCharge {
    const charge = this.deps.store.chargeByKey(tradeNoOrOrderNo);
    if (!charge) throw new SandboxApiError('P0002', `no order ${tradeNoOrOrderNo}`, 404);
    if (charge.status !== 'pending')
      throw new SandboxApiError('P0002', `order ${charge.orderNo} is already ${charge.status}`, 409);
    charge.status = outcome;
    if (outcome === 'success') {
      charge.orderInfo = ORDER_INFO.approved;
      if (charge.pendingBinding) this.bind(charge, charge.pendingBinding, now);
      else if (charge.pmId && charge.customerId) this.bind(charge, { existingPmId: charge.pmId }, now);
    } else {
      charge.orderInfo = charge.kind === 'checkout' ? ORDER_INFO.checkoutCancelled : ORDER_INFO.threeDsFailed;
    }
    delete charge.pendingBinding;
    this.notify(charge);
    return charge;
  }

  private resolveInstrument(req: ConfirmChargeRequest): Resolution {
    const { store } = this.deps;
    if (req.customerId !== undefined && !store.customers.has(req.customerId))
      return { ok: false, orderInfo: ORDER_INFO.customerNotFound };
    if (req.customerPaymentMethodId !== undefined) {
      const pm = store.paymentMethods.get(req.customerPaymentMethodId);
      if (!pm) return { ok: false, orderInfo: ORDER_INFO.pmNotFound };
      if (pm.customerId !== undefined && req.customerId !== undefined && pm.customerId !== req.customerId) {
        return { ok: false, orderInfo: ORDER_INFO.notBound, pmId: pm.customerPaymentMethodId };
      }
      return {
        ok: true,
        instrument: {
          facts: { behaviour: pm.behaviour, expMonth: pm.expMonth, expYear: pm.expYear },
          pmId: pm.customerPaymentMethodId,
          maskCardNo: `******${pm.card.last4}`,
          // AsiaBill: a non-empty customerId binds the method to the customer.
          ...(pm.customerId === undefined && req.customerId !== undefined
            ? { bindOnSuccess: { existingPmId: pm.customerPaymentMethodId } }
            : {}),
        },
      };
    }
    const raw = req.customerPaymentMethod;
    if (!raw) return { ok: false, orderInfo: ORDER_INFO.pmNotFound };
    // The card number is read here and goes no further than these derived facts.
    const facts = classifyCard(raw.card.cardNo);
    const binding: PendingBinding = {
      ...facts,
      expMonth: raw.card.cardExpireMonth,
      expYear: raw.card.cardExpireYear,
      billingDetail: raw.billingDetail,
    };
    return {
      ok: true,
      instrument: {
        facts: { behaviour: facts.behaviour, expMonth: binding.expMonth, expYear: binding.expYear },
        maskCardNo: maskCardNo(raw.card.cardNo),
        ...(req.customerId !== undefined ? { bindOnSuccess: binding } : {}),
      },
    };
  }

  private decideFor(req: ConfirmChargeRequest, instrument: Instrument, now: Date): Decision {
    const { store } = this.deps;
    const refuse = (orderInfo: string): Decision => ({
      status: 'fail',
      orderInfo,
      challenge: false,
      dropResponse: false,
    });
    if (req.tokenType === 'Recurring' && !store.hasSuccessfulInit(req.customerId, instrument.pmId))
      return refuse(ORDER_INFO.noInitRecurring);
    if (isExpired(instrument.facts.expMonth, instrument.facts.expYear, now)) return refuse(ORDER_INFO.expired);
    return decide(
      instrument.facts.behaviour,
      req.tokenType,
      store.hasSuccessfulCharge(instrument.pmId),
      store.failuresSinceLastSuccess(instrument.pmId),
    );
  }

  /** Binds the charge's card to its customer: a new method for a raw card, or an unbound one. */
  private bind(charge: StoredCharge, binding: PendingBinding | { existingPmId: string }, now: Date): void {
    const { store } = this.deps;
    const customerId = charge.customerId;
    if (customerId === undefined) return;
    if ('existingPmId' in binding) {
      const pm = store.paymentMethods.get(binding.existingPmId);
      if (pm && pm.customerId === undefined) pm.customerId = customerId;
      return;
    }
    const pmId = newPaymentMethodId();
    store.paymentMethods.set(pmId, {
      customerPaymentMethodId: pmId,
      customerId,
      card: { brand: binding.brand, last4: binding.last4 },
      billingDetail: binding.billingDetail,
      expMonth: binding.expMonth,
      expYear: binding.expYear,
      behaviour: binding.behaviour,
      created: formatGatewayDateTime(now),
    });
    charge.pmId = pmId;
  }

  private answer(
    req: ConfirmChargeRequest,
    status: OrderStatus,
    orderInfo: string,
    charge?: StoredCharge,
  ): ConfirmChargeResult {
    const data: ConfirmChargeResult = {
      orderNo: req.orderNo,
      orderStatus: status,
      orderInfo,
      orderAmount: req.orderAmount,
      orderCurrency: req.orderCurrency,
    };
    if (charge) data.tradeNo = charge.tradeNo;
    if (charge?.maskCardNo !== undefined) data.maskCardNo = charge.maskCardNo;
    if (req.remark !== undefined) data.remark = req.remark;
    return data;
  }

  private notify(charge: StoredCharge): void {
    if (charge.callbackUrl === undefined) return;
    this.deps.notifier.enqueue(charge.orderNo, charge.callbackUrl, {
      type: `transaction.${charge.status}`,
      data: {
        transactionType: 'Sale',
        orderNo: charge.orderNo,
        tradeNo: charge.tradeNo,
        orderAmount: charge.amount,
        orderCurrency: charge.currency,
        orderStatus: charge.status,
        orderInfo: charge.orderInfo,
        remark: charge.remark ?? '',
      },
    });
  }
}
