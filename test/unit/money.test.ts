import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CURRENCY_EXPONENTS,
  type Money,
  addMoney,
  assertPositive,
  currencyExponent,
  formatAmount,
  formatMoney,
  fromAsiabillOrderAmount,
  isCurrency,
  makeMoney,
  normalizeCurrency,
  parseAmount,
  parseMoney,
  sumByCurrency,
  sumMoney,
  toAsiabillOrderAmount,
} from '../../src/money.ts';
import { validationError } from '../support/validation.ts';

const CODES = Object.keys(CURRENCY_EXPONENTS);

describe('CURRENCY_EXPONENTS', () => {
  it('covers the active ISO 4217 list with the right exponents', () => {
    expect(CODES.length).toBeGreaterThanOrEqual(150);
    for (const code of CODES) expect(code).toMatch(/^[A-Z]{3}$/);
    for (const code of [
      'JPY',
      'KRW',
      'VND',
      'CLP',
      'ISK',
      'UGX',
      'XAF',
      'XOF',
      'XPF',
      'BIF',
      'DJF',
      'GNF',
      'KMF',
      'PYG',
      'RWF',
      'VUV',
      'UYI',
    ]) {
      expect([code, CURRENCY_EXPONENTS[code]]).toEqual([code, 0]);
    }
    for (const code of ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']) {
      expect([code, CURRENCY_EXPONENTS[code]]).toEqual([code, 3]);
    }
    expect(CURRENCY_EXPONENTS.CLF).toBe(4);
    expect(CURRENCY_EXPONENTS.UYW).toBe(4);
    for (const code of ['USD', 'EUR', 'GBP', 'CNY', 'HKD', 'SGD', 'AUD', 'INR', 'XCG', 'ZWG', 'SLE', 'VES']) {
      expect([code, CURRENCY_EXPONENTS[code]]).toEqual([code, 2]);
    }
    for (const value of Object.values(CURRENCY_EXPONENTS)) expect([0, 2, 3, 4]).toContain(value);
  });

  it('excludes codes without a minor unit and withdrawn codes', () => {
    for (const code of ['XAU', 'XAG', 'XPT', 'XPD', 'XDR', 'XTS', 'XXX', 'XSU', 'XUA', 'HRK', 'SLL', 'ZWL']) {
      expect([code, isCurrency(code)]).toEqual([code, false]);
    }
  });

  it('is frozen and ignores prototype keys', () => {
    expect(Object.isFrozen(CURRENCY_EXPONENTS)).toBe(true);
    expect(isCurrency('constructor')).toBe(false);
  });
});

describe('currencyExponent / normalizeCurrency', () => {
  it('returns the exponent of an upper-case code', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
  });

  it('rejects unknown codes', () => {
    const err = validationError(() => currencyExponent('XYZ'), 'currency', 'ISO 4217 code');
    expect(err.message).toBe('currency: "XYZ" is not an ISO 4217 currency (rule: ISO 4217 code)');
  });

  it('rejects lower case but suggests the upper-case code', () => {
    const err = validationError(() => currencyExponent('usd'), 'currency', 'ISO 4217 code');
    expect(err.message).toContain('did you mean "USD"');
  });

  it('normalizeCurrency upper-cases and trims, then validates', () => {
    expect(normalizeCurrency('usd')).toBe('USD');
    expect(normalizeCurrency(' jpy ')).toBe('JPY');
    validationError(() => normalizeCurrency('dollars'), 'currency', 'ISO 4217 code');
    validationError(() => normalizeCurrency('xau', 'price_currency'), 'price_currency', 'ISO 4217 code');
  });
});

