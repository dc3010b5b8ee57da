/**
 * The gateway's local time, used by `/transactions` `startTime`/`endTime` and by the
 * date strings AsiaBill puts in payloads (`noticeDate`, `tradeDate`).
 *
 * [assumption] AsiaBill never states the zone; its merchant portal runs on China time, so
 * we take UTC+8. This is the only place that knows it. Reconciliation queries should still
 * use a generous window (hours either side) so a wrong guess cannot hide a transaction.
 */
export const GATEWAY_UTC_OFFSET_MINUTES = 8 * 60;

const OFFSET_MS = GATEWAY_UTC_OFFSET_MINUTES * 60_000;
const QUERY_FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/** 'YYYY-MM-DDTHH:mm:ss' in gateway time, the `/transactions` query format. */
export function formatGatewayTime(at: Date): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 19);
}

/** 'YYYY-MM-DD HH:mm:ss' in gateway time, the format of `noticeDate`. */
export function formatGatewayDateTime(at: Date): string {
  return formatGatewayTime(at).replace('T', ' ');
}

/** Strict inverse of formatGatewayTime; undefined for anything malformed or impossible (month 13). */
export function parseGatewayTime(value: string): Date | undefined {
  const m = QUERY_FORMAT.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || s === undefined)
    return undefined;
  const utcMs = Date.UTC(y, mo - 1, d, h, mi, s) - OFFSET_MS;
  const parsed = new Date(utcMs);
  // Date.UTC rolls 2024-02-31 over to March; a round trip catches that.
  return formatGatewayTime(parsed) === value ? parsed : undefined;
}
