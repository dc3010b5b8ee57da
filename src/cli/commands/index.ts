import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { register as registerDb } from './db.ts';
import { register as registerPlans } from './plans.ts';
import { register as registerPeriods } from './periods.ts';
import { register as registerCustomers } from './customers.ts';
import { register as registerPaymentMethods } from './paymentMethods.ts';
import { register as registerSubscriptions } from './subscriptions.ts';
import { register as registerInvoices } from './invoices.ts';
import { register as registerCoupons } from './coupons.ts';
import { register as registerClock } from './clock.ts';
import { register as registerRun } from './run.ts';
import { register as registerSandbox } from './sandbox.ts';
import { register as registerWebhookEndpoints } from './webhookEndpoints.ts';
import { register as registerEvents } from './events.ts';
import { register as registerDunning } from './dunning.ts';

export type RegisterCommands = (program: Command, deps: CliDeps) => void;

/**
 * Every command group of `billing`, in help order. A new group is one file in this folder
 * exporting `register`, plus one line here.
 */
export const COMMAND_GROUPS: RegisterCommands[] = [
  registerDb,
  registerPlans,
  registerPeriods,
  registerCustomers,
  registerPaymentMethods,
  registerSubscriptions,
  registerInvoices,
  registerDunning,
  registerCoupons,
  registerClock,
  registerWebhookEndpoints,
  registerEvents,
  registerRun,
  registerSandbox,
];
