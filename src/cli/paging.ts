import type { Command } from 'commander';
import { MAX_PAGE_SIZE } from '../db/paging.ts';
import { parseOptionalInteger } from './options.ts';

/** `--limit N --starting-after ID` on every list command, worded once. */
export interface PageFlags {
  limit?: string;
  startingAfter?: string;
}

export function withPaging(cmd: Command): Command {
  return cmd
    .option('--limit <n>', `at most this many rows (1-${MAX_PAGE_SIZE})`)
    .option('--starting-after <id>', 'the page after this id (the last id of the previous page)');
}

export function pageQuery(opts: PageFlags): { limit?: number; startingAfter?: string } {
  const limit = parseOptionalInteger(opts.limit, '--limit', { min: 1, max: MAX_PAGE_SIZE });
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(opts.startingAfter !== undefined ? { startingAfter: opts.startingAfter } : {}),
  };
}
