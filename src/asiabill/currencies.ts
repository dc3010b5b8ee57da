import { currencyExponent, isCurrency } from '../money.ts';

/**
 * Currencies AsiaBill charges in whole units only ("如果币种最小单位为元，则只能为整数"):
 * those whose ISO 4217 exponent is 0, read from the engine's one currency table so the
 * gateway validation and the amounts the engine renders can never disagree.
 */
export function isZeroDecimalCurrency(code: string): boolean {
  return isCurrency(code) && currencyExponent(code) === 0;
}
