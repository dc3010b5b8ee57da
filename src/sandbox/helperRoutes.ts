/**
 * Test helpers over HTTP, outside AsiaBill's API (unsigned, under /__sandbox/):
 *   GET  /__sandbox/ledger                  every order the sandbox recorded
 *   GET  /__sandbox/3ds/:tradeNo?result=…   the 3-D Secure challenge page / its outcome
 *   GET  /__sandbox/pay/:tradeNo?result=…   the hosted checkout page / its outcome
 *   POST /__sandbox/knobs                   change notification and fault knobs
 * A completed page answers with the signed returnUrl redirect (302 when `redirect=1`).
 */
import type { FastifyInstance } from 'fastify';
import { buildSignedReturnUrl } from '../asiabill/returnUrl.ts';
import type { ChargeEngine } from './charges.ts';
import { parseKnobs, type KnobState } from './knobs.ts';
import { SandboxApiError } from './reply.ts';
import type { SandboxStore, StoredCharge } from './store.ts';

export interface HelperDeps {
  gatewayNo: string;
  signKey: string;
  store: SandboxStore;
  charges: ChargeEngine;
  knobs: KnobState;
}

/** AsiaBill's returnUrl redirect for a finished order; undefined when returnUrl is not a URL. */
export function signedReturnUrl(charge: StoredCharge, deps: HelperDeps): string | undefined {
  try {
    return buildSignedReturnUrl(
      charge.returnUrl,
      {
        code: '0000',
        gatewayNo: deps.gatewayNo,
        maskCardNo: charge.maskCardNo ?? '',
        merNo: deps.gatewayNo.slice(0, 5),
        message: charge.status === 'success' ? 'Success' : 'Fail',
        orderAmount: charge.amount,
        orderCurrency: charge.currency,
        orderInfo: charge.orderInfo,
        orderNo: charge.orderNo,
        orderStatus: charge.status,
        tradeNo: charge.tradeNo,
      },
      deps.signKey,
    );
  } catch {
    return undefined;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function registerHelperRoutes(app: FastifyInstance, deps: HelperDeps): void {
  app.get('/__sandbox/ledger', async () => deps.store.ledger());

  app.post('/__sandbox/knobs', async (req, reply) => {
    try {
      deps.knobs.set(parseKnobs(JSON.parse(typeof req.body === 'string' && req.body !== '' ? req.body : '{}')));
      return { ok: true, notify: deps.knobs.notify };
    } catch (err) {
      return reply.code(400).send({ error: err instanceof Error ? err.message : 'bad knobs' });
    }
  });

  for (const page of ['3ds', 'pay'] as const) {
    app.get<{ Params: { tradeNo: string }; Querystring: { result?: string; redirect?: string } }>(
      `/__sandbox/${page}/:tradeNo`,
      async (req, reply) => {
        const { tradeNo } = req.params;
        const result = req.query.result;
        if (result !== 'success' && result !== 'fail') {
          const charge = deps.store.chargeByTradeNo(tradeNo);
          if (!charge) return reply.code(404).type('text/plain').send('unknown order');
          const title = page === '3ds' ? '3-D Secure challenge' : 'AsiaBill sandbox payment page';
          const t = encodeURIComponent(tradeNo);
          return reply
            .type('text/html')
            .send(
              `<!doctype html><title>${title}</title><h1>${title}</h1><p>Order ${escapeHtml(charge.orderNo)}: ${escapeHtml(charge.amount)} ${escapeHtml(charge.currency)}</p>` +
                `<a href="/__sandbox/${page}/${t}?result=success&redirect=1">Approve</a> <a href="/__sandbox/${page}/${t}?result=fail&redirect=1">Fail</a>`,
            );
        }
        try {
          const charge = deps.charges.complete(tradeNo, result, new Date());
          const returnUrl = signedReturnUrl(charge, deps);
          if (req.query.redirect === '1' && returnUrl !== undefined) return reply.redirect(returnUrl);
          return {
            orderNo: charge.orderNo,
            tradeNo: charge.tradeNo,
            orderStatus: charge.status,
            orderInfo: charge.orderInfo,
            returnUrl,
          };
        } catch (err) {
          if (err instanceof SandboxApiError) return reply.code(err.httpStatus).send({ error: err.message });
          throw err;
        }
      },
    );
  }
}
