import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { PAGE_LIMIT } from '../../db/paging.ts';

/**
 * Request parsing with zod. A schema failure becomes the engine's ValidationError (field, rule,
 * problem), the same error class every domain check throws, so an HTTP client sees one error
 * shape whether the type was wrong (zod) or a business rule was broken (domain).
 * Schemas check shape and type only; value rules live in the domain functions the CLI uses.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue === undefined) throw new ValidationError(where, 'schema', 'is invalid');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? where;
    throw new ValidationError(key, 'known field', `is not a field of this request (${issue.keys.join(', ')})`);
  }
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : where;
  throw new ValidationError(field, issue.code, issue.message);
}

/** `limit` and `starting_after` of every list endpoint. */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_LIMIT.max)
    .default(PAGE_LIMIT.default)
    .describe(`page size, 1-${PAGE_LIMIT.max} (default ${PAGE_LIMIT.default})`),
  starting_after: z.string().min(1).optional().describe('the last id of the previous page'),
};

export const idParam = (description: string) => z.strictObject({ id: z.string().min(1).describe(description) });
