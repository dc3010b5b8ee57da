import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.ts';
import { passesLuhn } from '../../src/asiabill/luhn.ts';
import { createCustomer } from '../../src/customers/customers.ts';
import { addCardPaymentMethod } from '../../src/customers/paymentMethods.ts';
import { createSubscription } from '../../src/subscriptions/create.ts';
import { startTestEngine, makePlan, CARDS } from '../support/engine.ts';

/**
 * Invariant 6 — no card data at rest — across the whole engine: debug logs of every part,
 * every row of every table, every Redis key and value under the engine's prefix, and the
 * errors a bad card produces. Card numbers are found by shape (13–19 digits passing Luhn),
 * the security code by its exact (unusual) value.
 */
const CVC = '7319';
const BAD_LUHN = '4242424242424241';

/**
 * 13–19 digits passing Luhn and starting like an issued card, written unbroken or in groups
 * (2–8 digits) separated by one consistent space or dash, as people type them —
 * "4242 4242 4242 4242", "4000-0000-0000-9995", and the 8+8 spaced form this test itself
 * feeds in. Groups keep ids such as "15605-1795959151415" (pid-epoch) from looking like cards.
 */
/** UUIDs (request ids, delivery ids): their first groups can be all digits. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function cardLikeNumbers(raw: string): string[] {
  // A UUID whose first three groups happen to be digits reads as 8-4-4 = 16 digits
  // ("54047006-5372-4811-…" passed Luhn in a clean-clone run); no card is written that way.
  const text = raw.replace(UUID, 'uuid');
  const unbroken = text.match(/(?<!\d)\d{13,19}(?!\d)/g) ?? [];
  // Not glued to letters either: the digit runs of an uppercase UUID request-id such as
  // "A6717433-7883-0226-70AB-…" read as 6717433-7883-0226-70, which passed Luhn in one run.
  const grouped = [
    ...text.matchAll(/(?<![\dA-Za-z])(?<!\d[ -])\d{2,8}([ -])\d{2,8}(?:\1\d{2,8}){0,7}(?![ -]?\d)(?![A-Za-z])/g),
  ].map((m) => m[0].replace(/[ -]/g, ''));
  return [...unbroken, ...grouped].filter((n) => n.length >= 13 && n.length <= 19 && passesLuhn(n) && /^[2-6]/.test(n));
}

/**
 * Every key of the engine's Redis database, not only those under its prefix: a leak into a
 * key of its own making would be missed otherwise. (Other test files share this Redis; what
 * they store is written by the same engine code, so it must be clean too.)
 */
async function redisDump(url: string): Promise<{ text: string; keys: string[] }> {
  const r = new Redis(url);
  const parts: string[] = [];
  const all: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'COUNT', 1000);
      all.push(...keys);
      cursor = next;
      for (const k of keys) {
        const type = await r.type(k);
        parts.push(k);
        if (type === 'string') parts.push((await r.get(k)) ?? '');
        else if (type === 'hash') parts.push(JSON.stringify(await r.hgetall(k)));
        else if (type === 'list') parts.push(JSON.stringify(await r.lrange(k, 0, -1)));
        else if (type === 'set') parts.push(JSON.stringify(await r.smembers(k)));
        else if (type === 'zset') parts.push(JSON.stringify(await r.zrange(k, '0', '-1', 'WITHSCORES')));
        else if (type === 'stream') parts.push(JSON.stringify(await r.xrange(k, '-', '+')));
      }
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return { text: parts.join('\n'), keys: all };
}

