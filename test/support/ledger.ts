import type { LedgerEntry } from '../../src/sandbox/types.ts';

/** The sandbox gateway's own record of every order, over its HTTP helper route. */
export async function fetchLedger(sandboxUrl: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${sandboxUrl}/__sandbox/ledger`);
  if (!res.ok) throw new Error(`ledger: HTTP ${res.status}`);
  return (await res.json()) as LedgerEntry[];
}

/** Successful orders whose orderNo starts with the invoice id (orderNo = `<invoiceId>-<attemptNo>`). */
export async function paidOrdersOf(sandboxUrl: string, invoiceId: string): Promise<LedgerEntry[]> {
  return (await fetchLedger(sandboxUrl)).filter((e) => e.orderNo.startsWith(`${invoiceId}-`) && e.status === 'success');
}
