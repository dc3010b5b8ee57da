import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Issue 9 item 16: docker-compose.yml and the Dockerfile. There is no Docker engine here, but
 * the distribution's `docker-compose config` parses, validates and interpolates the file
 * exactly as `up` would (.ci/run installs the Debian package `docker-compose`); its output is
 * turned into JSON with the YAML library docker-compose itself depends on (python3-yaml).
 */
const run = promisify(execFile);

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | null>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  healthcheck?: { test?: string[] | string };
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// `docker-compose config` starts a Python interpreter (about a second): once per environment.
const configs = new Map<string, Promise<Compose>>();
function composeConfig(env: NodeJS.ProcessEnv): Promise<Compose> {
  const key = JSON.stringify(env);
  let c = configs.get(key);
  if (c === undefined) {
    c = loadComposeConfig(env);
    configs.set(key, c);
  }
  return c;
}

async function loadComposeConfig(env: NodeJS.ProcessEnv): Promise<Compose> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ASIABILL_|BILLING_)/.test(k)));
  const toJson = `python3 -c 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'`;
  const { stdout: json } = await run(
    'bash',
    ['-o', 'pipefail', '-c', `docker-compose -f docker-compose.yml config | ${toJson}`],
    {
      env: { ...clean, ...env },
    },
  );
  return JSON.parse(json) as Compose;
}

const ENGINE_SERVICES = ['migrate', 'app', 'charge-worker'];

describe('docker-compose.yml', () => {
  it('passes the ASIABILL_* configuration through to every engine container', async () => {
    const real = {
      ASIABILL_PAYMENT_URL: 'https://testpay.asiabill.com/V2022-03',
      ASIABILL_OPENAPI_URL: 'https://api-uat.asiabill.com/openApi/V2022-03',
      ASIABILL_GATEWAY_NO: '12345678',
      ASIABILL_SIGN_KEY: 'merchant-key',
      BILLING_PUBLIC_URL: 'https://billing.merchant.example',
    };
    const c = await composeConfig(real);
    for (const name of ENGINE_SERVICES) {
      expect(c.services[name]?.environment, name).toMatchObject(real);
    }
    // Without them: the app uses its built-in sandbox, the worker reaches that sandbox.
    const sandbox = await composeConfig({});
    expect(sandbox.services.app?.environment?.ASIABILL_SIGN_KEY ?? '').toBe('');
    expect(sandbox.services['charge-worker']?.environment).toMatchObject({
      ASIABILL_PAYMENT_URL: 'http://app:8091/V2022-03',
      BILLING_PUBLIC_URL: 'http://app:8080',
    });
  });

  it('runs a built image (no bind-mounted checkout, no npm ci on up), the engine as the main process, state in volumes', async () => {
    const c = await composeConfig({});
    for (const name of ENGINE_SERVICES) {
      const s = c.services[name];
      expect(s?.build, name).toBeDefined();
      const command = Array.isArray(s?.command) ? s.command : [String(s?.command)];
      // Exec form starting with node: SIGTERM reaches the engine, not npm or a shell.
      expect(command[0], name).toBe('node');
      expect(command.join(' '), name).not.toMatch(/npm|npx|sh -c/);
      for (const v of s?.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] : (v.source ?? '');
        expect(source, `${name} mounts ${JSON.stringify(v)}`).not.toMatch(/^[./]/);
      }
    }
    const app = c.services.app;
    expect(app?.command).toEqual(['node', 'bin/billing.mjs', 'run']);
    // The sandbox's state file is on a named volume, not in the container's /tmp.
    expect(app?.environment?.BILLING_SANDBOX_STATE).toBe('/var/lib/billing/sandbox-state.json');
    expect(
      app?.volumes?.map((v) =>
        typeof v === 'string' ? v.split(':').slice(0, 2).join(':') : `${v.source}:${v.target}`,
      ),
    ).toContain('billing-state:/var/lib/billing');
    expect(Object.keys(c.volumes ?? {})).toEqual(expect.arrayContaining(['pgdata', 'redisdata', 'billing-state']));
    // A drain gets the whole gateway timeout (30 s) + margin before docker's SIGKILL.
    expect(app?.stop_grace_period).toBe('50s');
  });

  it('has a healthcheck on /readyz', async () => {
    const c = await composeConfig({});
    expect(c.services.app?.healthcheck?.test).toEqual(['CMD', 'node', 'bin/healthcheck.mjs']);
    expect(readFileSync('bin/healthcheck.mjs', 'utf8')).toContain('/readyz');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  it('installs dependencies at build time and starts the engine itself, in exec form', () => {
    expect(text).toMatch(/^RUN npm ci /m);
    expect(text).toMatch(/^CMD \["node", "bin\/billing\.mjs", "run"\]$/m);
    expect(text).toMatch(/^HEALTHCHECK .*bin\/healthcheck\.mjs/m);
    expect(text).toMatch(/^VOLUME \["\/var\/lib\/billing"\]$/m);
  });
});

describe('bin/healthcheck.mjs', () => {
  it('exits 1 when nothing answers /readyz', async () => {
    const r = await run(process.execPath, ['bin/healthcheck.mjs'], {
      env: { ...process.env, BILLING_HTTP_PORT: '1' },
    }).then(
      () => 0,
      (e: { code?: number }) => e.code,
    );
    expect(r).toBe(1);
  });
});
