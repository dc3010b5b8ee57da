/** One handler per AsiaBill route (names from endpoints.ts), over the sandbox's services. */
import type { RouteName } from '../asiabill/endpoints.ts';
import { validateCheckoutPayment, validateConfirmCharge } from '../asiabill/validate.ts';
import type { Accounts } from './accounts.ts';
import type { ChargeEngine } from './charges.ts';
import type { Refunds } from './refunds.ts';
import type { KnobState } from './knobs.ts';
import type { Holds } from './holds.ts';
import type { SandboxStore } from './store.ts';
import type { SessionTokens } from './cardForm.ts';
import { orderInfo, searchTransactions } from './transactions.ts';
import type { ApiHandler, ApiRequest } from './reply.ts';

export interface HandlerDeps {
  accounts: Accounts;
  charges: ChargeEngine;
  refunds: Refunds;
  store: SandboxStore;
  knobs: KnobState;
  holds: Holds;
  sessionTokens: SessionTokens;
}

const param = (r: ApiRequest, name: string): string => r.params[name] ?? '';

export function buildHandlers(d: HandlerDeps): Record<RouteName, ApiHandler> {
  return {
    sessionToken: (r) => ({ data: { sessionToken: d.sessionTokens.issue(r.now) } }),
    createCustomer: (r) => ({ data: d.accounts.createCustomer(r.body, r.now) }),
    listCustomers: (r) => ({ data: d.accounts.listCustomers(r.query) }),
    getCustomer: (r) => ({ data: d.accounts.getCustomer(param(r, 'customerId')) }),
    deleteCustomer: (r) => ({ data: d.accounts.deleteCustomer(param(r, 'customerId')) }),
    updateCustomer: (r) => ({ data: d.accounts.updateCustomer(r.body) }),
    createPaymentMethod: (r) => ({ data: d.accounts.createPaymentMethod(r.body, r.now) }),
    updatePaymentMethod: (r) => ({ data: d.accounts.updatePaymentMethod(r.body) }),
    listPaymentMethods: (r) => ({ data: d.accounts.listPaymentMethods(param(r, 'customerId')) }),
    // AsiaBill's own plugin checks code "0" here; answering with it keeps clients honest about /^0+$/.
    getPaymentMethod: (r) => ({ code: '0', data: d.accounts.getPaymentMethod(param(r, 'customerPaymentMethodId')) }),
    attachPaymentMethod: (r) => ({
      data: d.accounts.attach(param(r, 'customerPaymentMethodId'), param(r, 'customerId')),
    }),
    detachPaymentMethod: (r) => ({ data: d.accounts.detach(param(r, 'customerPaymentMethodId')) }),
    confirmCharge: async (r) => {
      // The charge is recorded (and its notification queued) before any hold or drop.
      const { data, drop } = d.charges.confirmCharge(validateConfirmCharge(r.body), r.now);
      // Knobs are consumed even for the no-response card so they are not shifted to a later call.
      const dropKnob = d.knobs.takeDrop();
      const holdMs = d.knobs.takeHold();
      if (holdMs !== undefined) await d.holds.wait(holdMs);
      return drop || dropKnob ? { drop: true } : { data };
    },
    checkoutPayment: (r) => ({ code: '0000', data: d.charges.checkout(validateCheckoutPayment(r.body), r.now) }),
    refund: (r) => {
      // Recorded (and notified) before a dropped answer, like a charge.
      const data = d.refunds.refund(r.body, r.now);
      return d.knobs.takeRefundDrop() ? { drop: true } : { code: '0000', data };
    },
    refundStatus: (r) => ({ code: '0000', data: d.refunds.status(param(r, 'batchNo')) }),
    transactions: (r) => ({ data: searchTransactions(d.store, r.query) }),
    orderInfo: (r) => ({ data: orderInfo(d.store, param(r, 'tradeNo')) }),
  };
}
