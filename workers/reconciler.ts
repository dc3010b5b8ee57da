// The reconciler alone: looks up charge attempts whose outcome is unknown (AsiaBill's
// transaction search) on its own queue, so a slow gateway search never delays renewals.
// `worker:scheduler` (and `billing run`) run it too; safe to run more than one.
import { main } from '../src/process.ts';

main('reconciler', { http: false, scheduler: false, charge: false, sandbox: false, reconcile: true });
