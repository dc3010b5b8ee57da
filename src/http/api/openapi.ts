import { z } from 'zod';
import { API_ERROR_CODES } from './errors.ts';
import { API_PREFIX } from './index.ts';
import type { ApiResource, ApiRoute } from './route.ts';

/**
 * The OpenAPI 3.1 document, generated from the very zod schemas the routes validate with
 * (zod 4's native `z.toJSONSchema`; OpenAPI 3.1 schemas are JSON Schema 2020-12), so what is
 * documented is what is accepted.
 */
type Json = Record<string, unknown>;

function toSchema(s: z.ZodType): Json {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(s, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return withoutSafeIntegerBounds(schema) as Json;
}

/** zod's `.int()` states ±2^53-1 as bounds; that is JSON's integer range, not a rule worth showing. */
function withoutSafeIntegerBounds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSafeIntegerBounds);
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if ((k === 'minimum' || k === 'maximum') && Math.abs(Number(x)) === Number.MAX_SAFE_INTEGER) continue;
    out[k] = withoutSafeIntegerBounds(x);
  }
  return out;
}

const ERROR_SCHEMA: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'field'],
      properties: {
        code: { type: 'string', enum: Object.keys(API_ERROR_CODES) },
        message: { type: 'string' },
        field: { type: ['string', 'null'], description: 'the input field at fault, when there is one' },
      },
    },
  },
};

function parameters(route: ApiRoute): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (schema === undefined) continue;
    const js = toSchema(schema);
    const props = (js.properties ?? {}) as Record<string, Json>;
    const required = new Set((js.required ?? []) as string[]);
    for (const [name, prop] of Object.entries(props)) {
      const { description, ...rest } = prop;
      out.push({ name, in: where, required: where === 'path' || required.has(name), description, schema: rest });
    }
  }
  if (route.method === 'POST')
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      description: 'a replay with the same key returns the first response; the same key with another body is a 409',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  return out;
}

export function buildOpenApi(resources: readonly ApiResource[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const resource of resources) {
    for (const route of resource.routes) {
      const path = API_PREFIX + route.path;
      paths[path] ??= {};
      const op: Json = {
        operationId: route.operationId,
        summary: route.summary,
        ...(route.description !== undefined ? { description: route.description } : {}),
        tags: [resource.name],
        parameters: parameters(route),
        responses: {
          [String(route.status)]: { description: 'success', content: { 'application/json': { schema: {} } } },
          default: {
            description: 'an error; `code` is stable (see docs/api.md)',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      };
      if (route.body !== undefined && route.method === 'POST')
        op.requestBody = { required: false, content: { 'application/json': { schema: toSchema(route.body) } } };
      const pathOps = paths[path];
      pathOps[route.method.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'asiabill-billing admin API',
      version,
      description:
        'Every route needs `Authorization: Bearer <BILLING_ADMIN_TOKEN>`; every POST an `Idempotency-Key`. Lists take `limit` and `starting_after` and answer `{ data, hasMore }`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: resources.map((r) => ({ name: r.name, description: r.description })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}
