import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Prefixed random ids (`sub_…`, `inv_…`): 16 base32 chars = 80 random bits. Short enough
 * that an AsiaBill orderNo derived from an invoice id stays well under its 50-char limit.
 */
export function newId(prefix: string): string {
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) out += ALPHABET[(bytes[i] ?? 0) & 31];
  return `${prefix}_${out}`;
}

export const ID_PREFIX = {
  plan: 'plan',
  customer: 'cust',
  paymentMethod: 'card',
  subscription: 'sub',
  invoice: 'inv',
  attempt: 'att',
  notification: 'ntf',
  event: 'evt',
  webhookEndpoint: 'we',
  webhookDelivery: 'whd',
  refund: 'ref',
  coupon: 'coup',
} as const;
