import { z } from 'zod';
import { archivePlan, createPlan, getPlanByCode, listPlans } from '../../../catalog/plans.ts';
import { validatePlanCode } from '../../../catalog/planPolicy.ts';
import { pageInMemory } from '../../../db/paging.ts';
import { planJson } from '../../../cli/views/plan.ts';
import { pageQuery } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { listJson } from '../views.ts';

const codeParam = z.strictObject({ code: z.string().min(1).describe('plan code') });

export const plansResource: ApiResource = {
  name: 'plans',
  description: 'The plan catalogue. Plans are immutable: the same code again makes version N+1.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/plans',
      operationId: 'createPlan',
      summary: 'Create a plan, or a new version of an existing code',
      status: 201,
      body: z.strictObject({
        code: z.string().describe('letters, digits, _ . - (at most 50), starting with a letter or digit'),
        name: z.string().describe('display name, 1-200 characters'),
        amount: z.string().describe('price in major units as decimal text, e.g. "19.99" (never a float)'),
        currency: z.string().describe('ISO 4217 code, e.g. USD'),
        interval: z.string().describe('day, week, month or year'),
        intervalCount: z.number().int().optional().describe('bill every N intervals (default 1)'),
        trialDays: z.number().int().optional().describe('free trial length in days (default 0)'),
      }),
      handler: async ({ body }, { ctx }) => planJson(await createPlan(ctx, body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/plans',
      operationId: 'listPlans',
      summary: 'List plans (newest version of each code), by code',
      query: z.strictObject({
        ...pageQuery,
        all: z.enum(['true', 'false']).optional().describe('include archived plans'),
      }),
      handler: async ({ query }, { ctx }) => {
        const rows = await listPlans(ctx.db, { includeArchived: query.all === 'true' });
        return listJson(pageInMemory(rows, { limit: query.limit, startingAfter: query.starting_after }), planJson);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/plans/{code}',
      operationId: 'getPlan',
      summary: 'Show a plan and all its versions',
      params: codeParam,
      handler: async ({ params }, { ctx }) => {
        const { plan, versions } = await getPlanByCode(ctx.db, params.code);
        return { ...planJson(plan), versions: versions.map(planJson) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/plans/{code}/archive',
      operationId: 'archivePlan',
      summary: 'Archive every version of a plan (running subscriptions continue)',
      params: codeParam,
      handler: async ({ params }, { ctx }) => {
        validatePlanCode(params.code);
        const archived = await archivePlan(ctx, params.code);
        return { code: params.code, versions: archived.map(planJson) };
      },
    }),
  ],
};
