/**
 * Card data never leaks: a run that creates payment methods from full card numbers,
 * charges them (stored and raw), and triggers validation errors on bad cards (client-side
 * and gateway-side) must leave no PAN and no security code in the client's and sandbox's
 * logs (captured at debug), in any error message, or in the sandbox's state dumps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import type { AsiabillClient } from '../../../src/asiabill/client.ts';
import { createLogger } from '../../../src/logger.ts';
import { signRequest } from '../../../src/asiabill/sign.ts';
import { passesLuhn } from '../../../src/asiabill/luhn.ts';
import { billingDetail, card, CARDS, chargeRequest, clientFor, startReceiver, type Receiver } from './support.ts';

const logs: string[] = [];
const errors: string[] = [];
let sandbox: Sandbox;
let client: AsiabillClient;
let receiver: Receiver;

// Distinctive security codes so any echo is findable.
const CVC_A = '7391';
const CVC_B = '846';
const PANS = [...Object.values(CARDS), '5555555555554444', '378282246310005', '4242424242424241'];

function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(`${e.name}: ${e.message}`, JSON.stringify(e));
  return parts.join('\n');
}

async function capture(p: Promise<unknown>): Promise<void> {
  await p.catch((err: unknown) => {
    errors.push(describeError(err));
  });
}

beforeAll(async () => {
  const destination = { write: (line: string) => void logs.push(line) };
  sandbox = await startSandbox({
    port: 0,
    logger: createLogger({ level: 'debug', name: 'sandbox', destination }),
    notify: { delayMs: 5, retryScheduleMs: [10] },
  });
  client = clientFor(sandbox, { logger: createLogger({ level: 'debug', name: 'client', destination }) });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

describe('card data never leaks', () => {
  it('runs a full card-handling session', async () => {
    const customer = await client.createCustomer({ email: 'pan@example.com', firstName: 'P', lastName: 'AN' });
    for (const [i, cardNo] of [...Object.values(CARDS), '5555555555554444', '378282246310005'].entries()) {
      const pm = await client.createPaymentMethod({
        billingDetail: billingDetail(),
        card: card(cardNo, i % 2 ? CVC_A : CVC_B),
        customerId: customer.customerId,
      });
      await capture(
        client.confirmCharge(
          chargeRequest({
            customerId: customer.customerId,
            customerPaymentMethodId: pm.customerPaymentMethodId,
            tokenType: 'InitRecurring',
            callbackUrl: receiver.url,
          }),
        ),
      );
      await capture(
        client.confirmCharge(
          chargeRequest({
            customerPaymentMethod: { billingDetail: billingDetail(), card: card(cardNo, CVC_A) },
            callbackUrl: receiver.url,
          }),
        ),
      );
    }
    // 3-D Secure raw card bound on completion.
    const threeDs = await client.confirmCharge(
      chargeRequest({
        customerId: customer.customerId,
        tokenType: 'InitRecurring',
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.threeDs, CVC_A) },
      }),
    );
    await sandbox.completeThreeDS(threeDs.tradeNo ?? '', 'success');

    // Client-side validation errors on bad cards.
    await capture(
      client.confirmCharge(
        chargeRequest({
          customerPaymentMethod: {
            billingDetail: billingDetail(),
            card: { ...card(CARDS.success), cardSecurityCode: '73915' },
          },
        }),
      ),
    );
    await capture(
      client.confirmCharge(
        chargeRequest({
          customerPaymentMethod: {
            billingDetail: billingDetail(),
            card: { ...card('42424242424242424242'), cardSecurityCode: CVC_A },
          },
        }),
      ),
    );
    await capture(
      client.createPaymentMethod({
        billingDetail: billingDetail(),
        card: { ...card(CARDS.success, CVC_A), cardExpireMonth: '13' },
      }),
    );
    // Gateway-side refusals: a Luhn failure, and a raw request that skips client validation.
    await capture(
      client.createPaymentMethod({ billingDetail: billingDetail(), card: card('4242424242424241', CVC_A) }),
    );
    const body = JSON.stringify(
      chargeRequest({
        customerPaymentMethod: {
          billingDetail: billingDetail(),
          card: { ...card(CARDS.success), cardSecurityCode: '7391x' },
        },
      }),
    );
    const requestId = randomUUID().toUpperCase();
    const requestTime = String(Date.now());
    const res = await fetch(`${sandbox.paymentUrl}/confirmCharge`, {
      method: 'POST',
      headers: {
        'gateway-no': sandbox.gatewayNo,
        'request-id': requestId,
        'request-time': requestTime,
        'sign-info': signRequest({
          gatewayNo: sandbox.gatewayNo,
          requestId,
          requestTime,
          rawBody: body,
          signKey: sandbox.signKey,
        }),
        'Content-Type': 'application/json',
      },
      body,
    });
    errors.push(await res.text());
    await sandbox.flushNotifications();

    expect(errors.length).toBeGreaterThanOrEqual(6);
    // The capture really saw both sides.
    expect(logs.some((l) => l.includes('"name":"client"') && l.includes('/payment_methods'))).toBe(true);
    expect(logs.some((l) => l.includes('"name":"sandbox"') && l.includes('sandbox request'))).toBe(true);
  });

  it('finds no card number or security code anywhere', async () => {
    const ledgerOverHttp = await (await fetch(`${sandbox.url}/__sandbox/ledger`)).text();
    const haystacks: Record<string, string> = {
      logs: logs.join(''),
      errors: errors.join('\n'),
      ledger: JSON.stringify(sandbox.ledger()),
      ledgerOverHttp,
      dump: JSON.stringify(sandbox.dump()),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text.length, where).toBeGreaterThan(0);
      for (const pan of PANS) expect(text.includes(pan), `${where} contains a card number`).toBe(false);
      // Any standalone 13–19 digit run that passes Luhn and starts like an issued card (2–6).
      const suspects = [...text.matchAll(/(?<!\d)[2-6]\d{12,18}(?!\d)/g)].map((m) => m[0]).filter(passesLuhn);
      expect(suspects, `${where} contains Luhn-valid card-like numbers`).toEqual([]);
      // No security-code field carrying a value (its *name* in an error message is fine).
      expect(text, where).not.toMatch(/(cardSecurityCode|securityCode|cvc|cvv)\\?"?\s*[:=]\s*\\?"?\d/i);
      for (const cvc of [CVC_A, CVC_B, '73915', '7391x'])
        expect(text.includes(`"${cvc}"`), `${where} contains a CVC value`).toBe(false);
      // The four-digit code is distinctive enough to look for anywhere, not only as a JSON string.
      expect(new RegExp(`(?<![0-9A-Za-z])${CVC_A}(?![0-9A-Za-z])`).test(text), `${where} contains ${CVC_A}`).toBe(
        false,
      );
      // Spaced and dashed card numbers count too.
      for (const pan of PANS) {
        for (const form of [pan.replace(/(\d{4})(?=\d)/g, '$1 '), pan.replace(/(\d{4})(?=\d)/g, '$1-')])
          expect(text.includes(form), `${where} contains a grouped card number`).toBe(false);
      }
    }
  });
});
