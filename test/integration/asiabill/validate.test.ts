/**
 * One bad value for each constrained field: the client must throw AsiabillValidationError
 * naming the field and rule, and send nothing (the sandbox's request counter stays put).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/asiabill/sandbox/index.ts';
import { AsiabillValidationError } from '../../../src/asiabill/errors.ts';
import type { AsiabillClient } from '../../../src/asiabill/client.ts';
import type { CheckoutPaymentRequest, ConfirmChargeRequest, CreatePaymentMethodInput } from '../../../src/asiabill/types.ts';
import { billingDetail, card, chargeRequest, clientFor } from './support.ts';

let sandbox: Sandbox;
let client: AsiabillClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  client = clientFor(sandbox);
});
afterAll(async () => {
  await sandbox.close();
});

const long = (n: number): string => 'x'.repeat(n);
const byPm = (f: Partial<ConfirmChargeRequest> = {}): ConfirmChargeRequest =>
  chargeRequest({ customerId: 'cus_1000000000000000001', customerPaymentMethodId: 'pm_1000000000000000001', ...f });
const byCard = (mutate: (c: { billingDetail: ReturnType<typeof billingDetail>; card: ReturnType<typeof card> }) => void, f: Partial<ConfirmChargeRequest> = {}): ConfirmChargeRequest => {
  const pm = { billingDetail: billingDetail(), card: card('4242424242424242') };
  mutate(pm);
  return chargeRequest({ customerPaymentMethod: pm, ...f });
};
const goods = (n: number) => Array.from({ length: n }, (_, i) => ({ goodsTitle: `item ${i}`, goodsCount: '1', goodsPrice: '1.00' }));
const shipping = () => ({ address: { line1: '1 Road', city: 'Paris', country: 'FR' }, firstName: 'A', lastName: 'B', phone: '123' });
const pmInput = (mutate: (i: CreatePaymentMethodInput) => void): CreatePaymentMethodInput => {
  const i: CreatePaymentMethodInput = { billingDetail: billingDetail(), card: card('4242424242424242') };
  mutate(i);
  return i;
};
const checkout = (f: Partial<CheckoutPaymentRequest> = {}): CheckoutPaymentRequest => ({
  orderNo: 'CO-1',
  orderAmount: '10.00',
  orderCurrency: 'EUR',
  paymentMethod: 'Credit Card',
  billingAddress: { address: '1 Road', city: 'Paris', country: 'FR', email: 'a@b.fr', firstName: 'A', lastName: 'B', phone: '123' },
  returnUrl: 'https://m.example/r',
  customerIp: '198.51.100.1',
  webSite: 'm.example',
  ...f,
});
const charge = (req: ConfirmChargeRequest) => (c: AsiabillClient) => c.confirmCharge(req);

interface Case {
  name: string;
  call: (c: AsiabillClient) => Promise<unknown>;
  field: string;
  rule: string;
  /** Values that must never appear in the error message. */
  secret?: string;
}

