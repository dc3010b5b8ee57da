/**
 * Last line of defence for text we did not write (gateway messages, transport errors):
 * mask any standalone 13–19 digit run that passes Luhn, i.e. anything that could be a PAN.
 * Our own messages never contain card data in the first place.
 */
import { passesLuhn } from './luhn.ts';

const DIGIT_RUN = /(?<!\d)\d{13,19}(?!\d)/g;

export function redactCardNumbers(text: string): string {
  return text.replace(DIGIT_RUN, (run) => (passesLuhn(run) ? `${run.slice(0, 6)}***${run.slice(-4)}` : run));
}
