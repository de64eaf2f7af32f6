/**
 * A CDK app's cloud assembly, as `cdk synth` makes it: the app command runs with `CDK_OUTDIR`
 * and `CDK_CONTEXT_JSON` (the protocol the CDK CLI itself uses, so no particular CLI version is
 * needed), with asset metadata on, so every function's code is found in its asset directory.
 * Then the one stack holding a Longrun API is picked (or the one named).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CfnTemplate } from './template.ts';

export interface SynthOptions {
  /** The app command, as cdk.json's `app` (e.g. `npx tsx bin/app.ts`). @default - `app` of cdk.json in `cwd` */
  app?: string;
  /** Where the app runs (and its cdk.json is). @default process.cwd() */
  cwd?: string;
  /** Context on top of cdk.json's and cdk.context.json's (as `cdk synth -c key=value`). */
  context?: Record<string, unknown>;
  /** Where the assembly goes. @default - a new directory in `<cwd>/cdk.out/`, removed by `cleanup()` */
  outdir?: string;
}

export interface CloudAssembly {
  /** The assembly directory (templates and asset directories). */
  dir: string;
  /** Removes the directory if it was made for this synth. */
  cleanup(): void;
}

export interface AssemblyStack {
  /** The stack's artifact id (`cdk synth <id>`). */
  artifactId: string;
  stackName: string;
  template: CfnTemplate;
  /** The directory its template and assets are in. */
  dir: string;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** cdk.json's `app` and `context`, and cdk.context.json, as the CDK CLI reads them. */
function projectSettings(cwd: string): { app?: string; context: Record<string, unknown> } {
  const cdkJson = join(cwd, 'cdk.json');
  const settings = existsSync(cdkJson) ? readJson<{ app?: string; context?: Record<string, unknown> }>(cdkJson) : {};
  const cached = join(cwd, 'cdk.context.json');
  return { app: settings.app, context: { ...(existsSync(cached) ? readJson<Record<string, unknown>>(cached) : {}), ...settings.context } };
}

/**
 * A new directory in the app's own `cdk.out/`, where `cdk synth` would write: a function's asset
 * then finds what the app installed the way it does under `cdk synth` (a `NodejsFunction` leaves
 * `@aws-sdk/*` to the Lambda runtime, which locally is the app's `node_modules`). From a temporary
 * directory elsewhere, such an import fails. Its own package.json keeps the app's (`"type":
 * "module"`, say) from applying to the assets: on Lambda an asset's `.js` is CommonJS unless the
 * asset says otherwise.
 */
function newAssemblyDir(cwd: string): string {
  const parent = join(cwd, 'cdk.out');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'longrun-local-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  return dir;
}

/** Runs the app and returns its cloud assembly; fails with the app's output if it fails. */
export async function synthesize(options: SynthOptions = {}): Promise<CloudAssembly> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const settings = projectSettings(cwd);
  const app = options.app ?? settings.app;
  if (!app) throw new Error(`no app to run: pass --app "<command>" or run where a cdk.json names one (looked in ${cwd})`);
  const dir = options.outdir ? resolve(options.outdir) : newAssemblyDir(cwd);
  const context = {
    ...settings.context,
    // Every function's code is an asset: the local stack runs it from there.
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:enable-path-metadata': true,
    ...options.context,
  };
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(app, {
      cwd,
      shell: true,
      env: { ...process.env, CDK_OUTDIR: dir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', fail);
    child.once('exit', (exitCode) => done(exitCode));
  });
  if (code !== 0 || !existsSync(join(dir, 'manifest.json'))) {
    if (!options.outdir) rmSync(dir, { recursive: true, force: true });
    throw new Error(`the app (${app}) failed to synthesize (exit ${code}):\n${Buffer.concat(output).toString('utf8').slice(-8000)}`);
  }
  return { dir, cleanup: () => (options.outdir ? undefined : rmSync(dir, { recursive: true, force: true })) };
}

interface Manifest {
  artifacts?: Record<
    string,
    { type: string; displayName?: string; properties?: { templateFile?: string; stackName?: string; directoryName?: string } }
  >;
}

/** Every stack of the assembly, nested assemblies (CDK stages) included. */
export function assemblyStacks(dir: string): AssemblyStack[] {
  const manifest = readJson<Manifest>(join(dir, 'manifest.json'));
  return Object.entries(manifest.artifacts ?? {}).flatMap(([artifactId, artifact]): AssemblyStack[] => {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      return assemblyStacks(join(dir, artifact.properties.directoryName));
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) return [];
    return [
      {
        artifactId,
        stackName: artifact.properties.stackName ?? artifact.displayName ?? artifactId,
        template: readJson<CfnTemplate>(join(dir, artifact.properties.templateFile)),
        dir,
      },
    ];
  });
}

const countOf = (template: CfnTemplate, type: string): number => Object.values(template.Resources ?? {}).filter((r) => r.Type === type).length;

/** The stack to run: the one named (artifact id, stack name or display path), else the only stack with a REST API and a state machine. */
export function pickStack(stacks: AssemblyStack[], name?: string): AssemblyStack {
  if (name) {
    const found = stacks.find((s) => s.artifactId === name || s.stackName === name);
    if (!found) throw new Error(`no stack ${name} in the app; it has ${stacks.map((s) => s.stackName).join(', ') || 'none'}`);
    return found;
  }
  const candidates = stacks.filter(
    (s) => countOf(s.template, 'AWS::ApiGateway::RestApi') === 1 && countOf(s.template, 'AWS::StepFunctions::StateMachine') >= 1,
  );
  if (candidates.length !== 1) {
    throw new Error(
      `the app has ${candidates.length} stacks with a Longrun API (${candidates.map((s) => s.stackName).join(', ') || 'none'}); name one with --stack`,
    );
  }
  return candidates[0]!;
}
