import { z } from 'zod';
import { readTestClock } from '../../../testClock/store.ts';
import { advanceTestClock } from '../../../testClock/advance.ts';
import { advanceTarget, parseDuration, readAdvanceRequest, requireTestClock } from '../../../testClock/request.ts';
import { BillingError } from '../../../errors.ts';
import { defineRoute, type ApiResource } from '../route.ts';

/** An HTTP request should not hang for long; `billing clock advance --wait` has no such limit. */
const MAX_WAIT_SECONDS = 600;

export const testClockResource: ApiResource = {
  name: 'test-clock',
  description: 'The test clock (BILLING_CLOCK=test): show it, move it forward.',
  routes: [
    defineRoute({
      method: 'GET',
      path: '/test-clock',
      operationId: 'getTestClock',
      summary: 'The engine time',
      handler: async (_input, { ctx }) => {
        requireTestClock(ctx.config);
        return { id: 'test_clock', now: (await readTestClock(ctx.db)).toISOString() };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/test-clock/advance',
      operationId: 'advanceTestClock',
      summary: 'Move engine time forward (with wait: answer once the engine processed everything due)',
      body: z.strictObject({
        to: z.string().optional().describe('target time (a date or date-time; UTC unless it has an offset)'),
        by: z.string().optional().describe('ISO 8601 duration, e.g. P1M, P10D, PT6H'),
        wait: z.boolean().optional().describe('step through time and wait for the engine at each step'),
        step: z.string().optional().describe('with wait: the coarsest step (default P1D)'),
        timeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(MAX_WAIT_SECONDS)
          .optional()
          .describe('with wait: give up after this many seconds per step (default 120)'),
      }),
      handler: async ({ body }, { ctx, queues }) => {
        requireTestClock(ctx.config);
        const request = readAdvanceRequest({ to: body.to, by: body.by });
        const stepMs = parseDuration(body.step ?? 'P1D', 'step').toMillis();
        if (queues === null) throw new BillingError('NO_QUEUES', 'this HTTP server was started without queues');
        const target = advanceTarget(await readTestClock(ctx.db), request);
        const report = await advanceTestClock(ctx.db, queues, {
          to: target,
          wait: body.wait === true,
          stepMs,
          timeoutMs: (body.timeoutSeconds ?? 120) * 1000,
        });
        return {
          id: 'test_clock',
          from: report.from.toISOString(),
          now: report.to.toISOString(),
          steps: report.steps,
          waited: body.wait === true,
        };
      },
    }),
  ],
};
