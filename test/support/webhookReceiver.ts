import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature, type VerifyResult } from '../../src/events/signature.ts';

/**
 * A merchant's webhook receiver for tests: a plain node:http server (not the engine's code)
 * that records every request with its raw body, verifies the signature with the function we
 * export for merchants, and answers as the test's `answer` function says. `processed` is what
 * a real receiver would keep: each event id once, in arrival order.
 */
export interface ReceivedRequest {
  id: string;
  type: string;
  sequence: number;
  rawBody: string;
  signature: string | undefined;
  verified: VerifyResult;
  /** How many requests for this event id arrived before this one. */
  priorTries: number;
  status: number;
}

export type Answer = { status: number; delayMs?: number };

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Event ids answered 2xx, each once (a duplicate delivery does not add a second entry). */
  processed: string[];
  setSecret(secret: string): void;
  secret(): string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  answer: (r: Omit<ReceivedRequest, 'status'>) => Answer,
): Promise<WebhookReceiver> {
  let secret = '';
  const requests: ReceivedRequest[] = [];
  const processed: string[] = [];
  const tries = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['billing-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      const body = JSON.parse(rawBody) as { id: string; type: string; sequence: number };
      const priorTries = tries.get(body.id) ?? 0;
      tries.set(body.id, priorTries + 1);
      const base = {
        id: body.id,
        type: body.type,
        sequence: body.sequence,
        rawBody,
        signature,
        verified: verifySignature(rawBody, signature, secret),
        priorTries,
      };
      const a = answer(base);
      const finish = () => {
        requests.push({ ...base, status: a.status });
        // A receiver processes (and dedupes by id) before it answers.
        if (a.status >= 200 && a.status < 300 && !processed.includes(body.id)) processed.push(body.id);
        res.writeHead(a.status, { 'content-type': 'text/plain' });
        res.end(a.status < 300 ? 'ok' : 'try later');
      };
      if (a.delayMs) setTimeout(finish, a.delayMs);
      else finish();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    processed,
    setSecret(s) {
      secret = s;
    },
    secret: () => secret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
