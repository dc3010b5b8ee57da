import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { Queues } from '../../queue/connection.ts';
import { parseInput } from './input.ts';

/**
 * One admin API operation: its path, the zod schemas its input is validated with, and the
 * handler. The same schemas produce the OpenAPI document (openapi.ts), so the document
 * cannot drift from what the server accepts.
 *
 * Handlers call the same domain functions as the CLI commands and return JSON built by the
 * same views (src/cli/views), so both surfaces accept, refuse and answer alike.
 */
export interface ApiDeps {
  ctx: AppContext;
  /** To nudge the engine (test clock advance); null when the HTTP server runs without queues. */
  queues: Pick<Queues, 'triggerScan' | 'triggerReconcile'> | null;
}

export type HttpMethod = 'GET' | 'POST';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: HttpMethod;
  /** Below /v1, OpenAPI style: `/customers/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful answer (201 for creates). */
  status?: number;
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>, deps: ApiDeps): Promise<unknown>;
}

/** A route with its types erased, as the registry and the server see it. */
export interface ApiRoute {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  description: string | undefined;
  params: z.ZodType | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  status: number;
  run(raw: { params: unknown; query: unknown; body: unknown }, deps: ApiDeps): Promise<unknown>;
}

const NONE = z.strictObject({});
type None = typeof NONE;

export function defineRoute<P extends z.ZodType = None, Q extends z.ZodType = None, B extends z.ZodType = None>(
  def: RouteDef<P, Q, B>,
): ApiRoute {
  return {
    method: def.method,
    path: def.path,
    operationId: def.operationId,
    summary: def.summary,
    description: def.description,
    params: def.params,
    query: def.query,
    body: def.body,
    status: def.status ?? 200,
    async run(raw, deps) {
      // Path, then query, then body: the order a reader checks a request in.
      const params = parseInput((def.params ?? NONE) as P, raw.params ?? {}, 'path');
      const query = parseInput((def.query ?? z.object({})) as Q, raw.query ?? {}, 'query');
      const body = parseInput((def.body ?? z.object({})) as B, raw.body ?? {}, 'body');
      return def.handler({ params, query, body }, deps);
    },
  };
}

/** A resource: a tag in the OpenAPI document and the routes under it. */
export interface ApiResource {
  name: string;
  description: string;
  routes: ApiRoute[];
}
