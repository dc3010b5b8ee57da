/**
 * Currencies AsiaBill charges in whole units only ("如果币种最小单位为元，则只能为整数").
 * A local set on purpose: validation must not drift if the engine's money table changes,
 * and this is exactly the list the gateway integration was specified against.
 */
export const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF', 'XPF',
  'BIF', 'DJF', 'GNF', 'KMF', 'PYG', 'RWF', 'VUV',
]);

export function isZeroDecimalCurrency(code: string): boolean {
  return ZERO_DECIMAL_CURRENCIES.has(code);
}
