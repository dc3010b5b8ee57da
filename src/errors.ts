/**
 * Typed errors with a stable `code`, so callers branch on codes, not on messages.
 * `ValidationError` is the one every user-facing surface maps to "bad input":
 * exit code 2 in the CLI, HTTP 400 in the API. It names the field, the rule and the problem.
 */
export class BillingError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ValidationError extends BillingError {
  readonly field: string;
  readonly rule: string;
  constructor(field: string, rule: string, problem: string) {
    super('VALIDATION', `${field}: ${problem} (rule: ${rule})`);
    this.field = field;
    this.rule = rule;
  }
}

export class NotFoundError extends BillingError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} not found`);
  }
}

export class ConflictError extends BillingError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
