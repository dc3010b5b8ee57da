import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AsiabillGateway } from './asiabill/types.ts';
import { AsiabillApiError } from './asiabill/errors.ts';

/**
 * The engine's Prometheus metrics (prom-client), one registry per engine so that several
 * engines in one process (tests) do not share counters. Hot-path instrumentation is an
 * in-memory counter increment where an outcome is already known — never an extra query;
 * the gauges that describe Postgres state (queue depth, backlog, dunning) are read at
 * scrape time by src/http/metrics.ts.
 *
 * Counters count what happened in *this* process: with workers split over several processes,
 * scrape each (charge workers have no HTTP server: run them with `billing run` parts, or sum
 * the gauges, which come from Postgres and are the same everywhere).
 */
export type RenewalOutcomeLabel = 'succeeded' | 'failed' | 'pending' | 'unknown' | 'not_charged' | 'abandoned';

export class EngineMetrics {
  readonly registry = new Registry();

  readonly renewalsAttempted = new Counter({
    name: 'billing_renewals_attempted_total',
    help: 'Charge attempts made by the charge worker (renewals and dunning retries).',
    registers: [this.registry],
  });

  readonly renewalOutcomes = new Counter<'outcome'>({
    name: 'billing_renewal_outcomes_total',
    help: "Outcome of each attempt as the gateway's response reported it (unknown = no answer: reconciled later).",
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly chargeDuration = new Histogram<'result'>({
    name: 'billing_charge_duration_seconds',
    help: 'Latency of AsiaBill confirmCharge calls.',
    labelNames: ['result'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly gatewayRefusals = new Counter<'code' | 'operation'>({
    name: 'billing_gateway_refusals_total',
    help: 'Requests AsiaBill refused before any processing (L000x/P000x): a fault on our side.',
    labelNames: ['code', 'operation'],
    registers: [this.registry],
  });

  readonly notifications = new Counter<'result'>({
    name: 'billing_notifications_total',
    help: 'AsiaBill notifications received, by result.',
    labelNames: ['result'],
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter<'result'>({
    name: 'billing_webhook_attempts_total',
    help: 'Merchant webhook POSTs made by this process, by result.',
    labelNames: ['result'],
    registers: [this.registry],
  });

  /**
   * `defaultMetrics` adds prom-client's process metrics (CPU, memory, event-loop lag, GC). They
   * install observers that outlive the engine, so only real processes (src/process.ts) ask for
   * them, not the many engines a test run starts.
   */
  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'billing_' });
  }

  /** One line per charge job result (renewals/jobs.ts). */
  renewalAttempted(status: RenewalOutcomeLabel): void {
    this.renewalsAttempted.inc();
    this.renewalOutcomes.inc({ outcome: status });
  }
}

/** The calls that go over the wire (AsiabillGateway's methods); anything else passes through. */
const GATEWAY_CALLS = new Set<string | symbol>([
  'confirmCharge',
  'searchTransactions',
  'createCustomer',
  'createPaymentMethod',
  'getPaymentMethod',
] satisfies Array<keyof AsiabillGateway>);

/**
 * Wraps a gateway so that confirmCharge latency and every refusal are counted, without the
 * renewal code knowing about metrics.
 */
export function instrumentGateway(gateway: AsiabillGateway, metrics: EngineMetrics): AsiabillGateway {
  return new Proxy(gateway, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !GATEWAY_CALLS.has(prop)) return value;
      const operation = String(prop);
      return async (...args: unknown[]) => {
        const timer = operation === 'confirmCharge' ? metrics.chargeDuration.startTimer() : undefined;
        try {
          const res: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          timer?.({ result: 'answered' });
          return res;
        } catch (err) {
          timer?.({ result: 'error' });
          if (err instanceof AsiabillApiError && err.refusedBeforeProcessing)
            metrics.gatewayRefusals.inc({ code: err.code, operation });
          throw err;
        }
      };
    },
  });
}
