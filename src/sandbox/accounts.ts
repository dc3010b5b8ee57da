/**
 * Customers and payment methods. The PCI create reads the card number only to derive
 * brand, last four and test behaviour; neither the number nor the CVC is stored.
 */
import type { Customer, CustomerPage, PaymentMethod } from '../asiabill/types.ts';
import { formatGatewayDateTime } from '../asiabill/gatewayTime.ts';
import {
  validateCreateCustomer,
  validateCreatePaymentMethod,
  validateCustomerList,
  validateUpdateCustomer,
  validateUpdatePaymentMethod,
} from '../asiabill/validate.ts';
import { classifyCard } from './cards.ts';
import { newCustomerId, newPaymentMethodId } from './ids.ts';
import { notFound, REQUEST_ERRORS, SandboxApiError } from './reply.ts';
import type { SandboxStore } from './store.ts';
import type { StoredPaymentMethod } from './types.ts';

export class Accounts {
  constructor(private readonly store: SandboxStore) {}

  createCustomer(body: unknown, now: Date): Customer {
    const input = validateCreateCustomer(body);
    const customer: Customer = {
      customerId: newCustomerId(),
      email: input.email,
      firstName: input.firstName,
      lastName: input.lastName,
      phone: input.phone ?? '',
      description: input.description ?? '',
      created: formatGatewayDateTime(now),
    };
    this.store.customers.set(customer.customerId, customer);
    return customer;
  }

  getCustomer(customerId: string): Customer {
    const c = this.store.customers.get(customerId);
    if (!c) throw notFound('customerId');
    return c;
  }

  listCustomers(query: unknown): CustomerPage {
    const q = validateCustomerList(query);
    const pageIndex = q.pageIndex ?? 1;
    const pageSize = q.pageSize ?? 10;
    const all = [...this.store.customers.values()];
    return {
      page: { total: all.length, pageSize, pageIndex },
      list: all.slice((pageIndex - 1) * pageSize, pageIndex * pageSize),
    };
  }

  /** [assumption] deleting a customer unbinds its payment methods rather than deleting them. */
  deleteCustomer(customerId: string): { customerId: string } {
    this.getCustomer(customerId);
    this.store.customers.delete(customerId);
    for (const pm of this.store.paymentMethods.values()) if (pm.customerId === customerId) delete pm.customerId;
    return { customerId };
  }

  updateCustomer(body: unknown): Customer {
    const { customerId, ...fields } = validateUpdateCustomer(body);
    const current = this.getCustomer(customerId);
    const updated: Customer = { ...current, ...fields };
    this.store.customers.set(customerId, updated);
    return updated;
  }

  createPaymentMethod(body: unknown, now: Date): PaymentMethod {
    const input = validateCreatePaymentMethod(body);
    const facts = classifyCard(input.card.cardNo);
    if (facts.behaviour === 'invalid_number') {
      throw new SandboxApiError(
        'P0001',
        `${REQUEST_ERRORS.P0001}: card.cardNo: is not a valid card number (rule: luhn)`,
      );
    }
    if (input.customerId !== undefined) this.getCustomer(input.customerId);
    const pm: StoredPaymentMethod = {
      customerPaymentMethodId: newPaymentMethodId(),
      card: { brand: facts.brand, last4: facts.last4 },
      billingDetail: input.billingDetail,
      expMonth: input.card.cardExpireMonth,
      expYear: input.card.cardExpireYear,
      behaviour: facts.behaviour,
      created: formatGatewayDateTime(now),
      ...(input.customerId !== undefined ? { customerId: input.customerId } : {}),
    };
    this.store.paymentMethods.set(pm.customerPaymentMethodId, pm);
    return publicView(pm);
  }

  updatePaymentMethod(body: unknown): PaymentMethod {
    const input = validateUpdatePaymentMethod(body);
    const pm = this.pm(input.customerPaymentMethodId);
    pm.billingDetail = input.billingDetail;
    return publicView(pm);
  }

  getPaymentMethod(pmId: string): PaymentMethod {
    return publicView(this.pm(pmId));
  }

  listPaymentMethods(customerId: string): PaymentMethod[] {
    this.getCustomer(customerId);
    return [...this.store.paymentMethods.values()].filter((pm) => pm.customerId === customerId).map(publicView);
  }

  attach(pmId: string, customerId: string): PaymentMethod {
    const pm = this.pm(pmId);
    this.getCustomer(customerId);
    if (pm.customerId !== undefined && pm.customerId !== customerId) {
      throw new SandboxApiError('P0002', `${REQUEST_ERRORS.P0002}: payment method is attached to another customer`);
    }
    pm.customerId = customerId;
    return publicView(pm);
  }

  detach(pmId: string): PaymentMethod {
    const pm = this.pm(pmId);
    delete pm.customerId;
    return publicView(pm);
  }

  private pm(pmId: string): StoredPaymentMethod {
    const pm = this.store.paymentMethods.get(pmId);
    if (!pm) throw notFound('customerPaymentMethodId');
    return pm;
  }
}

/** What AsiaBill returns for a method: id, owner, card summary, billing detail. */
export function publicView(pm: StoredPaymentMethod): PaymentMethod {
  return {
    customerPaymentMethodId: pm.customerPaymentMethodId,
    ...(pm.customerId !== undefined ? { customerId: pm.customerId } : {}),
    card: { ...pm.card },
    billingDetail: pm.billingDetail,
  };
}
