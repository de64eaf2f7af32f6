/**
 * Adoption, from the outside: the four packages are packed as npm would publish them and installed
 * into copies of the examples in a temporary folder outside the repository, as a platform team
 * would install them. The Lambda worker example (its own NodejsFunction worker importing
 * @longrun/worker) typechecks against the published types, synthesizes offline (cdk-nag included)
 * with Longrun's functions taken prebuilt from the package (the same asset hashes every synth), runs
 * under its own installed `longrun-local`, and its tasks reach their result, or their TaskFailed
 * message, through its own installed `longrun` (@longrun/client). The state machine example
 * synthesizes with no esbuild installed at all; @longrun/client installed alone brings no AWS SDK
 * and no CDK.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../examples/lambda-worker/functions/report.ts';
import { REPO_ROOT } from '../support/spawn-local-stack.ts';

const PACKAGES = ['cdk', 'worker', 'client', 'local'] as const;
const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
const tarball = (name: (typeof PACKAGES)[number]) => `longrun-${name}-${VERSION}.tgz`;

const work = mkdtempSync(join(tmpdir(), 'longrun-adoption-'));
const tarballs = join(work, 'tarballs');
const reports = join(work, 'reports');
const exportsApp = join(work, 'exports');

// Node 22 (what the packages require) first on the PATH, and nothing else of the repository's.
const node22 = join(work, 'node22');
mkdirSync(node22);
symlinkSync(join(REPO_ROOT, 'node_modules', '.bin', 'node'), join(node22, 'node'));

/** The environment of a process outside the repository: no npm_* variables of the `npm test` that runs us. */
function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '').split(':').filter((dir) => !dir.startsWith(REPO_ROOT));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: [node22, ...path].join(':'), ...extra };
}

function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  const result = spawnSync(command, args, { cwd, env: outsideEnv(extra), encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}\n${result.stderr}` };
}

function ok(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): string {
  const result = run(command, args, cwd, extra);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}) in ${cwd}:\n${result.output.slice(-6000)}`);
  return result.stdout;
}

/** A copy of an example whose @longrun dependencies are the packed tarballs (directly and wherever another package needs them). */
function installExample(example: string, into: string): void {
  cpSync(join(REPO_ROOT, 'examples', example), into, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.includes('cdk.out') });
  const manifest = JSON.parse(readFileSync(join(into, 'package.json'), 'utf8'));
  const local = (name: string) => `file:${join(tarballs, tarball(name.replace('@longrun/', '') as (typeof PACKAGES)[number]))}`;
  for (const group of ['dependencies', 'devDependencies']) {
    for (const name of Object.keys(manifest[group] ?? {})) if (name.startsWith('@longrun/')) manifest[group][name] = local(name);
  }
  manifest.overrides = Object.fromEntries(PACKAGES.map((p) => [`@longrun/${p}`, local(`@longrun/${p}`)]));
  writeFileSync(join(into, 'package.json'), JSON.stringify(manifest, null, 2));
  ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], into);
}

/** Longrun's functions in a synthesized template: name -> asset directory. */
function longrunAssets(assembly: string, stack: string): Record<string, string> {
  const template = JSON.parse(readFileSync(join(assembly, `${stack}.template.json`), 'utf8'));
  return Object.fromEntries(
    Object.values(template.Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['Longrun:Function'])
      .map((r) => [r.Metadata['Longrun:Function'], r.Metadata['aws:asset:path']]),
  );
}

let local: ChildProcess | undefined;
let api: { baseUrl: string; apiKeys: string[] };

beforeAll(async () => {
  mkdirSync(tarballs);
  ok('npm', ['pack', '--workspaces', '--include-workspace-root', '--pack-destination', tarballs, '--silent'], REPO_ROOT);
  installExample('lambda-worker', reports);
}, 600_000);

