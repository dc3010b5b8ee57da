import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (pino). Card data is never passed to a logger; as a second line of
 * defence the `redact` paths blank any field that could carry it if someone slips.
 */
export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    name: opts.name ?? 'billing',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: [
        '*.cardNo',
        '*.cardSecurityCode',
        '*.card.cardNo',
        '*.card.cardSecurityCode',
        'cardNo',
        'cardSecurityCode',
        'cvc',
        '*.cvc',
      ],
      censor: '[redacted]',
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything (tests that don't inspect logs). */
export const silentLogger: Logger = pino({ level: 'silent' });
