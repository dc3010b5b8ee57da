import { describe, it, expect } from 'vitest';
import { displayWidth, emit, formatKeyValue, formatTable, moneyJson, type Column } from '../../../src/cli/output.ts';

interface Row {
  code: string;
  amount: string;
}

const columns: Column<Row>[] = [
  { header: 'CODE', value: (r) => r.code },
  { header: 'AMOUNT', value: (r) => r.amount, align: 'right' },
  { header: 'NOTE', value: () => '-' },
];

describe('formatTable', () => {
  it('pads every column to its widest cell, right-aligning where asked', () => {
    const lines = formatTable(columns, [
      { code: 'basic', amount: '9.99 USD' },
      { code: 'enterprise-yearly', amount: '1999.00 USD' },
    ]);
    expect(lines).toEqual([
      'CODE                    AMOUNT  NOTE',
      'basic                 9.99 USD  -',
      'enterprise-yearly  1999.00 USD  -',
    ]);
    // Every column starts at the same offset on every line.
    const noteAt = lines.map((l) => l.lastIndexOf(' ') + 1);
    expect(new Set(noteAt).size).toBe(1);
  });

  it('prints just the header for no rows and trims trailing spaces', () => {
    expect(
      formatTable(
        [
          { header: 'ID', value: (r: Row) => r.code },
          { header: 'X', value: () => '' },
        ],
        [],
      ),
    ).toEqual(['ID  X']);
    const lines = formatTable(
      [
        { header: 'A', value: (r: Row) => r.code },
        { header: 'B', value: () => '' },
      ],
      [{ code: 'long value', amount: '' }],
    );
    expect(lines).toEqual(['A           B', 'long value']);
  });

  it('counts wide (CJK) characters as two columns', () => {
    expect(displayWidth('王小明')).toBe(6);
    expect(displayWidth('José')).toBe(4);
    const lines = formatTable(
      [
        { header: 'NAME', value: (r: Row) => r.code },
        { header: 'ID', value: () => 'x' },
      ],
      [
        { code: '王小明', amount: '' },
        { code: 'Bob', amount: '' },
      ],
    );
    expect(lines).toEqual(['NAME    ID', '王小明  x', 'Bob     x']);
  });
});

describe('formatKeyValue', () => {
  it('aligns values after the longest key', () => {
    expect(
      formatKeyValue([
        ['id', 'plan_1'],
        ['interval', 'month'],
        ['trial', ''],
      ]),
    ).toEqual(['id:        plan_1', 'interval:  month', 'trial:']);
  });
});

describe('money and json', () => {
  it('renders money as minor units plus display text', () => {
    expect(moneyJson({ amount: 1999, currency: 'USD' })).toEqual({
      amount: 1999,
      currency: 'USD',
      display: '19.99 USD',
    });
    expect(moneyJson({ amount: 1500, currency: 'JPY' })).toEqual({
      amount: 1500,
      currency: 'JPY',
      display: '1500 JPY',
    });
  });

  it('emits one JSON document with --json and the human lines otherwise', () => {
    const out: string[] = [];
    emit(
      (s) => out.push(s),
      true,
      [{ id: 'a' }],
      () => ['human'],
    );
    expect(JSON.parse(out.join('\n'))).toEqual([{ id: 'a' }]);
    out.length = 0;
    emit(
      (s) => out.push(s),
      false,
      [{ id: 'a' }],
      () => ['line 1', 'line 2'],
    );
    expect(out).toEqual(['line 1', 'line 2']);
  });
});
