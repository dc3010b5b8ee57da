/**
 * Shared fixtures for the AsiaBill tests: a client wired to a sandbox, a tiny notification
 * receiver (node:http) that records raw bodies and answers what the test says, and request
 * builders using the sandbox test cards.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AsiabillClient, type AsiabillClientOptions } from '../../../src/asiabill/client.ts';
import { afterAll, beforeAll } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import type { BillingDetail, CardInput, ConfirmChargeRequest } from '../../../src/asiabill/types.ts';
import { formatGatewayTime } from '../../../src/asiabill/gatewayTime.ts';

export const CARDS = {
  success: '4242424242424242',
  softDecline: '4000000000009995',
  stolen: '4000000000009987',
  generic: '4000000000000002',
  threeDs: '4000002500003155',
  initThenDecline: '4000000000000341',
  noResponse: '4000000000000119',
} as const;

export function clientFor(sandbox: Sandbox, overrides: Partial<AsiabillClientOptions> = {}): AsiabillClient {
  return new AsiabillClient({
    paymentUrl: sandbox.paymentUrl,
    openapiUrl: sandbox.openapiUrl,
    gatewayNo: sandbox.gatewayNo,
    signKey: sandbox.signKey,
    timeoutMs: 5_000,
    ...overrides,
  });
}

export function billingDetail(): BillingDetail {
  return {
    address: { line1: '12 Harbour Road', city: 'Springfield', state: 'IL', postalCode: '62701', country: 'US' },
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+1 555 0100',
  };
}

export function card(cardNo: string, cardSecurityCode = '123'): CardInput {
  return { cardNo, cardExpireMonth: '12', cardExpireYear: String(new Date().getUTCFullYear() + 3), cardSecurityCode };
}

let orderSeq = 0;
export function orderNo(tag = 'T'): string {
  orderSeq++;
  return `${tag}-${Date.now().toString(36)}-${orderSeq}-${randomUUID().slice(0, 8)}`;
}

export function chargeRequest(fields: Partial<ConfirmChargeRequest>): ConfirmChargeRequest {
  return {
    orderNo: orderNo(),
    orderAmount: '19.99',
    orderCurrency: 'USD',
    customerIp: '203.0.113.7',
    returnUrl: 'https://merchant.example/return/asiabill',
    webSite: 'merchant.example',
    ...fields,
  };
}

/** A /transactions window wide enough for anything created in this test run. */
export function searchWindow(): { startTime: string; endTime: string } {
  const now = Date.now();
  return {
    startTime: formatGatewayTime(new Date(now - 3_600_000)),
    endTime: formatGatewayTime(new Date(now + 3_600_000)),
  };
}

export interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Decides the reply body for the n-th delivery (0-based). Default: 'success'. */
  answer: (n: number, r: Received) => string;
  close(): Promise<void>;
}

/** A merchant notification endpoint over real HTTP. */
export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: () => 'success',
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') };
      const n = receiver.received.length;
      receiver.received.push(r);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(receiver.answer(n, r));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/webhooks/asiabill`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

export function bodyOf(r: Received): { type: string; data: Record<string, string> } {
  return JSON.parse(r.rawBody) as { type: string; data: Record<string, string> };
}

/**
 * One sandbox and a client wired to it for a whole test file: started before the first test,
 * closed after the last. The setter hands both to the file's own variables.
 */
export function useSandbox(
  set: (sandbox: Sandbox, client: AsiabillClient) => void,
  opts: Parameters<typeof startSandbox>[0] = { port: 0 },
): void {
  let started: Sandbox | undefined;
  beforeAll(async () => {
    started = await startSandbox(opts);
    set(started, clientFor(started));
  });
  afterAll(async () => {
    await started?.close();
  });
}
