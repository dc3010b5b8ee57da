/**
 * Wires every AsiaBill route into fastify with the gateway's request pipeline:
 * injected faults → authentication (L0001/L0003/L0005/L0004) → JSON parse → handler →
 * signed envelope. Bodies are read as raw text so the signature is checked over the exact
 * bytes received. Only method, path, request-id and code are logged; never bodies.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logger.ts';
import { AsiabillValidationError } from '../asiabill/errors.ts';
import { API_VERSION, ROUTES, type ApiBase, type RouteName } from '../asiabill/endpoints.ts';
import { signRequest } from '../asiabill/sign.ts';
import { authenticate, type ReplayGuard } from './auth.ts';
import type { KnobState } from './knobs.ts';
import { REQUEST_ERRORS, SandboxApiError, type ApiHandler } from './reply.ts';

export interface ApiRouteDeps {
  gatewayNo: string;
  signKey: string;
  logger: Logger;
  knobs: KnobState;
  guard: ReplayGuard;
  handlers: Record<RouteName, ApiHandler>;
  onRequest: () => void;
}

export const PAYMENT_PREFIX = `/${API_VERSION}`;
export const OPENAPI_PREFIX = `/openApi/${API_VERSION}`;

export function prefixOf(base: ApiBase): string {
  return base === 'payment' ? PAYMENT_PREFIX : OPENAPI_PREFIX;
}

interface Envelope {
  code: string;
  message: string;
  data: unknown;
}

/** Sends an envelope signed like a webhook: HMAC(gateway-no + response-id + response-time . body). */
function sendEnvelope(
  reply: FastifyReply,
  deps: ApiRouteDeps,
  requestId: string,
  env: Envelope,
  httpStatus = 200,
): FastifyReply {
  const body = JSON.stringify(env);
  const responseTime = String(Date.now());
  return reply
    .code(httpStatus)
    .header('gateway-no', deps.gatewayNo)
    .header('response-id', requestId)
    .header('response-time', responseTime)
    .header(
      'sign-info',
      signRequest({
        gatewayNo: deps.gatewayNo,
        requestId,
        requestTime: responseTime,
        rawBody: body,
        signKey: deps.signKey,
      }),
    )
    .type('application/json;charset=UTF-8')
    .send(body);
}

function headerOf(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Decoded query values (what AsiaBill signs), last one wins on repeats. */
function queryOf(req: FastifyRequest): Record<string, string> {
  const i = req.url.indexOf('?');
  return i < 0 ? {} : Object.fromEntries(new URLSearchParams(req.url.slice(i + 1)).entries());
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiRouteDeps): void {
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const route = ROUTES[name];
    const url = prefixOf(route.base) + route.path.replace(/\{(\w+)\}/g, ':$1');
    const handler = deps.handlers[name];
    app.route({
      method: route.method,
      url,
      handler: async (req, reply) => {
        deps.onRequest();
        const requestId = headerOf(req, 'request-id') ?? '';
        const answer = (env: Envelope, httpStatus = 200): FastifyReply => {
          deps.logger.debug({ method: route.method, path: route.path, requestId, code: env.code }, 'sandbox request');
          return sendEnvelope(reply, deps, requestId, env, httpStatus);
        };

        const injected = deps.knobs.takeFailure();
        if (injected !== undefined) {
          if (/^\d{3}$/.test(injected)) {
            deps.logger.debug(
              { method: route.method, path: route.path, requestId, httpStatus: injected },
              'sandbox injected HTTP failure',
            );
            return reply.code(Number(injected)).type('text/html').send('<html><body>Bad Gateway</body></html>');
          }
          return answer({ code: injected, message: 'injected failure', data: null });
        }

        const rawBody = typeof req.body === 'string' ? req.body : '';
        const pathParams = stringRecord(req.params);
        const query = queryOf(req);
        const refusal = authenticate(
          { header: (n) => headerOf(req, n), pathParams, query, rawBody },
          deps,
          deps.guard,
          Date.now(),
        );
        if (refusal) return answer({ code: refusal.code, message: refusal.message, data: null });

        let body: unknown;
        if (rawBody !== '') {
          try {
            body = JSON.parse(rawBody);
          } catch {
            return answer({ code: 'P0001', message: `${REQUEST_ERRORS.P0001}: body is not valid JSON`, data: null });
          }
        }
        try {
          const result = await handler({ params: pathParams, query, body, now: new Date() });
          if ('drop' in result) {
            deps.logger.debug({ method: route.method, path: route.path, requestId }, 'sandbox dropped the response');
            reply.hijack();
            req.raw.socket.destroy();
            return;
          }
          const code = deps.knobs.successCode ?? result.code ?? '00000';
          return answer({ code, message: 'success', data: result.data });
        } catch (err) {
          // Field rules are AsiaBill's P0001; the message names the field, never its value.
          if (err instanceof AsiabillValidationError)
            return answer({ code: 'P0001', message: `${REQUEST_ERRORS.P0001}: ${err.message}`, data: null });
          if (err instanceof SandboxApiError)
            return answer({ code: err.apiCode, message: err.message, data: null }, err.httpStatus);
          deps.logger.error(
            { method: route.method, path: route.path, requestId, err: err instanceof Error ? err.name : 'error' },
            'sandbox handler failed',
          );
          return answer({ code: 'S0001', message: REQUEST_ERRORS.S0001, data: null }, 500);
        }
      },
    });
  }

  app.setNotFoundHandler((req, reply) => {
    deps.onRequest();
    const requestId = headerOf(req, 'request-id') ?? '';
    deps.logger.debug({ method: req.method, requestId, code: 'L0002' }, 'sandbox unknown route');
    return sendEnvelope(reply, deps, requestId, { code: 'L0002', message: REQUEST_ERRORS.L0002, data: null }, 404);
  });
}
