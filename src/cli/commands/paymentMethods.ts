import type { Command } from 'commander';
import { addCardPaymentMethod, listPaymentMethods, registerPaymentMethod } from '../../customers/paymentMethods.ts';
import type { BillingAddressInput, CardFields } from '../../customers/cardPolicy.ts';
import { ValidationError } from '../../errors.ts';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { pageQuery, withPaging, type PageFlags } from '../paging.ts';
import { detachPaymentMethod } from '../../customers/lifecycle.ts';
import { PAYMENT_METHOD_COLUMNS, paymentMethodDetails, paymentMethodJson } from '../views/paymentMethod.ts';

interface AddOptions extends JsonFlag {
  customer: string;
  cardNumber?: string;
  expMonth?: string;
  expYear?: string;
  cvc?: string;
  line1?: string;
  city?: string;
  country?: string;
  postalCode?: string;
  state?: string;
  asiabillId?: string;
  idempotencyKey?: string;
}

type AddRequest =
  | { form: 'card'; card: CardFields; billing: BillingAddressInput | undefined }
  | { form: 'asiabill'; asiabillPaymentMethodId: string };

const CARD_OPTIONS = [
  ['cardNumber', '--card-number'],
  ['expMonth', '--exp-month'],
  ['expYear', '--exp-year'],
  ['cvc', '--cvc'],
] as const;
const ADDRESS_OPTIONS = [
  ['line1', '--line1'],
  ['city', '--city'],
  ['country', '--country'],
  ['postalCode', '--postal-code'],
  ['state', '--state'],
] as const;
const REQUIRED_ADDRESS_OPTIONS = [
  ['line1', '--line1'],
  ['city', '--city'],
  ['country', '--country'],
] as const;

export function register(program: Command, deps: CliDeps): void {
  const pms = program
    .command('payment-methods')
    .description("customers' stored cards (only AsiaBill references and masked details are kept)");

  // Card numbers on a command line end up in shell history and `ps` output. This form is
  // for PCI-scoped operators and the sandbox; production card capture uses AsiaBill's
  // browser SDK and registers the resulting id with --asiabill-id.
  withJson(pms.command('add'))
    .description('store a card: either card details (PCI path) or a pm_… id from the AsiaBill browser SDK')
    .requiredOption('--customer <id>', 'customer id (cust_…) or external reference')
    .option('--card-number <number>', 'card number (13-19 digits); sent to AsiaBill, never stored')
    .option('--exp-month <mm>', 'expiry month, 1-12')
    .option('--exp-year <yyyy>', 'expiry year, 4 digits')
    .option('--cvc <cvc>', 'security code (3-4 digits); sent to AsiaBill, never stored')
    .option('--line1 <line>', 'billing address line 1')
    .option('--city <city>', 'billing address city')
    .option('--country <cc>', 'billing address country (ISO 3166-1 alpha-2)')
    .option('--postal-code <code>', 'billing address postal code')
    .option('--state <state>', 'billing address state or province')
    .option('--asiabill-id <pm>', 'an AsiaBill payment method id (pm_…) created by the browser SDK')
    .option('--idempotency-key <key>', 'retry-safe: the same key again prints the first card and stores nothing')
    .action(async (opts: AddOptions) => {
      const request = readAddRequest(opts);
      const key = opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {};
      const stored = await deps.withContext((ctx) =>
        request.form === 'card'
          ? addCardPaymentMethod(ctx, {
              customerId: opts.customer,
              ...request.card,
              ...(request.billing !== undefined ? { billing: request.billing } : {}),
              ...key,
            })
          : registerPaymentMethod(ctx, {
              customerId: opts.customer,
              asiabillPaymentMethodId: request.asiabillPaymentMethodId,
              ...key,
            }),
      );
      emit(deps.out, opts.json, paymentMethodJson(stored), () => formatKeyValue(paymentMethodDetails(stored)));
    });

  withPaging(withJson(pms.command('list')))
    .description("list a customer's payment methods (detached ones with --include-detached)")
    .requiredOption('--customer <id>', 'customer id (cust_…) or external reference')
    .option('--include-detached', 'also list detached payment methods')
    .action(async (opts: JsonFlag & PageFlags & { customer: string; includeDetached?: boolean }) => {
      const page = pageQuery(opts);
      const rows = await deps.withContext((ctx) =>
        listPaymentMethods(ctx.db, opts.customer, { ...page, includeDetached: opts.includeDetached === true }),
      );
      emit(deps.out, opts.json, rows.map(paymentMethodJson), () => formatTable(PAYMENT_METHOD_COLUMNS, rows));
    });

  withJson(pms.command('detach'))
    .description('detach a card at AsiaBill so it is never charged again (refused while a live subscription uses it)')
    .argument('<id>', 'payment method id (card_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const pm = await deps.withContext((ctx) => detachPaymentMethod(ctx, id));
      emit(deps.out, opts.json, { ...paymentMethodJson(pm), detached: true }, () => [
        `payment method ${pm.id} detached`,
      ]);
    });
}

/** Exactly one of the two forms, complete; decided before any connection is opened. */
function readAddRequest(opts: AddOptions): AddRequest {
  const given = (pairs: ReadonlyArray<readonly [keyof AddOptions, string]>): string[] =>
    pairs.filter(([key]) => opts[key] !== undefined).map(([, flag]) => flag);
  const cardGiven = given(CARD_OPTIONS);
  const addressGiven = given(ADDRESS_OPTIONS);
  if (opts.asiabillId !== undefined) {
    if (cardGiven.length > 0 || addressGiven.length > 0) {
      throw new ValidationError(
        '--asiabill-id',
        'exactly one form',
        `cannot be combined with ${[...cardGiven, ...addressGiven].join(', ')}: give either card details or --asiabill-id`,
      );
    }
    return { form: 'asiabill', asiabillPaymentMethodId: opts.asiabillId };
  }
  if (cardGiven.length === 0) {
    throw new ValidationError(
      '--card-number',
      'exactly one form',
      'give either card details (--card-number, --exp-month, --exp-year, --cvc) or --asiabill-id',
    );
  }
  const missingCard = CARD_OPTIONS.filter(([key]) => opts[key] === undefined).map(([, flag]) => flag);
  const first = missingCard[0];
  if (first !== undefined) {
    throw new ValidationError(
      first,
      'required with --card-number',
      `missing ${missingCard.join(', ')} (card details need --card-number, --exp-month, --exp-year and --cvc)`,
    );
  }
  let billing: BillingAddressInput | undefined;
  if (addressGiven.length > 0) {
    const missingAddress = REQUIRED_ADDRESS_OPTIONS.filter(([key]) => opts[key] === undefined).map(([, flag]) => flag);
    const firstMissing = missingAddress[0];
    if (firstMissing !== undefined) {
      throw new ValidationError(
        firstMissing,
        'complete address',
        `missing ${missingAddress.join(', ')} (a billing address needs at least --line1, --city and --country)`,
      );
    }
    billing = {
      line1: opts.line1 ?? '',
      city: opts.city ?? '',
      country: opts.country ?? '',
      ...(opts.postalCode !== undefined ? { postalCode: opts.postalCode } : {}),
      ...(opts.state !== undefined ? { state: opts.state } : {}),
    };
  }
  return {
    form: 'card',
    card: {
      cardNumber: opts.cardNumber ?? '',
      expMonth: opts.expMonth ?? '',
      expYear: opts.expYear ?? '',
      cvc: opts.cvc ?? '',
    },
    billing,
  };
}
