/**
 * startSandbox: a local, in-memory AsiaBill V2022-03 over real HTTP (fastify), for tests,
 * demos and `billing sandbox`. Same paths, envelopes, signatures and refusals as the real
 * gateway; test cards (cards.ts) choose the outcome; notifications are delivered and
 * retried like AsiaBill's. See types.ts for the Sandbox handle.
 */
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../logger.ts';
import { Accounts } from './accounts.ts';
import { ReplayGuard } from './auth.ts';
import { ChargeEngine } from './charges.ts';
import { buildHandlers } from './handlers.ts';
import { registerHelperRoutes } from './helperRoutes.ts';
import { registerCardForm, SessionTokens } from './cardForm.ts';
import { KnobState } from './knobs.ts';
import { Holds } from './holds.ts';
import { Notifier } from './notifier.ts';
import { Refunds } from './refunds.ts';
import { OPENAPI_PREFIX, PAYMENT_PREFIX, registerApiRoutes } from './routes.ts';
import { SandboxStore } from './store.ts';
import { loadSnapshot, saveSnapshot } from './persistence.ts';
import type { Logger } from '../logger.ts';
import type { Sandbox, SandboxOptions } from './types.ts';

/** AsiaBill's public test credentials (API.md §1). */
export const SANDBOX_DEFAULT_GATEWAY_NO = '12246002';
export const SANDBOX_DEFAULT_SIGN_KEY = '12H4567r';

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const gatewayNo = opts.gatewayNo ?? SANDBOX_DEFAULT_GATEWAY_NO;
  const signKey = opts.signKey ?? SANDBOX_DEFAULT_SIGN_KEY;
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? silentLogger;

  const knobs = new KnobState(opts.notify);
  const store = new SandboxStore();
  if (opts.stateFile) loadSnapshot(store, opts.stateFile);
  const notifier = new Notifier({ gatewayNo, signKey, logger, knobs: () => knobs.notify });
  let url = '';
  const charges = new ChargeEngine({ store, notifier, baseUrl: () => url });
  const accounts = new Accounts(store);
  const refunds = new Refunds(store, notifier, knobs);
  const holds = new Holds();
  const sessionTokens = new SessionTokens();
  let requests = 0;

  // No fastify request logging: URLs are harmless but we keep sandbox logs to what we choose.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  // Raw text for every body: the signature is over the exact bytes received.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  registerApiRoutes(app, {
    gatewayNo,
    signKey,
    logger,
    knobs,
    guard: new ReplayGuard(),
    handlers: buildHandlers({ accounts, charges, refunds, store, knobs, holds, sessionTokens }),
    onRequest: () => {
      requests++;
    },
  });
  registerHelperRoutes(app, { gatewayNo, signKey, store, charges, knobs });
  registerCardForm(app, { accounts, sessionTokens });

  await app.listen({ port: opts.port ?? 0, host });
  const { port } = app.server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, gatewayNo }, 'AsiaBill sandbox listening');

  let closed = false;
  const saver = opts.stateFile ? setInterval(() => saveQuietly(store, opts.stateFile ?? '', logger), 1000) : null;
  return {
    url,
    paymentUrl: url + PAYMENT_PREFIX,
    openapiUrl: url + OPENAPI_PREFIX,
    gatewayNo,
    signKey,
    ledger: () => store.ledger(),
    dump: () => ({
      customers: [...store.customers.values()].map((c) => ({ ...c })),
      paymentMethods: [...store.paymentMethods.values()].map((pm) => ({ ...pm, card: { ...pm.card } })),
      charges: store.ledger(),
      refunds: [...store.refunds.values()].map((r) => ({ ...r })),
    }),
    requestCount: () => requests,
    completeThreeDS: async (key, outcome) => {
      charges.complete(key, outcome, new Date());
    },
    setKnobs: (k) => knobs.set(k),
    settleRefund: (key, outcome, o) => refunds.settle(key, outcome, new Date(), o),
    flushNotifications: () => notifier.flush(),
    pendingNotifications: () => notifier.pending(),
    heldResponses: () => holds.size(),
    releaseLateNotifications: () => notifier.releaseLate(),
    notificationStats: () => notifier.stats(),
    releaseHeldResponses: () => {
      const n = holds.size();
      holds.releaseAll();
      return n;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      notifier.close();
      holds.releaseAll();
      await app.close();
      if (saver) clearInterval(saver);
      if (opts.stateFile) saveQuietly(store, opts.stateFile, logger);
    },
  };
}

function saveQuietly(store: SandboxStore, file: string, logger: Logger): void {
  try {
    saveSnapshot(store, file);
  } catch (err) {
    logger.warn({ file, err: err instanceof Error ? err.message : String(err) }, 'could not save sandbox state');
  }
}
