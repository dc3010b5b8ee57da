import type { Command } from 'commander';
import { createCustomer, getCustomer, listCustomers } from '../../customers/customers.ts';
import { listPaymentMethods } from '../../customers/paymentMethods.ts';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { pageQuery, withPaging, type PageFlags } from '../paging.ts';
import { deleteCustomer, updateCustomer } from '../../customers/lifecycle.ts';
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

  withPaging(withJson(customers.command('list')))
    .description('list customers, oldest first (deleted ones with --include-deleted)')
    .option('--include-deleted', 'also list deleted customers')
    .action(async (opts: JsonFlag & PageFlags & { includeDeleted?: boolean }) => {
      const page = pageQuery(opts);
      const rows = await deps.withContext((ctx) =>
        listCustomers(ctx.db, { ...page, includeDeleted: opts.includeDeleted === true }),
      );
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

  withJson(customers.command('update'))
    .description('change a customer here and at AsiaBill')
    .argument('<id>', 'customer id (cust_…) or external reference')
    .option('--email <email>', 'email address')
    .option('--first-name <name>', 'first name')
    .option('--last-name <name>', 'last name')
    .option('--phone <phone>', 'phone number')
    .action(
      async (
        id: string,
        opts: JsonFlag & { email?: string; firstName?: string; lastName?: string; phone?: string },
      ) => {
        const c = await deps.withContext((ctx) =>
          updateCustomer(ctx, id, {
            email: opts.email,
            firstName: opts.firstName,
            lastName: opts.lastName,
            phone: opts.phone,
          }),
        );
        emit(deps.out, opts.json, customerJson(c), () => formatKeyValue(customerDetails(c)));
      },
    );

  withJson(customers.command('delete'))
    .description('delete a customer here and at AsiaBill (refused while a live subscription exists)')
    .argument('<id>', 'customer id (cust_…) or external reference')
    .action(async (id: string, opts: JsonFlag) => {
      const c = await deps.withContext((ctx) => deleteCustomer(ctx, id));
      emit(deps.out, opts.json, { ...customerJson(c), deleted: true }, () => [`customer ${c.id} deleted`]);
    });
}