const cases: Case[] = [
  // confirmCharge — required fields
  ...(['orderNo', 'orderAmount', 'orderCurrency', 'customerIp', 'returnUrl', 'webSite'] as const).map((field) => ({
    name: `${field} missing`,
    call: charge({ ...byPm(), [field]: '' }),
    field,
    rule: 'required',
  })),
  // confirmCharge — lengths and formats
  { name: 'orderNo too long', call: charge(byPm({ orderNo: long(51) })), field: 'orderNo', rule: 'max-length' },
  { name: 'orderAmount 3 decimals', call: charge(byPm({ orderAmount: '1.999' })), field: 'orderAmount', rule: 'format' },
  { name: 'orderAmount not a number', call: charge(byPm({ orderAmount: '1,00' })), field: 'orderAmount', rule: 'format' },
  { name: 'orderAmount 17 chars', call: charge(byPm({ orderAmount: '12345678901234567' })), field: 'orderAmount', rule: 'max-length' },
  { name: 'orderAmount decimals for JPY', call: charge(byPm({ orderAmount: '100.50', orderCurrency: 'JPY' })), field: 'orderAmount', rule: 'integer-amount' },
  { name: 'orderAmount zero', call: charge(byPm({ orderAmount: '0.00' })), field: 'orderAmount', rule: 'positive' },
  { name: 'orderCurrency lowercase', call: charge(byPm({ orderCurrency: 'usd' })), field: 'orderCurrency', rule: 'format' },
  { name: 'orderCurrency 4 letters', call: charge(byPm({ orderCurrency: 'USDT' })), field: 'orderCurrency', rule: 'format' },
  { name: 'customerIp too long', call: charge(byPm({ customerIp: long(51) })), field: 'customerIp', rule: 'max-length' },
  { name: 'returnUrl too long', call: charge(byPm({ returnUrl: `https://m.example/${long(990)}` })), field: 'returnUrl', rule: 'max-length' },
  { name: 'callbackUrl too long', call: charge(byPm({ callbackUrl: `https://m.example/${long(990)}` })), field: 'callbackUrl', rule: 'max-length' },
  { name: 'webSite too long', call: charge(byPm({ webSite: long(201) })), field: 'webSite', rule: 'max-length' },
  { name: 'remark too long', call: charge(byPm({ remark: long(501) })), field: 'remark', rule: 'max-length' },
  { name: 'platform too long', call: charge(byPm({ platform: long(11) })), field: 'platform', rule: 'max-length' },
  { name: 'customerId too long', call: charge(byPm({ customerId: long(101) })), field: 'customerId', rule: 'max-length' },
  { name: 'customerPaymentMethodId too long', call: charge(byPm({ customerPaymentMethodId: long(101) })), field: 'customerPaymentMethodId', rule: 'max-length' },
  { name: 'isMobile 4', call: charge({ ...byPm(), isMobile: '4' as '0' }), field: 'isMobile', rule: 'enum' },
  { name: 'priorityThreeDSecure bad', call: charge({ ...byPm(), priorityThreeDSecure: 'always' as 'any' }), field: 'priorityThreeDSecure', rule: 'enum' },
  { name: 'tokenType bad', call: charge({ ...byPm(), tokenType: 'Once' as 'Recurring' }), field: 'tokenType', rule: 'enum' },
  // confirmCharge — cross-field rules
  { name: 'tokenType without customerId', call: charge(byPm({ tokenType: 'InitRecurring', customerId: '' })), field: 'customerId', rule: 'required-with-tokenType' },
  { name: 'Recurring without customerPaymentMethodId', call: charge(byCard(() => undefined, { tokenType: 'Recurring', customerId: 'cus_1' })), field: 'customerPaymentMethodId', rule: 'required-for-recurring' },
  { name: 'both card and payment method id', call: charge(byCard(() => undefined, { customerPaymentMethodId: 'pm_1' })), field: 'customerPaymentMethod', rule: 'exclusive' },
  { name: 'neither card nor payment method id', call: charge(chargeRequest({})), field: 'customerPaymentMethodId', rule: 'required' },
  // goods and shipping
  { name: '11 goods', call: charge(byPm({ goodsDetails: goods(11) })), field: 'goodsDetails', rule: 'max-items' },
  { name: 'goodsTitle too long', call: charge(byPm({ goodsDetails: goods(5).map((g, i) => (i === 3 ? { ...g, goodsTitle: long(101) } : g)) })), field: 'goodsDetails[3].goodsTitle', rule: 'max-length' },
  { name: 'goodsCount too long', call: charge(byPm({ goodsDetails: [{ ...goods(1)[0]!, goodsCount: long(31) }] })), field: 'goodsDetails[0].goodsCount', rule: 'max-length' },
  { name: 'goodsPrice too long', call: charge(byPm({ goodsDetails: [{ ...goods(1)[0]!, goodsPrice: long(31) }] })), field: 'goodsDetails[0].goodsPrice', rule: 'max-length' },
  { name: 'shipping country 3 letters', call: charge(byPm({ shipping: { ...shipping(), address: { ...shipping().address, country: 'FRA' } } })), field: 'shipping.address.country', rule: 'format' },
  { name: 'shipping phone too long', call: charge(byPm({ shipping: { ...shipping(), phone: long(51) } })), field: 'shipping.phone', rule: 'max-length' },
  { name: 'shipping US without state', call: charge(byPm({ shipping: { ...shipping(), address: { line1: '1 Road', city: 'Austin', country: 'US' } } })), field: 'shipping.address.state', rule: 'required' },
  // card (values must never be echoed)
  { name: 'cardNo 20 digits', call: charge(byCard((p) => (p.card.cardNo = '42424242424242424242'))), field: 'customerPaymentMethod.card.cardNo', rule: 'format', secret: '42424242424242424242' },
  { name: 'cardNo 12 digits', call: charge(byCard((p) => (p.card.cardNo = '424242424242'))), field: 'customerPaymentMethod.card.cardNo', rule: 'format', secret: '424242424242' },
  { name: 'cardNo with spaces', call: charge(byCard((p) => (p.card.cardNo = '4242 4242 4242 4242'))), field: 'customerPaymentMethod.card.cardNo', rule: 'format', secret: '4242 4242' },
  { name: 'cardExpireMonth 13', call: charge(byCard((p) => (p.card.cardExpireMonth = '13'))), field: 'customerPaymentMethod.card.cardExpireMonth', rule: 'format' },
  { name: 'cardExpireMonth 1 char', call: charge(byCard((p) => (p.card.cardExpireMonth = '1'))), field: 'customerPaymentMethod.card.cardExpireMonth', rule: 'fixed-length' },
  { name: 'cardExpireYear 2 digits', call: charge(byCard((p) => (p.card.cardExpireYear = '31'))), field: 'customerPaymentMethod.card.cardExpireYear', rule: 'fixed-length' },
  { name: 'cardSecurityCode 5 digits', call: charge(byCard((p) => (p.card.cardSecurityCode = '98765'))), field: 'customerPaymentMethod.card.cardSecurityCode', rule: 'format', secret: '98765' },
  { name: 'cardSecurityCode letters', call: charge(byCard((p) => (p.card.cardSecurityCode = 'abc'))), field: 'customerPaymentMethod.card.cardSecurityCode', rule: 'format', secret: 'abc' },
  // billing detail
  { name: 'billing email missing', call: charge(byCard((p) => (p.billingDetail.email = ''))), field: 'customerPaymentMethod.billingDetail.email', rule: 'required' },
  { name: 'billing firstName too long', call: charge(byCard((p) => (p.billingDetail.firstName = long(101)))), field: 'customerPaymentMethod.billingDetail.firstName', rule: 'max-length' },
  { name: 'billing lastName too long', call: charge(byCard((p) => (p.billingDetail.lastName = long(51)))), field: 'customerPaymentMethod.billingDetail.lastName', rule: 'max-length' },
  { name: 'billing phone too short', call: charge(byCard((p) => (p.billingDetail.phone = '1'))), field: 'customerPaymentMethod.billingDetail.phone', rule: 'min-length' },
  { name: 'billing country lowercase', call: charge(byCard((p) => (p.billingDetail.address.country = 'us'))), field: 'customerPaymentMethod.billingDetail.address.country', rule: 'format' },
  { name: 'billing city too short', call: charge(byCard((p) => (p.billingDetail.address.city = 'X'))), field: 'customerPaymentMethod.billingDetail.address.city', rule: 'min-length' },
  { name: 'billing line1 too long', call: charge(byCard((p) => (p.billingDetail.address.line1 = long(501)))), field: 'customerPaymentMethod.billingDetail.address.line1', rule: 'max-length' },
  { name: 'billing postalCode too long', call: charge(byCard((p) => (p.billingDetail.address.postalCode = long(31)))), field: 'customerPaymentMethod.billingDetail.address.postalCode', rule: 'max-length' },
  { name: 'billing state 3 chars', call: charge(byCard((p) => (p.billingDetail.address.state = 'ILL'))), field: 'customerPaymentMethod.billingDetail.address.state', rule: 'max-length' },
  // other endpoints
  { name: 'customer email missing', call: (c) => c.createCustomer({ email: '', firstName: 'A', lastName: 'B' }), field: 'email', rule: 'required' },
  { name: 'customer email too long', call: (c) => c.createCustomer({ email: long(201), firstName: 'A', lastName: 'B' }), field: 'email', rule: 'max-length' },
  { name: 'pm create cardNo', call: (c) => c.createPaymentMethod(pmInput((i) => (i.card.cardNo = '4242x4242x4242x'))), field: 'card.cardNo', rule: 'format', secret: '4242x4242x4242x' },
  { name: 'pm create cvc', call: (c) => c.createPaymentMethod(pmInput((i) => (i.card.cardSecurityCode = '1'))), field: 'card.cardSecurityCode', rule: 'format' },
  { name: 'pm create country', call: (c) => c.createPaymentMethod(pmInput((i) => (i.billingDetail.address.country = 'USA'))), field: 'billingDetail.address.country', rule: 'format' },
  { name: 'pm update without id', call: (c) => c.updatePaymentMethod({ customerPaymentMethodId: '', billingDetail: billingDetail() }), field: 'customerPaymentMethodId', rule: 'required' },
  { name: 'get customer with empty id', call: (c) => c.getCustomer(''), field: 'customerId', rule: 'required' },
  { name: 'update customer with nothing', call: (c) => c.updateCustomer('cus_1', {}), field: 'body', rule: 'required' },
  { name: 'list customers pageSize 1001', call: (c) => c.listCustomers({ pageSize: 1001 }), field: 'pageSize', rule: 'range' },
  { name: 'checkout unknown paymentMethod', call: (c) => c.checkoutPayment(checkout({ paymentMethod: 'Bitcoin' })), field: 'paymentMethod', rule: 'enum' },
  { name: 'checkout billing country', call: (c) => c.checkoutPayment(checkout({ billingAddress: { ...checkout().billingAddress, country: 'France' } })), field: 'billingAddress.country', rule: 'format' },
  { name: 'local payment with Credit Card', call: (c) => c.localPayment(checkout({ paymentMethod: 'Credit Card' })), field: 'paymentMethod', rule: 'enum' },
  { name: 'refund type 3', call: (c) => c.refund({ tradeNo: 'T', merTrackNo: 'M', refundAmount: '1.00', refundType: '3' as '1', refundReason: 'r' }), field: 'refundType', rule: 'enum' },
  { name: 'refund amount 3 decimals', call: (c) => c.refund({ tradeNo: 'T', merTrackNo: 'M', refundAmount: '1.001', refundType: '2', refundReason: 'r' }), field: 'refundAmount', rule: 'format' },
  { name: 'search startTime date only', call: (c) => c.searchTransactions({ startTime: '2022-02-21', endTime: '2022-02-22T00:00:00' }), field: 'startTime', rule: 'format' },
  { name: 'search end before start', call: (c) => c.searchTransactions({ startTime: '2022-02-22T00:00:00', endTime: '2022-02-21T00:00:00' }), field: 'endTime', rule: 'range' },
  { name: 'search pageSize 1001', call: (c) => c.searchTransactions({ startTime: '2022-02-21T00:00:00', endTime: '2022-02-22T00:00:00', pageSize: 1001 }), field: 'pageSize', rule: 'range' },
];

