import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { runProcess } from '../../process.ts';
import { ALL_PARTS } from '../../engine.ts';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('run')
    .description(
      'run the whole engine in one process: HTTP server, scheduler, charge worker, reconciler, merchant webhook delivery (and the AsiaBill sandbox when no credentials are set)',
    )
    .action(async () => {
      const { engine } = await runProcess('billing', ALL_PARTS, deps.config());
      deps.err(
        `billing engine running${engine.httpUrl ? ` at ${engine.httpUrl}` : ''}${engine.sandbox ? `; AsiaBill sandbox at ${engine.sandbox.url}` : ''} (Ctrl-C to stop)`,
      );
      // Keep the command pending until a signal stops the process (runProcess exits it).
      await new Promise<never>(() => {});
    });
}
