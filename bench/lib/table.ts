/** A plain aligned text table (first column left-aligned, the rest right-aligned), also valid Markdown. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0))).join(' | ')} |`;
  const sep = `|${w.map((n, i) => (i === 0 ? `${'-'.repeat(n + 1)}-` : `${'-'.repeat(n + 1)}:`)).join('|')}|`;
  return [line(head), sep, ...cells.map(line)].join('\n');
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  return n.toFixed(digits);
}
