// A merchant webhook worker: publishes the outbox and posts signed events to merchant
// endpoints, with retries. Safe to run several; Postgres decides what is due.
import { main } from '../src/process.ts';

main('events-worker', { http: false, scheduler: false, charge: false, sandbox: false, events: true });
