import { and, desc, eq, lt } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { events } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

/** Reading the outbox: newest first, by type and/or subject. Writing is outbox.ts. */
export type EventRow = typeof events.$inferSelect;

export async function listEvents(
  db: DbOrTx,
  opts: { type?: string | undefined; subjectId?: string | undefined; limit: number; startingAfter?: string },
): Promise<EventRow[]> {
  let beforeSeq: number | undefined;
  if (opts.startingAfter !== undefined) {
    const cursor = (await db.select({ seq: events.seq }).from(events).where(eq(events.id, opts.startingAfter)))[0];
    if (cursor === undefined)
      throw new ValidationError(
        'starting_after',
        'an id from this list',
        `"${opts.startingAfter}" is not an id in this list`,
      );
    beforeSeq = cursor.seq;
  }
  return db
    .select()
    .from(events)
    .where(
      and(
        opts.type ? eq(events.type, opts.type) : undefined,
        opts.subjectId ? eq(events.subjectId, opts.subjectId) : undefined,
        beforeSeq !== undefined ? lt(events.seq, beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(events.seq))
    .limit(opts.limit);
}

export async function getEvent(db: DbOrTx, id: string): Promise<EventRow> {
  const row = (await db.select().from(events).where(eq(events.id, id)))[0];
  if (row === undefined) throw new NotFoundError('event', id);
  return row;
}
