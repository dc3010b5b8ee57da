import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.ts';
import { presentedToken, tokenMatches } from './auth.ts';
import { ApiError, errorResponse, toErrorResponse, type ApiResponse } from './errors.ts';
import { IDEMPOTENCY_KEY, requestFingerprint, type IdempotencyStore } from './idempotency.ts';
import type { ApiDeps, ApiResource, ApiRoute } from './route.ts';

/**
 * The admin HTTP API under /v1: bearer-token auth on every route, an `Idempotency-Key` on
 * every POST, JSON errors with stable codes, and one request pipeline for every route in the
 * registry. Routes only validate and call domain functions; this file owns the protocol.
 */
export const API_PREFIX = '/v1';

/** Field names that mean card data: refused outright, before anything (even a hash) is stored. */
const CARD_FIELDS: readonly string[] = ['cardNumber', 'cardNo', 'cvc', 'cvv', 'cardSecurityCode', 'securityCode'];

export interface AdminApiOptions {
  deps: ApiDeps;
  token: string;
  idempotency: IdempotencyStore;
  resources: readonly ApiResource[];
}

/** Refuses a request without the right token; `challenge` picks what a browser is asked for. */
export function requireToken(token: string, challenge: 'Bearer' | 'Basic') {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (tokenMatches(presentedToken(req.headers.authorization), token)) return;
    const r = errorResponse(
      'unauthorized',
      'missing or wrong admin token (Authorization: Bearer <BILLING_ADMIN_TOKEN>)',
    );
    await reply
      .code(r.status)
      .header('www-authenticate', `${challenge} realm="billing-admin"`)
      .type('application/json')
      .send(JSON.stringify(r.body));
  };
}

export async function adminApiPlugin(scope: FastifyInstance, opts: AdminApiOptions): Promise<void> {
  scope.addHook('onRequest', requireToken(opts.token, 'Bearer'));
  scope.setNotFoundHandler((req, reply) => {
    const r = errorResponse('route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
    return reply.code(r.status).type('application/json').send(JSON.stringify(r.body));
  });
  scope.setErrorHandler((err: { statusCode?: number; message?: string }, _req, reply) => {
    // Errors fastify raises before our handler runs (body too large, bad content type…).
    const status = err.statusCode ?? 500;
    const r =
      status >= 400 && status < 500
        ? { status, body: { error: { code: 'validation_error', message: err.message ?? 'bad request', field: null } } }
        : errorResponse('internal_error', 'internal error; see the engine log');
    return reply.code(r.status).type('application/json').send(JSON.stringify(r.body));
  });
  for (const resource of opts.resources) {
    for (const route of resource.routes) {
      scope.route({
        method: route.method,
        url: route.path.replace(/\{(\w+)\}/g, ':$1'),
        handler: (req, reply) => handle(route, req, reply, opts),
      });
    }
  }
}

async function handle(route: ApiRoute, req: FastifyRequest, reply: FastifyReply, opts: AdminApiOptions) {
  const log = opts.deps.ctx.logger.child({ reqId: req.id });
  const path = req.url.split('?')[0] ?? req.url;
  const send = (r: ApiResponse | { status: number; text: string }, replayed = false) => {
    const text = 'text' in r ? r.text : JSON.stringify(r.body);
    log.info({ method: req.method, path, status: r.status, replayed }, 'admin api request');
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(r.status).type('application/json').send(text);
  };

  let body: unknown;
  try {
    body = parseJsonBody(req.body);
    refuseCardData(body);
  } catch (err) {
    return send(toErrorResponse(err));
  }

  let key: string | undefined;
  if (route.method === 'POST') {
    const header = req.headers['idempotency-key'];
    key = typeof header === 'string' ? header : undefined;
    if (key === undefined || !IDEMPOTENCY_KEY.test(key)) {
      return send(
        errorResponse(
          'idempotency_key_required',
          'every POST needs an Idempotency-Key header: 1-255 printable ASCII characters, e.g. a UUID',
          'Idempotency-Key',
        ),
      );
    }
    const begun = await opts.idempotency.begin({
      key,
      method: req.method,
      path,
      fingerprint: requestFingerprint(req.method, path, body),
    });
    if (begun.kind === 'replay') return send({ status: begun.response.status, text: begun.response.body }, true);
    if (begun.kind === 'mismatch')
      return send(
        errorResponse(
          'idempotency_key_reused',
          'this Idempotency-Key was used for a different request (method, path or body); use a new key',
          'Idempotency-Key',
        ),
      );
    if (begun.kind === 'in_progress')
      return send(
        errorResponse(
          'idempotency_key_in_use',
          'a request with this Idempotency-Key is still being processed; retry later',
          'Idempotency-Key',
        ),
      );
  }

  let response: ApiResponse;
  try {
    const result = await route.run({ params: req.params, query: req.query, body }, opts.deps);
    response = { status: route.status, body: result };
  } catch (err) {
    const mapped = toErrorResponse(err);
    if (mapped.internal) log.error({ err: mapped.detail, operation: route.operationId }, 'admin api request failed');
    response = mapped;
  }
  const text = JSON.stringify(response.body);
  if (key !== undefined) {
    try {
      await opts.idempotency.complete(key, { status: response.status, body: text });
    } catch (err) {
      // The work is done; only the replay record is missing. The key stays "in progress".
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'could not store the idempotent response');
    }
  }
  return send({ status: response.status, text });
}

function parseJsonBody(raw: unknown): unknown {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ValidationError('body', 'JSON', 'is not valid JSON');
  }
}

/** The first card field anywhere in the body (nested objects too, e.g. `{ card: { cardNo } }`). */
function cardField(value: unknown, depth = 0): string | undefined {
  if (value === null || typeof value !== 'object' || depth > 4) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (CARD_FIELDS.includes(k)) return k;
    const inner = cardField(v, depth + 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function refuseCardData(body: unknown): void {
  const found = cardField(body);
  if (found !== undefined)
    throw new ApiError(
      'validation_error',
      `${found}: the admin API never accepts card data; collect the card with AsiaBill's browser SDK (POST /v1/session-token) and send the pm_… id (rule: no card data)`,
      found,
    );
}
