import { DateTime } from 'luxon';

/**
 * The demo's cast: plans and ~50 customers, each with a sandbox test card of a known
 * behaviour, a time zone and a sign-up moment. Plain data, so the demo test can reason
 * about what must happen to each of them.
 */
export const DEMO_START = '2027-12-31T10:00:00Z';
export const DEMO_END = '2028-12-31T10:00:00Z';

export const DEMO_PLANS = [
  { code: 'pro-monthly', name: 'Pro (monthly)', amount: '19.99', currency: 'USD', interval: 'month' },
  { code: 'pro-yearly', name: 'Pro (yearly)', amount: '199.00', currency: 'USD', interval: 'year' },
  { code: 'news-weekly', name: 'Newsletter (weekly)', amount: '4.99', currency: 'EUR', interval: 'week' },
  { code: 'jp-monthly', name: 'Japan plan (monthly)', amount: '1500', currency: 'JPY', interval: 'month' },
  {
    code: 'team-quarterly',
    name: 'Team (every 3 months)',
    amount: '99.00',
    currency: 'USD',
    interval: 'month',
    intervalCount: 3,
  },
  {
    code: 'trial-monthly',
    name: 'Starter with 14-day trial',
    amount: '9.99',
    currency: 'USD',
    interval: 'month',
    trialDays: 14,
  },
] as const;

export type CardBehaviour =
  | 'success'
  | 'threeds_complete'
  | 'threeds_abandon'
  | 'soft_decline'
  | 'hard_decline'
  | 'generic_decline'
  | 'approve_then_decline'
  | 'no_response';

export const DEMO_CARDS: Record<CardBehaviour, string> = {
  success: '4242424242424242',
  threeds_complete: '4000002500003155',
  threeds_abandon: '4000002500003155',
  soft_decline: '4000000000009995',
  hard_decline: '4000000000009987',
  generic_decline: '4000000000000002',
  approve_then_decline: '4000000000000341',
  no_response: '4000000000000119',
};

const ZONES = ['UTC', 'America/New_York', 'Asia/Shanghai', 'Europe/London', 'Australia/Sydney', 'Asia/Tokyo'] as const;

export interface DemoCustomer {
  n: number;
  firstName: string;
  lastName: string;
  email: string;
  card: CardBehaviour;
  plan: (typeof DEMO_PLANS)[number]['code'];
  timeZone: string;
  /** When they sign up (engine time). */
  signUpAt: string;
}

const FIRST = [
  'Ada',
  'Bo',
  'Chen',
  'Dana',
  'Emeka',
  'Fatima',
  'Goro',
  'Hana',
  'Ivan',
  'Jia',
  'Kofi',
  'Lena',
  'Mateo',
  'Nia',
  'Omar',
  'Priya',
  'Quinn',
  'Rui',
  'Sven',
  'Tara',
  'Umar',
  'Vera',
  'Wen',
  'Xavi',
  'Yuki',
];
const LAST = ['Lovelace', 'Nakamura', 'Okafor', 'Silva', 'Müller', 'Kim', 'Haddad', 'Novak', 'Rossi', 'Zhang'];

/** Sign-up moments: month ends and a leap day, so the period clamping shows. */
const SIGNUPS = [
  DEMO_START,
  '2028-01-15T09:30:00Z',
  '2028-01-31T23:00:00Z',
  '2028-02-29T12:00:00Z',
  '2028-03-10T05:00:00Z',
];

export function demoCustomers(): DemoCustomer[] {
  const behaviours: CardBehaviour[] = [
    ...Array<CardBehaviour>(30).fill('success'),
    'threeds_complete',
    'threeds_complete',
    'threeds_complete',
    'threeds_abandon',
    'soft_decline',
    'soft_decline',
    'soft_decline',
    'hard_decline',
    'hard_decline',
    'generic_decline',
    'generic_decline',
    'approve_then_decline',
    'approve_then_decline',
    'approve_then_decline',
    'approve_then_decline',
    'no_response',
    'no_response',
    'no_response',
    'success',
    'success',
  ];
  const plansInOrder = [
    'pro-monthly',
    'pro-yearly',
    'news-weekly',
    'jp-monthly',
    'pro-monthly',
    'team-quarterly',
    'trial-monthly',
  ] as const;
  return behaviours.map((card, i) => {
    const first = FIRST[i % FIRST.length] ?? 'Ada';
    const last = LAST[i % LAST.length] ?? 'Lovelace';
    return {
      n: i + 1,
      firstName: first,
      lastName: last,
      email: `${first.toLowerCase()}.${i + 1}@example.com`,
      card,
      plan: plansInOrder[i % plansInOrder.length] ?? 'pro-monthly',
      timeZone: ZONES[i % ZONES.length] ?? 'UTC',
      signUpAt: SIGNUPS[i % SIGNUPS.length] ?? DEMO_START,
    };
  });
}

/** First day of each month from start to end (engine time), for the month-by-month run. */
export function monthSteps(start: string, end: string): Date[] {
  const out: Date[] = [];
  let t = DateTime.fromISO(start, { zone: 'UTC' }).startOf('month').plus({ months: 1 });
  const stop = DateTime.fromISO(end, { zone: 'UTC' });
  while (t < stop) {
    out.push(t.toJSDate());
    t = t.plus({ months: 1 });
  }
  out.push(stop.toJSDate());
  return out;
}
