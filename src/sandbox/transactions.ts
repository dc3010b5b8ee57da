/**
 * OpenAPI transaction queries. The search window is read as gateway time (UTC+8, see
 * gatewayTime.ts) and compared with each order's creation time; malformed times are
 * refused (P0001) rather than widening the search to everything.
 */
import type { TransactionPage, TransactionRecord } from '../asiabill/types.ts';
import { formatGatewayDateTime, parseGatewayTime } from '../asiabill/gatewayTime.ts';
import { validateTransactionSearch } from '../asiabill/validate.ts';
import { notFound } from './reply.ts';
import type { SandboxStore, StoredCharge } from './store.ts';

export function toTransactionRecord(c: StoredCharge): TransactionRecord {
  return {
    orderNo: c.orderNo,
    tradeNo: c.tradeNo,
    tradeDate: formatGatewayDateTime(c.createdAt),
    tradeAmount: c.amount,
    tradeCurrency: c.currency,
    tradeStatus: c.status,
    tradeInfo: c.orderInfo,
  };
}

export function searchTransactions(store: SandboxStore, query: unknown): TransactionPage {
  const q = validateTransactionSearch(query);
  // Both parse: validateTransactionSearch already refused anything else.
  const start = parseGatewayTime(q.startTime)?.getTime() ?? Number.NaN;
  const end = parseGatewayTime(q.endTime)?.getTime() ?? Number.NaN;
  const hits = store
    .allCharges()
    .filter((c) => {
      // endTime is inclusive to the second: 23:59:59 covers up to 23:59:59.999.
      const at = c.createdAt.getTime();
      return at >= start && at < end + 1000;
    })
    .filter(
      (c) =>
        (q.orderNo === undefined || c.orderNo === q.orderNo) && (q.tradeNo === undefined || c.tradeNo === q.tradeNo),
    )
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const pageIndex = q.pageIndex ?? 1;
  const pageSize = q.pageSize ?? 10;
  return {
    page: { total: hits.length, pageSize, pageIndex },
    list: hits.slice((pageIndex - 1) * pageSize, pageIndex * pageSize).map(toTransactionRecord),
  };
}

export function orderInfo(store: SandboxStore, tradeNo: string): TransactionRecord {
  const charge = store.chargeByTradeNo(tradeNo);
  if (!charge) throw notFound('tradeNo');
  return toTransactionRecord(charge);
}
