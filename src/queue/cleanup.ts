import { Redis } from 'ioredis';

/**
 * Deletes every Redis key under a BullMQ prefix. For throw-away prefixes (the demo, tests) —
 * and it is exactly what a Redis that lost its data looks like to the engine.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  let n = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return n;
}