afterAll(async () => {
  if (local && local.exitCode === null) {
    local.kill('SIGTERM');
    await new Promise((resolve) => local!.once('exit', resolve));
  }
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the packed packages', () => {
  it('are one tarball each: @longrun/cdk (the root), worker, client and local', () => {
    expect(readdirSync(tarballs).sort()).toEqual(PACKAGES.map(tarball).sort());
  });

  it('@longrun/client installed alone brings no AWS SDK and no CDK', () => {
    const alone = join(work, 'client-alone');
    cpSync(join(tarballs, tarball('client')), join(alone, tarball('client')));
    writeFileSync(join(alone, 'package.json'), JSON.stringify({ name: 'client-alone', private: true }));
    ok('npm', ['install', '--no-audit', '--no-fund', `./${tarball('client')}`], alone);
    const installed = readdirSync(join(alone, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(installed).toEqual(['@longrun']);
    expect(readdirSync(join(alone, 'node_modules', '@longrun'))).toEqual(['client']);
  }, 120_000);
});

describe('a CDK app with its own Lambda worker (examples/lambda-worker), installed from the tarballs', () => {
  it('typechecks against the published types', () => {
    ok('npx', ['tsc', '--noEmit'], reports);
  }, 120_000);

  it('synthesizes offline, cdk-nag clean, with Longrun functions prebuilt: the same asset hashes twice, the bytes the package ships', () => {
    ok('npx', ['cdk', 'synth', '--quiet', '-o', 'cdk.out'], reports);
    ok('npx', ['cdk', 'synth', '--quiet', '-o', 'cdk.out.again'], reports);
    const first = longrunAssets(join(reports, 'cdk.out'), 'LongrunReports');
    const second = longrunAssets(join(reports, 'cdk.out.again'), 'LongrunReports');
    expect(Object.keys(first).length).toBeGreaterThanOrEqual(14);
    expect(second).toEqual(first);
    const shipped = join(reports, 'node_modules', '@longrun', 'cdk', 'dist', 'functions');
    for (const [name, asset] of Object.entries(first)) {
      expect(readFileSync(join(reports, 'cdk.out', asset, 'index.mjs')).equals(readFileSync(join(shipped, name, 'index.mjs'))), name).toBe(true);
    }
  }, 240_000);

  it('runs under its own longrun-local, which synthesizes cdk.json’s app as the README says', async () => {
    const ready = join(work, 'ready.json');
    // The installed bin itself (not through npx, which would not pass our SIGTERM on). No --assembly:
    // its own synth, whose assets must find the app's packages (the worker's @aws-sdk/* is left to the runtime).
    local = spawn(join(reports, 'node_modules', '.bin', 'longrun-local'), ['--port', '0', '--ready-json', ready, '--quiet'], {
      cwd: reports,
      env: outsideEnv({ LONGRUN_API_KEYS: 'adoption-key' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    local.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    const deadline = Date.now() + 120_000;
    while (!existsSync(ready)) {
      if (local.exitCode !== null || Date.now() > deadline) throw new Error(`longrun-local did not get ready:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    api = JSON.parse(readFileSync(ready, 'utf8'));
    expect(api.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  }, 180_000);

  it('runs a task of its own type to its result, through its own @longrun/client (the longrun CLI)', () => {
    const input = { month: '2026-02', region: 'apac' as const };
    const env = { LONGRUN_URL: api.baseUrl, LONGRUN_API_KEY: api.apiKeys[0]! };
    const task = JSON.parse(
      ok('npx', ['longrun', 'submit', 'monthly-report', JSON.stringify(input), '--wait', '--json'], reports, env)
        .trim()
        .split('\n')
        .at(-1)!,
    );
    expect(task).toMatchObject({ type: 'monthly-report', status: 'succeeded', progress: { percent: 100 } });
    expect(JSON.parse(ok('npx', ['longrun', 'result', task.id, '--json'], reports, env))).toEqual(buildReport(input));
  }, 120_000);

  it("hands the worker's TaskFailed message to the caller, never a trace", () => {
    const env = { LONGRUN_URL: api.baseUrl, LONGRUN_API_KEY: api.apiKeys[0]! };
    const failed = run('npx', ['longrun', 'submit', 'monthly-report', '{"month":"2099-01"}', '--wait', '--json'], reports, env);
    expect(failed.status).toBe(1);
    const task = JSON.parse(failed.stdout.trim().split('\n').at(-1)!);
    expect(task).toMatchObject({ status: 'failed', error: { type: 'https://longrun.dev/problems/task-failed' } });
    expect(task.error.detail).toBe('No complete sales data for 2099-01 yet: the month has not ended.');
    expect(failed.output).not.toMatch(/at .*\.(m?js|ts):\d+/);
  }, 120_000);
});

describe('a CDK app whose worker is a state machine (examples/state-machine-worker)', () => {
  it('synthesizes, cdk-nag clean, with no esbuild installed: nothing of Longrun is bundled at synth', () => {
    installExample('state-machine-worker', exportsApp);
    expect(existsSync(join(exportsApp, 'node_modules', 'esbuild'))).toBe(false);
    ok('npx', ['cdk', 'synth', '--quiet', '-o', 'cdk.out'], exportsApp);
    expect(Object.keys(longrunAssets(join(exportsApp, 'cdk.out'), 'LongrunExports')).length).toBeGreaterThanOrEqual(14);
  }, 300_000);
});
