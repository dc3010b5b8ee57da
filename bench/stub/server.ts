/**
 * A minimal AsiaBill V2022-03 stand-in for the bench, run in its own process so that its CPU
 * is not the engine's. It answers every confirmCharge with `success` in the V2022-03 envelope
 * (`{code:"00000", message, data:{orderNo, orderStatus, orderInfo, orderAmount, orderCurrency,
 * tradeNo}}` — the fields the client reads), after an optional fixed latency. It does not
 * verify signatures (it only checks the headers are present), keeps no state, and sends no
 * notifications unless asked (`--notify`: one signed `transaction.success` per charge, to the
 * request's callbackUrl, the way AsiaBill would).
 *
 *   node --import tsx bench/stub/server.ts [--port 0] [--latency-ms 0] [--notify]
 *
 * Prints `STUB_LISTENING <url>` on stdout once it accepts connections. Not a sandbox: for
 * behaviour (declines, 3-D Secure, lost answers) use src/sandbox.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { signNotification } from '../../src/asiabill/notifications.ts';
import { SANDBOX_GATEWAY_NO, SANDBOX_SIGN_KEY } from '../../src/config.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const port = Number(arg('port', '0'));
const latencyMs = Number(arg('latency-ms', process.env.STUB_LATENCY_MS ?? '0'));
const notify = process.argv.includes('--notify') || process.env.STUB_NOTIFY === '1';
const gatewayNo = process.env.ASIABILL_GATEWAY_NO ?? SANDBOX_GATEWAY_NO;
const signKey = process.env.ASIABILL_SIGN_KEY ?? SANDBOX_SIGN_KEY;

let charges = 0;
let tradeSeq = 0;
const started = Date.now();

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    'response-time': String(Date.now()),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const tradePrefix = randomBytes(3).toString('hex');

function later(fn: () => void): void {
  if (latencyMs > 0) setTimeout(fn, latencyMs);
  else fn();
}

async function notifyCharge(callbackUrl: string, data: Record<string, string>): Promise<void> {
  const rawBody = JSON.stringify({ type: 'transaction.success', data: { transactionType: 'Sale', ...data } });
  const headers = signNotification({ gatewayNo, signKey, rawBody });
  try {
    await fetch(callbackUrl, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json;charset=UTF-8' },
      body: rawBody,
    });
  } catch {
    // A bench stand-in: a lost notification is the engine's problem to survive, not ours.
  }
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith('/__stub/stats')) {
    send(res, 200, { charges, uptimeMs: Date.now() - started });
    return;
  }
  if (req.method === 'GET' && url.includes('/transactions')) {
    // The reconciler's transaction search: this stub keeps no state, so nothing is found.
    send(res, 200, {
      code: '00000',
      message: 'success',
      data: { page: { pageIndex: 1, pageSize: 10, total: 0 }, list: [] },
    });
    return;
  }
  if (req.method !== 'POST' || !url.endsWith('/confirmCharge')) {
    send(res, 404, { code: 'P0001', message: `the bench stub only answers confirmCharge, not ${req.method} ${url}` });
    return;
  }
  readBody(req).then(
    (raw) => {
      if (!req.headers['sign-info'] || !req.headers['request-id'] || !req.headers['request-time']) {
        send(res, 200, { code: 'L0005', message: 'missing signature headers', data: null });
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        send(res, 200, { code: 'P0001', message: 'body is not JSON', data: null });
        return;
      }
      charges += 1;
      tradeSeq += 1;
      const data = {
        orderNo: String(body.orderNo ?? ''),
        tradeNo: `T${tradePrefix}${tradeSeq}`,
        orderStatus: 'success',
        orderInfo: 'Success',
        orderAmount: String(body.orderAmount ?? ''),
        orderCurrency: String(body.orderCurrency ?? ''),
      };
      later(() => {
        send(res, 200, { code: '00000', message: 'success', data });
        if (notify && typeof body.callbackUrl === 'string') void notifyCharge(body.callbackUrl, data);
      });
    },
    () => send(res, 400, { code: 'P0001', message: 'could not read the body', data: null }),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  const p = typeof a === 'object' && a ? a.port : port;
  process.stdout.write(`STUB_LISTENING http://127.0.0.1:${p}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