describe('client-side validation (nothing is sent)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = sandbox.requestCount();
    const err = await c.call(client).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AsiabillValidationError);
    const v = err as AsiabillValidationError;
    expect({ field: v.field, rule: v.rule }).toEqual({ field: c.field, rule: c.rule });
    expect(v.code).toBe('VALIDATION');
    expect(v.message).toContain(c.field);
    if (c.secret !== undefined) expect(v.message).not.toContain(c.secret);
    expect(sandbox.requestCount()).toBe(before);
  });

  it('the counter does move for a valid request (sanity)', async () => {
    const before = sandbox.requestCount();
    await client.createCustomer({ email: 'ok@example.com', firstName: 'O', lastName: 'K' });
    expect(sandbox.requestCount()).toBe(before + 1);
  });

  it('accepts AsiaBill sample values (empty platform, integer JPY, 10 goods)', async () => {
    const before = sandbox.requestCount();
    const res = await client.confirmCharge(byPm({ platform: '', orderAmount: '1500', orderCurrency: 'JPY', goodsDetails: goods(10), isMobile: '0', priorityThreeDSecure: 'any' }));
    // Sent (the sandbox answers with a business failure for the unknown customer).
    expect(res.orderStatus).toBe('fail');
    expect(sandbox.requestCount()).toBe(before + 1);
  });
});