describe('no card data at rest', () => {
  it('leaves no card number or security code in logs, Postgres, Redis, errors or the gateway sandbox', {
    timeout: 60_000,
  }, async () => {
    const logs: string[] = [];
    const logger = createLogger({
      level: 'trace',
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          logs.push(chunk.toString());
          cb();
        },
      }),
    });
    // Notifications flow, jobs run, and Redis keeps some finished jobs: all of it is scanned.
    const t = await startTestEngine({ start: '2027-09-30T12:00:00Z', logger });
    const errors: string[] = [];
    try {
      const plan = await makePlan(t.ctx, { interval: 'week' });
      const used = [CARDS.success, CARDS.softDecline, CARDS.threeDS, CARDS.noResponse, CARDS.approveThenDecline];
      for (const card of used) {
        const c = await createCustomer(t.ctx, {
          email: `c${card.slice(-4)}@example.com`,
          firstName: 'Card',
          lastName: 'Holder',
        });
        const pm = await addCardPaymentMethod(t.ctx, {
          customerId: c.id,
          cardNumber: card,
          expMonth: '12',
          expYear: '2035',
          cvc: CVC,
        });
        await createSubscription(t.ctx, { customerId: c.id, planCode: plan, paymentMethodId: pm.id });
        for (const bad of [
          { cardNumber: BAD_LUHN, cvc: CVC },
          { cardNumber: card, cvc: '12' },
          { cardNumber: `${card.slice(0, 8)} ${card.slice(8)}`, cvc: 'x731' },
        ]) {
          await addCardPaymentMethod(t.ctx, { customerId: c.id, expMonth: '12', expYear: '2035', ...bad }).then(
            () => {
              throw new Error('bad card accepted');
            },
            (err: Error) => {
              errors.push(`${err.message}\n${err.stack ?? ''}`);
            },
          );
        }
      }
      await t.advanceTo('2027-10-20T12:00:00Z');
      await t.engine.sandbox!.flushNotifications();

      const tables = await t.ctx.db.execute<{ table_name: string }>(
        sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
      );
      let pgText = '';
      for (const { table_name: name } of tables.rows) {
        const rows = await t.ctx.db.execute<{ j: string }>(
          sql`select row_to_json(x)::text as j from ${sql.identifier(name)} x`,
        );
        pgText += rows.rows.map((r) => r.j).join('\n');
      }
      // A key outside the engine's prefix, to show the scan reaches such keys.
      const probeKey = `card-data-probe-${process.pid}-${Date.now()}`;
      const probe = new Redis(t.config.redisUrl);
      await probe.set(probeKey, 'probe', 'EX', 120);
      const redis = await redisDump(t.config.redisUrl).finally(async () => {
        await probe.del(probeKey);
        probe.disconnect();
      });
      const redisText = redis.text;
      const sandboxText = JSON.stringify(t.engine.sandbox!.dump());
      const logText = logs.join('');
      const errText = errors.join('\n');

      // The scans can find what they look for: the corpora are not empty and real.
      expect(pgText).toContain('"last4":"4242"');
      expect(logText.length).toBeGreaterThan(1000);
      expect(redisText.length).toBeGreaterThan(0);
      // The scan covered the engine's own keys (and whatever else the database holds).
      expect(redis.keys.filter((k) => k.startsWith(`${t.prefix}:`)).length).toBeGreaterThan(0);
      expect(redis.keys).toContain(probeKey);
      expect(errors).toHaveLength(15);
      for (const [name, text] of Object.entries({
        postgres: pgText,
        redis: redisText,
        logs: logText,
        errors: errText,
        sandbox: sandboxText,
      })) {
        expect(cardLikeNumbers(text), name).toEqual([]);
        expect(text.includes(BAD_LUHN), name).toBe(false);
        // Each card used, in any of the forms it was typed in, and the Luhn-failing one spaced.
        for (const card of [...used, BAD_LUHN]) {
          for (const form of [
            card,
            `${card.slice(0, 8)} ${card.slice(8)}`,
            card.replace(/(\d{4})(?=\d)/g, '$1 '),
            card.replace(/(\d{4})(?=\d)/g, '$1-'),
          ]) {
            expect(text.includes(form), `${name} contains ${form.slice(0, 4)}…`).toBe(false);
          }
        }
        expect(
          new RegExp(`(?<![0-9A-Za-z])${CVC}(?![0-9A-Za-z])`).test(text),
          `${name} contains the security code`,
        ).toBe(false);
      }
      // And the detector itself works on planted numbers, unbroken, spaced and dashed.
      expect(cardLikeNumbers(`x ${CARDS.success} y`)).toEqual([CARDS.success]);
      expect(cardLikeNumbers('card 4242 4242 4242 4242, then 4000-0000-0000-9995.')).toEqual([
        CARDS.success,
        CARDS.softDecline,
      ]);
      expect(cardLikeNumbers(`{"n":"${CARDS.threeDS.slice(0, 8)} ${CARDS.threeDS.slice(8)}"}`)).toEqual([
        CARDS.threeDS,
      ]);
      // …but not on a UUID whose first groups are digits, and still on a card next to one.
      expect(cardLikeNumbers('req 54047006-5372-4811-a92b-0123456789ab')).toEqual([]);
      expect(cardLikeNumbers(`req 54047006-5372-4811-a92b-0123456789ab ${CARDS.success}`)).toEqual([CARDS.success]);
    } finally {
      await t.stop();
    }
  });
});
