/**
 * Client behaviour over real HTTP against a scriptable stub server: how each kind of
 * answer (or non-answer) is classified, what is retried, and what goes on the wire.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { AsiabillClient, type AsiabillClientOptions } from '../../../src/asiabill/client.ts';
import { AsiabillApiError, AsiabillTransportError, UnknownOutcomeError } from '../../../src/asiabill/errors.ts';
import { createHmac } from 'node:crypto';
import { createLogger } from '../../../src/logger.ts';
import { ManualClock } from '../../../src/clock.ts';
import { chargeRequest } from './support.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Script = { status: number; body: string } | 'hang' | 'destroy';

let server: Server;
let base = '';
let seen: Seen[] = [];
let script: (n: number, s: Seen) => Script = () => ({ status: 200, body: '{"code":"00000","message":"ok","data":{}}' });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      const action = script(seen.length - 1, s);
      if (action === 'hang') return;
      if (action === 'destroy') {
        req.socket.destroy();
        return;
      }
      res.writeHead(action.status, { 'Content-Type': 'application/json' }).end(action.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
afterEach(() => {
  seen = [];
  script = () => ({ status: 200, body: '{"code":"00000","message":"ok","data":{}}' });
});

const GW = '12246002';
const KEY = '12H4567r';
/**
 * The reference signature: a plain HMAC over a string the test spells out by hand (API.md
 * §2), so a wrong recipe in src/asiabill/sign.ts cannot agree with itself.
 */
const hmac = (message: string): string => createHmac('sha256', KEY).update(message, 'utf8').digest('hex').toUpperCase();
function client(o: Partial<AsiabillClientOptions> = {}): AsiabillClient {
  return new AsiabillClient({
    paymentUrl: `${base}/V2022-03`,
    openapiUrl: `${base}/openApi/V2022-03`,
    gatewayNo: GW,
    signKey: KEY,
    timeoutMs: 2_000,
    ...o,
  });
}
const env = (code: string, data: unknown = null, message = 'm'): { status: number; body: string } => ({
  status: 200,
  body: JSON.stringify({ code, message, data }),
});
const chargeOk = (orderNo: string) =>
  env('00000', {
    orderNo,
    tradeNo: '2022041810092544882449',
    orderStatus: 'success',
    orderInfo: 'Transaction Approved',
    orderAmount: '19.99',
    orderCurrency: 'USD',
  });
