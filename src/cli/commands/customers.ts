import type { Command } from 'commander';
import { createCustomer, getCustomer, listCustomers } from '../../customers/customers.ts';
import { listPaymentMethods } from '../../customers/paymentMethods.ts';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { CUSTOMER_COLUMNS, customerDetails, customerJson } from '../views/customer.ts';
import { PAYMENT_METHOD_COLUMNS, paymentMethodJson } from '../views/paymentMethod.ts';

interface CreateOptions extends JsonFlag {
  email: string;
  firstName: string;
  lastName: string;
  phone?: string;
  externalRef?: string;
  idempotencyKey?: string;
}

export function register(program: Command, deps: CliDeps): void {
  const customers = program
    .command('customers')
    .description('customers (each one is mirrored as an AsiaBill customer)');

  withJson(customers.command('create'))
    .description('create a customer here and at AsiaBill')
    .requiredOption('--email <email>', 'email address')
    .requiredOption('--first-name <name>', 'first name (1-100 characters)')
    .requiredOption('--last-name <name>', 'last name (1-100 characters)')
    .option('--phone <phone>', 'phone number (at most 50 characters)')
    .option('--external-ref <ref>', 'your own unique id for this customer (at most 200 characters)')
    .option('--idempotency-key <key>', 'retry-safe: the same key again prints the first customer and creates nothing')
    .action(async (opts: CreateOptions) => {
      const customer = await deps.withContext((ctx) =>
        createCustomer(ctx, {
          email: opts.email,
          firstName: opts.firstName,
          lastName: opts.lastName,
          ...(opts.phone !== undefined ? { phone: opts.phone } : {}),
          ...(opts.externalRef !== undefined ? { externalRef: opts.externalRef } : {}),
          ...(opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {}),
        }),
      );
      emit(deps.out, opts.json, customerJson(customer), () => formatKeyValue(customerDetails(customer)));
    });

  withJson(customers.command('list'))
    .description('list customers, oldest first')
    .action(async (opts: JsonFlag) => {
      const rows = await deps.withContext((ctx) => listCustomers(ctx.db));
      emit(deps.out, opts.json, rows.map(customerJson), () => formatTable(CUSTOMER_COLUMNS, rows));
    });

  withJson(customers.command('show'))
    .description('show a customer and their payment methods')
    .argument('<id>', 'customer id (cust_…) or external reference')
    .action(async (id: string, opts: JsonFlag) => {
      const { customer, methods } = await deps.withContext(async (ctx) => {
        const found = await getCustomer(ctx.db, id);
        return { customer: found, methods: await listPaymentMethods(ctx.db, found.id) };
      });
      emit(deps.out, opts.json, { ...customerJson(customer), paymentMethods: methods.map(paymentMethodJson) }, () => [
        ...formatKeyValue(customerDetails(customer)),
        '',
        'payment methods:',
        ...formatTable(PAYMENT_METHOD_COLUMNS, methods),
      ]);
    });
}
