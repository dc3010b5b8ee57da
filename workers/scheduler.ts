// The scheduler: a BullMQ job scheduler that scans Postgres for due renewals and retries,
// and reconciles charge attempts whose outcome is unknown. Safe to run more than one.
import { main } from '../src/process.ts';

main('scheduler', { http: false, scheduler: true, charge: false, sandbox: false });