describe('parseAmount / parseMoney examples', () => {
  const cases: Array<[string, string, number]> = [
    ['19.99', 'USD', 1999],
    ['0.05', 'USD', 5],
    ['0', 'USD', 0],
    ['7', 'USD', 700],
    ['7.5', 'USD', 750],
    ['007.50', 'USD', 750],
    ['1500', 'JPY', 1500],
    ['0', 'JPY', 0],
    ['1.000', 'KWD', 1000],
    ['1.5', 'KWD', 1500],
    ['0.001', 'BHD', 1],
    ['12.3456', 'CLF', 123456],
    ['9007199254740991', 'JPY', Number.MAX_SAFE_INTEGER],
    ['90071992547409.91', 'USD', Number.MAX_SAFE_INTEGER],
  ];
  for (const [text, currency, amount] of cases) {
    it(`parses "${text}" ${currency} as ${amount} minor units`, () => {
      expect(parseAmount(text, currency)).toEqual({ amount, currency });
      expect(parseMoney(`${text} ${currency}`)).toEqual({ amount, currency });
    });
  }

  it('parseMoney accepts a lower-case code and surrounding whitespace', () => {
    expect(parseMoney('  19.99   usd ')).toEqual({ amount: 1999, currency: 'USD' });
  });

  it('parseAmount ignores surrounding whitespace', () => {
    expect(parseAmount(' 19.99 ', 'USD')).toEqual({ amount: 1999, currency: 'USD' });
  });
});

describe('parse rejections', () => {
  it('too many decimals for the currency', () => {
    const err = validationError(() => parseAmount('19.999', 'USD'), 'amount', 'ISO 4217 exponent');
    expect(err.message).toBe(
      'amount: "19.999" has 3 decimal places but USD allows at most 2 (rule: ISO 4217 exponent)',
    );
    validationError(() => parseMoney('1500.5 JPY'), 'amount', 'ISO 4217 exponent');
    // Even zero decimals are refused for JPY: the user typed something JPY does not have.
    validationError(() => parseMoney('1500.00 JPY'), 'amount', 'ISO 4217 exponent');
    validationError(() => parseAmount('1.0000', 'KWD'), 'amount', 'ISO 4217 exponent');
    validationError(() => parseAmount('1.00000', 'CLF', 'price'), 'price', 'ISO 4217 exponent');
  });

  it('negative amounts', () => {
    const err = validationError(() => parseAmount('-1.00', 'USD'), 'amount', 'non-negative');
    expect(err.message).toContain('must not be negative');
    validationError(() => parseMoney('-5 JPY', 'price'), 'price', 'non-negative');
    validationError(() => parseAmount('-0', 'USD'), 'amount', 'non-negative');
  });

  it('exponent notation', () => {
    for (const text of ['1e3', '1.5E2', '2e-2', '1e+3']) {
      const err = validationError(() => parseAmount(text, 'USD'), 'amount', 'plain decimal');
      expect(err.message).toContain('exponent notation');
    }
  });

  it('thousands separators and decimal commas', () => {
    for (const text of ['1,000.00', '1 000', "1'000", '19,99', '1_000']) {
      validationError(() => parseAmount(text, 'USD'), 'amount', 'plain decimal');
    }
  });

  it('empty input', () => {
    const err = validationError(() => parseAmount('', 'USD'), 'amount', 'required');
    expect(err.message).toBe('amount: must not be empty (rule: required)');
    validationError(() => parseAmount('   ', 'USD', 'price'), 'price', 'required');
    validationError(() => parseMoney(''), 'amount');
    validationError(() => parseMoney('   '), 'amount');
  });

  it('letters and other non-decimal shapes', () => {
    for (const text of ['abc', '12a', 'USD', '1.2.3', '.5', '5.', '+5', '0x10', 'Infinity', 'NaN', '１２']) {
      validationError(() => parseAmount(text, 'USD'), 'amount', 'plain decimal');
    }
  });

  it('parseMoney shape errors', () => {
    validationError(() => parseMoney('19.99'), 'amount', 'AMOUNT CURRENCY');
    validationError(() => parseMoney('19.99 USD extra'), 'amount', 'AMOUNT CURRENCY');
    // "USD 19.99" is a bad currency in the second position, reported against the field.
    validationError(() => parseMoney('USD 19.99', 'price'), 'price', 'ISO 4217 code');
  });

  it('unknown currency', () => {
    validationError(() => parseAmount('1', 'XYZ'), 'currency', 'ISO 4217 code');
    validationError(() => parseAmount('1', 'XAU'), 'currency', 'ISO 4217 code');
    validationError(() => parseMoney('1 XYZ', 'price'), 'price', 'ISO 4217 code');
    validationError(() => parseAmount('1', 'XYZ', 'price', 'price_currency'), 'price_currency', 'ISO 4217 code');
  });

  it('lower-case currency in parseAmount is rejected (callers normalize first)', () => {
    validationError(() => parseAmount('1', 'usd'), 'currency', 'ISO 4217 code');
  });

  it('beyond safe integer', () => {
    validationError(() => parseAmount('9007199254740992', 'JPY'), 'amount', 'safe integer');
    validationError(() => parseAmount('90071992547409.92', 'USD'), 'amount', 'safe integer');
    validationError(() => parseAmount('1'.repeat(40), 'USD'), 'amount', 'safe integer');
    validationError(() => makeMoney(2 ** 53, 'USD'), 'amount', 'safe integer');
    validationError(() => makeMoney(1.5, 'USD'), 'amount', 'safe integer');
    validationError(() => formatAmount({ amount: 0.1, currency: 'USD' }), 'amount', 'safe integer');
  });
});

