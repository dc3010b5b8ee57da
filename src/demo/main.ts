// `npm run demo`: the README's main job. Uses its own database (DEMO_DATABASE_URL, default
// billing_demo — dropped and recreated on every run) and a fresh Redis queue prefix.
import { runDemo } from './run.ts';
import { errorMessage } from '../errors.ts';

const databaseUrl = process.env.DEMO_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/billing_demo';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

runDemo({ databaseUrl, redisUrl, out: (l) => process.stdout.write(`${l}\n`), terminal: process.stdout }).then(
  (r) => {
    process.exitCode = r.invoicesChargedTwice === 0 && r.successfulCharges === r.ledgerSuccesses ? 0 : 1;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
