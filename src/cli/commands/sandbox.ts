import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { parseIntegerOption } from '../options.ts';
import { runSandboxCli } from '../../sandbox/main.ts';
import { SANDBOX_GATEWAY_NO, SANDBOX_SIGN_KEY } from '../../config.ts';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('sandbox')
    .description(
      'run the local AsiaBill sandbox alone (gateway number and sign key from ASIABILL_GATEWAY_NO / ASIABILL_SIGN_KEY, else the public test ones)',
    )
    .option('--port <n>', 'port to listen on (default BILLING_SANDBOX_PORT, 8091)')
    .action(async (opts: { port?: string }) => {
      // Read directly, not through loadConfig: here the gateway number and key alone are
      // meaningful (they configure the sandbox), while the engine wants all four or none.
      const envPort = deps.env.BILLING_SANDBOX_PORT;
      const port = parseIntegerOption(
        opts.port ?? envPort ?? '8091',
        opts.port !== undefined ? '--port' : 'BILLING_SANDBOX_PORT',
        { min: 0, max: 65535 },
      );
      const state = deps.env.BILLING_SANDBOX_STATE;
      const sandbox = await runSandboxCli({
        port,
        stateFile: state === 'none' ? undefined : state || join(tmpdir(), `asiabill-billing-sandbox-${port}.json`),
        gatewayNo: deps.env.ASIABILL_GATEWAY_NO || SANDBOX_GATEWAY_NO,
        signKey: deps.env.ASIABILL_SIGN_KEY || SANDBOX_SIGN_KEY,
        print: deps.out,
      });
      await new Promise<void>((resolve) => {
        const stop = () => {
          sandbox.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
