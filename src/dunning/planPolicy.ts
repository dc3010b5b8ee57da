import { asc, eq, isNotNull } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { plans } from '../db/schema.ts';
import { BillingError, NotFoundError, ValidationError, errorMessage } from '../errors.ts';
import {
  DEFAULT_DUNNING_POLICY,
  effectivePolicy,
  parseDunningOverride,
  type DunningPolicy,
  type DunningPolicyOverride,
} from '../billing/dunningPolicy.ts';
import { validatePlanCode } from '../catalog/planPolicy.ts';

/**
 * The per-plan dunning override, stored on the plan (every version of its code, so running
 * subscriptions on older versions follow it too), and the effective policy shown to operators.
 */
export interface EffectiveDunningPolicy {
  /** `default` or the plan code whose override applies. */
  source: string;
  override: DunningPolicyOverride | null;
  policy: DunningPolicy;
}

export async function showDunningPolicy(
  ctx: Pick<AppContext, 'db'>,
  planCode?: string,
): Promise<EffectiveDunningPolicy> {
  if (planCode === undefined) return { source: 'default', override: null, policy: DEFAULT_DUNNING_POLICY };
  const code = validatePlanCode(planCode);
  const rows = await ctx.db.select().from(plans).where(eq(plans.code, code)).orderBy(asc(plans.version));
  const newest = rows.at(-1);
  if (!newest) throw new NotFoundError('plan', code);
  const override = newest.dunningPolicy ?? null;
  return { source: override ? code : 'default', override, policy: effectivePolicy(DEFAULT_DUNNING_POLICY, override) };
}

/** Validates the override as a whole (merged over the default) before anything is written. */
export async function setPlanDunningPolicy(
  ctx: Pick<AppContext, 'db'>,
  planCode: string,
  raw: unknown,
): Promise<EffectiveDunningPolicy> {
  const code = validatePlanCode(planCode);
  const override = raw === null ? null : parseDunningOverride(raw, 'policy');
  if (override) effectivePolicy(DEFAULT_DUNNING_POLICY, override);
  const updated = await ctx.db
    .update(plans)
    .set({ dunningPolicy: override })
    .where(eq(plans.code, code))
    .returning({ id: plans.id });
  if (updated.length === 0) throw new NotFoundError('plan', code);
  return showDunningPolicy(ctx, code);
}

export class DunningPolicyError extends BillingError {
  constructor(message: string) {
    super('DUNNING_POLICY', message);
  }
}

/** At start: every stored override must still make a valid policy, or the engine refuses to start. */
export async function checkStoredDunningPolicies(ctx: Pick<AppContext, 'db'>): Promise<void> {
  const rows = await ctx.db
    .select({ code: plans.code, version: plans.version, p: plans.dunningPolicy })
    .from(plans)
    .where(isNotNull(plans.dunningPolicy));
  for (const r of rows) {
    try {
      effectivePolicy(DEFAULT_DUNNING_POLICY, parseDunningOverride(r.p, `plans.${r.code}.v${r.version}.dunning`));
    } catch (err) {
      const detail = err instanceof ValidationError ? err.message : errorMessage(err);
      throw new DunningPolicyError(`bad dunning policy stored on plan ${r.code} v${r.version}: ${detail}`);
    }
  }
}
