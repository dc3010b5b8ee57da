import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Customer } from '../asiabill/types.ts';
import type { RefundEntry, StoredPaymentMethod } from './types.ts';
import type { SandboxStore, StoredCharge } from './store.ts';

/**
 * Optional persistence of the sandbox's state to a JSON file, so a developer who restarts
 * `billing run` keeps the customers, payment methods and charges the engine refers to (a
 * real gateway doesn't forget them either). The state holds no card data by construction.
 * Written atomically (temp file + rename) at most once per interval, and on close.
 */
interface Snapshot {
  version: 1;
  customers: Customer[];
  paymentMethods: StoredPaymentMethod[];
  charges: Array<Omit<StoredCharge, 'createdAt'> & { createdAt: string }>;
  refunds: RefundEntry[];
}

export function loadSnapshot(store: SandboxStore, file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0; // first run: nothing saved yet
  }
  const s = JSON.parse(text) as Snapshot;
  if (s.version !== 1) throw new Error(`sandbox state ${file}: unknown version ${String(s.version)}`);
  for (const c of s.customers) store.customers.set(c.customerId, c);
  for (const pm of s.paymentMethods) store.paymentMethods.set(pm.customerPaymentMethodId, pm);
  for (const ch of s.charges) store.addCharge({ ...ch, createdAt: new Date(ch.createdAt) });
  for (const r of s.refunds) store.refunds.set(r.batchNo, r);
  return s.customers.length + s.paymentMethods.length + s.charges.length;
}

export function saveSnapshot(store: SandboxStore, file: string): void {
  const s: Snapshot = {
    version: 1,
    customers: [...store.customers.values()],
    paymentMethods: [...store.paymentMethods.values()],
    charges: store.allCharges().map((c) => ({ ...c, createdAt: c.createdAt.toISOString() })),
    refunds: [...store.refunds.values()],
  };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, file);
}
