// The HTTP server alone: AsiaBill notifications (POST /webhooks/asiabill) and /healthz.
import { main } from '../src/process.ts';

main('http', { http: true, scheduler: false, charge: false, sandbox: false });