describe('formatAmount / formatMoney', () => {
  const cases: Array<[Money, string]> = [
    [{ amount: 1999, currency: 'USD' }, '19.99'],
    [{ amount: 5, currency: 'USD' }, '0.05'],
    [{ amount: 0, currency: 'USD' }, '0.00'],
    [{ amount: 1500, currency: 'JPY' }, '1500'],
    [{ amount: 0, currency: 'JPY' }, '0'],
    [{ amount: 1000, currency: 'KWD' }, '1.000'],
    [{ amount: 1, currency: 'KWD' }, '0.001'],
    [{ amount: 123456, currency: 'CLF' }, '12.3456'],
    [{ amount: -5, currency: 'USD' }, '-0.05'],
    [{ amount: Number.MAX_SAFE_INTEGER, currency: 'USD' }, '90071992547409.91'],
  ];
  for (const [m, text] of cases) {
    it(`${m.amount} ${m.currency} → "${text}"`, () => {
      expect(formatAmount(m)).toBe(text);
    });
  }

  it('formatMoney appends the code', () => {
    expect(formatMoney({ amount: 1999, currency: 'USD' })).toBe('19.99 USD');
    expect(formatMoney({ amount: 1500, currency: 'JPY' })).toBe('1500 JPY');
  });

  it('rejects unknown currencies', () => {
    validationError(() => formatAmount({ amount: 1, currency: 'XXX' }), 'currency', 'ISO 4217 code');
  });
});

