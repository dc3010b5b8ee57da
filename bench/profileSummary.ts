/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. `npm run bench -- --profile` writes them
 * to bench/profiles/<row>/): self time by module (a package under node_modules, a file of
 * ours, node internals, GC, idle) and by function, over all profiles in the given directories.
 *
 *   node --import tsx bench/profileSummary.ts bench/profiles/engine-1-8-stub-0-ms [--top 25]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

function moduleOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return '(gc)';
  if (fn === '(idle)') return '(idle)';
  if (fn === '(program)') return '(program)';
  if (!url) return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    if (parts[0] !== 'internal') return `node:${parts[0]}`;
    return `node:internal/${parts[1] === 'deps' ? parts[2] : parts[1]}`;
  }
  const m = /\/(src|bench|workers)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}

function files(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(p, f))
      : [p],
  );
}

export function summarise(paths: string[], top = 25): string {
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const file of files(paths)) {
    const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    if (prof.samples && prof.timeDeltas) {
      for (const [i, id] of prof.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
    }
    for (const [id, us] of selfUs) {
      const n = byId.get(id);
      if (!n) continue;
      const fn = n.callFrame.functionName || '(anonymous)';
      const mod = moduleOf(n.callFrame.url, fn);
      if (mod === '(idle)') continue;
      total += us;
      byModule.set(mod, (byModule.get(mod) ?? 0) + us);
      const key = `${fn} (${mod}:${n.callFrame.lineNumber + 1})`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    }
  }
  const fmtRows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `| ${k} | ${(us / 1000).toFixed(0)} | ${((100 * us) / total).toFixed(1)} |`)
      .join('\n');
  return [
    `CPU (not idle) in ${files(paths).length} profile(s): ${(total / 1000).toFixed(0)} ms`,
    '',
    '| module (self time) | ms | % |',
    '|---|--:|--:|',
    fmtRows(byModule),
    '',
    '| function (self time) | ms | % |',
    '|---|--:|--:|',
    fmtRows(byFunction),
  ].join('\n');
}

if (process.argv[1]?.endsWith('profileSummary.ts')) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--top');
  const top = i >= 0 ? Number(args[i + 1]) : 25;
  const paths = args.filter((a, j) => a !== '--top' && (i < 0 || j !== i + 1));
  console.log(summarise(paths, top));
}
