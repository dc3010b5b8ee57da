/**
 * `billing sandbox`: runs the sandbox in the foreground and prints what a merchant needs
 * to point an AsiaBill client at it. The caller owns shutdown (sandbox.close()).
 */
import type { Logger } from '../logger.ts';
import { startSandbox } from './server.ts';
import { TEST_CARDS } from './cards.ts';
import type { Sandbox } from './types.ts';

export interface SandboxCliOptions {
  port: number;
  stateFile?: string;
  gatewayNo?: string;
  signKey?: string;
  host?: string;
  logger?: Logger;
  /** Where the banner goes (default stdout). */
  print?: (line: string) => void;
}

export async function runSandboxCli(opts: SandboxCliOptions): Promise<Sandbox> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const sandbox = await startSandbox({
    port: opts.port,
    ...(opts.stateFile !== undefined ? { stateFile: opts.stateFile } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.gatewayNo !== undefined ? { gatewayNo: opts.gatewayNo } : {}),
    ...(opts.signKey !== undefined ? { signKey: opts.signKey } : {}),
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
  });
  print(`AsiaBill sandbox listening on ${sandbox.url}`);
  print(`  payment API : ${sandbox.paymentUrl}`);
  print(`  OpenAPI     : ${sandbox.openapiUrl}`);
  print(`  gateway no  : ${sandbox.gatewayNo}`);
  print(`  sign key    : ${sandbox.signKey}`);
  if (opts.stateFile) print(`  state file  : ${opts.stateFile}`);
  print('  test cards (any future expiry, CVC 123):');
  for (const [card, behaviour] of Object.entries(TEST_CARDS)) print(`    ${card}  ${behaviour}`);
  return sandbox;
}
