import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import type { AppContext } from '../context.ts';
import { plans } from '../db/schema.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { formatMoney } from '../money.ts';
import { validatePlanCode, validatePlanInput, type PlanInput, type PlanTerms } from './planPolicy.ts';

/**
 * The plan catalogue. Plans are immutable: a price change is a new version under the same
 * code, so a running subscription (which snapshots its price) and its invoices always point
 * at the exact terms they were sold under. New subscriptions take the newest version.
 */
export type Plan = typeof plans.$inferSelect;

export interface PlanWithVersions {
  /** The newest version: what new subscriptions get. */
  plan: Plan;
  /** Every version, oldest first. */
  versions: Plan[];
}

export async function createPlan(ctx: Pick<AppContext, 'db' | 'time'>, input: PlanInput): Promise<Plan> {
  // All validation before the transaction opens: bad input writes nothing and costs no lock.
  const terms = validatePlanInput(input);
  const now = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    await lockPlanCode(tx, terms.code);
    const newest = (await versionsOf(tx, terms.code)).at(-1);
    if (newest?.status === 'archived') {
      throw new ConflictError(
        `plan ${terms.code} is archived; archived codes get no new versions (create the plan under a new code)`,
      );
    }
    if (newest !== undefined && sameTerms(newest, terms)) {
      throw new ConflictError(
        `plan ${terms.code} version ${newest.version} already has exactly these terms; nothing to create`,
      );
    }
    const [created] = await tx
      .insert(plans)
      .values({
        id: newId(ID_PREFIX.plan),
        code: terms.code,
        version: (newest?.version ?? 0) + 1,
        name: terms.name,
        amount: terms.price.amount,
        currency: terms.price.currency,
        interval: terms.interval,
        intervalCount: terms.intervalCount,
        trialDays: terms.trialDays,
        status: 'active',
        createdAt: now,
      })
      .returning();
    if (created === undefined) throw new Error('insert into plans returned no row');
    await recordEvent(tx, {
      type: 'plan.created',
      subjectType: 'plan',
      subjectId: created.id,
      data: planEventData(created),
      occurredAt: now,
    });
    return created;
  });
}

/** The newest version of every code, by code; archived codes only when asked for. */
export async function listPlans(db: DbOrTx, opts: { includeArchived?: boolean } = {}): Promise<Plan[]> {
  const newest = await db.selectDistinctOn([plans.code]).from(plans).orderBy(asc(plans.code), desc(plans.version));
  return opts.includeArchived === true ? newest : newest.filter((p) => p.status === 'active');
}

export async function getPlanByCode(db: DbOrTx, code: string): Promise<PlanWithVersions> {
  validatePlanCode(code);
  const versions = await versionsOf(db, code);
  const plan = versions.at(-1);
  if (plan === undefined) throw new NotFoundError('plan', code);
  return { plan, versions };
}

/** What subscription creation uses: the newest version, refused when the plan is retired. */
export async function getLatestActivePlan(db: DbOrTx, code: string): Promise<Plan> {
  const { plan } = await getPlanByCode(db, code);
  if (plan.status !== 'active') {
    throw new ConflictError(`plan ${code} is archived; new subscriptions cannot use it`);
  }
  return plan;
}

/**
 * Retires a code: every version, so no old version can be picked up by mistake. Running
 * subscriptions are untouched (they carry their own price snapshot). Archiving twice is
 * reported rather than silently accepted, so an operator notices a typo'd code or a
 * double run of a script.
 */
export async function archivePlan(ctx: Pick<AppContext, 'db' | 'time'>, code: string): Promise<Plan[]> {
  validatePlanCode(code);
  const now = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    await lockPlanCode(tx, code);
    const versions = await versionsOf(tx, code);
    if (versions.length === 0) throw new NotFoundError('plan', code);
    if (versions.every((v) => v.status === 'archived')) {
      throw new ConflictError(`plan ${code} is already archived`);
    }
    const archived = await tx
      .update(plans)
      .set({ status: 'archived' })
      .where(and(eq(plans.code, code), eq(plans.status, 'active')))
      .returning();
    for (const version of archived) {
      await recordEvent(tx, {
        type: 'plan.archived',
        subjectType: 'plan',
        subjectId: version.id,
        data: planEventData(version),
        occurredAt: now,
      });
    }
    return archived.sort((a, b) => a.version - b.version);
  });
}

async function versionsOf(db: DbOrTx, code: string): Promise<Plan[]> {
  return db.select().from(plans).where(eq(plans.code, code)).orderBy(asc(plans.version));
}

/**
 * Serialises writers of one code, so two concurrent creates get versions N+1 and N+2 (or a
 * clean "identical" conflict) instead of one failing on plans_code_version_uq. The unique
 * index stays as the backstop. Transaction-scoped: released at commit or rollback.
 */
async function lockPlanCode(tx: DbOrTx, code: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`plan:${code}`}))`);
}

function sameTerms(p: Plan, t: PlanTerms): boolean {
  return (
    p.name === t.name &&
    p.amount === t.price.amount &&
    p.currency === t.price.currency &&
    p.interval === t.interval &&
    p.intervalCount === t.intervalCount &&
    p.trialDays === t.trialDays
  );
}

function planEventData(p: Plan): Record<string, unknown> {
  return {
    code: p.code,
    version: p.version,
    name: p.name,
    amount: p.amount,
    currency: p.currency,
    display: formatMoney({ amount: p.amount, currency: p.currency }),
    interval: p.interval,
    intervalCount: p.intervalCount,
    trialDays: p.trialDays,
    status: p.status,
  };
}
