import { randomUUID } from 'node:crypto';
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import type { Logger } from '../logger.ts';

/**
 * A request id on every HTTP log line: fastify logs through a pino child of the engine's
 * logger that carries `reqId` (taken from an incoming `X-Request-Id`, else a fresh UUID), and
 * handlers hand workflows a context whose logger is that same child, so a workflow's lines
 * (a notification being applied, say) carry the id too. The id is echoed as `X-Request-Id`.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

export function httpLoggingOptions(logger: Logger) {
  const loggerInstance: FastifyBaseLogger = logger.child({ part: 'http' });
  return {
    loggerInstance,
    requestIdHeader: REQUEST_ID_HEADER,
    // Our own two lines instead of fastify's: its `responseTime` is a float with a dozen
    // digits, which a card-number scan of the logs (rightly) cannot tell from a PAN.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
  };
}

/** Echoes the request id and logs each request: arrival (debug) and completion (info). */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    req.log.debug({ method: req.method, url: req.url }, 'incoming request');
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      { method: req.method, url: req.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });
}

/** The app context for one request: the same, with the request's logger. */
export function requestContext(ctx: AppContext, req: FastifyRequest): AppContext {
  // fastify's request logger is a pino child of `loggerInstance`, so it is a pino Logger.
  return { ...ctx, logger: req.log as Logger };
}