describe('AsiaBill orderAmount', () => {
  it('renders zero- and two-decimal currencies with their own exponent', () => {
    expect(toAsiabillOrderAmount({ amount: 1500, currency: 'JPY' })).toBe('1500');
    expect(toAsiabillOrderAmount({ amount: 1999, currency: 'USD' })).toBe('19.99');
    expect(toAsiabillOrderAmount({ amount: 990, currency: 'USD' })).toBe('9.90');
    expect(toAsiabillOrderAmount({ amount: 5, currency: 'USD' })).toBe('0.05');
  });

  it('renders 3- and 4-decimal currencies with 2 decimals when exact', () => {
    expect(toAsiabillOrderAmount({ amount: 1500, currency: 'KWD' })).toBe('1.50');
    expect(toAsiabillOrderAmount({ amount: 12340, currency: 'KWD' })).toBe('12.34');
    expect(toAsiabillOrderAmount({ amount: 10, currency: 'KWD' })).toBe('0.01');
    expect(toAsiabillOrderAmount({ amount: 123400, currency: 'CLF' })).toBe('12.34');
  });

  it('refuses to round 3- and 4-decimal amounts', () => {
    const err = validationError(
      () => toAsiabillOrderAmount({ amount: 1505, currency: 'KWD' }),
      'orderAmount',
      'at most 2 decimals',
    );
    expect(err.message).toContain('1.505 KWD');
    validationError(() => toAsiabillOrderAmount({ amount: 1, currency: 'KWD' }), 'orderAmount', 'at most 2 decimals');
    validationError(
      () => toAsiabillOrderAmount({ amount: 123401, currency: 'CLF' }),
      'orderAmount',
      'at most 2 decimals',
    );
    validationError(
      () => toAsiabillOrderAmount({ amount: 123410, currency: 'CLF' }),
      'orderAmount',
      'at most 2 decimals',
    );
  });

  it('refuses negative amounts', () => {
    validationError(() => toAsiabillOrderAmount({ amount: -1, currency: 'USD' }), 'orderAmount', 'non-negative');
  });

  it('parses AsiaBill strings back leniently', () => {
    expect(fromAsiabillOrderAmount('9.9', 'USD')).toEqual({ amount: 990, currency: 'USD' });
    expect(fromAsiabillOrderAmount('9.90', 'USD')).toEqual({ amount: 990, currency: 'USD' });
    expect(fromAsiabillOrderAmount('9.900', 'USD')).toEqual({ amount: 990, currency: 'USD' });
    expect(fromAsiabillOrderAmount('9', 'USD')).toEqual({ amount: 900, currency: 'USD' });
    expect(fromAsiabillOrderAmount('1500', 'JPY')).toEqual({ amount: 1500, currency: 'JPY' });
    expect(fromAsiabillOrderAmount('1500.00', 'JPY')).toEqual({ amount: 1500, currency: 'JPY' });
    expect(fromAsiabillOrderAmount('1.5', 'KWD')).toEqual({ amount: 1500, currency: 'KWD' });
  });

  it('rejects non-zero digits beyond the exponent and malformed strings', () => {
    validationError(() => fromAsiabillOrderAmount('9.991', 'USD'), 'orderAmount', 'ISO 4217 exponent');
    validationError(() => fromAsiabillOrderAmount('1500.5', 'JPY'), 'orderAmount', 'ISO 4217 exponent');
    validationError(() => fromAsiabillOrderAmount('-1', 'USD'), 'orderAmount', 'non-negative');
    validationError(() => fromAsiabillOrderAmount('', 'USD'), 'orderAmount', 'required');
    validationError(() => fromAsiabillOrderAmount('1e2', 'USD'), 'orderAmount', 'plain decimal');
    validationError(() => fromAsiabillOrderAmount('1', 'XYZ'), 'currency', 'ISO 4217 code');
  });

  it('round-trips every representable amount', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODES), fc.integer({ min: 0, max: 1e13 }), (currency, raw) => {
        const exponent = CURRENCY_EXPONENTS[currency] ?? 2;
        // Make the amount representable in 2 decimals for 3/4-decimal currencies.
        const unit = exponent > 2 ? 10 ** (exponent - 2) : 1;
        const m = { amount: raw * unit, currency };
        expect(fromAsiabillOrderAmount(toAsiabillOrderAmount(m), currency)).toEqual(m);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('assertPositive / arithmetic', () => {
  it('assertPositive', () => {
    expect(() => assertPositive({ amount: 1, currency: 'USD' })).not.toThrow();
    validationError(() => assertPositive({ amount: 0, currency: 'USD' }), 'amount', 'positive');
    validationError(() => assertPositive({ amount: -1, currency: 'USD' }, 'price'), 'price', 'positive');
  });

  it('addMoney adds integers and enforces one currency', () => {
    expect(addMoney({ amount: 1999, currency: 'USD' }, { amount: 1, currency: 'USD' })).toEqual({
      amount: 2000,
      currency: 'USD',
    });
    validationError(
      () => addMoney({ amount: 1, currency: 'USD' }, { amount: 1, currency: 'EUR' }),
      'currency',
      'same currency',
    );
    validationError(
      () => addMoney({ amount: Number.MAX_SAFE_INTEGER, currency: 'JPY' }, { amount: 1, currency: 'JPY' }),
      'amount',
      'safe integer',
    );
    validationError(
      () => addMoney({ amount: 0.5, currency: 'USD' }, { amount: 1, currency: 'USD' }),
      'amount',
      'safe integer',
    );
  });

  it('sums the classic float trap exactly', () => {
    // 0.1 + 0.2 in floats is 0.30000000000000004; in minor units it is just 30.
    const total = sumMoney([parseMoney('0.10 USD'), parseMoney('0.20 USD')], 'USD');
    expect(formatAmount(total)).toBe('0.30');
  });

  it('sumMoney enforces the currency; empty sums to zero', () => {
    expect(sumMoney([], 'KWD')).toEqual({ amount: 0, currency: 'KWD' });
    validationError(() => sumMoney([{ amount: 1, currency: 'EUR' }], 'USD'), 'currency', 'same currency');
  });

  it('sumByCurrency groups and sorts by code', () => {
    const totals = sumByCurrency([
      { amount: 100, currency: 'USD' },
      { amount: 5, currency: 'JPY' },
      { amount: 250, currency: 'USD' },
      { amount: 1, currency: 'EUR' },
    ]);
    expect(totals).toEqual([
      { amount: 1, currency: 'EUR' },
      { amount: 5, currency: 'JPY' },
      { amount: 350, currency: 'USD' },
    ]);
    expect(sumByCurrency([])).toEqual([]);
  });
});

describe('properties', () => {
  const currency = fc.constantFrom(...CODES);
  const safeBigInt = fc
    .bigInt({ min: 0n, max: 2n ** 60n })
    .map((b) => (b > BigInt(Number.MAX_SAFE_INTEGER) ? b % (BigInt(Number.MAX_SAFE_INTEGER) + 1n) : b))
    .map((b) => Number(b));

  it('parseAmount(formatAmount(m)) deep-equals m (integers up to 1e15)', () => {
    fc.assert(
      fc.property(currency, fc.integer({ min: 0, max: 1e15 }), (cur, amount) => {
        const m = { amount, currency: cur };
        expect(parseAmount(formatAmount(m), cur)).toEqual(m);
        expect(parseMoney(formatMoney(m))).toEqual(m);
      }),
      { numRuns: 5000 },
    );
  });

  it('parseAmount(formatAmount(m)) deep-equals m (whole safe-integer range)', () => {
    fc.assert(
      fc.property(currency, safeBigInt, (cur, amount) => {
        const m = { amount, currency: cur };
        expect(parseAmount(formatAmount(m), cur)).toEqual(m);
      }),
      { numRuns: 5000 },
    );
  });

  it('formatAmount has exactly `exponent` decimals and no float artefacts', () => {
    fc.assert(
      fc.property(currency, safeBigInt, (cur, amount) => {
        const text = formatAmount({ amount, currency: cur });
        const exponent = CURRENCY_EXPONENTS[cur] ?? -1;
        expect(text).toMatch(exponent === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${exponent}}$`));
        // Removing the point must give back the integer's own digits (modulo leading zeros).
        expect(BigInt(text.replace('.', ''))).toBe(BigInt(amount));
      }),
      { numRuns: 5000 },
    );
  });

  it('formatAmount(parseAmount(s)) normalises: leading zeros dropped, decimals padded', () => {
    const decimalText = currency.chain((cur) => {
      const exponent = CURRENCY_EXPONENTS[cur] ?? 0;
      const digits = (min: number, max: number) =>
        fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
      const frac = exponent === 0 ? fc.constant('') : digits(0, exponent);
      // At most 15 significant digits in minor units, so every value is a safe integer
      // (16 digits can pass 2^53: 907000000000 CLF is 9.07e15 minor units, and is refused).
      return fc.tuple(fc.constant(cur), digits(1, 15 - exponent), frac);
    });
    fc.assert(
      fc.property(decimalText, ([cur, intPart, fracPart]) => {
        const exponent = CURRENCY_EXPONENTS[cur] ?? 0;
        const text = fracPart === '' ? intPart : `${intPart}.${fracPart}`;
        const formatted = formatAmount(parseAmount(text, cur));
        const expectedInt = intPart.replace(/^0+(?=\d)/, '');
        const expected = exponent === 0 ? expectedInt : `${expectedInt}.${fracPart.padEnd(exponent, '0')}`;
        expect(formatted).toBe(expected);
        // Idempotent once normalised.
        expect(formatAmount(parseAmount(formatted, cur))).toBe(formatted);
      }),
      { numRuns: 5000 },
    );
  });

  it('more decimals than the exponent is always rejected', () => {
    fc.assert(
      fc.property(currency, fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 3 }), (cur, whole, extra) => {
        const exponent = CURRENCY_EXPONENTS[cur] ?? 0;
        const text = `${whole}.${'5'.repeat(exponent + extra)}`;
        validationError(() => parseAmount(text, cur), 'amount', 'ISO 4217 exponent');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('source hygiene', () => {
  it('src/money.ts uses no floating-point conversion helpers', () => {
    const source = readFileSync(new URL('../../src/money.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/parseFloat|toFixed|toPrecision|Math\.round|Math\.pow|[\w)\]]\s*\*\*\s*[\w(]/);
    // Number(...) is only ever applied to a BigInt (the range-checked minor units).
    const numberCalls = source.match(/Number\((?!\.)[^)]*\)/g) ?? [];
    for (const call of numberCalls) expect(call).toMatch(/^Number\((minor|sum)\)$/);
  });
});
