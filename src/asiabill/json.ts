/**
 * JSON.parse that keeps integers beyond 2^53 exact by reading them as strings.
 *
 * AsiaBill documents identifiers as strings but its own schema examples show `tradeNo`
 * (22 digits) as a JSON number; plain JSON.parse would silently round it and we would
 * reconcile against the wrong transaction. Only unsafe integers are touched; everything
 * else parses exactly as JSON.parse would.
 */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

const NUMBER_CHAR = /[0-9.eE+-]/;

function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '"') {
      // Skip the whole string literal so digits inside text are never rewritten.
      i++;
      while (i < text.length && text.charAt(i) !== '"') i += text.charAt(i) === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const start = i;
      i++;
      while (i < text.length && NUMBER_CHAR.test(text.charAt(i))) i++;
      const token = text.slice(start, i);
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copiedUpTo, start)}"${token}"`;
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  return out + text.slice(copiedUpTo);
}
