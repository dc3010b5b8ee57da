import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatGatewayDateTime, formatGatewayTime, parseGatewayTime } from '../../../src/asiabill/gatewayTime.ts';

describe('gateway time (UTC+8 assumption)', () => {
  it('formats in UTC+8', () => {
    expect(formatGatewayTime(new Date('2022-02-20T16:00:00Z'))).toBe('2022-02-21T00:00:00');
    expect(formatGatewayDateTime(new Date('2022-04-26T09:47:18Z'))).toBe('2022-04-26 17:47:18');
  });

  it('parses its own format back', () => {
    expect(parseGatewayTime('2022-02-21T00:00:00')?.toISOString()).toBe('2022-02-20T16:00:00.000Z');
  });

  it.each([
    '2022-02-31T00:00:00',
    '2022-13-01T00:00:00',
    '2022-02-21 00:00:00',
    '2022-02-21T24:00:00',
    'yesterday',
    '',
  ])('refuses %j', (s) => {
    expect(parseGatewayTime(s)).toBeUndefined();
  });

  it('round-trips any second (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800 }), (seconds) => {
        const d = new Date(seconds * 1000);
        expect(parseGatewayTime(formatGatewayTime(d))?.getTime()).toBe(d.getTime());
      }),
    );
  });
});
