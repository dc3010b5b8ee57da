import { ValidationError } from '../errors.ts';
import { assertPositive, normalizeCurrency, parseAmount, toAsiabillOrderAmount, type Money } from '../money.ts';
import { parseInterval, type Interval } from '../billing/periods.ts';
import { integerInRange, requiredText } from '../validation/text.ts';

/**
 * What a plan may be: the limits are business policy, named here so that changing one is a
 * one-line diff with an obvious reason, not a magic number inside a validator.
 */

/** Letters/digits first so codes never look like options ("-x") or hidden files (".x"). */
export const PLAN_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/;
export const PLAN_CODE_MAX_LENGTH = 50;
export const PLAN_NAME_LENGTH = { min: 1, max: 200 } as const;

/**
 * Longest billing period we accept, per interval unit: five years whichever unit is used,
 * because multi-year contracts (3- and 5-year terms) are sold. Longer is almost always a typo
 * (365 months). A term this long outlives most card expiry dates: the renewal then fails and
 * dunning asks for a new card, as for any expired card.
 */
export const MAX_INTERVAL_COUNT: Readonly<Record<Interval, number>> = Object.freeze({
  day: 1827,
  week: 261,
  month: 60,
  year: 5,
});

/** Two years of free trial is already generous; more is a mistake in days-vs-months. */
export const MAX_TRIAL_DAYS = 730;

export interface PlanInput {
  code: string;
  name: string;
  /** Decimal text in major units ("19.99"); never a float. */
  amount: string;
  currency: string;
  interval: string;
  intervalCount?: number;
  trialDays?: number;
}

/** A plan's definition after validation: what gets stored, minus identity and status. */
export interface PlanTerms {
  code: string;
  name: string;
  price: Money;
  interval: Interval;
  intervalCount: number;
  trialDays: number;
}

export function validatePlanCode(code: string, field = 'code'): string {
  if (code.length > PLAN_CODE_MAX_LENGTH) {
    throw new ValidationError(
      field,
      `at most ${PLAN_CODE_MAX_LENGTH} characters`,
      `is ${code.length} characters long; the limit is ${PLAN_CODE_MAX_LENGTH}`,
    );
  }
  if (!PLAN_CODE_PATTERN.test(code)) {
    throw new ValidationError(
      field,
      PLAN_CODE_PATTERN.source,
      `"${code}" must start with a letter or digit and contain only letters, digits, "_", "." and "-"`,
    );
  }
  return code;
}

/** Pure: throws a ValidationError for the first bad field, in the order a user reads them. */
export function validatePlanInput(input: PlanInput): PlanTerms {
  const code = validatePlanCode(input.code);
  const name = requiredText(input.name, 'name', PLAN_NAME_LENGTH);
  const currency = normalizeCurrency(input.currency);
  const price = parseAmount(input.amount, currency);
  assertPositive(price, 'amount');
  // Every renewal sends this price as AsiaBill's orderAmount (at most 2 decimals): refuse a
  // price the gateway could never be asked for (e.g. 1.234 KWD) now, not at the first renewal.
  try {
    toAsiabillOrderAmount(price);
  } catch {
    throw new ValidationError(
      'amount',
      'AsiaBill orderAmount: at most 2 decimals',
      `${input.amount} ${currency} cannot be charged through AsiaBill, which accepts at most 2 decimal places`,
    );
  }
  const interval = parseInterval(input.interval);
  const max = MAX_INTERVAL_COUNT[interval];
  const intervalCount = integerInRange(
    input.intervalCount ?? 1,
    'intervalCount',
    1,
    max,
    `1-${max} for interval ${interval}`,
  );
  const trialDays = integerInRange(input.trialDays ?? 0, 'trialDays', 0, MAX_TRIAL_DAYS);
  return { code, name, price, interval, intervalCount, trialDays };
}
