import { formatMoney, type Money } from '../money.ts';

/**
 * How every command prints. Two audiences: people read aligned tables and key/value
 * listings; scripts read `--json`, which is always one JSON document (an object, or an
 * array of objects each carrying its `id`) so it can be piped straight into `jq`.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Minor units for programs, the formatted text for people, side by side. */
export interface MoneyJson extends JsonObject {
  amount: number;
  currency: string;
  display: string;
}

export function moneyJson(m: Money): MoneyJson {
  return { amount: m.amount, currency: m.currency, display: formatMoney(m) };
}

/** Shown in human output for absent values, so columns never look shifted. */
export const EMPTY_CELL = '-';

export function cell(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? EMPTY_CELL : String(value);
}

/** "2025-02-28T02:00:00Z": second precision is enough to read, and fits a column. */
export function formatTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Right alignment lines up the decimal points of amounts. */
  align?: 'left' | 'right';
}

const COLUMN_GAP = '  ';

/**
 * Header plus one line per row, each column padded to its widest cell. Trailing spaces are
 * trimmed so that output diffs and copy-pastes cleanly. Widths count terminal columns, not
 * UTF-16 units, so names in Chinese or Japanese (two columns per character) still align.
 */
export function formatTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string[] {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.value(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => displayWidth(line[i] ?? ''))));
  return cells.map((line) =>
    line
      .map((text, i) => pad(text, widths[i] ?? 0, columns[i]?.align ?? 'left'))
      .join(COLUMN_GAP)
      .trimEnd(),
  );
}

/** "key:  value" lines with the values aligned. */
export function formatKeyValue(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.max(0, ...pairs.map(([k]) => displayWidth(k) + 1));
  return pairs.map(([k, v]) => `${pad(`${k}:`, width, 'left')}${COLUMN_GAP}${v}`.trimEnd());
}

export function formatJson(value: JsonValue): string {
  return JSON.stringify(value, null, 2);
}

/** The one place that decides between the two forms, so every command behaves the same. */
export function emit(
  out: (s: string) => void,
  json: boolean | undefined,
  value: JsonValue,
  human: () => string[],
): void {
  if (json === true) {
    out(formatJson(value));
    return;
  }
  for (const line of human()) out(line);
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * Terminal columns taken by `text`: 2 for East Asian wide and full-width characters, 0 for
 * combining marks, 1 otherwise. A small table rather than a dependency; it covers the
 * scripts customer names actually use (CJK, Hangul, full-width forms).
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if ((cp >= 0x0300 && cp <= 0x036f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
