// A charge worker: takes charge jobs and makes exactly one confirmCharge attempt per job.
// Run as many as you like, on as many machines as you like (BILLING_CHARGE_CONCURRENCY each).
import { main } from '../src/process.ts';

main('charge-worker', { http: false, scheduler: false, charge: true, sandbox: false });
