import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSuccessCode, parseEnvelope, unwrapEnvelope } from '../../../src/asiabill/envelope.ts';
import { AsiabillApiError, AsiabillShapeError, AsiabillTransportError } from '../../../src/asiabill/errors.ts';
import { parseJsonLossless } from '../../../src/asiabill/json.ts';
import { decodeChargeResult, decodeTransactionPage } from '../../../src/asiabill/decode.ts';

describe('success codes', () => {
  it.each(['0', '0000', '00000'])('%s is success', (code) => {
    expect(isSuccessCode(code)).toBe(true);
    expect(unwrapEnvelope({ code, message: 'success', data: { ok: 1 } }, 200)).toEqual({ ok: 1 });
  });

  it.each(['', '00001', '10000', 'L0005', 'P0001', 'S0001', ' 0000'])('%j is not success', (code) => {
    expect(isSuccessCode(code)).toBe(false);
  });

  // The seed's confirmCharge response example (issue 9, item 9).
  it.each(['success', 'SUCCESS', 'Success'])('%s is success', (code) => {
    expect(isSuccessCode(code)).toBe(true);
    expect(unwrapEnvelope({ code, message: 'success', data: { ok: 1 } }, 200)).toEqual({ ok: 1 });
  });

  it.each(['successful', 'success0', '0success', 'fail'])('%j is not success', (code) => {
    expect(isSuccessCode(code)).toBe(false);
  });

  it('a numeric code 0 is success', () => {
    const env = parseEnvelope('{"code":0,"message":"ok","data":null}', 200);
    expect(env.code).toBe('0');
    expect(isSuccessCode(env.code)).toBe(true);
  });
});

describe('error codes become typed errors', () => {
  it.each([
    ['L0005', 'check sign info error'],
    ['L0003', 'requestTime outside range'],
    ['P0001', 'request param error: orderNo'],
    ['S0001', 'api request error'],
  ])('%s → AsiabillApiError with that code', (code, message) => {
    const env = parseEnvelope(JSON.stringify({ code, message, data: null }), 200);
    try {
      unwrapEnvelope(env, 200);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AsiabillApiError);
      const e = err as AsiabillApiError;
      expect(e.code).toBe(code);
      expect(e.apiMessage).toBe(message);
      expect(e.httpStatus).toBe(200);
    }
  });

  it('scrubs a card number quoted by the gateway', () => {
    const e = new AsiabillApiError('P0001', 'bad cardNo 4242424242424242');
    expect(e.message).not.toContain('4242424242424242');
  });

  it.each(['<html>Bad Gateway</html>', '', '[]', '{"message":"no code"}', '"0000"'])(
    'unreadable body %j → bad_response',
    (body) => {
      try {
        parseEnvelope(body, 200);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(AsiabillTransportError);
        expect((err as AsiabillTransportError).reason).toBe('bad_response');
      }
    },
  );
});

describe('parseJsonLossless', () => {
  it('keeps a 22-digit tradeNo exact', () => {
    const v = parseJsonLossless('{"tradeNo":2022041810092544882449,"n":12,"s":"2022041810092544882449 x"}');
    expect(v).toEqual({ tradeNo: '2022041810092544882449', n: 12, s: '2022041810092544882449 x' });
  });

  it('leaves digits inside strings (with escapes) alone', () => {
    expect(parseJsonLossless('{"a":"\\"12345678901234567890","b":[99999999999999999999]}')).toEqual({
      a: '"12345678901234567890',
      b: ['99999999999999999999'],
    });
  });

  it('equals JSON.parse for documents without unsafe integers (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const hasUnsafe = /(?<![\w."])-?\d{16,}(?![\d.eE])/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
        fc.pre(!hasUnsafe);
        expect(parseJsonLossless(text)).toEqual(JSON.parse(text));
      }),
    );
  });
});

describe('decoders accept numbers where strings are expected', () => {
  it('confirmCharge data', () => {
    const r = decodeChargeResult(
      {
        orderNo: 'A1',
        tradeNo: '2022041810092544882449',
        orderStatus: 'success',
        orderAmount: 9.5,
        orderCurrency: 'USD',
        orderInfo: 'ok',
      },
      'A1',
    );
    expect(r).toMatchObject({
      orderNo: 'A1',
      tradeNo: '2022041810092544882449',
      orderAmount: '9.5',
      orderStatus: 'success',
    });
  });

  it('refuses an unknown orderStatus or another orderNo', () => {
    expect(() => decodeChargeResult({ orderNo: 'A1', orderStatus: 'approved' }, 'A1')).toThrow(AsiabillShapeError);
    expect(() => decodeChargeResult({ orderNo: 'B2', orderStatus: 'success' }, 'A1')).toThrow(AsiabillShapeError);
  });

  it('transaction pages with numeric counters as text', () => {
    const page = decodeTransactionPage({
      page: { total: '1', pageSize: 10, pageIndex: '1' },
      list: [
        {
          orderNo: 123,
          tradeNo: '2022041810092544882449',
          tradeStatus: 'fail',
          tradeAmount: 10,
          tradeCurrency: 'USD',
          tradeInfo: 'x',
          tradeDate: 'd',
        },
      ],
    });
    expect(page.page).toEqual({ total: 1, pageSize: 10, pageIndex: 1 });
    expect(page.list[0]).toMatchObject({ orderNo: '123', tradeAmount: '10', tradeStatus: 'fail' });
  });
});