const req = () => chargeRequest({ customerId: 'cus_1', customerPaymentMethodId: 'pm_1', tokenType: 'Recurring' });

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('what goes on the wire', () => {
  it('sends the signed headers and exactly the signed body string', async () => {
    const r = req();
    script = () => chargeOk(r.orderNo);
    await client().confirmCharge(r, { requestTime: 1_700_000_000_000 });
    const s = seen[0]!;
    expect(s.method).toBe('POST');
    expect(s.url).toBe('/V2022-03/confirmCharge');
    expect(s.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(s.headers['gateway-no']).toBe(GW);
    expect(s.headers['request-time']).toBe('1700000000000');
    expect(s.headers['request-id']).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(s.headers['sign-info']).toBe(hmac(`${GW}${String(s.headers['request-id'])}1700000000000.${s.body}`));
    expect(JSON.parse(s.body)).toEqual(r);
  });

  it('takes request-time from the wall clock by default', async () => {
    script = () => env('00000', { customerId: 'cus_1' });
    await client({ wallClock: new ManualClock(new Date(1_650_000_000_123)) }).getCustomer('cus_1');
    expect(seen[0]!.headers['request-time']).toBe('1650000000123');
  });

  it('puts path params in the URL and the signature', async () => {
    script = () => env('00000', null);
    await client().attachPaymentMethod('pm_9', 'cus_1');
    const s = seen[0]!;
    expect(s.method).toBe('GET');
    expect(s.url).toBe('/V2022-03/payment_methods/pm_9/cus_1/attach');
    expect(s.body).toBe('');
    // Path values sorted: cus_1 before pm_9, whatever their order in the URL.
    expect(s.headers['sign-info']).toBe(
      hmac(`${GW}${String(s.headers['request-id'])}${String(s.headers['request-time'])}.cus_1pm_9`),
    );
  });

  it('URL-encodes only the set query params and signs their raw values by key', async () => {
    script = () => env('00000', { page: { total: 0, pageSize: 10, pageIndex: 1 }, list: [] });
    await client().searchTransactions({
      startTime: '2022-02-21T00:00:00',
      endTime: '2022-05-21T23:59:59',
      orderNo: 'A&B 1',
    });
    const s = seen[0]!;
    expect(s.url).toBe(
      '/openApi/V2022-03/transactions?startTime=2022-02-21T00%3A00%3A00&endTime=2022-05-21T23%3A59%3A59&orderNo=A%26B+1',
    );
    // Decoded values ordered by key (endTime, orderNo, startTime), no separators between them.
    expect(s.headers['sign-info']).toBe(
      hmac(
        `${GW}${String(s.headers['request-id'])}${String(s.headers['request-time'])}.2022-05-21T23:59:59A&B 12022-02-21T00:00:00`,
      ),
    );
  });

  it('sends POST /sessionToken with an empty body', async () => {
    script = () => env('00000', { sessionToken: 'tok' });
    expect(await client().sessionToken()).toBe('tok');
    expect(seen[0]!.body).toBe('');
  });

  it('uses a fresh request-id per call', async () => {
    script = () => env('00000', { customerId: 'cus_1' });
    const c = client();
    await c.getCustomer('cus_1');
    await c.getCustomer('cus_1');
    expect(seen[0]!.headers['request-id']).not.toBe(seen[1]!.headers['request-id']);
  });
});

describe('confirmCharge outcomes', () => {
  it.each(['0', '0000', '00000'])('success code %s returns the result', async (code) => {
    const r = req();
    script = () => env(code, { orderNo: r.orderNo, orderStatus: 'fail', orderInfo: 'D0051 Insufficient funds' });
    expect(await client().confirmCharge(r)).toMatchObject({
      orderStatus: 'fail',
      orderInfo: 'D0051 Insufficient funds',
    });
  });

  it.each(['L0005', 'L0003', 'P0001', 'S0001'])(
    'readable error %s is a definite AsiabillApiError, sent once',
    async (code) => {
      script = () => env(code, null, 'refused');
      const err = await failure(client().confirmCharge(req()));
      expect(err).toBeInstanceOf(AsiabillApiError);
      expect((err as AsiabillApiError).code).toBe(code);
      expect(seen).toHaveLength(1);
    },
  );

  it('an error envelope under HTTP 400 is still a definite refusal', async () => {
    script = () => ({
      status: 400,
      body: JSON.stringify({ code: 'P0002', message: 'param is null or incorrect', data: null }),
    });
    const err = await failure(client().confirmCharge(req()));
    expect(err).toBeInstanceOf(AsiabillApiError);
    expect((err as AsiabillApiError).httpStatus).toBe(400);
  });

  it.each([
    ['HTTP 502', (): Script => ({ status: 502, body: '<html>Bad Gateway</html>' }), 'http_status'],
    ['HTTP 500 with an envelope', (): Script => ({ status: 500, body: env('S0001').body }), 'http_status'],
    ['unparseable 200', (): Script => ({ status: 200, body: '<html>oops</html>' }), 'bad_response'],
    ['success code without a readable status', (): Script => env('00000', { orderStatus: 'approved' }), 'bad_response'],
    ['success code with no data', (): Script => env('00000', null), 'bad_response'],
    ['connection destroyed', (): Script => 'destroy', 'network'],
  ] as const)('%s → UnknownOutcomeError, never retried', async (_what, answer, reason) => {
    script = answer;
    const r = req();
    const err = await failure(client().confirmCharge(r, { requestTime: Date.now() }));
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    const u = err as UnknownOutcomeError;
    expect(u.code).toBe('UNKNOWN_OUTCOME');
    expect(u.reason).toBe(reason);
    expect(u.orderNo).toBe(r.orderNo);
    expect(u.requestId).toBe(seen[0]!.headers['request-id']);
    expect(String(u.requestTime)).toBe(seen[0]!.headers['request-time']);
    expect(seen).toHaveLength(1);
  });

  it('a timeout → UnknownOutcomeError (timeout)', async () => {
    script = () => 'hang';
    const err = await failure(client({ timeoutMs: 150 }).confirmCharge(req()));
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect((err as UnknownOutcomeError).reason).toBe('timeout');
    expect(seen).toHaveLength(1);
  });

  it('an answer for another orderNo → UnknownOutcomeError', async () => {
    script = () => chargeOk('SOMEONE-ELSE');
    expect(await failure(client().confirmCharge(req()))).toBeInstanceOf(UnknownOutcomeError);
  });

  it('a DNS/connection failure → UnknownOutcomeError', async () => {
    const c = new AsiabillClient({
      paymentUrl: 'http://127.0.0.1:1/V2022-03',
      openapiUrl: 'http://127.0.0.1:1',
      gatewayNo: GW,
      signKey: KEY,
      timeoutMs: 1_000,
    });
    const err = await failure(c.confirmCharge(req()));
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect((err as UnknownOutcomeError).reason).toBe('network');
  });
});

describe('retries', () => {
  it('a safe read is retried after transport errors with fresh request-ids', async () => {
    script = (n) => (n < 2 ? { status: 503, body: 'busy' } : env('00000', { customerId: 'cus_1', email: 'a@b.c' }));
    const customer = await client().getCustomer('cus_1');
    expect(customer.customerId).toBe('cus_1');
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers['request-id'])).size).toBe(3);
  });

  it('gives up after maxReadRetries with AsiabillTransportError', async () => {
    script = () => 'destroy';
    const err = await failure(client({ maxReadRetries: 1 }).listPaymentMethods('cus_1'));
    expect(err).toBeInstanceOf(AsiabillTransportError);
    expect(seen).toHaveLength(2);
  });

  it('a readable error on a read is not retried', async () => {
    script = () => env('P0002', null, 'not found');
    expect(await failure(client().getPaymentMethod('pm_x'))).toBeInstanceOf(AsiabillApiError);
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['createCustomer', (c: AsiabillClient) => c.createCustomer({ email: 'a@b.c', firstName: 'A', lastName: 'B' })],
    ['attachPaymentMethod (GET but a write)', (c: AsiabillClient) => c.attachPaymentMethod('pm_1', 'cus_1')],
    ['deleteCustomer', (c: AsiabillClient) => c.deleteCustomer('cus_1')],
    [
      'refund',
      (c: AsiabillClient) =>
        c.refund({ tradeNo: 'T', merTrackNo: 'M', refundAmount: '1.00', refundType: '2', refundReason: 'r' }),
    ],
  ])('%s is never retried', async (_name, call) => {
    script = () => ({ status: 503, body: 'busy' });
    const err = await failure(call(client()));
    expect(err).toBeInstanceOf(AsiabillTransportError);
    expect(seen).toHaveLength(1);
  });
});

