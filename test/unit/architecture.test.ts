/**
 * The layout's rules, checked on the source text (README "Where things live"): the sandbox is
 * the other side of the wire, `src/billing/` is pure, status sets are named once. A rule that
 * is only written down is broken by the next hurried change; this file makes it fail a build.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...filesUnder(rel));
    else if (rel.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Every relative import of a file, resolved to a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1] ?? '');
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

const SRC = filesUnder('src');

describe('layout rules', () => {
  it('finds the source tree (a rule over no files proves nothing)', () => {
    expect(SRC.length).toBeGreaterThan(100);
    expect(SRC.filter((f) => f.startsWith('src/sandbox/')).length).toBeGreaterThan(10);
    expect(SRC.filter((f) => f.startsWith('src/asiabill/')).length).toBeGreaterThan(10);
  });

  it('the AsiaBill client never imports the sandbox', () => {
    const offenders = SRC.filter((f) => f.startsWith('src/asiabill/')).filter((f) =>
      importsOf(f).some((i) => i.startsWith('src/sandbox/')),
    );
    expect(offenders).toEqual([]);
  });

  it('the sandbox takes only wire-format pieces from the client', () => {
    const WIRE = new Set([
      'types',
      'gatewayTime',
      'validate',
      'validateParts',
      'fieldRules',
      'sign',
      'luhn',
      'endpoints',
      'envelope',
      'json',
      'returnUrl',
      'errors',
      'notifications',
      'notificationBody',
      'codes',
      'currencies',
    ]);
    const used = SRC.filter((f) => f.startsWith('src/sandbox/')).flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('src/asiabill/'))
        .map((i) => ({ f, module: i.replace(/^src\/asiabill\/|\.ts$/g, '') })),
    );
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((u) => !WIRE.has(u.module))).toEqual([]);
  });

  it('only the engine and the `billing sandbox` command start the sandbox', () => {
    const importers = SRC.filter(
      (f) => !f.startsWith('src/sandbox/') && importsOf(f).some((i) => i.startsWith('src/sandbox/')),
    );
    expect(importers.sort()).toEqual(['src/cli/commands/sandbox.ts', 'src/engine.ts']);
  });

  it('src/billing is pure: no database, queue, network or engine imports', () => {
    const billing = SRC.filter((f) => f.startsWith('src/billing/'));
    expect(billing.length).toBeGreaterThan(3);
    const ALLOWED = [/^src\/billing\//, /^src\/errors\.ts$/, /^src\/money\.ts$/, /^src\/asiabill\/codes\.ts$/];
    const bad = billing.flatMap((f) =>
      importsOf(f)
        .filter((i) => !ALLOWED.some((a) => a.test(i)))
        .map((i) => `${f} → ${i}`),
    );
    expect(bad).toEqual([]);
    const packages = billing.flatMap((f) =>
      [...readFileSync(join(ROOT, f), 'utf8').matchAll(/from\s+'([^.'][^']*)'/g)].map((m) => m[1]),
    );
    expect(packages.filter((p) => p !== 'luxon')).toEqual([]);
  });

  it('no status list is written inline outside src/billing (name the set instead)', () => {
    // A bracketed list or SQL `in (…)` of two or more subscription/invoice/attempt statuses.
    const STATUS =
      "'(?:incomplete|incomplete_expired|trialing|active|past_due|canceled|unpaid|paused|open|paid|void|uncollectible|started|unknown|pending|succeeded|failed|not_charged)'";
    const LIST = new RegExp(`[\\[(]\\s*${STATUS}\\s*,\\s*${STATUS}`);
    const hits = SRC.filter((f) => !f.startsWith('src/billing/') && !f.startsWith('src/sandbox/')).filter((f) =>
      LIST.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(hits).toEqual([]);
  });

  it('AsiaBill code patterns live in src/asiabill only', () => {
    const CODE_PATTERN = /\/\^\\s\*\[?[A-Z]|\/\^\[[A-Z]+\]\\d|I0061/;
    const hits = SRC.filter((f) => !f.startsWith('src/asiabill/') && !f.startsWith('src/sandbox/')).filter((f) =>
      CODE_PATTERN.test(readFileSync(join(ROOT, f), 'utf8').replace(/^\s*(\*|\/\/).*$/gm, '')),
    );
    expect(hits).toEqual([]);
  });
});
