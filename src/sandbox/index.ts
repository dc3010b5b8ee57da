/** The local AsiaBill sandbox: start it, and the shapes it exposes. */
export { startSandbox, SANDBOX_DEFAULT_GATEWAY_NO, SANDBOX_DEFAULT_SIGN_KEY } from './server.ts';
export { TEST_CARDS, ORDER_INFO, type CardBehaviour } from './cards.ts';
export { ASIABILL_RETRY_SCHEDULE_MS } from './knobs.ts';
export type { LedgerEntry, NotifyKnobs, Sandbox, SandboxDump, SandboxKnobs, SandboxOptions } from './types.ts';