describe('logging', () => {
  it('logs method, path, requestId, code and duration at debug — never the body', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write: (c: Buffer, _e, cb) => {
          lines.push(c.toString());
          cb();
        },
      }),
    });
    script = () => env('00000', { customerPaymentMethodId: 'pm_1', card: { brand: 'Visa', last4: '4242' } });
    await client({ logger }).createPaymentMethod({
      billingDetail: {
        address: { line1: '1 Road', city: 'Paris', country: 'FR' },
        email: 'a@b.fr',
        firstName: 'A',
        lastName: 'B',
        phone: '12',
      },
      card: { cardNo: '4242424242424242', cardExpireMonth: '12', cardExpireYear: '2040', cardSecurityCode: '321' },
    });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 20,
      method: 'POST',
      path: '/payment_methods',
      code: '00000',
      requestId: seen[0]!.headers['request-id'],
    });
    expect(typeof entry.durationMs).toBe('number');
    expect(lines[0]).not.toContain('4242424242424242');
    // The security code must not appear. Fields that are random or clock-made (request id,
    // timestamps, durations, pid) are left out first: '321' can occur in them by chance.
    const { time: _t, requestId: _r, durationMs: _d, pid: _p, ...rest } = entry as Record<string, unknown>;
    expect(JSON.stringify(rest)).not.toContain('321');
  });
});
