import type { Command } from 'commander';
import { migrateDatabase } from '../../db/migrate.ts';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';

export function register(program: Command, deps: CliDeps): void {
  const db = program.command('db').description('database administration');

  withJson(db.command('migrate'))
    .description('create the database if needed and apply pending migrations (safe to run again)')
    .action(async (opts: JsonFlag) => {
      const url = new URL(deps.config().databaseUrl);
      const result = await migrateDatabase(url.toString());
      // Host and name only: the URL may carry a password.
      const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
      emit(deps.out, opts.json, { database, host: url.host, created: result.created, migrated: true }, () =>
        formatKeyValue([
          ['database', `${database} on ${url.host}`],
          ['created', result.created ? 'yes (it did not exist)' : 'no (it already existed)'],
          ['migrations', 'applied (all pending migrations are now in place)'],
        ]),
      );
    });
}
