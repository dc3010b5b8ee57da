import { redactCardNumbers } from '../asiabill/redact.ts';

/**
 * Error text the CLI did not compose itself — commander's usage messages above all — can
 * quote what was typed: `unknown option '--card-numbr=4242…'` would put a card number
 * (or `--cvv=123` a security code) on stderr, into CI logs and terminal scrollback. So
 * values attached to quoted options are hidden, and anything left that looks like a card
 * number is masked. Our own messages never contain card data to begin with.
 */
const QUOTED_OPTION_VALUE = /'(--?[A-Za-z0-9][\w-]*)=[^']*'/g;

export function redactErrorText(text: string): string {
  return redactCardNumbers(text.replace(QUOTED_OPTION_VALUE, "'$1=…'"));
}
