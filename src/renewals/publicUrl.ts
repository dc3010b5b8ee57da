import type { Config } from '../config.ts';

/** Where AsiaBill reaches us: BILLING_PUBLIC_URL, else the local HTTP server. */
export function publicUrlOf(config: Config): string {
  const base =
    config.publicUrl ?? `http://${config.httpHost === '0.0.0.0' ? '127.0.0.1' : config.httpHost}:${config.httpPort}`;
  return base.replace(/\/+$/, '');
}
