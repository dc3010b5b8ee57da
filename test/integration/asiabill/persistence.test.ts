/** The sandbox's optional state file: a restarted sandbox still knows its customers, cards and charges. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../../src/sandbox/index.ts';
import { billingDetail, card, CARDS, clientFor } from './support.ts';

describe('sandbox state file', () => {
  it('survives a restart: the mandate from InitRecurring still allows a Recurring charge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await startSandbox({ port: 0, stateFile });
      const c1 = clientFor(first);
      const cus = await c1.createCustomer({ email: 'a@example.com', firstName: 'A', lastName: 'B' });
      const pm = await c1.createPaymentMethod({
        customerId: cus.customerId,
        billingDetail: billingDetail(),
        card: card(CARDS.success),
      });
      const base = {
        orderAmount: '5.00',
        orderCurrency: 'USD',
        customerId: cus.customerId,
        customerPaymentMethodId: pm.customerPaymentMethodId,
        customerIp: '127.0.0.1',
        returnUrl: 'https://m.example/r',
        webSite: 'https://m.example',
      };
      expect((await c1.confirmCharge({ ...base, orderNo: 'persist-1', tokenType: 'InitRecurring' })).orderStatus).toBe(
        'success',
      );
      await first.close();
      // No card number or security code in what was written.
      const text = readFileSync(stateFile, 'utf8');
      expect(text).not.toContain(CARDS.success);
      expect(text).toContain(pm.customerPaymentMethodId);

      const second = await startSandbox({ port: 0, stateFile });
      try {
        const c2 = clientFor(second);
        expect((await c2.getCustomer(cus.customerId)).email).toBe('a@example.com');
        expect((await c2.confirmCharge({ ...base, orderNo: 'persist-2', tokenType: 'Recurring' })).orderStatus).toBe(
          'success',
        );
        // …and an orderNo it saw before the restart is still a duplicate.
        expect((await c2.confirmCharge({ ...base, orderNo: 'persist-1', tokenType: 'Recurring' })).orderInfo).toMatch(
          /^I0061/,
        );
        expect(second.ledger().map((l) => l.orderNo)).toEqual(['persist-1', 'persist-2']);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
