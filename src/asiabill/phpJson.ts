/**
 * The second body form a notification signature is checked over (API.md §3): AsiaBill's PHP
 * SDK verifies over the body decoded and re-encoded with `json_encode(…, JSON_UNESCAPED_UNICODE)`,
 * which writes every `/` as `\/`. For the compact JSON AsiaBill sends, that is the raw text
 * with each unescaped `/` escaped — and only that: a body whose layout differs from what was
 * signed (re-indented, keys moved) is still refused, so the second form widens nothing but
 * the slash question. Which form AsiaBill signs is not documented (docs/gateway.md).
 *
 * Written from that documented behaviour, not from the SDK's code.
 */
export function slashEscapedForm(rawBody: string): string {
  // A `/` preceded by an even number of backslashes (zero included) is not escaped yet.
  return rawBody.replace(/(?<!\\)((?:\\\\)*)\//g, '$1\\/');
}
