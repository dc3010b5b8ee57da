/**
 * Sandbox identifiers in AsiaBill's formats: `cus_`/`pm_` + 19 digits, 22-digit tradeNo.
 * The 19-digit parts start with 1 like AsiaBill's snowflake ids — which also means they can
 * never be mistaken for a card number (issued card numbers start with 2–6).
 */
import { randomInt } from 'node:crypto';
import { formatGatewayTime } from '../asiabill/gatewayTime.ts';

function randomDigits(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += String(randomInt(10));
  return out;
}

export function newCustomerId(): string {
  return `cus_1${randomDigits(18)}`;
}

export function newPaymentMethodId(): string {
  return `pm_1${randomDigits(18)}`;
}

/** yyyyMMddHHmmss (gateway time) + 8 random digits = 22 digits, like 2022041810092544882449. */
export function newTradeNo(now: Date): string {
  return formatGatewayTime(now).replace(/\D/g, '') + randomDigits(8);
}

/** [assumption] batchNo format is undocumented; same shape as tradeNo. */
export function newBatchNo(now: Date): string {
  return newTradeNo(now);
}

export function newSessionToken(): string {
  return randomDigits(8) + Date.now().toString(36).toUpperCase() + randomDigits(8);
}
