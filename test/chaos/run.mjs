// `npm run test:chaos [-- --soak]`: the fault suite at full (or soak) scale, then the rest of
// test/chaos. Prints the fault table (also written to test-artifacts/chaos/table.md).
import { spawnSync } from 'node:child_process';

const soak = process.argv.includes('--soak');
const env = { ...process.env, CHAOS_SCALE: soak ? 'soak' : 'full' };
const r = spawnSync('npx', ['vitest', 'run', 'test/chaos', '--maxWorkers=1'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
