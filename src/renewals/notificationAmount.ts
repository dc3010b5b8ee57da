import { fromAsiabillOrderAmount } from '../money.ts';

/** The result recorded for a notification whose amount or currency is not the attempt's. */
export const AMOUNT_MISMATCH = 'amount_mismatch';

/**
 * Does a notification's stated amount and currency match the charge attempt it names? A
 * notification that would move an attempt must state exactly what we asked to charge: a
 * mismatch (or a missing or unreadable amount) is stored and alerted, never applied — an
 * outcome for different money is not this attempt's outcome, whatever its signature.
 */
export function notificationMatchesAttempt(
  stated: { orderAmount: string | null; orderCurrency: string | null },
  attempt: { amount: number; currency: string },
): boolean {
  if (stated.orderCurrency === null || stated.orderAmount === null) return false;
  if (stated.orderCurrency.trim() !== attempt.currency) return false;
  try {
    return fromAsiabillOrderAmount(stated.orderAmount, attempt.currency).amount === attempt.amount;
  } catch {
    return false;
  }
}
