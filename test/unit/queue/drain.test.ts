import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';
import { closeWorker, InFlight } from '../../../src/queue/drain.ts';

const logger = createLogger({ level: 'silent', name: 'drain-test' });
const never = () => new Promise<void>(() => {});

describe('closeWorker: waits for our jobs, never forever for BullMQ', () => {
  it('a close() that resolves is awaited and reported closed', async () => {
    let closed = false;
    const worker = {
      close: async () => {
        closed = true;
      },
    };
    expect(await closeWorker(worker, new InFlight(), { name: 'w', logger, graceMs: 60_000 })).toBe('closed');
    expect(closed).toBe(true);
  });

  it('a close() that never resolves is given up on only after the last job returned', async () => {
    const inFlight = new InFlight();
    let release: () => void = () => {};
    const job = inFlight.wrap(
      () =>
        new Promise<string>((r) => {
          release = () => r('done');
        }),
    );
    const running = job();
    expect(inFlight.count).toBe(1);
    let settled: string | undefined;
    const drain = closeWorker({ close: never }, inFlight, { name: 'w', logger, graceMs: 10 }).then((r) => {
      settled = r;
      return r;
    });
    // Far longer than the grace: still waiting, because a job is running.
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBeUndefined();
    release();
    expect(await running).toBe('done');
    expect(inFlight.count).toBe(0);
    expect(await drain).toBe('abandoned');
  });

  it('a job that throws still counts as finished', async () => {
    const inFlight = new InFlight();
    await expect(inFlight.wrap(async () => Promise.reject(new Error('boom')))()).rejects.toThrow('boom');
    expect(inFlight.count).toBe(0);
    expect(await closeWorker({ close: never }, inFlight, { name: 'w', logger, graceMs: 1 })).toBe('abandoned');
  });

  it('a close() that fails is an error, not a hang', async () => {
    const worker = { close: () => Promise.reject(new Error('Connection is closed.')) };
    await expect(closeWorker(worker, new InFlight(), { name: 'w', logger, graceMs: 60_000 })).rejects.toThrow(
      'Connection is closed.',
    );
  });
});
